/**
 * Embedded sign-in in Debian's Chromium: the test SPA (app/journey.ts) runs AM journeys with
 * @realmauth/browser against the provider's journeys over HTTP on
 * another loopback port (cross-origin, same-site, credentialed CORS), then gets its tokens
 * with the code flow and prompt=none without showing a provider page.
 */
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { chromium, type Browser, type Page } from 'playwright-core'
import type { ProviderUnderTest } from '../clients/providerHarness.js'
import { AUTH_ID_LIFETIME_S, JOURNEY_USER, RETRY_LIMIT, TOTP_SECRET, startJourneyProvider, totp } from '../clients/journeyProvider.js'
import { CHROMIUM, CHROMIUM_ARGS, serveTestPage, type TestPageServer } from './e2eHarness.js'
import type { StepView } from './app/journey.js'

const entry = fileURLToPath(new URL('./app/journey.ts', import.meta.url))

let p: ProviderUnderTest
let app: TestPageServer
let browser: Browser

beforeAll(async () => {
  app = await serveTestPage(entry, {
    // The page's clock starts at the provider's (a test clock), so ID tokens are current to it.
    config: () => ({ issuer: p.issuer(), clientId: 'spa', origin: app.origin, offsetMs: p.clock.now - Date.now() }),
  })
  p = await startJourneyProvider('http', app.origin)
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS })
})
afterAll(async () => {
  await browser?.close()
  await app?.close()
  await p?.close()
})

async function open(): Promise<{ page: Page; providerPages: string[] }> {
  const page = await (await browser.newContext()).newPage()
  // Every document the browser loads from the provider: a page the user would have seen.
  const providerPages: string[] = []
  page.on('response', (r) => {
    if (r.request().resourceType() === 'document' && r.url().startsWith(new URL(p.issuer()).origin) && r.status() < 300) providerPages.push(r.url())
  })
  await page.goto(`${app.origin}/`)
  await page.waitForFunction(() => document.body.dataset.ready === 'true')
  return { page, providerPages }
}

const start = (page: Page, tree: string) => page.evaluate((t) => window.journey.start(t), tree)
const answer = (page: Page, values: { name?: string; password?: string; choice?: string }) => page.evaluate((v) => window.journey.answer(v), values)
const credentials = (page: Page, password = JOURNEY_USER.password) => answer(page, { name: JOURNEY_USER.username, password })

/** After a success the page redirects through authorize?prompt=none back to its callback. */
async function signedIn(page: Page) {
  await page.waitForURL((url) => url.pathname === '/callback')
  await page.waitForFunction(() => document.body.dataset.ready === 'true' && document.body.dataset.status === 'signed_in')
  return page.evaluate(() => ({ sub: window.app.client.getUser()?.sub, error: window.app.lastError?.code, path: location.pathname + location.search }))
}

describe('embedded sign-in in Chromium', () => {
  it('Login: name and password, then validated tokens without a provider page', async () => {
    const { page, providerPages } = await open()
    expect(await start(page, 'Login')).toMatchObject<StepView>({ type: 'step', kinds: ['name', 'password'], prompts: ['User Name', 'Password'] })
    expect((await credentials(page)).type).toBe('success')
    expect(await signedIn(page)).toEqual({ sub: 'demo', error: undefined, path: '/callback' })
    expect(providerPages).toEqual([])
    // Tokens are the browser client's as after a redirect sign-in: they refresh.
    expect(await page.evaluate(async () => (await window.app.client.auth.refresh()).claims?.sub)).toBe('demo')
  })

  it('a choice, then the password, then a TOTP code (one wrong first)', async () => {
    const { page } = await open()
    expect(await start(page, 'Choose')).toMatchObject({ kinds: ['choice'], prompts: ['How do you want to sign in?'] })
    expect(await answer(page, { choice: 'Password and code' })).toMatchObject({ stage: 'UsernamePassword' })
    expect(await credentials(page)).toMatchObject({ stage: 'OneTimePassword', prompts: ['One-time password'] })
    expect(await answer(page, { password: '000000' })).toMatchObject({ stage: 'UsernamePassword' })
    expect(await credentials(page)).toMatchObject({ stage: 'OneTimePassword' })
    expect((await answer(page, { password: totp(TOTP_SECRET, p.clock.now) })).type).toBe('success')
    expect((await signedIn(page)).sub).toBe('demo')
  })

  it('an expired authId and a tampered one fail with journey_expired; nothing is signed in', async () => {
    const { page } = await open()
    await start(page, 'Login')
    p.clock.advance(AUTH_ID_LIFETIME_S + 1)
    expect(await credentials(page)).toEqual({ type: 'error', error: { code: 'journey_expired', message: 'Session has timed out' } })
    await start(page, 'Login')
    await page.evaluate(() => window.journey.tamper())
    expect(await credentials(page)).toEqual({ type: 'error', error: { code: 'journey_expired', message: 'Session has timed out' } })
    expect(await page.evaluate(() => window.app.client.getSnapshot().status)).toBe('signed_out')
  })

  it('lockout: wrong codes up to the retry limit lock the account, worded as any failure (runs last: the lock stays)', async () => {
    const { page } = await open()
    await start(page, 'MFA')
    for (let i = 1; i < RETRY_LIMIT; i++) {
      await credentials(page)
      expect(await answer(page, { password: '000000' })).toMatchObject({ stage: 'UsernamePassword' })
    }
    await credentials(page)
    expect(await answer(page, { password: '000000' })).toEqual({ type: 'error', error: { code: 'journey_failed', message: 'Login failure' } })
    await start(page, 'Login')
    expect((await credentials(page)).error?.code).toBe('journey_failed')
  })
})
