/**
 * `@realmauth/browser` against a hostile provider, in Debian's Chromium: the shared matrix
 * (test/clients/hostileCases.ts) played by the provider over real HTTP on loopback, one page
 * and one fresh client per case (app/hostile.ts). Each case must end in an AuthError with its
 * stable code, with nothing stored in IndexedDB and the snapshot as it was (or, for a failed
 * refresh, the same tokens kept).
 */
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { chromium, type Browser, type Page } from 'playwright-core'
import { DEMO } from '@realmauth/server'
import { signInAtProvider, startProvider, type Fault, type ProviderUnderTest } from '../clients/providerHarness.js'
import { CALLBACK_CASES, ID_TOKEN_CASES, RESPONSE_CASES, callbackCode, editCallback, hostileConfig, idTokenFault, relayTo } from '../clients/hostileCases.js'
import { CHROMIUM, CHROMIUM_ARGS, serveTestPage, type TestPageServer } from './e2eHarness.js'
import type { Outcome } from './app/hostile.js'

const entry = fileURLToPath(new URL('./app/hostile.ts', import.meta.url))

let p: ProviderUnderTest
let app: TestPageServer
let browser: Browser
let page: Page

beforeAll(async () => {
  app = await serveTestPage(entry, {
    config: () => ({ issuers: { alpha: p.issuer('alpha'), beta: p.issuer('beta') }, clientId: DEMO.spa.client_id, redirectUri: `${app.origin}/callback` }),
  })
  p = await startProvider('http', hostileConfig({ spaOrigins: [app.origin] }))
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS })
  page = await browser.newPage()
  await page.goto(`${app.origin}/`)
  await page.waitForFunction(() => window.hostile?.ready === true)
})
afterAll(async () => {
  await browser?.close()
  await app?.close()
  await p?.close()
})

const nowSec = () => Math.floor(p.clock.now / 1000)

/** Methods of the requests the armed faults answered. */
let played: string[] = []

/**
 * The fault as a page receives it: with the CORS headers the provider would have sent (a
 * proxy spoiling the answer keeps them; without them the page would only see a network
 * error), and recorded, so a case proves its hostile answer was the one refused.
 */
function armed(fault: Fault): Fault {
  return async (request, provider) => {
    played.push(request.method)
    const res = await fault(request, provider)
    const headers = new Headers(res.headers)
    const origin = request.headers.get('origin')
    if (origin) {
      headers.set('access-control-allow-origin', origin)
      headers.set('vary', 'origin')
    }
    return new Response(res.body, { status: res.status, headers })
  }
}

function arm(fault: Fault) {
  played = []
  p.fault('access_token', armed(fault))
}

const begin = (realm = 'alpha') => page.evaluate(([r, now]) => window.hostile.begin(r, now), [realm, p.clock.now] as const)
const finish = (callback: string) => page.evaluate(([c, now]) => window.hostile.finish(c, now), [callback, p.clock.now] as const)
const refresh = () => page.evaluate((now) => window.hostile.refresh(now), p.clock.now)

/** A fresh client with a pending sign-in, and the callback the provider sent the user to. */
async function pendingSignIn(realm = 'alpha') {
  const { url } = await begin(realm)
  return signInAtProvider(p, new URL(url))
}

/** A fresh client signed in for real. */
async function signedIn(): Promise<Outcome> {
  const out = await finish(await pendingSignIn())
  expect(out).toMatchObject({ ok: true, status: 'signed_in', user: 'demo' })
  return out
}

function expectNothingStored(out: Outcome) {
  expect(out.ok).toBe(false)
  expect(out.error?.name).toBe('AuthError')
  expect(out).toMatchObject({ status: 'signed_out', snapshotSame: true, storedBefore: null, storedAfter: null })
}

function expectTokensKept(out: Outcome, code: string) {
  expect(out.ok).toBe(false)
  expect(out.error?.name).toBe('AuthError')
  expect(out).toMatchObject({ status: 'signed_in', tokensSame: true, snapshotError: code })
  expect(out.storedBefore).not.toBeNull()
  expect(out.storedAfter).toEqual(out.storedBefore)
}

