import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Browser, MODES, basic, form, parseForm, startHarness, type Harness } from './harness.js'
import { claims, pkce } from './flows.js'
import {
  AGED,
  ALICE,
  BETA,
  BOB,
  CAROL,
  DAVE,
  ES,
  GAMMA,
  HYBRID,
  ROOT,
  SINGLE,
  SPA,
  STRICT,
  IMPLICIT,
  NARROW,
  PORTS,
  WEB,
  authorizeConfig,
  authorizeUrl,
  drive,
  halfHash,
  signedIn,
  verifyIdToken,
} from './authorizeKit.js'

/** The page a refused request shows: HTML, 400, and never a redirect. */
async function expectErrorPage(res: Response, mentions?: RegExp): Promise<string> {
  expect(res.status).toBe(400)
  expect(res.headers.get('location')).toBeNull()
  expect(res.headers.get('content-type')).toMatch(/^text\/html/)
  const html = await res.text()
  expect(html).toContain('Sign-in request refused')
  if (mentions) expect(html).toMatch(mentions)
  return html
}

/** A redirect to the client (an answer or an error): returns its parameters from the query or the fragment. */
function clientRedirect(res: Response, redirectUri: string, where: 'query' | 'fragment' = 'query'): URLSearchParams {
  expect(res.status).toBe(302)
  const location = new URL(res.headers.get('location')!)
  expect(`${location.origin}${location.pathname}`).toBe(redirectUri)
  if (where === 'query') {
    expect(location.hash).toBe('')
    return location.searchParams
  }
  expect(location.search).toBe('')
  return new URLSearchParams(location.hash.slice(1))
}

function isLoginRedirect(h: Harness, res: Response, basePath = ''): boolean {
  if (res.status !== 302) return false
  const location = new URL(res.headers.get('location')!)
  return location.origin === new URL(h.origin).origin && location.pathname === `${basePath}/login`
}

async function exchange(h: Harness, issuer: string, client: { client_id: string; client_secret: string; redirect_uri: string }, code: string) {
  const init = form({ grant_type: 'authorization_code', code, redirect_uri: client.redirect_uri })
  const res = await h.fetch(`${issuer}/access_token`, {
    ...init,
    headers: { ...(init.headers as Record<string, string>), authorization: basic(client.client_id, client.client_secret) },
  })
  const body = (await res.json()) as Record<string, string>
  expect(res.status, JSON.stringify(body)).toBe(200)
  return body
}

