import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEMO, demoConfig } from '@realmauth/server'
import { MODES, startHarness, type Harness } from './harness.js'
import { claims, m2mAuth, postForm, spaTokens } from './flows.js'

describe.each(MODES)('provider basics (%s)', (mode) => {
  let h: Harness
  beforeAll(async () => {
    h = await startHarness(mode, demoConfig())
  })
  afterAll(() => h.close())

  it('publishes discovery metadata whose issuer is the realm issuer', async () => {
    const res = await h.fetch(`${h.issuer()}/.well-known/openid-configuration`)
    expect(res.status).toBe(200)
    const metadata = (await res.json()) as Record<string, unknown>
    expect(metadata.issuer).toBe(h.issuer())
    expect(metadata.token_endpoint).toBe(`${h.issuer()}/access_token`)
    expect(metadata.code_challenge_methods_supported).toEqual(['S256'])
    // AM publishes no locale or policy fields (decision 0079); a client reading them here would miss them at AM.
    for (const field of ['ui_locales_supported', 'claims_locales_supported', 'display_values_supported', 'op_policy_uri', 'op_tos_uri', 'service_documentation']) {
      expect(metadata, field).not.toHaveProperty(field)
    }
  })

  it('issues a client_credentials token', async () => {
    const res = await postForm(h, 'access_token', { grant_type: 'client_credentials' }, m2mAuth)
    expect(res.status).toBe(200)
    expect(res.headers.get('cache-control')).toBe('no-store')
    const body = (await res.json()) as Record<string, unknown>
    expect(body.token_type).toBe('Bearer')
    expect(body.refresh_token).toBeUndefined()
    expect(body.id_token).toBeUndefined()
    expect(claims(body.access_token as string)).toMatchObject({ sub: DEMO.m2m.client_id, scope: 'read', realm: '/alpha' })
  })

  it('signs a user in through the pages and exchanges the code', async () => {
    const tokens = await spaTokens(h)
    expect(claims(tokens.id_token)).toMatchObject({ iss: h.issuer(), aud: DEMO.spa.client_id, azp: DEMO.spa.client_id, nonce: 'n-1', sub: 'demo' })
    expect(tokens.refresh_token).toBeTruthy()
  })
})
