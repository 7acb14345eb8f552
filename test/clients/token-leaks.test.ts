/**
 * Where an access or refresh token could leave the app without the app meaning it: a URL
 * `authFetch` was handed that points somewhere else, and the errors an app logs when the
 * provider's answer is spoiled (message and whole `cause` chain, as `console.error` shows it).
 */
import { inspect } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AuthClient } from '@realmauth/core'
import { DEMO, demoConfig } from '@realmauth/server'
import { CLIENT_MODES, startProvider, type ProviderUnderTest } from './providerHarness.js'
import { authError, signedIn, withTestKeys } from './coreKit.js'

describe.each(CLIENT_MODES)('tokens stay where they belong (%s)', (mode) => {
  let p: ProviderUnderTest
  beforeAll(async () => {
    p = await startProvider(mode, withTestKeys(demoConfig()))
  })
  afterAll(() => p.close())

  /** The provider's fetch, recording what every request to another origin carried. */
  function recording() {
    const elsewhere: { url: string; authorization: string | null; dpop: string | null }[] = []
    const fetchImpl: typeof fetch = async (input, init) => {
      const request = new Request(input, init)
      if (new URL(request.url).origin !== new URL(p.issuer()).origin) {
        elsewhere.push({ url: request.url, authorization: request.headers.get('authorization'), dpop: request.headers.get('dpop') })
        return Response.json({ ok: true })
      }
      return p.fetch(request)
    }
    return { fetchImpl, elsewhere }
  }

  describe('authFetch', () => {
    it('refuses a URL on an origin nobody configured, before sending anything', async () => {
      const { fetchImpl, elsewhere } = recording()
      const { client } = await signedIn(p, { fetch: fetchImpl })
      const issuerOtherPort = Object.assign(new URL(p.issuer()), { port: '1' }).href
      for (const url of ['https://attacker.example/collect', 'https://api.example.test.attacker.example/', issuerOtherPort]) {
        const err = await authError(client.authFetch(url))
        expect(err.code).toBe('configuration_error')
        expect(err.message).toContain(new URL(url).origin)
        expect(err.message).not.toContain(client.getSnapshot().tokens!.accessToken)
      }
      // A Request object is judged by its URL just the same.
      expect((await authError(client.authFetch(new Request('https://attacker.example/', { method: 'POST' })))).code).toBe('configuration_error')
      expect(elsewhere).toEqual([])
    })

    it('sends the token to the issuer and to apiOrigins, whatever the path or default port', async () => {
      const { fetchImpl, elsewhere } = recording()
      const { client } = await signedIn(p, { fetch: fetchImpl, apiOrigins: ['https://api.example.test', 'https://other.example.test:8443/'] })
      const { accessToken } = client.getSnapshot().tokens!
      expect((await client.authFetch('https://api.example.test:443/orders?page=1')).status).toBe(200)
      expect((await client.authFetch('https://other.example.test:8443/x')).status).toBe(200)
      expect(elsewhere.map((r) => [r.url, r.authorization])).toEqual([
        ['https://api.example.test/orders?page=1', `Bearer ${accessToken}`],
        ['https://other.example.test:8443/x', `Bearer ${accessToken}`],
      ])
      // The issuer's own origin (its userinfo) needs no entry.
      const userinfo = await client.authFetch(`${p.issuer()}/userinfo`)
      expect(await userinfo.json()).toMatchObject({ sub: 'demo' })
      // Another port of a configured host is another origin.
      expect((await authError(client.authFetch('https://api.example.test:8443/orders'))).code).toBe('configuration_error')
    })

    it('refuses an apiOrigins entry that is not an origin, at construction, naming it', () => {
      for (const bad of ['https://api.example.test/v1', 'api.example.test', 'https://user:pw@api.example.test', 'https://api.example.test/?q=1']) {
        expect(() => new AuthClient({ issuer: p.issuer(), clientId: DEMO.spa.client_id, apiOrigins: ['https://ok.example.test', bad] })).toThrow(
          expect.objectContaining({ code: 'configuration_error', message: expect.stringContaining('apiOrigins[1]') }),
        )
      }
    })
  })
})
