import { createHash, timingSafeEqual } from 'node:crypto'
import { AuthError, ClientSecretBasic, OidcClient, discover, type ServerMetadata } from '@realmauth/core'
import { createRemoteJWKSet, customFetch, jwtVerify, type FetchImplementation, type JWTVerifyGetKey, type RemoteJWKSet } from 'jose'
import { clockToleranceOption } from '@realmauth/core/internal'
import { introspect as introspectAs } from './introspect.js'
import { DPOP_IAT_WINDOW_SECONDS, checkDPoPProof, memoryReplayCache } from './checkDPoPProof.js'
import { AccessTokenError } from './AccessTokenError.js'
import type { AccessTokenClaims, AccessTokenVerifier, AccessTokenVerifierOptions, VerifyOptions } from './AccessTokenVerifier.js'
import { INTROSPECTION_CLAIM_TYPES, JWT_CLAIM_TYPES, checkAudience, extractToken, jwtError, toClaims } from './tokenClaims.js'


const DEFAULT_ALGORITHMS = ['RS256', 'ES256', 'PS256', 'EdDSA']
const ASYMMETRIC = new Set(['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'])
const ACCEPTED_TYP = new Set(['at+jwt', 'application/at+jwt', 'jwt'])
const JWT_CLAIMS = ['iss', 'sub', 'exp', 'iat']
const CACHE_LIMIT = 1000
// RFC 6750 2.1: `Bearer`, spaces, one b64token. The token's characters are checked once,
// by COMPACT_JWS or else B64TOKEN: a second scan of a 1 kB token shows in the bench.
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/

/**
 * Creates a resource server's access token verifier. JWTs are verified locally against
 * the issuer's JWKS (fetched once, refetched when an unknown `kid` appears, so key
 * rotation needs no restart); other tokens go to introspection when it is configured.
 *
 * @example
 * ```ts
 * const verifier = createAccessTokenVerifier({ issuer: 'https://tenant.example.com/am/oauth2/realms/root/realms/alpha', audience: 'orders-api' })
 * app.use(async (req, res, next) => {
 *   try {
 *     req.auth = await verifier.verify(req.headers.authorization, { requiredScopes: ['orders.read'] })
 *     next()
 *   } catch (err) {
 *     if (err instanceof AccessTokenError) res.writeHead(err.status!, { 'www-authenticate': err.wwwAuthenticate }).end()
 *     else next(err)
 *   }
 * })
 * ```
 */
