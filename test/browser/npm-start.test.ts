import { spawn, type ChildProcess } from 'node:child_process'
import { statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { chromium, type Browser } from 'playwright-core'
import { CHROMIUM, CHROMIUM_ARGS, freePort } from './e2eHarness.js'

const root = fileURLToPath(new URL('../../', import.meta.url))
let start: ChildProcess
let browser: Browser
let appUrl: string
let output = ''


beforeAll(async () => {
  const [providerPort, appPort] = [await freePort(), await freePort()]
  // As a user runs it; `npm test` has built the packages already, so skip the build here.
  start = spawn('npm', ['start', '--', '--no-build', '--provider-port', String(providerPort), '--app-port', String(appPort)], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  })
  start.stdout!.on('data', (c: Buffer) => (output += c.toString()))
  start.stderr!.on('data', (c: Buffer) => (output += c.toString()))
  await new Promise<void>((resolve, reject) => {
    const check = setInterval(() => {
      if (output.includes('Press Ctrl+C')) {
        clearInterval(check)
        resolve()
      }
    }, 50)
    start.once('exit', (code) => reject(new Error(`npm start exited with ${code}:\n${output}`)))
  })
  appUrl = /Open (http:\/\/\S+)/.exec(output)![1]!
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS })
})

afterAll(async () => {
  await browser?.close()
  // npm runs the script in a child: end the whole process group.
  if (start?.pid) process.kill(-start.pid, 'SIGTERM')
})

it('npm start serves the React example: sign in, call the API, the live token panel, refreshes across two tabs, errors in words, sign out (screenshots)', async () => {
  expect(output).toContain('sign in as demo / Ch4ng3-it!')
  const context = await browser.newContext({ viewport: { width: 960, height: 800 } })
  // The pages run on Playwright's clock, so the test moves them past the refresh point instead
  // of waiting; the provider keeps real time, which DPoP's 60 s iat window allows for.
  await context.clock.install()
  const page = await context.newPage()
  await page.goto(appUrl)
  await page.click('#sign-in')
  await page.fill('#username', 'demo')
  await page.fill('#password', 'Ch4ng3-it!')
  await page.click('#sign-in')
  await page.waitForSelector('#call-api')
  expect(new URL(page.url()).search).toBe('') // the code left the address bar
  expect(await page.textContent('#user')).toBe('demo')
  // The example binds its tokens with DPoP: the API call carries the DPoP scheme and a proof.
  const apiRequest = page.waitForRequest((r) => r.url().endsWith('/api/hello'))
  await page.click('#call-api')
  const headers = (await apiRequest).headers()
  expect(headers['authorization']).toMatch(/^DPoP /)
  expect(headers['dpop']).toMatch(/^eyJ/)
  await page.waitForFunction(() => document.getElementById('api')!.textContent!.startsWith('200'))

  // The token panel: the demo client's 60 s access token counting down, its DPoP binding, both tokens' claims.
  expect(await page.textContent('#token-type')).toBe('DPoP')
  const left = Number(await page.textContent('#life'))
  expect(left).toBeGreaterThan(40)
  expect(left).toBeLessThanOrEqual(60)
  const jkt = (await page.textContent('#jkt'))!
  expect(jkt).toMatch(/^[\w-]{43}$/)
  expect(JSON.parse((await page.textContent('#claims'))!)).toMatchObject({ sub: 'demo', email: 'demo@example.com' })
  expect(JSON.parse((await page.textContent('#access-claims'))!)).toMatchObject({ sub: 'demo', cnf: { jkt } })
  await page.clock.runFor(2000)
  expect(Number(await page.textContent('#life'))).toBeLessThan(left)

  // A second tab of the same browser holds the same token.
  const tab2 = await context.newPage()
  await tab2.goto(appUrl)
  await tab2.waitForSelector('#token-panel')
  const token = await page.textContent('#token-id')
  expect(await tab2.textContent('#token-id')).toBe(token)
  expect(await tab2.textContent('#tab-name')).not.toBe(await page.textContent('#tab-name'))

  // Past half the token's life the SDK renews on its own: one tab asks the provider, the other takes its token.
  await context.clock.fastForward(31_000)
  const entries = async (p: typeof page) => p.$$eval('#refresh-log li:not(.muted)', (lis) => lis.map((li) => ({ here: li.className === 'here', text: li.textContent ?? '' })))
  await page.waitForFunction(() => document.querySelectorAll('#refresh-log li:not(.muted)').length === 1)
  await tab2.waitForFunction(() => document.querySelectorAll('#refresh-log li:not(.muted)').length === 1)
  const [log1, log2] = [(await entries(page))[0]!, (await entries(tab2))[0]!]
  expect([log1.here, log2.here].sort()).toEqual([false, true])
  const refreshed = log1.here ? page : tab2
  expect((log1.here ? log2 : log1).text).toContain(`${await refreshed.textContent('#tab-name')} refreshed; this tab took the same token`)
  const newToken = await page.textContent('#token-id')
  expect(newToken).not.toBe(token)
  expect(await tab2.textContent('#token-id')).toBe(newToken)
  expect(await page.textContent('#jkt')).toBe(jkt) // the same key, so the same binding

  await page.click('#refresh-now')
  await page.waitForFunction(() => document.getElementById('refreshes')!.textContent === '2')
  await tab2.waitForFunction(() => document.getElementById('refreshes')!.textContent === '2')
  expect(await tab2.textContent('#token-id')).toBe(await page.textContent('#token-id'))
  // REALMAUTH_SCREENSHOTS=1 refreshes the README's pictures.
  const shot = (name: string) => (process.env.REALMAUTH_SCREENSHOTS ? join(root, `docs/${name}.png`) : join(tmpdir(), `realmauth-${name}-${process.pid}.png`))
  await page.screenshot({ path: shot('react-demo'), fullPage: true })
  expect(statSync(shot('react-demo')).size).toBeGreaterThan(10_000)
  await page.click('#sign-out')
  await page.waitForSelector('#sign-in')
  await tab2.waitForSelector('#sign-in')

  // Errors in words: a blocked sign-in popup says what to do.
  await tab2.evaluate(() => {
    window.open = () => null
  })
  await tab2.click('#sign-in-popup')
  expect(await tab2.textContent('#error')).toMatch(/blocked the sign-in window.*popup_blocked/)
  await tab2.screenshot({ path: shot('react-demo-error'), clip: { x: 0, y: 0, width: 960, height: 240 } })

  // The popup sign-in: the page stays where it is.
  const opened = page.waitForEvent('popup')
  await page.click('#sign-in-popup')
  const popup = await opened
  await popup.waitForURL((url) => url.pathname.endsWith('/login'))
  await popup.fill('#username', 'demo')
  await popup.fill('#password', 'Ch4ng3-it!')
  await popup.click('#sign-in')
  await page.waitForSelector('#token-panel')
  expect(await page.textContent('#user')).toBe('demo')
  await expect.poll(() => popup.isClosed()).toBe(true)
  await context.close()
})
