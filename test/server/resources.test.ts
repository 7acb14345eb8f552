/**
 * The provider's resource-side endpoints, as a client sees them in all three modes:
 * discovery, JWKS, the access token itself, introspect, revoke, tokeninfo, userinfo,
 * CORS and dynamic registration.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from 'jose'
import { DEMO, demoConfig, generateSigningKey, type ProviderConfig, type SigningJwk } from '@realmauth/server'
import { MODES, basic, form, secondsLeft, startHarness, type Harness } from './harness.js'
import { claims, m2mAuth, spaTokens, webAuth } from './flows.js'

type Json = Record<string, unknown>

const ROPC = { id: 'ropc', secret: 'ropc-secret' }
const PAIRWISE = { id: 'pairwise', secret: 'pairwise-secret' }
const ZERO = { id: 'zero', secret: 'zero-secret' }
const BETA_RS = { id: 'beta-rs', secret: 'beta-rs-secret' }
const ropcAuth = { authorization: basic(ROPC.id, ROPC.secret) }

/** The demo realm plus password-grant clients, and three more realms: beta (ES256, open registration), root and a sub-realm. */
function resourcesConfig(): ProviderConfig {
  const config = demoConfig()
  const alpha = config.realms[0]!
  alpha.clients!.push(
    { client_id: ROPC.id, client_secret: ROPC.secret, grant_types: ['password', 'refresh_token'], scope: 'openid profile email address phone' },
    { client_id: 'ropc-public', token_endpoint_auth_method: 'none', grant_types: ['password', 'refresh_token'], scope: 'openid profile' },
    {
      client_id: PAIRWISE.id,
      client_secret: PAIRWISE.secret,
      grant_types: ['password', 'refresh_token'],
      subject_type: 'pairwise',
      redirect_uris: ['https://rp.example.org/cb'],
      scope: 'openid profile',
    },
    { client_id: ZERO.id, client_secret: ZERO.secret, grant_types: ['client_credentials'], scope: 'read', access_token_lifetime: 0 },
  )
  const demoUser = alpha.users![0]!
  config.realms.push(
    {
      name: 'beta',
      access_token_signing_alg: 'ES256',
      allow_dynamic_registration: true,
      authorization_response_iss: false,
      clients: [
        // Same id and secret as alpha's: realms must still keep their tokens apart.
        { client_id: ROPC.id, client_secret: ROPC.secret, grant_types: ['password', 'refresh_token'], scope: 'openid profile' },
        { client_id: BETA_RS.id, client_secret: BETA_RS.secret, grant_types: ['client_credentials'], scope: 'read am-introspect-all-tokens' },
      ],
      users: [demoUser],
    },
    { name: '/' },
    { name: 'alpha/nested' },
  )
  return config
}

function send(h: Harness, realm: string, endpoint: string, fields: Record<string, string>, headers: Record<string, string> = {}) {
  const init = form(fields)
  return h.fetch(`${h.issuer(realm)}/${endpoint}`, { ...init, headers: { ...(init.headers as Record<string, string>), ...headers } })
}

async function body(res: Response): Promise<Json> {
  return (await res.json()) as Json
}

/** Password grant for the demo user; `client` public when it has no secret. */
async function passwordTokens(
  h: Harness,
  options: { client?: { id: string; secret?: string }; scope?: string; realm?: string } = {},
): Promise<{ access_token: string; refresh_token?: string; id_token?: string; expires_in: number; scope: string }> {
  const client = options.client ?? ROPC
  const fields: Record<string, string> = { grant_type: 'password', username: DEMO.user.username, password: DEMO.user.password }
  if (options.scope !== undefined) fields.scope = options.scope
  const headers: Record<string, string> = {}
  if (client.secret !== undefined) headers.authorization = basic(client.id, client.secret)
  else fields.client_id = client.id
  const res = await send(h, options.realm ?? 'alpha', 'access_token', fields, headers)
  const json = await body(res)
  if (res.status !== 200) throw new Error(`password grant failed: ${JSON.stringify(json)}`)
  return json as never
}

async function m2mToken(h: Harness): Promise<string> {
  const res = await send(h, 'alpha', 'access_token', { grant_type: 'client_credentials' }, m2mAuth)
  return (await body(res)).access_token as string
}

async function introspect(h: Harness, token: string, auth: Record<string, string> = m2mAuth, extra: Record<string, string> = {}, realm = 'alpha') {
  const res = await send(h, realm, 'introspect', { token, ...extra }, auth)
  expect(res.status).toBe(200)
  return body(res)
}

function bearer(token: string): RequestInit {
  return { headers: { authorization: `Bearer ${token}` } }
}

const ALL_RESPONSE_TYPES = ['code', 'token', 'id_token', 'code token', 'token id_token', 'code id_token', 'code token id_token']
const sortWords = (s: string) => s.split(' ').sort().join(' ')

