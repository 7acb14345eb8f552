/**
 * oidc-client-ts 3 (the library under react-oidc-context, which many SPAs pointed at AM use),
 * unchanged, in Chromium against the reference provider over HTTP: the page (app/oidcClientTs.ts)
 * is served on one loopback origin and the provider on another, so discovery, token, userinfo
 * and revocation all go through the provider's CORS (the library never fetches the JWKS: it
 * does not check ID-token signatures; the page fetches it once, as an app that does). Both are on 127.0.0.1, one site,
 * so the provider's SameSite=Lax session cookie reaches the library's hidden iframe as it does
 * when app and AM share a registrable domain.
 *
 * Time: the page's clock is Playwright's (installed before the first page loads) and the
 * provider's is the wall clock plus `offset`; tests move both together, none waits.
 */
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { chromium, type Browser, type Page } from 'playwright-core'
import { createLocalJWKSet, decodeJwt, jwtVerify, type JSONWebKeySet } from 'jose'
import { createProvider, type ClientConfig, type Provider } from '@realmauth/server'
import { listen, type RunningProvider } from '@realmauth/server/node'
import { CHROMIUM, CHROMIUM_ARGS, countingGrants, serveTestPage, type TestPageServer } from './e2eHarness.js'

const entry = fileURLToPath(new URL('./app/oidcClientTs.ts', import.meta.url))
const DEMO = { username: 'demo', password: 'Ch4ng3-it!' }
/** Access-token life: past oidc-client-ts's 60-second renewal notice, reached by moving clocks. */
const LIFE = 120
/** ID-token life: shorter than the provider session, so a sign-out can come after it. */
const ID_LIFE = 300

let provider: Provider
let running: RunningProvider
let issuer: string
let app: TestPageServer
let browser: Browser
let page: Page
let offset = 0
/** Token requests by grant type. */
const grants: Record<string, number> = {}
/** Every authorize and endSession URL the browser loaded, top-level or in the library's iframe. */
const visited: URL[] = []
/** Requests the browser failed (a CORS refusal shows up here) and console complaints about CORS. */
const blocked: string[] = []

beforeAll(async () => {
  app = await serveTestPage(entry, { config: () => ({ authority: issuer }) })
  const client = (id: string, grantTypes: string[], impliedConsent = true): ClientConfig => ({
    client_id: id,
    token_endpoint_auth_method: 'none',
    redirect_uris: ['callback', 'silent', 'popup'].map((route) => `${app.origin}/${id}/${route}`),
    post_logout_redirect_uris: [`${app.origin}/${id}/signed-out`],
    grant_types: grantTypes,
    scope: 'openid profile email',
    implied_consent: impliedConsent,
  })
  provider = createProvider({
    clock: () => Date.now() + offset * 1000,
    realms: [
      {
        name: 'alpha',
        allow_implied_consent: true,
        access_token_lifetime: LIFE,
        id_token_lifetime: ID_LIFE,
        clients: [
          // With refresh tokens: oidc-client-ts renews with them, no iframe.
          client('spa', ['authorization_code', 'refresh_token']),
          // Without: it renews through a hidden iframe with prompt=none.
          client('spa-iframe', ['authorization_code']),
          // With the library's DPoP; the second also with its userinfo call.
          client('spa-dpop', ['authorization_code', 'refresh_token']),
          client('spa-dpop-userinfo', ['authorization_code', 'refresh_token']),
          // Asks the user's consent, which the test refuses.
          client('spa-consent', ['authorization_code'], false),
          { client_id: 'rs', client_secret: 'rs-secret', grant_types: ['client_credentials'], scope: 'am-introspect-all-tokens' },
        ],
        users: [{ ...DEMO, name: 'Demo User', email: 'demo@example.com' }],
      },
    ],
  })
  running = await listen(countingGrants(provider, grants), { port: 0, host: '127.0.0.1' })
  issuer = provider.issuer('alpha', `http://127.0.0.1:${running.port}`)
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS })
  const context = await browser.newContext()
  await context.clock.install()
  page = await context.newPage()
  page.on('request', (r) => {
    const url = new URL(r.url())
    if (/\/(authorize|connect\/endSession)$/.test(url.pathname)) visited.push(url)
  })
  page.on('requestfailed', (r) => blocked.push(`${r.method()} ${r.url()}: ${r.failure()?.errorText}`))
  page.on('console', (m) => {
    if (/CORS|Access-Control/i.test(m.text())) blocked.push(m.text())
  })
})
afterAll(async () => {
  await browser?.close()
  await running?.close()
  await app?.close()
})

