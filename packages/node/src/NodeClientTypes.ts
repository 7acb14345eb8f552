// The types of createNodeClient (NodeClient.ts): its options, the client it returns and what
// that client's methods answer.
import type { AuthClientOptions, AuthorizationRequest, IdTokenClaims, OidcClient, OidcClientOptions, RetryPolicy, TokenSet, Transaction } from '@realmauth/core'
import type * as oauth from 'oauth4webapi'
import type { ClientAuthOptions } from './clientAuthentication.js'
import type { JwtBearerOptions } from './jwtBearerAssertion.js'
import type { DecryptionKey } from './decryptionKey.js'
import type { ClientCertificateOptions } from './mtlsFetch.js'

/** Options of {@link createNodeClient}. */
export interface NodeClientOptions extends Omit<OidcClientOptions, 'clientAuth' | 'decrypt'>, Pick<AuthClientOptions, 'random'> {
  /** How the client authenticates; `{ method: 'none' }` for public clients such as CLIs. */
  auth: ClientAuthOptions
  /**
   * The private key (or keys, RSA and EC) the provider encrypts this client's ID tokens,
   * userinfo and introspection answers to (`*_encrypted_response_alg`): they are decrypted,
   * then verified as signed ones are.
   *
   * @example
   * ```ts
   * const client = await createNodeClient({ issuer, clientId: 'rp', auth: { method: 'client_secret_basic', clientSecret: 's3cret' }, decryptionKey: process.env.ENC_KEY_PEM! })
   * ```
   */
  decryptionKey?: DecryptionKey | readonly DecryptionKey[]
  /**
   * Ask for introspection answers as signed JWTs (RFC 9701), verified against the provider's
   * keys. Default false; a JWT answer is verified either way.
   */
  introspectionJwt?: boolean
  /**
   * A TLS client certificate to present on every request to the provider (RFC 8705): the
   * credential of `tls_client_auth` and `self_signed_tls_client_auth`, and what
   * certificate-bound tokens are bound to; `client.fetch` presents it to your APIs too. Not
   * with `fetch`: wrap that in {@link mtlsFetch} yourself.
   *
   * @example
   * ```ts
   * const client = await createNodeClient({ issuer, clientId: 'svc', auth: { method: 'tls_client_auth' }, clientCertificate: { cert: readFileSync('svc.pem', 'utf8'), key: readFileSync('svc.key', 'utf8') } })
   * ```
   */
  clientCertificate?: ClientCertificateOptions
  /** Waits `ms` or rejects when `signal` aborts; inject one that moves a test clock. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>
  /** Renew cached client-credentials tokens this many seconds early, at most half their life. Default 60. */
  marginSeconds?: number
  /**
   * Retries of a client-credentials renewal with no valid token to fall back on. Default 3
   * attempts, from 250 ms doubling up to 2 s.
   */
  retry?: RetryPolicy
  /**
   * Send each sign-in's parameters as a signed request object (RFC 9101), by value, or
   * pushed when PAR is used; signed with the `private_key_jwt` key of `auth`. Default false.
   *
   * @example
   * ```ts
   * const web = await createNodeClient({ issuer, clientId: 'web', redirectUri, auth: { method: 'private_key_jwt', privateKey: process.env.CLIENT_KEY_PEM! }, requestObject: true })
   * ```
   */
  requestObject?: boolean
}

/**
 * An access token and how to present it, as in a {@link TokenSet}; a bare string is a Bearer token.
 *
 * @example
 * ```ts
 * const info = await client.tokeninfo({ accessToken: tokens.accessToken, tokenType: tokens.tokenType })
 * ```
 */
export type PresentedToken = string | Pick<TokenSet, 'accessToken' | 'tokenType'>

/** What `device/code` answered (RFC 8628 section 3.2). */
export interface DeviceAuthorization {
  deviceCode: string
  userCode: string
  verificationUri: string
  verificationUriComplete?: string
  /** Seconds. */
  expiresIn: number
  /** Seconds between polls, as the provider asked. */
  interval: number
}

