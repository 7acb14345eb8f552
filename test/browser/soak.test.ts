/**
 * Soak of `@realmauth/browser` in Debian's Chromium: a session with 30 s access tokens lives
 * through simulated hours while 15% of the requests to the provider fail at random, as
 * test/clients/soak.test.ts does for core. The page's clock, timers, PRNG and fetch are
 * injected (createBrowserClient's `clock`, `timers`, `random`, `fetch`); the loop runs in the
 * page (app/soak.ts) and tells the provider its simulated time with every request, so the
 * provider (over real HTTP on loopback) and the page always agree on the time. Nothing sleeps.
 */
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { chromium, type Browser, type Page } from 'playwright-core'
import { DEMO, demoConfig, type ProviderConfig } from '@realmauth/server'
import { signInAtProvider, startProvider, testClock, type ProviderUnderTest } from '../clients/providerHarness.js'
import { withTestKeys } from '../clients/coreKit.js'
import { CHROMIUM, CHROMIUM_ARGS, serveTestPage, type TestPageServer } from './e2eHarness.js'
import { CLOCK_HEADER, CLOCK_PARAM } from './app/soakClock.js'
import type { SoakOptions } from './app/soak.js'

const LIFE = 30
/**
 * Simulated hours: the issue asks for a day. Each refresh in Chromium takes a Web Lock, two
 * IndexedDB transactions, a BroadcastChannel message and a loopback request whose ES256
 * signatures are checked: about 16 ms of real time here (the Web Lock most of it), some 260
 * refreshes per simulated hour. A day measured 102 s on this 2-core machine, which the
 * suite's budget affords; BROWSER_SOAK_HOURS=8 gives a quick local run that still catches a
 * client renewing only on demand (it failed 6 calls in 8 h, 0 in 2 h).
 */
const HOURS = Number(process.env.BROWSER_SOAK_HOURS ?? 24)
const OPTIONS: SoakOptions = { hours: HOURS, seed: 20261122, callEveryMs: 7000, failureRate: 0.15, apiEvery: 10 }

function config(spaOrigin: string): ProviderConfig {
  const base = withTestKeys(demoConfig({ spaOrigins: [spaOrigin] }))
  const realm = base.realms[0]!
  realm.access_token_lifetime = LIFE
  // ES256 keeps thousands of refreshes cheap; the policy under test does not depend on the algorithm.
  realm.access_token_signing_alg = 'ES256'
  realm.clients!.find((c) => c.client_id === DEMO.spa.client_id)!.id_token_signed_response_alg = 'ES256'
  return base
}

const clock = testClock()
/** Moves the provider's clock to a time a request brings (never back). */
const follow = (at: string | null) => {
  if (at !== null) clock.now = Math.max(clock.now, Number(at))
}

let p: ProviderUnderTest
let app: TestPageServer
let browser: Browser
let page: Page
const api = { calls: 0, rejected: 0 }

beforeAll(async () => {
  app = await serveTestPage(fileURLToPath(new URL('./app/soak.ts', import.meta.url)), {
    config: () => ({ issuer: p.issuer(), clientId: DEMO.spa.client_id, redirectUri: `${app.origin}/callback`, providerOrigin: p.origin }),
    // The app's API: a resource server asking the provider's tokeninfo whether the bearer token is good.
    async route(request) {
      if (new URL(request.url).pathname !== '/api/hello') return undefined
      follow(request.headers.get(CLOCK_HEADER))
      const info = await p.provider.fetch(new Request(`${p.issuer()}/tokeninfo`, { headers: { authorization: request.headers.get('authorization') ?? '' } }))
      api.calls++
      if (info.status !== 200) api.rejected++
      return Response.json(info.status === 200 ? { hello: 'demo' } : { error: 'invalid_token' }, { status: info.status === 200 ? 200 : 401 })
    },
  })
  p = await startProvider('http', config(app.origin), clock, {
    // The page's simulated time rides on each request; the provider answers at that time.
    async onRequest(request) {
      const url = new URL(request.url)
      if (!url.searchParams.has(CLOCK_PARAM)) return request
      follow(url.searchParams.get(CLOCK_PARAM))
      url.searchParams.delete(CLOCK_PARAM)
      const body = request.method === 'GET' || request.method === 'HEAD' ? undefined : await request.arrayBuffer()
      return new Request(url, { method: request.method, headers: request.headers, ...(body && { body }) })
    },
  })
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS })
  page = await browser.newPage()
  await page.goto(`${app.origin}/`)
  await page.waitForFunction(() => window.soak?.ready === true)
})
afterAll(async () => {
  await browser?.close()
  await app?.close()
  await p?.close()
})

it(`keeps a 30 s-token session alive in Chromium for ${HOURS} simulated hours with 15% of requests failing: no expired token handed out, no API call refused, no sign-out`, { timeout: 400_000 }, async () => {
  const signInUrl = await page.evaluate((now) => window.soak.start(now), clock.now)
  const callback = await signInAtProvider(p, new URL(signInUrl))
  const refreshesBefore = p.count('access_token')
  const started = performance.now()
  const result = await page.evaluate(([cb, options]) => window.soak.run(cb, options), [callback, OPTIONS] as const)
  const seconds = (performance.now() - started) / 1000
  console.log(`[browser soak] ${HOURS} h simulated in ${seconds.toFixed(1)} s: ${JSON.stringify({ ...result, api })}`)

  expect(result.simulatedMs).toBeGreaterThanOrEqual(HOURS * 3600_000)
  expect({ signOuts: result.signOuts, expiredHandedOut: result.expiredHandedOut, unavailable: result.unavailable, apiRejected: api.rejected }).toEqual({
    signOuts: 0,
    expiredHandedOut: 0,
    unavailable: 0,
    apiRejected: 0,
  })
  expect(result.status).toBe('signed_in')
  expect(api.calls).toBe(result.realApiCalls)
  expect(result.realApiCalls).toBeGreaterThanOrEqual(Math.floor(result.apiCalls / OPTIONS.apiEvery))
  // About one refresh per 15 s (half the life), and failures that the backoff absorbed.
  expect(result.refreshes).toBeGreaterThan((HOURS * 3600) / LIFE)
  expect(result.failures).toBeGreaterThan(0)
  expect(result.networkFailures).toBeGreaterThan(0)
  expect(p.count('access_token') - refreshesBefore).toBe(1 + result.refreshes) // the code exchange, then one request per refresh
  expect(result.apiCalls).toBeGreaterThanOrEqual(Math.floor((HOURS * 3600_000) / OPTIONS.callEveryMs))
  // The provider's clock followed the page's all day.
  expect(clock.now).toBeGreaterThanOrEqual(Date.UTC(2026, 5, 1) + (HOURS - 0.01) * 3600_000)
})
