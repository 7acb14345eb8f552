import type { PersistedSigningKeys } from '../keys/index.js'
import type { RealmConfig } from '../model/index.js'
import type { Store } from '../store/Store.js'

export type { ClientConfig, Lifetimes, RealmConfig, SigningJwk, UserConfig } from '../model/index.js'

/**
 * Everything `createProvider` takes. JSON-serialisable except the injected `clock`,
 * `fetch` and `store`.
 *
 * @example
 * ```ts
 * const config: ProviderConfig = {
 *   realms: [{ name: 'alpha', clients: [{ client_id: 'm2m', client_secret: 's3cret', grant_types: ['client_credentials'] }] }],
 * }
 * ```
 */
export interface ProviderConfig {
  /** `''` (default), `/am` as in Identity Cloud, or `/openam` as in classic AM. */
  base_path?: string
  /** A fixed origin for issuers; by default the origin each request came to. */
  origin?: string
  realms: RealmConfig[]
  /**
   * Private JWKs to sign with; one RS256 and one ES256 key are generated when absent. Keys
   * tied to a store with `persistSigningKeys` have rotations written back to it.
   */
  keys?: PersistedSigningKeys
  /** Session cookie name; AM's default `iPlanetDirectoryPro`. */
  cookie_name?: string
  /** Largest request body accepted, in bytes; default 65536. */
  max_body_bytes?: number
  /** Milliseconds since the epoch; tests pass a clock they move. */
  clock?: () => number
  /** Used to fetch clients' `jwks_uri`. */
  fetch?: typeof fetch
  /** Where codes, tokens, sessions and grants live; in memory by default. */
  store?: Store
  /**
   * How long one store operation may take, in milliseconds, before the request is answered
   * 503 `temporarily_unavailable`; default 5000.
   */
  store_timeout_ms?: number
  /**
   * How far ahead a `private_key_jwt` client assertion's `exp` may lie, in seconds; default 300.
   * Further is `invalid_client`: the assertion's `jti` is remembered until it expires.
   */
  max_client_assertion_lifetime?: number
}
