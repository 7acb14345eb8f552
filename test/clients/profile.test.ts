/**
 * The signed-in user's profile when the ID token carries only protocol claims, as AM's do by
 * default (issue 16: the realm's `always_return_claims_in_id_tokens` off): with the `profile:
 * userinfoProfile` option the user is the same as when the ID token carries the profile, through
 * msw and over HTTP. The provider here is the test double for that setting: its real token
 * answers, with the ID token re-signed by its own key after the scope claims were taken out.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { userinfoProfile } from '@realmauth/core'
import { demoConfig } from '@realmauth/server'
import { CLIENT_MODES, startProvider, type ProviderUnderTest } from './providerHarness.js'
import { answer, authError, callbackFor, makeClient, replaceIdToken, type Claims } from './coreKit.js'

/** What a code-flow ID token carries when the realm does not always return claims in ID tokens. */
const PROTOCOL_CLAIMS = new Set(['iss', 'sub', 'aud', 'exp', 'iat', 'auth_time', 'nonce', 'acr', 'amr', 'azp', 'at_hash', 'c_hash', 's_hash', 'sid', 'realm', 'tokenName', 'tokenType', 'subname', 'auditTrackingId'])
const protocolOnly = (claims: Claims) => Object.fromEntries(Object.entries(claims).filter(([name]) => PROTOCOL_CLAIMS.has(name)))
const amIdTokens = replaceIdToken((claims, provider) => provider.signJwt(protocolOnly(claims)))

describe.each(CLIENT_MODES)('the user profile from userinfo when the ID token has protocol claims only (%s)', (mode) => {
  let p: ProviderUnderTest
  beforeAll(async () => {
    // Claims in ID tokens on, so the "full" side has them; the double takes them out for the other.
    const config = demoConfig()
    config.realms[0]!.always_return_claims_in_id_tokens = true
    p = await startProvider(mode, config)
  })
  afterAll(() => p?.close())

  it('without the option the user has only the protocol claims: the name and email are missing', async () => {
    const { client } = makeClient(p)
    const callback = await callbackFor(p, client)
    p.fault('access_token', amIdTokens)
    await client.handleCallback(callback)
    const user = client.getSnapshot().user!
    expect(user.sub).toBe('demo')
    expect(user.email).toBeUndefined()
    expect(user.name).toBeUndefined()
  })

  it('with profile: userinfoProfile the user has the profile, stored with the tokens and kept across a refresh', async () => {
    const { client, tokenStore } = makeClient(p, { profile: userinfoProfile })
    const callback = await callbackFor(p, client)
    p.fault('access_token', amIdTokens)
    await client.handleCallback(callback)
    const user = client.getSnapshot().user!
    expect(user).toMatchObject({ sub: 'demo', email: 'demo@example.com', email_verified: true, iss: p.issuer() })
    expect(typeof user.name).toBe('string')
    // The ID token's own claims stay as validated; the profile only adds to them.
    expect(user.nonce).toBe(client.getSnapshot().tokens!.claims!.nonce)
    expect((await tokenStore.get())!.profile).toMatchObject({ sub: 'demo', email: 'demo@example.com' })

    p.fault('access_token', amIdTokens)
    await client.refresh()
    expect(client.getSnapshot().user).toMatchObject({ sub: 'demo', email: 'demo@example.com', name: user.name })
    expect((await tokenStore.get())!.profile).toMatchObject({ email: 'demo@example.com' })
  })

  it('the same user either way: the profile from userinfo equals the one a claims-carrying ID token gives', async () => {
    const am = makeClient(p, { profile: userinfoProfile })
    const amCallback = await callbackFor(p, am.client)
    p.fault('access_token', amIdTokens)
    await am.client.handleCallback(amCallback)
    const full = makeClient(p)
    await full.client.handleCallback(await callbackFor(p, full.client))
    const profileOf = (u: Claims) => Object.fromEntries(Object.entries(u).filter(([name]) => !PROTOCOL_CLAIMS.has(name) || name === 'sub'))
    expect(profileOf(am.client.getSnapshot().user!)).toEqual(profileOf(full.client.getSnapshot().user!))
  })

  it("userinfo for another subject fails the sign-in with userinfo_subject_mismatch and stores nothing", async () => {
    const { client, tokenStore } = makeClient(p, { profile: userinfoProfile })
    const callback = await callbackFor(p, client)
    p.fault('access_token', amIdTokens)
    p.fault('userinfo', () => Response.json({ sub: 'someone-else', name: 'Mallory', email: 'mallory@example.com' }))
    const err = await authError(client.handleCallback(callback))
    expect(err.code).toBe('userinfo_subject_mismatch')
    expect(await tokenStore.get()).toBeUndefined()
    expect(client.getSnapshot()).toMatchObject({ status: 'signed_out' })
    expect(client.getSnapshot().user).toBeUndefined()
  })

  it('a userinfo outage fails the sign-in with a typed, retryable error and stores nothing', async () => {
    const { client, tokenStore } = makeClient(p, { profile: userinfoProfile })
    const callback = await callbackFor(p, client)
    p.fault('userinfo', answer('<html>Bad gateway</html>', 502, 'text/html'))
    const err = await authError(client.handleCallback(callback))
    expect(err.code).toBe('server_error')
    expect(err.retryable).toBe(true)
    expect(await tokenStore.get()).toBeUndefined()
  })

  it('a custom loader that answers for someone else is refused the same way', async () => {
    const { client, tokenStore } = makeClient(p, { profile: async () => ({ sub: 'someone-else', name: 'Mallory' }) })
    const err = await authError(client.handleCallback(await callbackFor(p, client)))
    expect(err.code).toBe('userinfo_subject_mismatch')
    expect(await tokenStore.get()).toBeUndefined()
  })

  it('a custom loader that throws fails the sign-in with a typed error and stores nothing', async () => {
    const { client, tokenStore } = makeClient(p, { profile: async () => { throw new Error('profile API down') } })
    const err = await authError(client.handleCallback(await callbackFor(p, client)))
    expect(err.message).toContain('Profile')
    expect(await tokenStore.get()).toBeUndefined()
  })
})
