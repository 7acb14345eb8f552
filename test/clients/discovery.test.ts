/**
 * Discovery: the issuer check (mix-up defence), AM's `:443` spelling behind a load
 * balancer, failures typed as discovery_failed / network_error / server_error, and
 * realmIssuer() agreeing with the provider for root, nested and `/am` realms.
 *
 * Userinfo through AuthClient: the claims come back, and an answer about another subject
 * (OIDC Core 5.3.2) is refused with userinfo_subject_mismatch.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { discover, getUserInfo, OidcClient, realmIssuer } from '@realmauth/core'
import { DEMO, demoConfig, type ProviderConfig } from '@realmauth/server'
import { CLIENT_MODES, startProvider, type Fault, type ProviderUnderTest } from './providerHarness.js'
import { answer, authError, b64, callbackFor, makeClient, replaceIdToken, signedIn, viaOrigin, withTestKeys } from './coreKit.js'
import { foreignProvider } from './hostileCases.js'

function config(): ProviderConfig {
  const base = demoConfig()
  base.base_path = '/am'
  base.realms.push({ name: '/' }, { name: 'alpha/beta' })
  return base
}

/** The discovery document as the provider writes it, with its issuer replaced. */
const publishIssuer = (issuer: string | undefined): Fault => async (request, provider) => {
  const doc = (await (await provider.fetch(request)).json()) as Record<string, unknown>
  return Response.json({ ...doc, issuer })
}

const PUBLIC = 'https://idp.example.test'

