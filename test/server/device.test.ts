/** RFC 8628 device authorization grant, end to end as a device and a user would drive it. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEMO, demoConfig, type ProviderConfig } from '@realmauth/server'
import { Browser, MODES, form, parseForm, startHarness, type Harness } from './harness.js'
import { claims } from './flows.js'

type Json = Record<string, unknown>
const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code'
const CLI = DEMO.device.client_id
const USER_CODE = /^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/

function deviceConfig(): ProviderConfig {
  const config = demoConfig()
  const alpha = config.realms[0]!
  alpha.clients!.push({
    client_id: 'tv',
    client_name: 'Living-room TV',
    token_endpoint_auth_method: 'none',
    grant_types: [DEVICE_GRANT],
    scope: 'profile',
  })
  // A second realm with a client and a user of the same names: its users must not approve alpha's devices.
  config.realms.push({
    name: 'beta',
    clients: [{ client_id: CLI, token_endpoint_auth_method: 'none', grant_types: [DEVICE_GRANT], scope: 'openid profile' }],
    users: [{ username: DEMO.user.username, password: 'beta-password' }],
  })
  return config
}

interface DeviceAuthorization {
  device_code: string
  user_code: string
  verification_uri: string
  verification_uri_complete: string
  expires_in: number
  interval: number
}

describe.each(MODES)('device flow (%s)', (mode) => {
  let h: Harness
  beforeAll(async () => {
    h = await startHarness(mode, deviceConfig())
  })
  afterAll(() => h.close())

  async function start(clientId: string = CLI, realm = 'alpha', extra: Record<string, string> = {}): Promise<DeviceAuthorization> {
    const res = await h.fetch(`${h.issuer(realm)}/device/code`, form({ client_id: clientId, ...extra }))
    const body = (await res.json()) as DeviceAuthorization
    if (res.status !== 200) throw new Error(`device/code failed: ${JSON.stringify(body)}`)
    return body
  }

  async function poll(deviceCode: string, clientId: string = CLI, realm = 'alpha'): Promise<{ status: number; body: Json }> {
    const res = await h.fetch(`${h.issuer(realm)}/access_token`, form({ grant_type: DEVICE_GRANT, device_code: deviceCode, client_id: clientId }))
    return { status: res.status, body: (await res.json()) as Json }
  }

  /** A browser with a session in `realm`, signed in through the login page. */
  async function signedIn(realm = 'alpha', password: string = DEMO.user.password): Promise<Browser> {
    const browser = new Browser(h)
    const page = await browser.get(`${h.origin}/login?realm=/${realm}`)
    const { action, fields } = parseForm(await page.text())
    const res = await browser.post(new URL(action, h.origin).href, { ...fields, username: DEMO.user.username, password })
    expect(res.headers.getSetCookie().join()).toMatch(/iPlanetDirectoryPro=/)
    return browser
  }

  /** Opens the confirm page for `typed` and answers it; returns the final page. */
  async function answer(browser: Browser, typed: string, decision: 'allow' | 'deny', realm = 'alpha'): Promise<Response> {
    const confirm = await browser.get(`${h.issuer(realm)}/device/user?user_code=${encodeURIComponent(typed)}`)
    const html = await confirm.text()
    expect(confirm.status, html).toBe(200)
    expect(html).toContain('id="allow"')
    const { action, fields } = parseForm(html)
    return browser.post(new URL(action, h.origin).href, { ...fields, decision })
  }

  it('starts with device/code: a user code, where to enter it, and the polling interval', async () => {
    const res = await h.fetch(`${h.issuer()}/device/code`, form({ client_id: CLI, scope: 'openid profile' }))
    expect(res.status).toBe(200)
    expect(res.headers.get('cache-control')).toBe('no-store')
    const d = (await res.json()) as DeviceAuthorization
    expect(d.user_code).toMatch(USER_CODE)
    expect(d.device_code.length).toBeGreaterThanOrEqual(43)
    expect(d.verification_uri).toBe(`${h.issuer()}/device/user`)
    expect(d.verification_uri_complete).toBe(`${h.issuer()}/device/user?user_code=${d.user_code}`)
    expect(d.expires_in).toBe(300)
    expect(d.interval).toBe(5)
    const scope = await h.fetch(`${h.issuer()}/device/code`, form({ client_id: CLI, scope: 'openid email' }))
    expect(scope.status).toBe(400)
    expect(((await scope.json()) as Json).error).toBe('invalid_scope')
    const unknown = await h.fetch(`${h.issuer()}/device/code`, form({ client_id: 'nobody' }))
    expect(((await unknown.json()) as Json).error).toBe('invalid_client')
  })

  it('runs end to end: sign-in, code entry, confirm, allow, then tokens with an ID token', async () => {
    const d = await start()
    const browser = new Browser(h)
    // Not signed in: the user page sends the browser to sign in, and back.
    const toLogin = await browser.get(d.verification_uri)
    expect(toLogin.status).toBe(302)
    const loginUrl = new URL(toLogin.headers.get('location')!)
    expect(loginUrl.pathname).toBe('/login')
    expect(loginUrl.searchParams.get('goto')).toBe(d.verification_uri)
    const loginPage = await browser.get(loginUrl.href)
    const login = parseForm(await loginPage.text())
    const back = await browser.post(new URL(login.action, h.origin).href, { ...login.fields, username: DEMO.user.username, password: DEMO.user.password })
    expect(back.status).toBe(302)
    expect(back.headers.get('location')).toBe(d.verification_uri)
    const entry = await browser.get(back.headers.get('location')!)
    expect(entry.status).toBe(200)
    const entryHtml = await entry.text()
    expect(entryHtml).toMatch(/<form method="get"/)
    expect(entryHtml).toContain('id="user_code"')

    expect(await poll(d.device_code)).toMatchObject({ status: 400, body: { error: 'authorization_pending' } })

    // Typed in lower case without the dash.
    const typed = d.user_code.replace('-', '').toLowerCase()
    const confirm = await browser.get(`${d.verification_uri}?user_code=${typed}`)
    const html = await confirm.text()
    expect(confirm.status).toBe(200)
    expect(html).toContain('Demo command-line tool')
    expect(html).toContain(
      '<li>Sign you in</li><li>Your name and profile<ul class="claims"><li>Full name: Demo User</li><li>Family name: User</li><li>Given name: Demo</li><li>Username: demo</li></ul></li><li>Stay signed in when you are away</li>',
    )
    const { action, fields } = parseForm(html)
    const done = await browser.post(new URL(action, h.origin).href, { ...fields, decision: 'allow' })
    expect(done.status).toBe(200)
    expect(await done.text()).toContain('Device connected')

    await h.advance(5)
    const tokens = await poll(d.device_code)
    expect(tokens.status).toBe(200)
    expect(tokens.body).toMatchObject({ token_type: 'Bearer', expires_in: 3600, scope: 'openid profile offline_access' })
    expect(tokens.body.refresh_token).toEqual(expect.any(String))
    expect(claims(tokens.body.id_token as string)).toMatchObject({ iss: h.issuer(), aud: CLI, sub: DEMO.user.username })
    expect(claims(tokens.body.access_token as string)).toMatchObject({ client_id: CLI, sub: DEMO.user.username, grant_type: DEVICE_GRANT, realm: '/alpha' })
    const info = await h.fetch(`${h.issuer()}/userinfo`, { headers: { authorization: `Bearer ${tokens.body.access_token as string}` } })
    expect(await info.json()).toMatchObject({ sub: DEMO.user.username, name: 'Demo User' })

    // The device code is single use.
    await h.advance(5)
    expect(await poll(d.device_code)).toMatchObject({ status: 400, body: { error: 'invalid_grant' } })
    // And the user code is spent: entering it again shows the entry page with an error.
    const again = await browser.get(`${d.verification_uri}?user_code=${d.user_code}`)
    expect(again.status).toBe(400)
    expect(await again.text()).toContain('not valid')
  })

  it('keeps the user code through sign-in when the complete verification URI is opened', async () => {
    const d = await start('tv')
    const browser = new Browser(h)
    const toLogin = await browser.get(d.verification_uri_complete)
    const goto = new URL(toLogin.headers.get('location')!).searchParams.get('goto')!
    expect(new URL(goto).searchParams.get('user_code')).toBe(d.user_code)
    const login = parseForm(await (await browser.get(toLogin.headers.get('location')!)).text())
    const back = await browser.post(new URL(login.action, h.origin).href, { ...login.fields, username: DEMO.user.username, password: DEMO.user.password })
    const confirm = await browser.get(back.headers.get('location')!)
    expect(confirm.status).toBe(200)
    const html = await confirm.text()
    expect(html).toContain('Living-room TV')
    const { action, fields } = parseForm(html)
    await browser.post(new URL(action, h.origin).href, { ...fields, decision: 'allow' })
    const tokens = await poll(d.device_code, 'tv')
    expect(tokens.status).toBe(200)
    // No openid scope, no ID token; no refresh_token grant, no refresh token.
    expect(tokens.body.id_token).toBeUndefined()
    expect(tokens.body.refresh_token).toBeUndefined()
    expect(tokens.body.scope).toBe('profile')
  })

  it('accepts the user code in any case, with or without the dash or spaces', async () => {
    const browser = await signedIn()
    for (const variant of [(c: string) => c.toLowerCase(), (c: string) => c.replace('-', ' '), (c: string) => ` ${c.replace('-', '')} `]) {
      const d = await start()
      const res = await answer(browser, variant(d.user_code), 'allow')
      expect(res.status).toBe(200)
      expect((await poll(d.device_code)).status).toBe(200)
    }
    const wrong = await browser.get(`${h.issuer()}/device/user?user_code=BCDF-BCDF`)
    expect(wrong.status).toBe(400)
    expect(await wrong.text()).toContain('not valid')
  })

  it('answers access_denied when the user denies', async () => {
    const d = await start()
    const browser = await signedIn()
    const res = await answer(browser, d.user_code, 'deny')
    expect(res.status).toBe(200)
    expect(await res.text()).toContain('denied')
    expect(await poll(d.device_code)).toMatchObject({ status: 400, body: { error: 'access_denied' } })
    // The denied code is gone.
    await h.advance(5)
    expect(await poll(d.device_code)).toMatchObject({ status: 400, body: { error: 'invalid_grant' } })
  })

  it('answers slow_down to polling faster than the interval, adding 5 s each time', async () => {
    const d = await start()
    expect(await poll(d.device_code)).toMatchObject({ status: 400, body: { error: 'authorization_pending' } })
    expect(await poll(d.device_code)).toMatchObject({ status: 400, body: { error: 'slow_down' } })
    // The interval is now 10 s: 6 s is still too soon, and makes it 15 s.
    await h.advance(6)
    const second = await poll(d.device_code)
    expect(second).toMatchObject({ status: 400, body: { error: 'slow_down' } })
    expect(second.body.error_description).toMatch(/15 seconds/)
    await h.advance(11)
    expect(await poll(d.device_code)).toMatchObject({ status: 400, body: { error: 'slow_down' } })
    await h.advance(20)
    expect(await poll(d.device_code)).toMatchObject({ status: 400, body: { error: 'authorization_pending' } })
  })

  it('answers expired_token once the device code has expired, and the user page refuses the code', async () => {
    const d = await start()
    const browser = await signedIn()
    await h.advance(301)
    expect(await poll(d.device_code)).toMatchObject({ status: 400, body: { error: 'expired_token' } })
    const page = await browser.get(`${d.verification_uri}?user_code=${d.user_code}`)
    expect(page.status).toBe(400)
    expect(await page.text()).toContain('expired')
  })

  it('refuses an approval whose csrf field does not belong to the session', async () => {
    const d = await start()
    const browser = await signedIn()
    const confirm = await browser.get(`${d.verification_uri}?user_code=${d.user_code}`)
    const { action, fields } = parseForm(await confirm.text())
    const forged = await browser.post(new URL(action, h.origin).href, { ...fields, csrf: 'forged', decision: 'allow' })
    expect(forged.status).toBe(403)
    const missing = await browser.post(new URL(action, h.origin).href, { user_code: d.user_code, decision: 'allow' })
    expect(missing.status).toBe(403)
    // Another signed-in user's page does not carry over either.
    const other = await signedIn()
    expect((await other.post(new URL(action, h.origin).href, { ...fields, decision: 'allow' })).status).toBe(403)
    expect(await poll(d.device_code)).toMatchObject({ status: 400, body: { error: 'authorization_pending' } })
  })

  it('refuses clients without the device grant, and device codes of another client', async () => {
    const spa = await h.fetch(`${h.issuer()}/device/code`, form({ client_id: DEMO.spa.client_id }))
    expect(spa.status).toBe(400)
    expect(((await spa.json()) as Json).error).toBe('unauthorized_client')
    const d = await start()
    const asSpa = await poll(d.device_code, DEMO.spa.client_id)
    expect(asSpa).toMatchObject({ status: 400, body: { error: 'unauthorized_client' } })
    expect(await poll(d.device_code, 'tv')).toMatchObject({ status: 400, body: { error: 'invalid_grant' } })
    expect(await poll('made-up-device-code')).toMatchObject({ status: 400, body: { error: 'invalid_grant' } })
    const missing = await h.fetch(`${h.issuer()}/access_token`, form({ grant_type: DEVICE_GRANT, client_id: CLI }))
    expect(((await missing.json()) as Json).error).toBe('invalid_request')
  })

  it('keeps device codes inside their realm', async () => {
    const d = await start()
    // beta has a user of the same name and a client of the same id.
    const betaUser = await signedIn('beta', 'beta-password')
    const page = await betaUser.get(`${h.issuer('beta')}/device/user?user_code=${d.user_code}`)
    expect(page.status).toBe(400)
    expect(await page.text()).not.toContain('id="allow"')
    expect(await poll(d.device_code, CLI, 'beta')).toMatchObject({ status: 400, body: { error: 'invalid_grant' } })
    expect(await poll(d.device_code)).toMatchObject({ status: 400, body: { error: 'authorization_pending' } })
    // An alpha session does not answer on beta's page.
    const alphaUser = await signedIn()
    expect((await alphaUser.get(`${h.issuer('beta')}/device/user`)).status).toBe(302)
  })
})
