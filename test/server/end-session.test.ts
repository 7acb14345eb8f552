import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Browser, MODES, basic, form, startHarness, type Harness } from './harness.js'
import { claims } from './flows.js'
import { ALICE, BETA, BOB, HYBRID, WEB, authorizeConfig, authorizeUrl, drive } from './authorizeKit.js'

const hybridAuth = { authorization: basic(HYBRID.client_id, HYBRID.client_secret) }

describe.each(MODES)('connect/endSession (%s)', (mode) => {
  let h: Harness
  let iss: string
  const signIn = async () => {
    const out = await drive(
      h,
      authorizeUrl(iss, { client_id: HYBRID.client_id, redirect_uri: HYBRID.redirect_uri, response_type: 'code id_token', scope: 'openid profile', nonce: 'n', state: 's' }),
    )
    const init = form({ grant_type: 'authorization_code', code: out.params.get('code')!, redirect_uri: HYBRID.redirect_uri })
    const res = await h.fetch(`${iss}/access_token`, { ...init, headers: { ...(init.headers as Record<string, string>), ...hybridAuth } })
    const tokens = (await res.json()) as { access_token: string; refresh_token: string; id_token: string }
    expect(res.status).toBe(200)
    return { browser: out.browser, idToken: out.params.get('id_token')!, tokens }
  }
  /** A silent authorize: a code when the session lives, login_required when it does not. */
  const silent = async (b: Browser) => {
    const res = await b.get(authorizeUrl(iss, { client_id: HYBRID.client_id, redirect_uri: HYBRID.redirect_uri, response_type: 'code', scope: 'openid', prompt: 'none' }))
    expect(res.status).toBe(302)
    const params = new URL(res.headers.get('location')!).searchParams
    return params.get('code') ? 'signed-in' : params.get('error')
  }
  const endSession = (b: Browser, query: Record<string, string>) => b.get(`${iss}/connect/endSession?${new URLSearchParams(query)}`)
  const refused = async (res: Response) => {
    expect(res.status).toBe(400)
    expect(res.headers.get('location')).toBeNull()
    expect(res.headers.getSetCookie()).toEqual([])
    expect(await res.text()).toContain('Sign-out request refused')
  }

  beforeAll(async () => {
    h = await startHarness(mode, authorizeConfig())
    iss = h.issuer('alpha')
  })
  afterAll(() => h.close())

  it('redirects to the registered post_logout_redirect_uri with state and clears the session cookie', async () => {
    const { browser, idToken } = await signIn()
    expect(await silent(browser)).toBe('signed-in')
    const res = await endSession(browser, { id_token_hint: idToken, post_logout_redirect_uri: HYBRID.post_logout_redirect_uri, state: 'bye-1' })
    expect(res.status).toBe(302)
    expect(res.headers.get('location')).toBe(`${HYBRID.post_logout_redirect_uri}?state=bye-1`)
    const cookie = res.headers.getSetCookie().find((c) => c.startsWith('iPlanetDirectoryPro='))
    expect(cookie).toMatch(/^iPlanetDirectoryPro=;/)
    expect(cookie).toMatch(/Max-Age=0/)
    // The next authorize needs a sign-in again.
    expect(await silent(browser)).toBe('login_required')
    const again = await drive(h, authorizeUrl(iss, { client_id: HYBRID.client_id, redirect_uri: HYBRID.redirect_uri, response_type: 'code', scope: 'openid' }), { browser })
    expect(again.pages).toEqual(['login'])
  })

  it('ends the session on the provider, not just in the browser', async () => {
    const { browser, idToken } = await signIn()
    // A second session, by REST sign-in; its cookie is replayed after sign-out as a stolen copy would be.
    const cookieRes = await h.fetch(`${h.origin}/json/realms/root/realms/alpha/authenticate`, {
      method: 'POST',
      headers: { 'x-openam-username': ALICE.username, 'x-openam-password': ALICE.password },
    })
    const tokenId = ((await cookieRes.json()) as { tokenId: string }).tokenId
    const withCookie = { headers: { cookie: `iPlanetDirectoryPro=${tokenId}` } }
    const probe = authorizeUrl(iss, { client_id: HYBRID.client_id, redirect_uri: HYBRID.redirect_uri, response_type: 'code', scope: 'openid', prompt: 'none' })
    expect(new URL((await h.fetch(probe, withCookie)).headers.get('location')!).searchParams.get('code')).toBeTruthy()
    const res = await h.fetch(`${iss}/connect/endSession?${new URLSearchParams({ id_token_hint: idToken })}`, withCookie)
    expect(res.status).toBe(204)
    expect(new URL((await h.fetch(probe, withCookie)).headers.get('location')!).searchParams.get('error')).toBe('login_required')
    // The other session (the browser's) is untouched.
    expect(await silent(browser)).toBe('signed-in')
  })

  it('leaves the tokens already issued working', async () => {
    const { browser, idToken, tokens } = await signIn()
    const res = await endSession(browser, { id_token_hint: idToken, post_logout_redirect_uri: HYBRID.post_logout_redirect_uri })
    expect(res.status).toBe(302)
    expect(await silent(browser)).toBe('login_required')
    const userinfo = await h.fetch(`${iss}/userinfo`, { headers: { authorization: `Bearer ${tokens.access_token}` } })
    expect(userinfo.status).toBe(200)
    expect(((await userinfo.json()) as { sub: string }).sub).toBe('alice')
    const introspect = await h.fetch(`${iss}/introspect`, {
      ...form({ token: tokens.access_token }),
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...hybridAuth },
    })
    expect(await introspect.json()).toMatchObject({ active: true, client_id: HYBRID.client_id, username: 'alice' })
    const refresh = await h.fetch(`${iss}/access_token`, {
      ...form({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token }),
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...hybridAuth },
    })
    expect(refresh.status).toBe(200)
  })

  it('an unregistered post_logout_redirect_uri is an error page: no redirect, and the session lives on', async () => {
    const { browser, idToken } = await signIn()
    for (const uri of ['https://evil.example/bye', `${HYBRID.post_logout_redirect_uri}/`, HYBRID.redirect_uri, WEB.post_logout_redirect_uri]) {
      await refused(await endSession(browser, { id_token_hint: idToken, post_logout_redirect_uri: uri, state: 'x' }))
    }
    expect(await silent(browser)).toBe('signed-in')
  })

  it('post_logout_redirect_uri needs a client: by id_token_hint or client_id, and they must agree', async () => {
    const { browser, idToken } = await signIn()
    await refused(await endSession(browser, { post_logout_redirect_uri: HYBRID.post_logout_redirect_uri }))
    await refused(await endSession(browser, { id_token_hint: idToken, client_id: WEB.client_id, post_logout_redirect_uri: WEB.post_logout_redirect_uri }))
    expect(await silent(browser)).toBe('signed-in')
    const res = await endSession(browser, { client_id: HYBRID.client_id, post_logout_redirect_uri: HYBRID.post_logout_redirect_uri })
    expect(res.status).toBe(302)
    expect(res.headers.get('location')).toBe(HYBRID.post_logout_redirect_uri)
    expect(await silent(browser)).toBe('login_required')
  })

  it('an id_token_hint that is forged or from another realm is refused', async () => {
    const { browser, idToken } = await signIn()
    const [header, payload] = idToken.split('.')
    const forgedPayload = Buffer.from(JSON.stringify({ ...claims(idToken), aud: WEB.client_id })).toString('base64url')
    await refused(await endSession(browser, { id_token_hint: `${header}.${forgedPayload}.${idToken.split('.')[2]}`, post_logout_redirect_uri: HYBRID.post_logout_redirect_uri }))
    await refused(await endSession(browser, { id_token_hint: `${header}.${payload}.`, post_logout_redirect_uri: HYBRID.post_logout_redirect_uri }))
    await refused(await endSession(browser, { id_token_hint: 'not-a-jwt', post_logout_redirect_uri: HYBRID.post_logout_redirect_uri }))
    // A genuine ID token of realm alpha/beta is no hint for alpha.
    const beta = h.issuer('alpha/beta')
    const betaOut = await drive(h, authorizeUrl(beta, { client_id: BETA.client_id, redirect_uri: BETA.redirect_uri, response_type: 'code', scope: 'openid' }), { user: BOB })
    const init = form({ grant_type: 'authorization_code', code: betaOut.params.get('code')!, redirect_uri: BETA.redirect_uri })
    const betaTokens = (await (
      await h.fetch(`${beta}/access_token`, { ...init, headers: { ...(init.headers as Record<string, string>), authorization: basic(BETA.client_id, BETA.client_secret) } })
    ).json()) as { id_token: string }
    await refused(await endSession(browser, { id_token_hint: betaTokens.id_token }))
    expect(await silent(browser)).toBe('signed-in')
  })

  it('an expired id_token_hint is still a good hint', async () => {
    const { browser, idToken } = await signIn()
    await h.advance(3601)
    const res = await endSession(browser, { id_token_hint: idToken, post_logout_redirect_uri: HYBRID.post_logout_redirect_uri, state: 'late' })
    expect(res.status).toBe(302)
    expect(res.headers.get('location')).toBe(`${HYBRID.post_logout_redirect_uri}?state=late`)
  })

  it('without post_logout_redirect_uri it answers 204 No Content, as AM does', async () => {
    // AM's "/oauth2/connect/endSession": "If omitted, AM returns HTTP 204 No Content to indicate the end user logged out."
    const { browser, idToken } = await signIn()
    const res = await endSession(browser, { id_token_hint: idToken })
    expect(res.status).toBe(204)
    expect(res.headers.get('location')).toBeNull()
    expect(await res.text()).toBe('')
    expect(await silent(browser)).toBe('login_required')
  })

  it('accepts a POSTed form', async () => {
    const { browser, idToken } = await signIn()
    const res = await browser.post(`${iss}/connect/endSession`, { id_token_hint: idToken, post_logout_redirect_uri: HYBRID.post_logout_redirect_uri, state: 'posted' })
    expect(res.status).toBe(302)
    expect(res.headers.get('location')).toBe(`${HYBRID.post_logout_redirect_uri}?state=posted`)
    expect(await silent(browser)).toBe('login_required')
  })

  it('answers at the short realm form too', async () => {
    const { browser, idToken } = await signIn()
    const res = await browser.get(`${h.origin}/oauth2/alpha/connect/endSession?${new URLSearchParams({ id_token_hint: idToken, post_logout_redirect_uri: HYBRID.post_logout_redirect_uri })}`)
    expect(res.status).toBe(302)
    expect(await silent(browser)).toBe('login_required')
  })
})