export function createAccessTokenVerifier(options: AccessTokenVerifierOptions): AccessTokenVerifier {
  if (typeof options?.issuer !== 'string' || !URL.canParse(options.issuer)) {
    throw new AuthError('configuration_error', `issuer must be a URL, got ${String(options?.issuer)}`)
  }
  const algorithms = options.algorithms ?? DEFAULT_ALGORITHMS
  const refused = algorithms.filter((a) => !ASYMMETRIC.has(a))
  if (refused.length > 0) throw new AuthError('configuration_error', `algorithms may only name asymmetric JWS algorithms; refused: ${refused.join(', ')}`)
  const audience = checkAudience(options.audience)
  const realm = options.realm ?? options.issuer
  const clock = options.clock ?? Date.now
  const clockTolerance = clockToleranceOption(options.clockTolerance, 5)
  const baseScopes = options.requiredScopes ?? []
  const introspection = options.introspection
  // Looked up per call so msw (or any later patch of the global) is honoured.
  const fetchImpl: typeof fetch = options.fetch ?? ((input, init) => fetch(input, init))
  const invalid = (description: string, cause?: unknown) => new AccessTokenError('invalid_token', description, { realm, cause })
  let issuers: string | string[] = options.issuer

  let metadata: Promise<ServerMetadata> | undefined
  const meta = () =>
    (metadata ??= discover(options.issuer, options.fetch ? { fetch: options.fetch } : {}).then(
      (m) => {
        // discover() keeps the provider's spelling (`:443`), which is what it puts in `iss`.
        if (m.issuer !== options.issuer) issuers = [options.issuer, m.issuer]
        return m
      },
      (err: unknown) => {
        metadata = undefined
        throw err
      },
    ))

  const jwksFetch = (async (url: string, init: RequestInit) => {
    let res: Response
    try {
      res = await fetchImpl(url, init)
    } catch (cause) {
      throw new AuthError('network_error', `JWKS request to ${url} failed: ${(cause as Error)?.message ?? cause}`, { cause })
    }
    if (res.status !== 200) {
      // Not awaited: frees the connection, and some fetch stand-ins (msw) never settle it.
      void res.body?.cancel().catch(() => {})
      throw new AuthError('server_error', `JWKS at ${url} answered HTTP ${res.status}`, { status: res.status })
    }
    return res
  }) as FetchImplementation

  let remote: RemoteJWKSet | undefined
  const createRemote = async () => {
    const uri = options.jwksUri ?? (await meta()).jwks_uri
    if (!uri) throw new AuthError('discovery_failed', `${options.issuer} publishes no jwks_uri`)
    if (!URL.canParse(uri)) throw new AuthError('configuration_error', `jwksUri '${uri}' is not a URL`)
    return (remote ??= createRemoteJWKSet(new URL(uri), {
      [customFetch]: jwksFetch,
      ...(options.jwksCooldown !== undefined && { cooldownDuration: options.jwksCooldown }),
    }))
  }
  // Only the first verification goes through here; after it jose's resolver is called directly.
  const firstKey: JWTVerifyGetKey = async (header, token) => (await createRemote())(header, token)

  async function verifyJwt(token: string): Promise<AccessTokenClaims> {
    let result
    try {
      result = await jwtVerify(token, remote ?? firstKey, {
        issuer: issuers,
        ...(audience !== undefined && { audience }),
        algorithms,
        clockTolerance,
        currentDate: new Date(clock()),
        requiredClaims: JWT_CLAIMS,
      })
    } catch (err) {
      throw jwtError(err, invalid)
    }
    const typ = result.protectedHeader.typ
    // RFC 9068 asks for at+jwt; plain JWT (or none) is what many providers still send.
    if (typ !== undefined && !ACCEPTED_TYP.has(typ.toLowerCase())) throw invalid(`A token of type '${typ}' is not an access token`)
    // AM signs ID tokens with the same key, typ JWT and the client as `aud`, as its access
    // tokens; what tells them apart is its `tokenName`. An ID token leaks more easily (it is
    // an id_token_hint in URLs, kept by SPAs) and must never open an API.
    const tokenName = result.payload.tokenName
    if (tokenName !== undefined && tokenName !== 'access_token') throw invalid(`A token named '${String(tokenName)}' is not an access token`)
    return toClaims(result.payload as Record<string, unknown>, invalid, JWT_CLAIM_TYPES)
  }

  const ttlMs = (introspection?.cacheTtl ?? 60) * 1000
  const cache = new Map<string, { answer: Promise<Record<string, unknown>>; until: number }>()
  let introspector: Promise<OidcClient> | undefined

  async function askProvider(token: string): Promise<Record<string, unknown>> {
    introspector ??= meta().then(
      (metadata) =>
        new OidcClient({
          issuer: options.issuer,
          clientId: introspection!.clientId,
          clientAuth: ClientSecretBasic(introspection!.clientSecret),
          metadata,
          fetch: fetchImpl,
          ...(options.timeoutMs !== undefined && { timeoutMs: options.timeoutMs }),
        }),
    )
    const oidc = await introspector
    if (!(await oidc.metadata()).introspection_endpoint) throw new AuthError('configuration_error', `${options.issuer} publishes no introspection_endpoint`)
    try {
      return (await introspectAs(oidc, token, 'access_token')) as Record<string, unknown>
    } catch (err) {
      const error = err as AuthError
      if (error.error === 'unsupported_token_type') {
        // About the token, not our client: node-oidc-provider, for one, answers this for every
        // JWT access token it issued (it keeps none to look up), so `introspectJwts` cannot work there.
        throw new AuthError(
          'configuration_error',
          `${options.issuer} does not introspect tokens of this kind (unsupported_token_type)${COMPACT_JWS.test(token) ? ': leave introspection.introspectJwts off for this provider' : ''}`,
          { status: error.status!, error: error.error, cause: err },
        )
      }
      if (error.status !== undefined && error.status >= 400 && error.status < 500) {
        // The token is only a form field: a 4xx is about our client credentials or request.
        throw new AuthError('configuration_error', `Introspection refused the resource server's client: ${error.message}`, {
          status: error.status,
          ...(error.error !== undefined && { error: error.error }),
          cause: err,
        })
      }
      if (error.retryable) throw error
      throw new AuthError('server_error', `Introspection answered without an RFC 7662 body: ${error.message}`, { ...(error.status !== undefined && { status: error.status }), cause: err })
    }
  }

  async function introspect(token: string): Promise<Record<string, unknown>> {
    const now = clock()
    let entry = cache.get(token)
    if (!entry || entry.until <= now) {
      const fresh = { answer: askProvider(token), until: now + ttlMs }
      entry = fresh
      cache.delete(token)
      cache.set(token, fresh)
      if (cache.size > CACHE_LIMIT) cache.delete(cache.keys().next().value!)
      fresh.answer.then(
        (body) => {
          if (body.active === true && typeof body.exp === 'number') fresh.until = Math.min(fresh.until, body.exp * 1000)
        },
        // A failed request says nothing about the token: ask again next time.
        () => cache.get(token) === fresh && cache.delete(token),
      )
    }
    const body = await entry.answer
    if (body.active !== true) throw invalid('The access token is not active (expired, revoked or unknown)')
    const nowSec = clock() / 1000
    if (typeof body.token_type === 'string' && !/^(bearer|dpop|access_token)$/i.test(body.token_type)) throw invalid(`A token of type '${body.token_type}' is not an access token`)
    if (typeof body.exp === 'number' && body.exp <= nowSec - clockTolerance) throw invalid('The access token expired')
    if (typeof body.nbf === 'number' && body.nbf > nowSec + clockTolerance) throw invalid('The access token is not valid yet')
    if (body.iss !== undefined && !([] as string[]).concat(issuers).includes(body.iss as string)) throw invalid('The access token was issued by another issuer')
    if (audience !== undefined) {
      const wanted = audience
      const aud = ([] as unknown[]).concat(body.aud ?? [])
      if (!aud.some((a) => wanted.includes(a as string))) throw invalid('The access token is not meant for this audience')
    }
    return body
  }

  const dpopOptions = options.dpop ?? {}
  const replay = dpopOptions.replay ?? memoryReplayCache(100_000, clock)
  const refuse = (code: 'invalid_token' | 'invalid_dpop_proof', description: string) => new AccessTokenError(code, description, { realm, dpopAlgs: algorithms })

  /** RFC 9449 7: a bound token only with a proof by its key; a DPoP token only if bound. */
  async function checkBinding(token: string, dpopScheme: boolean, claims: AccessTokenClaims, request: VerifyOptions['dpop']): Promise<void> {
    const jkt = typeof claims.cnf === 'object' && claims.cnf !== null ? claims.cnf.jkt : undefined
    if (!dpopScheme) {
      if (jkt !== undefined) throw refuse('invalid_token', 'A DPoP-bound access token was sent as a Bearer token')
      if (dpopOptions.required) throw refuse('invalid_token', 'This resource accepts only DPoP-bound access tokens')
      return
    }
    if (typeof jkt !== 'string') throw refuse('invalid_token', 'The access token is not DPoP-bound')
    if (!request) throw new AuthError('configuration_error', 'A DPoP token arrived: pass verify() the request (dpop: { proof, method, url })')
    // Node joins repeated headers with ', ': either form of two proofs is refused.
    const proofs = ([] as (string | null | undefined)[]).concat(request.proof)
    const proof = proofs[0]
    if (proofs.length !== 1 || typeof proof !== 'string' || proof === '' || proof.includes(',')) {
      throw refuse('invalid_dpop_proof', 'The request must carry exactly one DPoP proof')
    }
    const reason = await checkDPoPProof(
      { proof, method: request.method, url: request.url },
      { accessToken: token, jkt, now: clock(), maxAge: dpopOptions.maxAge ?? DPOP_IAT_WINDOW_SECONDS, algorithms, replay, ...(dpopOptions.nonces && { nonces: dpopOptions.nonces }) },
    )
    if (typeof reason === 'object') {
      throw new AccessTokenError('use_dpop_nonce', reason.nonce, { realm, dpopAlgs: algorithms, dpopNonce: dpopOptions.nonces!.current() })
    }
    if (reason) throw refuse('invalid_dpop_proof', reason)
  }

  return {
    async verify(input, verifyOptions) {
      const { token, dpop: dpopScheme } = extractToken(input, realm, invalid)
      let claims: AccessTokenClaims
      if (COMPACT_JWS.test(token)) {
        claims = await verifyJwt(token)
        if (introspection?.introspectJwts) await introspect(token)
      } else if (!B64TOKEN.test(token)) {
        throw invalid('The bearer token is malformed: it has characters a token cannot have')
      } else if (introspection) {
        const body = await introspect(token)
        claims = toClaims({ ...body, iss: body.iss ?? (Array.isArray(issuers) ? issuers[1] : issuers) }, invalid, INTROSPECTION_CLAIM_TYPES)
      } else {
        throw invalid('The access token is not a JWT, and no introspection is configured')
      }
      await checkBinding(token, dpopScheme, claims, verifyOptions?.dpop)
      checkCertificateBinding(claims, verifyOptions?.clientCertificate, invalid)
      const extra = verifyOptions?.requiredScopes
      const required = extra?.length ? [...baseScopes, ...extra] : baseScopes
      for (const scope of required) {
        if (!claims.scopes.includes(scope)) {
          throw new AccessTokenError('insufficient_scope', `The access token lacks the scope '${scope}'`, { realm, scope: [...new Set(required)].join(' ') })
        }
      }
      return claims
    },
  }
}

