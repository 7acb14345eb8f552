/**
 * ForgeRock's JavaScript SDK 4.9, unchanged, against the reference provider in Debian's
 * Chromium: the page (app/forgerock.ts) is served on one loopback origin and the provider on
 * another, so every credentialed call really goes through the provider's CORS.
 */
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { chromium, type Browser, type Page } from 'playwright-core'
import { createProvider, type Provider } from '@realmauth/server'
import { listen, type RunningProvider } from '@realmauth/server/node'
import { CHROMIUM, CHROMIUM_ARGS, serveTestPage, type TestPageServer } from './e2eHarness.js'

const entry = fileURLToPath(new URL('./app/forgerock.ts', import.meta.url))
const DEMO = { username: 'demo', password: 'Ch4ng3-it!' }

let provider: Provider
let running: RunningProvider
let providerOrigin: string
let app: TestPageServer
let browser: Browser
let page: Page
/** Seconds the provider's clock runs ahead of the wall clock; tests move it, none waits. */
let offset = 0
/** Requests the browser failed (a CORS refusal shows up here) and console complaints about CORS. */
const blocked: string[] = []

beforeAll(async () => {
  app = await serveTestPage(entry, {
    config: () => ({ baseUrl: `${providerOrigin}/` }),
    route: async (request) => {
      const url = new URL(request.url)
      // The redirect URI the SDK's hidden iframe lands on: it reads the code from the URL.
      if (url.pathname === '/callback') return new Response('<!doctype html><title>callback</title>', { headers: { 'content-type': 'text/html' } })
      if (url.pathname !== '/api/hello') return undefined
      // A protected resource on the app's origin, asking the provider's tokeninfo as AM's resource servers do.
      const info = await provider.fetch(new Request(`${provider.issuer('alpha', providerOrigin)}/tokeninfo`, { headers: { authorization: request.headers.get('authorization') ?? '' } }))
      const body = (await info.json()) as { sub?: string }
      return Response.json(info.status === 200 ? { hello: body.sub } : { error: 'invalid_token' }, { status: info.status === 200 ? 200 : 401 })
    },
  })
  provider = createProvider({
    clock: () => Date.now() + offset * 1000,
    realms: [
      {
        name: 'alpha',
        allow_implied_consent: true,
        clients: [
          {
            client_id: 'spa',
            token_endpoint_auth_method: 'none',
            redirect_uris: [`${app.origin}/callback`],
            scope: 'openid profile',
            implied_consent: true,
            // Inside the SDK's 30-second renewal window from the start: every API call renews.
            access_token_lifetime: 20,
          },
          { client_id: 'rs', client_secret: 'rs-secret', grant_types: ['client_credentials'], scope: 'am-introspect-all-tokens' },
        ],
        users: [{ ...DEMO, name: 'Demo User' }],
      },
    ],
  })
  running = await listen(provider, { port: 0, host: '127.0.0.1' })
  providerOrigin = `http://127.0.0.1:${running.port}`
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS })
  page = await browser.newPage()
  page.on('requestfailed', (r) => blocked.push(`${r.method()} ${r.url()}: ${r.failure()?.errorText}`))
  page.on('console', (m) => {
    if (/CORS|Access-Control/i.test(m.text())) blocked.push(m.text())
  })
  await page.goto(`${app.origin}/`)
  await page.waitForFunction(() => document.body.dataset.ready === 'true')
})
afterAll(async () => {
  await browser?.close()
  await running?.close()
  await app?.close()
})

async function introspect(token: string): Promise<boolean> {
  const res = await provider.fetch(
    new Request(`${provider.issuer('alpha', providerOrigin)}/introspect`, {
      method: 'POST',
      headers: { authorization: 'Basic ' + btoa('rs:rs-secret'), 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token }),
    }),
  )
  return ((await res.json()) as { active: boolean }).active
}

async function sessionInfo(cookie: string): Promise<number> {
  const res = await provider.fetch(
    new Request(`${providerOrigin}/json/realms/root/realms/alpha/sessions?_action=getSessionInfo`, { method: 'POST', headers: { cookie: `iPlanetDirectoryPro=${cookie}`, 'accept-api-version': 'resource=4.0' } }),
  )
  return res.status
}

describe('ForgeRock JavaScript SDK 4.9 against the provider', () => {
  it('a wrong password ends in LoginFailure', async () => {
    expect(await page.evaluate(() => window.fr.login('demo', 'wrong'))).toBe('LoginFailure')
  })

  it("restarts the journey when AM answers a timed-out authId with errorCode 110, and signs in", async () => {
    expect(await page.evaluate(() => window.fr.beginLogin())).toBe('Step')
    offset += 301 // past the step's five minutes, as a user who left the form open
    const result = await page.evaluate(({ u, p }) => window.fr.finishLogin(u, p), { u: DEMO.username, p: DEMO.password })
    expect(result).toEqual({ type: 'LoginSuccess', recovered: { code: 401, message: 'Session has timed out', errorCode: '110' } })
    expect(await page.evaluate(() => window.fr.logout())).toMatchObject({ ok: true })
    offset = 0
  })

  it('signs in, gets tokens through the iframe, reads the user, calls an API with renewal, and logs out', async () => {
    expect(await page.evaluate(({ u, p }) => window.fr.login(u, p), { u: DEMO.username, p: DEMO.password })).toBe('LoginSuccess')
    const cookie = (await page.context().cookies(providerOrigin)).find((c) => c.name === 'iPlanetDirectoryPro')!.value
    expect(await sessionInfo(cookie)).toBe(200)

    const tokens = await page.evaluate(() => window.fr.getTokens())
    expect(tokens).toMatchObject({ ok: true })
    const first = (tokens as { value: string }).value
    expect(await introspect(first)).toBe(true)

    expect(await page.evaluate(() => window.fr.currentUser())).toMatchObject({ ok: true, value: { sub: 'demo', name: 'Demo User' } })

    // The token expires within the SDK's window: the call renews it (revoke, iframe, code) first.
    expect(await page.evaluate(() => window.fr.callApi())).toEqual({ ok: true, value: { hello: 'demo' } })
    const renewed = await page.evaluate(() => window.fr.storedAccessToken())
    expect(renewed).toBeTruthy()
    expect(renewed).not.toBe(first)
    expect(await introspect(first)).toBe(false)
    expect(await introspect(renewed!)).toBe(true)

    expect(await page.evaluate(() => window.fr.logout())).toMatchObject({ ok: true })
    expect(await sessionInfo(cookie)).toBe(401)
    expect(await introspect(renewed!)).toBe(false)
    expect(await page.evaluate(() => window.fr.storedAccessToken())).toBeUndefined()
    // Without a session, the iframe's prompt=none comes back with login_required.
    expect(await page.evaluate(() => window.fr.getTokens())).toMatchObject({ ok: false })
    expect(blocked).toEqual([])
  })
})
