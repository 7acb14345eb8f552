/**
 * Persistence for several provider processes behind one address: the PostgreSQL
 * {@link PostgresStore}. A separate entry, so that `@realmauth/server` never loads `pg` (an
 * optional dependency). Every instance signs with the keys kept in the store, sealed under the
 * same `key_encryption_secret`.
 *
 * @example
 * ```ts
 * import { createProvider } from '@realmauth/server'
 * import { PostgresStore } from '@realmauth/server/postgres'
 * const provider = createProvider({
 *   ...config,
 *   key_encryption_secret: process.env.REALMAUTH_KEY_SECRET, // the same in every instance
 *   store: await PostgresStore.open(process.env.DATABASE_URL!),
 * })
 * ```
 *
 * @packageDocumentation
 * @module @realmauth/server/postgres
 */
export { PostgresStore, type PostgresStoreOptions } from './store/PostgresStore.js'
export { PostgresUnavailableError } from './store/openPostgres.js'
