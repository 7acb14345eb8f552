/**
 * Persistence for Node: the SQLite {@link SqliteStore}. A separate entry, so that
 * `@realmauth/server` (used in browsers through msw) never reaches native code. Signing keys
 * are kept in the store too, sealed, when the provider has a `key_encryption_secret`.
 *
 * @example
 * ```ts
 * import { createProvider } from '@realmauth/server'
 * import { SqliteStore } from '@realmauth/server/sqlite'
 * const provider = createProvider({
 *   ...config,
 *   store: new SqliteStore({ path: 'data/provider.db' }),
 *   key_encryption_secret: process.env.REALMAUTH_KEY_SECRET,
 * })
 * ```
 *
 * @packageDocumentation
 * @module @realmauth/server/sqlite
 */
export { SqliteStore, SqliteUnavailableError, type SqliteStoreOptions } from './store/SqliteStore.js'
