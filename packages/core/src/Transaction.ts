/**
 * A sign-in in progress: what the callback needs to finish it. Kept by the caller's
 * {@link TransactionStore} between the redirect out and the redirect back.
 */
export interface Transaction {
  state: string
  codeVerifier: string
  nonce: string
  issuer: string
  redirectUri: string
  /** Milliseconds since the epoch. */
  createdAt: number
  /** `max_age` sent, so the callback checks `auth_time`. */
  maxAge?: number
  /** Whatever the app wants back after sign-in (a return path, say). */
  appState?: unknown
}

/**
 * Where pending sign-ins wait, keyed by `state`. `take` removes as it reads, so a callback
 * replayed or belonging to another transaction finds nothing.
 *
 * @example
 * ```ts
 * const store: TransactionStore = {
 *   set: async (state, tx) => { req.session.tx = { [state]: tx } },
 *   take: async (state) => { const tx = req.session.tx?.[state]; delete req.session.tx; return tx },
 * }
 * ```
 */
export interface TransactionStore {
  set(state: string, transaction: Transaction): Promise<void>
  /** Returns the transaction for `state` and deletes it. */
  take(state: string): Promise<Transaction | undefined>
}

/**
 * A {@link TransactionStore} in memory, for servers and tests.
 *
 * @example
 * ```ts
 * const client = new AuthClient({ issuer, clientId: 'spa', redirectUri, transactionStore: new MemoryTransactionStore() })
 * ```
 */
export class MemoryTransactionStore implements TransactionStore {
  private readonly pending = new Map<string, Transaction>()
  async set(state: string, transaction: Transaction): Promise<void> {
    this.pending.set(state, transaction)
  }
  async take(state: string): Promise<Transaction | undefined> {
    const tx = this.pending.get(state)
    this.pending.delete(state)
    return tx
  }
}
