import { createStore, del, get, set, type UseStore } from 'idb-keyval'
import { createDPoP, type DPoP, type DPoPKeyStore, type TokenSet, type TokenStore, type Transaction, type TransactionStore } from '@realmauth/core'

let shared: UseStore | undefined

/** One IndexedDB database for realmauth, opened on first use (never at import: SSR-safe). */
export function database(): UseStore {
  shared ??= createStore('realmauth', 'keyval')
  return shared
}

/** One value under one key of realmauth's database: what the token and key stores are. */
class IdbEntry<T> {
  constructor(private readonly key: string) {}
  async get(): Promise<T | undefined> {
    return get<T>(this.key, database())
  }
  async set(value: T): Promise<void> {
    await set(this.key, value, database())
  }
  async remove(): Promise<void> {
    await del(this.key, database())
  }
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
export class IndexedDbTokenStore extends IdbEntry<TokenSet> implements TokenStore {
  constructor(issuer: string, clientId: string) {
    super(`tokens:${issuer}:${clientId}`)
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

/**
 * A DPoP key pair in IndexedDB, one per issuer and client. The private key is stored as a
 * non-extractable `CryptoKey`: IndexedDB keeps the handle, and no script can read its bytes.
 *
 * @example
 * ```ts
 * const dpop = createDPoP({ keyStore: new IndexedDbDPoPKeyStore(issuer, 'spa') })
 * ```
 */
export class IndexedDbDPoPKeyStore extends IdbEntry<CryptoKeyPair> implements DPoPKeyStore {
  constructor(issuer: string, clientId: string) {
    super(`dpop:${issuer}:${clientId}`)
  }
}

/**
 * The `dpop` option of `createBrowserClient` for DPoP-bound tokens (RFC 9449): an ES256 key
 * generated non-extractable and kept in IndexedDB, so a bound refresh token survives reloads
 * and an XSS cannot take the key away. Without IndexedDB (server rendering) the key lives in memory.
 *
 * @example
 * ```ts
 * const auth = createBrowserClient({ issuer, clientId: 'spa', dpop: indexedDbDPoP })
 * ```
 */
export function indexedDbDPoP(client: { issuer: string; clientId: string }): DPoP {
  return createDPoP(typeof indexedDB === 'undefined' ? {} : { keyStore: new IndexedDbDPoPKeyStore(client.issuer, client.clientId) })
}
