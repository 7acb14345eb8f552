import { AuthError, ClientSecretBasic, OidcClient, discover, type ServerMetadata } from '@realmauth/core'
import { createRemoteJWKSet, customFetch, errors, jwtVerify, type FetchImplementation, type JWTVerifyGetKey, type RemoteJWKSet } from 'jose'
import { introspect as introspectAs } from './introspect.js'
import { DPOP_IAT_WINDOW_SECONDS, checkDPoPProof, memoryReplayCache, type DPoPNonces, type DPoPReplayCache, type DPoPRequest } from './checkDPoPProof.js'

/**
 * The claims of a verified access token: RFC 9068's, AM's (`realm`, ...) and any others
 * the provider put in, with `scope` also split into `scopes`.
 *
 * @example
 * ```ts
 * const claims: AccessTokenClaims = await verifier.verify(req.headers.authorization)
 * if (claims.scopes.includes('admin')) allowAdmin(claims.sub ?? claims.client_id)
 * ```
 */
export interface AccessTokenClaims {
  [claim: string]: unknown
  iss: string
  /**
   * Who the token is about. Always present in a JWT access token (RFC 9068); an
   * introspection answer may leave it out (RFC 7662), as node-oidc-provider does for
   * client-credentials tokens: then `client_id` is the caller.
   */
  sub?: string
  client_id: string
  /** Space-separated, as in the token; empty when the token has none. */
  scope: string
  scopes: string[]
  exp: number
  iat: number
  aud?: string | string[]
  nbf?: number
  jti?: string
  realm?: string
  /** RFC 9449: the key a DPoP-bound token is bound to. */
  cnf?: { jkt?: string }
}

/**
 * RFC 7662 introspection, for tokens that are not JWTs (and, with `introspectJwts`, for
 * JWTs too). The client authenticates with `client_secret_basic`; at AM it needs the
 * `am-introspect-all-tokens` scope to see other clients' tokens.
 *
 * @example
 * ```ts
 * const introspection: IntrospectionOptions = { clientId: 'orders-api', clientSecret: process.env.SECRET! }
 * ```
 */
export interface IntrospectionOptions {
  clientId: string
  clientSecret: string
  /** Seconds an answer is reused (never past the token's `exp`). Default 60. */
  cacheTtl?: number
  /**
   * Also ask about JWTs that verified locally, so a revoked token is refused within
   * `cacheTtl`. Default false: JWTs are checked statelessly, without a request.
   */
  introspectJwts?: boolean
}

/**
 * Options of {@link createAccessTokenVerifier} and {@link verifyAccessToken}.
 *
 * @example
 * ```ts
 * const options: AccessTokenVerifierOptions = { issuer: realmIssuer('https://tenant.example.com/am', 'alpha'), audience: 'orders-api' }
 * const anyAudience: AccessTokenVerifierOptions = { issuer, audience: { any: true } }
 * ```
 */
export interface AccessTokenVerifierOptions {
  issuer: string
  /**
   * The token's `aud` must contain one of these. Required: a verifier that accepted any
   * audience would take a token the provider issued for another API. `{ any: true }` turns
   * the check off, for a resource server that deliberately accepts every token of the issuer
   * and decides by scope alone (AM puts the requesting client's id in `aud`).
   */
  audience: string | string[] | { any: true }
  /** Default: the `jwks_uri` of the issuer's discovery document, fetched once. */
  jwksUri?: string
  /** Milliseconds an introspection request may take; default 30000 (a retryable `network_error` after). */
  timeoutMs?: number
  fetch?: typeof fetch
  /** Milliseconds since the epoch; default `Date.now`. */
  clock?: () => number
  /** Seconds of leeway on `exp` and `nbf`. Default 5. */
  clockTolerance?: number
  /** Default RS256, ES256, PS256, EdDSA. Symmetric algorithms and `none` are refused. */
  algorithms?: string[]
  /** Scopes every token must carry; `verify` may ask for more. */
  requiredScopes?: string[]
  introspection?: IntrospectionOptions
  /** The `realm` of the `WWW-Authenticate` challenge. Default the issuer. */
  realm?: string
  /**
   * Milliseconds after a JWKS fetch before an unknown `kid` may trigger another (jose's
   * `cooldownDuration`, measured on the wall clock). Default 30000.
   */
  jwksCooldown?: number
  /**
   * DPoP (RFC 9449) at this resource server. Bound tokens (`cnf.jkt`) are always refused as
   * Bearer tokens; these settings tune how proofs are checked.
   */
  dpop?: {
    /** Refuse Bearer tokens altogether. Default false. */
    required?: boolean
    /** Seconds a proof is accepted after its `iat`. Default 60, as at the provider. */
    maxAge?: number
    /** Where seen `jti`s are kept. Default: this process's memory. */
    replay?: DPoPReplayCache
    /** Require server-issued nonces in proofs (`dpopNonces()`); refusals carry the nonce to retry with. */
    nonces?: DPoPNonces
  }
}

/**
 * What {@link createAccessTokenVerifier} returns.
 *
 * @example
 * ```ts
 * const claims = await verifier.verify('Bearer eyJ...', { requiredScopes: ['write'] })
 * ```
 */
