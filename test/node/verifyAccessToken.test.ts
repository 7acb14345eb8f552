/**
 * The resource-server verifier against the reference provider, in process through msw and
 * over real HTTP on a loopback port. Good tokens come from the provider's token endpoint;
 * bad ones from its token factory (`provider.signJwt`), so they really met the provider's keys.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { SignJWT, generateKeyPair } from 'jose'
import { AuthError, OidcClient, type OidcClientOptions } from '@realmauth/core'
import {
  AccessTokenError,
  createAccessTokenVerifier,
  verifyAccessToken,
  type AccessTokenVerifierOptions,
} from '@realmauth/node'
import { DEMO, createProvider, demoConfig, generateSigningKey, type Provider, type SigningJwk } from '@realmauth/server'
import { CLIENT_MODES, startProvider, type ProviderUnderTest } from '../clients/providerHarness.js'
import { cutBodies } from '../clients/cutBody.js'

const enc = (s: string) => encodeURIComponent(s).replace(/%20/g, '+')
const basic = (id: string, secret: string) => 'Basic ' + btoa(`${enc(id)}:${enc(secret)}`)
const b64url = (value: object | string) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url')

/** Rejects with an AccessTokenError of `code`; returns it for further checks. */
async function refused(promise: Promise<unknown>, code: 'invalid_token' | 'insufficient_scope', description?: RegExp): Promise<AccessTokenError> {
  const err = await promise.then(
    (claims) => {
      throw new Error(`expected ${code}, got claims ${JSON.stringify(claims)}`)
    },
    (e: unknown) => e,
  )
  expect(err).toBeInstanceOf(AccessTokenError)
  const e = err as AccessTokenError
  expect(e.code).toBe(code)
  expect(e.status).toBe(code === 'invalid_token' ? 401 : 403)
  if (description) expect(e.message).toMatch(description)
  return e
}

