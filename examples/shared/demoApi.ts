/**
 * A protected API for the SPA examples, mounted into Vite's dev server: it answers only to
 * a valid access token from the demo provider, verified against the provider's JWKS.
 */
import type { Plugin } from 'vite'
import { createAccessTokenVerifier } from '@realmauth/node'

export function demoApi(issuer: string): Plugin {
  // The demo provider, like AM, puts the requesting client's id in `aud`: the SPA's.
  const verifier = createAccessTokenVerifier({ issuer, audience: 'demo-spa' })
  return {
    name: 'realmauth-demo-api',
    configureServer(server) {
      server.middlewares.use('/api/hello', (req, res) => {
        // A DPoP token comes with a proof for this method and public URL (RFC 9449 section 7).
        const url = `http://${req.headers.host ?? 'localhost'}${req.originalUrl ?? req.url ?? ''}`
        verifier
          .verify(req.headers.authorization ?? '', { dpop: { proof: req.headers.dpop, method: req.method ?? 'GET', url } })
          .then((claims) => {
            res.setHeader('content-type', 'application/json')
            res.end(JSON.stringify({ message: `Hello ${claims.sub}`, scope: claims.scope, expires: claims.exp }))
          })
          .catch((err: { status?: number; wwwAuthenticate?: string; message: string }) => {
            res.statusCode = err.status ?? 401
            if (err.wwwAuthenticate) res.setHeader('www-authenticate', err.wwwAuthenticate)
            res.setHeader('content-type', 'application/json')
            res.end(JSON.stringify({ error: err.message }))
          })
      })
    },
  }
}
