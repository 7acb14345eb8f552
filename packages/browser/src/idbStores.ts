import { createStore, del, get, set, type UseStore } from 'idb-keyval'
import type { TokenSet, TokenStore, Transaction, TransactionStore } from '@realmauth/core'

let shared: UseStore | undefined

/** One IndexedDB database for realmauth, opened on first use (never at import: SSR-safe). */
function database(): UseStore {
  shared ??= createStore('realmauth', 'keyval')
  return shared
}

/**
 * Tokens in IndexedDB, one entry per issuer and client. Never localStorage: an XSS that
 * reads `localStorage` in one line cannot read this synchronously, and nothing of it is
 * sent with requests.
 *
 * @example
 * ```ts
 * const tokens = new IndexedDbTokenStore('https://idp.example.com/oauth2/realms/root/realms/alpha', 'spa')
 * ```
 */
export class IndexedDbTokenStore implements TokenStore {
  private readonly key: string
  constructor(issuer: string, clientId: string) {
    this.key = `tokens:${issuer}:${clientId}`
  }
  async get(): Promise<TokenSet | undefined> {
    return get<TokenSet>(this.key, database())
  }
  async set(tokens: TokenSet): Promise<void> {
    await set(this.key, tokens, database())
  }
  async remove(): Promise<void> {
    await del(this.key, database())
  }
}

/**
 * Pending sign-ins in IndexedDB, so they survive the redirect to the provider; each is
 * deleted as it is read.
 *
 * @example
 * ```ts
 * const transactions = new IndexedDbTransactionStore()
 * ```
 */
export class IndexedDbTransactionStore implements TransactionStore {
  async set(state: string, transaction: Transaction): Promise<void> {
    await set(`tx:${state}`, transaction, database())
  }
  async take(state: string): Promise<Transaction | undefined> {
    const key = `tx:${state}`
    const tx = await get<Transaction>(key, database())
    if (tx) await del(key, database())
    return tx
  }
}