export interface AccessTokenVerifier {
  /**
   * Verifies a raw token or an `Authorization` header value. Rejects with
   * {@link AccessTokenError} for a bad token, or {@link AuthError} (`network_error`,
   * `server_error`, `discovery_failed`, `configuration_error`) when the provider could not be asked.
   */
  verify(tokenOrAuthorizationHeader: string | null | undefined, options?: VerifyOptions): Promise<AccessTokenClaims>
}

/**
 * Per-request options of {@link AccessTokenVerifier.verify}.
 *
 * @example
 * ```ts
 * await verifier.verify(req.headers.authorization, {
 *   requiredScopes: ['orders.read'],
 *   dpop: { proof: String(req.headers.dpop), method: req.method!, url: `https://api.example.com${req.url}` },
 * })
 * ```
 */
export interface VerifyOptions {
  requiredScopes?: string[]
  /** The request, for a `DPoP` token: its `DPoP` header, method and public URL. */
  dpop?: Omit<DPoPRequest, 'proof'> & { proof: string | string[] | null | undefined }
}

/**
 * A token was refused: `invalid_token` (401) or `insufficient_scope` (403), with the
 * RFC 6750 section 3 challenge ready to send.
 *
 * @example
 * ```ts
 * try {
 *   await verifier.verify(req.headers.authorization)
 * } catch (err) {
 *   if (err instanceof AccessTokenError) return res.writeHead(err.status!, { 'www-authenticate': err.wwwAuthenticate }).end()
 *   throw err // network_error or server_error: answer 503, the token may be fine
 * }
 * ```
 */
export class AccessTokenError extends AuthError {
  declare readonly code: AccessTokenErrorCode
  /** The value of the `WWW-Authenticate` response header. */
  readonly wwwAuthenticate: string
  /** For `use_dpop_nonce`: the value of the `DPoP-Nonce` response header to send. */
  readonly dpopNonce?: string

  constructor(
    code: AccessTokenErrorCode,
    description: string,
    options: { realm: string; scope?: string; cause?: unknown; noToken?: boolean; dpopAlgs?: string[]; dpopNonce?: string },
  ) {
    super(code, description, { error: code, error_description: description, status: code === 'insufficient_scope' ? 403 : 401, cause: options.cause })
    this.name = 'AccessTokenError'
    if (options.dpopNonce !== undefined) this.dpopNonce = options.dpopNonce
    // RFC 9449 7.1: DPoP challenges name the scheme and the proof algorithms accepted.
    const scheme = options.dpopAlgs ? 'DPoP' : 'Bearer'
    const algs = options.dpopAlgs ? `, algs="${options.dpopAlgs.join(' ')}"` : ''
    // RFC 6750 3.1: a request that sent no token at all gets a bare challenge, no error code.
    this.wwwAuthenticate = options.noToken
      ? `${scheme} realm="${quotable(options.realm)}"${algs}`
      : `${scheme} realm="${quotable(options.realm)}", error="${code}", error_description="${quotable(description)}"` +
        (options.scope ? `, scope="${quotable(options.scope)}"` : '') +
        algs
  }
}

/**
 * Why a resource server refused a request: RFC 6750's two codes and RFC 9449's proof and nonce errors.
 *
 * @example
 * ```ts
 * const status = (code: AccessTokenErrorCode) => (code === 'insufficient_scope' ? 403 : 401)
 * ```
 */
export type AccessTokenErrorCode = 'invalid_token' | 'insufficient_scope' | 'invalid_dpop_proof' | 'use_dpop_nonce'

const DEFAULT_ALGORITHMS = ['RS256', 'ES256', 'PS256', 'EdDSA']
const ASYMMETRIC = new Set(['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'])
const ACCEPTED_TYP = new Set(['at+jwt', 'application/at+jwt', 'jwt'])
const JWT_CLAIMS = ['iss', 'sub', 'exp', 'iat']
const CACHE_LIMIT = 1000
// RFC 6750 2.1: `Bearer`, spaces, one b64token. The token's characters are checked once,
// by COMPACT_JWS or else B64TOKEN: a second scan of a 1 kB token shows in the bench.
const BEARER_SCHEME = /^(bearer|dpop)(?: +|$)/i
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
  const clockTolerance = options.clockTolerance ?? 5
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

const oneShot = new WeakMap<AccessTokenVerifierOptions, AccessTokenVerifier>()

/**
 * Verifies one token. The verifier (and its JWKS cache) is kept per `options` object, so
 * pass the same object each time; a fresh literal per call means a JWKS fetch per call.
 *
 * @example
 * ```ts
 * const API = { issuer: 'https://tenant.example.com/am/oauth2/realms/root/realms/alpha', audience: 'orders-api', requiredScopes: ['read'] }
 * const claims = await verifyAccessToken(req.headers.authorization, API)
 * ```
 */
