import {
  AuthError,
  OidcClient,
  fetchUserInfo,
  tokenGrant,
  type RetryPolicy,
  type TokenSet,
} from '@realmauth/core'
import { dueForRenewal, retry, retryPolicy, toAuthError } from '@realmauth/core/internal'
import * as oauth from 'oauth4webapi'
import { clientAuthentication } from './clientAuthentication.js'
import { introspect } from './introspect.js'
import { requestObjectSigner } from './requestObject.js'
import { jwtBearerAssertion } from './jwtBearerAssertion.js'
import { nodeDecrypter } from './decryptionKey.js'
import { mtlsFetch } from './mtlsFetch.js'
import type { NodeClient, NodeClientOptions, PresentedToken, TokenInfo } from './NodeClientTypes.js'

/**
 * A service renewing a token it has no valid copy of is blocked on it: shorter waits than a
 * browser's background refresh.
 */
const RENEW_RETRY: RetryPolicy = { attempts: 3, backoffMs: 250, maxBackoffMs: 2000 }

const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code'
const JWT_BEARER_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer'

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
        const body = await oidc.request(as.device_authorization_endpoint, async (opts) => {
          const res = await oauth.deviceAuthorizationRequest(as, oidc.oauthClient(), oidc.auth, { scope: deviceOptions.scope ?? options.scope ?? 'openid profile' }, opts)
          return oauth.processDeviceAuthorizationResponse(as, oidc.oauthClient(), res)
        })
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
          const waiting = error.error === 'authorization_pending' || error.error === 'slow_down'
          // RFC 8628 3.2: the device code lives `expires_in`; past it, a provider still saying
          // "pending" (or a network still failing) would keep us polling forever.
          if ((waiting || error.retryable) && now() >= deadline) {
            throw new AuthError('expired_token', `Device sign-in: the device code expired after ${authorization.expiresIn} s without an answer`, { error: 'expired_token', cause: err })
          }
          if (error.error === 'slow_down') interval += 5
          if (waiting || error.retryable) continue
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
