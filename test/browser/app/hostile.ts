// The page test/browser/hostile.test.ts drives: @realmauth/browser with its real storage
// (IndexedDB), Web Locks and BroadcastChannel, one fresh client per case. The test plays the
// hostile answers at the provider over HTTP; the page runs the flow and reports what a user
// of the SDK would see: the error, the snapshot, and what is stored.
import { AuthError, IndexedDbTokenStore, IndexedDbTransactionStore, createBrowserClient, type BrowserClient } from '@realmauth/browser'
import type { Transaction, TransactionStore } from '@realmauth/core'

export interface PageError {
  name: string
  code?: string
  message: string
  retryable?: boolean
  needsUser?: boolean
  status?: number
}

/** What a step left behind. */
export interface Outcome {
  ok: boolean
  error?: PageError
  status: string
  user?: string
  /** The snapshot object is the one from before (nothing a subscriber could see changed). */
  snapshotSame: boolean
  /** The snapshot's tokens are the ones from before. */
  tokensSame: boolean
  snapshotError?: string
  storedBefore: StoredTokens | null
  storedAfter: StoredTokens | null
}

export interface StoredTokens {
  accessToken: string
  refreshToken?: string
  idToken?: string
}

export interface HostilePage {
  ready: boolean
  /** A fresh client of `realm`'s issuer with nothing stored, its clock at `now`; starts a sign-in. */
  begin(realm: string, now: number): Promise<{ url: string; transaction: Transaction }>
  /** Finishes the sign-in with `callback` (the provider's redirect) at `now`. */
  finish(callback: string, now: number): Promise<Outcome>
  /** Refreshes at `now`. */
  refresh(now: number): Promise<Outcome>
}

declare global {
  interface Window {
    hostile: HostilePage
  }
}

const config = JSON.parse(document.getElementById('config')!.textContent!) as { issuers: Record<string, string>; clientId: string; redirectUri: string }

let now = 0
let client: BrowserClient | undefined
let store: IndexedDbTokenStore | undefined
let lastTransaction: Transaction | undefined
// The real IndexedDB transaction store, and the last transaction it was given (the test
// needs what an attacker's server would have seen, for the mix-up relay).
const idbTransactions = new IndexedDbTransactionStore()
const transactions: TransactionStore = {
  async set(state, transaction) {
    lastTransaction = transaction
    await idbTransactions.set(state, transaction)
  },
  take: (state) => idbTransactions.take(state),
}

const describeError = (err: unknown): PageError =>
  err instanceof AuthError
    ? { name: err.name, code: err.code, message: err.message, retryable: err.retryable, needsUser: err.needsUser, ...(err.status !== undefined && { status: err.status }) }
    : { name: err instanceof Error ? err.name : typeof err, message: String(err) }

async function stored(): Promise<StoredTokens | null> {
  const tokens = await store!.get()
  return tokens ? { accessToken: tokens.accessToken, ...(tokens.refreshToken && { refreshToken: tokens.refreshToken }), ...(tokens.idToken && { idToken: tokens.idToken }) } : null
}

async function observe(action: () => Promise<unknown>): Promise<Outcome> {
  const before = client!.getSnapshot()
  const storedBefore = await stored()
  let result: Pick<Outcome, 'ok' | 'error'>
  try {
    await action()
    result = { ok: true }
  } catch (err) {
    result = { ok: false, error: describeError(err) }
  }
  const after = client!.getSnapshot()
  return {
    ...result,
    status: after.status,
    ...(after.user && { user: String(after.user.sub) }),
    snapshotSame: after === before,
    tokensSame: after.tokens === before.tokens,
    ...(after.error && { snapshotError: after.error.code }),
    storedBefore,
    storedAfter: await stored(),
  }
}

window.hostile = {
  ready: true,
  async begin(realm, at) {
    now = at
    client?.dispose()
    const issuer = config.issuers[realm]!
    store = new IndexedDbTokenStore(issuer, config.clientId)
    await store.remove()
    client = createBrowserClient({
      issuer,
      clientId: config.clientId,
      redirectUri: config.redirectUri,
      scope: 'openid profile email',
      clock: () => now,
      transactionStore: transactions,
      // Renewal only when the test asks; one attempt, so each answer is the one that counts.
      refresh: { auto: false, attempts: 1 },
    })
    await client.auth.load()
    const url = await client.auth.signInUrl()
    return { url: url.href, transaction: lastTransaction! }
  },
  finish(callback, at) {
    now = at
    return observe(() => client!.handleRedirectCallback(callback))
  },
  refresh(at) {
    now = at
    return observe(() => client!.auth.refresh())
  },
}
