/**
 * Express middleware that verifies the request's access token and sets `req.auth`.
 *
 * @packageDocumentation
 * @module @realmauth/node/express
 */
import { accessGuard, peerCertificate, type AccessGuardOptions } from './accessGuard.js'
import type { AccessTokenClaims } from './AccessTokenVerifier.js'

declare global {
  // Express's own way to type what middleware adds to a request.
  namespace Express {
    interface Request {
      /** The verified access token's claims, set by `requireAccessToken`. */
      auth?: AccessTokenClaims
    }
  }
}

/** The parts of Express's request and response the middleware uses (Express 4 and 5). */
interface ExpressRequest {
  method: string
  protocol: string
  originalUrl: string
  get(name: string): string | undefined
  headers: Record<string, string | string[] | undefined>
  socket?: unknown
  auth?: AccessTokenClaims
}
interface ExpressResponse {
  status(code: number): ExpressResponse
  set(headers: Record<string, string>): ExpressResponse
  json(body: unknown): unknown
}

/**
 * Express middleware: verifies the Bearer or DPoP access token and the route's scopes, sets
 * `req.auth`, and answers 401 / 403 with RFC 6750's `WWW-Authenticate` (503 when the
 * provider cannot be asked).
 *
 * @example
 * ```ts
 * import express from 'express'
 * import { requireAccessToken } from '@realmauth/node/express'
 * const verifier = createAccessTokenVerifier({ issuer: realmIssuer('https://tenant.example.com/am', 'alpha'), audience: 'orders-api' })
 * const app = express()
 * app.get('/orders', requireAccessToken({ verifier, requiredScopes: ['orders.read'] }), (req, res) => {
 *   res.json({ caller: req.auth!.sub })
 * })
 * ```
 */
export function requireAccessToken(options: AccessGuardOptions): (req: ExpressRequest, res: ExpressResponse, next: (err?: unknown) => void) => void {
  const guard = accessGuard(options)
  return (req, res, next) => {
    guard({ method: req.method, url: `${req.protocol}://${req.get('host')}${req.originalUrl}`, header: (name) => req.headers[name], clientCertificate: peerCertificate(req.socket) }).then((verdict) => {
      if (!verdict.ok) return void res.status(verdict.status).set(verdict.headers).json(verdict.body)
      req.auth = verdict.auth
      next()
    }, next)
  }
}