/** AM's `tokeninfo` answer. */
export interface TokenInfo {
  scope: string[]
  expires_in: number
  client_id: string
  [claim: string]: unknown
}

/**
 * A client for servers and tools: confidential web apps (code flow with the transaction
 * kept server-side), services (client credentials with a cache), CLIs (device flow), and
 * the token endpoints around them.
 */
export interface NodeClient {
  readonly oidc: OidcClient
  /** Builds the sign-in URL; keep `transaction` in the user's server-side session. */
  signInUrl(request?: Partial<AuthorizationRequest>): Promise<{ url: URL; transaction: Transaction }>
  /** Validates the callback against the session's transaction and exchanges the code. */
  handleCallback(callbackUrl: string | URL, transaction: Transaction): Promise<TokenSet>
  refresh(refreshToken: string, options?: { scope?: string; previousClaims?: IdTokenClaims }): Promise<TokenSet>
  /** A fresh client-credentials token set, uncached. */
  clientCredentials(options?: { scope?: string; resource?: string }): Promise<TokenSet>
  /**
   * A client-credentials access token from the cache (per scope and resource): renewed
   * early, one request however many callers ask at once, none while a cached token is good.
   */
  getToken(options?: { scope?: string; resource?: string }): Promise<string>
  /**
   * The JWT bearer grant (RFC 7523 section 2.1): a token for the user `subject`, in exchange
   * for an assertion this client signs with its private key (the `private_key_jwt` key unless
   * `privateKey` is given), or for an `assertion` made elsewhere. No refresh token: sign a new
   * assertion for a new token.
   *
   * @example
   * ```ts
   * const tokens = await client.jwtBearer({ subject: 'demo', scope: 'profile' })
   * ```
   */
  jwtBearer(options: JwtBearerOptions): Promise<TokenSet>
  introspect(token: string, hint?: 'access_token' | 'refresh_token'): Promise<oauth.IntrospectionResponse>
  revoke(token: string, hint?: 'access_token' | 'refresh_token'): Promise<void>
  /** AM's `tokeninfo`. Pass the token set (or its `tokenType`) for DPoP tokens. */
  tokeninfo(accessToken: PresentedToken): Promise<TokenInfo>
  userinfo(accessToken: PresentedToken, expectedSubject: string): Promise<oauth.UserInfoResponse>
  /**
   * `fetch` to an API with an access token: `tokens` when given (a user's, from the code
   * flow), else a cached client-credentials token for `scope`/`resource`. DPoP tokens carry
   * a proof; a `use_dpop_nonce` challenge is answered once; a 401 renews a cached
   * client-credentials token once and retries once.
   *
   * @example
   * ```ts
   * const res = await client.fetch('https://api.example.com/orders', { method: 'GET' }, { scope: 'orders.read' })
   * ```
   */
  fetch(input: RequestInfo | URL, init?: RequestInit, options?: { tokens?: PresentedToken; scope?: string; resource?: string }): Promise<Response>
  /** Starts the device grant (RFC 8628). */
  deviceAuthorization(options?: { scope?: string }): Promise<DeviceAuthorization>
  /**
   * Polls until the user answers: waits `interval` between polls, adds 5 s on `slow_down`,
   * fails with `expired_token` or `access_denied`, and stops with `aborted` on the signal.
   * Past the device code's `expires_in` it stops with `expired_token` even while the provider
   * still answers `authorization_pending` or the network fails.
   */
  pollDeviceToken(authorization: DeviceAuthorization, options?: { signal?: AbortSignal; onPoll?: (attempt: number) => void }): Promise<TokenSet>
  /**
   * Where to send the browser to end the provider's session (RP-initiated logout); undefined
   * when the provider has no `end_session_endpoint`. Without a registered
   * `postLogoutRedirectUri`, AM answers 204 No Content and the browser is left on an empty page.
   *
   * @example
   * ```ts
   * const end = await client.endSessionUrl({ idTokenHint: tokens.idToken, postLogoutRedirectUri: 'https://app.example.com/' })
   * ```
   */
  endSessionUrl(options?: { idTokenHint?: string; postLogoutRedirectUri?: string; state?: string }): Promise<URL | undefined>
}