describe.each(CLIENT_MODES)('verifyAccessToken (%s)', (mode) => {
  let p: ProviderUnderTest
  let oldKey: SigningJwk
  let newKey: SigningJwk
  /** Every request the verifiers make, by URL: counts JWKS and discovery fetches. */
  let seen: string[] = []
  const countingFetch: typeof fetch = (input, init) => {
    seen.push(String(input instanceof Request ? input.url : input))
    return p.fetch(input, init)
  }
  const fetched = (suffix: string) => seen.filter((u) => u.endsWith(suffix)).length

  beforeAll(async () => {
    oldKey = (await generateSigningKey('RS256')).privateJwk as SigningJwk
    newKey = (await generateSigningKey('RS256')).privateJwk as SigningJwk
    p = await startProvider(mode, { ...demoConfig(), keys: [oldKey] })
  })
  afterAll(() => p.close())
  afterEach(() => {
    seen = []
    vi.useRealTimers()
  })

  const make = (extra: Partial<AccessTokenVerifierOptions> = {}) =>
    createAccessTokenVerifier({ issuer: p.issuer(), audience: { any: true }, fetch: countingFetch, clock: () => p.clock.now, ...extra })

  async function clientCredentials(scope = 'read write'): Promise<string> {
    const res = await fetch(`${p.issuer()}/access_token`, {
      method: 'POST',
      headers: { authorization: basic(DEMO.m2m.client_id, DEMO.m2m.client_secret), 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', scope }),
    })
    expect(res.status).toBe(200)
    return ((await res.json()) as { access_token: string }).access_token
  }

  function claims(overrides: Record<string, unknown> = {}): Record<string, unknown> {
    const now = Math.floor(p.clock.now / 1000)
    return { iss: p.issuer(), sub: 'demo-m2m', aud: 'demo-m2m', client_id: 'demo-m2m', scope: 'read', iat: now, nbf: now, exp: now + 3600, jti: 'j-1', realm: '/alpha', ...overrides }
  }
  const at = (overrides?: Record<string, unknown>, options: { alg?: 'RS256' | 'ES256'; typ?: string } = {}) =>
    p.provider.signJwt(claims(overrides), { typ: 'at+jwt', ...options })

  describe('tokens that verify', () => {
    it('accepts a client_credentials token, raw or in a Bearer header of any case, and types its claims', async () => {
      const token = await clientCredentials()
      const verifier = make()
      for (const input of [token, `Bearer ${token}`, `bearer ${token}`, `BEARER  ${token}`]) {
        const c = await verifier.verify(input)
        expect(c).toMatchObject({ iss: p.issuer(), sub: 'demo-m2m', client_id: 'demo-m2m', aud: 'demo-m2m', scope: 'read write', scopes: ['read', 'write'], realm: '/alpha' })
        expect(typeof c.jti).toBe('string')
        expect(c.exp - c.iat).toBe(3600)
      }
      // Discovery and JWKS once for four verifications.
      expect(fetched('/.well-known/openid-configuration')).toBe(1)
      expect(fetched('/connect/jwk_uri')).toBe(1)
    })

    it('accepts ES256, typ JWT and typ at+jwt, and a configured audience', async () => {
      const verifier = make({ audience: ['orders-api', 'demo-m2m'] })
      await expect(verifier.verify(await at({}, { alg: 'ES256' }))).resolves.toMatchObject({ scopes: ['read'] })
      await expect(verifier.verify(await at({}, { typ: 'JWT' }))).resolves.toMatchObject({ sub: 'demo-m2m' })
      await expect(verifier.verify(await at({ aud: ['x', 'orders-api'] }, { typ: 'application/at+jwt' }))).resolves.toMatchObject({ aud: ['x', 'orders-api'] })
    })

    it('uses a configured jwksUri without discovery', async () => {
      const verifier = make({ jwksUri: `${p.issuer()}/connect/jwk_uri` })
      await verifier.verify(await clientCredentials())
      expect(fetched('/.well-known/openid-configuration')).toBe(0)
      expect(fetched('/connect/jwk_uri')).toBe(1)
    })

    it('verifyAccessToken keeps one warm verifier per options object', async () => {
      const options: AccessTokenVerifierOptions = { issuer: p.issuer(), audience: DEMO.m2m.client_id, fetch: countingFetch, clock: () => p.clock.now, requiredScopes: ['read'] }
      const token = await clientCredentials()
      for (let i = 0; i < 3; i++) await expect(verifyAccessToken(`Bearer ${token}`, options)).resolves.toMatchObject({ sub: 'demo-m2m' })
      expect(fetched('/connect/jwk_uri')).toBe(1)
      await refused(verifyAccessToken(await clientCredentials('write'), options), 'insufficient_scope')
    })
  })

  describe('tokens that are refused with invalid_token', () => {
    it.each([
      ['another issuer', { iss: 'https://evil.example/oauth2' }, /another issuer/],
      ['expired', { exp: 1000, iat: 900, nbf: 900 }, /expired/],
      ['not valid yet', { nbf: 'future' }, /not valid yet/],
      ['no sub', { sub: undefined }, /'sub' claim is missing/],
      ['no client_id', { client_id: undefined }, /'client_id' claim/],
    ])('%s', async (_name, overrides, description) => {
      const o = { ...overrides } as Record<string, unknown>
      if (o.nbf === 'future') o.nbf = Math.floor(p.clock.now / 1000) + 600
      const err = await refused(make().verify(await at(o)), 'invalid_token', description)
      expect(err.wwwAuthenticate).toMatch(new RegExp(`^Bearer realm="${p.issuer()}", error="invalid_token", error_description="[^"\\\\]+"$`))
    })

    it('a token for another audience when an audience is configured', async () => {
      await refused(make({ audience: 'orders-api' }).verify(await at({ aud: 'demo-m2m' })), 'invalid_token', /audience/)
      // Only the explicit opt-out skips the check.
      await expect(make({ audience: { any: true } }).verify(await at({ aud: 'someone-else' }))).resolves.toBeTruthy()
    })

    it('a verifier without an audience is not created: configuration_error, before any token is seen', () => {
      for (const audience of [undefined, '', [], [''], { any: false }, 'any']) {
        const create = () => createAccessTokenVerifier({ issuer: p.issuer(), fetch: countingFetch, audience } as unknown as AccessTokenVerifierOptions)
        if (audience === 'any') expect(create).not.toThrow() // a real audience named 'any', not the opt-out
        else expect(create).toThrow(expect.objectContaining({ code: 'configuration_error', message: expect.stringMatching(/audience is required/) }))
      }
      expect(seen).toEqual([])
    })

    it('a clockTolerance that is not a number of seconds (NaN from an unset variable, a string) is refused at creation', async () => {
      for (const clockTolerance of [Number(undefined), '30', -1, Infinity]) {
        expect(() => make({ clockTolerance } as unknown as Partial<AccessTokenVerifierOptions>)).toThrow(
          expect.objectContaining({ code: 'configuration_error', message: expect.stringContaining('clockTolerance') }),
        )
        expect(() => new OidcClient({ issuer: p.issuer(), clientId: 'x', clockTolerance } as unknown as OidcClientOptions)).toThrow(
          expect.objectContaining({ code: 'configuration_error', message: expect.stringContaining('clockTolerance') }),
        )
      }
      await expect(make({ clockTolerance: 0 }).verify(await at())).resolves.toBeTruthy()
    })

    it('expiry follows the injected clock, with 5 s of tolerance by default', async () => {
      const token = await clientCredentials()
      let skew = 0
      const verifier = make({ clock: () => p.clock.now + skew })
      await verifier.verify(token)
      skew = 3604_000
      await verifier.verify(token)
      skew = 3606_000
      await refused(verifier.verify(token), 'invalid_token', /expired/)
      await refused(make({ clock: () => p.clock.now + 3601_000, clockTolerance: 0 }).verify(token), 'invalid_token', /expired/)
    })

    it('a tampered signature or payload', async () => {
      const token = await clientCredentials()
      const [h, b, s] = token.split('.') as [string, string, string]
      const flipped = s.slice(0, 10) + (s[10] === 'A' ? 'B' : 'A') + s.slice(11)
      await refused(make().verify(`${h}.${b}.${flipped}`), 'invalid_token', /signature/)
      const payload = JSON.parse(Buffer.from(b, 'base64url').toString()) as Record<string, unknown>
      await refused(make().verify(`${h}.${b64url({ ...payload, scope: 'read write admin' })}.${s}`), 'invalid_token', /signature/)
    })

    it('alg none, HS256, and an algorithm outside the allow-list', async () => {
      const kid = (await p.provider.jwks()).keys[0]!.kid as string
      const none = `${b64url({ alg: 'none', typ: 'at+jwt' })}.${b64url(claims())}.`
      await refused(make().verify(none), 'invalid_token', /algorithm is not allowed/)
      const hs = await new SignJWT(claims()).setProtectedHeader({ alg: 'HS256', typ: 'at+jwt', kid }).sign(new TextEncoder().encode('x'.repeat(32)))
      await refused(make().verify(hs), 'invalid_token', /algorithm is not allowed/)
      await refused(make({ algorithms: ['ES256'] }).verify(await at()), 'invalid_token', /algorithm is not allowed/)
      expect(() => make({ algorithms: ['RS256', 'HS256'] })).toThrowError(expect.objectContaining({ code: 'configuration_error' }))
    })

    it('a token signed by a foreign key, with its own kid or with the provider\'s', async () => {
      const foreign: Provider = createProvider(demoConfig())
      await refused(make().verify(await foreign.signJwt(claims(), { typ: 'at+jwt' })), 'invalid_token', /No key of the issuer/)
      const kid = (await p.provider.jwks()).keys.find((k) => k.kty === 'RSA')!.kid as string
      const { privateKey } = await generateKeyPair('RS256')
      const spoof = await new SignJWT(claims()).setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid }).sign(privateKey)
      await refused(make().verify(spoof), 'invalid_token', /signature/)
    })

    it('a token of another type (an ID token style typ)', async () => {
      await refused(make().verify(await at({}, { typ: 'dpop+jwt' })), 'invalid_token', /not an access token/)
    })

    it("an AM ID token (typ JWT, tokenName id_token), even one a claims script gave a client_id and the API's audience", async () => {
      const idToken = (extra: Record<string, unknown>) =>
        at({ tokenName: 'id_token', tokenType: 'JWTToken', azp: 'demo-m2m', nonce: 'n-1', auth_time: Math.floor(p.clock.now / 1000), ...extra }, { typ: 'JWT' })
      await refused(make({ audience: 'demo-m2m' }).verify(await idToken({})), 'invalid_token', /named 'id_token' is not an access token/)
      await refused(make().verify(await idToken({ scope: 'read write admin' })), 'invalid_token', /not an access token/)
      // Control: the same claims as an access token pass.
      await expect(make({ audience: 'demo-m2m' }).verify(await at({ tokenName: 'access_token' }, { typ: 'JWT' }))).resolves.toMatchObject({ sub: 'demo-m2m' })
    })

    it.each([
      ['a garbage string (no introspection configured)', 'not-a-token', /not a JWT/],
      ['three garbage segments', 'a.b.c', /malformed/],
      ['a token with trailing spaces and garbage', 'Bearer abc.def.ghi  ', /malformed/],
      ['JSON in a header', '{"alg":"RS256"}', /characters/],
      ['another scheme', 'Basic ZGVtbzpwdw==', /Bearer or DPoP scheme/],
      ['Bearer without a token', 'Bearer', /malformed/],
      ['Bearer with two tokens', 'Bearer a b', /malformed/],
      ['a token with a comma', 'Bearer abc,def', /malformed/],
    ])('%s', async (_name, input, description) => {
      const err = await refused(make().verify(input), 'invalid_token', description)
      expect(err.wwwAuthenticate).toContain('error="invalid_token"')
      expect(fetched('/introspect')).toBe(0)
    })

    it('no token at all gets a bare challenge (RFC 6750 3.1)', async () => {
      for (const input of [undefined, null, '']) {
        const err = await refused(make({ realm: 'orders' }).verify(input), 'invalid_token')
        expect(err.wwwAuthenticate).toBe('Bearer realm="orders"')
      }
    })
  })

  describe('scopes', () => {
    it('refuses a token without a required scope with insufficient_scope and the scopes in the challenge', async () => {
      const readOnly = await clientCredentials('read')
      const verifier = make({ requiredScopes: ['read'], realm: 'orders' })
      await expect(verifier.verify(readOnly)).resolves.toMatchObject({ scopes: ['read'] })
      const err = await refused(verifier.verify(readOnly, { requiredScopes: ['write'] }), 'insufficient_scope', /'write'/)
      expect(err.wwwAuthenticate).toBe(`Bearer realm="orders", error="insufficient_scope", error_description="The access token lacks the scope 'write'", scope="read write"`)
      await expect(verifier.verify(await clientCredentials('read write'), { requiredScopes: ['write'] })).resolves.toBeTruthy()
    })
  })

  describe('JWKS failures are the provider\'s, never the token\'s', () => {
    it('a 5xx from the JWKS is server_error, a dropped request network_error; both retryable, and the next call recovers', async () => {
      const token = await clientCredentials()
      const verifier = make({ jwksUri: `${p.issuer()}/connect/jwk_uri` })
      p.fault('connect/jwk_uri', () => new Response('down', { status: 503 }))
      const down = await verifier.verify(token).catch((e: unknown) => e as AuthError)
      expect(down).toBeInstanceOf(AuthError)
      expect(down).not.toBeInstanceOf(AccessTokenError)
      expect(down).toMatchObject({ code: 'server_error', status: 503, retryable: true })
      p.failNetwork(1)
      await expect(verifier.verify(token)).rejects.toMatchObject({ code: 'network_error', retryable: true })
      await expect(verifier.verify(token)).resolves.toMatchObject({ sub: 'demo-m2m' })
    })

    it('a JWKS that is not JSON is server_error', async () => {
      const verifier = make({ jwksUri: `${p.issuer()}/connect/jwk_uri` })
      p.fault('connect/jwk_uri', () => new Response('<html>', { status: 200, headers: { 'content-type': 'text/html' } }))
      await expect(verifier.verify(await clientCredentials())).rejects.toMatchObject({ code: 'server_error' })
    })

    it('a failed discovery is reported as such and retried on the next call', async () => {
      const verifier = make()
      p.fault('.well-known/openid-configuration', () => new Response('nope', { status: 404 }))
      await expect(verifier.verify(await clientCredentials())).rejects.toMatchObject({ code: 'discovery_failed' })
      await expect(verifier.verify(await clientCredentials())).resolves.toBeTruthy()
    })
  })

  describe('key rotation', () => {
    /** The provider after rotation: signs with the new key, still publishes the old one. */
    let rotated: Provider
    beforeAll(async () => {
      rotated = createProvider({ ...demoConfig(), keys: [newKey, oldKey], clock: () => p.clock.now })
      await rotated.ready
    })
    /** The next JWKS request (exactly one is expected) reaches the rotated provider. */
    const rotate = () => p.fault('connect/jwk_uri', (request) => rotated.fetch(request))
    const rotatedToken = () => rotated.signJwt(claims(), { typ: 'at+jwt' })

    it('an unknown kid triggers exactly one JWKS refetch, after which old and new tokens verify', async () => {
      const verifier = make({ jwksCooldown: 0 })
      const before = await clientCredentials()
      await verifier.verify(before)
      expect(fetched('/connect/jwk_uri')).toBe(1)
      rotate()
      await expect(verifier.verify(await rotatedToken())).resolves.toMatchObject({ sub: 'demo-m2m' })
      expect(fetched('/connect/jwk_uri')).toBe(2)
      await verifier.verify(await rotatedToken())
      await verifier.verify(before)
      expect(fetched('/connect/jwk_uri')).toBe(2)
    })

    it('within the cooldown an unknown kid is refused without a fetch; once it has passed, one refetch', async () => {
      vi.useFakeTimers({ toFake: ['Date'] })
      const verifier = make()
      await verifier.verify(await clientCredentials())
      rotate()
      const token = await rotatedToken()
      await refused(verifier.verify(token), 'invalid_token', /No key of the issuer/)
      expect(fetched('/connect/jwk_uri')).toBe(1)
      // jose measures its cooldown (30 s) on the wall clock; move that clock, do not wait.
      vi.setSystemTime(Date.now() + 31_000)
      await expect(verifier.verify(token)).resolves.toMatchObject({ sub: 'demo-m2m' })
      expect(fetched('/connect/jwk_uri')).toBe(2)
    })
  })

  describe('introspection', () => {
    const introspection = { clientId: DEMO.m2m.client_id, clientSecret: DEMO.m2m.client_secret }

    it('refuses a non-JWT string the provider does not know, and caches the answer', async () => {
      const verifier = make({ introspection })
      await refused(verifier.verify('Bearer opaque-0123456789abcdef'), 'invalid_token', /not active/)
      await refused(verifier.verify('opaque-0123456789abcdef'), 'invalid_token', /not active/)
      expect(fetched('/introspect')).toBe(1)
      // Past cacheTtl (60 s) the provider is asked again.
      p.clock.advance(61)
      await refused(verifier.verify('opaque-0123456789abcdef'), 'invalid_token')
      expect(fetched('/introspect')).toBe(2)
    })

    it('accepts an active opaque token with client_secret_basic (RFC 6749 2.3.1), caching until exp', async () => {
      const now = Math.floor(p.clock.now / 1000)
      const authorizations: string[] = []
      p.fault(
        'introspect',
        (request) => {
          authorizations.push(request.headers.get('authorization') ?? '')
          return Response.json({ active: true, token_type: 'Bearer', scope: 'read write', client_id: 'svc', sub: 'svc', iss: p.issuer(), iat: now, exp: now + 30 })
        },
      )
      const weird = { clientId: 'rs:1', clientSecret: 'p%ss+w:rd é' }
      const verifier = make({ introspection: weird })
      const c = await verifier.verify('opaque-active-token')
      expect(c).toMatchObject({ sub: 'svc', client_id: 'svc', iss: p.issuer(), scopes: ['read', 'write'] })
      await refused(verifier.verify('opaque-active-token', { requiredScopes: ['admin'] }), 'insufficient_scope')
      expect(authorizations).toEqual([basic('rs:1', 'p%ss+w:rd é')])
      expect(authorizations[0]).toBe('Basic ' + btoa('rs%3A1:p%25ss%2Bw%3Ard+%C3%A9'))
      // The answer was cached until exp (30 s), before cacheTtl (60 s): past it, the provider is asked again.
      p.clock.advance(36)
      p.fault('introspect', () => Response.json({ active: false }))
      await refused(verifier.verify('opaque-active-token'), 'invalid_token', /not active/)
      expect(fetched('/introspect')).toBe(2)
    })

    it('accepts an introspection answer without sub (RFC 7662: optional; machine tokens of node-oidc-provider have none)', async () => {
      const now = Math.floor(p.clock.now / 1000)
      p.fault('introspect', () => Response.json({ active: true, token_type: 'Bearer', scope: 'read', client_id: 'svc', aud: 'orders-api', iss: p.issuer(), iat: now, exp: now + 30 }))
      const claims = await make({ introspection, audience: 'orders-api' }).verify('opaque-machine-token', { requiredScopes: ['read'] })
      expect(claims).toMatchObject({ client_id: 'svc', scopes: ['read'] })
      expect(claims.sub).toBeUndefined()
      // A sub that is there must still be a string.
      p.fault('introspect', () => Response.json({ active: true, token_type: 'Bearer', client_id: 'svc', sub: 42, iss: p.issuer(), iat: now, exp: now + 30 }))
      await refused(make({ introspection }).verify('opaque-numeric-sub'), 'invalid_token', /'sub'/)
    })

    it('an introspected token for another audience is refused', async () => {
      const now = Math.floor(p.clock.now / 1000)
      p.fault('introspect', () => Response.json({ active: true, token_type: 'Bearer', client_id: 'svc', aud: 'billing-api', iss: p.issuer(), iat: now, exp: now + 30 }))
      await refused(make({ introspection, audience: 'orders-api' }).verify('opaque-other-api'), 'invalid_token', /audience/)
    })

    it('refuses an introspected refresh token as an access token', async () => {
      const now = Math.floor(p.clock.now / 1000)
      p.fault('introspect', () => Response.json({ active: true, token_type: 'refresh_token', client_id: 'svc', sub: 'svc', iat: now, exp: now + 30 }))
      await refused(make({ introspection }).verify('opaque-refresh-token'), 'invalid_token', /not an access token/)
    })

    it('a revoked JWT still verifies statelessly, but not with introspectJwts', async () => {
      const token = await clientCredentials()
      const revoked = await fetch(`${p.issuer()}/token/revoke`, {
        method: 'POST',
        headers: { authorization: basic(DEMO.m2m.client_id, DEMO.m2m.client_secret), 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token }),
      })
      expect(revoked.status).toBe(200)
      await expect(make({ introspection }).verify(token)).resolves.toMatchObject({ sub: 'demo-m2m' })
      expect(fetched('/introspect')).toBe(0)
      await refused(make({ introspection: { ...introspection, introspectJwts: true } }).verify(token), 'invalid_token', /not active/)
      const live = await clientCredentials()
      const checking = make({ introspection: { ...introspection, introspectJwts: true } })
      await checking.verify(live)
      await checking.verify(live)
      expect(fetched('/introspect')).toBe(2)
    })

    it.each(['stall', 'reset'] as const)('an introspection answer whose body %ss mid-way is a retryable network_error, and the next call asks again', async (cut) => {
      const cuts = await cutBodies(p)
      try {
        const verifier = make({ introspection, fetch: cuts.fetch, timeoutMs: 300 })
        cuts.arm('introspect', cut)
        await expect(verifier.verify(`opaque-cut-${cut}`)).rejects.toMatchObject({ code: 'network_error', retryable: true })
        await refused(verifier.verify(`opaque-cut-${cut}`), 'invalid_token', /not active/)
      } finally {
        await cuts.close()
      }
    })

    it('an introspection endpoint that never answers is a retryable network_error after timeoutMs', async () => {
      p.fault('introspect', () => new Promise<Response>(() => {}))
      await expect(make({ introspection, timeoutMs: 1 }).verify('opaque-stalled')).rejects.toMatchObject({ code: 'network_error', retryable: true })
    })

    it('wrong introspection credentials are configuration_error; a 5xx is server_error', async () => {
      const wrong = make({ introspection: { clientId: DEMO.m2m.client_id, clientSecret: 'wrong' } })
      const err = await wrong.verify('opaque-xyz').catch((e: unknown) => e)
      expect(err).not.toBeInstanceOf(AccessTokenError)
      expect(err).toMatchObject({ code: 'configuration_error', status: 401 })
      p.fault('introspect', () => Response.json({ error: 'server_error' }, { status: 502 }))
      await expect(make({ introspection }).verify('opaque-xyz')).rejects.toMatchObject({ code: 'server_error', retryable: true })
    })
  })
})
