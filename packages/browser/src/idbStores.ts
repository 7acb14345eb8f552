import { createStore, promisifyRequest, type UseStore } from 'idb-keyval'
import { createDPoP, type DPoP, type DPoPKeyStore, type TokenSet, type TokenStore, type Transaction, type TransactionStore } from '@realmauth/core'

let shared: UseStore | undefined

/** One IndexedDB database for realmauth, opened on first use (never at import: SSR-safe). */
export function database(): UseStore {
  shared ??= createStore('realmauth', 'keyval')
  return shared
}

/**
 * Writes `value` under `key`, or deletes the key when `value` is undefined. idb-keyval's own
 * `get`/`set`/`del` would also bring its default database, which realmauth never opens.
 */
function write(key: string, value?: unknown): Promise<void> {
  return database()('readwrite', (store) => {
    if (value === undefined) store.delete(key)
    else store.put(value, key)
    return promisifyRequest(store.transaction)
  })
}

/** One value under one key of realmauth's database: what the token and key stores are. */
class IdbEntry<T> {
  constructor(private readonly key: string) {}
  get(): Promise<T | undefined> {
    return database()('readonly', (store) => promisifyRequest(store.get(this.key)))
  }
  set(value: T): Promise<void> {
    return write(this.key, value)
  }
  remove(): Promise<void> {
    return write(this.key)
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
  set(state: string, transaction: Transaction): Promise<void> {
    return write(`tx:${state}`, transaction)
  }
  /** Reads and deletes in one transaction: two tabs given the same callback cannot both take it. */
  take(state: string): Promise<Transaction | undefined> {
    return database()('readwrite', (store) => {
      const read = store.get(`tx:${state}`)
      store.delete(`tx:${state}`)
      return promisifyRequest(store.transaction).then(() => read.result as Transaction | undefined)
    })
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
