/**
 * A Fastify hook that verifies the request's access token and sets `request.auth`.
 *
 * @packageDocumentation
 * @module @realmauth/node/fastify
 */
// Brings Fastify's types into the program, so the augmentation below has a module to extend.
import type {} from 'fastify'
import { accessGuard, peerCertificate, type AccessGuardOptions } from './accessGuard.js'
import type { AccessTokenClaims } from './AccessTokenVerifier.js'

declare module 'fastify' {
  interface FastifyRequest {
    /** The verified access token's claims, set by `requireAccessToken`. */
    auth?: AccessTokenClaims
  }
}

/** The parts of Fastify's request and reply the hook uses. */
interface FastifyRequestLike {
  method: string
  protocol: string
  host: string
  url: string
  headers: Record<string, string | string[] | undefined>
  socket?: unknown
  auth?: AccessTokenClaims
}
interface FastifyReplyLike {
  code(status: number): FastifyReplyLike
  headers(headers: Record<string, string>): FastifyReplyLike
  send(body: unknown): unknown
}

/**
 * A Fastify `preHandler` hook: verifies the Bearer or DPoP access token and the route's
 * scopes, sets `request.auth`, and answers 401 / 403 with RFC 6750's `WWW-Authenticate`
 * (503 when the provider cannot be asked).
 *
 * @example
 * ```ts
 * import Fastify from 'fastify'
 * import { requireAccessToken } from '@realmauth/node/fastify'
 * const verifier = createAccessTokenVerifier({ issuer: realmIssuer('https://tenant.example.com/am', 'alpha'), audience: 'orders-api' })
 * const app = Fastify()
 * app.get('/orders', { preHandler: requireAccessToken({ verifier, requiredScopes: ['orders.read'] }) }, async (request) => ({ caller: request.auth!.sub }))
 * ```
 */
export function requireAccessToken(options: AccessGuardOptions): (request: FastifyRequestLike, reply: FastifyReplyLike) => Promise<unknown> {
  const guard = accessGuard(options)
  return async (request, reply) => {
    const verdict = await guard({ method: request.method, url: `${request.protocol}://${request.host}${request.url}`, header: (name) => request.headers[name], clientCertificate: peerCertificate(request.socket) })
    // Fastify's rule for async hooks: a hook that answered returns the reply.
    if (!verdict.ok) return reply.code(verdict.status).headers(verdict.headers).send(verdict.body)
    request.auth = verdict.auth
    return undefined
  }
}
