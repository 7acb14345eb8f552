/**
 * Setup mistakes a developer makes on day one, and what the error then says: each message
 * names the fix, over msw and over real HTTP.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AuthError, discover, realmIssuer } from '@realmauth/core'
import { createNodeClient, type NodeClientOptions } from '@realmauth/node'
import { DEMO, demoConfig } from '@realmauth/server'
import { CLIENT_MODES, startProvider, type ProviderUnderTest } from './providerHarness.js'
import { withTestKeys } from './coreKit.js'

describe.each(CLIENT_MODES)('errors that say what to fix (%s)', (mode) => {
  let p: ProviderUnderTest
  beforeAll(async () => {
    p = await startProvider(mode, withTestKeys(demoConfig()))
  })
  afterAll(() => p.close())

  it('createNodeClient without auth names the option and its forms', async () => {
    const options = { issuer: p.issuer(), clientId: DEMO.m2m.client_id, fetch: p.fetch } as unknown as NodeClientOptions
    const error = await createNodeClient(options).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(AuthError)
    expect(error).toMatchObject({ code: 'configuration_error' })
    expect((error as Error).message).toMatch(/pass `auth`/)
    expect((error as Error).message).toContain("method: 'client_secret_basic'")
    expect((error as Error).message).toContain("method: 'none'")
  })

  it('an issuer without its realm path: discovery names the URL, the status and realmIssuer', async () => {
    const error = (await discover(p.origin, { fetch: p.fetch }).catch((e: unknown) => e)) as AuthError
    expect(error).toBeInstanceOf(AuthError)
    expect(error.code).toBe('discovery_failed')
    expect(error.status).toBe(404)
    expect(error.message).toContain(`${p.origin}/.well-known/openid-configuration answered HTTP 404`)
    expect(error.message).toContain('realmIssuer(baseUrl, realm)')
    expect(realmIssuer(p.origin, 'alpha')).toBe(p.issuer())
  })

  it("a wrong client secret keeps the provider's error_description", async () => {
    const client = await createNodeClient({
      issuer: p.issuer(),
      clientId: DEMO.m2m.client_id,
      auth: { method: 'client_secret_basic', clientSecret: 'not-the-secret' },
      fetch: p.fetch,
      clock: () => p.clock.now,
    })
    const error = (await client.clientCredentials().catch((e: unknown) => e)) as AuthError
    expect(error).toBeInstanceOf(AuthError)
    expect(error).toMatchObject({ code: 'invalid_client', error: 'invalid_client', status: 401 })
    expect(error.error_description).toBeTruthy()
    expect(error.message).toContain(error.error_description)
  })
})
