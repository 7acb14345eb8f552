import { generateKeyPairSync } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createNodeClient, type ClientAuthOptions, type NodeClient } from '@realmauth/node'
import { AuthError } from '@realmauth/core'
import { DEMO, demoConfig, type ProviderConfig } from '@realmauth/server'
import { CLIENT_MODES, signInAtProvider, startProvider, type ProviderUnderTest } from './providerHarness.js'

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 })
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' })
const ed = generateKeyPairSync('ed25519')
const jwkOf = (k: typeof rsa.publicKey, kid: string) => ({ ...k.export({ format: 'jwk' }), kid })
const WEIRD_SECRET = 'p%ss+w:rd @$ é/?'

function config(): ProviderConfig {
  const base = demoConfig()
  const realm = base.realms[0]!
  realm.clients!.push(
    { client_id: 'svc-rsa', token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [jwkOf(rsa.publicKey, 'rsa-1')] }, grant_types: ['client_credentials'], scope: 'read write' },
    { client_id: 'svc-ec', token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [jwkOf(ec.publicKey, 'ec-1')] }, grant_types: ['client_credentials'], scope: 'read' },
    { client_id: 'svc-ed', token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [jwkOf(ed.publicKey, 'ed-1')] }, grant_types: ['client_credentials'], scope: 'read' },
    { client_id: 'svc-weird', client_secret: WEIRD_SECRET, grant_types: ['client_credentials'], scope: 'read' },
    { client_id: 'svc-post', client_secret: 'post-secret', token_endpoint_auth_method: 'client_secret_post', grant_types: ['client_credentials'], scope: 'read' },
  )
  return base
}

