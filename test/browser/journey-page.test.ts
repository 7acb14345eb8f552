/**
 * The provider's hosted sign-in page running a journey in Debian's Chromium: a choice, a
 * message with buttons, then username, password and a TOTP code, one form per step.
 */
import { afterAll, beforeAll, expect, it } from 'vitest'
import { chromium, type Browser, type Page } from 'playwright-core'
import { createProvider } from '@realmauth/server'
import { listen, type RunningProvider } from '@realmauth/server/node'
import { CHROMIUM, CHROMIUM_ARGS } from './e2eHarness.js'
import { totp, wrongTotp } from '../server/totp.js'

const SECRET = 'JBSWY3DPEHPK3PXP'
let running: RunningProvider
let origin: string
let browser: Browser

beforeAll(async () => {
  const provider = createProvider({
    realms: [
      {
        name: 'alpha',
        users: [{ username: 'demo', password: 'Ch4ng3-it!', totp_secret: SECRET }],
        journeys: {
          Mfa: {
            entry: 'how',
            nodes: {
              how: { type: 'ChoiceCollector', prompt: 'Continue with', choices: ['password', 'nothing'], outcomes: { password: 'notice', nothing: 'failed' } },
              notice: { type: 'Message', message: 'A code from your app comes next.', positive: 'Continue', negative: 'Cancel', outcomes: { true: 'credentials', false: 'failed' } },
              credentials: { type: 'Page', nodes: [{ type: 'UsernameCollector' }, { type: 'PasswordCollector' }], outcomes: { outcome: 'check' } },
              check: { type: 'DataStoreDecision', outcomes: { true: 'otp', false: 'failed' } },
              otp: { type: 'OneTimePassword', outcomes: { true: 'done', false: 'failed' } },
              done: { type: 'Success' },
              failed: { type: 'Failure' },
            },
          },
        },
      },
    ],
  })
  running = await listen(provider, { port: 0, host: '127.0.0.1' })
  origin = `http://127.0.0.1:${running.port}`
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS })
})
afterAll(async () => {
  await browser?.close()
  await running?.close()
})

/** Opens the Mfa journey in a new page and answers every step up to the one-time password with `code`. */
async function signIn(code: (secret: string, ms: number) => string): Promise<Page> {
  const page = await browser.newPage()
  await page.goto(`${origin}/login?realm=/alpha&service=Mfa`)
  await page.check('input[type=radio][value="0"]')
  await page.click('#sign-in')
  await expect.poll(() => page.textContent('.journey-message')).toBe('A code from your app comes next.')
  await page.click('button:has-text("Continue")')
  await page.fill('#username', 'demo')
  await page.fill('#password', 'Ch4ng3-it!')
  await page.click('#sign-in')
  await page.waitForSelector('text=One-time password')
  await page.fill('#password', code(SECRET, Date.now()))
  await page.click('#sign-in')
  return page
}

const hasSession = async (page: Page) => (await page.context().cookies(origin)).some((c) => c.name === 'iPlanetDirectoryPro')

it('walks a choice, a message, credentials and a one-time password to a session', async () => {
  const page = await signIn(totp)
  expect(await page.textContent('#message')).toBe('You are signed in as demo.')
  expect(await hasSession(page)).toBe(true)
})

it('a wrong code starts the journey again with the reason shown', async () => {
  const page = await signIn(wrongTotp)
  expect(await page.textContent('[role=alert]')).toBe('Wrong username or password.')
  expect(await page.isVisible('input[type=radio]')).toBe(true)
  expect(await hasSession(page)).toBe(false)
})