/** RFC 8705 section 3: a certificate-bound token only over a connection presenting that certificate. */
function checkCertificateBinding(claims: AccessTokenClaims, certificate: Uint8Array | string | null | undefined, invalid: (d: string) => AccessTokenError): void {
  const bound = typeof claims.cnf === 'object' && claims.cnf !== null ? claims.cnf['x5t#S256'] : undefined
  if (bound === undefined) return
  if (certificate === undefined || certificate === null || certificate.length === 0) {
    throw invalid('The access token is bound to a TLS client certificate, and the request presented none')
  }
  let der: Buffer
  if (typeof certificate === 'string') {
    const m = /-----BEGIN CERTIFICATE-----([\s\S]+?)-----END CERTIFICATE-----/.exec(certificate)
    if (!m) throw new AuthError('configuration_error', 'clientCertificate must be DER bytes or a PEM certificate')
    der = Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64')
  } else {
    der = Buffer.from(certificate)
  }
  const thumbprint = createHash('sha256').update(der).digest()
  const expected = typeof bound === 'string' ? Buffer.from(bound, 'base64url') : Buffer.alloc(0)
  if (expected.length !== thumbprint.length || !timingSafeEqual(expected, thumbprint)) {
    throw invalid('The access token is bound to another TLS client certificate than the request presented')
  }
}

const oneShot = new WeakMap<AccessTokenVerifierOptions, AccessTokenVerifier>()

/**
 * Verifies one token. The verifier (and its JWKS cache) is kept per `options` object, so
 * pass the same object each time; a fresh literal per call means a JWKS fetch per call.
 *
 * @example
 * ```ts
 * const API = { issuer: 'https://tenant.example.com/am/oauth2/realms/root/realms/alpha', audience: 'orders-api', requiredScopes: ['read'] }
 * const claims = await verifyAccessToken(req.headers.authorization, API)
 * // Over mutual TLS, a certificate-bound token (RFC 8705) is checked against the connection's certificate:
 * const bound = await verifyAccessToken(req.headers.authorization, API, { clientCertificate: (req.socket as import('node:tls').TLSSocket).getPeerCertificate().raw })
 * ```
 */
export function verifyAccessToken(
  tokenOrAuthorizationHeader: string | null | undefined,
  options: AccessTokenVerifierOptions,
  verifyOptions?: VerifyOptions,
): Promise<AccessTokenClaims> {
  let verifier = oneShot.get(options)
  if (!verifier) oneShot.set(options, (verifier = createAccessTokenVerifier(options)))
  return verifier.verify(tokenOrAuthorizationHeader, verifyOptions)
}
