import {
  AuthError,
  OidcClient,
  fetchUserInfo,
  tokenGrant,
  type AuthClientOptions,
  type AuthorizationRequest,
  type IdTokenClaims,
  type OidcClientOptions,
  type RetryPolicy,
  type TokenSet,
  type Transaction,
} from '@realmauth/core'
import { dueForRenewal, retry, retryPolicy, toAuthError } from '@realmauth/core/internal'
import * as oauth from 'oauth4webapi'
import { clientAuthentication, type ClientAuthOptions } from './clientAuthentication.js'
import { introspect } from './introspect.js'
import { requestObjectSigner } from './requestObject.js'
import { jwtBearerAssertion, type JwtBearerOptions } from './jwtBearerAssertion.js'
import { nodeDecrypter, type DecryptionKey } from './decryptionKey.js'
import { mtlsFetch, type ClientCertificateOptions } from './mtlsFetch.js'

/**
 * A service renewing a token it has no valid copy of is blocked on it: shorter waits than a
 * browser's background refresh.
 */
const RENEW_RETRY: RetryPolicy = { attempts: 3, backoffMs: 250, maxBackoffMs: 2000 }

const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code'
const JWT_BEARER_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer'

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
   */
  pollDeviceToken(authorization: DeviceAuthorization, options?: { signal?: AbortSignal; onPoll?: (attempt: number) => void }): Promise<TokenSet>
  endSessionUrl(options?: { idTokenHint?: string; postLogoutRedirectUri?: string; state?: string }): Promise<URL | undefined>
}

/**
 * Creates a {@link NodeClient}.
 *
 * @example
 * ```ts
 * const client = await createNodeClient({
 *   issuer: realmIssuer('https://tenant.example.com/am', 'alpha'),
 *   clientId: 'orders-service',
 *   auth: { method: 'private_key_jwt', privateKey: process.env.CLIENT_KEY_PEM! },
 * })
 * const token = await client.getToken({ scope: 'orders.read' })
 * ```
 */
