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
import { authError, callbackFor, editTokenResponse, makeClient, signedIn, withTestKeys, type Claims } from './coreKit.js'

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
  describe('errors', () => {
    /** Everything `console.error(err)` prints on Node: the message and the whole `cause` chain. */
    const printed = (err: unknown) => inspect(err, { depth: Infinity })

    // Answers the provider really issued, spoiled after the tokens were minted: the refresh
    // token in them is live, so an app logging the error must not log it.
    const spoiled: [string, (body: Claims) => void][] = [
      ['an unknown token_type', (b) => void (b.token_type = 'MAC')],
      ['no token_type', (b) => void delete b.token_type],
      ['an expires_in that is not a number', (b) => void (b.expires_in = 'soon')],
      ['a refresh_token that is not a string (the access token beside it is live)', (b) => void (b.refresh_token = 42)],
      ['an id_token that is not a string', (b) => void (b.id_token = 42)],
      ['a scope that is not a string', (b) => void (b.scope = ['openid'])],
    ]

    it.each(spoiled)('%s: the error names the problem, and no token is in it anywhere', async (_name, spoil) => {
      const { client } = makeClient(p)
      const callback = await callbackFor(p, client)
      const sent: Claims = {}
      p.fault('access_token', editTokenResponse((body) => {
        Object.assign(sent, body)
        spoil(body)
      }))
      const err = await authError(client.handleCallback(callback))
      expect(err.code).toBe('invalid_response')
      const out = printed(err)
      expect(out).toMatch(/token_type|expires_in|refresh_token|id_token|scope/)
      // The rest of the answer is still there to debug with; only the secrets are blanked.
      expect(out).toContain("access_token: '[redacted]'")
      for (const name of ['access_token', 'refresh_token', 'id_token'] as const) {
        if (typeof sent[name] === 'string') expect(out).not.toContain(sent[name] as string)
      }
    })

    it('a refresh answered with a spoiled body: the new refresh token is not in the error', async () => {
      const { client } = await signedIn(p)
      const sent: Claims = {}
      p.fault('access_token', editTokenResponse((body) => {
        Object.assign(sent, body)
        body.token_type = 'MAC'
      }))
      const err = await authError(client.refresh())
      expect(typeof sent.refresh_token).toBe('string')
      expect(printed(err)).not.toContain(sent.refresh_token as string)
      expect(printed(err)).not.toContain(sent.access_token as string)
    })
  })
})
