/**
 * The token endpoint's grants (RFC 6749 sections 4-6, RFC 7636, RFC 9700 4.14), in all three
 * harness modes: authorization_code with PKCE and code-reuse revocation, refresh_token with
 * rotation, reuse detection and scope narrowing, client_credentials and password.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ClientConfig, ProviderConfig, RealmConfig } from '@realmauth/server'
import { Browser, MODES, basic, startHarness, type Harness } from './harness.js'
import { authorizeAsUser, claims, pkce } from './flows.js'
import { expectError, expectTokens, post, type TokenResponse } from './tokenKit.js'

const USER = { username: 'alice', password: 'Alice-pw-1', name: 'Alice Liddell', email: 'alice@example.com', email_verified: true }
const SCOPE = 'openid profile email'

const WEB = { client_id: 'web', client_secret: 'web-secret', redirect_uri: 'http://localhost:3000/cb' }
const WEB2 = { client_id: 'web2', client_secret: 'web2-secret', redirect_uri: 'http://localhost:4000/cb' }
const SPA = { client_id: 'spa', redirect_uri: 'http://localhost:5173/cb' }
/** Seed 002's `myClient`: a secret, scopes and grant types (plus the redirect URI the code flow needs), nothing else. */
const MY_CLIENT = { client_id: 'myClient', client_secret: 'forgerock', redirect_uri: 'https://my-client.example/cb' }
const CODE_ONLY = { client_id: 'code-only', client_secret: 'code-only-secret', redirect_uri: 'http://localhost:3100/cb' }

const auth = {
  web: { authorization: basic(WEB.client_id, WEB.client_secret) },
  web2: { authorization: basic(WEB2.client_id, WEB2.client_secret) },
  codeOnly: { authorization: basic(CODE_ONLY.client_id, CODE_ONLY.client_secret) },
  m2m: { authorization: basic('m2m', 'm2m-secret') },
  ccOidc: { authorization: basic('cc-oidc', 'cc-oidc-secret') },
  pw: { authorization: basic('pw', 'pw-secret') },
  forever: { authorization: basic('forever', 'forever-secret') },
  instant: { authorization: basic('instant', 'instant-secret') },
}

function clients(): ClientConfig[] {
  const code = { grant_types: ['authorization_code', 'refresh_token'], scope: SCOPE, implied_consent: true }
  return [
    { client_id: WEB.client_id, client_secret: WEB.client_secret, redirect_uris: [WEB.redirect_uri, 'http://localhost:3000/other'], ...code },
    { client_id: WEB2.client_id, client_secret: WEB2.client_secret, redirect_uris: [WEB2.redirect_uri], ...code },
    { client_id: SPA.client_id, token_endpoint_auth_method: 'none', redirect_uris: [SPA.redirect_uri], ...code },
    {
      client_id: CODE_ONLY.client_id,
      client_secret: CODE_ONLY.client_secret,
      redirect_uris: [CODE_ONLY.redirect_uri],
      grant_types: ['authorization_code'],
      scope: SCOPE,
      implied_consent: true,
    },
    { client_id: 'm2m', client_secret: 'm2m-secret', grant_types: ['client_credentials'], scope: 'read write am-introspect-all-tokens', default_scopes: ['read'] },
    // Allowed openid and refresh_token, yet client_credentials must never yield either token.
    { client_id: 'cc-oidc', client_secret: 'cc-oidc-secret', grant_types: ['client_credentials', 'refresh_token'], scope: 'openid read' },
    { client_id: 'pw', client_secret: 'pw-secret', grant_types: ['password', 'refresh_token'], scope: SCOPE },
    {
      client_id: MY_CLIENT.client_id,
      client_secret: MY_CLIENT.client_secret,
      scope: 'write read',
      grant_types: ['authorization_code', 'refresh_token'],
      redirect_uris: [MY_CLIENT.redirect_uri],
    },
  ]
}

function realm(name: string, settings: Partial<RealmConfig> = {}, extra: ClientConfig[] = []): RealmConfig {
  return { name, allow_implied_consent: true, ...settings, clients: [...clients(), ...extra], users: [USER] }
}