describe.each(MODES)('resources (%s)', (mode) => {
  let h: Harness
  beforeAll(async () => {
    h = await startHarness(mode, resourcesConfig())
  })
  afterAll(() => h.close())

  describe('discovery', () => {
    it('lists every endpoint under the issuer and every supported value', async () => {
      const res = await h.fetch(`${h.issuer()}/.well-known/openid-configuration`)
      expect(res.status).toBe(200)
      expect(res.headers.get('content-type')).toMatch(/^application\/json/)
      const m = await body(res)
      const iss = h.issuer()
      expect(iss).toBe(`${h.origin}/oauth2/realms/root/realms/alpha`)
      expect(m).toMatchObject({
        issuer: iss,
        authorization_endpoint: `${iss}/authorize`,
        token_endpoint: `${iss}/access_token`,
        userinfo_endpoint: `${iss}/userinfo`,
        jwks_uri: `${iss}/connect/jwk_uri`,
        end_session_endpoint: `${iss}/connect/endSession`,
        introspection_endpoint: `${iss}/introspect`,
        revocation_endpoint: `${iss}/token/revoke`,
        device_authorization_endpoint: `${iss}/device/code`,
        tokeninfo_endpoint: `${iss}/tokeninfo`,
        pushed_authorization_request_endpoint: `${iss}/par`,
        require_pushed_authorization_requests: false,
        code_challenge_methods_supported: ['S256'],
        authorization_response_iss_parameter_supported: true,
        subject_types_supported: expect.arrayContaining(['public', 'pairwise']),
        id_token_signing_alg_values_supported: expect.arrayContaining(['RS256', 'ES256']),
        scopes_supported: expect.arrayContaining(['openid', 'profile', 'email', 'address', 'phone']),
      })
      // Registration is closed in alpha: it is not advertised.
      expect(m).not.toHaveProperty('registration_endpoint')
      expect([...(m.dpop_signing_alg_values_supported as string[])].sort()).toEqual(
        ['ES256', 'ES384', 'ES512', 'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'EdDSA', 'Ed25519'].sort(),
      )
      expect((m.response_types_supported as string[]).map(sortWords).sort()).toEqual(ALL_RESPONSE_TYPES.map(sortWords).sort())
      expect([...(m.grant_types_supported as string[])].sort()).toEqual(
        ['authorization_code', 'implicit', 'password', 'client_credentials', 'refresh_token', 'urn:ietf:params:oauth:grant-type:device_code', 'urn:ietf:params:oauth:grant-type:jwt-bearer'].sort(),
      )
      expect([...(m.token_endpoint_auth_methods_supported as string[])].sort()).toEqual(
        ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'tls_client_auth', 'self_signed_tls_client_auth', 'none'].sort(),
      )
      expect(m.introspection_endpoint_auth_methods_supported).not.toContain('none')
      // Every advertised endpoint exists: none of them is a 404.
      for (const key of Object.keys(m).filter((k) => k.endsWith('_endpoint') || k === 'jwks_uri')) {
        const status = (await h.fetch(m[key] as string)).status
        expect.soft(status, key).not.toBe(404)
      }
    })

    it('advertises registration only where it is open, and the iss parameter where it is sent', async () => {
      const m = await body(await h.fetch(`${h.issuer('beta')}/.well-known/openid-configuration`))
      expect(m.issuer).toBe(`${h.origin}/oauth2/realms/root/realms/beta`)
      expect(m.registration_endpoint).toBe(`${h.issuer('beta')}/register`)
      expect(m.authorization_response_iss_parameter_supported).toBe(false)
    })

    it('answers the same issuer in all three realm URL forms', async () => {
      const forms = [
        '/oauth2/realms/root/realms/alpha/.well-known/openid-configuration',
        '/oauth2/.well-known/openid-configuration?realm=/alpha',
        '/oauth2/.well-known/openid-configuration?realm=alpha',
        '/oauth2/alpha/.well-known/openid-configuration',
      ]
      for (const path of forms) {
        const res = await h.fetch(`${h.origin}${path}`)
        expect(res.status, path).toBe(200)
        expect((await body(res)).issuer, path).toBe(h.issuer('alpha'))
      }
      const nested = h.issuer('alpha/nested')
      expect(nested).toBe(`${h.origin}/oauth2/realms/root/realms/alpha/realms/nested`)
      for (const path of [
        '/oauth2/realms/root/realms/alpha/realms/nested/.well-known/openid-configuration',
        '/oauth2/.well-known/openid-configuration?realm=/alpha/nested',
        '/oauth2/alpha/nested/.well-known/openid-configuration',
      ]) {
        const m = await body(await h.fetch(`${h.origin}${path}`))
        expect(m.issuer, path).toBe(nested)
        expect(m.token_endpoint, path).toBe(`${nested}/access_token`)
      }
    })

    it('lets ?realm= win over the realm in the path', async () => {
      const m = await body(await h.fetch(`${h.issuer('beta')}/.well-known/openid-configuration?realm=/alpha`))
      expect(m.issuer).toBe(h.issuer('alpha'))
      const short = await body(await h.fetch(`${h.origin}/oauth2/beta/.well-known/openid-configuration?realm=alpha`))
      expect(short.issuer).toBe(h.issuer('alpha'))
      // The query names a realm that does not exist: 404, even though the path's realm does.
      expect((await h.fetch(`${h.issuer('alpha')}/.well-known/openid-configuration?realm=/nope`)).status).toBe(404)
    })

    it('gives the root realm the issuer {origin}/oauth2', async () => {
      const m = await body(await h.fetch(`${h.origin}/oauth2/.well-known/openid-configuration`))
      expect(m.issuer).toBe(`${h.origin}/oauth2`)
      expect(m.token_endpoint).toBe(`${h.origin}/oauth2/access_token`)
      expect(h.issuer('/')).toBe(`${h.origin}/oauth2`)
      const long = await body(await h.fetch(`${h.origin}/oauth2/realms/root/.well-known/openid-configuration`))
      expect(long.issuer).toBe(`${h.origin}/oauth2`)
    })

    it('answers an unknown realm or path with a 404 JSON error', async () => {
      for (const path of [
        '/oauth2/realms/root/realms/nope/.well-known/openid-configuration',
        '/oauth2/nope/.well-known/openid-configuration',
        '/oauth2/.well-known/openid-configuration?realm=/nope',
        '/oauth2/realms/root/realms/alpha/nope',
        '/oauth2/realms/alpha/.well-known/openid-configuration',
        '/nope',
        '/am/oauth2/realms/root/realms/alpha/.well-known/openid-configuration',
      ]) {
        const res = await h.fetch(`${h.origin}${path}`)
        expect(res.status, path).toBe(404)
        expect(res.headers.get('content-type'), path).toMatch(/^application\/json/)
        expect((await body(res)).error, path).toBe('not_found')
      }
    })
  })

  describe('JWKS and access tokens', () => {
    it('publishes an RS256 and an ES256 public key, each with a kid', async () => {
      const res = await h.fetch(`${h.issuer()}/connect/jwk_uri`)
      expect(res.status).toBe(200)
      const { keys } = (await res.json()) as { keys: Json[] }
      const rsa = keys.find((k) => k.alg === 'RS256')
      const ec = keys.find((k) => k.alg === 'ES256')
      expect(rsa).toMatchObject({ kty: 'RSA', use: 'sig', kid: expect.any(String), n: expect.any(String), e: 'AQAB' })
      expect(ec).toMatchObject({ kty: 'EC', crv: 'P-256', use: 'sig', kid: expect.any(String) })
      for (const k of keys) expect(k).not.toHaveProperty('d')
      // Every realm publishes the same keys.
      expect(await body(await h.fetch(`${h.issuer('beta')}/connect/jwk_uri`))).toEqual({ keys })
    })

    it('issues an at+jwt RS256 access token carrying AM fields, verifiable with the JWKS', async () => {
      const tokens = await spaTokens(h)
      const header = decodeProtectedHeader(tokens.access_token)
      expect(header).toMatchObject({ typ: 'at+jwt', alg: 'RS256', kid: expect.any(String) })
      const jwks = (await (await h.fetch(`${h.issuer()}/connect/jwk_uri`)).json()) as JSONWebKeySet
      // Verified at the provider's clock, which the harness fixes in the in-process modes.
      const at = claims(tokens.access_token)
      const { payload } = await jwtVerify(tokens.access_token, createLocalJWKSet(jwks), {
        issuer: h.issuer(),
        typ: 'at+jwt',
        currentDate: new Date((at.iat as number) * 1000),
      })
      expect(payload).toMatchObject({
        sub: DEMO.user.username,
        client_id: DEMO.spa.client_id,
        scope: 'openid profile email',
        redirect_uri: DEMO.spa.redirect_uri,
        realm: '/alpha',
        nonce: 'n-1',
        jti: expect.any(String),
        refresh_token_id: expect.any(String),
      })
      expect(payload.exp! - payload.iat!).toBe(3600)
      expect(tokens.expires_in).toBe(3600)
      // refresh_token_id names this grant's refresh token.
      const rt = await introspect(h, tokens.refresh_token)
      expect(rt).toMatchObject({ active: true, token_type: 'refresh_token', jti: payload.refresh_token_id })
    })

    it('signs access tokens ES256 where the realm asks for it', async () => {
      const tokens = await passwordTokens(h, { realm: 'beta' })
      expect(decodeProtectedHeader(tokens.access_token)).toMatchObject({ typ: 'at+jwt', alg: 'ES256' })
      const jwks = (await (await h.fetch(`${h.issuer('beta')}/connect/jwk_uri`)).json()) as JSONWebKeySet
      const at = claims(tokens.access_token)
      const { payload } = await jwtVerify(tokens.access_token, createLocalJWKSet(jwks), {
        issuer: h.issuer('beta'),
        currentDate: new Date((at.iat as number) * 1000),
      })
      expect(payload).toMatchObject({ realm: '/beta', client_id: ROPC.id, sub: DEMO.user.username })
      // ID tokens keep the client's algorithm (RS256 by default).
      expect(decodeProtectedHeader(tokens.id_token!).alg).toBe('RS256')
    })
  })

  describe('introspect', () => {
    it('needs client authentication: public and anonymous callers are refused', async () => {
      const { access_token } = await passwordTokens(h)
      const pub = await send(h, 'alpha', 'introspect', { token: access_token, client_id: DEMO.spa.client_id })
      expect(pub.status).toBe(400)
      expect((await body(pub)).error).toBe('invalid_client')
      const anon = await send(h, 'alpha', 'introspect', { token: access_token })
      expect(anon.status).toBe(400)
      expect((await body(anon)).error).toBe('invalid_client')
      const wrong = await send(h, 'alpha', 'introspect', { token: access_token }, { authorization: basic(ROPC.id, 'nope') })
      expect(wrong.status).toBe(401)
      expect(wrong.headers.get('www-authenticate')).toMatch(/^Basic realm=/)
      const missing = await send(h, 'alpha', 'introspect', {}, ropcAuth)
      expect(missing.status).toBe(400)
      expect((await body(missing)).error).toBe('invalid_request')
    })

    it("shows a client its own token, and another client's only with am-introspect-all-tokens", async () => {
      const issued = Date.now()
      const { access_token } = await passwordTokens(h, { scope: 'openid profile' })
      const at = claims(access_token)
      await h.advance(60)
      // AM's /oauth2/introspect "Response content": user_id (the deprecated form of username) and expires_in, the seconds left.
      expect(await introspect(h, access_token, ropcAuth)).toMatchObject({
        active: true,
        scope: 'openid profile',
        client_id: ROPC.id,
        username: DEMO.user.username,
        user_id: DEMO.user.username,
        expires_in: secondsLeft(h, (at.exp as number) - (at.iat as number) - 60, issued),
        sub: DEMO.user.username,
        token_type: 'Bearer',
        exp: at.exp,
        iat: at.iat,
        jti: at.jti,
        iss: h.issuer(),
        realm: '/alpha',
      })
      expect(await introspect(h, access_token, m2mAuth)).toMatchObject({ active: true, client_id: ROPC.id })
      expect(await introspect(h, access_token, webAuth)).toEqual({ active: false })
    })

    it('reports an expired access token inactive', async () => {
      const { access_token } = await passwordTokens(h)
      expect((await introspect(h, access_token)).active).toBe(true)
      await h.advance(3601)
      expect(await introspect(h, access_token)).toEqual({ active: false })
    })

    it('introspects refresh tokens, honouring token_type_hint and falling back when it is wrong', async () => {
      const { access_token, refresh_token } = await passwordTokens(h)
      const rt = await introspect(h, refresh_token!, ropcAuth, { token_type_hint: 'refresh_token' })
      expect(rt).toMatchObject({
        active: true,
        token_type: 'refresh_token',
        client_id: ROPC.id,
        username: DEMO.user.username,
        user_id: DEMO.user.username,
        expires_in: secondsLeft(h, 604800),
        scope: 'openid profile email address phone',
      })
      expect(rt.exp).toBe((claims(access_token).iat as number) + 604800)
      expect(await introspect(h, refresh_token!, ropcAuth, { token_type_hint: 'access_token' })).toMatchObject({ active: true, token_type: 'refresh_token' })
      expect(await introspect(h, access_token, ropcAuth, { token_type_hint: 'refresh_token' })).toMatchObject({ active: true, token_type: 'Bearer' })
      expect(await introspect(h, refresh_token!, webAuth)).toEqual({ active: false })
    })

    it('reports tampered, foreign-realm, zero-lifetime and made-up tokens inactive', async () => {
      const { access_token } = await passwordTokens(h)
      const [head, payload, sig] = access_token.split('.') as [string, string, string]
      const forged = Buffer.from(JSON.stringify({ ...claims(access_token), scope: 'openid profile email address phone admin' })).toString('base64url')
      expect(await introspect(h, `${head}.${forged}.${sig}`)).toEqual({ active: false })
      const flipped = sig.slice(0, 10) + (sig[10] === 'A' ? 'B' : 'A') + sig.slice(11)
      expect(await introspect(h, `${head}.${payload}.${flipped}`)).toEqual({ active: false })
      expect(await introspect(h, 'not-a-token')).toEqual({ active: false })
      // An alpha token presented to beta, by a beta client allowed to see every token.
      expect(await introspect(h, access_token, { authorization: basic(BETA_RS.id, BETA_RS.secret) }, {}, 'beta')).toEqual({ active: false })
      // Lifetime 0 means "not valid" from the start.
      const zero = await send(h, 'alpha', 'access_token', { grant_type: 'client_credentials' }, { authorization: basic(ZERO.id, ZERO.secret) })
      const zeroBody = await body(zero)
      expect(zeroBody.expires_in).toBe(0)
      expect(await introspect(h, zeroBody.access_token as string)).toEqual({ active: false })
    })

    it('does not show one realm a refresh token of another', async () => {
      const { refresh_token } = await passwordTokens(h)
      expect((await introspect(h, refresh_token!, ropcAuth)).active).toBe(true)
      expect(await introspect(h, refresh_token!, { authorization: basic(BETA_RS.id, BETA_RS.secret) }, {}, 'beta')).toEqual({ active: false })
      // beta's client of the same id and secret cannot revoke alpha's grant either.
      expect((await send(h, 'beta', 'token/revoke', { token: refresh_token! }, ropcAuth)).status).toBe(200)
      expect((await introspect(h, refresh_token!, ropcAuth)).active).toBe(true)
      const refresh = await send(h, 'beta', 'access_token', { grant_type: 'refresh_token', refresh_token: refresh_token! }, ropcAuth)
      expect(refresh.status).toBe(400)
      expect((await body(refresh)).error).toBe('invalid_grant')
    })
  })

  describe('revoke', () => {
    it('answers 200 for a token it does not know', async () => {
      const res = await send(h, 'alpha', 'token/revoke', { token: 'no-such-token' }, ropcAuth)
      expect(res.status).toBe(200)
      const jwtLike = await send(h, 'alpha', 'token/revoke', { token: 'a.b.c' }, ropcAuth)
      expect(jwtLike.status).toBe(200)
    })

    it('ends the whole grant when a refresh token is revoked', async () => {
      const { access_token, refresh_token } = await passwordTokens(h)
      const res = await send(h, 'alpha', 'token/revoke', { token: refresh_token!, token_type_hint: 'refresh_token' }, ropcAuth)
      expect(res.status).toBe(200)
      expect(await introspect(h, refresh_token!)).toEqual({ active: false })
      expect(await introspect(h, access_token)).toEqual({ active: false })
      expect((await h.fetch(`${h.issuer()}/userinfo`, bearer(access_token))).status).toBe(401)
      const refresh = await send(h, 'alpha', 'access_token', { grant_type: 'refresh_token', refresh_token: refresh_token! }, ropcAuth)
      expect((await body(refresh)).error).toBe('invalid_grant')
    })

    it('ends only the access token when an access token is revoked', async () => {
      const { access_token, refresh_token } = await passwordTokens(h)
      expect((await send(h, 'alpha', 'token/revoke', { token: access_token }, ropcAuth)).status).toBe(200)
      expect(await introspect(h, access_token)).toEqual({ active: false })
      expect((await introspect(h, refresh_token!)).active).toBe(true)
      const refresh = await send(h, 'alpha', 'access_token', { grant_type: 'refresh_token', refresh_token: refresh_token! }, ropcAuth)
      expect(refresh.status).toBe(200)
      expect((await introspect(h, (await body(refresh)).access_token as string)).active).toBe(true)
    })

    it("refuses to revoke another client's token", async () => {
      const { access_token, refresh_token } = await passwordTokens(h)
      for (const token of [access_token, refresh_token!]) {
        const res = await send(h, 'alpha', 'token/revoke', { token }, webAuth)
        expect(res.status).toBe(400)
        expect((await body(res)).error).toBe('unauthorized_client')
        expect((await introspect(h, token)).active).toBe(true)
      }
      const pub = await send(h, 'alpha', 'token/revoke', { token: refresh_token!, client_id: 'ropc-public' })
      expect((await body(pub)).error).toBe('unauthorized_client')
      expect((await introspect(h, refresh_token!)).active).toBe(true)
    })

    it('lets a public client revoke its own token with its client_id', async () => {
      const { access_token, refresh_token } = await passwordTokens(h, { client: { id: 'ropc-public' } })
      const anon = await send(h, 'alpha', 'token/revoke', { token: refresh_token! })
      expect((await body(anon)).error).toBe('invalid_client')
      const res = await send(h, 'alpha', 'token/revoke', { token: refresh_token!, client_id: 'ropc-public' })
      expect(res.status).toBe(200)
      expect(await introspect(h, refresh_token!)).toEqual({ active: false })
      expect(await introspect(h, access_token)).toEqual({ active: false })
    })
  })

  describe('tokeninfo', () => {
    it('reads the token from the query or a Bearer header, with scope as an array and expires_in counting down', async () => {
      const { access_token } = await passwordTokens(h, { scope: 'openid email' })
      const fromQuery = await h.fetch(`${h.issuer()}/tokeninfo?access_token=${encodeURIComponent(access_token)}`)
      expect(fromQuery.status).toBe(200)
      const info = await body(fromQuery)
      expect(info).toMatchObject({
        access_token,
        scope: ['openid', 'email'],
        client_id: ROPC.id,
        username: DEMO.user.username,
        sub: DEMO.user.username,
        realm: '/alpha',
        token_type: 'Bearer',
        grant_type: 'password',
      })
      // The HTTP mode's clock also moves with the wall clock: a second may pass since issuance.
      expect(info.expires_in).toBeGreaterThanOrEqual(h.mode === 'http' ? 3599 : 3600)
      expect(info.expires_in).toBeLessThanOrEqual(3600)
      await h.advance(100)
      const fromHeader = await h.fetch(`${h.issuer()}/tokeninfo`, bearer(access_token))
      expect(fromHeader.status).toBe(200)
      const later = await body(fromHeader)
      // The HTTP mode's clock also moves with the wall clock between the two requests.
      expect(later.expires_in).toBeLessThanOrEqual(3500)
      expect(later.expires_in).toBeGreaterThan(3490)
    })

    it('refuses the token in both places at once, and a missing token', async () => {
      const { access_token } = await passwordTokens(h)
      const both = await h.fetch(`${h.issuer()}/tokeninfo?access_token=${encodeURIComponent(access_token)}`, bearer(access_token))
      expect(both.status).toBe(400)
      expect((await body(both)).error).toBe('invalid_request')
      const none = await h.fetch(`${h.issuer()}/tokeninfo`)
      expect(none.status).toBe(400)
    })

    it('answers an invalid, expired or revoked token with 401 and a Bearer challenge', async () => {
      const { access_token } = await passwordTokens(h)
      const garbage = await h.fetch(`${h.issuer()}/tokeninfo?access_token=nope`)
      expect(garbage.status).toBe(401)
      expect(garbage.headers.get('www-authenticate')).toMatch(/^Bearer .*error="invalid_token"/)
      expect((await body(garbage)).error).toBe('invalid_token')
      await send(h, 'alpha', 'token/revoke', { token: access_token }, ropcAuth)
      expect((await h.fetch(`${h.issuer()}/tokeninfo`, bearer(access_token))).status).toBe(401)
      const second = await passwordTokens(h)
      await h.advance(3600)
      expect((await h.fetch(`${h.issuer()}/tokeninfo`, bearer(second.access_token))).status).toBe(401)
    })
  })

  describe('userinfo', () => {
    it('answers GET with a Bearer header and POST with the token in the form body', async () => {
      const { access_token } = await passwordTokens(h, { scope: 'openid profile' })
      const get = await h.fetch(`${h.issuer()}/userinfo`, bearer(access_token))
      expect(get.status).toBe(200)
      const claimsGet = await body(get)
      expect(claimsGet).toMatchObject({ sub: DEMO.user.username, name: 'Demo User' })
      const post = await send(h, 'alpha', 'userinfo', { access_token })
      expect(post.status).toBe(200)
      expect(await body(post)).toEqual(claimsGet)
      const both = await h.fetch(`${h.issuer()}/userinfo`, {
        ...form({ access_token }),
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Bearer ${access_token}` },
      })
      expect(both.status).toBe(400)
      expect((await body(both)).error).toBe('invalid_request')
      const none = await h.fetch(`${h.issuer()}/userinfo`)
      expect(none.status).toBe(401)
      expect(none.headers.get('www-authenticate')).toMatch(/^Bearer /)
      const bad = await h.fetch(`${h.issuer()}/userinfo`, bearer('nope'))
      expect(bad.status).toBe(401)
      expect(bad.headers.get('www-authenticate')).toMatch(/error="invalid_token"/)
    })

    it('releases the standard claims of each scope and no others', async () => {
      const get = async (scope: string) => body(await h.fetch(`${h.issuer()}/userinfo`, bearer((await passwordTokens(h, { scope })).access_token)))
      expect(await get('openid')).toEqual({ sub: 'demo' })
      expect(await get('openid profile')).toEqual({
        sub: 'demo',
        name: 'Demo User',
        given_name: 'Demo',
        family_name: 'User',
        preferred_username: 'demo',
      })
      expect(await get('openid email')).toEqual({ sub: 'demo', email: 'demo@example.com', email_verified: true })
      expect(await get('openid address')).toEqual({ sub: 'demo', address: { street_address: '1 Demo Way', locality: 'Bristol', country: 'GB' } })
      expect(await get('openid phone')).toEqual({ sub: 'demo', phone_number: '+1 555 0100' })
    })

    it('refuses a token without openid, and a client_credentials token, with 403 insufficient_scope', async () => {
      const { access_token } = await passwordTokens(h, { scope: 'profile email' })
      for (const token of [access_token, await m2mToken(h)]) {
        const res = await h.fetch(`${h.issuer()}/userinfo`, bearer(token))
        expect(res.status).toBe(403)
        expect((await body(res)).error).toBe('insufficient_scope')
        expect(res.headers.get('www-authenticate')).toMatch(/error="insufficient_scope"/)
      }
    })

    it('gives a pairwise client its own stable sub, the same in the ID token and userinfo', async () => {
      const pairwise = await passwordTokens(h, { client: PAIRWISE, scope: 'openid profile' })
      const sub = claims(pairwise.id_token!).sub
      expect(sub).not.toBe(DEMO.user.username)
      expect(sub).toMatch(/^[A-Za-z0-9_-]{43}$/)
      const info = await body(await h.fetch(`${h.issuer()}/userinfo`, bearer(pairwise.access_token)))
      expect(info.sub).toBe(sub)
      const again = await passwordTokens(h, { client: PAIRWISE, scope: 'openid' })
      expect(claims(again.id_token!).sub).toBe(sub)
      const publicClient = await passwordTokens(h, { scope: 'openid' })
      expect(claims(publicClient.id_token!).sub).toBe(DEMO.user.username)
      expect((await body(await h.fetch(`${h.issuer()}/userinfo`, bearer(publicClient.access_token)))).sub).toBe(DEMO.user.username)
    })

    it('gives a pairwise client its pairwise sub everywhere it can read one: JWT access token, introspect and tokeninfo', async () => {
      const pairwise = await passwordTokens(h, { client: PAIRWISE, scope: 'openid profile' })
      const sub = claims(pairwise.id_token!).sub
      expect(claims(pairwise.access_token).sub).toBe(sub)
      const self = { authorization: basic(PAIRWISE.id, PAIRWISE.secret) }
      expect(await introspect(h, pairwise.access_token, self)).toMatchObject({ active: true, sub })
      expect(await introspect(h, pairwise.refresh_token!, self)).toMatchObject({ active: true, sub })
      expect(await body(await h.fetch(`${h.issuer()}/tokeninfo`, bearer(pairwise.access_token)))).toMatchObject({ sub })
      // A public client's tokens keep the username.
      const publicClient = await passwordTokens(h, { scope: 'openid' })
      expect(claims(publicClient.access_token).sub).toBe(DEMO.user.username)
    })
  })

  describe('CORS', () => {
    const preflight = (origin: string, endpoint: string) =>
      h.fetch(`${h.issuer()}/${endpoint}`, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' },
      })

    it('allows a registered SPA origin on the endpoints a browser app calls', async () => {
      for (const endpoint of ['access_token', 'userinfo', 'token/revoke', '.well-known/openid-configuration', 'connect/jwk_uri']) {
        const res = await preflight('http://localhost:5173', endpoint)
        expect(res.status, endpoint).toBe(204)
        expect(res.headers.get('access-control-allow-origin'), endpoint).toBe('http://localhost:5173')
        expect(res.headers.get('access-control-allow-methods'), endpoint).toMatch(/GET|POST/)
        expect(res.headers.get('access-control-allow-headers'), endpoint).toMatch(/authorization/)
      }
      // The SPA allows any loopback port.
      expect((await preflight('http://localhost:4000', 'access_token')).headers.get('access-control-allow-origin')).toBe('http://localhost:4000')
      // The actual response carries the header too, errors included.
      const { access_token } = await passwordTokens(h)
      const res = await h.fetch(`${h.issuer()}/userinfo`, { headers: { origin: 'http://localhost:5173', authorization: `Bearer ${access_token}` } })
      expect(res.status).toBe(200)
      expect(res.headers.get('access-control-allow-origin')).toBe('http://localhost:5173')
      const error = await h.fetch(`${h.issuer()}/userinfo`, { headers: { origin: 'http://localhost:5173', authorization: 'Bearer nope' } })
      expect(error.status).toBe(401)
      expect(error.headers.get('access-control-allow-origin')).toBe('http://localhost:5173')
      expect(error.headers.get('access-control-expose-headers')).toMatch(/www-authenticate/)
    })

    it('gives an unknown origin no CORS headers', async () => {
      for (const origin of ['https://evil.example', 'http://localhost.evil.example:5173', 'https://localhost:5173']) {
        const res = await preflight(origin, 'access_token')
        expect(res.headers.get('access-control-allow-origin'), origin).toBeNull()
      }
      const res = await h.fetch(`${h.issuer()}/.well-known/openid-configuration`, { headers: { origin: 'https://evil.example' } })
      expect(res.status).toBe(200)
      expect(res.headers.get('access-control-allow-origin')).toBeNull()
    })
  })

  describe('register', () => {
    const register = (realm: string, metadata: unknown, contentType = 'application/json') =>
      h.fetch(`${h.issuer(realm)}/register`, {
        method: 'POST',
        headers: { 'content-type': contentType },
        body: typeof metadata === 'string' ? metadata : JSON.stringify(metadata),
      })

    it('is refused with 403 JSON where dynamic registration is off', async () => {
      const res = await register('alpha', { grant_types: ['client_credentials'] })
      expect(res.status).toBe(403)
      expect(res.headers.get('content-type')).toMatch(/^application\/json/)
      expect(await body(res)).toMatchObject({ error: expect.any(String), error_description: expect.any(String) })
    })

    it('registers a confidential client that can get tokens at once', async () => {
      const res = await register('beta', { client_name: 'Robot', grant_types: ['client_credentials'], scope: 'read', implied_consent: true })
      expect(res.status).toBe(201)
      const client = await body(res)
      expect(client).toMatchObject({
        client_id: expect.any(String),
        client_secret: expect.any(String),
        client_secret_expires_at: 0,
        client_id_issued_at: expect.any(Number),
        token_endpoint_auth_method: 'client_secret_basic',
        grant_types: ['client_credentials'],
        scope: 'read',
        client_name: 'Robot',
      })
      // Implied consent cannot be self-granted, so it is not echoed back as if it were.
      expect(client).not.toHaveProperty('implied_consent')
      const token = await send(h, 'beta', 'access_token', { grant_type: 'client_credentials' }, {
        authorization: basic(client.client_id as string, client.client_secret as string),
      })
      expect(token.status).toBe(200)
      expect(claims((await body(token)).access_token as string)).toMatchObject({ client_id: client.client_id, realm: '/beta', scope: 'read' })
      // Registered in beta only.
      const elsewhere = await send(h, 'alpha', 'access_token', { grant_type: 'client_credentials' }, {
        authorization: basic(client.client_id as string, client.client_secret as string),
      })
      expect((await body(elsewhere)).error).toBe('invalid_client')
    })

    it('registers a public client without a secret', async () => {
      const res = await register('beta', { token_endpoint_auth_method: 'none', redirect_uris: ['http://127.0.0.1:8080/cb'], client_secret: 'chosen' })
      expect(res.status).toBe(201)
      const client = await body(res)
      expect(client.token_endpoint_auth_method).toBe('none')
      expect(client).not.toHaveProperty('client_secret')
      expect(client.redirect_uris).toEqual(['http://127.0.0.1:8080/cb'])
    })

    it('refuses bad redirect_uris with invalid_redirect_uri', async () => {
      for (const redirect_uris of [['not a uri'], ['https://app.example/cb#frag'], 'https://app.example/cb', [], ['javascript:alert(1)'], [' JavaScript:alert(1)'], ['data:text/html,hi']]) {
        const res = await register('beta', { redirect_uris, grant_types: ['authorization_code'] })
        expect(res.status, JSON.stringify(redirect_uris)).toBe(400)
        expect((await body(res)).error, JSON.stringify(redirect_uris)).toBe('invalid_redirect_uri')
      }
      const meta = await register('beta', { grant_types: ['telepathy'] })
      expect(meta.status).toBe(400)
      expect((await body(meta)).error).toBe('invalid_client_metadata')
    })

    it('refuses metadata it does not know or does not honour yet with invalid_client_metadata, naming the field', async () => {
      for (const [field, value, problem] of [['redirect_uri', 'RS256', 'is not a known setting; did you mean redirect_uris?'], ['userinfo_signed_response_alg', 'none', 'must be one of RS256, ES256']] as const) {
        const res = await register('beta', { grant_types: ['client_credentials'], [field]: value })
        expect(res.status, field).toBe(400)
        const error = await body(res)
        expect(error.error, field).toBe('invalid_client_metadata')
        expect(error.error_description, field).toBe(`${field}: ${problem}`)
      }
    })

    it('refuses a body that is not JSON with 400', async () => {
      const text = await register('beta', 'grant_types=client_credentials', 'application/x-www-form-urlencoded')
      expect(text.status).toBe(400)
      expect((await body(text)).error).toBe('invalid_request')
      const broken = await register('beta', '{"grant_types": [', 'application/json')
      expect(broken.status).toBe(400)
      expect((await body(broken)).error).toBe('invalid_client_metadata')
      const array = await register('beta', '[]', 'application/json')
      expect(array.status).toBe(400)
      expect((await body(array)).error).toBe('invalid_client_metadata')
    })
  })
})

let keys: SigningJwk[]
beforeAll(async () => {
  keys = [
    { ...(await generateSigningKey('RS256')).privateJwk, kid: 'configured-rsa' },
    { ...(await generateSigningKey('ES256')).privateJwk, kid: 'configured-ec' },
  ]
})

describe.each(MODES)('configured keys and base path /am (%s)', (mode) => {
  let h: Harness
  let iss: string
  beforeAll(async () => {
    const config = demoConfig()
    config.base_path = '/am'
    config.keys = keys
    h = await startHarness(mode, config)
    iss = `${h.origin}/am/oauth2/realms/root/realms/alpha`
  })
  afterAll(() => h.close())

  it('serves discovery under the base path', async () => {
    const res = await h.fetch(`${iss}/.well-known/openid-configuration`)
    expect(res.status).toBe(200)
    const m = await body(res)
    expect(m).toMatchObject({ issuer: iss, token_endpoint: `${iss}/access_token`, jwks_uri: `${iss}/connect/jwk_uri` })
    const short = await body(await h.fetch(`${h.origin}/am/oauth2/alpha/.well-known/openid-configuration`))
    expect(short.issuer).toBe(iss)
    expect((await body(await h.fetch(`${h.origin}/am/oauth2/.well-known/openid-configuration?realm=/alpha`))).issuer).toBe(iss)
    const bare = await h.fetch(`${h.origin}/oauth2/realms/root/realms/alpha/.well-known/openid-configuration`)
    expect(bare.status).toBe(404)
    expect((await body(bare)).error).toBe('not_found')
  })

  it('publishes the configured keys and signs with them', async () => {
    const jwks = (await (await h.fetch(`${iss}/connect/jwk_uri`)).json()) as JSONWebKeySet
    expect(jwks.keys.map((k) => k.kid).sort()).toEqual(['configured-ec', 'configured-rsa'])
    for (const k of jwks.keys) expect(k).not.toHaveProperty('d')
    // Verify with keys derived from the configuration itself, not only what the endpoint says.
    const own = createLocalJWKSet({
      keys: keys.map(({ d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, key_ops: _k, ext: _e, ...pub }) => pub as never),
    })
    const res = await h.fetch(`${iss}/access_token`, {
      ...form({ grant_type: 'client_credentials' }),
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...m2mAuth },
    })
    expect(res.status).toBe(200)
    const accessToken = (await body(res)).access_token as string
    const at = claims(accessToken)
    expect(decodeProtectedHeader(accessToken)).toMatchObject({ kid: 'configured-rsa', alg: 'RS256', typ: 'at+jwt' })
    const { payload } = await jwtVerify(accessToken, own, { issuer: iss, currentDate: new Date((at.iat as number) * 1000) })
    expect(payload.client_id).toBe(DEMO.m2m.client_id)
    await jwtVerify(accessToken, createLocalJWKSet(jwks), { issuer: iss, currentDate: new Date((at.iat as number) * 1000) })
  })
})
