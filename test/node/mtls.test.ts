/**
 * The Node SDK over mutual TLS (RFC 8705), against the provider served over HTTPS on loopback:
 * the client authenticates with its certificate (`tls_client_auth`,
 * `self_signed_tls_client_auth`) and presents it to an API, which checks the token's
 * `cnf.x5t#S256` against the connection's certificate with `verifyAccessToken`.
 */
import { createServer, type Server } from 'node:https'
import type { AddressInfo } from 'node:net'
import type { TLSSocket } from 'node:tls'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AccessTokenError, AuthError, createNodeClient, mtlsFetch, verifyAccessToken, type AccessTokenVerifierOptions } from '@realmauth/node'
import express from 'express'
import Fastify from 'fastify'
import { requireAccessToken as expressAuth } from '@realmauth/node/express'
import { requireAccessToken as fastifyAuth } from '@realmauth/node/fastify'
import { createProvider } from '@realmauth/server'
import { listen, type RunningProvider } from '@realmauth/server/node'
import { createTestPki } from '../support/certificates.js'

const pki = createTestPki()
const claimsOf = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString()) as { cnf?: Record<string, string> }

describe('Node SDK over mutual TLS', () => {
  let running: RunningProvider
  let issuer: string
  let api: Server
  let apiUrl: string
  let verifierOptions: AccessTokenVerifierOptions

  beforeAll(async () => {
    const provider = createProvider({
      realms: [
        {
          name: 'alpha',
          clients: [
            {
              client_id: 'svc',
              token_endpoint_auth_method: 'tls_client_auth',
              tls_client_auth_san_dns: 'svc.example.com',
              grant_types: ['client_credentials'],
              scope: 'orders.read',
              tls_client_certificate_bound_access_tokens: true,
            },
            { client_id: 'selfie', token_endpoint_auth_method: 'self_signed_tls_client_auth', public_key_pem: pki.selfSigned.cert, grant_types: ['client_credentials'], scope: 'orders.read' },
          ],
        },
      ],
    })
    running = await listen(provider, { tls: { cert: pki.server.cert, key: pki.server.key, clientCa: pki.ca.cert } })
    issuer = provider.issuer('alpha', running.url)
    // The resource server's own calls (discovery, JWKS) trust the test CA; no certificate needed, but one does no harm.
    verifierOptions = { issuer, audience: 'svc', fetch: mtlsFetch({ cert: pki.other.cert, key: pki.other.key, ca: pki.ca.cert }) }
    api = createServer({ cert: pki.server.cert, key: pki.server.key, ca: pki.ca.cert, requestCert: true, rejectUnauthorized: false }, (req, res) => {
      const peer = (req.socket as TLSSocket).getPeerCertificate()
      verifyAccessToken(req.headers.authorization, verifierOptions, { clientCertificate: peer.raw }).then(
        (claims) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ client: claims.client_id })),
        (error: AccessTokenError) => res.writeHead(error.status ?? 500, { 'www-authenticate': error.wwwAuthenticate }).end(),
      )
    })
    await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve))
    apiUrl = `https://localhost:${(api.address() as AddressInfo).port}/orders`
  })
  afterAll(async () => {
    await new Promise((resolve) => api?.close(resolve))
    await running?.close()
  })

  const svcCertificate = { cert: pki.svc.cert, key: pki.svc.key, ca: pki.ca.cert }

  it('tls_client_auth: the client gets a token bound to its certificate, and its fetch presents that certificate to the API', async () => {
    const client = await createNodeClient({ issuer, clientId: 'svc', auth: { method: 'tls_client_auth' }, clientCertificate: svcCertificate })
    const tokens = await client.clientCredentials({ scope: 'orders.read' })
    expect(claimsOf(tokens.accessToken).cnf).toEqual({ 'x5t#S256': expect.any(String) })
    expect((await client.tokeninfo(tokens.accessToken)).client_id).toBe('svc')
    const res = await client.fetch(apiUrl, {}, { scope: 'orders.read' })
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ client: 'svc' })
  })

  it('the API refuses the bound token from a connection with another certificate, or none', async () => {
    const client = await createNodeClient({ issuer, clientId: 'svc', auth: { method: 'tls_client_auth' }, clientCertificate: svcCertificate })
    const token = await client.getToken({ scope: 'orders.read' })
    const stolen = await mtlsFetch({ cert: pki.other.cert, key: pki.other.key, ca: pki.ca.cert })(apiUrl, { headers: { authorization: `Bearer ${token}` } })
    expect(stolen.status).toBe(401)
    expect(stolen.headers.get('www-authenticate')).toMatch(/another TLS client certificate/)
    await expect(verifyAccessToken(token, verifierOptions)).rejects.toMatchObject({ code: 'invalid_token', message: expect.stringMatching(/presented none/) })
    await expect(verifyAccessToken(token, verifierOptions, { clientCertificate: pki.svc.cert })).resolves.toMatchObject({ client_id: 'svc' })
    await expect(verifyAccessToken(token, verifierOptions, { clientCertificate: pki.selfSigned.cert })).rejects.toBeInstanceOf(AccessTokenError)
  })

  it('self_signed_tls_client_auth through the Node client; an unbound token needs no certificate at the API', async () => {
    const client = await createNodeClient({ issuer, clientId: 'selfie', auth: { method: 'self_signed_tls_client_auth' }, clientCertificate: { cert: pki.selfSigned.cert, key: pki.selfSigned.key, ca: pki.ca.cert } })
    const token = await client.getToken({ scope: 'orders.read' })
    expect(claimsOf(token).cnf).toBeUndefined()
    await expect(verifyAccessToken(token, { ...verifierOptions, audience: 'selfie' })).resolves.toMatchObject({ client_id: 'selfie' })
  })

  it('the Express and Fastify guards check the binding against the connection certificate', async () => {
    const client = await createNodeClient({ issuer, clientId: 'svc', auth: { method: 'tls_client_auth' }, clientCertificate: svcCertificate })
    const token = await client.getToken({ scope: 'orders.read' })
    const tlsOptions = { cert: pki.server.cert, key: pki.server.key, ca: pki.ca.cert, requestCert: true, rejectUnauthorized: false }
    const app = express()
    app.get('/orders', expressAuth({ verifier: verifierOptions }), (req, res) => void res.json({ client: req.auth?.client_id }))
    const expressServer = createServer(tlsOptions, app)
    await new Promise<void>((resolve) => expressServer.listen(0, '127.0.0.1', resolve))
    const fastify = Fastify({ https: tlsOptions })
    fastify.get('/orders', { onRequest: fastifyAuth({ verifier: verifierOptions }) }, async (request) => ({ client: request.auth?.client_id }))
    await fastify.listen({ port: 0, host: '127.0.0.1' })
    try {
      const urls = [`https://localhost:${(expressServer.address() as AddressInfo).port}/orders`, `https://localhost:${(fastify.server.address() as AddressInfo).port}/orders`]
      const other = mtlsFetch({ cert: pki.other.cert, key: pki.other.key, ca: pki.ca.cert })
      for (const url of urls) {
        const ok = await client.fetch(url, {}, { scope: 'orders.read' })
        expect(ok.status, url).toBe(200)
        expect(await ok.json()).toEqual({ client: 'svc' })
        const refused = await other(url, { headers: { authorization: `Bearer ${token}` } })
        expect(refused.status, url).toBe(401)
        expect(await refused.json()).toMatchObject({ error: 'invalid_token' })
      }
    } finally {
      await new Promise((resolve) => expressServer.close(resolve))
      await fastify.close()
    }
  })

  it('a certificate the client did not register is invalid_client; a certificate method without one is a configuration error', async () => {
    const wrong = await createNodeClient({ issuer, clientId: 'svc', auth: { method: 'tls_client_auth' }, clientCertificate: { cert: pki.other.cert, key: pki.other.key, ca: pki.ca.cert } })
    await expect(wrong.clientCredentials()).rejects.toMatchObject({ error: 'invalid_client' })
    await expect(createNodeClient({ issuer, clientId: 'svc', auth: { method: 'tls_client_auth' } })).rejects.toMatchObject({ code: 'configuration_error' })
    expect(() => mtlsFetch({ cert: pki.svc.cert } as never)).toThrow(AuthError)
  })
})
