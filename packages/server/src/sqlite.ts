/**
 * Persistence for Node: the SQLite {@link SqliteStore} and {@link signingKeyFile}. A separate
 * entry, so that `@realmauth/server` (used in browsers through msw) never reaches native code.
 *
 * @example
 * ```ts
 * import { createProvider } from '@realmauth/server'
 * import { SqliteStore, signingKeyFile } from '@realmauth/server/sqlite'
 * const provider = createProvider({
 *   ...config,
 *   store: new SqliteStore({ path: 'data/provider.db' }),
 *   keys: await signingKeyFile('data/provider.keys.json'),
 * })
 * ```
 */
export { SqliteStore, SqliteUnavailableError, type SqliteStoreOptions } from './store/SqliteStore.js'
export { signingKeyFile, keyFileFor } from './keys/keyFile.js'
