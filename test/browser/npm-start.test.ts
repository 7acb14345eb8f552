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

it('npm start serves the React example: sign in, call the API, refresh, sign out (screenshot)', async () => {
  expect(output).toContain('sign in as demo / Ch4ng3-it!')
  const page = await browser.newPage()
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
  await page.click('#refresh-now')
  await page.waitForFunction(() => document.getElementById('refreshes')!.textContent === '1')
  const shot = join(tmpdir(), `realmauth-npm-start-${process.pid}.png`)
  await page.screenshot({ path: shot, fullPage: true })
  expect(statSync(shot).size).toBeGreaterThan(10_000)
  await page.click('#sign-out')
  await page.waitForSelector('#sign-in')
})
