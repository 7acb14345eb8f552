/**
 * ID token negatives, each through a real sign-in and code exchange whose token response
 * carries the provider's real answer with the ID token swapped for a wrong one. The client
 * must refuse with `id_token_invalid` and store nothing.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { createProvider, demoConfig, type Provider } from '@realmauth/server'
import { CLIENT_MODES, startProvider, type ProviderUnderTest } from './providerHarness.js'
import { authError, callbackFor, decodeJwt, makeClient, replaceIdToken, type Claims, withTestKeys } from './coreKit.js'
import { ID_TOKEN_CASES } from './hostileCases.js'

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

  // The shared matrix (also played against @realmauth/node and @realmauth/browser).
  it.each(ID_TOKEN_CASES.filter((c) => c.in.includes('exchange')))('refuses an ID token with $name', async (c) => {
    await expectRefused((claims, provider, real) => c.make({ claims, provider, real, nowSec: nowSec(p) }), c.reason)
  })

  it('accepts an exp within the 30 s clock tolerance', async () => {
    const { result } = await exchangeWith((c, provider) => provider.signJwt({ ...c, exp: nowSec(p) - 20 }))
    expect(result.ok).toBe(true)
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