async function open(path: string): Promise<void> {
  await page.goto(app.origin + path)
  await page.waitForFunction(() => document.body.dataset.ready === 'true')
}

/**
 * Starts `run` (a redirect away) in the page and waits for the page the provider sends the
 * browser back to, once it has handled the answer; `login` fills the login page on the way,
 * `atProvider` does what else the user does there.
 */
async function redirectAndBack(run: () => void, login = false, atProvider?: () => Promise<void>): Promise<void> {
  await page.evaluate(() => delete document.body.dataset.ready)
  await page.evaluate(run)
  await atProvider?.()
  if (login) {
    await page.waitForURL((url) => url.pathname.endsWith('/login'))
    await page.fill('#username', DEMO.username)
    await page.fill('#password', DEMO.password)
    await page.click('#sign-in')
  }
  await page.waitForFunction(() => document.body.dataset.ready === 'true' && window.ots.landed() !== undefined)
}

/** Moves the provider's and the page's clocks forward together, firing the page's due timers. */
async function advance(seconds: number): Promise<void> {
  offset += seconds
  await page.clock.runFor(seconds * 1000)
}

async function introspection(token: string): Promise<{ active: boolean; cnf?: { jkt?: string } }> {
  const res = await provider.fetch(
    new Request(`${issuer}/introspect`, {
      method: 'POST',
      headers: { authorization: 'Basic ' + btoa('rs:rs-secret'), 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token }),
    }),
  )
  return (await res.json()) as { active: boolean; cnf?: { jkt?: string } }
}
const introspect = async (token: string) => (await introspection(token)).active

async function providerSession(): Promise<string | undefined> {
  return (await page.context().cookies(issuer)).find((c) => c.name === 'iPlanetDirectoryPro')?.value
}

/** The query of the library's last request to the endpoint ending with `path` (not the provider's own return there after its login page). */
function lastVisit(path: string): Record<string, string> {
  const library = visited.filter((url) => url.pathname.endsWith(path) && !url.searchParams.has('interaction'))
  return Object.fromEntries(library[library.length - 1]!.searchParams)
}

type Summary = NonNullable<Awaited<ReturnType<Window['ots']['user']>>>

