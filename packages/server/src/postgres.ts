/**
 * Persistence for several provider processes behind one address: the PostgreSQL
 * {@link PostgresStore}. A separate entry, so that `@realmauth/server` never loads `pg` (an
 * optional dependency). Every instance must sign with the same keys: configure `keys`.
 *
 * @example
 * ```ts
 * import { createProvider } from '@realmauth/server'
 * import { PostgresStore } from '@realmauth/server/postgres'
 * const provider = createProvider({
 *   ...config,
 *   keys, // the same private JWKs in every instance
 *   store: await PostgresStore.open(process.env.DATABASE_URL!),
 * })
 * ```
 */
export { PostgresStore, PostgresUnavailableError, type PostgresStoreOptions } from './store/PostgresStore.js'
