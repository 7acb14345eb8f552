/**
 * An M2M service and the API it calls. The service gets tokens by client credentials,
 * authenticating with private_key_jwt, bound to its own key with DPoP (RFC 9449); the API
 * accepts only valid tokens with scope `read`, and a bound token only with a proof by its key.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createAccessTokenVerifier, createDPoP, createNodeClient, AccessTokenError } from '@realmauth/node'
import type { JWK } from 'jose'

/**
 * The protected API: `GET /orders` with `Authorization: Bearer …` (or `DPoP …` and a proof) and scope `read`.
 * `audience`: what the provider puts in `aud` of tokens meant for this API (AM and the demo provider: the calling client's id).
 */
export async function startOrdersApi(options: { issuer: string; audience: string | string[]; port?: number; fetch?: typeof fetch }): Promise<{ url: string; server: Server }> {
  const verifier = createAccessTokenVerifier({ issuer: options.issuer, audience: options.audience, ...(options.fetch && { fetch: options.fetch }) })
  const server = createServer(async (req, res) => {
    try {
      const claims = await verifier.verify(req.headers.authorization ?? '', {
        requiredScopes: ['read'],
        // The URL the caller used: behind a proxy, your public origin instead of the Host header.
        dpop: { proof: req.headers.dpop, method: req.method ?? 'GET', url: `http://${req.headers.host}${req.url}` },
      })
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ orders: [{ id: 1, item: 'tea' }], caller: claims.sub, bound: claims.cnf?.jkt !== undefined }))
    } catch (err) {
      const status = err instanceof AccessTokenError ? (err.status ?? 401) : 500
      const headers: Record<string, string> = { 'content-type': 'application/json' }
      if (err instanceof AccessTokenError) headers['www-authenticate'] = err.wwwAuthenticate
      res.writeHead(status, headers).end(JSON.stringify({ error: (err as Error).message }))
    }
  })
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/orders`, server }
}

/** The service: one client for the process, so its token cache serves every call. */
export async function createOrdersService(options: { issuer: string; clientId: string; privateKey: JWK | string; fetch?: typeof fetch }) {
  const client = await createNodeClient({
    issuer: options.issuer,
    clientId: options.clientId,
    auth: { method: 'private_key_jwt', privateKey: options.privateKey },
    // A key made for this process: a token that leaks from it is useless elsewhere.
    dpop: createDPoP(),
    ...(options.fetch && { fetch: options.fetch }),
  })
  return {
    async listOrders(apiUrl: string): Promise<unknown> {
      // The cached token, with a fresh proof for this request.
      const res = await client.fetch(apiUrl, undefined, { scope: 'read' })
      if (!res.ok) throw new Error(`API answered ${res.status}: ${res.headers.get('www-authenticate') ?? ''}`)
      return res.json()
    },
  }
}