describe('@realmauth/browser in Chromium against a hostile provider over HTTP', () => {
  it('control: a real sign-in stores tokens in IndexedDB and refreshes', async () => {
    const out = await signedIn()
    expect(out.storedAfter?.refreshToken).toBeTruthy()
    const refreshed = await refresh()
    expect(refreshed).toMatchObject({ ok: true, status: 'signed_in', tokensSame: false })
    expect(refreshed.storedAfter?.refreshToken).not.toBe(out.storedAfter?.refreshToken)
  })

  describe('ID token in the code exchange', () => {
    it.each(ID_TOKEN_CASES.filter((c) => c.in.includes('exchange')))('refuses $name: id_token_invalid, nothing stored', async (c) => {
      const callback = await pendingSignIn()
      arm(idTokenFault(c, nowSec))
      const out = await finish(callback)
      expect(played).toEqual(['POST'])
      expectNothingStored(out)
      expect(out.error).toMatchObject({ code: 'id_token_invalid', retryable: false, needsUser: false })
      expect(out.error?.message).toMatch(c.reason)
    })
  })

  describe('ID token in a refresh', () => {
    it.each(ID_TOKEN_CASES.filter((c) => c.in.includes('refresh')))('refuses $name: id_token_invalid, the tokens are kept', async (c) => {
      await signedIn()
      arm(idTokenFault(c, nowSec))
      const out = await refresh()
      expect(played).toEqual(['POST'])
      expectTokensKept(out, 'id_token_invalid')
      expect(out.error).toMatchObject({ code: 'id_token_invalid', retryable: false, needsUser: false })
      expect(out.error?.message).toMatch(c.reason)
    })
  })

  describe('callback', () => {
    it.each(CALLBACK_CASES)('$name: refused before the code is sent, nothing stored', async (c) => {
      const callback = await pendingSignIn()
      const exchanges = p.count('access_token')
      const out = await finish(editCallback(callback, c, p.issuer('beta')).href)
      expectNothingStored(out)
      expect(out.error?.code).toBe(callbackCode(c, 'state'))
      expect(p.count('access_token')).toBe(exchanges)
    })

    it("mix-up: a sign-in started at beta and relayed to alpha comes back with alpha's iss: iss_mismatch, the code goes nowhere", async () => {
      const { url, transaction } = await begin('beta')
      await fetch(url, { redirect: 'manual' }) // the user reaches beta, which relays to alpha
      const callback = await signInAtProvider(p, relayTo(transaction, p.issuer('alpha'), DEMO.spa.client_id, 'openid profile email'))
      expect(new URL(callback).searchParams.get('iss')).toBe(p.issuer('alpha'))
      const exchanges = p.count('access_token')
      const out = await finish(callback)
      expectNothingStored(out)
      expect(out.error?.code).toBe('iss_mismatch')
      expect(p.count('access_token')).toBe(exchanges)
    })
  })

  describe('token responses of the wrong type', () => {
    it.each(RESPONSE_CASES)('code exchange, $name: $code, nothing stored', async (c) => {
      const callback = await pendingSignIn()
      arm(c.fault)
      const out = await finish(callback)
      expect(played).toEqual(['POST'])
      expectNothingStored(out)
      expect(out.error).toMatchObject({ code: c.code, retryable: c.retryable })
    })

    it.each(RESPONSE_CASES)('refresh, $name: $code, the tokens are kept', async (c) => {
      await signedIn()
      arm(c.fault)
      const out = await refresh()
      expect(played).toEqual(['POST'])
      expectTokensKept(out, c.code)
      expect(out.error).toMatchObject({ code: c.code, retryable: c.retryable })
      const next = await refresh()
      if (c.reachesProvider) {
        // The provider rotated the refresh token before the answer was spoiled: the kept one
        // is spent, and reuse detection ends the session cleanly.
        expect(next).toMatchObject({ ok: false, error: { code: 'invalid_grant' }, status: 'session_ended', storedAfter: null })
      } else {
        expect(next).toMatchObject({ ok: true, status: 'signed_in', tokensSame: false })
      }
    })
  })
})
