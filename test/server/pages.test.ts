import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEMO, demoConfig, type ProviderConfig } from '@realmauth/server'
import { Browser, MODES, parseForm, startHarness, type Harness } from './harness.js'
import { pkce } from './flows.js'

const XSS = '<script>alert(1)</script>'

function config(): ProviderConfig {
  const c = demoConfig()
  c.realms[0]!.clients!.push({
    client_id: 'xss',
    client_secret: 'xss-secret-value',
    client_name: XSS,
    redirect_uris: ['http://localhost:3000/xss'],
    scope: 'openid profile email phone',
  })
  c.realms[0]!.allow_dynamic_registration = true
  c.realms.push({ name: 'closed' })
  return c
}

describe.each(MODES)('provider pages (%s)', (mode) => {
  let h: Harness
  beforeAll(async () => {
    h = await startHarness(mode, config())
  })
  afterAll(() => h.close())

  /** Signs in from an authorization request of `clientId`; answers the sign-in page's HTML and the consent page's. */
  async function toConsent(clientId: string, redirectUri: string, scope: string) {
    const b = new Browser(h)
    const q = new URLSearchParams({ client_id: clientId, redirect_uri: redirectUri, response_type: 'code', scope, state: 's1', code_challenge: pkce().challenge, code_challenge_method: 'S256' })
    let res = await b.get(`${h.issuer()}/authorize?${q}`)
    res = await b.get(res.headers.get('location')!)
    const signIn = await res.text()
    const login = parseForm(signIn)
    res = await b.post(new URL(login.action, h.origin).href, { ...login.fields, username: DEMO.user.username, password: DEMO.user.password })
    res = await b.get(res.headers.get('location')!)
    expect(res.status).toBe(200)
    return { b, signIn, consent: await res.text() }
  }

  it('the landing page lists realms, issuers, discovery links and client ids, and no secrets', async () => {
    const res = await h.fetch(`${h.origin}/`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/^text\/html/)
    const html = await res.text()
    expect(html).toContain('<code>/alpha</code>')
    expect(html).toContain(h.issuer())
    expect(html).toContain(`href="${h.issuer()}/.well-known/openid-configuration"`)
    for (const id of [DEMO.spa.client_id, DEMO.web.client_id, DEMO.m2m.client_id, 'xss']) expect(html).toContain(`<code>${id}</code>`)
    expect(html).toContain(DEMO.web.redirect_uri)
    for (const secret of [DEMO.web.client_secret, DEMO.m2m.client_secret, 'xss-secret-value']) expect(html).not.toContain(secret)
    expect(html).toContain('decoded, not verified')
    // The decoder's script runs under a nonce; nothing else may.
    const nonce = /<script nonce="([^"]+)">/.exec(html)![1]!
    expect(res.headers.get('content-security-policy')).toContain(`script-src 'nonce-${nonce}'`)
  })

  it('the landing page lists configured clients only, and points to registration instead of listing registered ones', async () => {
    const registered = await h.fetch(`${h.issuer()}/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ client_name: 'Somebody else’s app', redirect_uris: ['https://stranger.example/callback'], token_endpoint_auth_method: 'none' }),
    })
    expect(registered.status).toBe(201)
    const { client_id } = (await registered.json()) as { client_id: string }
    const html = await (await h.fetch(`${h.origin}/`)).text()
    for (const leak of [client_id, 'Somebody else', 'stranger.example']) expect(html).not.toContain(leak)
    expect(html).toContain(`<code>${DEMO.web.client_id}</code>`)
    expect(html).toContain(`<code>POST ${h.issuer()}/register</code>`)
    // A realm without open registration says so rather than pointing at an endpoint that refuses.
    const closed = html.slice(html.indexOf('<code>/closed</code>'))
    expect(closed).toContain('Dynamic client registration is off in this realm.')
    expect(closed).not.toContain('/register')
  })

  it('the landing page escapes a client name', async () => {
    const html = await (await h.fetch(`${h.origin}/`)).text()
    expect(html).not.toContain(XSS)
    expect(html).toContain('&#60;script&#62;alert(1)&#60;/script&#62;')
  })

  it('sign-in and consent name the app and say the scopes in words; Cancel sends access_denied', async () => {
    const { b, signIn, consent } = await toConsent(DEMO.web.client_id, DEMO.web.redirect_uri, 'openid profile email phone')
    expect(signIn).toContain('to continue to <strong class="app">Demo web app</strong>')
    expect(consent).toContain('Demo web app wants to access your account')
    // Each scope with what it shares of the user, in AM's words for the standard claims.
    expect(consent).toContain(
      '<ul class="scopes"><li>Sign you in</li>' +
        '<li>Your name and profile<ul class="claims"><li>Full name: Demo User</li><li>Family name: User</li><li>Given name: Demo</li><li>Username: demo</li></ul></li>' +
        '<li>Your email address<ul class="claims"><li>Email address: demo@example.com</li><li>Email address verified: yes</li></ul></li>' +
        '<li>Your phone number<ul class="claims"><li>Phone number: +1 555 0100</li></ul></li></ul>',
    )
    expect(consent).toContain('id="deny">Cancel</button>')
    const form = parseForm(consent)
    const res = await b.post(form.action, { ...form.fields, decision: 'deny' })
    expect(res.status).toBe(302)
    const location = new URL(res.headers.get('location')!)
    expect(location.href.startsWith(`${DEMO.web.redirect_uri}?`)).toBe(true)
    expect(location.searchParams.get('error')).toBe('access_denied')
    expect(location.searchParams.get('state')).toBe('s1')
  })

  it('escapes a client name that carries markup on the sign-in and consent pages', async () => {
    const { signIn, consent } = await toConsent('xss', 'http://localhost:3000/xss', 'openid')
    for (const html of [signIn, consent]) {
      expect(html).not.toContain(XSS)
      expect(html).toContain('&#60;script&#62;alert(1)&#60;/script&#62;')
    }
  })
})
