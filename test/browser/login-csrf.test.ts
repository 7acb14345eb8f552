/**
 * Login CSRF in Debian's Chromium, over HTTP on loopback: a page on another origin auto-submits
 * its author's credentials to the provider, as a form to the sign-in page and as a `text/plain`
 * form carrying a journey answer to `json/…/authenticate`. Neither may leave the visitor's
 * browser signed in as the author; the provider's own sign-in page still signs in.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { chromium, type Browser, type BrowserContext } from 'playwright-core'
import { createProvider } from '@realmauth/server'
import { listen, type RunningProvider } from '@realmauth/server/node'
import { CHROMIUM, CHROMIUM_ARGS } from './e2eHarness.js'

const ATTACKER = { username: 'mallory', password: 'M4llory-pw' }
let running: RunningProvider
let evil: Server
let evilOrigin: string
let browser: Browser
/** The next page the attacker's server answers with. */
let attackPage = ''

beforeAll(async () => {
  running = await listen(createProvider({ realms: [{ name: 'alpha', users: [ATTACKER] }] }), { port: 0, host: '127.0.0.1' })
  evil = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(attackPage))
  await new Promise<void>((resolve) => evil.listen(0, '127.0.0.1', resolve))
  // 127.0.0.1 and localhost are different sites to the browser: the provider's URL says localhost.
  evilOrigin = `http://127.0.0.1:${(evil.address() as AddressInfo).port}`
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS })
})
afterAll(async () => {
  await browser?.close()
  evil?.close()
  await running?.close()
})

const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;')

/** Serves `form` from the attacker's origin, opens it in a fresh browser, and waits for the provider's answer. */
async function visit(form: string): Promise<BrowserContext> {
  attackPage = `<!doctype html><body>${form}<script>document.forms[0].submit()</script></body>`
  const context = await browser.newContext()
  const page = await context.newPage()
  const answered = page.waitForResponse((res) => res.url().startsWith(running.url))
  await page.goto(evilOrigin)
  await answered
  return context
}

const sessionCookies = async (context: BrowserContext) => (await context.cookies(running.url)).filter((c) => c.name === 'iPlanetDirectoryPro')

it("a page elsewhere posting its author's credentials to the sign-in page signs nobody in", async () => {
  const fields = Object.entries(ATTACKER).map(([k, v]) => `<input name="${k}" value="${escape(v)}">`).join('')
  const context = await visit(`<form method="post" action="${running.url}/login?realm=/alpha">${fields}</form>`)
  expect(await sessionCookies(context)).toEqual([])
  await context.close()
})

it('a text/plain form carrying a journey answer to authenticate signs nobody in', async () => {
  // The attacker starts the journey from their own server, then has the visitor's browser answer it.
  const authenticate = `${running.url}/json/realms/root/realms/alpha/authenticate`
  const step = (await (await fetch(authenticate, { method: 'POST', headers: { 'accept-api-version': 'resource=2.1' } })).json()) as {
    authId: string
    callbacks: { input: { value: unknown }[] }[]
  }
  step.callbacks[0]!.input[0]!.value = ATTACKER.username
  step.callbacks[1]!.input[0]!.value = ATTACKER.password
  // `name=value` with the JSON split around the `=`: the body the form sends is the answer plus `"x":"="}`.
  const json = JSON.stringify({ ...step, x: '' })
  const name = json.slice(0, -2)
  const context = await visit(`<form method="post" enctype="text/plain" action="${authenticate}"><input name="${escape(name)}" value='"}'></form>`)
  expect(await sessionCookies(context)).toEqual([])
  await context.close()
})

it("control: the provider's own sign-in page signs in", async () => {
  const context = await browser.newContext()
  const page = await context.newPage()
  await page.goto(`${running.url}/login?realm=/alpha`)
  await page.fill('#username', ATTACKER.username)
  await page.fill('#password', ATTACKER.password)
  await Promise.all([page.waitForResponse((res) => res.request().method() === 'POST'), page.click('#sign-in')])
  expect(await sessionCookies(context)).toHaveLength(1)
  await context.close()
})