export async function createNodeClient(options: NodeClientOptions): Promise<NodeClient> {
  const clientAuth = await clientAuthentication(options.auth)
  if (options.clientCertificate && options.fetch) {
    throw new AuthError('configuration_error', 'Pass clientCertificate or fetch, not both: wrap your fetch to present the certificate')
  }
  const certificateMethod = options.auth?.method === 'tls_client_auth' || options.auth?.method === 'self_signed_tls_client_auth'
  if (certificateMethod && !options.clientCertificate && !options.fetch) {
    throw new AuthError('configuration_error', `${options.auth.method} needs clientCertificate: { cert, key } (PEM), or a fetch that presents one`)
  }
  const now = options.clock ?? Date.now
  const signRequestObject = options.requestObject ? await requestObjectSigner(options.auth, options.clientId, now) : undefined
  const oidc = new OidcClient({
    ...options,
    clientAuth,
    ...(signRequestObject && { signRequestObject }),
    ...(options.decryptionKey !== undefined && { decrypt: nodeDecrypter(options.decryptionKey) }),
    ...(options.clientCertificate && { fetch: mtlsFetch(options.clientCertificate) }),
  })
  const sleep = options.sleep ?? defaultSleep
  const renewRetry = retryPolicy({ ...RENEW_RETRY, ...options.retry })
  const margin = (options.marginSeconds ?? 60) * 1000
  const cache = new Map<string, { tokens?: TokenSet; inflight?: Promise<TokenSet> }>()

  async function call<T>(during: string, run: (as: oauth.AuthorizationServer) => Promise<T>): Promise<T> {
    const as = await oidc.metadata()
    try {
      return await run(as)
    } catch (err) {
      throw toAuthError(err, during)
    }
  }

  /** A client-credentials token set from the cache (per scope and resource), renewed early, one request at a time. */
  async function cachedTokens(ccOptions: { scope?: string; resource?: string }, force = false): Promise<TokenSet> {
    const key = `${ccOptions.scope ?? ''}\n${ccOptions.resource ?? ''}`
    let entry = cache.get(key)
    if (!entry) cache.set(key, (entry = {}))
    const cached = entry.tokens
    if (cached && !force && !dueForRenewal(cached, now(), margin)) return cached
    entry.inflight ??= renew(ccOptions, force ? undefined : cached).finally(() => {
      entry.inflight = undefined
    })
    try {
      entry.tokens = await entry.inflight
    } catch (err) {
      // A token that is still valid beats an outage; expired ones are never handed out.
      if (!force && cached && (cached.expiresAt === undefined || cached.expiresAt > now()) && (err as AuthError).retryable) return cached
      throw err
    }
    return entry.tokens
  }

  /**
   * Asks for a client-credentials token. While there is no valid token to fall back on, a
   * network error or 5xx is retried as `options.retry` says.
   */
  function renew(ccOptions: { scope?: string; resource?: string }, fallback: TokenSet | undefined): Promise<TokenSet> {
    const usable = () => fallback !== undefined && (fallback.expiresAt === undefined || fallback.expiresAt > now())
    return retry('Client credentials', () => client.clientCredentials(ccOptions), renewRetry, sleep, options.random ?? Math.random, usable)
  }

  const client: NodeClient = {
    oidc,
    signInUrl: (request) => oidc.signInUrl(request),
    handleCallback: (url, transaction) => oidc.handleCallback(new URL(url), transaction),
    refresh: (refreshToken, refreshOptions = {}) => oidc.refresh(refreshToken, refreshOptions),
    clientCredentials: (ccOptions = {}) =>
      tokenGrant(oidc, 'client_credentials', {
        ...(ccOptions.scope !== undefined && { scope: ccOptions.scope }),
        ...(ccOptions.resource !== undefined && { resource: ccOptions.resource }),
      }),
    getToken: async (ccOptions = {}) => (await cachedTokens(ccOptions)).accessToken,
    async jwtBearer(bearerOptions) {
      const as = await oidc.metadata()
      const assertion = await jwtBearerAssertion(bearerOptions, as, options.clientId, options.auth, now())
      return tokenGrant(oidc, JWT_BEARER_GRANT, { assertion, ...(bearerOptions.scope !== undefined && { scope: bearerOptions.scope }) })
    },
    async fetch(input, init, fetchOptions = {}) {
      const { tokens, ...cc } = fetchOptions
      if (tokens !== undefined) return oidc.fetchWithToken(presented(tokens), input, init)
      const request = new Request(input, init)
      const response = await oidc.fetchWithToken(await cachedTokens(cc), request.clone())
      if (response.status !== 401) return response
      void response.body?.cancel().catch(() => {})
      return oidc.fetchWithToken(await cachedTokens(cc, true), request.clone())
    },
    introspect: (token, hint) => introspect(oidc, token, hint, options.introspectionJwt),
    revoke: (token, hint) => oidc.revoke(token, hint),
    tokeninfo: (accessToken) =>
      call('Tokeninfo', async () => {
        const res = await oidc.fetchWithToken(presented(accessToken), `${oidc.issuer}/tokeninfo`, {
          signal: AbortSignal.timeout(options.timeoutMs ?? 30_000),
        })
        const body = (await res.json().catch(() => undefined)) as Record<string, unknown> | undefined
        if (!res.ok || !body || !Array.isArray(body.scope)) {
          const code = res.status === 401 ? 'invalid_token' : res.status >= 500 ? 'server_error' : 'invalid_response'
          throw new AuthError(code, `Tokeninfo answered HTTP ${res.status}`, {
            status: res.status,
            ...(typeof body?.error === 'string' && { error: body.error }),
            ...(typeof body?.error_description === 'string' && { error_description: body.error_description }),
          })
        }
        return body as TokenInfo
      }),
    userinfo: (accessToken, expectedSubject) => {
      const { accessToken: token, tokenType } = presented(accessToken)
      return fetchUserInfo(oidc, token, expectedSubject, tokenType)
    },
    deviceAuthorization: (deviceOptions = {}) =>
      call('Device authorization', async (as) => {
        const res = await oauth.deviceAuthorizationRequest(
          as,
          oidc.oauthClient(),
          oidc.auth,
          { scope: deviceOptions.scope ?? options.scope ?? 'openid profile' },
          oidc.requestOptions(as.device_authorization_endpoint),
        )
        const body = await oauth.processDeviceAuthorizationResponse(as, oidc.oauthClient(), res)
        return {
          deviceCode: body.device_code,
          userCode: body.user_code,
          verificationUri: body.verification_uri,
          ...(body.verification_uri_complete !== undefined && { verificationUriComplete: body.verification_uri_complete }),
          expiresIn: body.expires_in,
          interval: body.interval ?? 5,
        }
      }),
    async pollDeviceToken(authorization, pollOptions = {}) {
      const { signal } = pollOptions
      let interval = authorization.interval
      const deadline = now() + authorization.expiresIn * 1000
      for (let attempt = 1; ; attempt++) {
        if (signal?.aborted) throw new AuthError('aborted', 'Device sign-in was cancelled', { cause: signal.reason })
        await sleep(interval * 1000, signal).catch((cause: unknown) => {
          throw new AuthError('aborted', 'Device sign-in was cancelled', { cause })
        })
        pollOptions.onPoll?.(attempt)
        try {
          return await tokenGrant(oidc, DEVICE_GRANT, { device_code: authorization.deviceCode })
        } catch (err) {
          const error = toAuthError(err, 'Device sign-in')
          if (error.error === 'authorization_pending') continue
          if (error.error === 'slow_down') {
            interval += 5
            continue
          }
          // A network blip while waiting is not the user's answer: keep polling until expiry.
          if (error.retryable && now() < deadline) continue
          throw error
        }
      }
    },
    endSessionUrl: (endOptions = {}) => oidc.endSessionUrl(endOptions),
  }

  return client
}

function presented(token: PresentedToken): Pick<TokenSet, 'accessToken' | 'tokenType'> {
  return typeof token === 'string' ? { accessToken: token, tokenType: 'bearer' } : token
}

function defaultSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason)
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    const onAbort = () => {
      clearTimeout(timer)
      reject(signal!.reason)
    }
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}
