import type { Client, ClientConfig } from './client.js'
import type { Journey, JourneyConfig } from './journey.js'
import type { Lifetimes, RealmSettings } from './settings.js'
import type { User, UserConfig } from './user.js'

/** A realm: its OAuth2 Provider settings, clients and users. */
export interface RealmConfig extends Lifetimes {
  /** `alpha`, or `alpha/beta` for a sub-realm; `/` is the root realm. */
  name: string
  /** Device code lifetime in seconds; default 300. */
  device_code_lifetime?: number
  /** Device polling interval in seconds, at least 1; default 5. */
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
  /** AM's "Allow Clients to Skip Consent": a client's `implied_consent` works only when this is on too. Default false, as in AM. */
  allow_implied_consent?: boolean
  /** Send `iss` in authorization responses (RFC 9207). Default true. */
  authorization_response_iss?: boolean
  /** Open `register` to anonymous RFC 7591 registration. Default false. */
  allow_dynamic_registration?: boolean
  /**
   * How many clients `register` may create in this realm; default 1000. Past it registration
   * answers 403: open registration must not be a way to fill the store.
   */
  registration_limit?: number
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
  /**
   * AM's "Always Return Claims in ID Tokens". Off (AM's default), an ID token that comes with
   * an access token carries only the protocol claims (`sub`, `auth_time`, `nonce`, `acr`,
   * `amr`, `at_hash`, …) and the scope claims (`name`, `email`, …, and a user's custom
   * `claims`) are read at `userinfo`; only a `response_type=id_token` flow, which has no access
   * token to call `userinfo` with, puts them in the ID token (OpenID Connect Core 5.4). On, every
   * ID token carries them. Default false.
   *
   * @example
   * ```ts
   * const realm: RealmConfig = { name: 'alpha', always_return_claims_in_id_tokens: true, clients }
   * ```
   */
  always_return_claims_in_id_tokens?: boolean
  /**
   * Journeys (AM authentication trees) by name, run at `json/…/authenticate` and by the sign-in
   * page. A `Login` journey (username and password) is added unless one is given here.
   *
   * @example
   * ```ts
   * const realm: RealmConfig = {
   *   name: 'alpha',
   *   journeys: {
   *     Welcome: {
   *       entry: 'hello',
   *       nodes: { hello: { type: 'Message', message: 'Welcome', outcomes: { true: 'login' } }, login: { type: 'Success' } },
   *     },
   *   },
   * }
   * ```
   */
  journeys?: Record<string, JourneyConfig>
  /**
   * Origins besides those of the realm's clients' redirect URIs that may call the provider
   * with credentials (AM's CORS filter's accepted origins).
   *
   * @example
   * ```ts
   * const realm: RealmConfig = { name: 'alpha', cors_origins: ['https://app.example.com'] }
   * ```
   */
  cors_origins?: string[]
  clients?: ClientConfig[]
  users?: UserConfig[]
}

export interface Realm {
  /** `/alpha/beta`; `/` for the root realm. */
  path: string
  segments: string[]
  settings: RealmSettings
  clients: Map<string, Client>
  users: Map<string, User>
  journeys: Map<string, Journey>
  /** Origins allowed credentialed CORS besides the clients' own (`cors_origins`). */
  corsOrigins: string[]
}