describe.each(CLIENT_MODES)('@realmauth/node (%s)', (mode) => {
  let p: ProviderUnderTest
  beforeAll(async () => {
    p = await startProvider(mode, config())
  })
  afterAll(() => p.close())

  const make = (clientId: string, auth: ClientAuthOptions, extra: Partial<Parameters<typeof createNodeClient>[0]> = {}) =>
    createNodeClient({ issuer: p.issuer(), clientId, auth, fetch: p.fetch, clock: () => p.clock.now, ...extra })

  describe('client authentication', () => {
    const cases: [string, string, () => ClientAuthOptions][] = [
      ['client_secret_basic', DEMO.m2m.client_id, () => ({ method: 'client_secret_basic', clientSecret: DEMO.m2m.client_secret })],
      ['client_secret_basic with characters RFC 6749 2.3.1 must encode', 'svc-weird', () => ({ method: 'client_secret_basic', clientSecret: WEIRD_SECRET })],
      ['client_secret_post', 'svc-post', () => ({ method: 'client_secret_post', clientSecret: 'post-secret' })],
      ['private_key_jwt, ES256 JWK (demo key)', DEMO.jwt.client_id, () => ({ method: 'private_key_jwt', privateKey: DEMO.jwt.privateJwk })],
      ['private_key_jwt, PKCS#8 PEM', 'svc-rsa', () => ({ method: 'private_key_jwt', privateKey: rsa.privateKey.export({ format: 'pem', type: 'pkcs8' }) as string, kid: 'rsa-1' })],
      ['private_key_jwt, PKCS#1 PEM', 'svc-rsa', () => ({ method: 'private_key_jwt', privateKey: rsa.privateKey.export({ format: 'pem', type: 'pkcs1' }) as string, kid: 'rsa-1' })],
      ['private_key_jwt, KeyObject', 'svc-ec', () => ({ method: 'private_key_jwt', privateKey: ec.privateKey, kid: 'ec-1' })],
      ['private_key_jwt, Ed25519', 'svc-ed', () => ({ method: 'private_key_jwt', privateKey: ed.privateKey, kid: 'ed-1' })],
      ['private_key_jwt with aud = issuer', 'svc-ec', () => ({ method: 'private_key_jwt', privateKey: ec.privateKey, kid: 'ec-1', audience: 'issuer' })],
    ]
    it.each(cases)('gets a client_credentials token with %s', async (_name, clientId, auth) => {
      const client = await make(clientId, auth())
      const tokens = await client.clientCredentials({ scope: 'read' })
      expect(tokens.accessToken.split('.')).toHaveLength(3)
      expect(tokens.scope).toBe('read')
      expect(tokens.refreshToken).toBeUndefined()
    })

    it('a CryptoKey works with an explicit kid', async () => {
      const key = await crypto.subtle.importKey('jwk', ec.privateKey.export({ format: 'jwk' }), { name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign'])
      const client = await make('svc-ec', { method: 'private_key_jwt', privateKey: key, kid: 'ec-1' })
      await expect(client.clientCredentials()).resolves.toHaveProperty('accessToken')
    })

    it('a wrong secret is invalid_client, not retryable', async () => {
      const client = await make(DEMO.m2m.client_id, { method: 'client_secret_basic', clientSecret: 'nope' })
      const err = (await client.clientCredentials().catch((e: unknown) => e)) as AuthError
      expect(err.code).toBe('invalid_client')
      expect(err.retryable).toBe(false)
    })

    it('a key the provider does not know is invalid_client', async () => {
      const other = generateKeyPairSync('ec', { namedCurve: 'P-256' })
      const client = await make('svc-ec', { method: 'private_key_jwt', privateKey: other.privateKey, kid: 'ec-1' })
      await expect(client.clientCredentials()).rejects.toMatchObject({ code: 'invalid_client' })
    })

    it('an unusable key is a configuration_error at creation', async () => {
      await expect(make('svc-ec', { method: 'private_key_jwt', privateKey: 'not a pem' })).rejects.toMatchObject({ code: 'configuration_error' })
      await expect(make('svc-ec', { method: 'private_key_jwt', privateKey: ec.publicKey })).rejects.toMatchObject({ code: 'configuration_error' })
    })
  })

  describe('client credentials cache', () => {
    let client: NodeClient
    beforeAll(async () => {
      // Waits between renewal attempts pass on the test clock.
      client = await make(DEMO.m2m.client_id, { method: 'client_secret_basic', clientSecret: DEMO.m2m.client_secret }, { sleep: async (ms) => p.clock.advance(ms / 1000) })
    })

    it('10,000 getToken() calls within a token life make one token request', async () => {
      const before = p.count('access_token')
      const tokens = await Promise.all(Array.from({ length: 10_000 }, () => client.getToken({ scope: 'read' })))
      expect(new Set(tokens).size).toBe(1)
      p.clock.advance(1800)
      await client.getToken({ scope: 'read' })
      expect(p.count('access_token') - before).toBe(1)
    })

    it('caches per scope and renews inside the margin', async () => {
      const before = p.count('access_token')
      const read = await client.getToken({ scope: 'read' })
      const write = await client.getToken({ scope: 'write' })
      expect(read).not.toBe(write)
      p.clock.advance(3600 - 59)
      const renewed = await client.getToken({ scope: 'write' })
      expect(renewed).not.toBe(write)
      expect(p.count('access_token') - before).toBeGreaterThanOrEqual(2)
    })

    it('keeps serving a still-valid token through an outage, and never an expired one', async () => {
      const token = await client.getToken({ scope: 'read write' })
      p.clock.advance(3600 - 30)
      p.failNetwork(1)
      await expect(client.getToken({ scope: 'read write' })).resolves.toBe(token)
      p.clock.advance(60)
      // Expired: no token to fall back on, so the renewal is retried (3 attempts) before the caller sees the outage.
      p.fault('access_token', () => new Response('<html>down</html>', { status: 503, headers: { 'content-type': 'text/html' } }), 3)
      await expect(client.getToken({ scope: 'read write' })).rejects.toMatchObject({ code: 'server_error', retryable: true })
      const fresh = await client.getToken({ scope: 'read write' })
      expect(fresh).not.toBe(token)
    })
  })

  describe('introspection, revocation, tokeninfo', () => {
    it('introspects, revokes and sees the revocation', async () => {
      const client = await make(DEMO.m2m.client_id, { method: 'client_secret_basic', clientSecret: DEMO.m2m.client_secret })
      const { accessToken } = await client.clientCredentials({ scope: 'read' })
      await expect(client.introspect(accessToken)).resolves.toMatchObject({ active: true, client_id: DEMO.m2m.client_id, scope: 'read' })
      const info = await client.tokeninfo(accessToken)
      expect(info.scope).toEqual(['read'])
      expect(info.expires_in).toBeGreaterThan(0)
      await client.revoke(accessToken, 'access_token')
      await expect(client.introspect(accessToken)).resolves.toMatchObject({ active: false })
      await expect(client.tokeninfo(accessToken)).rejects.toMatchObject({ code: 'invalid_token', status: 401 })
    })
  })

  describe('web app code flow', () => {
    it('signs in with client_secret_basic through a pushed request, keeps the transaction server-side, refreshes and reads userinfo', async () => {
      const client = await make(DEMO.web.client_id, { method: 'client_secret_basic', clientSecret: DEMO.web.client_secret }, { redirectUri: DEMO.web.redirect_uri })
      const { url, transaction } = await client.signInUrl({ scope: 'openid profile email' })
      // The provider advertises PAR: the secret-authenticated push leaves only a reference in the URL.
      expect([...url.searchParams.keys()].sort()).toEqual(['client_id', 'request_uri'])
      const callback = await signInAtProvider(p, url)
      const tokens = await client.handleCallback(callback, transaction)
      expect(tokens.claims).toMatchObject({ sub: 'demo', aud: DEMO.web.client_id })
      const info = await client.userinfo(tokens.accessToken, 'demo')
      expect(info.email).toBe('demo@example.com')
      p.clock.advance(3000)
      const refreshed = await client.refresh(tokens.refreshToken!, { previousClaims: tokens.claims! })
      expect(refreshed.refreshToken).not.toBe(tokens.refreshToken)
      await expect(client.refresh(tokens.refreshToken!)).rejects.toMatchObject({ code: 'invalid_grant', needsUser: true })
      await expect(client.userinfo(refreshed.accessToken, 'someone-else')).rejects.toMatchObject({ code: 'userinfo_subject_mismatch' })
    })
  })

  describe('device flow', () => {
    async function approve(userCode: string, decision: 'allow' | 'deny') {
      const login = await fetch(`${p.origin}/json/realms/root/realms/alpha/authenticate`, {
        method: 'POST',
        headers: { 'x-openam-username': 'demo', 'x-openam-password': DEMO.user.password },
      })
      const cookie = login.headers.getSetCookie()[0]!.split(';')[0]!
      const page = await fetch(`${p.issuer()}/device/user?user_code=${encodeURIComponent(userCode)}`, { headers: { cookie } })
      const html = await page.text()
      const csrf = /name="csrf" value="([^"]*)"/.exec(html)![1]!
      const res = await fetch(`${p.issuer()}/device/user`, {
        method: 'POST',
        headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ user_code: userCode, csrf, decision }).toString(),
      })
      expect(res.status).toBe(200)
    }

    /** Sleeps by moving the shared clock: the provider sees time pass, nothing waits. */
    const sleeps: number[] = []
    const sleep = async (ms: number, signal?: AbortSignal) => {
      if (signal?.aborted) throw signal.reason
      sleeps.push(ms)
      p.clock.advance(ms / 1000)
    }
    const cli = () => make(DEMO.device.client_id, { method: 'none' }, { sleep })

    it('polls until approved, slowing down when told', async () => {
      const client = await cli()
      const auth = await client.deviceAuthorization({ scope: 'openid profile' })
      expect(auth.verificationUri).toBe(`${p.issuer()}/device/user`)
      sleeps.length = 0
      let polls = 0
      // One poll too early makes the provider say slow_down: the client must add 5 s.
      p.fault('access_token', async (req, provider) => {
        const res = await provider.fetch(req)
        return res.status === 400 ? Response.json({ error: 'slow_down' }, { status: 400 }) : res
      })
      const tokens = await client.pollDeviceToken(auth, {
        onPoll: (n) => {
          polls = n
          if (n === 3) void approve(auth.userCode, 'allow')
        },
      })
      expect(tokens.claims?.sub).toBe('demo')
      expect(sleeps.slice(0, 3)).toEqual([5000, 10000, 10000])
      expect(polls).toBeGreaterThanOrEqual(4)
    })

    it('fails with access_denied when the user denies', async () => {
      const client = await cli()
      const auth = await client.deviceAuthorization()
      await approve(auth.userCode, 'deny')
      await expect(client.pollDeviceToken(auth)).rejects.toMatchObject({ code: 'access_denied', needsUser: true })
    })

    it('fails with expired_token after the code expires', async () => {
      const client = await cli()
      const auth = await client.deviceAuthorization()
      p.clock.advance(auth.expiresIn)
      await expect(client.pollDeviceToken(auth)).rejects.toMatchObject({ code: 'expired_token' })
    })

    it('stops at expires_in when the provider answers authorization_pending for ever', async () => {
      const client = await cli()
      const auth = await client.deviceAuthorization()
      const lifetimePolls = Math.ceil(auth.expiresIn / auth.interval)
      p.fault('access_token', () => Response.json({ error: 'authorization_pending' }, { status: 400 }), lifetimePolls)
      let polls = 0
      const err = await client.pollDeviceToken(auth, { onPoll: (n) => (polls = n) }).catch((e: unknown) => e)
      expect(err).toMatchObject({ code: 'expired_token', error: 'expired_token', needsUser: true })
      expect(polls).toBe(lifetimePolls)
    })

    it('stops on its AbortSignal', async () => {
      const client = await cli()
      const auth = await client.deviceAuthorization()
      const controller = new AbortController()
      const polling = client.pollDeviceToken(auth, { signal: controller.signal, onPoll: (n) => n === 2 && controller.abort() })
      await expect(polling).rejects.toMatchObject({ code: 'aborted' })
    })
  })
})