const CONFIG: ProviderConfig = {
  realms: [
    realm('alpha'),
    realm('norotate', { issue_refresh_tokens_on_refresh: false }),
    realm('reuseall', { refresh_token_reuse_detection: 'all' }),
    realm('reusenone', { refresh_token_reuse_detection: 'none' }),
    realm('short', { access_token_lifetime: 60, refresh_token_lifetime: 600 }, [
      { client_id: 'forever', client_secret: 'forever-secret', grant_types: ['password', 'refresh_token'], scope: SCOPE, refresh_token_lifetime: -1 },
      { client_id: 'instant', client_secret: 'instant-secret', grant_types: ['password', 'refresh_token'], scope: SCOPE, access_token_lifetime: 0 },
    ]),
    realm('norefresh', { issue_refresh_tokens: false }),
    realm('claims', { always_return_claims_in_id_tokens: true }),
  ],
}

describe.each(MODES)('token endpoint grants (%s)', (mode) => {
  let h: Harness
  const browsers = new Map<string, Browser>()
  beforeAll(async () => {
    h = await startHarness(mode, CONFIG)
  })
  afterAll(() => h.close())

  const token = (realmName: string, fields: Record<string, string>, headers: Record<string, string> = {}) =>
    post(h, realmName, 'access_token', fields, headers)

  /** Signs alice in (once per realm; the session cookie is kept) and returns a fresh code. */
  async function authorize(
    realmName: string,
    client: { client_id: string; redirect_uri: string },
    options: { pkce?: boolean; extra?: Record<string, string> } = {},
  ): Promise<{ code: string; verifier?: string }> {
    let browser = browsers.get(realmName)
    if (!browser) browsers.set(realmName, (browser = new Browser(h)))
    const challenge = options.pkce ? pkce() : undefined
    const { params, location } = await authorizeAsUser(
      h,
      {
        client_id: client.client_id,
        redirect_uri: client.redirect_uri,
        response_type: 'code',
        scope: SCOPE,
        state: 'st',
        nonce: 'n-0',
        ...(challenge && { code_challenge: challenge.challenge, code_challenge_method: 'S256' }),
        ...options.extra,
      },
      { browser, realm: realmName, username: USER.username, password: USER.password },
    )
    expect(location.origin + location.pathname).toBe(client.redirect_uri)
    const code = params.get('code')
    expect(code, params.toString()).toBeTruthy()
    return { code: code!, ...(challenge && { verifier: challenge.verifier }) }
  }

  /** A code for the public SPA exchanged with its verifier. */
  async function spaTokens(realmName: string): Promise<TokenResponse> {
    const { code, verifier } = await authorize(realmName, SPA, { pkce: true })
    const res = await token(realmName, {
      grant_type: 'authorization_code',
      code,
      redirect_uri: SPA.redirect_uri,
      client_id: SPA.client_id,
      code_verifier: verifier!,
    })
    return expectTokens(res)
  }

  async function webTokens(realmName: string): Promise<TokenResponse> {
    const { code } = await authorize(realmName, WEB)
    return expectTokens(await token(realmName, { grant_type: 'authorization_code', code, redirect_uri: WEB.redirect_uri }, auth.web))
  }

  async function passwordTokens(realmName: string, scope = SCOPE, headers = auth.pw): Promise<TokenResponse> {
    return expectTokens(await token(realmName, { grant_type: 'password', username: USER.username, password: USER.password, scope }, headers))
  }

  const refresh = (realmName: string, refreshToken: string, headers: Record<string, string>, extra: Record<string, string> = {}) =>
    token(realmName, { grant_type: 'refresh_token', refresh_token: refreshToken, ...extra }, headers)
  const spaRefresh = (realmName: string, refreshToken: string, extra: Record<string, string> = {}) =>
    token(realmName, { grant_type: 'refresh_token', refresh_token: refreshToken, client_id: SPA.client_id, ...extra })

  /** Introspects as the resource server (m2m holds am-introspect-all-tokens). */
  async function introspect(realmName: string, value: string): Promise<Record<string, unknown>> {
    const res = await post(h, realmName, 'introspect', { token: value }, auth.m2m)
    expect(res.status).toBe(200)
    return (await res.json()) as Record<string, unknown>
  }
  const active = async (realmName: string, value: string) => (await introspect(realmName, value)).active

  async function userinfo(realmName: string, accessToken: string): Promise<Record<string, unknown>> {
    const res = await h.fetch(`${h.issuer(realmName)}/userinfo`, { headers: { authorization: `Bearer ${accessToken}` } })
    expect(res.status).toBe(200)
    return (await res.json()) as Record<string, unknown>
  }

  describe('authorization_code', () => {
    it('exchanges a code for access, refresh and ID tokens', async () => {
      const { code } = await authorize('alpha', WEB)
      const res = await token('alpha', { grant_type: 'authorization_code', code, redirect_uri: WEB.redirect_uri }, auth.web)
      expect(res.headers.get('pragma')).toBe('no-cache')
      const body = await expectTokens(res)
      expect(body.expires_in).toBe(3600)
      expect(body.scope).toBe(SCOPE)
      expect(body.refresh_token).toBeTruthy()
      expect(claims(body.id_token!)).toMatchObject({ iss: h.issuer('alpha'), aud: WEB.client_id, sub: USER.username, nonce: 'n-0' })
      expect(claims(body.access_token)).toMatchObject({ iss: h.issuer('alpha'), sub: USER.username, client_id: WEB.client_id, scope: SCOPE })
      expect(await introspect('alpha', body.access_token)).toMatchObject({ active: true, client_id: WEB.client_id, scope: SCOPE })
    })

    it('puts only the protocol claims in the ID token, as AM does by default; the profile is at userinfo', async () => {
      const body = await webTokens('alpha')
      const idClaims = claims(body.id_token!)
      expect(idClaims).toMatchObject({ sub: USER.username, nonce: 'n-0', azp: WEB.client_id })
      expect(typeof idClaims.at_hash).toBe('string')
      for (const claim of ['name', 'email', 'email_verified']) expect(idClaims, claim).not.toHaveProperty(claim)
      expect(await userinfo('alpha', body.access_token)).toMatchObject({ sub: USER.username, name: USER.name, email: USER.email })
    })

    it('puts the scope claims in the ID token too where the realm always returns claims', async () => {
      const body = await webTokens('claims')
      expect(claims(body.id_token!)).toMatchObject({ sub: USER.username, nonce: 'n-0', name: USER.name, email: USER.email, email_verified: true })
      // And after a refresh, whose ID token follows the same setting.
      const refreshed = await expectTokens(await refresh('claims', body.refresh_token!, auth.web))
      expect(claims(refreshed.id_token!)).toMatchObject({ name: USER.name, email: USER.email })
      const plain = await expectTokens(await refresh('alpha', (await webTokens('alpha')).refresh_token!, auth.web))
      expect(claims(plain.id_token!)).not.toHaveProperty('email')
    })

    it('gives no refresh token to a client without the refresh_token grant', async () => {
      const { code } = await authorize('alpha', CODE_ONLY)
      const body = await expectTokens(
        await token('alpha', { grant_type: 'authorization_code', code, redirect_uri: CODE_ONLY.redirect_uri }, auth.codeOnly),
      )
      expect(body.refresh_token).toBeUndefined()
      expect(body.id_token).toBeTruthy()
    })

    it('refuses a second use of a code and revokes what the first use issued', async () => {
      const { code } = await authorize('alpha', WEB)
      const fields = { grant_type: 'authorization_code', code, redirect_uri: WEB.redirect_uri }
      const first = await expectTokens(await token('alpha', fields, auth.web))
      expect(await active('alpha', first.access_token)).toBe(true)

      await expectError(await token('alpha', fields, auth.web), 400, 'invalid_grant')
      expect(await active('alpha', first.access_token)).toBe(false)
      expect(await active('alpha', first.refresh_token!)).toBe(false)
      await expectError(await refresh('alpha', first.refresh_token!, auth.web), 400, 'invalid_grant')
      // And the code stays dead.
      await expectError(await token('alpha', fields, auth.web), 400, 'invalid_grant')
    })

    it('revokes tokens refreshed from a code when the code comes back', async () => {
      const { code } = await authorize('alpha', WEB)
      const fields = { grant_type: 'authorization_code', code, redirect_uri: WEB.redirect_uri }
      const first = await expectTokens(await token('alpha', fields, auth.web))
      const second = await expectTokens(await refresh('alpha', first.refresh_token!, auth.web))
      await expectError(await token('alpha', fields, auth.web), 400, 'invalid_grant')
      expect(await active('alpha', second.access_token)).toBe(false)
      await expectError(await refresh('alpha', second.refresh_token!, auth.web), 400, 'invalid_grant')
    })

    it('accepts a code just before it expires and refuses it after 120 s', async () => {
      const early = await authorize('alpha', WEB)
      await h.advance(110)
      await expectTokens(await token('alpha', { grant_type: 'authorization_code', code: early.code, redirect_uri: WEB.redirect_uri }, auth.web))

      const late = await authorize('alpha', WEB)
      await h.advance(121)
      await expectError(
        await token('alpha', { grant_type: 'authorization_code', code: late.code, redirect_uri: WEB.redirect_uri }, auth.web),
        400,
        'invalid_grant',
      )
    })

    it("refuses another client's code", async () => {
      const { code } = await authorize('alpha', WEB)
      await expectError(await token('alpha', { grant_type: 'authorization_code', code, redirect_uri: WEB.redirect_uri }, auth.web2), 400, 'invalid_grant')
      const spa = await authorize('alpha', SPA, { pkce: true })
      await expectError(
        await token('alpha', { grant_type: 'authorization_code', code: spa.code, redirect_uri: SPA.redirect_uri, code_verifier: spa.verifier! }, auth.web),
        400,
        'invalid_grant',
      )
    })

    it('refuses a redirect_uri that differs from the authorization request, or is missing', async () => {
      const { code } = await authorize('alpha', WEB)
      await expectError(
        await token('alpha', { grant_type: 'authorization_code', code, redirect_uri: 'http://localhost:3000/other' }, auth.web),
        400,
        'invalid_grant',
      )
      await expectError(await token('alpha', { grant_type: 'authorization_code', code }, auth.web), 400, 'invalid_grant')
      await expectError(
        await token('alpha', { grant_type: 'authorization_code', code, redirect_uri: WEB.redirect_uri + '/' }, auth.web),
        400,
        'invalid_grant',
      )
    })

    it('refuses a code from another realm, even for a client of the same id and secret', async () => {
      const { code } = await authorize('reusenone', WEB)
      const fields = { grant_type: 'authorization_code', code, redirect_uri: WEB.redirect_uri }
      await expectError(await token('alpha', fields, auth.web), 400, 'invalid_grant')
      await expectTokens(await token('reusenone', fields, auth.web))
    })

    it('requires code and refuses an unknown one', async () => {
      await expectError(await token('alpha', { grant_type: 'authorization_code', redirect_uri: WEB.redirect_uri }, auth.web), 400, 'invalid_request')
      await expectError(
        await token('alpha', { grant_type: 'authorization_code', code: 'not-a-code', redirect_uri: WEB.redirect_uri }, auth.web),
        400,
        'invalid_grant',
      )
    })

    describe('PKCE', () => {
      const exchange = (code: string, verifier?: string) =>
        token('alpha', {
          grant_type: 'authorization_code',
          code,
          redirect_uri: SPA.redirect_uri,
          client_id: SPA.client_id,
          ...(verifier !== undefined && { code_verifier: verifier }),
        })

      it('refuses a wrong, missing or malformed code_verifier', async () => {
        const { code, verifier } = await authorize('alpha', SPA, { pkce: true })
        await expectError(await exchange(code), 400, 'invalid_grant')
        await expectError(await exchange(code, pkce().verifier), 400, 'invalid_grant')
        await expectError(await exchange(code, 'too-short'), 400, 'invalid_grant')
        await expectError(await exchange(code, verifier!.slice(0, 42) + '!'), 400, 'invalid_grant')
        await expectError(await exchange(code, 'a'.repeat(129)), 400, 'invalid_grant')
        await expectError(await exchange(code, verifier + ' '), 400, 'invalid_grant')
      })

      it('a wrong code_verifier spends the code: the right one afterwards is refused too', async () => {
        const { code, verifier } = await authorize('alpha', SPA, { pkce: true })
        await expectError(await exchange(code, pkce().verifier), 400, 'invalid_grant')
        await expectError(await exchange(code, verifier), 400, 'invalid_grant')
        // A missing verifier is a client bug, not a guess: the code stays good.
        const second = await authorize('alpha', SPA, { pkce: true })
        await expectError(await exchange(second.code), 400, 'invalid_grant')
        await expectTokens(await exchange(second.code, second.verifier))
      })

      it('accepts the right verifier from a public and from a confidential client', async () => {
        const spa = await authorize('alpha', SPA, { pkce: true })
        await expectTokens(await exchange(spa.code, spa.verifier))
        const web = await authorize('alpha', WEB, { pkce: true })
        await expectTokens(
          await token('alpha', { grant_type: 'authorization_code', code: web.code, redirect_uri: WEB.redirect_uri, code_verifier: web.verifier! }, auth.web),
        )
      })

      it('refuses a code_verifier when the authorization request had no code_challenge (downgrade)', async () => {
        const { code } = await authorize('alpha', WEB)
        await expectError(
          await token('alpha', { grant_type: 'authorization_code', code, redirect_uri: WEB.redirect_uri, code_verifier: pkce().verifier }, auth.web),
          400,
          'invalid_grant',
        )
      })
    })
  })

  describe('refresh_token', () => {
    it("refreshes seed 002's myClient exactly as its worked example does: credentials in the form body, scope narrowed to read", async () => {
      const { code } = await authorize('alpha', MY_CLIENT, { extra: { scope: 'write read' } })
      const body = { client_id: MY_CLIENT.client_id, client_secret: MY_CLIENT.client_secret }
      const first = await expectTokens(await token('alpha', { grant_type: 'authorization_code', code, redirect_uri: MY_CLIENT.redirect_uri, ...body }))
      expect(first.scope).toBe('write read')
      const second = await expectTokens(
        await token('alpha', { grant_type: 'refresh_token', refresh_token: first.refresh_token!, ...body, scope: 'read' }),
      )
      expect(second.scope).toBe('read')
      // The seed: a new refresh token was issued and the original is now inactive.
      expect(second.refresh_token).toBeTruthy()
      await expectError(await token('alpha', { grant_type: 'refresh_token', refresh_token: first.refresh_token!, ...body }), 400, 'invalid_grant')
      // The same client may send Basic as well.
      await expectTokens(await refresh('alpha', second.refresh_token!, { authorization: basic(MY_CLIENT.client_id, MY_CLIENT.client_secret) }))
    })

    it('rotates: a new refresh token works, the old one is invalid_grant', async () => {
      const first = await passwordTokens('alpha')
      const second = await expectTokens(await refresh('alpha', first.refresh_token!, auth.pw))
      expect(second.refresh_token).toBeTruthy()
      expect(second.refresh_token).not.toBe(first.refresh_token)
      expect(second.scope).toBe(SCOPE)
      await expectError(await refresh('alpha', first.refresh_token!, auth.pw), 400, 'invalid_grant')
      expect(await active('alpha', first.refresh_token!)).toBe(false)
      const third = await expectTokens(await refresh('alpha', second.refresh_token!, auth.pw))
      expect(third.refresh_token).not.toBe(second.refresh_token)
    })

    it('revokes the whole grant when a public client replays a rotated-out refresh token', async () => {
      const first = await spaTokens('alpha')
      const second = await expectTokens(await spaRefresh('alpha', first.refresh_token!))
      expect(await active('alpha', second.access_token)).toBe(true)

      await expectError(await spaRefresh('alpha', first.refresh_token!), 400, 'invalid_grant')
      await expectError(await spaRefresh('alpha', second.refresh_token!), 400, 'invalid_grant')
      expect(await active('alpha', second.access_token)).toBe(false)
      expect(await active('alpha', first.access_token)).toBe(false)
      expect(await active('alpha', second.refresh_token!)).toBe(false)
    })

    it('keeps a confidential client’s grant alive on replay with the default detection (public only)', async () => {
      const first = await webTokens('alpha')
      const second = await expectTokens(await refresh('alpha', first.refresh_token!, auth.web))
      await expectError(await refresh('alpha', first.refresh_token!, auth.web), 400, 'invalid_grant')
      expect(await active('alpha', second.access_token)).toBe(true)
      await expectTokens(await refresh('alpha', second.refresh_token!, auth.web))
    })

    it("revokes a confidential client's grant on replay when detection is 'all'", async () => {
      const first = await passwordTokens('reuseall')
      const second = await expectTokens(await refresh('reuseall', first.refresh_token!, auth.pw))
      await expectError(await refresh('reuseall', first.refresh_token!, auth.pw), 400, 'invalid_grant')
      expect(await active('reuseall', second.access_token)).toBe(false)
      await expectError(await refresh('reuseall', second.refresh_token!, auth.pw), 400, 'invalid_grant')
    })

    it("keeps a public client's grant alive on replay when detection is 'none'", async () => {
      const first = await spaTokens('reusenone')
      const second = await expectTokens(await spaRefresh('reusenone', first.refresh_token!))
      await expectError(await spaRefresh('reusenone', first.refresh_token!), 400, 'invalid_grant')
      expect(await active('reusenone', second.access_token)).toBe(true)
      await expectTokens(await spaRefresh('reusenone', second.refresh_token!))
    })

    it('keeps the same refresh token working when rotation is off', async () => {
      const first = await passwordTokens('norotate')
      const a = await expectTokens(await refresh('norotate', first.refresh_token!, auth.pw))
      expect(a.refresh_token === undefined || a.refresh_token === first.refresh_token).toBe(true)
      const b = await expectTokens(await refresh('norotate', first.refresh_token!, auth.pw))
      expect(b.access_token).not.toBe(a.access_token)
      expect(await active('norotate', a.access_token)).toBe(true)
      expect(await active('norotate', b.access_token)).toBe(true)
      expect(await active('norotate', first.refresh_token!)).toBe(true)
      // A public client too, where reuse detection would otherwise apply.
      const spa = await spaTokens('norotate')
      await expectTokens(await spaRefresh('norotate', spa.refresh_token!))
      await expectTokens(await spaRefresh('norotate', spa.refresh_token!))
    })

    it('narrows scope on request; the grant keeps its original scope', async () => {
      const first = await passwordTokens('alpha')
      const narrow = await expectTokens(await refresh('alpha', first.refresh_token!, auth.pw, { scope: 'openid email' }))
      expect(narrow.scope).toBe('openid email')
      expect(claims(narrow.access_token).scope).toBe('openid email')
      expect(await introspect('alpha', narrow.access_token)).toMatchObject({ active: true, scope: 'openid email' })
      const profile = await userinfo('alpha', narrow.access_token)
      expect(profile.email).toBe(USER.email)
      expect(profile.name).toBeUndefined()

      const back = await expectTokens(await refresh('alpha', narrow.refresh_token!, auth.pw, { scope: SCOPE }))
      expect(back.scope).toBe(SCOPE)
      expect(claims(back.access_token).scope).toBe(SCOPE)
      const again = await expectTokens(await refresh('alpha', back.refresh_token!, auth.pw))
      expect(again.scope).toBe(SCOPE)
    })

    it('refuses a broader scope with invalid_scope and leaves the refresh token usable', async () => {
      const first = await passwordTokens('alpha', 'openid profile')
      // email is allowed to the client but not part of this grant; phone is allowed to neither.
      await expectError(await refresh('alpha', first.refresh_token!, auth.pw, { scope: 'openid profile email' }), 400, 'invalid_scope')
      await expectError(await refresh('alpha', first.refresh_token!, auth.pw, { scope: 'openid phone' }), 400, 'invalid_scope')
      const next = await expectTokens(await refresh('alpha', first.refresh_token!, auth.pw))
      expect(next.scope).toBe('openid profile')
    })

    it("refuses another client's refresh token and leaves it usable by its owner", async () => {
      const first = await webTokens('alpha')
      await expectError(await refresh('alpha', first.refresh_token!, auth.web2), 400, 'invalid_grant')
      await expectError(await spaRefresh('alpha', first.refresh_token!), 400, 'invalid_grant')
      await expectTokens(await refresh('alpha', first.refresh_token!, auth.web))
    })

    it('refuses an unknown, missing or access-token refresh_token', async () => {
      const first = await passwordTokens('alpha')
      await expectError(await refresh('alpha', 'no-such-token', auth.pw), 400, 'invalid_grant')
      await expectError(await refresh('alpha', first.access_token, auth.pw), 400, 'invalid_grant')
      await expectError(await token('alpha', { grant_type: 'refresh_token' }, auth.pw), 400, 'invalid_request')
    })

    it('refuses a refresh token from another realm, even for a client of the same id and secret', async () => {
      const first = await passwordTokens('reuseall')
      await expectError(await refresh('alpha', first.refresh_token!, auth.pw), 400, 'invalid_grant')
      expect(await active('alpha', first.refresh_token!)).toBe(false)
      // Revoking it through the wrong realm does nothing to it.
      expect((await post(h, 'alpha', 'token/revoke', { token: first.refresh_token! }, auth.pw)).status).toBe(200)
      expect(await active('reuseall', first.refresh_token!)).toBe(true)
      await expectTokens(await refresh('reuseall', first.refresh_token!, auth.pw))
    })

    it('issues no refresh token where the realm does not issue them', async () => {
      expect((await webTokens('norefresh')).refresh_token).toBeUndefined()
      expect((await passwordTokens('norefresh')).refresh_token).toBeUndefined()
    })

    it('issues access tokens that are never valid when their lifetime is 0', async () => {
      const first = await passwordTokens('short', SCOPE, auth.instant)
      expect(first.expires_in).toBe(0)
      expect(await active('short', first.access_token)).toBe(false)
      const second = await expectTokens(await refresh('short', first.refresh_token!, auth.instant))
      expect(second.expires_in).toBe(0)
      expect(await active('short', second.access_token)).toBe(false)
    })

    it('refuses an expired refresh token', async () => {
      const first = await passwordTokens('short')
      expect(first.expires_in).toBe(60)
      await h.advance(590)
      const second = await expectTokens(await refresh('short', first.refresh_token!, auth.pw))
      await h.advance(601)
      await expectError(await refresh('short', second.refresh_token!, auth.pw), 400, 'invalid_grant')
    })

    it('keeps a refresh token with lifetime -1 working forever', async () => {
      const first = await passwordTokens('short', SCOPE, auth.forever)
      const info = await introspect('short', first.refresh_token!)
      expect(info.active).toBe(true)
      expect(info.exp).toBeUndefined()
      await h.advance(10 * 366 * 86_400)
      const second = await expectTokens(await refresh('short', first.refresh_token!, auth.forever))
      expect(second.expires_in).toBe(60)
      await h.advance(10 * 366 * 86_400)
      await expectTokens(await refresh('short', second.refresh_token!, auth.forever))
    })

    it('returns an ID token on refresh when openid is in scope, and none without it', async () => {
      const first = await webTokens('alpha')
      const second = await expectTokens(await refresh('alpha', first.refresh_token!, auth.web))
      expect(second.id_token).toBeTruthy()
      const original = claims(first.id_token!)
      const refreshed = claims(second.id_token!)
      expect(refreshed).toMatchObject({ iss: h.issuer('alpha'), aud: WEB.client_id, azp: WEB.client_id, sub: USER.username, auth_time: original.auth_time })
      expect(refreshed.nonce).toBeUndefined()
      const third = await expectTokens(await refresh('alpha', second.refresh_token!, auth.web, { scope: 'profile email' }))
      expect(third.id_token).toBeUndefined()
    })
  })

  describe('client_credentials', () => {
    it('issues the default scopes when none are asked for, with no refresh or ID token', async () => {
      const body = await expectTokens(await token('alpha', { grant_type: 'client_credentials' }, auth.m2m))
      expect(body.scope).toBe('read')
      expect(body.expires_in).toBe(3600)
      expect(body.refresh_token).toBeUndefined()
      expect(body.id_token).toBeUndefined()
      expect(claims(body.access_token)).toMatchObject({ sub: 'm2m', client_id: 'm2m', scope: 'read', realm: '/alpha' })
    })

    it('issues the scopes asked for', async () => {
      const body = await expectTokens(await token('alpha', { grant_type: 'client_credentials', scope: 'write read' }, auth.m2m))
      expect(body.scope.split(' ').sort()).toEqual(['read', 'write'])
      expect(claims(body.access_token).scope).toBe(body.scope)
    })

    it('refuses a scope the client may not have', async () => {
      await expectError(await token('alpha', { grant_type: 'client_credentials', scope: 'read admin' }, auth.m2m), 400, 'invalid_scope')
      await expectError(await token('alpha', { grant_type: 'client_credentials', scope: 'openid' }, auth.m2m), 400, 'invalid_scope')
    })

    it('never issues a refresh or ID token, even to a client allowed openid and refresh_token', async () => {
      const body = await expectTokens(await token('alpha', { grant_type: 'client_credentials', scope: 'openid read' }, auth.ccOidc))
      expect(body.refresh_token).toBeUndefined()
      expect(body.id_token).toBeUndefined()
    })

    it('refuses a public client', async () => {
      await expectError(await token('alpha', { grant_type: 'client_credentials', client_id: SPA.client_id }), 400, 'unauthorized_client')
    })
  })

  describe('grant_type checks', () => {
    it('answers unauthorized_client for a grant the client was not given', async () => {
      await expectError(await token('alpha', { grant_type: 'client_credentials' }, auth.web), 400, 'unauthorized_client')
      await expectError(await token('alpha', { grant_type: 'refresh_token', refresh_token: 'x' }, auth.codeOnly), 400, 'unauthorized_client')
      await expectError(
        await token('alpha', { grant_type: 'password', username: USER.username, password: USER.password }, auth.web),
        400,
        'unauthorized_client',
      )
      await expectError(await token('alpha', { grant_type: 'authorization_code', code: 'x' }, auth.m2m), 400, 'unauthorized_client')
    })

    it('answers unsupported_grant_type for grants the provider does not know', async () => {
      for (const grantType of ['urn:example:unknown', 'implicit', 'token', 'toString', '__proto__', 'CLIENT_CREDENTIALS']) {
        await expectError(await token('alpha', { grant_type: grantType }, auth.m2m), 400, 'unsupported_grant_type')
      }
    })

    it('answers invalid_request without grant_type', async () => {
      await expectError(await token('alpha', { scope: 'read' }, auth.m2m), 400, 'invalid_request')
      await expectError(await token('alpha', { grant_type: '' }, auth.m2m), 400, 'invalid_request')
    })
  })

  describe('password', () => {
    it('issues tokens and an ID token when openid is asked for', async () => {
      const body = await passwordTokens('alpha')
      expect(body.refresh_token).toBeTruthy()
      expect(claims(body.id_token!)).toMatchObject({ iss: h.issuer('alpha'), aud: 'pw', sub: USER.username })
      expect(claims(body.id_token!)).not.toHaveProperty('name')
      expect(claims((await passwordTokens('claims')).id_token!)).toMatchObject({ sub: USER.username, name: USER.name })
      expect(claims(body.access_token)).toMatchObject({ sub: USER.username, client_id: 'pw', scope: SCOPE })
    })

    it('issues no ID token without openid', async () => {
      const body = await passwordTokens('alpha', 'profile')
      expect(body.scope).toBe('profile')
      expect(body.id_token).toBeUndefined()
    })

    it('refuses a wrong password or unknown user with invalid_grant', async () => {
      await expectError(await token('alpha', { grant_type: 'password', username: USER.username, password: 'wrong' }, auth.pw), 400, 'invalid_grant')
      await expectError(await token('alpha', { grant_type: 'password', username: 'mallory', password: USER.password }, auth.pw), 400, 'invalid_grant')
      await expectError(await token('alpha', { grant_type: 'password', username: USER.username }, auth.pw), 400, 'invalid_request')
    })
  })

  describe('concurrency', () => {
    const N = 50

    it('lets exactly one of N concurrent exchanges of a code succeed; the rest are invalid_grant', async () => {
      const { code } = await authorize('alpha', WEB)
      const fields = { grant_type: 'authorization_code', code, redirect_uri: WEB.redirect_uri }
      const responses = await Promise.all(Array.from({ length: N }, () => token('alpha', fields, auth.web)))
      const ok = responses.filter((r) => r.status === 200)
      expect(ok.length).toBe(1)
      for (const r of responses.filter((r) => r.status !== 200)) await expectError(r, 400, 'invalid_grant')
      // The other N-1 uses are code reuse arriving after the winner's tokens exist: they are revoked.
      for (const r of ok) {
        const body = await expectTokens(r)
        expect(await active('alpha', body.access_token)).toBe(false)
        await expectError(await refresh('alpha', body.refresh_token!, auth.web), 400, 'invalid_grant')
      }
    })

    it('lets exactly one of N concurrent refreshes of a rotating refresh token succeed', async () => {
      const first = await webTokens('alpha')
      const responses = await Promise.all(Array.from({ length: N }, () => refresh('alpha', first.refresh_token!, auth.web)))
      const ok = responses.filter((r) => r.status === 200)
      expect(ok.length).toBe(1)
      for (const r of responses.filter((r) => r.status !== 200)) await expectError(r, 400, 'invalid_grant')
      const winner = await expectTokens(ok[0]!)
      expect(await active('alpha', winner.access_token)).toBe(true)
      await expectTokens(await refresh('alpha', winner.refresh_token!, auth.web))
    })

    it('lets exactly one of N concurrent refreshes succeed for a public client without reuse detection', async () => {
      const first = await spaTokens('reusenone')
      const responses = await Promise.all(Array.from({ length: N }, () => spaRefresh('reusenone', first.refresh_token!)))
      expect(responses.filter((r) => r.status === 200).length).toBe(1)
      for (const r of responses.filter((r) => r.status !== 200)) await expectError(r, 400, 'invalid_grant')
    })

    it('leaves nothing alive when a public client races its refresh token under reuse detection', async () => {
      const first = await spaTokens('alpha')
      const responses = await Promise.all(Array.from({ length: N }, () => spaRefresh('alpha', first.refresh_token!)))
      const ok = responses.filter((r) => r.status === 200)
      expect(ok.length).toBeLessThanOrEqual(1)
      for (const r of responses.filter((r) => r.status !== 200)) await expectError(r, 400, 'invalid_grant')
      for (const r of ok) {
        const body = await expectTokens(r)
        expect(await active('alpha', body.access_token)).toBe(false)
        await expectError(await spaRefresh('alpha', body.refresh_token!), 400, 'invalid_grant')
      }
      expect(await active('alpha', first.access_token)).toBe(false)
    })
  })
})