describe.each(MODES)('authorize (%s)', (mode) => {
  let h: Harness
  let iss: string
  beforeAll(async () => {
    h = await startHarness(mode, authorizeConfig())
    iss = h.issuer('alpha')
  })
  afterAll(() => h.close())

  describe('response types', () => {
    let browser: Browser
    const hybrid = (response_type: string, extra: Record<string, string> = {}) =>
      authorizeUrl(iss, {
        client_id: HYBRID.client_id,
        redirect_uri: HYBRID.redirect_uri,
        response_type,
        scope: 'openid profile',
        state: `st-${response_type}`,
        nonce: `n-${response_type}`,
        ...extra,
      })
    beforeAll(async () => {
      browser = await signedIn(h, iss, HYBRID.client_id, HYBRID.redirect_uri)
    })

    it('code: the code, state and iss go in the query; the exchanged ID token verifies and carries nonce, auth_time, azp', async () => {
      const out = await drive(h, hybrid('code'), { browser })
      expect(out.pages).toEqual([])
      expect(out.location!.hash).toBe('')
      expect(out.location!.href.startsWith(`${HYBRID.redirect_uri}?`)).toBe(true)
      expect([...out.params.keys()].sort()).toEqual(['code', 'iss', 'state'])
      expect(out.params.get('state')).toBe('st-code')
      expect(out.params.get('iss')).toBe(iss)
      const tokens = await exchange(h, iss, HYBRID, out.params.get('code')!)
      const { payload, protectedHeader } = await verifyIdToken(h, iss, tokens.id_token!, HYBRID.client_id)
      expect(protectedHeader.alg).toBe('RS256')
      expect(payload).toMatchObject({ iss, aud: HYBRID.client_id, azp: HYBRID.client_id, sub: ALICE.username, nonce: 'n-code' })
      // AM's default (always_return_claims_in_id_tokens off): the profile is at userinfo.
      expect(payload).not.toHaveProperty('name')
      expect(typeof payload.auth_time).toBe('number')
      expect(payload.auth_time).toBeLessThanOrEqual(payload.iat!)
    })

    it('token: the access token goes in the fragment with state and iss, never the query', async () => {
      const out = await drive(h, hybrid('token'), { browser })
      expect(out.location!.search).toBe('')
      expect([...out.params.keys()].sort()).toEqual(['access_token', 'expires_in', 'iss', 'scope', 'state', 'token_type'])
      expect(out.params.get('token_type')).toBe('Bearer')
      expect(out.params.get('expires_in')).toBe('3600')
      expect(out.params.get('scope')).toBe('openid profile')
      expect(out.params.get('state')).toBe('st-token')
      expect(out.params.get('iss')).toBe(iss)
      expect(out.response.headers.get('cache-control')).toBe('no-store')
      const userinfo = await h.fetch(`${iss}/userinfo`, { headers: { authorization: `Bearer ${out.params.get('access_token')}` } })
      expect(userinfo.status).toBe(200)
      expect(await userinfo.json()).toMatchObject({ sub: ALICE.username, name: 'Alice Liddell' })
    })

    it('id_token: a signed ID token in the fragment with nonce, user claims and no hashes', async () => {
      const out = await drive(h, hybrid('id_token', { scope: 'openid profile email' }), { browser })
      expect(out.location!.search).toBe('')
      expect([...out.params.keys()].sort()).toEqual(['id_token', 'iss', 'state'])
      const { payload } = await verifyIdToken(h, iss, out.params.get('id_token')!, HYBRID.client_id)
      expect(payload).toMatchObject({ nonce: 'n-id_token', azp: HYBRID.client_id, email: 'alice@example.com', name: 'Alice Liddell' })
      expect(payload.at_hash).toBeUndefined()
      expect(payload.c_hash).toBeUndefined()
      expect(typeof payload.auth_time).toBe('number')
    })

    it('id_token without nonce is refused in the fragment', async () => {
      const res = await browser.get(hybrid('id_token', { nonce: '' }))
      const params = clientRedirect(res, HYBRID.redirect_uri, 'fragment')
      expect(params.get('error')).toBe('invalid_request')
      expect(params.get('state')).toBe('st-id_token')
      expect(params.get('iss')).toBe(iss)
    })

    it('code token: code and access token in the fragment, no ID token', async () => {
      const out = await drive(h, hybrid('code token'), { browser })
      expect(out.location!.search).toBe('')
      expect([...out.params.keys()].sort()).toEqual(['access_token', 'code', 'expires_in', 'iss', 'scope', 'state', 'token_type'])
      expect(out.params.get('state')).toBe('st-code token')
      const tokens = await exchange(h, iss, HYBRID, out.params.get('code')!)
      expect(claims(tokens.id_token!).nonce).toBe('n-code token')
    })

    it('id_token token: at_hash is the left half of SHA-256 of the access token', async () => {
      const out = await drive(h, hybrid('id_token token'), { browser })
      expect(out.location!.search).toBe('')
      expect([...out.params.keys()].sort()).toEqual(['access_token', 'expires_in', 'id_token', 'iss', 'scope', 'state', 'token_type'])
      const idToken = claims(out.params.get('id_token')!)
      expect(idToken.at_hash).toBe(halfHash(out.params.get('access_token')!))
      expect(idToken.c_hash).toBeUndefined()
      expect(idToken).toMatchObject({ nonce: 'n-id_token token', azp: HYBRID.client_id, iss })
      // An access token came with it: the profile is read at userinfo (OpenID Connect Core 5.4).
      expect(idToken).not.toHaveProperty('name')
    })

    it('code id_token: c_hash is the left half of SHA-256 of the code', async () => {
      const out = await drive(h, hybrid('code id_token'), { browser })
      expect(out.location!.search).toBe('')
      expect([...out.params.keys()].sort()).toEqual(['code', 'id_token', 'iss', 'state'])
      const { payload } = await verifyIdToken(h, iss, out.params.get('id_token')!, HYBRID.client_id)
      expect(payload.c_hash).toBe(halfHash(out.params.get('code')!))
      expect(payload.at_hash).toBeUndefined()
      expect(payload.nonce).toBe('n-code id_token')
      expect(payload).not.toHaveProperty('name')
      // The code still redeems, and its ID token names the same sign-in.
      const tokens = await exchange(h, iss, HYBRID, out.params.get('code')!)
      expect(claims(tokens.id_token!)).toMatchObject({ nonce: 'n-code id_token', auth_time: payload.auth_time, sub: payload.sub })
    })

    it('code id_token token: both hashes, everything in the fragment', async () => {
      const out = await drive(h, hybrid('code id_token token'), { browser })
      expect(out.location!.search).toBe('')
      expect([...out.params.keys()].sort()).toEqual(['access_token', 'code', 'expires_in', 'id_token', 'iss', 'scope', 'state', 'token_type'])
      const idToken = claims(out.params.get('id_token')!)
      expect(idToken.at_hash).toBe(halfHash(out.params.get('access_token')!))
      expect(idToken.c_hash).toBe(halfHash(out.params.get('code')!))
      expect(idToken.nonce).toBe('n-code id_token token')
    })

    it('response type words may come in any order', async () => {
      const out = await drive(h, hybrid('token id_token code'), { browser })
      expect(out.params.get('code')).toBeTruthy()
      expect(out.params.get('access_token')).toBeTruthy()
      expect(out.params.get('id_token')).toBeTruthy()
    })

    it('state comes back exactly, whatever characters it holds', async () => {
      const state = 'a b&c=d#e/é%+?'
      for (const response_type of ['code', 'code token']) {
        const out = await drive(h, hybrid(response_type, { state }), { browser })
        expect(out.params.get('state')).toBe(state)
      }
    })

    it('form_post: an auto-submitting form to the redirect URI carries the response, no redirect', async () => {
      const res = await browser.get(hybrid('code id_token', { response_mode: 'form_post' }))
      expect(res.status).toBe(200)
      expect(res.headers.get('location')).toBeNull()
      expect(res.headers.get('content-type')).toMatch(/^text\/html/)
      const html = await res.text()
      expect(html).toContain('<form method="post"')
      expect(html).toContain('document.forms[0].submit()')
      const page = parseForm(html)
      expect(page.action).toBe(HYBRID.redirect_uri)
      expect(Object.keys(page.fields).sort()).toEqual(['code', 'id_token', 'iss', 'state'])
      expect(page.fields.iss).toBe(iss)
      expect(page.fields.state).toBe('st-code id_token')
      expect(claims(page.fields.id_token!).c_hash).toBe(halfHash(page.fields.code!))
      expect(res.headers.get('content-security-policy')).toMatch(/script-src 'unsafe-inline'/)
    })

    it('form_post also carries errors', async () => {
      const res = await browser.get(hybrid('code', { response_mode: 'form_post', scope: 'openid admin' }))
      expect(res.status).toBe(200)
      const page = parseForm(await res.text())
      expect(page.action).toBe(HYBRID.redirect_uri)
      expect(page.fields).toMatchObject({ error: 'invalid_scope', state: 'st-code', iss })
    })

    it('response_mode=fragment may carry a code', async () => {
      const out = await drive(h, hybrid('code', { response_mode: 'fragment' }), { browser })
      expect(out.location!.search).toBe('')
      expect(out.params.get('code')).toBeTruthy()
      expect(out.params.get('iss')).toBe(iss)
    })

    it('a client with id_token_signed_response_alg ES256 gets ES256 ID tokens that verify', async () => {
      const es = await signedIn(h, iss, ES.client_id, ES.redirect_uri)
      const out = await drive(
        h,
        authorizeUrl(iss, { client_id: ES.client_id, redirect_uri: ES.redirect_uri, response_type: 'code id_token token', scope: 'openid', nonce: 'n-es', state: 's' }),
        { browser: es },
      )
      const { payload, protectedHeader } = await verifyIdToken(h, iss, out.params.get('id_token')!, ES.client_id)
      expect(protectedHeader.alg).toBe('ES256')
      expect(payload.at_hash).toBe(halfHash(out.params.get('access_token')!))
      expect(payload.c_hash).toBe(halfHash(out.params.get('code')!))
      const tokens = await exchange(h, iss, ES, out.params.get('code')!)
      const verified = await verifyIdToken(h, iss, tokens.id_token!, ES.client_id)
      expect(verified.protectedHeader.alg).toBe('ES256')
    })

    it('a client without the implicit grant gets no tokens from authorize: unauthorized_client for every response type but code', async () => {
      const b = await signedIn(h, iss, SINGLE.client_id, SINGLE.redirect_uri)
      for (const response_type of ['token', 'id_token', 'code token', 'id_token token', 'code id_token', 'code id_token token']) {
        const res = await b.get(authorizeUrl(iss, { client_id: SINGLE.client_id, redirect_uri: SINGLE.redirect_uri, response_type, scope: 'openid', state: 'x', nonce: 'n' }))
        const params = clientRedirect(res, SINGLE.redirect_uri, 'fragment')
        expect(params.get('error'), response_type).toBe('unauthorized_client')
        expect(params.get('state')).toBe('x')
      }
    })

    it('all seven response types are available by default: a client with the implicit grant and no response_types gets tokens', async () => {
      const b = await signedIn(h, iss, IMPLICIT.client_id, IMPLICIT.redirect_uri)
      const res = await b.get(authorizeUrl(iss, { client_id: IMPLICIT.client_id, redirect_uri: IMPLICIT.redirect_uri, response_type: 'id_token token', scope: 'openid', state: 'i', nonce: 'n' }))
      const params = clientRedirect(res, IMPLICIT.redirect_uri, 'fragment')
      expect(params.get('access_token')).toBeTruthy()
      expect((await verifyIdToken(h, iss, params.get('id_token')!, IMPLICIT.client_id)).payload.nonce).toBe('n')
    })

    it('a response type the client narrowed away is unauthorized_client, even with the implicit grant', async () => {
      const b = await signedIn(h, iss, NARROW.client_id, NARROW.redirect_uri)
      const res = await b.get(authorizeUrl(iss, { client_id: NARROW.client_id, redirect_uri: NARROW.redirect_uri, response_type: 'token', scope: 'openid', state: 'x' }))
      expect(clientRedirect(res, NARROW.redirect_uri, 'fragment').get('error')).toBe('unauthorized_client')
    })

    it('iss is left out where the realm turns it off', async () => {
      const gamma = h.issuer('gamma')
      const out = await drive(h, authorizeUrl(gamma, { client_id: GAMMA.client_id, redirect_uri: GAMMA.redirect_uri, response_type: 'code', scope: 'openid', state: 'g' }))
      expect(out.params.get('code')).toBeTruthy()
      expect(out.params.get('state')).toBe('g')
      expect(out.params.has('iss')).toBe(false)
    })
  })

  describe('sign-in and consent', () => {
    const web = (extra: Record<string, string> = {}) =>
      authorizeUrl(iss, { client_id: WEB.client_id, redirect_uri: WEB.redirect_uri, response_type: 'code', scope: 'openid profile', state: 'w', ...extra })

    it('sends the user to the sign-in page, sets the session cookie, and needs no sign-in the second time', async () => {
      const b = new Browser(h)
      const first = await b.get(authorizeUrl(iss, { client_id: HYBRID.client_id, redirect_uri: HYBRID.redirect_uri, response_type: 'code', scope: 'openid' }))
      expect(isLoginRedirect(h, first)).toBe(true)
      const loginUrl = new URL(first.headers.get('location')!)
      expect(loginUrl.searchParams.get('realm')).toBe('/alpha')
      expect(loginUrl.searchParams.get('goto')!.startsWith(`${iss}/authorize?`)).toBe(true)
      const page = await b.get(loginUrl.href)
      expect(page.status).toBe(200)
      const html = await page.text()
      expect(html).toContain('id="password"')
      const loginForm = parseForm(html)
      const signIn = await b.post(new URL(loginForm.action, h.origin).href, { ...loginForm.fields, ...ALICE })
      expect(signIn.status).toBe(302)
      const cookie = signIn.headers.getSetCookie().find((c) => c.startsWith('iPlanetDirectoryPro='))
      expect(cookie).toMatch(/HttpOnly/)
      expect(cookie).toMatch(/SameSite=Lax/)
      expect(signIn.headers.get('location')).toBe(loginUrl.searchParams.get('goto'))
      const back = await b.get(signIn.headers.get('location')!)
      expect(back.status).toBe(302)
      expect(back.headers.get('location')!.startsWith(`${HYBRID.redirect_uri}?code=`)).toBe(true)

      const again = await drive(h, authorizeUrl(iss, { client_id: HYBRID.client_id, redirect_uri: HYBRID.redirect_uri, response_type: 'code', scope: 'openid' }), { browser: b })
      expect(again.pages).toEqual([])
      expect(again.params.get('code')).toBeTruthy()
    })

    it('a wrong password shows the sign-in page again with 401 and no cookie; the right one then works', async () => {
      const b = new Browser(h)
      const first = await b.get(authorizeUrl(iss, { client_id: HYBRID.client_id, redirect_uri: HYBRID.redirect_uri, response_type: 'code', scope: 'openid', state: 'pw' }))
      const loginForm = parseForm(await (await b.get(first.headers.get('location')!)).text())
      const wrong = await b.post(new URL(loginForm.action, h.origin).href, { ...loginForm.fields, username: ALICE.username, password: 'nope' })
      expect(wrong.status).toBe(401)
      expect(wrong.headers.getSetCookie()).toEqual([])
      const html = await wrong.text()
      expect(html).toContain('Wrong username or password.')
      expect(html).toContain(`value="${ALICE.username}"`)
      const retry = parseForm(html)
      expect(retry.fields.goto).toBe(loginForm.fields.goto)
      const ok = await b.post(new URL(retry.action, h.origin).href, { ...retry.fields, ...ALICE })
      expect(ok.status).toBe(302)
      const back = await b.get(ok.headers.get('location')!)
      expect(new URL(back.headers.get('location')!).searchParams.get('state')).toBe('pw')
    })

    it('an unknown user is refused the same way', async () => {
      const res = await h.fetch(`${h.origin}/login?realm=/alpha`, form({ goto: '', username: 'mallory', password: ALICE.password }))
      expect(res.status).toBe(401)
      expect(await res.text()).toContain('Wrong username or password.')
    })

    it('login_hint prefills the username', async () => {
      const b = new Browser(h)
      const res = await b.get(authorizeUrl(iss, { client_id: HYBRID.client_id, redirect_uri: HYBRID.redirect_uri, response_type: 'code', scope: 'openid', login_hint: 'alice' }))
      expect(isLoginRedirect(h, res)).toBe(true)
      expect(new URL(res.headers.get('location')!).searchParams.get('login_hint')).toBe('alice')
      const html = await (await b.get(res.headers.get('location')!)).text()
      expect(html).toMatch(/id="username" name="username"[^>]*value="alice"/)
    })

    it('escapes what the request puts on a page', async () => {
      const attack = '"><script>alert(1)</script>'
      const b = new Browser(h)
      const res = await b.get(authorizeUrl(iss, { client_id: HYBRID.client_id, redirect_uri: HYBRID.redirect_uri, response_type: 'code', scope: 'openid', login_hint: attack }))
      const login = await (await b.get(res.headers.get('location')!)).text()
      expect(login).not.toContain('<script>alert')
      expect(login).toContain('value="&#34;&#62;&#60;script&#62;alert(1)&#60;/script&#62;"')
      const error = await expectErrorPage(await h.fetch(authorizeUrl(iss, { client_id: attack, redirect_uri: HYBRID.redirect_uri, response_type: 'code' })))
      expect(error).not.toContain('<script>alert')
    })

    it('the sign-in page only returns to the provider itself, never to another site', async () => {
      const res = await h.fetch(`${h.origin}/login?realm=/alpha`, form({ goto: 'https://evil.example/oauth2/steal', ...ALICE }))
      expect(res.status).toBe(200)
      expect(res.headers.get('location')).toBeNull()
      expect(await res.text()).toContain('Signed in')
    })

    it('the consent page shows the client name, description, privacy policy, scopes and user', async () => {
      const b = new Browser(h)
      let res = await b.get(web({ scope: 'openid email' }))
      res = await b.get(res.headers.get('location')!)
      const loginForm = parseForm(await res.text())
      res = await b.post(new URL(loginForm.action, h.origin).href, { ...loginForm.fields, ...ALICE })
      res = await b.get(res.headers.get('location')!)
      expect(res.status).toBe(200)
      const html = await res.text()
      expect(html).toContain('Tea Party Web wants to access your account')
      expect(html).toContain('Schedules tea parties for the March Hare.')
      expect(html).toContain('<a href="https://app.example/privacy"')
      expect(html).toContain('<li>Sign you in</li><li>Your email address<ul class="claims"><li>Email address: alice@example.com</li><li>Email address verified: yes</li></ul></li>')
      expect(html).toContain(`<strong>${ALICE.username}</strong>`)
      expect(html).toContain('name="save_consent"')
    })

    it('deny sends access_denied back to the client with state and iss', async () => {
      const out = await drive(h, web({ state: 'deny-me' }), { decision: 'deny' })
      expect(out.pages).toEqual(['login', 'consent'])
      expect(out.location!.href.startsWith(`${WEB.redirect_uri}?`)).toBe(true)
      expect(out.params.get('error')).toBe('access_denied')
      expect(out.params.get('state')).toBe('deny-me')
      expect(out.params.get('iss')).toBe(iss)
      expect(out.params.has('code')).toBe(false)
    })

    it('consent not saved is asked again; saved consent is not, until more scopes are asked for', async () => {
      const first = await drive(h, web(), { user: CAROL })
      expect(first.pages).toEqual(['login', 'consent'])
      expect(first.params.get('code')).toBeTruthy()
      const b = first.browser
      const second = await drive(h, web(), { browser: b, saveConsent: true })
      expect(second.pages).toEqual(['consent'])
      const third = await drive(h, web(), { browser: b })
      expect(third.pages).toEqual([])
      expect(third.params.get('code')).toBeTruthy()
      // A narrower request is covered by the saved consent.
      expect((await drive(h, web({ scope: 'openid' }), { browser: b })).pages).toEqual([])
      // A broader one is not.
      const broader = await drive(h, web({ scope: 'openid profile email' }), { browser: b, saveConsent: true })
      expect(broader.pages).toEqual(['consent'])
      expect((await drive(h, web({ scope: 'openid email' }), { browser: b })).pages).toEqual([])
      // prompt=consent asks even so.
      expect((await drive(h, web({ prompt: 'consent' }), { browser: b })).pages).toEqual(['consent'])
    })

    it('implied consent skips the page only where the realm allows it too, which by default (as in AM) it does not', async () => {
      const out = await drive(h, authorizeUrl(iss, { client_id: HYBRID.client_id, redirect_uri: HYBRID.redirect_uri, response_type: 'code', scope: 'openid' }))
      expect(out.pages).toEqual(['login'])
      const gamma = h.issuer('gamma')
      const g = await drive(h, authorizeUrl(gamma, { client_id: GAMMA.client_id, redirect_uri: GAMMA.redirect_uri, response_type: 'code', scope: 'openid' }))
      expect(g.pages).toEqual(['login', 'consent'])
    })

    it('a consent answer with the wrong csrf, without the session, or replayed is refused', async () => {
      const b = new Browser(h)
      // prompt=consent: the page shows whatever consent alice saved in other tests.
      let res = await b.get(web({ state: 'csrf', prompt: 'consent' }))
      res = await b.get(res.headers.get('location')!)
      const loginForm = parseForm(await res.text())
      res = await b.post(new URL(loginForm.action, h.origin).href, { ...loginForm.fields, ...ALICE })
      res = await b.get(res.headers.get('location')!)
      const consent = parseForm(await res.text())
      expect(consent.fields.interaction).toBeTruthy()
      expect(consent.fields.csrf).toBeTruthy()

      await expectErrorPage(await b.post(consent.action, { ...consent.fields, csrf: 'forged', decision: 'allow' }), /does not belong to your session/)
      // Another browser, with no session, posting the real fields.
      await expectErrorPage(await new Browser(h).post(consent.action, { ...consent.fields, decision: 'allow' }))

      const ok = await b.post(consent.action, { ...consent.fields, decision: 'allow' })
      const params = clientRedirect(ok, WEB.redirect_uri)
      expect(params.get('code')).toBeTruthy()
      expect(params.get('state')).toBe('csrf')

      await expectErrorPage(await b.post(consent.action, { ...consent.fields, decision: 'allow' }))
      await expectErrorPage(await b.post(consent.action, { ...consent.fields, decision: 'deny' }))
    })

    it('AM’s consent in the request: a POST with decision=allow and the SSO token as csrf answers at once, without a page', async () => {
      // AM's REST sign-in, then the authorization request posted with the session cookie, decision and csrf,
      // as AM's "Authorization code grant" examples (and apps that get codes without a browser) do.
      const signIn = await h.fetch(`${h.origin}/json/realms/root/realms/alpha/authenticate`, {
        method: 'POST',
        headers: { 'x-openam-username': CAROL.username, 'x-openam-password': CAROL.password },
      })
      const { tokenId } = (await signIn.json()) as { tokenId: string }
      const cookie = `iPlanetDirectoryPro=${tokenId}`
      const request = { client_id: WEB.client_id, redirect_uri: WEB.redirect_uri, response_type: 'code', scope: 'openid profile', state: 'direct' }
      const FORM = { 'content-type': 'application/x-www-form-urlencoded' }
      const post = (fields: Record<string, string>, withCookie = true) =>
        h.fetch(`${iss}/authorize`, { method: 'POST', headers: { ...(withCookie && { cookie }), ...FORM }, body: new URLSearchParams(fields).toString() })
      const ok = clientRedirect(await post({ ...request, decision: 'allow', csrf: tokenId }), WEB.redirect_uri)
      expect(ok.get('code')).toBeTruthy()
      expect(ok.get('state')).toBe('direct')
      // The code is good at the token endpoint as any other.
      const tokens = await h.fetch(`${iss}/access_token`, {
        method: 'POST',
        headers: { authorization: basic(WEB.client_id, WEB.client_secret), ...FORM },
        body: new URLSearchParams({ grant_type: 'authorization_code', code: ok.get('code')!, redirect_uri: WEB.redirect_uri }).toString(),
      })
      expect(tokens.status).toBe(200)
      // csrf must be the session's own token: anything else is refused to the client, as is a denial.
      expect(clientRedirect(await post({ ...request, decision: 'allow', csrf: 'forged' }), WEB.redirect_uri).get('error')).toBe('invalid_request')
      expect(clientRedirect(await post({ ...request, decision: 'allow' }), WEB.redirect_uri).get('error')).toBe('invalid_request')
      expect(clientRedirect(await post({ ...request, decision: 'deny', csrf: tokenId }), WEB.redirect_uri).get('error')).toBe('access_denied')
      // Without the session it is the sign-in, as any request without one.
      const anonymous = await post({ ...request, decision: 'allow', csrf: tokenId }, false)
      expect(anonymous.status).toBe(302)
      expect(new URL(anonymous.headers.get('location')!).pathname).toBe('/login')
    })

    it('the interaction link after sign-in is single use', async () => {
      const b = new Browser(h)
      const first = await b.get(authorizeUrl(iss, { client_id: HYBRID.client_id, redirect_uri: HYBRID.redirect_uri, response_type: 'code', scope: 'openid' }))
      const goto = new URL(first.headers.get('location')!).searchParams.get('goto')!
      const loginForm = parseForm(await (await b.get(first.headers.get('location')!)).text())
      await b.post(new URL(loginForm.action, h.origin).href, { ...loginForm.fields, ...ALICE })
      const done = await b.get(goto)
      expect(new URL(done.headers.get('location')!).searchParams.get('code')).toBeTruthy()
      await expectErrorPage(await b.get(goto), /expired or was completed/)
    })

    it('an interaction left for more than ten minutes has expired', async () => {
      const b = new Browser(h)
      const first = await b.get(authorizeUrl(iss, { client_id: HYBRID.client_id, redirect_uri: HYBRID.redirect_uri, response_type: 'code', scope: 'openid' }))
      const loginForm = parseForm(await (await b.get(first.headers.get('location')!)).text())
      await h.advance(601)
      // The sign-in step (its authId) timed out first: the page starts the journey again.
      const timedOut = await b.post(new URL(loginForm.action, h.origin).href, { ...loginForm.fields, ...ALICE })
      expect(timedOut.status).toBe(401)
      const again = parseForm(await timedOut.text())
      const signIn = await b.post(new URL(again.action, h.origin).href, { ...again.fields, ...ALICE })
      await expectErrorPage(await b.get(signIn.headers.get('location')!), /expired/)
    })
  })

  describe('prompt and max_age', () => {
    const hybrid = (extra: Record<string, string> = {}) =>
      authorizeUrl(iss, { client_id: HYBRID.client_id, redirect_uri: HYBRID.redirect_uri, response_type: 'code', scope: 'openid', state: 'p', ...extra })

    it('prompt=none without a session redirects back with login_required, state and iss', async () => {
      const res = await h.fetch(hybrid({ prompt: 'none' }))
      const params = clientRedirect(res, HYBRID.redirect_uri)
      expect(params.get('error')).toBe('login_required')
      expect(params.get('state')).toBe('p')
      expect(params.get('iss')).toBe(iss)
    })

    it('prompt=none with an implicit response type answers in the fragment', async () => {
      const res = await h.fetch(hybrid({ prompt: 'none', response_type: 'id_token', nonce: 'n' }))
      expect(clientRedirect(res, HYBRID.redirect_uri, 'fragment').get('error')).toBe('login_required')
    })

    it('prompt=none with a session but no consent is consent_required; with consent it answers at once', async () => {
      const b = await signedIn(h, iss, HYBRID.client_id, HYBRID.redirect_uri, DAVE)
      const web = (prompt: string) =>
        authorizeUrl(iss, { client_id: WEB.client_id, redirect_uri: WEB.redirect_uri, response_type: 'code', scope: 'openid', state: 'c', prompt })
      const params = clientRedirect(await b.get(web('none')), WEB.redirect_uri)
      expect(params.get('error')).toBe('consent_required')
      expect(params.get('state')).toBe('c')
      expect(params.get('iss')).toBe(iss)
      const saved = await drive(h, web(''), { browser: b, saveConsent: true })
      expect(saved.pages).toEqual(['consent'])
      const silent = await b.get(web('none'))
      expect(clientRedirect(silent, WEB.redirect_uri).get('code')).toBeTruthy()
      const implied = await b.get(hybrid({ prompt: 'none' }))
      expect(clientRedirect(implied, HYBRID.redirect_uri).get('code')).toBeTruthy()
    })

    it('prompt=login asks to sign in again despite the session, cannot be skipped, and does not loop', async () => {
      const b = await signedIn(h, iss, HYBRID.client_id, HYBRID.redirect_uri)
      await h.advance(5)
      const res = await b.get(hybrid({ prompt: 'login', nonce: 'pl' }))
      expect(isLoginRedirect(h, res)).toBe(true)
      const goto = new URL(res.headers.get('location')!).searchParams.get('goto')!
      await h.advance(5)
      // Going straight back without signing in only finds the sign-in page again.
      expect(isLoginRedirect(h, await b.get(goto))).toBe(true)
      const loginForm = parseForm(await (await b.get(res.headers.get('location')!)).text())
      const signedInAgain = Math.floor(h.now() / 1000)
      const signIn = await b.post(new URL(loginForm.action, h.origin).href, { ...loginForm.fields, ...ALICE })
      const back = await b.get(signIn.headers.get('location')!)
      const params = clientRedirect(back, HYBRID.redirect_uri)
      expect(params.get('code')).toBeTruthy()
      const tokens = await exchange(h, iss, HYBRID, params.get('code')!)
      const idToken = claims(tokens.id_token!)
      // auth_time is the new sign-in, 10 s after the first, not the session's first one. Over
      // HTTP the CLI's dev clock is the wall clock plus the advances, so a second may pass.
      expect(idToken.auth_time).toBeGreaterThanOrEqual(signedInAgain)
      expect(idToken.auth_time).toBeLessThanOrEqual(idToken.iat as number)
    })

    it('prompt=login in the same second as the previous sign-in still asks, cannot be skipped, and completes', async () => {
      const b = await signedIn(h, iss, HYBRID.client_id, HYBRID.redirect_uri)
      const res = await b.get(hybrid({ prompt: 'login' }))
      expect(isLoginRedirect(h, res)).toBe(true)
      const goto = new URL(res.headers.get('location')!).searchParams.get('goto')!
      expect(isLoginRedirect(h, await b.get(goto))).toBe(true)
      const out = await drive(h, hybrid({ prompt: 'login' }), { browser: b })
      expect(out.pages).toEqual(['login'])
      expect(out.params.get('code')).toBeTruthy()
    })

    it('max_age=0 cannot be skipped by going straight back to authorize', async () => {
      const b = await signedIn(h, iss, HYBRID.client_id, HYBRID.redirect_uri)
      const res = await b.get(hybrid({ max_age: '0' }))
      expect(isLoginRedirect(h, res)).toBe(true)
      expect(isLoginRedirect(h, await b.get(new URL(res.headers.get('location')!).searchParams.get('goto')!))).toBe(true)
    })

    it('max_age=0 always asks to sign in, and completes', async () => {
      const b = await signedIn(h, iss, HYBRID.client_id, HYBRID.redirect_uri)
      const out = await drive(h, hybrid({ max_age: '0' }), { browser: b })
      expect(out.pages).toEqual(['login'])
      expect(out.params.get('code')).toBeTruthy()
    })

    it('max_age: a sign-in older than it asks again, a recent one does not', async () => {
      const b = await signedIn(h, iss, HYBRID.client_id, HYBRID.redirect_uri)
      await h.advance(200)
      expect((await drive(h, hybrid({ max_age: '300' }), { browser: b })).pages).toEqual([])
      await h.advance(101)
      const params = clientRedirect(await b.get(hybrid({ max_age: '300', prompt: 'none' })), HYBRID.redirect_uri)
      expect(params.get('error')).toBe('login_required')
      const out = await drive(h, hybrid({ max_age: '300', response_type: 'id_token', nonce: 'ma' }), { browser: b })
      expect(out.pages).toEqual(['login'])
      const idToken = claims(out.params.get('id_token')!)
      expect(idToken.auth_time).toBe(idToken.iat)
    })

    it("a client's default_max_age applies when the request names none", async () => {
      const b = await signedIn(h, iss, AGED.client_id, AGED.redirect_uri)
      const aged = authorizeUrl(iss, { client_id: AGED.client_id, redirect_uri: AGED.redirect_uri, response_type: 'code', scope: 'openid' })
      await h.advance(590)
      expect((await drive(h, aged, { browser: b })).pages).toEqual([])
      await h.advance(11)
      expect((await drive(h, aged, { browser: b })).pages).toEqual(['login'])
      // Other clients are not bound by it.
      expect((await drive(h, hybrid(), { browser: b })).pages).toEqual([])
    })

    it('prompt=none combined with another value, an unknown prompt and a bad max_age are invalid_request', async () => {
      const cases: Record<string, string>[] = [{ prompt: 'none login' }, { prompt: 'consent none' }, { prompt: 'bogus' }, { max_age: '-1' }, { max_age: 'soon' }]
      for (const extra of cases) {
        const params = clientRedirect(await h.fetch(hybrid(extra)), HYBRID.redirect_uri)
        expect(params.get('error'), JSON.stringify(extra)).toBe('invalid_request')
        expect(params.get('state')).toBe('p')
        expect(params.get('iss')).toBe(iss)
      }
    })
  })

  describe('PKCE', () => {
    const spa = (extra: Record<string, string>) =>
      authorizeUrl(iss, { client_id: SPA.client_id, redirect_uri: SPA.redirect_uri, response_type: 'code', scope: 'openid', state: 'k', ...extra })

    const { challenge } = pkce()
    const refused: [string, Record<string, string>][] = [
      ['a public client without code_challenge', {}],
      ['code_challenge_method=plain', { code_challenge: challenge, code_challenge_method: 'plain' }],
      ['a challenge that is too short', { code_challenge: challenge.slice(1), code_challenge_method: 'S256' }],
      ['a challenge with padding', { code_challenge: challenge.slice(0, 42) + '=', code_challenge_method: 'S256' }],
      ['a challenge in base64 rather than base64url', { code_challenge: challenge.slice(0, 42) + '+', code_challenge_method: 'S256' }],
      ['a challenge without a method', { code_challenge: challenge }],
      ['a method without a challenge', { code_challenge_method: 'S256' }],
      ['an unknown method', { code_challenge: challenge, code_challenge_method: 'S512' }],
    ]
    it.each(refused)('refuses %s with an invalid_request redirect', async (_, extra) => {
      const params = clientRedirect(await h.fetch(spa(extra)), SPA.redirect_uri)
      expect(params.get('error')).toBe('invalid_request')
      expect(params.get('state')).toBe('k')
      expect(params.get('iss')).toBe(iss)
    })

    it('accepts S256; the code then needs the right verifier', async () => {
      const good = pkce()
      const out = await drive(h, spa({ code_challenge: good.challenge, code_challenge_method: 'S256' }))
      const redeem = (code: string, verifier: string) =>
        h.fetch(`${iss}/access_token`, form({ grant_type: 'authorization_code', code, redirect_uri: SPA.redirect_uri, client_id: SPA.client_id, code_verifier: verifier }))
      const ok = await redeem(out.params.get('code')!, good.verifier)
      expect(ok.status).toBe(200)
      const other = pkce()
      const again = await drive(h, spa({ code_challenge: other.challenge, code_challenge_method: 'S256' }), { browser: out.browser })
      expect(again.pages).toEqual([])
      const wrong = await redeem(again.params.get('code')!, good.verifier)
      expect(wrong.status).toBe(400)
      expect(((await wrong.json()) as { error: string }).error).toBe('invalid_grant')
    })
  })

  describe('client and redirect_uri', () => {
    let b: Browser
    const q = (query: Record<string, string>) => authorizeUrl(iss, { response_type: 'code', scope: 'openid', state: 'r', ...query })
    beforeAll(async () => {
      b = await signedIn(h, iss, HYBRID.client_id, HYBRID.redirect_uri)
    })

    it.each([
      ['an unregistered redirect_uri', { client_id: WEB.client_id, redirect_uri: 'https://evil.example/cb' }],
      ['a trailing slash', { client_id: WEB.client_id, redirect_uri: `${WEB.redirect_uri}/` }],
      ['an added query', { client_id: WEB.client_id, redirect_uri: `${WEB.redirect_uri}?next=1` }],
      ['a fragment', { client_id: WEB.client_id, redirect_uri: `${WEB.redirect_uri}#x` }],
      ['another scheme', { client_id: WEB.client_id, redirect_uri: WEB.redirect_uri.replace('https:', 'http:') }],
      ["another client's redirect_uri", { client_id: WEB.client_id, redirect_uri: HYBRID.redirect_uri }],
      ['a relative redirect_uri', { client_id: WEB.client_id, redirect_uri: '/cb' }],
    ])('%s is an error page, never a redirect', async (_, query) => {
      await expectErrorPage(await b.get(q(query)), /redirect_uri/)
      // Not even with prompt=none or an error that would otherwise go back to the client.
      await expectErrorPage(await b.get(q({ ...query, prompt: 'none' })))
      await expectErrorPage(await b.get(q({ ...query, scope: 'openid admin' })))
    })

    it('a missing redirect_uri is an error page when openid is asked for or several are registered', async () => {
      await expectErrorPage(await b.get(q({ client_id: SINGLE.client_id })), /redirect_uri is required/)
      await expectErrorPage(await b.get(q({ client_id: WEB.client_id, scope: 'profile' })), /redirect_uri is required/)
    })

    it('a missing redirect_uri outside OIDC falls back to the only registered one', async () => {
      const params = clientRedirect(await b.get(q({ client_id: SINGLE.client_id, scope: 'read' })), SINGLE.redirect_uri)
      expect(params.get('code')).toBeTruthy()
      expect(params.get('state')).toBe('r')
    })

    it('a missing or unknown client_id is an error page', async () => {
      await expectErrorPage(await b.get(q({ redirect_uri: WEB.redirect_uri })), /client_id is required/)
      await expectErrorPage(await b.get(q({ client_id: 'nobody', redirect_uri: WEB.redirect_uri })), /Unknown client/)
    })

    it('any loopback port is accepted when the client allows wildcard ports', async () => {
      const { challenge } = pkce()
      for (const redirect of ['http://localhost:53123/cb', 'http://localhost/cb', 'http://localhost:8080/cb', 'http://127.0.0.1:53123/cb', 'http://[::1]:53123/cb', 'http://[::1]/cb']) {
        const res = await b.get(q({ client_id: SPA.client_id, redirect_uri: redirect, code_challenge: challenge, code_challenge_method: 'S256' }))
        expect(res.status, redirect).toBe(302)
        const location = new URL(res.headers.get('location')!)
        expect(`${location.origin}${location.pathname}`).toBe(redirect)
        expect(location.searchParams.get('code')).toBeTruthy()
      }
    })

    it('wildcard ports do not widen host, scheme, path, query or user info', async () => {
      const { challenge } = pkce()
      for (const redirect of [
        'http://127.0.0.2:53123/cb',
        'http://[::2]:53123/cb',
        'http://[::1]:53123/cb2',
        'https://localhost:53123/cb',
        'http://localhost:53123/cb/more',
        'http://localhost:53123/cb?x=1',
        'http://user@localhost:53123/cb',
        'http://localhost.evil.example:53123/cb',
      ]) {
        await expectErrorPage(await b.get(q({ client_id: SPA.client_id, redirect_uri: redirect, code_challenge: challenge, code_challenge_method: 'S256' })))
      }
    })

    it("seed 004's wildcard-port patterns match the ports they describe, on their loopback host and scheme only", async () => {
      const { challenge } = pkce()
      const get = (redirect: string) => b.get(q({ client_id: PORTS.client_id, redirect_uri: redirect, code_challenge: challenge, code_challenge_method: 'S256' }))
      for (const redirect of ['http://localhost:53123/', 'http://localhost/', 'https://[::1]:8443/', 'https://[::1]:10443/', 'https://[::1]/', 'http://127.0.0.1/', 'http://127.0.0.1:8081/']) {
        expect(clientRedirect(await get(redirect), redirect).get('code'), redirect).toBeTruthy()
      }
      for (const redirect of ['https://localhost:53123/', 'http://localhost:53123/cb', 'https://[::1]:8444/', 'http://[::1]:8443/', 'http://127.0.0.1:9080/', 'http://127.0.0.1:7/', 'http://localhost.evil.example:80/']) {
        await expectErrorPage(await get(redirect))
      }
      // A pattern is never a default: a plain OAuth request naming no redirect_uri cannot be answered.
      await expectErrorPage(await b.get(q({ client_id: PORTS.client_id, scope: 'profile', code_challenge: challenge, code_challenge_method: 'S256' })), /redirect_uri is required/)
    })

    it('a loopback client without allow_wildcard_ports needs the exact port', async () => {
      const { challenge } = pkce()
      await expectErrorPage(await b.get(q({ client_id: STRICT.client_id, redirect_uri: 'http://localhost:7001/cb', code_challenge: challenge, code_challenge_method: 'S256' })))
      const ok = await b.get(q({ client_id: STRICT.client_id, redirect_uri: STRICT.redirect_uri, code_challenge: challenge, code_challenge_method: 'S256' }))
      expect(clientRedirect(ok, STRICT.redirect_uri).get('code')).toBeTruthy()
    })

    it('a repeated parameter is an error page, even when the redirect_uri is good', async () => {
      const base = `${iss}/authorize?client_id=${HYBRID.client_id}&redirect_uri=${encodeURIComponent(HYBRID.redirect_uri)}&response_type=code&scope=openid`
      await expectErrorPage(await b.get(`${base}&state=a&state=b`), /more than once/)
      await expectErrorPage(await b.get(`${base}&client_id=${HYBRID.client_id}`), /more than once/)
      await expectErrorPage(await b.get(`${base}&redirect_uri=${encodeURIComponent(HYBRID.redirect_uri)}`), /more than once/)
    })

    it('malformed percent-encoding is an error page', async () => {
      const base = `${iss}/authorize?client_id=${HYBRID.client_id}&redirect_uri=${encodeURIComponent(HYBRID.redirect_uri)}&response_type=code&scope=openid`
      await expectErrorPage(await b.get(`${base}&state=%E0%A4%A`), /percent-encoding/)
      await expectErrorPage(await b.get(`${base}&state=%zz`), /percent-encoding/)
      await expectErrorPage(await b.get(`${base}&state=%C3%28`), /percent-encoding/)
    })
  })

  describe('request parameters', () => {
    let b: Browser
    const hybrid = (extra: Record<string, string>) =>
      authorizeUrl(iss, { client_id: HYBRID.client_id, redirect_uri: HYBRID.redirect_uri, response_type: 'code', scope: 'openid', state: 'q', ...extra })
    beforeAll(async () => {
      b = await signedIn(h, iss, HYBRID.client_id, HYBRID.redirect_uri)
    })

    it('response_mode=query with a token response type is refused, and no token is issued', async () => {
      for (const response_type of ['token', 'id_token', 'code id_token', 'code token']) {
        const res = await b.get(hybrid({ response_type, response_mode: 'query', nonce: 'n' }))
        const location = new URL(res.headers.get('location')!)
        expect(res.status).toBe(302)
        const all = new URLSearchParams([...location.searchParams, ...new URLSearchParams(location.hash.slice(1))])
        expect(all.get('error'), response_type).toBe('invalid_request')
        expect(all.has('access_token')).toBe(false)
        expect(all.has('id_token')).toBe(false)
        expect(all.has('code')).toBe(false)
        expect(all.get('state')).toBe('q')
      }
    })

    it('an unknown response_mode is refused', async () => {
      expect(clientRedirect(await b.get(hybrid({ response_mode: 'jwt' })), HYBRID.redirect_uri).get('error')).toBe('invalid_request')
    })

    it('an unsigned request object, an unknown par request_uri and an unregistered one are refused on a page (the redirect_uri cannot be trusted)', async () => {
      await expectErrorPage(await b.get(hybrid({ request: 'eyJhbGciOiJub25lIn0.e30.' })), /invalid_request_object/)
      await expectErrorPage(await b.get(hybrid({ request_uri: 'urn:ietf:params:oauth:request_uri:abc' })), /invalid_request_uri/)
      await expectErrorPage(await b.get(hybrid({ request_uri: 'https://rp.example/request.jwt' })), /invalid_request_uri/)
    })

    it('a scope the client may not have is invalid_scope', async () => {
      const params = clientRedirect(await b.get(hybrid({ scope: 'openid address' })), HYBRID.redirect_uri)
      expect(params.get('error')).toBe('invalid_scope')
      expect(params.get('error_description')).toContain('address')
      expect(params.get('state')).toBe('q')
      expect(params.get('iss')).toBe(iss)
    })

    it('a missing or unknown response_type is refused', async () => {
      expect(clientRedirect(await b.get(hybrid({ response_type: '' })), HYBRID.redirect_uri).get('error')).toBe('invalid_request')
      expect(clientRedirect(await b.get(hybrid({ response_type: 'code code' })), HYBRID.redirect_uri).get('error')).toBe('unsupported_response_type')
      expect(clientRedirect(await b.get(hybrid({ response_type: 'device' })), HYBRID.redirect_uri).get('error')).toBe('unsupported_response_type')
    })

    it('an authorization request may be POSTed as a form', async () => {
      const res = await b.post(`${iss}/authorize`, { client_id: HYBRID.client_id, redirect_uri: HYBRID.redirect_uri, response_type: 'code', scope: 'openid', state: 'posted' })
      const params = clientRedirect(res, HYBRID.redirect_uri)
      expect(params.get('code')).toBeTruthy()
      expect(params.get('state')).toBe('posted')
    })
  })

  describe('realms', () => {
    let b: Browser
    const query = new URLSearchParams({ client_id: HYBRID.client_id, redirect_uri: HYBRID.redirect_uri, response_type: 'code', scope: 'openid', state: 'rl' })
    beforeAll(async () => {
      b = await signedIn(h, iss, HYBRID.client_id, HYBRID.redirect_uri)
    })

    it.each([
      ['the realms path', '/oauth2/realms/root/realms/alpha/authorize?'],
      ['?realm=/alpha', '/oauth2/authorize?realm=/alpha&'],
      ['?realm=alpha', '/oauth2/authorize?realm=alpha&'],
      ['the short form', '/oauth2/alpha/authorize?'],
    ])('authorize answers at %s with the canonical issuer as iss', async (_, path) => {
      const params = clientRedirect(await b.get(`${h.origin}${path}${query}`), HYBRID.redirect_uri)
      expect(params.get('code')).toBeTruthy()
      expect(params.get('iss')).toBe(iss)
      expect(params.get('state')).toBe('rl')
    })

    it('the realm form sends a new user through sign-in in the right realm', async () => {
      const out = await drive(h, `${h.origin}/oauth2/alpha/authorize?${query}`)
      expect(out.pages).toEqual(['login'])
      expect(out.params.get('iss')).toBe(iss)
    })

    it('?realm= wins over the path', async () => {
      const res = await b.get(`${h.origin}/oauth2/realms/root/realms/alpha/authorize?realm=/alpha/beta&${query}`)
      // The alpha client does not exist in alpha/beta.
      await expectErrorPage(res, /Unknown client/)
    })

    it('a sub-realm alpha/beta has its own issuer, users and sessions', async () => {
      const beta = h.issuer('alpha/beta')
      expect(beta).toBe(`${iss}/realms/beta`)
      const url = authorizeUrl(beta, { client_id: BETA.client_id, redirect_uri: BETA.redirect_uri, response_type: 'code', scope: 'openid', state: 'b' })
      // alice's alpha session does not count in beta.
      const first = await b.get(url)
      expect(isLoginRedirect(h, first)).toBe(true)
      expect(new URL(first.headers.get('location')!).searchParams.get('realm')).toBe('/alpha/beta')
      // alice is no user of beta.
      const wrong = await drive(h, url, { user: ALICE }).catch((e: Error) => e)
      expect(String(wrong)).toContain('401')
      const out = await drive(h, url, { user: BOB })
      expect(out.pages).toEqual(['login'])
      expect(out.params.get('iss')).toBe(beta)
      const tokens = await exchange(h, beta, BETA, out.params.get('code')!)
      expect(claims(tokens.id_token!)).toMatchObject({ iss: beta, sub: BOB.username, realm: '/alpha/beta' })
      // Short form and ?realm= reach the sub-realm too.
      const q = new URLSearchParams({ client_id: BETA.client_id, redirect_uri: BETA.redirect_uri, response_type: 'code', scope: 'openid' })
      for (const path of [`/oauth2/alpha/beta/authorize?${q}`, `/oauth2/authorize?realm=/alpha/beta&${q}`]) {
        const params = clientRedirect(await out.browser.get(`${h.origin}${path}`), BETA.redirect_uri)
        expect(params.get('iss')).toBe(beta)
      }
    })

    it('the root realm answers at /oauth2/authorize', async () => {
      const root = h.issuer('/')
      expect(root).toBe(`${h.origin}/oauth2`)
      const out = await drive(h, authorizeUrl(root, { client_id: ROOT.client_id, redirect_uri: ROOT.redirect_uri, response_type: 'code', scope: 'openid' }))
      expect(out.pages).toEqual(['login'])
      expect(out.params.get('iss')).toBe(root)
    })

    it.each([
      '/oauth2/realms/root/realms/nowhere/authorize',
      '/oauth2/authorize?realm=/nowhere',
      '/oauth2/nowhere/authorize',
      '/oauth2/realms/root/realms/alpha/realms/nowhere/authorize',
    ])('an unknown realm is a 404 JSON error: %s', async (path) => {
      const res = await h.fetch(`${h.origin}${path}${path.includes('?') ? '&' : '?'}${query}`)
      expect(res.status).toBe(404)
      expect(res.headers.get('location')).toBeNull()
      expect(res.headers.get('content-type')).toMatch(/^application\/json/)
      expect(((await res.json()) as { error: string }).error).toBe('not_found')
    })
  })

  describe('AM REST sign-in', () => {
    const authenticate = (path: string, username: string, password: string) =>
      h.fetch(`${h.origin}${path}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'accept-api-version': 'resource=2.0, protocol=1.0',
          'x-openam-username': username,
          'x-openam-password': password,
        },
        body: '{}',
      })

    it('answers tokenId and sets the session cookie; the cookie signs authorize in', async () => {
      const res = await authenticate('/json/realms/root/realms/alpha/authenticate', ALICE.username, ALICE.password)
      expect(res.status).toBe(200)
      const body = (await res.json()) as { tokenId: string; successUrl: string; realm: string }
      expect(body.tokenId).toBeTruthy()
      expect(body.realm).toBe('/alpha')
      const cookie = res.headers.getSetCookie().find((c) => c.startsWith('iPlanetDirectoryPro='))!
      expect(cookie).toContain(`iPlanetDirectoryPro=${body.tokenId};`)
      expect(cookie).toMatch(/HttpOnly/)
      const url = authorizeUrl(iss, { client_id: HYBRID.client_id, redirect_uri: HYBRID.redirect_uri, response_type: 'code', scope: 'openid', state: 'rest' })
      const authz = await h.fetch(url, { headers: { cookie: `iPlanetDirectoryPro=${body.tokenId}` } })
      const params = clientRedirect(authz, HYBRID.redirect_uri)
      expect(params.get('code')).toBeTruthy()
      expect(params.get('state')).toBe('rest')
      const tokens = await exchange(h, iss, HYBRID, params.get('code')!)
      expect(claims(tokens.id_token!).sub).toBe(ALICE.username)
    })

    it('a wrong password is 401 without a cookie; no credentials start the Login journey', async () => {
      const wrong = await authenticate('/json/realms/root/realms/alpha/authenticate', ALICE.username, 'bad')
      expect(wrong.status).toBe(401)
      expect(wrong.headers.getSetCookie()).toEqual([])
      expect(await wrong.json()).toMatchObject({ code: 401, reason: 'Unauthorized' })
      const missing = await h.fetch(`${h.origin}/json/realms/root/realms/alpha/authenticate`, { method: 'POST' })
      expect(missing.status).toBe(200)
      expect(missing.headers.getSetCookie()).toEqual([])
      const step = (await missing.json()) as { authId: string; callbacks: { type: string }[] }
      expect(step.callbacks.map((c) => c.type)).toEqual(['NameCallback', 'PasswordCallback'])
    })

    it('a REST session belongs to its realm', async () => {
      const res = await authenticate('/json/realms/root/realms/alpha/realms/beta/authenticate', BOB.username, BOB.password)
      expect(res.status).toBe(200)
      const { tokenId, realm } = (await res.json()) as { tokenId: string; realm: string }
      expect(realm).toBe('/alpha/beta')
      const authz = await h.fetch(
        authorizeUrl(iss, { client_id: HYBRID.client_id, redirect_uri: HYBRID.redirect_uri, response_type: 'code', scope: 'openid', prompt: 'none' }),
        { headers: { cookie: `iPlanetDirectoryPro=${tokenId}` } },
      )
      expect(clientRedirect(authz, HYBRID.redirect_uri).get('error')).toBe('login_required')
    })

    it('an unknown realm is 404', async () => {
      expect((await authenticate('/json/realms/root/realms/nowhere/authenticate', ALICE.username, ALICE.password)).status).toBe(404)
    })
  })
})

describe.each(MODES)('authorize under base_path /am (%s)', (mode) => {
  let h: Harness
  let iss: string
  beforeAll(async () => {
    h = await startHarness(mode, authorizeConfig('/am'))
    iss = h.issuer()
    expect(iss).toBe(`${h.origin}/am/oauth2/realms/root/realms/alpha`)
  })
  afterAll(() => h.close())

  it('signs in through /am/login and answers with an /am issuer', async () => {
    const b = new Browser(h)
    const url = authorizeUrl(iss, { client_id: HYBRID.client_id, redirect_uri: HYBRID.redirect_uri, response_type: 'code id_token', scope: 'openid', nonce: 'am', state: 'am' })
    const first = await b.get(url)
    expect(isLoginRedirect(h, first, '/am')).toBe(true)
    const out = await drive(h, url, { browser: b })
    expect(out.pages).toEqual(['login'])
    expect(out.params.get('iss')).toBe(iss)
    const { payload } = await verifyIdToken(h, iss, out.params.get('id_token')!, HYBRID.client_id)
    expect(payload.iss).toBe(iss)
    const discovery = (await (await h.fetch(`${iss}/.well-known/openid-configuration`)).json()) as Record<string, string>
    expect(discovery.issuer).toBe(iss)
    expect(discovery.authorization_endpoint).toBe(`${iss}/authorize`)
    // The short form and ?realm= work under the base path as well.
    const q = new URLSearchParams({ client_id: HYBRID.client_id, redirect_uri: HYBRID.redirect_uri, response_type: 'code', scope: 'openid' })
    for (const path of [`/am/oauth2/alpha/authorize?${q}`, `/am/oauth2/authorize?realm=/alpha&${q}`]) {
      expect(clientRedirect(await b.get(`${h.origin}${path}`), HYBRID.redirect_uri).get('iss')).toBe(iss)
    }
  })

  it('paths outside the base path are 404', async () => {
    const q = new URLSearchParams({ client_id: HYBRID.client_id, redirect_uri: HYBRID.redirect_uri, response_type: 'code', scope: 'openid' })
    const res = await h.fetch(`${h.origin}/oauth2/realms/root/realms/alpha/authorize?${q}`)
    expect(res.status).toBe(404)
    expect((await h.fetch(`${h.origin}/login?realm=/alpha`)).status).toBe(404)
  })

  it('AM REST sign-in lives under the base path too', async () => {
    const res = await h.fetch(`${h.origin}/am/json/realms/root/realms/alpha/authenticate`, {
      method: 'POST',
      headers: { 'x-openam-username': ALICE.username, 'x-openam-password': ALICE.password },
    })
    expect(res.status).toBe(200)
    expect(((await res.json()) as { successUrl: string }).successUrl).toBe('/am/console')
  })
})