describe('oidc-client-ts 3 in Chromium against the provider', () => {
  it('reads discovery cross-origin and signs in by redirect through the login page: profile from userinfo, expires_in, a genuine ID token', async () => {
    await open('/spa/')
    const metadata = await page.evaluate(() => window.ots.metadata())
    expect(metadata).toMatchObject({ ok: true, value: { issuer, token_endpoint: `${issuer}/access_token`, end_session_endpoint: `${issuer}/connect/endSession` } })
    const pageKeys = await page.evaluate(async (url) => ((await (await fetch(url)).json()) as { keys: unknown[] }).keys.length, `${issuer}/connect/jwk_uri`)
    expect(pageKeys).toBeGreaterThan(0)

    await redirectAndBack(() => window.ots.signinRedirect(), true)
    // PKCE with S256 and no nonce: oidc-client-ts sends one only when the app passes it.
    const asked = lastVisit('/authorize')
    expect(asked).toMatchObject({ client_id: 'spa', response_type: 'code', scope: 'openid profile email', code_challenge_method: 'S256', redirect_uri: `${app.origin}/spa/callback` })
    expect(asked.nonce).toBeUndefined()
    expect(page.url()).toBe(`${app.origin}/spa/`)

    const landed = (await page.evaluate(() => window.ots.landed())) as { ok: boolean; value: Summary }
    expect(landed).toMatchObject({ ok: true, value: { profile: { sub: 'demo', name: 'Demo User', email: 'demo@example.com' }, token_type: 'Bearer', scope: 'openid profile email' } })
    const user = (await page.evaluate(() => window.ots.user()))!
    expect(user.access_token).toBe(landed.value.access_token)
    expect(user.expires_in).toBeGreaterThan(LIFE - 5)
    expect(user.expires_in).toBeLessThanOrEqual(LIFE)
    expect(user.refresh_token).toBeTruthy()
    // oidc-client-ts checks the state and that the ID token has a sub, not its signature,
    // issuer or audience (it trusts the TLS answer of the token endpoint); the token it kept
    // is signed by the realm's key for this client.
    const jwks = (await (await provider.fetch(new Request(`${issuer}/connect/jwk_uri`))).json()) as JSONWebKeySet
    const { payload } = await jwtVerify(user.id_token!, createLocalJWKSet(jwks), { issuer, audience: 'spa', currentDate: new Date(Date.now() + offset * 1000) })
    expect(payload).toMatchObject({ sub: 'demo', azp: 'spa' })
    expect(await page.evaluate(() => window.ots.stored())).toEqual([`oidc.user:${issuer}:spa`])
    expect(await providerSession()).toBeTruthy()
  })

  it('signinSilent uses the refresh token, which the provider rotates; the ID token keeps its sub and auth_time', async () => {
    const before = (await page.evaluate(() => window.ots.user()))!
    const refreshes = grants.refresh_token ?? 0
    const renewed = await page.evaluate(() => window.ots.signinSilent())
    expect(renewed).toMatchObject({ ok: true, value: { profile: { sub: 'demo', name: 'Demo User' } } })
    const after = (renewed as { value: Summary }).value
    expect(grants.refresh_token).toBe(refreshes + 1)
    expect(after.access_token).not.toBe(before.access_token)
    expect(after.refresh_token).not.toBe(before.refresh_token)
    expect(await introspect(before.refresh_token!)).toBe(false)
    expect(await introspect(after.refresh_token!)).toBe(true)
  })

  it('automaticSilentRenew: 60 seconds before expiry the library renews with the refresh token', async () => {
    const before = (await page.evaluate(() => window.ots.user()))!
    const refreshes = grants.refresh_token ?? 0
    const loaded = (await page.evaluate(() => window.ots.events())).filter((e) => e === 'userLoaded').length
    await advance(LIFE - 60 + 5)
    await page.waitForFunction((n) => window.ots.events().filter((e) => e === 'userLoaded').length > n, loaded)
    expect(await page.evaluate(() => window.ots.events())).toContain('accessTokenExpiring')
    expect(await page.evaluate(() => window.ots.events())).not.toContainEqual(expect.stringMatching(/^silentRenewError/))
    expect(grants.refresh_token).toBe(refreshes + 1)
    const after = (await page.evaluate(() => window.ots.user()))!
    expect(after.access_token).not.toBe(before.access_token)
    expect(after.expires_in).toBeGreaterThan(LIFE - 5)
  })

  it('without a refresh token, signinSilent renews in a hidden iframe with prompt=none on the provider session', async () => {
    await open('/spa-iframe/')
    // The provider session from the first sign-in: no login page this time.
    await redirectAndBack(() => window.ots.signinRedirect())
    const first = (await page.evaluate(() => window.ots.user()))!
    expect(first).toMatchObject({ profile: { sub: 'demo', name: 'Demo User' } })
    expect(first.refresh_token).toBeUndefined()

    const codes = grants.authorization_code ?? 0
    const refreshes = grants.refresh_token ?? 0
    const renewed = await page.evaluate(() => window.ots.signinSilent())
    expect(renewed).toMatchObject({ ok: true, value: { profile: { sub: 'demo' } } })
    expect(lastVisit('/authorize')).toMatchObject({ client_id: 'spa-iframe', prompt: 'none', redirect_uri: `${app.origin}/spa-iframe/silent` })
    expect((renewed as { value: Summary }).value.access_token).not.toBe(first.access_token)
    expect(grants.authorization_code).toBe(codes + 1)
    expect(grants.refresh_token ?? 0).toBe(refreshes)
  })

  it('querySessionStatus answers null while signed in: the provider sends no session_state (no OIDC Session Management, decision 0064)', async () => {
    expect(await page.evaluate(() => window.ots.querySessionStatus())).toEqual({ ok: true, value: null })
  })

  it('signinPopup signs in in a popup the library closes', async () => {
    const popupOpened = page.waitForEvent('popup')
    const outcome = page.evaluate(() => window.ots.signinPopup())
    const popup = await popupOpened
    expect(await outcome).toMatchObject({ ok: true, value: { profile: { sub: 'demo', name: 'Demo User' } } })
    await expect.poll(() => popup.isClosed()).toBe(true)
  })

  it('with DPoP: the code is bound with dpop_jkt, the tokens to the key, and refresh and userinfo carry proofs', async () => {
    await open('/spa-dpop/')
    await redirectAndBack(() => window.ots.signinRedirect())
    const jkt = lastVisit('/authorize').dpop_jkt
    expect(jkt).toMatch(/^[\w-]{43}$/)
    expect(await page.evaluate(() => window.ots.landed())).toMatchObject({ ok: true, value: { token_type: 'DPoP', profile: { sub: 'demo' } } })
    const user = (await page.evaluate(() => window.ots.user()))!
    expect(await introspection(user.access_token)).toMatchObject({ active: true, cnf: { jkt } })
    expect(await page.evaluate(() => window.ots.userinfo())).toMatchObject({ status: 200, body: { sub: 'demo', name: 'Demo User' } })

    const refreshes = grants.refresh_token ?? 0
    const renewed = await page.evaluate(() => window.ots.signinSilent())
    expect(renewed).toMatchObject({ ok: true, value: { token_type: 'DPoP' } })
    expect(grants.refresh_token).toBe(refreshes + 1)
    expect(await introspection((renewed as { value: Summary }).value.access_token)).toMatchObject({ active: true, cnf: { jkt } })
  })

  it('with DPoP and loadUserInfo, sign-in fails: oidc-client-ts sends the DPoP-bound token to userinfo as Bearer, which RFC 9449 section 7.1 says to refuse (its issue #2182)', async () => {
    await open('/spa-dpop-userinfo/')
    await redirectAndBack(() => window.ots.signinRedirect())
    expect(await page.evaluate(() => window.ots.landed())).toMatchObject({ ok: false, error: 'invalid_token' })
    expect(await page.evaluate(() => window.ots.user())).toBeNull()
  })

  it('a user who refuses consent comes back with access_denied, which oidc-client-ts matches to its state and throws', async () => {
    await open('/spa-consent/')
    await redirectAndBack(
      () => window.ots.signinRedirect(),
      false,
      () => page.click('#deny'),
    )
    expect(await page.evaluate(() => window.ots.landed())).toMatchObject({ ok: false, error: 'access_denied' })
    expect(await page.evaluate(() => window.ots.user())).toBeNull()
  })

  it('revokeTokens revokes the access and refresh tokens at the provider', async () => {
    await open('/spa/')
    const user = (await page.evaluate(() => window.ots.user()))!
    expect(await introspect(user.access_token)).toBe(true)
    expect(await page.evaluate(() => window.ots.revokeTokens())).toEqual({ ok: true, value: undefined })
    expect(await introspect(user.access_token)).toBe(false)
    expect(await introspect(user.refresh_token!)).toBe(false)
    // The library forgets the refresh token but keeps the revoked access token, which an API now refuses.
    expect(await page.evaluate(() => window.ots.user())).toMatchObject({ access_token: user.access_token, refresh_token: null })
  })

  it('signoutRedirect with an expired ID token as id_token_hint ends the provider session and returns with the state; then silent renewal is login_required', async () => {
    const { id_token } = (await page.evaluate(() => window.ots.user()))!
    expect(await providerSession()).toBeTruthy()
    // The user signs out after the ID token expired, as most do. Only the provider's clock
    // moves: the page's would fire the library's renewal, which fetches a fresh ID token.
    offset += ID_LIFE + 1
    expect(decodeJwt(id_token!).exp! * 1000).toBeLessThan(Date.now() + offset * 1000)
    await redirectAndBack(() => window.ots.signoutRedirect())
    expect(new URL(page.url()).pathname).toBe('/spa/signed-out')
    expect(lastVisit('/connect/endSession')).toMatchObject({ post_logout_redirect_uri: `${app.origin}/spa/signed-out`, state: expect.any(String) })
    expect(lastVisit('/connect/endSession').id_token_hint).toBe(id_token)
    expect(await page.evaluate(() => window.ots.landed())).toEqual({ ok: true, value: { state: 'bye' } })
    expect(await page.evaluate(() => window.ots.user())).toBeNull()
    expect(await providerSession()).toBeUndefined()

    await open('/spa-iframe/')
    expect(await page.evaluate(() => window.ots.signinSilent())).toMatchObject({ ok: false, error: 'login_required' })
    expect(await page.evaluate(() => window.ots.querySessionStatus())).toMatchObject({ ok: false, error: 'login_required' })
    expect(blocked).toEqual([])
  })
})
