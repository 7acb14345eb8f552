/**
 * @realmauth/server/testing under Playwright, as an app's end-to-end test uses it: a provider
 * on a port for this file, a user with custom claims, the SPA on `localhost` signing in
 * through the provider's own page with the kit's `test-app` client.
 */
import { afterAll, beforeAll, expect, it } from 'vitest'
import { chromium, type Browser } from 'playwright-core'
import { TEST_CLIENT, startTestProvider, type TestProvider } from '@realmauth/server/testing'
import { CHROMIUM, CHROMIUM_ARGS, serveTestPage, type TestPageServer } from './e2eHarness.js'

const ADA = { username: 'ada', password: 'analytical-3ngine', name: 'Ada Lovelace', claims: { groups: ['admins'] } }

let idp: TestProvider
let app: TestPageServer
let browser: Browser
// TEST_CLIENT takes http://localhost on any port; the page server listens on 127.0.0.1.
const appOrigin = () => app.origin.replace('127.0.0.1', 'localhost')

beforeAll(async () => {
  idp = await startTestProvider({ http: true, users: [ADA] })
  app = await serveTestPage('test/browser/app/main.ts', {
    config: () => ({ issuer: idp.issuer, clientId: TEST_CLIENT.client_id, origin: appOrigin(), offsetMs: 0, profile: true }),
  })
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS })
})
afterAll(async () => {
  await browser?.close()
  await app?.close()
  await idp?.close()
})

it("signs a test user in on the provider's page; the app sees their custom claims", async () => {
  const page = await (await browser.newContext()).newPage()
  await page.goto(`${appOrigin()}/`)
  await page.waitForFunction(() => document.body.dataset.ready === 'true')
  await page.evaluate(() => void window.app.client.signIn())
  await page.waitForURL((url) => url.pathname.endsWith('/login'))
  await page.fill('#username', ADA.username)
  await page.fill('#password', ADA.password)
  await page.click('#sign-in')
  await page.waitForURL((url) => url.pathname === '/callback')
  await page.waitForFunction(() => document.body.dataset.ready === 'true' && document.body.dataset.status === 'signed_in')
  expect(await page.evaluate(() => window.app.client.getUser())).toMatchObject({ sub: 'ada', name: 'Ada Lovelace', groups: ['admins'] })
})
