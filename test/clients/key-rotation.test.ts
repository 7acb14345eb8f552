/**
 * Key rotation at the provider: clients refetch the JWKS once and keep working; tokens the
 * previous key signed stay valid while it is still published, and stop when it is retired.
 * JWKS caches age by the wall clock (oauth4webapi, jose), so Date is faked and moved.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { createAccessTokenVerifier, createNodeClient } from '@realmauth/node'
import { DEMO, demoConfig } from '@realmauth/server'
import { CLIENT_MODES, startProvider, type ProviderUnderTest } from './providerHarness.js'
import { decodeJwt, signedIn } from './coreKit.js'

describe.each(CLIENT_MODES)('key rotation (%s)', (mode) => {
  let p: ProviderUnderTest
  beforeAll(async () => {
    p = await startProvider(mode, demoConfig())
  })
  afterAll(() => p.close())
  afterEach(() => {
    vi.useRealTimers()
  })

  it('a signed-in AuthClient refetches the JWKS once after rotation and keeps refreshing', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    const { client } = await signedIn(p)
    const oldKid = decodeJwt(client.getSnapshot().tokens!.idToken!).header.kid
    const kid = await p.provider.rotateSigningKey('RS256')
    expect(kid).not.toBe(oldKid)
    vi.setSystemTime(Date.now() + 61_000) // the cached JWKS is now over a minute old
    const fetchesBefore = p.count('connect/jwk_uri')
    const refreshed = await client.refresh()
    expect(decodeJwt(refreshed.idToken!).header.kid).toBe(kid)
    expect(p.count('connect/jwk_uri') - fetchesBefore).toBe(1)
    await client.refresh()
    expect(p.count('connect/jwk_uri') - fetchesBefore).toBe(1)
    expect(client.getSnapshot().status).toBe('signed_in')
  })

  it('a resource server accepts old tokens while their key is published, new ones after one refetch, and old ones no more once it is retired', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    const service = await createNodeClient({
      issuer: p.issuer(),
      clientId: DEMO.m2m.client_id,
      auth: { method: 'client_secret_basic', clientSecret: DEMO.m2m.client_secret },
      fetch: p.fetch,
      clock: () => p.clock.now,
    })
    const verifier = createAccessTokenVerifier({ issuer: p.issuer(), audience: DEMO.m2m.client_id, fetch: p.fetch, clock: () => p.clock.now })
    const before = (await service.clientCredentials({ scope: 'read' })).accessToken
    await expect(verifier.verify(before)).resolves.toMatchObject({ client_id: DEMO.m2m.client_id })
    const oldKid = decodeJwt(before).header.kid as string

    await p.provider.rotateSigningKey('RS256')
    const after = (await service.clientCredentials({ scope: 'read' })).accessToken
    expect(decodeJwt(after).header.kid).not.toBe(oldKid)
    vi.setSystemTime(Date.now() + 31_000) // past jose's refetch cooldown
    const fetchesBefore = p.count('connect/jwk_uri')
    await expect(verifier.verify(after)).resolves.toMatchObject({ client_id: DEMO.m2m.client_id })
    await expect(verifier.verify(before)).resolves.toMatchObject({ client_id: DEMO.m2m.client_id })
    expect(p.count('connect/jwk_uri') - fetchesBefore).toBe(1)
    await expect(service.introspect(before)).resolves.toMatchObject({ active: true })

    expect(await p.provider.retireSigningKey(oldKid)).toBe(true)
    await expect(service.introspect(before)).resolves.toMatchObject({ active: false })
    const fresh = createAccessTokenVerifier({ issuer: p.issuer(), audience: DEMO.m2m.client_id, fetch: p.fetch, clock: () => p.clock.now })
    await expect(fresh.verify(before)).rejects.toMatchObject({ code: 'invalid_token' })
    await expect(fresh.verify(after)).resolves.toMatchObject({ client_id: DEMO.m2m.client_id })
  })

  it('the signing key cannot be retired', async () => {
    const kid = await p.provider.rotateSigningKey('ES256')
    expect(await p.provider.retireSigningKey(kid)).toBe(false)
    expect((await p.provider.jwks()).keys.some((k) => k.kid === kid)).toBe(true)
  })
})
