/**
 * The Express, Fastify and Hono middleware over real HTTP: each framework serves a route
 * that needs scope `read` and one that needs `admin`, and a client calls them as an API
 * caller would, with Bearer and DPoP tokens the provider signed.
 */
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import express from 'express'
import Fastify from 'fastify'
import { Hono } from 'hono'
import { serve } from '@hono/node-server'
import { SignJWT, generateKeyPair } from 'jose'
import { createDPoP, type DPoP } from '@realmauth/core'
import { createAccessTokenVerifier, type AccessTokenVerifier } from '@realmauth/node'
import { requireAccessToken as expressAuth } from '@realmauth/node/express'
import { requireAccessToken as fastifyAuth } from '@realmauth/node/fastify'
import { requireAccessToken as honoAuth, type AuthEnv } from '@realmauth/node/hono'
import { demoConfig } from '@realmauth/server'
import { startProvider, type ProviderUnderTest } from '../clients/providerHarness.js'

interface Api {
  origin: string
  close(): Promise<void>
}

type Start = (verifier: AccessTokenVerifier) => Promise<Api>

const FRAMEWORKS: [string, Start][] = [
  [
    'express',
    async (verifier) => {
      const app = express()
      app.get('/orders', expressAuth({ verifier, requiredScopes: ['read'] }), (req, res) => {
        res.json({ caller: req.auth!.sub, scopes: req.auth!.scopes })
      })
      app.get('/admin', expressAuth({ verifier, requiredScopes: ['admin'] }), (req, res) => {
        res.json({ caller: req.auth!.sub })
      })
      const server = await new Promise<import('node:http').Server>((resolve) => {
        const s = app.listen(0, '127.0.0.1', () => resolve(s))
      })
      return {
        origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        close: () => new Promise<void>((resolve) => server.close(() => resolve())),
      }
    },
  ],
  [
    'fastify',
    async (verifier) => {
      const app = Fastify()
      app.get('/orders', { preHandler: fastifyAuth({ verifier, requiredScopes: ['read'] }) }, async (request) => ({
        caller: request.auth!.sub,
        scopes: request.auth!.scopes,
      }))
      app.get('/admin', { preHandler: fastifyAuth({ verifier, requiredScopes: ['admin'] }) }, async (request) => ({ caller: request.auth!.sub }))
      const origin = await app.listen({ port: 0, host: '127.0.0.1' })
      return { origin, close: () => app.close() }
    },
  ],
  [
    'hono',
    async (verifier) => {
      const app = new Hono<AuthEnv>()
      app.get('/orders', honoAuth({ verifier, requiredScopes: ['read'] }), (c) => c.json({ caller: c.get('auth').sub, scopes: c.get('auth').scopes }))
      app.get('/admin', honoAuth({ verifier, requiredScopes: ['admin'] }), (c) => c.json({ caller: c.get('auth').sub }))
      const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
        const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s))
      })
      return {
        origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        close: () => new Promise<void>((resolve) => server.close(() => resolve())),
      }
    },
  ],
]

describe.each(FRAMEWORKS)('%s middleware', (_name, start) => {
  let p: ProviderUnderTest
  let api: Api
  let dpop: DPoP
  beforeAll(async () => {
    p = await startProvider('http', demoConfig())
    dpop = createDPoP()
    api = await start(createAccessTokenVerifier({ issuer: p.issuer(), audience: 'orders-api', fetch: p.fetch, clock: () => p.clock.now }))
  })
  afterAll(async () => {
    await api?.close()
    await p?.close()
  })

  async function token(scope: string, extra: Record<string, unknown> = {}): Promise<string> {
    const t = Math.floor(p.clock.now / 1000)
    return p.provider.signJwt(
      { iss: p.issuer(), aud: 'orders-api', sub: 'demo', client_id: 'demo-spa', scope, iat: t, exp: t + 300, jti: crypto.randomUUID(), ...extra },
      { typ: 'at+jwt' },
    )
  }
  const call = (path: string, headers: Record<string, string> = {}) => fetch(`${api.origin}${path}`, { headers })

  it('lets a Bearer token with the scope through, with the claims on the request', async () => {
    const res = await call('/orders', { authorization: `Bearer ${await token('read write')}` })
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ caller: 'demo', scopes: ['read', 'write'] })
  })

  it('answers a request without a token 401 with a bare Bearer challenge (RFC 6750 3.1)', async () => {
    const res = await call('/orders')
    expect(res.status).toBe(401)
    expect(res.headers.get('www-authenticate')).toBe(`Bearer realm="${p.issuer()}"`)
  })

  it('answers a bad token 401 invalid_token, naming the problem', async () => {
    const expired = await token('read', { exp: Math.floor(p.clock.now / 1000) - 60 })
    const res = await call('/orders', { authorization: `Bearer ${expired}` })
    expect(res.status).toBe(401)
    expect(res.headers.get('www-authenticate')).toBe(`Bearer realm="${p.issuer()}", error="invalid_token", error_description="The access token expired"`)
    expect(await res.json()).toEqual({ error: 'invalid_token', error_description: 'The access token expired' })
  })

  it('answers a token without the route\'s scope 403 insufficient_scope with the scope needed', async () => {
    const res = await call('/admin', { authorization: `Bearer ${await token('read')}` })
    expect(res.status).toBe(403)
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer realm="[^"]+", error="insufficient_scope", error_description="[^"]+", scope="admin"$/)
  })

  it('lets a DPoP-bound token through with a proof for this request, and refuses it without one', async () => {
    const bound = await token('read', { cnf: { jkt: await dpop.thumbprint() } })
    const url = `${api.origin}/orders`
    const ok = await call('/orders', { authorization: `DPoP ${bound}`, dpop: await dpop.proof('GET', url, p.clock.now, bound) })
    expect(ok.status).toBe(200)
    expect(await ok.json()).toMatchObject({ caller: 'demo' })
    const bare = await call('/orders', { authorization: `DPoP ${bound}` })
    expect(bare.status).toBe(401)
    expect(bare.headers.get('www-authenticate')).toMatch(/^DPoP realm="[^"]+", error="invalid_dpop_proof", error_description="[^"]+", algs="[A-Za-z0-9 ]+"$/)
    const asBearer = await call('/orders', { authorization: `Bearer ${bound}` })
    expect(asBearer.status).toBe(401)
  })
})

describe('when the provider cannot be asked', () => {
  it('answers 503 temporarily_unavailable, since the token may be fine', async () => {
    const offline = createAccessTokenVerifier({
      issuer: 'http://localhost:1/oauth2/realms/root/realms/alpha',
      audience: 'orders-api',
      fetch: async () => {
        throw new TypeError('fetch failed')
      },
    })
    const api = await FRAMEWORKS[0]![1](offline)
    try {
      const { privateKey } = await generateKeyPair('ES256')
      const jwt = await new SignJWT({ sub: 'demo', scope: 'read' }).setProtectedHeader({ alg: 'ES256', kid: 'k1' }).sign(privateKey)
      const res = await fetch(`${api.origin}/orders`, { headers: { authorization: `Bearer ${jwt}` } })
      expect(res.status).toBe(503)
      expect(await res.json()).toMatchObject({ error: 'temporarily_unavailable' })
    } finally {
      await api.close()
    }
  })
})
