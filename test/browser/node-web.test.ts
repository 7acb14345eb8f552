import { afterAll, beforeAll, expect, it } from 'vitest'
import { chromium, type Browser } from 'playwright-core'
import { DEMO, createProvider, demoConfig } from '@realmauth/server'
import { listen, type RunningProvider } from '@realmauth/server/node'
import { startWebApp } from '../../examples/node-web/app.js'
import { CHROMIUM, CHROMIUM_ARGS, freePort } from './e2eHarness.js'

let browser: Browser
let provider: RunningProvider
let app: Awaited<ReturnType<typeof startWebApp>>
let issuer: string


beforeAll(async () => {
  const port = await freePort()
  const origin = `http://127.0.0.1:${port}`
  const config = demoConfig()
  const web = config.realms[0]!.clients!.find((c) => c.client_id === DEMO.web.client_id)!
  web.redirect_uris = [`${origin}/callback`]
  web.post_logout_redirect_uris = [`${origin}/`]
  provider = await listen(createProvider(config), { port: 0 })
  issuer = `http://127.0.0.1:${provider.port}/oauth2/realms/root/realms/alpha`
  app = await startWebApp({ issuer, clientId: DEMO.web.client_id, clientSecret: DEMO.web.client_secret, origin, port })
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS })
})
afterAll(async () => {
  await browser?.close()
  app?.server.close()
  await provider?.close()
})

it('examples/node-web: signs in with consent, refreshes, and signs out through the provider', async () => {
  const context = await browser.newContext()
  const page = await context.newPage()
  await page.goto(app.url)
  await page.click('#login')
  await page.fill('#username', DEMO.user.username)
  await page.fill('#password', DEMO.user.password)
  await page.click('#sign-in')
  await page.click('#allow') // the web client has no implied consent
  await page.waitForSelector('#user')
  expect(await page.textContent('#user')).toBe('demo')
  // The app's session cookie is all it gives the browser: no token is visible to the page.
  // (The provider's own session cookie shows up too: both run on 127.0.0.1, and cookies ignore ports.)
  const cookies = (await context.cookies(app.url)).filter((c) => c.name !== 'iPlanetDirectoryPro')
  expect(cookies.map((c) => c.name)).toEqual(['sid'])
  expect(cookies[0]!.httpOnly).toBe(true)
  expect(await page.content()).not.toMatch(/eyJ[\w-]+\.eyJ/)
  await page.click('#refresh')
  await page.waitForSelector('#user')
  await page.click('#logout')
  await page.waitForSelector('#login')
  expect(page.url()).toBe(`${app.url}/`)
  // The provider session ended too: signing in again asks for the password.
  await page.click('#login')
  await page.waitForSelector('#password')
  await context.close()
})

it('examples/node-web: a session id planted before sign-in is not the signed-in one, and a visit alone keeps no session', async () => {
  // Nothing is kept for a page view: no cookie, no entry in the app's memory.
  const view = await fetch(app.url)
  expect(view.headers.getSetCookie()).toEqual([])
  // Session fixation: an id the attacker holds, planted in the victim's browser before sign-in.
  const planted = (await fetch(`${app.url}/login`, { redirect: 'manual' })).headers.getSetCookie()[0]!.split(';')[0]!
  const context = await browser.newContext()
  await context.addCookies([{ name: 'sid', value: planted.split('=')[1]!, url: app.url }])
  const page = await context.newPage()
  await page.goto(`${app.url}/login`)
  await page.fill('#username', DEMO.user.username)
  await page.fill('#password', DEMO.user.password)
  await page.click('#sign-in')
  await page.click('#allow')
  await page.waitForSelector('#user')
  const sid = (await context.cookies(app.url)).find((c) => c.name === 'sid')!.value
  expect(sid).not.toBe(planted.split('=')[1])
  // The attacker's copy of the planted id shows no one signed in.
  expect(await (await fetch(app.url, { headers: { cookie: planted } })).text()).toContain('Signed out')
  await context.close()
})
