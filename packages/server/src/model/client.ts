import type { Lifetimes, ResolvedLifetimes } from './settings.js'
import type { AuthMethod, EncryptionAlg, EncryptionEnc, SigningAlg, TLS_CLIENT_AUTH_FIELDS } from './protocol.js'

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
  /**
   * Default: all seven, as in AM. Those returning tokens from `authorize` (all but `code`)
   * also need `implicit` in `grant_types`.
   */
  response_types?: string[]
  /**
   * Default `client_secret_basic` when a secret is set (then a secret in the form body is
   * taken too, as AM does), `private_key_jwt` when keys are, else `none`.
   */
  token_endpoint_auth_method?:
    | 'client_secret_basic'
    | 'client_secret_post'
    | 'private_key_jwt'
    | 'tls_client_auth'
    | 'self_signed_tls_client_auth'
    | 'none'
  /**
   * RFC 8705 section 2.1.2, with `tls_client_auth`: the subject DN (RFC 4514, most specific
   * first) the client's certificate must carry. Exactly one of this and the four
   * `tls_client_auth_san_*` fields is set; the certificate must also chain to the CA the TLS
   * layer trusts for client certificates (the CLI's `--tls-client-ca`).
   *
   * @example
   * ```ts
   * const svc: ClientConfig = { client_id: 'svc', token_endpoint_auth_method: 'tls_client_auth', tls_client_auth_subject_dn: 'CN=svc,O=Example,C=GB', grant_types: ['client_credentials'] }
   * ```
   */
  tls_client_auth_subject_dn?: string
  /** RFC 8705: a `dNSName` the certificate's subjectAltName must hold. */
  tls_client_auth_san_dns?: string
  /** RFC 8705: a `uniformResourceIdentifier` the certificate's subjectAltName must hold. */
  tls_client_auth_san_uri?: string
  /** RFC 8705: an `iPAddress` (dotted IPv4, or IPv6 text) the certificate's subjectAltName must hold. */
  tls_client_auth_san_ip?: string
  /** RFC 8705: an `rfc822Name` the certificate's subjectAltName must hold. */
  tls_client_auth_san_email?: string
  /**
   * RFC 8705 section 3: access tokens carry `cnf.x5t#S256` of the client certificate the token
   * request came with, and are good only over a connection presenting that certificate
   * (userinfo, tokeninfo; introspection returns `cnf`). A public client's refresh tokens are
   * bound too. Token requests without a certificate are refused. Default false.
   *
   * @example
   * ```ts
   * const svc: ClientConfig = { client_id: 'svc', token_endpoint_auth_method: 'self_signed_tls_client_auth', jwks: { keys: [] }, tls_client_certificate_bound_access_tokens: true }
   * ```
   */
  tls_client_certificate_bound_access_tokens?: boolean
  /** Space-separated scopes the client may ask for. Default `openid profile email address phone`. */
  scope?: string
  /** Scopes used when a request names none. Default: all allowed scopes. */
  default_scopes?: string[]
  /** Skips the consent page (needs the realm's `allow_implied_consent`). Default false. */
  implied_consent?: boolean
  /** Public keys for `private_key_jwt` and the JWT bearer grant, and to encrypt this client's ID tokens, userinfo and introspection answers. */
  jwks?: { keys: Record<string, unknown>[] }
  jwks_uri?: string
  /**
   * AM's "Client JWT Bearer Public Key": an X.509 certificate or SPKI public key (PEM) that
   * verifies the client's `private_key_jwt` assertions and its JWT bearer grants (RFC 7523).
   */
  public_key_pem?: string
  /** Signing algorithm of this client's ID tokens. Default `RS256`. */
  id_token_signed_response_alg?: 'RS256' | 'ES256'
  /**
   * Encrypts this client's ID tokens (signed first) to its key in `jwks` or at `jwks_uri`.
   * `_enc` defaults to `A128CBC-HS256`, as OpenID Connect says.
   *
   * @example
   * ```ts
   * const rp: ClientConfig = {
   *   client_id: 'rp', client_secret: 's3cret', redirect_uris: ['https://rp.example/cb'],
   *   jwks: { keys: [{ kty: 'RSA', n: '…', e: 'AQAB', use: 'enc' }] },
   *   id_token_encrypted_response_alg: 'RSA-OAEP-256', id_token_encrypted_response_enc: 'A256GCM',
   * }
   * ```
   */
  id_token_encrypted_response_alg?: EncryptionAlg
  id_token_encrypted_response_enc?: EncryptionEnc
  /** Userinfo answers as a signed JWT (`application/jwt`). Default: plain JSON. */
  userinfo_signed_response_alg?: 'RS256' | 'ES256'
  /**
   * Userinfo answers encrypted to the client's key: the signed JWT when
   * `userinfo_signed_response_alg` is set, else the JSON claims. `_enc` defaults to `A128CBC-HS256`.
   */
  userinfo_encrypted_response_alg?: EncryptionAlg
  userinfo_encrypted_response_enc?: EncryptionEnc
  /** RFC 9701: how a JWT introspection answer (`Accept: application/token-introspection+jwt`) is signed. Default `RS256`. */
  introspection_signed_response_alg?: 'RS256' | 'ES256'
  /** RFC 9701: JWT introspection answers are signed, then encrypted to the client's key. `_enc` defaults to `A128CBC-HS256`. */
  introspection_encrypted_response_alg?: EncryptionAlg
  introspection_encrypted_response_enc?: EncryptionEnc
  /**
   * AM's "Allow wildcard ports in redirect URLs", for loopback hosts only: a redirect URI may
   * write its port as a pattern (`http://localhost:*` then a path, `https://[::1]:*443`,
   * `http://127.0.0.1:80*`), and a loopback URI with a plain port accepts any port (RFC 8252
   * section 7.3). Default false.
   *
   * @example
   * ```ts
   * const cli: ClientConfig = { client_id: 'cli', token_endpoint_auth_method: 'none', redirect_uris: ['http://127.0.0.1:*' + '/callback'], allow_wildcard_ports: true }
   * ```
   */
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
  /**
   * OpenID Dynamic Client Registration: the `request_uri` values (RFC 9101) this client may
   * send; the provider fetches only these, each `https:` or on a loopback host. Requires the
   * client's keys (`jwks`, `jwks_uri` or `public_key_pem`), which sign the request objects.
   *
   * @example
   * ```ts
   * const web: ClientConfig = { client_id: 'web', jwks_uri: 'https://web.example/jwks', redirect_uris: ['https://web.example/cb'], request_uris: ['https://web.example/request.jwt'] }
   * ```
   */
  request_uris?: string[]
  /**
   * The only algorithm this client's request objects may be signed with. Default: any of
   * the asymmetric ones discovery lists; never `none`.
   */
  request_object_signing_alg?: 'RS256' | 'RS384' | 'RS512' | 'PS256' | 'PS384' | 'PS512' | 'ES256' | 'ES384' | 'ES512' | 'EdDSA' | 'Ed25519'
  /**
   * `acr` values asked for when a request has no `acr_values` (AM's "Default ACR values"),
   * in order of preference: the first one a journey maps chooses that journey.
   *
   * @example
   * ```ts
   * const bank: ClientConfig = { client_id: 'bank', client_secret: 's3cret', redirect_uris: ['https://bank.example/cb'], default_acr_values: ['mfa'] }
   * ```
   */
  default_acr_values?: string[]
  /**
   * AM's Client Management "Access Token": the `registration_access_token` with which this
   * client reads its registration (RFC 7592: `GET register?client_id=…` with
   * `Authorization: Bearer`). A configured client is changed in the config, so `PUT` and
   * `DELETE` on it are refused with 403; a client made by `register` gets a token of its own
   * and may read, update and delete itself.
   *
   * @example
   * ```ts
   * const web: ClientConfig = { client_id: 'web', client_secret: 's3cret', redirect_uris: ['https://app.example/cb'], registration_access_token: process.env.WEB_REGISTRATION_TOKEN! }
   * ```
   */
  registration_access_token?: string
  /**
   * AM's "Claim(s)": how the consent pages name the claims this client receives, in the
   * user's language. Each entry is `claim`, `claim|description` (for every language) or
   * `claim|locale|description` (`en`, `en_GB` or `en-GB`). The page picks, per claim, the
   * description for the request's `ui_locales`, else the user's `locale`, else the browser's
   * `Accept-Language`, else the one without a locale, else AM's default words, else the claim's
   * name. It changes only what the page says: which claims are released is the scopes' doing,
   * as in AM.
   *
   * @example
   * ```ts
   * const web: ClientConfig = {
   *   client_id: 'web', client_secret: 's3cret', redirect_uris: ['https://app.example/cb'],
   *   claims: ['name|Your full name', 'name|fr|Votre nom complet', 'email|en_GB|Email address for receipts'],
   * }
   * ```
   */
  claims?: string[]
}