export function verifyAccessToken(tokenOrAuthorizationHeader: string | null | undefined, options: AccessTokenVerifierOptions): Promise<AccessTokenClaims> {
  let verifier = oneShot.get(options)
  if (!verifier) oneShot.set(options, (verifier = createAccessTokenVerifier(options)))
  return verifier.verify(tokenOrAuthorizationHeader)
}

type Invalid = (description: string, cause?: unknown) => AccessTokenError

function extractToken(input: string | null | undefined, realm: string, invalid: Invalid): { token: string; dpop: boolean } {
  if (input === undefined || input === null || input === '') {
    throw new AccessTokenError('invalid_token', 'No access token was sent', { realm, noToken: true })
  }
  if (typeof input !== 'string') throw invalid('The access token must be a string')
  const scheme = BEARER_SCHEME.exec(input)
  if (scheme) {
    let end = input.length
    while (end > scheme[0].length && input.charCodeAt(end - 1) === 32) end--
    const token = input.slice(scheme[0].length, end)
    if (token === '') throw invalid(`The access token is malformed: the ${scheme[1]} scheme carries no token`)
    return { token, dpop: scheme[1]!.length === 4 }
  }
  if (input.includes(' ')) throw invalid('The Authorization header does not use the Bearer or DPoP scheme')
  return { token: input, dpop: false }
}

type ClaimTypes = readonly (readonly [name: string, type: 'string' | 'number'])[]
const JWT_CLAIM_TYPES: ClaimTypes = [['iss', 'string'], ['sub', 'string'], ['client_id', 'string'], ['exp', 'number'], ['iat', 'number']]
// RFC 7662 2.2 makes `sub` optional: machine tokens of many providers have none.
const INTROSPECTION_CLAIM_TYPES = JWT_CLAIM_TYPES.filter(([name]) => name !== 'sub')

/** The audiences to require, or undefined for an explicit `{ any: true }`; anything else is a setup error. */
function checkAudience(audience: AccessTokenVerifierOptions['audience'] | undefined): string[] | undefined {
  if (typeof audience === 'object' && audience !== null && !Array.isArray(audience) && audience.any === true) return undefined
  const list = typeof audience === 'string' ? [audience] : audience
  if (!Array.isArray(list) || list.length === 0 || list.some((a) => typeof a !== 'string' || a === '')) {
    throw new AuthError('configuration_error', "audience is required: the API's identifier(s) as the provider puts them in `aud`, or { any: true } to accept any audience")
  }
  return list
}

/** Completes `payload` in place: it is always a fresh object from JSON.parse, ours to change. */
function toClaims(payload: Record<string, unknown>, invalid: Invalid, required: ClaimTypes): AccessTokenClaims {
  for (const [name, type] of required) {
    if (typeof payload[name] !== type) throw invalid(`The access token has no valid '${name}' claim`)
  }
  if (payload.sub !== undefined && typeof payload.sub !== 'string') throw invalid("The access token has no valid 'sub' claim")
  const raw = payload.scope
  // Some providers send scope as an array; callers get one string either way.
  const scope = typeof raw === 'string' ? raw : Array.isArray(raw) ? raw.join(' ') : ''
  payload.scope = scope
  payload.scopes = scope === '' ? [] : scope.split(' ').filter(Boolean)
  return payload as AccessTokenClaims
}

function jwtError(err: unknown, invalid: Invalid): Error {
  // Failures of the JWKS itself (our fetch wrapper throws AuthError for HTTP and network) are
  // the provider's problem, never the token's.
  if (err instanceof AuthError) return err
  if (err instanceof errors.JWKSTimeout) return new AuthError('network_error', 'The JWKS request timed out', { cause: err })
  if (err instanceof errors.JWKSInvalid || (err instanceof errors.JOSEError && err.code === 'ERR_JOSE_GENERIC')) {
    return new AuthError('server_error', `The issuer's JWKS is unusable: ${err.message}`, { cause: err })
  }
  if (err instanceof errors.JWKSNoMatchingKey) return invalid('No key of the issuer matches the access token', err)
  if (err instanceof errors.JWKSMultipleMatchingKeys) return invalid('The access token does not say which of the issuer\'s keys signed it', err)
  if (err instanceof errors.JWTExpired) return invalid('The access token expired', err)
  if (err instanceof errors.JWTClaimValidationFailed) {
    const messages: Record<string, string> = {
      nbf: 'The access token is not valid yet',
      iss: 'The access token was issued by another issuer',
      aud: 'The access token is not meant for this audience',
    }
    const known = err.reason === 'missing' ? undefined : messages[err.claim]
    return invalid(known ?? `The access token's '${err.claim}' claim is ${err.reason === 'missing' ? 'missing' : 'not acceptable'}`, err)
  }
  if (err instanceof errors.JWSSignatureVerificationFailed) return invalid('The access token\'s signature is not valid', err)
  if (err instanceof errors.JOSEAlgNotAllowed) return invalid('The access token\'s signing algorithm is not allowed', err)
  return invalid('The access token is malformed', err)
}

/** RFC 6750 3: `error_description` and friends allow printable ASCII except `"` and `\`. */
function quotable(value: string): string {
  return value.replace(/["\\]/g, "'").replace(/[^\x20-\x7E]/g, '?')
}
