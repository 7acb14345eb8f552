import { AuthError } from '@realmauth/core'
import { createAccessTokenVerifier } from './verifyAccessToken.js'
import { AccessTokenError } from './AccessTokenError.js'
import type { AccessTokenClaims, AccessTokenVerifier, AccessTokenVerifierOptions } from './AccessTokenVerifier.js'

/**
 * Options of {@link accessGuard} and of the Express, Fastify and Hono middleware built on it.
 *
 * @example
 * ```ts
 * const options: AccessGuardOptions = {
 *   verifier: { issuer: realmIssuer('https://tenant.example.com/am', 'alpha'), audience: 'orders-api' },
 *   requiredScopes: ['orders.read'],
 *   origin: 'https://api.example.com',
 * }
 * ```
 */
export interface AccessGuardOptions {
  /** A verifier to share between routes, or the options to make one. */
  verifier: AccessTokenVerifier | AccessTokenVerifierOptions
  /** Scopes this route needs, on top of the verifier's `requiredScopes`. */
  requiredScopes?: string[]
  /**
   * The API's public origin (`https://api.example.com`), for DPoP's `htu`. Default: the
   * request's own scheme and Host, which a proxy in front of the API changes, and which the
   * client itself sends: without `origin`, a proof made for another API that takes the same
   * tokens is accepted here once (its `jti` is new here) by a caller who sets `Host` to match.
   */
  origin?: string
}

/**
 * One request as the guard sees it: what every framework can give without a body.
 *
 * @example
 * ```ts
 * const request: GuardRequest = { method: req.method!, url: `http://${req.headers.host}${req.url}`, header: (name) => req.headers[name] }
 * ```
 */
export interface GuardRequest {
  method: string
  /** The absolute URL the client called. */
  url: string
  /** A header by its lower-case name. */
  header(name: string): string | string[] | null | undefined
  /**
   * The TLS client certificate of the connection, DER (`socket.getPeerCertificate().raw`),
   * for certificate-bound tokens (RFC 8705). The Express and Fastify adapters read it.
   */
  clientCertificate?: Uint8Array | null
}

/**
 * The guard's answer: the verified claims, or the response to send instead.
 *
 * @example
 * ```ts
 * const guard = accessGuard({ verifier })
 * const verdict: GuardVerdict = await guard({ method: req.method!, url: `http://${req.headers.host}${req.url}`, header: (name) => req.headers[name] })
 * if (!verdict.ok) res.writeHead(verdict.status, verdict.headers).end(JSON.stringify(verdict.body))
 * ```
 */
export type GuardVerdict =
  | { ok: true; auth: AccessTokenClaims }
  | { ok: false; status: number; headers: Record<string, string>; body: { error: string; error_description: string }; error: AuthError }

/**
 * The framework-free check under the Express, Fastify and Hono middleware: verifies the
 * request's Bearer or DPoP access token and the route's scopes. A refused token becomes
 * RFC 6750 / RFC 9449's answer (401 or 403, `WWW-Authenticate`, `DPoP-Nonce` when asked
 * for); a provider that cannot be asked becomes 503, since the token may well be good.
 * A misconfigured verifier throws.
 *
 * @example
 * ```ts
 * import { createServer } from 'node:http'
 * const guard = accessGuard({ verifier: { issuer: realmIssuer('https://tenant.example.com/am', 'alpha'), audience: 'orders-api' }, requiredScopes: ['read'] })
 * createServer(async (req, res) => {
 *   const verdict = await guard({ method: req.method!, url: `http://${req.headers.host}${req.url}`, header: (name) => req.headers[name] })
 *   if (!verdict.ok) return void res.writeHead(verdict.status, verdict.headers).end(JSON.stringify(verdict.body))
 *   res.end(`hello ${verdict.auth.sub}`)
 * })
 * ```
 */
export function accessGuard(options: AccessGuardOptions): (request: GuardRequest) => Promise<GuardVerdict> {
  const given = options.verifier
  if (typeof given !== 'object' || given === null) {
    throw new AuthError('configuration_error', 'accessGuard needs `verifier`: a createAccessTokenVerifier() result or its options ({ issuer, audience })')
  }
  const verifier = 'verify' in given ? given : createAccessTokenVerifier(given)
  const requiredScopes = options.requiredScopes ?? []
  const origin = options.origin === undefined ? undefined : new URL(options.origin).origin
  return async (request) => {
    const url = origin === undefined ? request.url : publicUrl(origin, request.url)
    try {
      const auth = await verifier.verify(single(request.header('authorization')), {
        requiredScopes,
        dpop: { proof: request.header('dpop'), method: request.method, url },
        clientCertificate: request.clientCertificate ?? null,
      })
      return { ok: true, auth }
    } catch (err) {
      if (err instanceof AccessTokenError) {
        const headers: Record<string, string> = { 'content-type': 'application/json', 'www-authenticate': err.wwwAuthenticate }
        if (err.dpopNonce !== undefined) headers['dpop-nonce'] = err.dpopNonce
        return { ok: false, status: err.status ?? 401, headers, body: { error: err.code, error_description: err.message }, error: err }
      }
      if (err instanceof AuthError && err.retryable) {
        return {
          ok: false,
          status: 503,
          headers: { 'content-type': 'application/json', 'retry-after': '5' },
          body: { error: 'temporarily_unavailable', error_description: 'The access token could not be checked: the provider is not reachable' },
          error: err,
        }
      }
      throw err
    }
  }
}

/** The DER client certificate of a TLS socket (RFC 8705); undefined over plain HTTP or without one. */
export function peerCertificate(socket: unknown): Uint8Array | undefined {
  const tls = socket as { encrypted?: boolean; getPeerCertificate?(): { raw?: Uint8Array } } | undefined
  return tls?.encrypted ? tls.getPeerCertificate?.()?.raw : undefined
}

function publicUrl(origin: string, url: string): string {
  const u = new URL(url, 'http://placeholder')
  return `${origin}${u.pathname}${u.search}`
}

/** Two Authorization headers are one token too many: joined, they fail the verifier's syntax check. */
function single(value: string | string[] | null | undefined): string | undefined {
  if (value === null || value === undefined) return undefined
  return Array.isArray(value) ? value.join(', ') : value
}
