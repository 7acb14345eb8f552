import type { Store } from './store/Store.js'

/** Token lifetimes in seconds, set per realm and overridable per client. */
export interface Lifetimes {
  /** Access token lifetime; default 3600. 0 makes issued access tokens invalid at once. */
  access_token_lifetime?: number
  /** Refresh token lifetime; default 604800; -1 never expires. */
  refresh_token_lifetime?: number
  /** Authorization code lifetime; default 120. */
  authorization_code_lifetime?: number
  /** ID token lifetime; default 3600. */
  id_token_lifetime?: number
}

/**
 * A client, described with RFC 7591 metadata names plus provider fields in the same case.
 *
 * @example
 * ```ts
 * const spa: ClientConfig = {
 *   client_id: 'spa',
 *   token_endpoint_auth_method: 'none',
 *   redirect_uris: ['http://localhost:5173/callback'],
 *   grant_types: ['authorization_code', 'refresh_token'],
 *   scope: 'openid profile email',
 * }
 * ```
 */
export interface ClientConfig extends Lifetimes {
  client_id: string
  client_secret?: string
  client_name?: string
  /** Shown on the consent page. */
  description?: string
  policy_uri?: string
  logo_uri?: string
  redirect_uris?: string[]
  post_logout_redirect_uris?: string[]
  /** Default `['authorization_code']`. */
  grant_types?: string[]
  /** Default `['code']`. */
  response_types?: string[]
  /** Default `client_secret_basic` when a secret is set, `private_key_jwt` when keys are, else `none`. */
  token_endpoint_auth_method?: 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt' | 'none'
  /** Space-separated scopes the client may ask for. Default `openid profile email address phone`. */
  scope?: string
  /** Scopes used when a request names none. Default: all allowed scopes. */
  default_scopes?: string[]
  /** Skips the consent page (needs the realm's `allow_implied_consent`). Default false. */
  implied_consent?: boolean
  /** Public keys for `private_key_jwt`. */
  jwks?: { keys: Record<string, unknown>[] }
  jwks_uri?: string
  /** An X.509 certificate or SPKI public key (PEM) for `private_key_jwt`. */
  public_key_pem?: string
  /** Signing algorithm of this client's ID tokens. Default `RS256`. */
  id_token_signed_response_alg?: 'RS256' | 'ES256'
  /** Allow any port on loopback redirect URIs (RFC 8252 section 7.3). Default false. */
  allow_wildcard_ports?: boolean
  subject_type?: 'public' | 'pairwise'
  /** Seconds after which a session's sign-in is too old for this client (OIDC `max_age`). */
  default_max_age?: number
  /** Require PKCE even from confidential clients. Public clients always need it. */
  require_pkce?: boolean
  /**
   * RFC 9449 section 5.2: every token request of this client must carry a `DPoP` proof; one
   * without is refused with `invalid_request`. Default false: a proof is optional, and binds
   * the tokens when sent.
   *
   * @example
   * ```ts
   * const spa: ClientConfig = { client_id: 'spa', token_endpoint_auth_method: 'none', redirect_uris: ['http://localhost:5173/cb'], dpop_bound_access_tokens: true }
   * ```
   */
  dpop_bound_access_tokens?: boolean
  /**
   * RFC 9126 section 6: `authorize` accepts this client's requests only through a
   * `request_uri` from the `par` endpoint. Default false (or the realm's setting).
   *
   * @example
   * ```ts
   * const web: ClientConfig = { client_id: 'web', client_secret: 's3cret', redirect_uris: ['https://app.example/cb'], require_pushed_authorization_requests: true }
   * ```
   */
  require_pushed_authorization_requests?: boolean
}

/** A user of a realm: credentials and OIDC standard claims. */
export interface UserConfig {
  username: string
  password: string
  /** Overrides `sub`; default the username, as AM does. */
  sub?: string
  name?: string
  given_name?: string
  family_name?: string
  middle_name?: string
  nickname?: string
  preferred_username?: string
  profile?: string
  picture?: string
  website?: string
  gender?: string
  birthdate?: string
  zoneinfo?: string
  locale?: string
  updated_at?: number
  email?: string
  email_verified?: boolean
  phone_number?: string
  phone_number_verified?: boolean
  address?: Record<string, string>
}

/** A realm: its OAuth2 Provider settings, clients and users. */
export interface RealmConfig extends Lifetimes {
  /** `alpha`, or `alpha/beta` for a sub-realm; `/` is the root realm. */
  name: string
  /** Device code lifetime in seconds; default 300. */
  device_code_lifetime?: number
  /** Device polling interval in seconds; default 5. */
  device_poll_interval?: number
  /** AM's "Issue Refresh Tokens". Default true. */
  issue_refresh_tokens?: boolean
  /** AM's "Issue Refresh Tokens on Refreshing Access Tokens" (rotation). Default true. */
  issue_refresh_tokens_on_refresh?: boolean
  /**
   * Revoke the whole grant when a rotated-out refresh token comes back (RFC 9700 4.14.2).
   * Default `public`: on for public clients only.
   */
  refresh_token_reuse_detection?: 'all' | 'public' | 'none'
  /** Default `RS256`. */
  access_token_signing_alg?: 'RS256' | 'ES256'
  /** AM's "Allow Clients to Skip Consent". Default true. */
  allow_implied_consent?: boolean
  /** Send `iss` in authorization responses (RFC 9207). Default true. */
  authorization_response_iss?: boolean
  /** Open `register` to anonymous RFC 7591 registration. Default false. */
  allow_dynamic_registration?: boolean
  /**
   * RFC 9126 section 5: every client of the realm must push its authorization requests to
   * `par` and send only the `request_uri` to `authorize`. Default false.
   *
   * @example
   * ```ts
   * const realm: RealmConfig = { name: 'alpha', require_pushed_authorization_requests: true, clients }
   * ```
   */
  require_pushed_authorization_requests?: boolean
  /**
   * Seconds a `request_uri` from `par` stays usable at `authorize` (its `expires_in`).
   * Default 60. A sign-in started in time may finish after it.
   *
   * @example
   * ```ts
   * const realm: RealmConfig = { name: 'alpha', par_lifetime: 90 }
   * ```
   */
  par_lifetime?: number
  /**
   * RFC 9449 sections 8 and 9: DPoP proofs at `access_token`, `userinfo` and `tokeninfo` must
   * carry a nonce this provider issued. A proof without one, or with a stale one, is answered
   * `use_dpop_nonce` with a fresh nonce in the `DPoP-Nonce` header; nonces rotate every five
   * minutes and the previous one is still accepted. Default false.
   *
   * @example
   * ```ts
   * const realm: RealmConfig = { name: 'alpha', dpop_nonce: true, clients }
   * ```
   */
  dpop_nonce?: boolean
  clients?: ClientConfig[]
  users?: UserConfig[]
}

/** A private signing key as a JWK with `kid`, for RS256 or ES256. */
export type SigningJwk = Record<string, unknown> & { kid?: string; alg?: string }

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
  /** Private JWKs to sign with; one RS256 and one ES256 key are generated when absent. */
  keys?: SigningJwk[]
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
}
