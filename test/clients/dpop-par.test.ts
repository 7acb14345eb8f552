/**
 * DPoP (RFC 9449) and PAR (RFC 9126) end to end: core's AuthClient and the node client
 * against the provider, in process and over loopback HTTP, with an API that checks proofs
 * through @realmauth/node's verifier.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AuthClient, OidcClient, createDPoP, fetchUserInfo, getUserInfo, type DPoP } from '@realmauth/core'
import { AccessTokenError, createAccessTokenVerifier, createNodeClient } from '@realmauth/node'
import { DEMO, demoConfig, type ProviderConfig } from '@realmauth/server'
import { CLIENT_MODES, signInAtProvider, startProvider, type ProviderUnderTest } from './providerHarness.js'
import { authError, decodeJwt, makeClient } from './coreKit.js'

const API = 'https://api.example.test'

function config(): ProviderConfig {
  const base = demoConfig()
  const realm = base.realms[0]!
  realm.clients!.push(
    { ...realm.clients!.find((c) => c.client_id === DEMO.spa.client_id)!, client_id: 'dpop-only', dpop_bound_access_tokens: true },
    { ...realm.clients!.find((c) => c.client_id === DEMO.spa.client_id)!, client_id: 'par-only', require_pushed_authorization_requests: true },
  )
  base.realms.push({ ...structuredClone(realm), name: 'nonces', dpop_nonce: true })
  return base
}

describe.each(CLIENT_MODES)('DPoP and PAR (%s)', (mode) => {
  let p: ProviderUnderTest
  /** Requests that reached the API, and how it answered. */
  let apiCalls: { status: number; nonce?: string }[] = []
  let apiNonce: string | undefined

  beforeAll(async () => {
    p = await startProvider(mode, config())
  })
  afterAll(() => p.close())

  /** The provider's fetch, plus an API at {@link API} that takes DPoP-bound tokens only. */
  const withApi = (issuer = p.issuer()): typeof fetch => {
    const verifier = createAccessTokenVerifier({ issuer, audience: { any: true }, fetch: p.fetch, clock: () => p.clock.now, dpop: { required: true } })
    return async (input, init) => {
      const request = new Request(input, init)
      if (!request.url.startsWith(API)) return p.fetch(request)
      const proof = request.headers.get('dpop')
      const sentNonce = proof ? (decodeJwt(proof).payload.nonce as string | undefined) : undefined
      if (apiNonce !== undefined && sentNonce !== apiNonce) {
        apiCalls.push({ status: 401 })
        return new Response(null, { status: 401, headers: { 'www-authenticate': 'DPoP error="use_dpop_nonce"', 'dpop-nonce': apiNonce } })
      }
      try {
        const claims = await verifier.verify(request.headers.get('authorization'), { dpop: { proof, method: request.method, url: request.url } })
        apiCalls.push({ status: 200, ...(sentNonce && { nonce: sentNonce }) })
        return Response.json({ sub: claims.sub, jkt: claims.cnf?.jkt })
      } catch (err) {
        if (!(err instanceof AccessTokenError)) throw err
        apiCalls.push({ status: err.status! })
        return Response.json({ error: err.code }, { status: err.status!, headers: { 'www-authenticate': err.wwwAuthenticate } })
      }
    }
  }

  async function signedInWith(dpop: DPoP | undefined, extra: Partial<ConstructorParameters<typeof AuthClient>[0]> = {}) {
    const made = makeClient(p, { fetch: withApi(extra.issuer), apiOrigins: [API], ...(dpop && { dpop }), ...extra })
    await made.client.handleCallback(await signInAtProvider(p, await made.client.signInUrl()))
    return made
  }

  describe('DPoP', () => {
    it('binds the tokens of a sign-in to the key: token_type DPoP, cnf.jkt, refresh and userinfo with proofs', async () => {
      const dpop = createDPoP()
      const { client } = await signedInWith(dpop)
      const tokens = client.getSnapshot().tokens!
      expect(tokens.tokenType).toBe('dpop')
      expect(decodeJwt(tokens.accessToken).payload.cnf).toEqual({ jkt: await dpop.thumbprint() })
      expect(await getUserInfo(client)).toMatchObject({ sub: 'demo' })
      const refreshed = await client.refresh()
      expect(refreshed.tokenType).toBe('dpop')
      expect(decodeJwt(refreshed.accessToken).payload.cnf).toEqual({ jkt: await dpop.thumbprint() })
      apiCalls = []
      const res = await client.authFetch(`${API}/orders?page=1`)
      expect(await res.json()).toEqual({ sub: 'demo', jkt: await dpop.thumbprint() })
    })

    it('a bound token fails as a Bearer token and with another key; a bound refresh token fails with another key or none', async () => {
      const { client } = await signedInWith(createDPoP())
      const { accessToken, refreshToken } = client.getSnapshot().tokens!
      const sub = 'demo'
      const bearer = await authError(fetchUserInfo(client.oidc, accessToken, sub, 'bearer'))
      expect(bearer.code).toBe('invalid_token')
      const thief = new OidcClient({ issuer: p.issuer(), clientId: DEMO.spa.client_id, fetch: withApi(), clock: () => p.clock.now, dpop: createDPoP() })
      expect((await authError(fetchUserInfo(thief, accessToken, sub, 'dpop'))).code).toMatch(/invalid_token|invalid_dpop_proof/)
      const api = await thief.fetchWithToken({ accessToken, tokenType: 'dpop' }, `${API}/orders`)
      expect(api.status).toBe(401)
      expect(api.headers.get('www-authenticate')).toMatch(/^DPoP .*error="invalid_dpop_proof"/)
      const bearerApi = await new OidcClient({ issuer: p.issuer(), clientId: DEMO.spa.client_id, fetch: withApi() }).fetchWithToken({ accessToken, tokenType: 'bearer' }, `${API}/orders`)
      expect(bearerApi.status).toBe(401)
      expect((await authError(thief.refresh(refreshToken!))).code).toBe('invalid_grant')
      const plain = new OidcClient({ issuer: p.issuer(), clientId: DEMO.spa.client_id, fetch: p.fetch, clock: () => p.clock.now })
      expect((await authError(plain.refresh(refreshToken!))).code).toBe('invalid_grant')
      // The rightful owner still refreshes: the thief's attempts changed nothing.
      expect((await client.refresh()).tokenType).toBe('dpop')
    })

    it('a client registered for DPoP gets nothing without it', async () => {
      const { client, tokenStore } = makeClient(p, { clientId: 'dpop-only', fetch: withApi() })
      const callback = await signInAtProvider(p, await client.signInUrl())
      const err = await authError(client.handleCallback(callback))
      expect(err.status).toBe(400)
      expect(await tokenStore.get()).toBeUndefined()
      const ok = await signedInWith(createDPoP(), { clientId: 'dpop-only' })
      expect(ok.client.getSnapshot().tokens!.tokenType).toBe('dpop')
    })

    it('answers the provider\'s nonce challenge once, then keeps using the nonce', async () => {
      const issuer = p.provider.issuer('nonces', p.origin)
      const before = p.count('access_token')
      const { client } = await signedInWith(createDPoP(), { issuer, fetch: withApi(issuer) })
      // The code exchange: challenged once, answered once.
      expect(p.count('access_token') - before).toBe(2)
      const refreshes = p.count('access_token')
      await client.refresh()
      expect(p.count('access_token') - refreshes).toBe(1)
      expect(await getUserInfo(client)).toMatchObject({ sub: 'demo' })
    })

    it('a second nonce challenge in a row is use_dpop_nonce, and the tokens stay', async () => {
      const { client, tokenStore } = await signedInWith(createDPoP())
      const stored = await tokenStore.get()
      let n = 0
      p.fault('access_token', () => Response.json({ error: 'use_dpop_nonce', error_description: 'fresh nonce' }, { status: 400, headers: { 'dpop-nonce': `nonce-${++n}` } }), 2)
      const err = await authError(client.refresh())
      expect(err.code).toBe('use_dpop_nonce')
      expect(n).toBe(2)
      expect(await tokenStore.get()).toEqual(stored)
      expect(client.getSnapshot().status).toBe('signed_in')
    })

    it('an API\'s nonce challenge is answered once; a second is an error', async () => {
      const { client } = await signedInWith(createDPoP())
      apiCalls = []
      apiNonce = 'api-nonce-1'
      try {
        expect((await client.authFetch(`${API}/orders`)).status).toBe(200)
        expect(apiCalls).toEqual([{ status: 401 }, { status: 200, nonce: 'api-nonce-1' }])
        apiCalls = []
        expect((await client.authFetch(`${API}/orders`)).status).toBe(200)
        expect(apiCalls).toEqual([{ status: 200, nonce: 'api-nonce-1' }])
        apiNonce = 'api-nonce-2'
        const fetchImpl = withApi()
        let served = 0
        const rotating: typeof fetch = async (input, init) => {
          const res = await fetchImpl(input, init)
          apiNonce = `api-nonce-${3 + served++}`
          return res
        }
        const oidc = new OidcClient({ issuer: p.issuer(), clientId: DEMO.spa.client_id, fetch: rotating, clock: () => p.clock.now, dpop: createDPoP() })
        expect((await authError(oidc.fetchWithToken(client.getSnapshot().tokens!, `${API}/orders`))).code).toBe('use_dpop_nonce')
      } finally {
        apiNonce = undefined
      }
    })

    it('node: a confidential client gets DPoP-bound client-credentials tokens and calls the API with proofs', async () => {
      const node = await createNodeClient({
        issuer: p.issuer(),
        clientId: DEMO.m2m.client_id,
        auth: { method: 'client_secret_basic', clientSecret: DEMO.m2m.client_secret },
        fetch: withApi(),
        clock: () => p.clock.now,
        dpop: createDPoP(),
      })
      const tokens = await node.clientCredentials()
      expect(tokens.tokenType).toBe('dpop')
      expect(decodeJwt(tokens.accessToken).payload.cnf).toMatchObject({ jkt: expect.any(String) })
      const res = await node.fetch(`${API}/reports`, { method: 'POST', body: 'x' })
      expect(res.status).toBe(200)
      expect(await node.introspect(tokens.accessToken)).toMatchObject({ active: true, token_type: 'DPoP', cnf: decodeJwt(tokens.accessToken).payload.cnf })
    })
  })

  describe('PAR', () => {
    it('pushes the request when the provider advertises PAR: the URL carries only client_id and request_uri', async () => {
      const { client, tokenStore } = makeClient(p)
      const url = await client.signInUrl()
      expect([...url.searchParams.keys()].sort()).toEqual(['client_id', 'request_uri'])
      expect(url.searchParams.get('request_uri')).toMatch(/^urn:ietf:params:oauth:request_uri:/)
      await client.handleCallback(await signInAtProvider(p, url))
      expect((await tokenStore.get())?.claims?.sub).toBe('demo')
      // The request_uri is spent: the same URL does not start another sign-in.
      const reused = await fetch(url, { redirect: 'manual' })
      expect(reused.status).toBe(400)
      expect(await reused.text()).toContain('invalid_request_uri')
    })

    it('par: false sends the classic query; a client that must push is refused then', async () => {
      const { client } = makeClient(p, { par: false })
      const url = await client.signInUrl()
      expect(url.searchParams.get('code_challenge_method')).toBe('S256')
      expect(url.searchParams.has('request_uri')).toBe(false)
      const refused = makeClient(p, { clientId: 'par-only', par: false })
      const callback = new URL(await signInAtProvider(p, await refused.client.signInUrl()))
      expect(callback.searchParams.get('error')).toBe('invalid_request')
      const pushed = makeClient(p, { clientId: 'par-only' })
      await pushed.client.handleCallback(await signInAtProvider(p, await pushed.client.signInUrl()))
      expect(pushed.client.getSnapshot().status).toBe('signed_in')
    })

    it('with DPoP, the pushed request binds the code to the key: another key cannot redeem it', async () => {
      const owner = new OidcClient({ issuer: p.issuer(), clientId: DEMO.spa.client_id, fetch: p.fetch, clock: () => p.clock.now, dpop: createDPoP() })
      const { url, transaction } = await owner.signInUrl({ redirectUri: DEMO.spa.redirect_uri, scope: 'openid' })
      const callback = new URL(await signInAtProvider(p, url))
      // Everything right (state, PKCE verifier) except the key.
      const thief = new OidcClient({ issuer: p.issuer(), clientId: DEMO.spa.client_id, fetch: p.fetch, clock: () => p.clock.now, dpop: createDPoP() })
      expect((await authError(thief.handleCallback(callback, transaction))).code).toBe('invalid_grant')
    })
  })
})
