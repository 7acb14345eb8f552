import type { RealmConfig, SigningJwk } from '../model/index.js'
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
  /**
   * A fixed public origin (`https://id.example.com`) for issuers, DPoP `htu` and the sign-in
   * page's same-origin check; by default the origin each request came to. An `https` origin
   * makes the session cookie `Secure` even when a proxy that ends TLS forwards plain HTTP.
   */
  origin?: string
  realms: RealmConfig[]
  /**
   * Private JWKs to sign with, at most one per algorithm matters: they sign for their
   * algorithm and are never written to the store. For an algorithm without one, keys are
   * generated and kept in the store's key ring (with `key_encryption_secret`) or in memory.
   */
  keys?: SigningJwk[]
  /**
   * Seals the private signing keys kept in the store (AES-256-GCM, key derived with HKDF); at
   * least 16 characters, the same for every instance on the store. Without it keys are
   * generated per process and kept in memory, and a store that already holds keys is refused.
   * The CLI reads it from `REALMAUTH_KEY_SECRET` too (decisions/0031).
   */
  key_encryption_secret?: string
  /**
   * The secret salt of pairwise subjects (AM's "Subject Identifier Hash Salt"). Defaults to
   * `key_encryption_secret`; with neither, pairwise subjects last only as long as the
   * process's own signing key, so set one wherever pairwise clients matter.
   */
  pairwise_subject_salt?: string
  /** Seconds between two reads of the store's key ring, to see other instances' rotations; default 5. */
  key_refresh_seconds?: number
  /** Rotates each generated signing key once it is this many seconds old; default 0, never. */
  key_rotation_seconds?: number
  /**
   * Seconds a key rotated on schedule (or by `realmauth-server keys rotate`) is published
   * before it signs, so every instance and cached JWKS knows it first; default 600.
   */
  key_publish_ahead_seconds?: number
  /**
   * Session cookie name; AM's default `iPlanetDirectoryPro`. Also the request header a client
   * without cookies sends the SSO token in, so it must be an HTTP token (refused at start otherwise).
   */
  cookie_name?: string
  /** Largest request body accepted, in bytes; default 65536. */
  max_body_bytes?: number
  /** Milliseconds since the epoch; tests pass a clock they move. */
  clock?: () => number
  /** Used to fetch clients' `jwks_uri` and `request_uri`. */
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
  /**
   * Milliseconds the provider waits for a client's `request_uri` (RFC 9101) to answer,
   * body included, before `invalid_request_uri`; default 5000.
   */
  request_uri_timeout_ms?: number
}
