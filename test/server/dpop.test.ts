/**
 * DPoP (RFC 9449) at the provider, in all three harness modes: proofs at the token endpoint
 * checked field by field, tokens bound to the proof's key (`token_type` DPoP, `cnf.jkt`),
 * nonces, DPoP-bound refresh tokens and authorization codes (`dpop_jkt`), and bound tokens at
 * the provider's own resources (userinfo, tokeninfo) and in introspection.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SignJWT, exportJWK } from 'jose'
import { DEMO, demoConfig, type ProviderConfig } from '@realmauth/server'
import { Browser, MODES, basic, parseForm, startHarness, type Harness } from './harness.js'
import { authorizeAsUser, claims, m2mAuth, pkce } from './flows.js'
import { expectError, type ErrorBody } from './tokenKit.js'
import { ath, proof, proofKey, providerSeconds, unsigned, type ProofKey } from './dpopKit.js'

type Json = Record<string, unknown>

const PUBLIC = { client_id: 'pub' }
const CONF = { client_id: 'conf', client_secret: 'conf-secret' }
const BOUND = { client_id: 'bound', client_secret: 'bound-secret' }
const NONCY_M2M = { client_id: 'noncy-m2m', client_secret: 'noncy-m2m-secret' }
const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code'
const ALGS = ['ES256', 'ES384', 'ES512', 'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'EdDSA', 'Ed25519']

/** The demo realm plus password-grant clients (one public, one confidential) and one bound to DPoP; a realm that asks for nonces. */
function dpopConfig(): ProviderConfig {
  const config = demoConfig()
  const alpha = config.realms[0]!
  const pw = { grant_types: ['password', 'refresh_token'], scope: 'openid profile' }
  alpha.clients!.push(
    { client_id: PUBLIC.client_id, token_endpoint_auth_method: 'none', ...pw },
    { client_id: CONF.client_id, client_secret: CONF.client_secret, ...pw },
    { client_id: BOUND.client_id, client_secret: BOUND.client_secret, grant_types: ['client_credentials'], scope: 'read', dpop_bound_access_tokens: true },
  )
  config.realms.push({
    name: 'noncy',
    dpop_nonce: true,
    clients: [
      { client_id: PUBLIC.client_id, token_endpoint_auth_method: 'none', ...pw },
      { client_id: NONCY_M2M.client_id, client_secret: NONCY_M2M.client_secret, grant_types: ['client_credentials'], scope: 'read' },
    ],
    users: alpha.users!,
  })
  return config
}

