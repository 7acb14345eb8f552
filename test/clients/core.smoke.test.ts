import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { demoConfig } from '@realmauth/server'
import { CLIENT_MODES, signInAtProvider, startProvider, type ProviderUnderTest } from './providerHarness.js'
import { makeClient } from './coreKit.js'

describe.each(CLIENT_MODES)('core sign-in and refresh (%s)', (mode) => {
  let p: ProviderUnderTest
  beforeAll(async () => {
    p = await startProvider(mode, demoConfig())
  })
  afterAll(() => p.close())

  it('signs in, refreshes once for many callers, and signs out', async () => {
    const { client: c } = makeClient(p)
    const callback = await signInAtProvider(p, await c.signInUrl())
    const { tokens } = await c.handleCallback(callback)
    expect(tokens.claims?.sub).toBe('demo')
    expect(c.getSnapshot().status).toBe('signed_in')
    p.clock.advance(3600 - 30)
    const before = p.count('access_token')
    const results = await Promise.all(Array.from({ length: 1000 }, () => c.getAccessToken()))
    expect(p.count('access_token') - before).toBe(1)
    expect(new Set(results).size).toBe(1)
    expect(results[0]).not.toBe(tokens.accessToken)
    const out = await c.signOut({ postLogoutRedirectUri: 'http://localhost:5173/' })
    expect(out.revoked).toBe(true)
    expect(c.getSnapshot().status).toBe('signed_out')
  })
})
