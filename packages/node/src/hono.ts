/**
 * Hono middleware that verifies the request's access token and sets `c.get('auth')`.
 *
 * @packageDocumentation
 * @module @realmauth/node/hono
 */
import type { MiddlewareHandler } from 'hono'
import { accessGuard, type AccessGuardOptions } from './accessGuard.js'
import type { AccessTokenClaims } from './AccessTokenVerifier.js'

/**
 * The context variables `requireAccessToken` sets: `c.get('auth')`.
 *
 * @example
 * ```ts
 * import { Hono } from 'hono'
 * const app = new Hono<AuthEnv>()
 * ```
 */
export type AuthEnv = { Variables: { auth: AccessTokenClaims } }

/**
 * Hono middleware: verifies the Bearer or DPoP access token and the route's scopes, sets
 * `c.get('auth')`, and answers 401 / 403 with RFC 6750's `WWW-Authenticate` (503 when the
 * provider cannot be asked).
 *
 * @example
 * ```ts
 * import { Hono } from 'hono'
 * import { requireAccessToken, type AuthEnv } from '@realmauth/node/hono'
 * const verifier = createAccessTokenVerifier({ issuer: realmIssuer('https://tenant.example.com/am', 'alpha'), audience: 'orders-api' })
 * const app = new Hono<AuthEnv>()
 * app.get('/orders', requireAccessToken({ verifier, requiredScopes: ['orders.read'] }), (c) => c.json({ caller: c.get('auth').sub }))
 * ```
 */
export function requireAccessToken(options: AccessGuardOptions): MiddlewareHandler<AuthEnv> {
  const guard = accessGuard(options)
  return async (c, next) => {
    const verdict = await guard({ method: c.req.method, url: c.req.url, header: (name) => c.req.header(name) })
    if (!verdict.ok) return c.json(verdict.body, verdict.status as 401, verdict.headers)
    c.set('auth', verdict.auth)
    await next()
  }
}