export interface Client {
  id: string
  secret?: string
  /** A registered client's secret as its base64url SHA-256: the store never holds the secret. */
  secretDigest?: string
  /** A configured client's `registration_access_token` (RFC 7592). */
  registrationAccessToken?: string
  /** A registered client's `registration_access_token` as its base64url SHA-256. */
  registrationTokenDigest?: string
  /** Seconds since the epoch when `register` issued a registered client's id. */
  issuedAt?: number
  name: string
  description?: string
  policyUri?: string
  logoUri?: string
  redirectUris: string[]
  postLogoutRedirectUris: string[]
  grantTypes: Set<string>
  responseTypes: Set<string>
  authMethod: AuthMethod
  /**
   * A secret client whose `token_endpoint_auth_method` was not set: AM takes its secret in a
   * Basic header or in the form body alike (seed 002's worked example sends the body).
   */
  eitherSecretMethod: boolean
  isPublic: boolean
  allowedScopes: Set<string>
  defaultScopes: string[]
  impliedConsent: boolean
  jwks?: { keys: Record<string, unknown>[] }
  jwksUri?: string
  publicKeyPem?: string
  idTokenAlg: SigningAlg
  /** `id_token_encrypted_response_*`: ID tokens are signed, then encrypted so. */
  idTokenEncryption?: Encryption
  /** `userinfo_signed_response_alg`: userinfo answers `application/jwt`. */
  userinfoAlg?: SigningAlg
  userinfoEncryption?: Encryption
  /** RFC 9701 `introspection_signed_response_alg`, RS256 unless set. */
  introspectionAlg: SigningAlg
  introspectionEncryption?: Encryption
  allowWildcardPorts: boolean
  subjectType: 'public' | 'pairwise'
  defaultMaxAge?: number
  requirePkce: boolean
  /** RFC 9449 `dpop_bound_access_tokens`: token requests without a proof are refused. */
  dpopBound: boolean
  /** RFC 9126 `require_pushed_authorization_requests` of the client. */
  requirePar: boolean
  /** Pre-registered `request_uris`: the only ones the provider fetches for this client. */
  requestUris: string[]
  /** `request_object_signing_alg`, when the client registered one. */
  requestObjectAlg?: string
  /** `default_acr_values`: the `acr_values` of a request that names none. */
  defaultAcrValues: string[]
  /** `tls_client_auth`: the certificate field the client is known by, a subject DN as parsed pairs. */
  tlsSubject?: { field: (typeof TLS_CLIENT_AUTH_FIELDS)[number]; value: string; dn?: [string, string][] }
  /** RFC 8705 `tls_client_certificate_bound_access_tokens`. */
  certificateBound: boolean
  /** AM's "Claim(s)": the consent pages' words for claims, from `claims` entries that carry a description. */
  claimDescriptions: ClaimDescription[]
  lifetimes: ResolvedLifetimes
}

/** How a JWT sent to a client is encrypted to its public key (`*_encrypted_response_alg` and `_enc`). */
export interface Encryption {
  alg: EncryptionAlg
  enc: EncryptionEnc
}

/** One `claim|locale|description` entry of a client's `claims`: `locale` lower case with `-`, absent for every language. */
export interface ClaimDescription {
  claim: string
  locale?: string
  description: string
}
