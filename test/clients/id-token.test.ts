/**
 * ID token negatives, each through a real sign-in and code exchange whose token response
 * carries the provider's real answer with the ID token swapped for a wrong one. The client
 * must refuse with `id_token_invalid` and store nothing.
 */
import { createHmac } from 'node:crypto'
import { SignJWT, exportJWK, generateKeyPair } from 'jose'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { createProvider, demoConfig, type Provider } from '@realmauth/server'
import { CLIENT_MODES, startProvider, type ProviderUnderTest } from './providerHarness.js'
import { authError, b64, callbackFor, decodeJwt, makeClient, replaceIdToken, type Claims, withTestKeys } from './coreKit.js'

type Make = (claims: Claims, provider: Provider, real: string) => string | Promise<string>

const nowSec = (p: ProviderUnderTest) => Math.floor(p.clock.now / 1000)

describe.each(CLIENT_MODES)('ID token validation (%s)', (mode) => {
  let p: ProviderUnderTest
  let other: Provider
  beforeAll(async () => {
    p = await startProvider(mode, withTestKeys(demoConfig()))
    other = createProvider(demoConfig())
    await other.ready
  })
  afterAll(() => p.close())
  afterEach(() => {
    vi.useRealTimers()
  })

  /** Signs in with the token response's ID token replaced by `make(...)`; returns what the user sees. */
  async function exchangeWith(make: Make) {
    const { client, tokenStore, events, notifications } = makeClient(p)
    await client.load()
    const before = client.getSnapshot()
    const callback = await callbackFor(p, client)
    p.fault('access_token', replaceIdToken(make))
    const result = await client.handleCallback(callback).then(
      (value) => ({ ok: true as const, value }),
      (error: unknown) => ({ ok: false as const, error }),
    )
    return { client, tokenStore, events, notifications, before, result }
  }

  async function expectRefused(make: Make, reason: RegExp) {
    const { client, tokenStore, events, notifications, before, result } = await exchangeWith(make)
    const err = await authError(result.ok ? Promise.resolve(result.value) : Promise.reject(result.error))
    expect(err.code).toBe('id_token_invalid')
    expect(err.message).toMatch(reason)
    expect(err.retryable).toBe(false)
    expect(await tokenStore.get()).toBeUndefined()
    expect(client.getSnapshot()).toBe(before)
    expect(client.getSnapshot().status).toBe('signed_out')
    expect(notifications()).toBe(1) // only load()'s loading -> signed_out
    expect(events).toEqual([])
    return err
  }

  it('control: the real claims re-signed with the provider key are accepted', async () => {
    const { result, tokenStore } = await exchangeWith((claims, provider) => provider.signJwt(claims))
    expect(result.ok).toBe(true)
    expect((await tokenStore.get())?.claims?.sub).toBe('demo')
  })

  const claimCases: [string, (c: Claims, p: ProviderUnderTest) => Claims, RegExp][] = [
    ['a wrong iss', (c) => ({ ...c, iss: 'https://evil.example.test/oauth2/realms/root/realms/alpha' }), /iss/],
    ['the issuer of another realm', (c) => ({ ...c, iss: `${String(c.iss)}/realms/beta` }), /iss/],
    ['a wrong aud', (c) => ({ ...c, aud: 'someone-else' }), /aud/],
    ['an aud list without this client', (c) => ({ ...c, aud: ['someone-else', 'another'] }), /aud/],
    ['a wrong azp', (c) => ({ ...c, azp: 'someone-else' }), /azp/],
    ['a wrong azp with this client among several audiences', (c) => ({ ...c, aud: [c.aud, 'api'], azp: 'api' }), /azp/],
    ['a wrong nonce', (c) => ({ ...c, nonce: 'not-the-nonce-sent' }), /nonce/],
    ['no nonce', ({ nonce: _n, ...c }) => c, /nonce/],
    ['an expired exp', (c, p) => ({ ...c, iat: nowSec(p) - 7200, exp: nowSec(p) - 3600 }), /exp/],
    ['an exp just past the 30 s tolerance', (c, p) => ({ ...c, exp: nowSec(p) - 31 }), /exp/],
    ['no exp', ({ exp: _e, ...c }) => c, /exp/],
    ['an iat in the future', (c, p) => ({ ...c, iat: nowSec(p) + 600, exp: nowSec(p) + 4200 }), /iat/],
    ['no iat', ({ iat: _i, ...c }) => c, /iat/],
    ['no sub', ({ sub: _s, ...c }) => c, /sub/],
  ]
  it.each(claimCases)('refuses an ID token with %s', async (_name, edit, reason) => {
    await expectRefused((claims, provider) => provider.signJwt(edit(claims, p)), reason)
  })

  it('accepts an exp within the 30 s clock tolerance', async () => {
    const { result } = await exchangeWith((c, provider) => provider.signJwt({ ...c, exp: nowSec(p) - 20 }))
    expect(result.ok).toBe(true)
  })

  it('refuses a tampered signature', async () => {
    await expectRefused((_c, _provider, real) => {
      const [h, b, s] = real.split('.') as [string, string, string]
      const i = Math.floor(s.length / 2)
      return `${h}.${b}.${s.slice(0, i)}${s[i] === 'A' ? 'B' : 'A'}${s.slice(i + 1)}`
    }, /signature/i)
  })

  it('refuses a tampered payload under the original signature', async () => {
    await expectRefused((c, _provider, real) => {
      const [h, , s] = real.split('.') as [string, string, string]
      return `${h}.${b64({ ...c, name: 'Mallory' })}.${s}`
    }, /signature/i)
  })

  it('refuses an unsigned token (alg none, empty signature)', async () => {
    await expectRefused((c) => `${b64({ alg: 'none', typ: 'JWT' })}.${b64(c)}.`, /alg/)
  })

  it('refuses an HS256 token keyed with the public key (algorithm confusion)', async () => {
    const jwks = await p.provider.jwks()
    const secret = JSON.stringify(jwks.keys[0])
    await expectRefused((c) => {
      const input = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64(c)}`
      return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`
    }, /alg/)
  })

  it('refuses an ES256 token when the client expects the default RS256', async () => {
    await expectRefused((c, provider) => provider.signJwt(c, { alg: 'ES256' }), /alg/)
  })

  it('with idTokenSigningAlg ES256: accepts ES256 and refuses the RS256 the provider sends', async () => {
    const es = makeClient(p, { idTokenSigningAlg: 'ES256' })
    p.fault('access_token', replaceIdToken((c, provider) => provider.signJwt(c, { alg: 'ES256' })))
    const { tokens } = await es.client.handleCallback(await callbackFor(p, es.client))
    expect(decodeJwt(tokens.idToken!).header.alg).toBe('ES256')
    const rs = makeClient(p, { idTokenSigningAlg: 'ES256' })
    const err = await authError(rs.client.handleCallback(await callbackFor(p, rs.client)))
    expect(err.code).toBe('id_token_invalid')
    expect(await rs.tokenStore.get()).toBeUndefined()
  })

  it('refuses a validly signed token with a crit header extension it does not understand (RFC 7515 4.1.11)', async () => {
    await expectRefused((c, provider) => provider.signJwt(c, { header: { crit: ['urn:example:must-understand'], 'urn:example:must-understand': true } }), /crit/)
  })

  it('ignores a jwk or jku in the header: a token signed with the key it carries is refused', async () => {
    const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true })
    const jwk = await exportJWK(publicKey)
    for (const header of [{ jwk }, { jku: 'https://evil.example.test/jwks.json', kid: 'evil' }]) {
      await expectRefused((c) => new SignJWT(c).setProtectedHeader({ alg: 'RS256', typ: 'JWT', ...header }).sign(privateKey), /key|signature/i)
    }
  })

  it('refuses an oversized ID token (2 MB of claims) without storing anything', async () => {
    await expectRefused((c) => `${b64({ alg: 'RS256', typ: 'JWT' })}.${b64({ ...c, padding: 'x'.repeat(2_000_000) })}.${'A'.repeat(342)}`, /kid|key|signature/i)
  })

  it('refuses a token whose kid names a published key it was not signed with', async () => {
    const jwks = await p.provider.jwks()
    const rsa = jwks.keys.find((k) => k.kty === 'RSA')!
    await expectRefused(async (c) => {
      const foreign = await other.signJwt(c)
      const [, b, s] = foreign.split('.') as [string, string, string]
      expect(decodeJwt(foreign).header.kid).not.toBe(rsa.kid)
      return `${b64({ ...decodeJwt(foreign).header, kid: rsa.kid })}.${b}.${s}`
    }, /signature/i)
  })

  describe("a token signed by another provider's key (unknown kid)", () => {
    it('with a JWKS under a minute old: no refetch, id_token_invalid', async () => {
      // oauth4webapi refetches on an unknown kid only when its cached JWKS is >= 60 s old.
      const { client, tokenStore } = makeClient(p)
      await client.handleCallback(await callbackFor(p, client)) // caches the JWKS
      const stored = await tokenStore.get()
      const jwksFetches = p.count('connect/jwk_uri')
      const callback = await callbackFor(p, client)
      p.fault('access_token', replaceIdToken((c) => other.signJwt(c)))
      const err = await authError(client.handleCallback(callback))
      expect(err.code).toBe('id_token_invalid')
      expect(err.message).toMatch(/key/)
      expect(p.count('connect/jwk_uri')).toBe(jwksFetches)
      expect(await tokenStore.get()).toBe(stored)
    })

    it('with a JWKS a minute old: exactly one refetch, then id_token_invalid', async () => {
      vi.useFakeTimers({ toFake: ['Date'] })
      const { client, tokenStore } = makeClient(p)
      await client.handleCallback(await callbackFor(p, client))
      const stored = await tokenStore.get()
      vi.setSystemTime(Date.now() + 61_000) // oauth4webapi ages its JWKS cache by the wall clock
      const jwksFetches = p.count('connect/jwk_uri')
      const callback = await callbackFor(p, client)
      p.fault('access_token', replaceIdToken((c) => other.signJwt(c)))
      const err = await authError(client.handleCallback(callback))
      expect(err.code).toBe('id_token_invalid')
      expect(p.count('connect/jwk_uri')).toBe(jwksFetches + 1)
      expect(await tokenStore.get()).toBe(stored)
      expect(client.getSnapshot().tokens).toBe(stored)
    })

    it('on a fresh client: the one JWKS fetch, then id_token_invalid', async () => {
      const jwksFetches = p.count('connect/jwk_uri')
      await expectRefused((c) => other.signJwt(c), /key/)
      expect(p.count('connect/jwk_uri')).toBe(jwksFetches + 1)
    })
  })
})
