/**
 * @realmauth/browser in Chromium against node-oidc-provider 9: the test SPA (app/main.ts)
 * signs in through the provider's own pages with PAR and a DPoP key in IndexedDB, calls its
 * userinfo cross-origin, refreshes, and signs out through its logout confirmation.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Page } from 'playwright-core'
import { chromium, type Browser } from 'playwright-core'
import { CHROMIUM, CHROMIUM_ARGS, serveTestPage, type TestPageServer } from './e2eHarness.js'
import { OP_USER, startOidcProvider9, type OidcProvider9 } from '../support/oidcProvider9.js'

describe('the browser client against node-oidc-provider 9', () => {
  let op: OidcProvider9
  let app: TestPageServer
  let browser: Browser

  beforeAll(async () => {
    let issuer = ''
    // The page's redirect URI names its origin, the provider's client names the page: the page first.
    app = await serveTestPage('test/browser/app/main.ts', { config: () => ({ issuer, clientId: 'spa', origin: app.origin, offsetMs: 0, dpop: true }) })
    op = await startOidcProvider9({
      clients: [
        {
          client_id: 'spa',
          token_endpoint_auth_method: 'none',
          grant_types: ['authorization_code', 'refresh_token'],
          response_types: ['code'],
          redirect_uris: [`${app.origin}/callback`],
          post_logout_redirect_uris: [`${app.origin}/`],
          dpop_bound_access_tokens: true,
        },
      ],
      features: { dPoP: { enabled: true }, rpInitiatedLogout: { enabled: true } },
    })
    issuer = op.issuer
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS })
  })
  afterAll(async () => {
    await browser?.close()
    await op?.close()
    await app?.close()
  })

  const ready = (page: Page) => page.waitForFunction(() => document.body.dataset.ready === 'true')

  it('signs in through its pages with PAR and DPoP, reads userinfo, refreshes, and signs out through its confirmation', async () => {
    const page = await (await browser.newContext()).newPage()
    await page.goto(`${app.origin}/`)
    await ready(page)
    const authorize: string[] = []
    page.on('request', (r) => {
      if (new URL(r.url()).pathname === '/auth') authorize.push(r.url())
    })

    await page.evaluate(() => void window.app.client.signIn({ prompt: 'consent', scope: 'openid profile offline_access' }))
    await page.waitForURL((url) => url.pathname.startsWith('/interaction/'))
    await page.fill('input[name=login]', OP_USER.sub)
    await page.fill('input[name=password]', 'any')
    await page.click('button[type=submit]')
    // Its consent page: "Continue".
    await page.waitForSelector('input[name=prompt][value=consent]', { state: 'attached' })
    await page.click('button[type=submit]')
    await page.waitForURL((url) => url.pathname === '/callback')
    await ready(page)

    expect([...new URL(authorize[0]!).searchParams.keys()].sort()).toEqual(['client_id', 'request_uri'])
    const signedIn = await page.evaluate(() => ({ snapshot: window.app.client.getSnapshot(), error: window.app.lastError }))
    expect(signedIn.error).toBeUndefined()
    expect(signedIn.snapshot).toMatchObject({ status: 'signed_in', user: { sub: OP_USER.sub }, tokens: { tokenType: 'dpop' } })
    // The callback's code, state and iss are gone from the address bar.
    expect(new URL(page.url()).search).toBe('')

    const issuer = op.issuer
    expect(await page.evaluate(async (me) => (await window.app.client.authFetch(me)).json(), `${issuer}/me`)).toMatchObject({ sub: OP_USER.sub, name: OP_USER.name })

    const refreshed = await page.evaluate(async () => {
      const before = window.app.client.getSnapshot().tokens!.accessToken
      await window.app.client.auth.refresh()
      return { changed: window.app.client.getSnapshot().tokens!.accessToken !== before, error: window.app.client.getSnapshot().error?.code }
    })
    expect(refreshed).toEqual({ changed: true })

    await page.evaluate(() => void window.app.client.signOut())
    await page.waitForURL((url) => url.pathname === '/session/end')
    await page.click('button[name=logout]')
    await page.waitForURL((url) => url.origin === app.origin && url.pathname === '/')
    await ready(page)
    expect(await page.evaluate(() => window.app.client.getSnapshot().status)).toBe('signed_out')
  })
})
