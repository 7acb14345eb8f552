/**
 * Request objects (RFC 9101) and acr, in all three harness modes: a signed `request` by
 * value and by a registered `request_uri` served from loopback, the object's parameters
 * superseding the query's, a request object pushed through `par`, the hostile ones (unsigned,
 * another key, another alg, another audience, expired, not yet valid, another client_id,
 * unregistered, oversized, slow, redirecting), discovery, and `acr_values` and
 * `default_acr_values` choosing the journey the ID token's `acr` names.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SignJWT, exportJWK, generateKeyPair, type CryptoKey, type JWK } from 'jose'
import type { ClientConfig, ProviderConfig } from '@realmauth/server'
import { MODES, basic, startHarness, type Harness, type Mode } from './harness.js'
import { claims } from './flows.js'
import { ALICE, authorizeUrl, drive } from './authorizeKit.js'
import { expectError, expectTokens, post } from './tokenKit.js'

/** msw patches the global fetch once it listens; the provider's own fetch must reach loopback for real. */
const realFetch = globalThis.fetch

const rsa = await generateKeyPair('RS256', { extractable: true })
const ec = await generateKeyPair('ES256', { extractable: true })
const stranger = await generateKeyPair('RS256', { extractable: true })
const publicJwk = async (key: CryptoKey, kid: string): Promise<JWK> => ({ ...(await exportJWK(key)), kid, use: 'sig' })

/** What the loopback server answers per path: a body, a delay that outlasts the provider's timeout, or a redirect. */
const served = new Map<string, { body?: string; hang?: boolean; redirect?: string }>()
const hits: string[] = []
const server: Server = createServer((req, res) => {
  hits.push(req.url!)
  const entry = served.get(req.url!)
  if (!entry) {
    res.writeHead(404).end()
  } else if (entry.hang) {
    res.writeHead(200, { 'content-type': 'application/oauth-authz-req+jwt' })
    res.write('eyJ')
    // Never ends: the provider's timeout must.
  } else if (entry.redirect) {
    res.writeHead(302, { location: entry.redirect }).end()
  } else {
    res.writeHead(200, { 'content-type': 'application/oauth-authz-req+jwt' }).end(entry.body)
  }
})
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
afterAll(() => {
  server.closeAllConnections()
  return new Promise<void>((resolve) => server.close(() => resolve()))
})

const JAR = { client_id: 'jar', client_secret: 'jar-secret', redirect_uri: 'https://jar.example/cb' }
const JAR_ES = { client_id: 'jar-es', client_secret: 'jar-es-secret', redirect_uri: 'https://jar-es.example/cb' }
const GOLD = { client_id: 'gold', client_secret: 'gold-secret', redirect_uri: 'https://gold.example/cb' }
const URIS = ['/ok.jwt', '/big.jwt', '/slow.jwt', '/redirect.jwt', '/missing.jwt'].map((p) => `${base}${p}`)

async function config(): Promise<ProviderConfig> {
  const clients: ClientConfig[] = [
    {
      client_id: JAR.client_id,
      client_secret: JAR.client_secret,
      jwks: { keys: [await publicJwk(rsa.publicKey, 'rsa-1'), await publicJwk(ec.publicKey, 'ec-1')] },
      redirect_uris: [JAR.redirect_uri, 'https://jar.example/other'],
      request_uris: URIS,
      scope: 'openid profile',
      implied_consent: true,
    },
    {
      client_id: JAR_ES.client_id,
      client_secret: JAR_ES.client_secret,
      jwks: { keys: [await publicJwk(rsa.publicKey, 'rsa-1'), await publicJwk(ec.publicKey, 'ec-1')] },
      request_object_signing_alg: 'ES256',
      redirect_uris: [JAR_ES.redirect_uri],
      scope: 'openid',
      implied_consent: true,
    },
    {
      client_id: GOLD.client_id,
      client_secret: GOLD.client_secret,
      redirect_uris: [GOLD.redirect_uri],
      default_acr_values: ['unmapped', 'gold'],
      scope: 'openid',
      implied_consent: true,
    },
  ]
  const page = { type: 'Page', nodes: [{ type: 'UsernameCollector' }, { type: 'PasswordCollector' }], outcomes: { outcome: 'check' } } as const
  return {
    request_uri_timeout_ms: 300,
    max_body_bytes: 4096,
    realms: [
      {
        name: 'alpha',
        allow_implied_consent: true,
        users: [ALICE],
        clients,
        journeys: {
          Strong: {
            entry: 'page',
            acr_values: ['gold', 'silver'],
            nodes: { page, check: { type: 'DataStoreDecision', outcomes: { true: 'done', false: 'failed' } }, done: { type: 'Success' }, failed: { type: 'Failure' } },
          },
        },
      },
    ],
  }
}

