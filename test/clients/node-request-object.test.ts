/**
 * The Node client's request objects (RFC 9101) against the provider, in process through msw
 * and over HTTP: a sign-in whose parameters travel only as a JWT signed with the client's
 * private_key_jwt key, by value and pushed through PAR, down to tokens; `acr_values` inside
 * it choosing the journey the ID token names; a key the provider does not know refused.
 */
import { generateKeyPairSync } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createNodeClient } from '@realmauth/node'
import { demoConfig, type ProviderConfig } from '@realmauth/server'
import { CLIENT_MODES, signInAtProvider, startProvider, type ProviderUnderTest } from './providerHarness.js'

const key = generateKeyPairSync('ec', { namedCurve: 'P-256' })
const WEB = { client_id: 'jar-web', redirect_uri: 'https://jar-web.example/cb' }

function config(): ProviderConfig {
  const base = demoConfig()
  const realm = base.realms[0]!
  realm.clients!.push({
    client_id: WEB.client_id,
    token_endpoint_auth_method: 'private_key_jwt',
    jwks: { keys: [{ ...key.publicKey.export({ format: 'jwk' }), kid: 'jar-1' }] },
    request_object_signing_alg: 'ES256',
    redirect_uris: [WEB.redirect_uri],
    grant_types: ['authorization_code'],
    scope: 'openid profile',
    implied_consent: true,
  })
  const page = { type: 'Page', nodes: [{ type: 'UsernameCollector' }, { type: 'PasswordCollector' }], outcomes: { outcome: 'check' } } as const
  realm.journeys = {
    Strong: {
      entry: 'page',
      acr_values: ['gold'],
      nodes: { page, check: { type: 'DataStoreDecision', outcomes: { true: 'done', false: 'failed' } }, done: { type: 'Success' }, failed: { type: 'Failure' } },
    },
  }
  return base
}

describe.each(CLIENT_MODES)('@realmauth/node request objects (%s)', (mode) => {
  let p: ProviderUnderTest
  beforeAll(async () => {
    p = await startProvider(mode, config())
  })
  afterAll(() => p.close())

  const make = (par: boolean, privateKey = key.privateKey) =>
    createNodeClient({
      issuer: p.issuer(),
      clientId: WEB.client_id,
      redirectUri: WEB.redirect_uri,
      auth: { method: 'private_key_jwt', privateKey, kid: 'jar-1' },
      requestObject: true,
      par,
      fetch: p.fetch,
      clock: () => p.clock.now,
    })

  it('by value: the URL carries only client_id and the signed request, and the sign-in ends in tokens', async () => {
    const client = await make(false)
    const { url, transaction } = await client.signInUrl({ extraParams: { acr_values: 'gold' } })
    expect([...url.searchParams.keys()].sort()).toEqual(['client_id', 'request'])
    const [header] = url.searchParams.get('request')!.split('.')
    expect(JSON.parse(Buffer.from(header!, 'base64url').toString())).toMatchObject({ alg: 'ES256', kid: 'jar-1', typ: 'oauth-authz-req+jwt' })
    const tokens = await client.handleCallback(await signInAtProvider(p, url), transaction)
    // The acr_values inside the object chose the Strong journey.
    expect(tokens.claims).toMatchObject({ sub: 'demo', aud: WEB.client_id, acr: 'gold' })
  })

  it('through PAR: the request object is pushed, and the URL carries only the request_uri', async () => {
    const client = await make(true)
    const { url, transaction } = await client.signInUrl()
    expect([...url.searchParams.keys()].sort()).toEqual(['client_id', 'request_uri'])
    const tokens = await client.handleCallback(await signInAtProvider(p, url), transaction)
    expect(tokens.claims).toMatchObject({ sub: 'demo', aud: WEB.client_id, acr: 'Login' })
  })

  it('signed with a key the provider does not know: authorize shows an error page, par refuses the push', async () => {
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey
    const { url } = await (await make(false, other)).signInUrl()
    const page = await fetch(url, { redirect: 'manual' })
    expect(page.status).toBe(400)
    expect(page.headers.get('location')).toBeNull()
    expect(await page.text()).toContain('invalid_request_object')
    await expect((await make(true, other)).signInUrl()).rejects.toMatchObject({ code: 'invalid_client' })
  })

  it('needs a private_key_jwt key: a secret client asking for request objects is a configuration_error', async () => {
    await expect(
      createNodeClient({ issuer: p.issuer(), clientId: 'web', auth: { method: 'client_secret_basic', clientSecret: 's' }, requestObject: true, fetch: p.fetch }),
    ).rejects.toMatchObject({ code: 'configuration_error' })
  })
})