describe.each(MODES)('DPoP (%s)', (mode) => {
  let h: Harness
  let key: ProofKey
  let other: ProofKey
  beforeAll(async () => {
    h = await startHarness(mode, dpopConfig())
    ;[key, other] = await Promise.all([proofKey(), proofKey()])
  })
  afterAll(() => h.close())

  const endpoint = (name: string, realm = 'alpha') => `${h.issuer(realm)}/${name}`
  const now = () => providerSeconds(h, m2mAuth.authorization)

  /** POSTs a form with extra headers (given as pairs, so a header may repeat). */
  function post(url: string, fields: Record<string, string>, headers: [string, string][] = []): Promise<Response> {
    const all = new Headers({ 'content-type': 'application/x-www-form-urlencoded' })
    for (const [k, v] of headers) all.append(k, v)
    return h.fetch(url, { method: 'POST', headers: all, body: new URLSearchParams(fields).toString() })
  }

  /** A proof for `url` (POST, the provider's time now) by `k`. */
  async function proofFor(url: string, k: ProofKey = key, extra: Partial<Parameters<typeof proof>[1]> = {}): Promise<string> {
    return proof(k, { htu: url, iat: await now(), ...extra })
  }

  async function expectDPoPTokens(res: Response, jkt: string): Promise<Json> {
    const text = await res.text()
    expect(res.status, text).toBe(200)
    expect(res.headers.get('cache-control')).toBe('no-store')
    const body = JSON.parse(text) as Json
    expect(body.token_type).toBe('DPoP')
    const at = claims(body.access_token as string)
    expect(at.cnf).toEqual({ jkt })
    expect(at.token_type).toBe('DPoP')
    return body
  }

  function passwordTokens(client: { client_id: string; client_secret?: string }, dpop?: string, realm = 'alpha'): Promise<Response> {
    const fields: Record<string, string> = { grant_type: 'password', username: DEMO.user.username, password: DEMO.user.password, scope: 'openid profile' }
    const headers: [string, string][] = dpop === undefined ? [] : [['dpop', dpop]]
    if (client.client_secret !== undefined) headers.push(['authorization', basic(client.client_id, client.client_secret)])
    else fields.client_id = client.client_id
    return post(endpoint('access_token', realm), fields, headers)
  }

  function refresh(client: { client_id: string; client_secret?: string }, refreshToken: string, dpop?: string, realm = 'alpha'): Promise<Response> {
    const fields: Record<string, string> = { grant_type: 'refresh_token', refresh_token: refreshToken }
    const headers: [string, string][] = dpop === undefined ? [] : [['dpop', dpop]]
    if (client.client_secret !== undefined) headers.push(['authorization', basic(client.client_id, client.client_secret)])
    else fields.client_id = client.client_id
    return post(endpoint('access_token', realm), fields, headers)
  }

  describe('at the token endpoint', () => {
    it('binds the access token to the proof key: token_type DPoP, cnf.jkt the RFC 7638 thumbprint', async () => {
      const res = await post(endpoint('access_token'), { grant_type: 'client_credentials' }, [
        ['authorization', m2mAuth.authorization],
        ['dpop', await proofFor(endpoint('access_token'))],
      ])
      await expectDPoPTokens(res, key.jkt)
      // Without a proof the token stays a Bearer token with no confirmation.
      const plain = await post(endpoint('access_token'), { grant_type: 'client_credentials' }, [['authorization', m2mAuth.authorization]])
      const body = (await plain.json()) as Json
      expect(body.token_type).toBe('Bearer')
      expect(claims(body.access_token as string)).not.toHaveProperty('cnf')
    })

    it('binds the tokens of the password, refresh_token, authorization_code and device_code grants', async () => {
      const url = endpoint('access_token')
      const pw = await expectDPoPTokens(await passwordTokens(CONF, await proofFor(url)), key.jkt)
      await expectDPoPTokens(await refresh(CONF, pw.refresh_token as string, await proofFor(url, other)), other.jkt)

      const { verifier, challenge } = pkce()
      const { params } = await authorizeAsUser(h, {
        client_id: DEMO.spa.client_id,
        redirect_uri: DEMO.spa.redirect_uri,
        response_type: 'code',
        scope: 'openid',
        code_challenge: challenge,
        code_challenge_method: 'S256',
      })
      const fields = { grant_type: 'authorization_code', code: params.get('code')!, redirect_uri: DEMO.spa.redirect_uri, client_id: DEMO.spa.client_id, code_verifier: verifier }
      await expectDPoPTokens(await post(url, fields, [['dpop', await proofFor(url)]]), key.jkt)

      const device = (await (await post(endpoint('device/code'), { client_id: DEMO.device.client_id, scope: 'openid' })).json()) as Json
      const browser = new Browser(h)
      const login = parseForm(await (await browser.get(`${h.origin}/login?realm=/alpha`)).text())
      await browser.post(new URL(login.action, h.origin).href, { ...login.fields, ...DEMO.user })
      const confirm = parseForm(await (await browser.get(`${endpoint('device/user')}?user_code=${device.user_code as string}`)).text())
      await browser.post(new URL(confirm.action, h.origin).href, { ...confirm.fields, decision: 'allow' })
      const polled = await post(url, { grant_type: DEVICE_GRANT, device_code: device.device_code as string, client_id: DEMO.device.client_id }, [
        ['dpop', await proofFor(url)],
      ])
      await expectDPoPTokens(polled, key.jkt)
    })

    it('accepts proofs of every advertised algorithm family', async () => {
      for (const alg of ['PS256', 'RS256', 'ES384', 'EdDSA', 'Ed25519']) {
        const k = await proofKey(alg)
        const res = await post(endpoint('access_token'), { grant_type: 'client_credentials' }, [
          ['authorization', m2mAuth.authorization],
          ['dpop', await proofFor(endpoint('access_token'), k)],
        ])
        await expectDPoPTokens(res, k.jkt)
      }
    })

    it('refuses a proof that is wrong in any one field with invalid_dpop_proof, and issues nothing', async () => {
      const url = endpoint('access_token')
      const iat = await now()
      const good = { htu: url, iat }
      const { d: _d, ...otherPublic } = (await exportJWK(other.privateKey)) as Record<string, unknown>
      const privateJwk = await exportJWK(key.privateKey)
      const payload = { jti: 'j-1', htm: 'POST', htu: url, iat }
      const hs256 = await new SignJWT(payload)
        .setProtectedHeader({ typ: 'dpop+jwt', alg: 'HS256', jwk: { kty: 'oct', k: 'c2VjcmV0' } as Record<string, string> })
        .sign(new TextEncoder().encode('a-shared-secret-of-32-bytes-long'))
      const otherSigned = await new SignJWT(payload).setProtectedHeader({ typ: 'dpop+jwt', alg: 'ES256', jwk: key.publicJwk }).sign(other.privateKey)
      const rsaJwk = (await proofKey('RS256')).publicJwk
      const cases: [string, string | string[]][] = [
        ['typ JWT', await proof(key, { ...good, header: { typ: 'JWT' } })],
        ['no typ', await proof(key, { ...good, header: { typ: undefined } })],
        ['alg none', unsigned({ typ: 'dpop+jwt', alg: 'none', jwk: key.publicJwk }, payload)],
        ['alg HS256', hs256],
        ['a private key in jwk', await proof(key, { ...good, header: { jwk: privateJwk } })],
        ['no jwk', await proof(key, { ...good, header: { jwk: undefined } })],
        ['a jwk of another key type than alg', await proof(key, { ...good, header: { jwk: rsaJwk } })],
        ['a signature by another key', otherSigned],
        ['the jwk of another key', await proof(key, { ...good, header: { jwk: otherPublic } })],
        ['a broken signature', (await proof(key, good)).slice(0, -4) + 'AAAA'],
        ['htm GET', await proof(key, { ...good, htm: 'GET' })],
        ['htm post (methods are case-sensitive)', await proof(key, { ...good, htm: 'post' })],
        ['htu of another endpoint', await proof(key, { ...good, htu: endpoint('userinfo') })],
        ['htu of another host', await proof(key, { ...good, htu: url.replace(new URL(url).host, 'elsewhere.example') })],
        ['htu of another scheme', await proof(key, { ...good, htu: url.replace(/^http(s?):/, (_, s: string) => (s ? 'http:' : 'https:')) })],
        ['no htu', await proof(key, { ...good, claims: { htu: undefined } })],
        ['no htm', await proof(key, { ...good, claims: { htm: undefined } })],
        ['iat two minutes old', await proof(key, { ...good, iat: iat - 120 })],
        ['iat two minutes ahead', await proof(key, { ...good, iat: iat + 120 })],
        ['no iat', await proof(key, { ...good, claims: { iat: undefined } })],
        ['iat a string', await proof(key, { ...good, claims: { iat: String(iat) } })],
        ['no jti', await proof(key, { ...good, claims: { jti: undefined } })],
        ['jti a number', await proof(key, { ...good, claims: { jti: 7 } })],
        ['not a JWT', 'not-a-jwt'],
        ['a JWE-like five parts', 'a.b.c.d.e'],
        ['two DPoP headers', [await proof(key, good), await proof(key, good)]],
      ]
      for (const [name, value] of cases) {
        const headers: [string, string][] = [['authorization', m2mAuth.authorization], ...[value].flat().map((v): [string, string] => ['dpop', v])]
        const res = await post(url, { grant_type: 'client_credentials' }, headers)
        const body = await expectError(res, 400, 'invalid_dpop_proof').catch((e: Error) => {
          throw new Error(`${name}: ${e.message}`)
        })
        expect(body.error_description, name).toMatch(/DPoP/)
      }
    })

    it('accepts a proof once: its jti replayed is refused', async () => {
      const url = endpoint('access_token')
      const dpop = await proofFor(url)
      const send = () => post(url, { grant_type: 'client_credentials' }, [['authorization', m2mAuth.authorization], ['dpop', dpop]])
      await expectDPoPTokens(await send(), key.jkt)
      const body = await expectError(await send(), 400, 'invalid_dpop_proof')
      expect(body.error_description).toMatch(/already used/)
      // The same jti under another key is another proof.
      await expectDPoPTokens(
        await post(url, { grant_type: 'client_credentials' }, [
          ['authorization', m2mAuth.authorization],
          ['dpop', await proof(other, { htu: url, iat: await now(), claims: { jti: JSON.parse(Buffer.from(dpop.split('.')[1]!, 'base64url').toString()).jti } })],
        ]),
        other.jkt,
      )
    })

    it('accepts iat up to a minute either side of its clock, and typ as a full media type', async () => {
      const url = endpoint('access_token')
      const variants = [{ skew: -55 }, { skew: 55 }, { skew: 0, header: { typ: 'application/dpop+JWT' } }]
      for (const { skew, header } of variants) {
        const res = await post(url, { grant_type: 'client_credentials' }, [
          ['authorization', m2mAuth.authorization],
          ['dpop', await proof(key, { htu: url, iat: (await now()) + skew, ...(header && { header }) })],
        ])
        await expectDPoPTokens(res, key.jkt)
      }
    })

    it('compares htu with the URL the request was sent to, normalised, without query and fragment, in every realm URL form', async () => {
      const url = endpoint('access_token')
      const u = new URL(url)
      const defaultPort = u.port === '' ? `:${u.protocol === 'https:' ? 443 : 80}` : `:${u.port}`
      const shouting = `${u.protocol.toUpperCase()}//${u.hostname.toUpperCase()}${defaultPort}${u.pathname}?ignored=1#ignored`
      const m2m = async (target: string, htu: string) =>
        post(target, { grant_type: 'client_credentials' }, [['authorization', m2mAuth.authorization], ['dpop', await proofFor(htu)]])
      await expectDPoPTokens(await m2m(url, shouting), key.jkt)
      const queryForm = `${h.origin}/oauth2/access_token`
      await expectDPoPTokens(await m2m(`${queryForm}?realm=/alpha`, queryForm), key.jkt)
      const shortForm = `${h.origin}/oauth2/alpha/access_token`
      await expectDPoPTokens(await m2m(shortForm, shortForm), key.jkt)
      // A proof for one form is not good at another: htu names the URL, not the endpoint.
      await expectError(await m2m(shortForm, url), 400, 'invalid_dpop_proof')
    })

    it('refuses a token request without a proof from a client registered with dpop_bound_access_tokens', async () => {
      const url = endpoint('access_token')
      const authorization = basic(BOUND.client_id, BOUND.client_secret)
      const body = await expectError(await post(url, { grant_type: 'client_credentials' }, [['authorization', authorization]]), 400, 'invalid_request')
      expect(body.error_description).toMatch(/DPoP/)
      await expectDPoPTokens(await post(url, { grant_type: 'client_credentials' }, [['authorization', authorization], ['dpop', await proofFor(url)]]), key.jkt)
    })
  })

  describe('refresh tokens', () => {
    it("binds a public client's refresh token to the proof key: another key or no proof is invalid_grant", async () => {
      const url = endpoint('access_token')
      const first = await expectDPoPTokens(await passwordTokens(PUBLIC, await proofFor(url)), key.jkt)
      const rt = first.refresh_token as string
      const mismatch = await expectError(await refresh(PUBLIC, rt, await proofFor(url, other)), 400, 'invalid_grant')
      expect(mismatch.error_description).toMatch(/DPoP key mismatch/)
      await expectError(await refresh(PUBLIC, rt), 400, 'invalid_grant')
      // The refused attempts did not use the token up: its key still refreshes it, and the new one is bound too.
      const next = await expectDPoPTokens(await refresh(PUBLIC, rt, await proofFor(url)), key.jkt)
      await expectError(await refresh(PUBLIC, next.refresh_token as string), 400, 'invalid_grant')
      await expectError(await refresh(PUBLIC, next.refresh_token as string, await proofFor(url, other)), 400, 'invalid_grant')
      await expectDPoPTokens(await refresh(PUBLIC, next.refresh_token as string, await proofFor(url)), key.jkt)
    })

    it("does not bind a confidential client's refresh token; the new access token is bound to the refresh's proof", async () => {
      const url = endpoint('access_token')
      const first = await expectDPoPTokens(await passwordTokens(CONF, await proofFor(url)), key.jkt)
      const plain = await refresh(CONF, first.refresh_token as string)
      const body = (await plain.json()) as Json
      expect(plain.status, JSON.stringify(body)).toBe(200)
      expect(body.token_type).toBe('Bearer')
      expect(claims(body.access_token as string)).not.toHaveProperty('cnf')
      await expectDPoPTokens(await refresh(CONF, body.refresh_token as string, await proofFor(url, other)), other.jkt)
    })
  })

  describe('authorization codes bound with dpop_jkt', () => {
    async function boundCode(jkt: string) {
      const { verifier, challenge } = pkce()
      const { params } = await authorizeAsUser(h, {
        client_id: DEMO.spa.client_id,
        redirect_uri: DEMO.spa.redirect_uri,
        response_type: 'code',
        scope: 'openid profile',
        code_challenge: challenge,
        code_challenge_method: 'S256',
        dpop_jkt: jkt,
      })
      return { code: params.get('code')!, verifier, params }
    }

    it('needs a proof by that key at the code exchange; the refused attempts leave the code usable', async () => {
      const url = endpoint('access_token')
      const { code, verifier } = await boundCode(key.jkt)
      const fields = { grant_type: 'authorization_code', code, redirect_uri: DEMO.spa.redirect_uri, client_id: DEMO.spa.client_id, code_verifier: verifier }
      await expectError(await post(url, fields), 400, 'invalid_grant')
      const mismatch = await expectError(await post(url, fields, [['dpop', await proofFor(url, other)]]), 400, 'invalid_grant')
      expect(mismatch.error_description).toMatch(/DPoP key mismatch/)
      const tokens = await expectDPoPTokens(await post(url, fields, [['dpop', await proofFor(url)]]), key.jkt)
      // The SPA is public: its refresh token is bound to the key as well.
      await expectError(await refresh({ client_id: DEMO.spa.client_id }, tokens.refresh_token as string), 400, 'invalid_grant')
    })

    it('refuses a dpop_jkt that is not a SHA-256 thumbprint with an error redirect', async () => {
      const { challenge } = pkce()
      const url = `${endpoint('authorize')}?${new URLSearchParams({
        client_id: DEMO.spa.client_id,
        redirect_uri: DEMO.spa.redirect_uri,
        response_type: 'code',
        scope: 'openid',
        state: 's',
        code_challenge: challenge,
        code_challenge_method: 'S256',
        dpop_jkt: 'not-a-thumbprint',
      })}`
      const res = await h.fetch(url)
      expect(res.status).toBe(302)
      const location = new URL(res.headers.get('location')!)
      expect(`${location.origin}${location.pathname}`).toBe(DEMO.spa.redirect_uri)
      expect(location.searchParams.get('error')).toBe('invalid_request')
      expect(location.searchParams.get('state')).toBe('s')
    })
  })

  describe('at userinfo and tokeninfo', () => {
    let bound: string
    let bearer: string
    beforeAll(async () => {
      const url = endpoint('access_token')
      bound = (await expectDPoPTokens(await passwordTokens(CONF, await proofFor(url)), key.jkt)).access_token as string
      bearer = ((await (await passwordTokens(CONF)).json()) as Json).access_token as string
    })

    /** A resource request with `Authorization: <scheme> <token>` and the given proof headers. */
    function resource(name: string, authorization: string, dpop: string[] = [], method = 'GET'): Promise<Response> {
      const headers = new Headers({ authorization })
      for (const p of dpop) headers.append('dpop', p)
      return h.fetch(endpoint(name), { method, headers })
    }

    async function expectChallenge(res: Response, error: string): Promise<ErrorBody> {
      const text = await res.text()
      expect(res.status, text).toBe(401)
      const challenge = res.headers.get('www-authenticate') ?? ''
      expect(challenge).toMatch(new RegExp(`^DPoP error="${error}", error_description="[^"]+", algs="${ALGS.join(' ')}"$`))
      const body = JSON.parse(text) as ErrorBody
      expect(body.error).toBe(error)
      return body
    }

    it('answers a DPoP-bound token sent with Authorization: DPoP and a proof for the request (GET and POST)', async () => {
      const url = endpoint('userinfo')
      const get = await resource('userinfo', `DPoP ${bound}`, [await proofFor(url, key, { htm: 'GET', accessToken: bound })])
      const claimsGot = (await get.json()) as Json
      expect(get.status, JSON.stringify(claimsGot)).toBe(200)
      expect(claimsGot.sub).toBe(DEMO.user.username)
      const viaPost = await resource('userinfo', `dpop ${bound}`, [await proofFor(url, key, { htm: 'POST', accessToken: bound })], 'POST')
      expect(viaPost.status).toBe(200)
      const info = await resource('tokeninfo', `DPoP ${bound}`, [await proofFor(endpoint('tokeninfo'), key, { htm: 'GET', accessToken: bound })])
      const body = (await info.json()) as Json
      expect(info.status, JSON.stringify(body)).toBe(200)
      expect(body).toMatchObject({ token_type: 'DPoP', cnf: { jkt: key.jkt }, client_id: CONF.client_id })
    })

    it('refuses a DPoP-bound token sent as a Bearer token, however it is sent (RFC 9449 section 7.2)', async () => {
      await expectChallenge(await resource('userinfo', `Bearer ${bound}`), 'invalid_token')
      await expectChallenge(await resource('userinfo', `Bearer ${bound}`, [await proofFor(endpoint('userinfo'), key, { htm: 'GET', accessToken: bound })]), 'invalid_token')
      await expectChallenge(await h.fetch(`${endpoint('tokeninfo')}?access_token=${bound}`), 'invalid_token')
      await expectChallenge(await post(endpoint('userinfo'), { access_token: bound }), 'invalid_token')
    })

    it('refuses a bad proof with invalid_dpop_proof, and a proof by another key with invalid_token (key binding)', async () => {
      const url = endpoint('userinfo')
      await expectChallenge(await resource('userinfo', `DPoP ${bound}`), 'invalid_dpop_proof')
      await expectChallenge(await resource('userinfo', `DPoP ${bound}`, [await proofFor(url, key, { htm: 'GET' })]), 'invalid_dpop_proof')
      const wrongAth = await expectChallenge(
        await resource('userinfo', `DPoP ${bound}`, [await proofFor(url, key, { htm: 'GET', accessToken: bearer })]),
        'invalid_dpop_proof',
      )
      expect(wrongAth.error_description).toMatch(/ath/)
      await expectChallenge(await resource('userinfo', `DPoP ${bound}`, [await proofFor(url, key, { htm: 'POST', accessToken: bound })]), 'invalid_dpop_proof')
      await expectChallenge(await resource('userinfo', `DPoP ${bound}`, [await proofFor(endpoint('access_token'), key, { htm: 'GET', accessToken: bound })]), 'invalid_dpop_proof')
      const twice = await proofFor(url, key, { htm: 'GET', accessToken: bound })
      await expectChallenge(await resource('userinfo', `DPoP ${bound}`, [twice, twice]), 'invalid_dpop_proof')
      const binding = await expectChallenge(
        await resource('userinfo', `DPoP ${bound}`, [await proofFor(url, other, { htm: 'GET', accessToken: bound })]),
        'invalid_token',
      )
      expect(binding.error_description).toMatch(/key binding/)
    })

    it('refuses a replayed proof', async () => {
      const dpop = await proofFor(endpoint('userinfo'), key, { htm: 'GET', accessToken: bound })
      expect((await resource('userinfo', `DPoP ${bound}`, [dpop])).status).toBe(200)
      const body = await expectChallenge(await resource('userinfo', `DPoP ${bound}`, [dpop]), 'invalid_dpop_proof')
      expect(body.error_description).toMatch(/already used/)
    })

    it('keeps unbound tokens working as Bearer, and refuses them under the DPoP scheme', async () => {
      expect((await resource('userinfo', `Bearer ${bearer}`)).status).toBe(200)
      const info = (await (await resource('tokeninfo', `Bearer ${bearer}`)).json()) as Json
      expect(info.token_type).toBe('Bearer')
      expect(info).not.toHaveProperty('cnf')
      await expectChallenge(await resource('userinfo', `DPoP ${bearer}`, [await proofFor(endpoint('userinfo'), key, { htm: 'GET', accessToken: bearer })]), 'invalid_token')
      await expectChallenge(await resource('userinfo', 'DPoP not.a.token', [await proofFor(endpoint('userinfo'), key, { htm: 'GET', accessToken: 'not.a.token' })]), 'invalid_token')
    })

    it('introspection answers cnf.jkt and token_type DPoP for a bound token', async () => {
      const introspect = async (token: string) => (await (await post(endpoint('introspect'), { token }, [['authorization', m2mAuth.authorization]])).json()) as Json
      expect(await introspect(bound)).toMatchObject({ active: true, token_type: 'DPoP', cnf: { jkt: key.jkt } })
      const plain = await introspect(bearer)
      expect(plain).toMatchObject({ active: true, token_type: 'Bearer' })
      expect(plain).not.toHaveProperty('cnf')
    })
  })

  describe('nonces (a realm with dpop_nonce)', () => {
    const url = () => endpoint('access_token', 'noncy')
    const m2m = (dpop: string) =>
      post(url(), { grant_type: 'client_credentials' }, [['authorization', basic(NONCY_M2M.client_id, NONCY_M2M.client_secret)], ['dpop', dpop]])

    it('answers a proof without a nonce with use_dpop_nonce and a DPoP-Nonce header, then accepts that nonce', async () => {
      const challenged = await m2m(await proofFor(url()))
      await expectError(challenged, 400, 'use_dpop_nonce')
      const nonce = challenged.headers.get('dpop-nonce')
      expect(nonce).toMatch(/^[A-Za-z0-9_-]{22,}$/)
      const ok = await m2m(await proofFor(url(), key, { nonce: nonce! }))
      await expectDPoPTokens(ok, key.jkt)
      expect(ok.headers.get('dpop-nonce')).toBe(nonce)
      await expectError(await m2m(await proofFor(url(), key, { nonce: 'made-up-nonce-value-0000' })), 400, 'use_dpop_nonce')
      // Proofs are still optional: a token request without one needs no nonce.
      const plain = await post(url(), { grant_type: 'client_credentials' }, [['authorization', basic(NONCY_M2M.client_id, NONCY_M2M.client_secret)]])
      expect(plain.status).toBe(200)
      expect(plain.headers.get('dpop-nonce')).toBe(nonce)
    })

    it('asks for a nonce at the resources too, with a DPoP challenge', async () => {
      const nonce = (await m2m(await proofFor(url()))).headers.get('dpop-nonce')!
      const tokens = await expectDPoPTokens(await passwordTokens(PUBLIC, await proofFor(url(), key, { nonce }), 'noncy'), key.jkt)
      const at = tokens.access_token as string
      const userinfo = endpoint('userinfo', 'noncy')
      const send = async (n?: string) =>
        h.fetch(userinfo, {
          headers: { authorization: `DPoP ${at}`, dpop: await proofFor(userinfo, key, { htm: 'GET', accessToken: at, ...(n !== undefined && { nonce: n }) }) },
        })
      const challenged = await send()
      expect(challenged.status).toBe(401)
      expect(challenged.headers.get('www-authenticate')).toMatch(/^DPoP error="use_dpop_nonce"/)
      expect(((await challenged.json()) as Json).error).toBe('use_dpop_nonce')
      const fresh = challenged.headers.get('dpop-nonce')!
      const ok = await send(fresh)
      expect(ok.status, await ok.clone().text()).toBe(200)
      expect(ok.headers.get('dpop-nonce')).toBe(fresh)
      // The bound refresh token of the public client needs the nonce as well.
      const rt = tokens.refresh_token as string
      await expectError(await refresh(PUBLIC, rt, await proofFor(url()), 'noncy'), 400, 'use_dpop_nonce')
      await expectDPoPTokens(await refresh(PUBLIC, rt, await proofFor(url(), key, { nonce: fresh }), 'noncy'), key.jkt)
    })

    it('keeps a nonce good for at least five minutes, and asks for a new one once it is stale', async () => {
      const nonce = (await m2m(await proofFor(url()))).headers.get('dpop-nonce')!
      await h.advance(300)
      await expectDPoPTokens(await m2m(await proofFor(url(), key, { nonce })), key.jkt)
      await h.advance(600)
      const stale = await m2m(await proofFor(url(), key, { nonce }))
      await expectError(stale, 400, 'use_dpop_nonce')
      const next = stale.headers.get('dpop-nonce')!
      expect(next).not.toBe(nonce)
      await expectDPoPTokens(await m2m(await proofFor(url(), key, { nonce: next })), key.jkt)
    })
  })

  describe('discovery and CORS', () => {
    it('lists the proof algorithms: asymmetric only', async () => {
      const m = (await (await h.fetch(endpoint('.well-known/openid-configuration'))).json()) as Json
      expect([...(m.dpop_signing_alg_values_supported as string[])].sort()).toEqual([...ALGS].sort())
      expect(m.dpop_signing_alg_values_supported).not.toContain('none')
      expect((m.dpop_signing_alg_values_supported as string[]).some((a) => a.startsWith('HS'))).toBe(false)
    })

    it('lets a registered SPA origin send DPoP and read DPoP-Nonce and WWW-Authenticate on token, userinfo, revoke and par', async () => {
      const origin = 'http://localhost:5173'
      for (const name of ['access_token', 'userinfo', 'token/revoke', 'par']) {
        const pre = await h.fetch(endpoint(name), {
          method: 'OPTIONS',
          headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'dpop, content-type' },
        })
        expect(pre.headers.get('access-control-allow-origin'), name).toBe(origin)
        expect(pre.headers.get('access-control-allow-headers'), name).toMatch(/\bdpop\b/)
        const res = await post(endpoint(name), {}, [['origin', origin]])
        expect(res.headers.get('access-control-allow-origin'), name).toBe(origin)
        const exposed = res.headers.get('access-control-expose-headers') ?? ''
        expect(exposed, name).toMatch(/\bdpop-nonce\b/)
        expect(exposed, name).toMatch(/\bwww-authenticate\b/)
      }
    })
  })

  it('ath is the base64url SHA-256 of the access token (the kit agrees with RFC 9449 section 4.2)', () => {
    expect(ath('Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU')).toBe('fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo')
  })
})