/** The page a refused request shows: HTML, 400, never a redirect, naming the error. */
async function expectErrorPage(res: Response, mentions: RegExp): Promise<void> {
  const html = await res.text()
  expect(res.status, html).toBe(400)
  expect(res.headers.get('location')).toBeNull()
  expect(html).toMatch(mentions)
}

describe.each(MODES)('request objects and acr (%s)', (mode: Mode) => {
  let h: Harness
  let iss: string
  beforeAll(async () => {
    const c = await config()
    h = await startHarness(mode, mode === 'msw' ? { ...c, fetch: (...a) => realFetch(...a) } : c)
    iss = h.issuer('alpha')
  })
  afterAll(() => h.close())

  const now = () => Math.floor(h.now() / 1000)
  /** A request object for `client` as a well-behaved client signs it; `claims` override, `omit` drops. */
  function requestObject(
    client: { client_id: string; redirect_uri: string },
    params: Record<string, unknown> = {},
    options: { key?: CryptoKey; alg?: string; kid?: string; omit?: string[] } = {},
  ): Promise<string> {
    const payload: Record<string, unknown> = {
      iss: client.client_id,
      aud: iss,
      client_id: client.client_id,
      iat: now(),
      nbf: now(),
      exp: now() + 60,
      jti: randomUUID(),
      response_type: 'code',
      redirect_uri: client.redirect_uri,
      scope: 'openid profile',
      state: 'from-object',
      nonce: 'n-object',
      ...params,
    }
    for (const name of options.omit ?? []) delete payload[name]
    const alg = options.alg ?? 'RS256'
    return new SignJWT(payload)
      .setProtectedHeader({ alg, typ: 'oauth-authz-req+jwt', kid: options.kid ?? (alg.startsWith('ES') ? 'ec-1' : 'rsa-1') })
      .sign(options.key ?? (alg.startsWith('ES') ? ec.privateKey : rsa.privateKey))
  }
  const jarAuth = { authorization: basic(JAR.client_id, JAR.client_secret) }
  const redeem = async (client: typeof JAR, code: string) =>
    claims((await expectTokens(await post(h, 'alpha', 'access_token', { grant_type: 'authorization_code', code, redirect_uri: client.redirect_uri }, { authorization: basic(client.client_id, client.client_secret) }))).id_token!)

  it('discovery says request objects are supported, request_uri only as registered, signed only', async () => {
    const m = (await (await h.fetch(`${iss}/.well-known/openid-configuration`)).json()) as Record<string, unknown>
    expect(m).toMatchObject({ request_parameter_supported: true, request_uri_parameter_supported: true, require_request_uri_registration: true })
    expect(m.request_object_signing_alg_values_supported).toEqual(expect.arrayContaining(['RS256', 'PS256', 'ES256', 'EdDSA']))
    expect(m.request_object_signing_alg_values_supported).not.toContain('none')
  })

  it('a request by value signs the user in with the object\'s parameters, which supersede the query\'s', async () => {
    const request = await requestObject(JAR)
    // The query's state and redirect_uri lose to the object's.
    const url = authorizeUrl(iss, { client_id: JAR.client_id, response_type: 'code', request, state: 'from-query', redirect_uri: 'https://jar.example/other' })
    const out = await drive(h, url)
    expect(out.location!.origin + out.location!.pathname).toBe(JAR.redirect_uri)
    expect(out.params.get('state')).toBe('from-object')
    expect(out.pages).toEqual(['login'])
    expect(await redeem(JAR, out.params.get('code')!)).toMatchObject({ sub: ALICE.username, nonce: 'n-object', aud: JAR.client_id })
  })

  it('a registered request_uri is fetched from loopback and used', async () => {
    served.set('/ok.jwt', { body: await requestObject(JAR, { state: 'by-reference' }) })
    const before = hits.length
    const out = await drive(h, authorizeUrl(iss, { client_id: JAR.client_id, request_uri: `${base}/ok.jwt` }))
    expect(hits.slice(before)).toContain('/ok.jwt')
    expect(out.params.get('state')).toBe('by-reference')
    expect(await redeem(JAR, out.params.get('code')!)).toMatchObject({ nonce: 'n-object' })
  })

  it('a request object pushed through par becomes a request_uri like any pushed request', async () => {
    const request = await requestObject(JAR, { state: 'pushed' })
    const res = await post(h, 'alpha', 'par', { request }, jarAuth)
    const text = await res.text()
    expect(res.status, text).toBe(201)
    const { request_uri } = JSON.parse(text) as { request_uri: string }
    const out = await drive(h, authorizeUrl(iss, { client_id: JAR.client_id, request_uri }))
    expect(out.params.get('state')).toBe('pushed')
    expect(await redeem(JAR, out.params.get('code')!)).toMatchObject({ nonce: 'n-object' })
    // A bad one is refused at par, as JSON.
    await expectError(await post(h, 'alpha', 'par', { request: await requestObject(JAR, {}, { key: stranger.privateKey }) }, jarAuth), 400, 'invalid_request_object')
    await expectError(await post(h, 'alpha', 'par', { request: await requestObject(JAR_ES) }, jarAuth), 400, 'invalid_request_object')
  })

  describe('hostile request objects are refused on a page, never redirected', () => {
    const unsigned = (payload: Record<string, unknown>) =>
      `${Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url')}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.`
    const cases: [string, () => Promise<Record<string, string>>, RegExp][] = [
      ['unsigned (alg none)', async () => ({ client_id: JAR.client_id, request: unsigned({ iss: JAR.client_id, aud: iss, client_id: JAR.client_id, exp: now() + 60, response_type: 'code', redirect_uri: JAR.redirect_uri }) }), /invalid_request_object/],
      ['signed with a key the client did not register', async () => ({ client_id: JAR.client_id, request: await requestObject(JAR, {}, { key: stranger.privateKey }) }), /invalid_request_object/],
      ['signed with an alg the client did not register', async () => ({ client_id: JAR_ES.client_id, request: await requestObject(JAR_ES) }), /invalid_request_object/],
      ['for another audience', async () => ({ client_id: JAR.client_id, request: await requestObject(JAR, { aud: 'https://other.example' }) }), /invalid_request_object/],
      ['from another issuer', async () => ({ client_id: JAR.client_id, request: await requestObject(JAR, { iss: 'someone' }) }), /invalid_request_object/],
      ['expired', async () => ({ client_id: JAR.client_id, request: await requestObject(JAR, { exp: now() - 60 }) }), /expired[\s\S]*invalid_request_object/],
      ['without exp', async () => ({ client_id: JAR.client_id, request: await requestObject(JAR, {}, { omit: ['exp'] }) }), /invalid_request_object/],
      ['not yet valid', async () => ({ client_id: JAR.client_id, request: await requestObject(JAR, { nbf: now() + 600 }) }), /invalid_request_object/],
      ['naming another client_id', async () => ({ client_id: JAR.client_id, request: await requestObject(JAR, { client_id: JAR_ES.client_id }) }), /invalid_request_object/],
      ['sent for another client', async () => ({ client_id: JAR_ES.client_id, request: await requestObject(JAR, {}, { alg: 'ES256' }) }), /invalid_request_object/],
      ['whose response_type differs from the query\'s', async () => ({ client_id: JAR.client_id, response_type: 'code id_token', request: await requestObject(JAR) }), /response_type[\s\S]*invalid_request_object/],
      ['nesting a request_uri', async () => ({ client_id: JAR.client_id, request: await requestObject(JAR, { request_uri: `${base}/ok.jwt` }) }), /invalid_request_object/],
      ['encrypted', async () => ({ client_id: JAR.client_id, request: 'a.b.c.d.e' }), /invalid_request_object/],
      ['not a JWT', async () => ({ client_id: JAR.client_id, request: 'garbage' }), /invalid_request_object/],
      ['with request and request_uri both', async () => ({ client_id: JAR.client_id, request: await requestObject(JAR), request_uri: URIS[0]! }), /invalid_request/],
      ['without client_id', async () => ({ request: await requestObject(JAR) }), /invalid_request/],
      ['by a request_uri the client did not register', async () => ({ client_id: JAR.client_id, request_uri: `${base}/unregistered.jwt` }), /invalid_request_uri/],
      ['by a registered request_uri that is not there', async () => ({ client_id: JAR.client_id, request_uri: `${base}/missing.jwt` }), /404[\s\S]*invalid_request_uri/],
      ['by a registered request_uri that redirects', async () => ({ client_id: JAR.client_id, request_uri: `${base}/redirect.jwt` }), /302[\s\S]*invalid_request_uri/],
      ['by a request_uri larger than the body limit', async () => ({ client_id: JAR.client_id, request_uri: `${base}/big.jwt` }), /larger[\s\S]*invalid_request_uri/],
      ['by a request_uri too slow to answer', async () => ({ client_id: JAR.client_id, request_uri: `${base}/slow.jwt` }), /in time[\s\S]*invalid_request_uri/],
    ]
    beforeAll(() => {
      served.set('/big.jwt', { body: 'x'.repeat(5000) })
      served.set('/slow.jwt', { hang: true })
      served.set('/redirect.jwt', { redirect: `${base}/followed.jwt` })
      served.delete('/missing.jwt')
    })
    it.each(cases)('%s', async (_name, query, mentions) => {
      const before = hits.length
      await expectErrorPage(await h.fetch(authorizeUrl(iss, await query())), mentions)
      // The provider fetched nothing it was not registered for, and never followed the redirect.
      expect(hits.slice(before).every((p) => URIS.includes(`${base}${p}`))).toBe(true)
    })
  })

  describe('acr', () => {
    it('acr_values inside a request object choose the journey; the ID token names the acr asked for', async () => {
      const out = await drive(h, authorizeUrl(iss, { client_id: JAR.client_id, request: await requestObject(JAR, { acr_values: 'silver' }) }))
      expect(await redeem(JAR, out.params.get('code')!)).toMatchObject({ acr: 'silver' })
    })

    it('a client\'s default_acr_values choose the journey when the request names none; its first mapped value is the acr', async () => {
      const first = await h.fetch(authorizeUrl(iss, { client_id: GOLD.client_id, redirect_uri: GOLD.redirect_uri, response_type: 'code', scope: 'openid' }))
      expect(new URL(first.headers.get('location')!).searchParams.get('service')).toBe('Strong')
      const out = await drive(h, authorizeUrl(iss, { client_id: GOLD.client_id, redirect_uri: GOLD.redirect_uri, response_type: 'code', scope: 'openid' }))
      expect(await redeem(GOLD, out.params.get('code')!)).toMatchObject({ acr: 'gold' })
    })

    it('acr_values in the request win over default_acr_values; unmapped ones run the default Login, which the acr names', async () => {
      const out = await drive(h, authorizeUrl(iss, { client_id: GOLD.client_id, redirect_uri: GOLD.redirect_uri, response_type: 'code', scope: 'openid', acr_values: 'unknown' }))
      expect(await redeem(GOLD, out.params.get('code')!)).toMatchObject({ acr: 'Login' })
    })
  })
})