describe.each(CLIENT_MODES)('discovery and userinfo (%s)', (mode) => {
  let p: ProviderUnderTest
  beforeAll(async () => {
    p = await startProvider(mode, withTestKeys(config()))
  })
  afterAll(() => p.close())

  it('control: returns the metadata of the issuer asked for', async () => {
    const metadata = await discover(p.issuer(), { fetch: p.fetch })
    expect(metadata.issuer).toBe(p.issuer())
    expect(metadata.token_endpoint).toBe(`${p.issuer()}/access_token`)
    expect(metadata.authorization_response_iss_parameter_supported).toBe(true)
  })

  describe('the issuer check', () => {
    const wrong: [string, (issuer: string) => string | undefined][] = [
      ['another host', () => 'https://evil.example.test/am/oauth2/realms/root/realms/alpha'],
      ['another realm of the same provider', (i) => `${i}/realms/beta`],
      ['a trailing slash', (i) => `${i}/`],
      ['another scheme', (i) => i.replace(/^https?:/, (s) => (s === 'https:' ? 'http:' : 'https:'))],
      ['another explicit port', (i) => { const u = new URL(i); u.port = '8443'; return u.href }],
      ['an empty issuer', () => ''],
      ['no issuer at all', () => undefined],
    ]
    it.each(wrong)('a document for %s is refused', async (name, make) => {
      p.fault('.well-known/openid-configuration', publishIssuer(make(p.issuer())))
      const err = await authError(discover(p.issuer(), { fetch: p.fetch }))
      expect(err.code).toBe(name === 'no issuer at all' ? 'discovery_failed' : 'issuer_mismatch')
      expect(err.retryable).toBe(false)
    })

    it('an AuthClient refuses to start a sign-in at a mixed-up issuer', async () => {
      const { client } = makeClient(p)
      p.fault('.well-known/openid-configuration', publishIssuer('https://evil.example.test/oauth2'))
      expect((await authError(client.signInUrl())).code).toBe('issuer_mismatch')
      // A failed discovery is not cached: the next call discovers again.
      await expect(client.signInUrl()).resolves.toBeInstanceOf(URL)
    })
  })

  describe("AM's default port spelled out (https://host:443/...)", () => {
    // The provider refuses an origin with a default port, so the `:443` spelling is
    // published through faults, as AM behind a load balancer does. The client asks for the
    // https issuer; in http mode its fetch maps that origin to the loopback port.
    let asked: string
    let spelled: string
    let fetchVia: typeof fetch
    beforeAll(() => {
      const path = new URL(p.issuer()).pathname
      asked = PUBLIC + path
      spelled = `${PUBLIC}:443${path}`
      fetchVia = viaOrigin(p.fetch, PUBLIC, p.origin)
    })

    it('is accepted, and metadata.issuer keeps the :443 spelling', async () => {
      p.fault('.well-known/openid-configuration', publishIssuer(spelled))
      const metadata = await discover(asked, { fetch: fetchVia })
      expect(metadata.issuer).toBe(spelled)
      expect(metadata.token_endpoint).toBe(`${p.issuer()}/access_token`)
    })

    it('asked with :443 and published without it is accepted too', async () => {
      p.fault('.well-known/openid-configuration', publishIssuer(asked))
      const metadata = await discover(spelled, { fetch: fetchVia })
      expect(metadata.issuer).toBe(asked)
    })

    it(':443 on an http issuer is another port, refused', async () => {
      p.fault('.well-known/openid-configuration', publishIssuer(spelled.replace('https:', 'http:')))
      expect((await authError(discover(asked, { fetch: fetchVia }))).code).toBe('issuer_mismatch')
    })

    /** A client at `asked`, the provider publishing `spelled`, and a callback waiting. */
    async function signInSpelled() {
      const made = makeClient(p, { issuer: asked, fetch: fetchVia })
      p.fault('.well-known/openid-configuration', publishIssuer(spelled))
      const callback = new URL(await callbackFor(p, made.client))
      callback.searchParams.set('iss', spelled)
      return { ...made, callback }
    }

    it('a whole sign-in works when iss and the ID token carry the :443 spelling', async () => {
      const { client, callback } = await signInSpelled()
      p.fault('access_token', replaceIdToken((c, provider) => provider.signJwt({ ...c, iss: spelled })))
      const { tokens } = await client.handleCallback(callback)
      expect(tokens.claims?.iss).toBe(spelled)
      expect((await client.oidc.metadata()).issuer).toBe(spelled)
    })

    it('then the callback iss without :443 is iss_mismatch (RFC 9207 compares strings)', async () => {
      const { client, callback, tokenStore } = await signInSpelled()
      callback.searchParams.set('iss', asked)
      expect((await authError(client.handleCallback(callback))).code).toBe('iss_mismatch')
      expect(await tokenStore.get()).toBeUndefined()
    })

    it('then an ID token iss without :443 is id_token_invalid', async () => {
      const { client, callback, tokenStore } = await signInSpelled()
      p.fault('access_token', replaceIdToken((c, provider) => provider.signJwt({ ...c, iss: asked })))
      expect((await authError(client.handleCallback(callback))).code).toBe('id_token_invalid')
      expect(await tokenStore.get()).toBeUndefined()
    })
  })

  describe('failures', () => {
    const HTML = '<!doctype html><title>Not Found</title><h1>Not Found</h1>'
    it('404 is discovery_failed', async () => {
      p.fault('.well-known/openid-configuration', answer('{"error":"not_found"}', 404))
      const err = await authError(discover(p.issuer(), { fetch: p.fetch }))
      expect(err.code).toBe('discovery_failed')
      expect(err.status).toBe(404)
      expect(err.retryable).toBe(false)
    })

    it('an unknown realm (the provider’s real 404) is discovery_failed', async () => {
      const err = await authError(discover(p.issuer().replace(/alpha$/, 'nope'), { fetch: p.fetch }))
      expect(err.code).toBe('discovery_failed')
      expect(err.status).toBe(404)
    })

    it('an HTML page with 200 is discovery_failed', async () => {
      p.fault('.well-known/openid-configuration', answer(HTML, 200, 'text/html'))
      expect((await authError(discover(p.issuer(), { fetch: p.fetch }))).code).toBe('discovery_failed')
    })

    it('an HTML 404 page is discovery_failed', async () => {
      p.fault('.well-known/openid-configuration', answer(HTML, 404, 'text/html'))
      expect((await authError(discover(p.issuer(), { fetch: p.fetch }))).code).toBe('discovery_failed')
    })

    it('truncated JSON is discovery_failed', async () => {
      p.fault('.well-known/openid-configuration', answer('{"issuer":"', 200))
      expect((await authError(discover(p.issuer(), { fetch: p.fetch }))).code).toBe('discovery_failed')
    })

    it('503 is server_error, retryable', async () => {
      p.fault('.well-known/openid-configuration', answer('Service Unavailable', 503, 'text/plain'))
      const err = await authError(discover(p.issuer(), { fetch: p.fetch }))
      expect(err.code).toBe('server_error')
      expect(err.retryable).toBe(true)
      expect(err.status).toBe(503)
    })

    it('a network failure is network_error, retryable; OidcClient discovers again next time', async () => {
      const oidc = new OidcClient({ issuer: p.issuer(), clientId: DEMO.spa.client_id, fetch: p.fetch })
      const before = p.count('.well-known/openid-configuration')
      p.failNetwork(1)
      const err = await authError(oidc.metadata())
      expect(err.code).toBe('network_error')
      expect(err.retryable).toBe(true)
      expect(p.count('.well-known/openid-configuration')).toBe(before)
      expect((await oidc.metadata()).issuer).toBe(p.issuer())
      await oidc.metadata()
      expect(p.count('.well-known/openid-configuration')).toBe(before + 1) // then cached
    })

    it('an issuer that is not a URL is configuration_error', async () => {
      expect((await authError(discover('not a url'))).code).toBe('configuration_error')
    })

    it.each(['javascript:alert(document.domain)//', 'data:text/html,<script>alert(1)</script>', 'http://idp.example.test/authorize', 'not a url'])(
      'an authorization_endpoint or end_session_endpoint %s is discovery_failed, never a URL to navigate to',
      async (endpoint) => {
        const hostile: Fault = async (request, provider) => {
          const doc = (await (await provider.fetch(request)).json()) as Record<string, unknown>
          return Response.json({ ...doc, authorization_endpoint: endpoint, end_session_endpoint: endpoint })
        }
        p.fault('.well-known/openid-configuration', hostile)
        const { client } = makeClient(p, { issuer: p.issuer('alpha') })
        const err = await authError(client.signInUrl())
        expect(err.code).toBe('discovery_failed')
        expect(err.message).toContain('authorization_endpoint')
        // Signing out still clears the session here; the redirect to the provider is left out.
        const signOut = await client.signOut()
        expect(signOut.endSessionUrl).toBeUndefined()
        expect((await authError(client.oidc.endSessionUrl())).code).toBe('discovery_failed')
      },
    )

    it('plain http is refused off loopback, before any request', async () => {
      const before = p.count('.well-known/openid-configuration')
      const err = await authError(discover('http://idp.example.test/oauth2', { fetch: p.fetch }))
      expect(err.code).toBe('configuration_error')
      expect(p.count('.well-known/openid-configuration')).toBe(before)
    })
  })

  describe('realmIssuer()', () => {
    const cases: [string, string, string][] = [
      ['https://t.example.com/am', 'alpha', 'https://t.example.com/am/oauth2/realms/root/realms/alpha'],
      ['https://t.example.com/am/', 'alpha', 'https://t.example.com/am/oauth2/realms/root/realms/alpha'],
      ['https://t.example.com/am//', '/alpha/', 'https://t.example.com/am/oauth2/realms/root/realms/alpha'],
      ['https://t.example.com/am/oauth2', 'alpha', 'https://t.example.com/am/oauth2/realms/root/realms/alpha'],
      ['https://t.example.com/am/oauth2/', 'alpha', 'https://t.example.com/am/oauth2/realms/root/realms/alpha'],
      ['https://t.example.com/am', 'root/alpha', 'https://t.example.com/am/oauth2/realms/root/realms/alpha'],
      ['http://localhost:9000', 'alpha/beta', 'http://localhost:9000/oauth2/realms/root/realms/alpha/realms/beta'],
      ['http://localhost:9000', '/alpha//beta/', 'http://localhost:9000/oauth2/realms/root/realms/alpha/realms/beta'],
      ['http://localhost:9000', '/', 'http://localhost:9000/oauth2'],
      ['http://localhost:9000', 'root', 'http://localhost:9000/oauth2'],
      ['http://localhost:9000/', '', 'http://localhost:9000/oauth2'],
      ['https://t.example.com/openam', 'alpha', 'https://t.example.com/openam/oauth2/realms/root/realms/alpha'],
    ]
    it.each(cases)('realmIssuer(%j, %j) is %s', (base, realm, issuer) => {
      expect(realmIssuer(base, realm)).toBe(issuer)
    })

    it.each(['/', 'alpha', 'alpha/beta'])('agrees with the provider under /am for realm %j, and discovery works there', async (realm) => {
      for (const base of [`${p.origin}/am`, `${p.origin}/am/`, `${p.origin}/am/oauth2/`]) {
        const issuer = realmIssuer(base, realm)
        expect(issuer).toBe(p.issuer(realm))
        expect((await discover(issuer, { fetch: p.fetch })).issuer).toBe(issuer)
      }
    })
  })

  describe('userinfo', () => {
    it('returns the claims of the scopes granted', async () => {
      const { client } = await signedIn(p)
      const claims = await getUserInfo(client)
      expect(claims).toMatchObject({ sub: 'demo', name: 'Demo User', email: 'demo@example.com', email_verified: true })
      expect(claims).not.toHaveProperty('phone_number') // phone was not asked for
    })

    it('refreshes first when the access token is due, then asks', async () => {
      const { client, tokenStore } = await signedIn(p)
      const old = (await tokenStore.get())!
      p.clock.advance(3600 - 10)
      const before = p.count('access_token')
      expect((await getUserInfo(client)).sub).toBe('demo')
      expect(p.count('access_token')).toBe(before + 1)
      expect((await tokenStore.get())!.accessToken).not.toBe(old.accessToken)
    })

    it('an answer about another sub is userinfo_subject_mismatch', async () => {
      const { client, tokenStore } = await signedIn(p)
      const stored = await tokenStore.get()
      p.fault('userinfo', async (request, provider) => {
        const body = (await (await provider.fetch(request)).json()) as Record<string, unknown>
        return Response.json({ ...body, sub: 'someone-else', email: 'mallory@example.com' })
      })
      const err = await authError(getUserInfo(client))
      expect(err.code).toBe('userinfo_subject_mismatch')
      expect(err.retryable).toBe(false)
      expect(await tokenStore.get()).toBe(stored)
      expect(client.getSnapshot().status).toBe('signed_in')
    })

    describe('signed as a JWT, as AM sends it when userinfo signing is on', () => {
      /** Discovery as AM publishes it: userinfo signing advertised, `none` and HS256 among the algorithms. */
      const amDiscovery: Fault = async (request, provider) => {
        const doc = (await (await provider.fetch(request)).json()) as Record<string, unknown>
        return Response.json({ ...doc, userinfo_signing_alg_values_supported: ['RS256', 'ES256', 'HS256', 'none'] })
      }
      /** The real userinfo claims, edited, and made into a JWT by `sign`. */
      const jwtUserinfo = (sign: (claims: Record<string, unknown>) => string | Promise<string>): Fault => async (request, provider) => {
        const claims = (await (await provider.fetch(request)).json()) as Record<string, unknown>
        return new Response(await sign({ ...claims, iss: p.issuer(), aud: DEMO.spa.client_id }), { headers: { 'content-type': 'application/jwt' } })
      }
      const signedClient = async () => {
        p.fault('.well-known/openid-configuration', amDiscovery)
        return signedIn(p)
      }

      it('control: a JWT signed by the issuer\'s key, with its iss and aud, is accepted', async () => {
        const { client } = await signedClient()
        p.fault('userinfo', jwtUserinfo((c) => p.provider.signJwt(c)))
        expect(await getUserInfo(client)).toMatchObject({ sub: 'demo', email: 'demo@example.com', iss: p.issuer(), aud: DEMO.spa.client_id })
      })

      const bad: [string, (c: Record<string, unknown>) => string | Promise<string>, RegExp][] = [
        ['a garbage signature', async (c) => `${(await p.provider.signJwt(c)).split('.').slice(0, 2).join('.')}.${b64('garbage')}`, /signature/i],
        ['a signature over other claims', async (c) => { const [h, , s] = (await p.provider.signJwt({ ...c, email: 'x@example.com' })).split('.'); return `${h}.${b64(c)}.${s}` }, /signature/i],
        ['a key the issuer never published', async (c) => (await foreignProvider()).signJwt(c), /key|JWK/i],
        ['alg none', (c) => `${b64({ alg: 'none', typ: 'JWT' })}.${b64(c)}.`, /alg/i],
        ['HS256 keyed with a guessable secret', (c) => `${b64({ alg: 'HS256' })}.${b64(c)}.${b64('mac')}`, /alg|algorithm/i],
        ['no iss', ({ iss: _i, ...c }) => p.provider.signJwt(c), /iss or aud/],
        ['no aud', ({ aud: _a, ...c }) => p.provider.signJwt(c), /iss or aud/],
        ['another issuer', (c) => p.provider.signJwt({ ...c, iss: 'https://evil.example.test' }), /iss/],
        ['another audience', (c) => p.provider.signJwt({ ...c, aud: 'someone-else' }), /aud/],
      ]
      it.each(bad)('%s is userinfo_invalid, and the claims are not used', async (_name, sign, reason) => {
        const { client, tokenStore } = await signedClient()
        const stored = await tokenStore.get()
        p.fault('userinfo', jwtUserinfo(sign))
        const err = await authError(getUserInfo(client))
        expect(err.code).toBe('userinfo_invalid')
        expect(err.message).toMatch(reason)
        expect(err.retryable).toBe(false)
        expect(await tokenStore.get()).toBe(stored)
      })

      it('a well-signed JWT about another subject is userinfo_subject_mismatch', async () => {
        const { client } = await signedClient()
        p.fault('userinfo', jwtUserinfo((c) => p.provider.signJwt({ ...c, sub: 'someone-else' })))
        expect((await authError(getUserInfo(client))).code).toBe('userinfo_subject_mismatch')
      })
    })

    it('an answer without sub is invalid_response', async () => {
      const { client } = await signedIn(p)
      p.fault('userinfo', () => Response.json({ name: 'Nobody' }))
      const err = await authError(getUserInfo(client))
      expect(err.code).toBe('invalid_response')
    })

    it('a revoked access token is invalid_token from the bearer challenge', async () => {
      const { client, tokenStore } = await signedIn(p)
      await client.oidc.revoke((await tokenStore.get())!.accessToken, 'access_token')
      const err = await authError(getUserInfo(client))
      expect(err.code).toBe('invalid_token')
      expect(err.status).toBe(401)
    })

    it('a 5xx is server_error, retryable', async () => {
      const { client } = await signedIn(p)
      p.fault('userinfo', answer('', 502, 'text/plain'))
      const err = await authError(getUserInfo(client))
      expect(err.code).toBe('server_error')
      expect(err.retryable).toBe(true)
    })

    it('not signed in: login_required', async () => {
      const { client } = makeClient(p)
      expect((await authError(getUserInfo(client))).code).toBe('login_required')
    })
  })
})
