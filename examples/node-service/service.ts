/**
 * An M2M service and the API it calls. The service gets tokens by client credentials,
 * authenticating with private_key_jwt, bound to its own key with DPoP (RFC 9449); the API
 * accepts only valid tokens with scope `read`, and a bound token only with a proof by its key.
 */
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import express from 'express'
import { createAccessTokenVerifier, createDPoP, createNodeClient } from '@realmauth/node'
import { requireAccessToken } from '@realmauth/node/express'
import type { JWK } from 'jose'

/**
 * The protected API: `GET /orders` with `Authorization: Bearer …` (or `DPoP …` and a proof) and scope `read`.
 * `audience`: what the provider puts in `aud` of tokens meant for this API (AM and the demo provider: the calling client's id).
 */
export async function startOrdersApi(options: { issuer: string; audience: string | string[]; port?: number; fetch?: typeof fetch }): Promise<{ url: string; server: Server }> {
  const verifier = createAccessTokenVerifier({ issuer: options.issuer, audience: options.audience, ...(options.fetch && { fetch: options.fetch }) })
  const app = express()
  // Refusals are answered for you: 401 / 403 with the WWW-Authenticate challenge, 503 while the provider is unreachable.
  // Behind a proxy, pass `origin` (your public https origin) so DPoP proofs are checked against the URL the caller used.
  app.get('/orders', requireAccessToken({ verifier, requiredScopes: ['read'] }), (req, res) => {
    res.json({ orders: [{ id: 1, item: 'tea' }], caller: req.auth!.sub, bound: req.auth!.cnf?.jkt !== undefined })
  })
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(options.port ?? 0, '127.0.0.1', () => resolve(s))
  })
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
