import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { BrowserContext, Page } from 'playwright-core'
import { openApp, signInThroughPages, startE2E, type E2E } from './e2eHarness.js'

/** Access-token life in the test realm: short, so the refresh margin is reached by moving clocks. */
const LIFE = 120

let e: E2E
beforeAll(async () => {
  e = await startE2E({ access_token_lifetime: LIFE })
})
afterAll(() => e?.close())

const open = (context: BrowserContext, path = '/') => openApp(e, context, path)
const signIn = async (page: Page) => void (await signInThroughPages(page))

/** Moves the provider's and these pages' clocks forward together. */
async function advance(seconds: number, ...pages: Page[]) {
  e.advanceProvider(seconds)
  for (const page of pages) await page.evaluate((ms) => void (window.app.offsetMs += ms), seconds * 1000)
}

async function introspectRefreshToken(token: string) {
  const res = await e.provider.fetch(
    new Request(`${e.issuer}/introspect`, {
      method: 'POST',
      headers: { authorization: 'Basic ' + btoa('rs:rs-secret'), 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token, token_type_hint: 'refresh_token' }).toString(),
    }),
  )
  return ((await res.json()) as { active: boolean }).active
}

const snapshot = (page: Page) =>
  page.evaluate(() => {
    const s = window.app.client.getSnapshot()
    return { status: s.status, sub: s.user?.sub, accessToken: s.tokens?.accessToken, refreshToken: s.tokens?.refreshToken, error: s.error?.code }
  })

describe('SPA in Chromium against the provider over HTTP', () => {
  it('signs in, calls an API, refreshes exactly once at the margin, signs out and revokes', async () => {
    const context = await e.browser.newContext()
    const page = await open(context)
    await signIn(page)
    expect(page.url()).toBe(`${e.appOrigin}/callback`)
    const first = await snapshot(page)
    expect(first).toMatchObject({ status: 'signed_in', sub: 'demo' })
    expect(await page.textContent('#user')).toBe('demo')
    // No token ever lands in localStorage or sessionStorage.
    const webStorage = await page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }))
    expect(webStorage).not.toContain(first.accessToken!.slice(0, 20))

    expect(await page.evaluate(async () => (await window.app.client.authFetch('/api/hello')).json())).toEqual({ hello: 'demo' })
    // The page's own origin needs no configuration; a URL on another one (a link an attacker
    // planted) gets no token: refused before any request leaves the page.
    const requestsElsewhere: string[] = []
    page.on('request', (r) => void (new URL(r.url()).hostname === 'attacker.example' && requestsElsewhere.push(r.url())))
    expect(await page.evaluate(() => window.app.client.authFetch('https://attacker.example/collect').then(() => 'sent', (err: { code?: string }) => err.code))).toBe('configuration_error')
    expect(requestsElsewhere).toEqual([])

    const refreshesBefore = e.grants.refresh_token ?? 0
    await advance(LIFE - 30, page) // inside the 60 s margin (capped at half the life: 60 s)
    const tokens = await page.evaluate(() => Promise.all(Array.from({ length: 20 }, () => window.app.client.getAccessToken())))
    expect(new Set(tokens).size).toBe(1)
    expect(tokens[0]).not.toBe(first.accessToken)
    expect((e.grants.refresh_token ?? 0) - refreshesBefore).toBe(1)
    expect(await page.evaluate(async () => (await window.app.client.authFetch('/api/hello')).status)).toBe(200)

    const beforeSignOut = await snapshot(page)
    await page.evaluate(() => window.app.client.signOut({ redirect: false }))
    expect((await snapshot(page)).status).toBe('signed_out')
    expect((await page.evaluate(() => window.app.storedKeys())).filter((k) => k.startsWith('tokens:'))).toEqual([])
    expect(await introspectRefreshToken(beforeSignOut.refreshToken!)).toBe(false)
    await context.close()
  })

  it('two tabs reach expiry together: one refresh request, same new tokens; sign-out in one signs out the other', async () => {
    const context = await e.browser.newContext()
    const tab1 = await open(context)
    await signIn(tab1)
    const tab2 = await open(context)
    expect((await snapshot(tab2)).status).toBe('signed_in')
    const before = await snapshot(tab1)
    const refreshesBefore = e.grants.refresh_token ?? 0
    await advance(LIFE - 20, tab1, tab2)
    const [t1, t2] = await Promise.all([
      tab1.evaluate(() => window.app.client.getAccessToken()),
      tab2.evaluate(() => window.app.client.getAccessToken()),
    ])
    expect((e.grants.refresh_token ?? 0) - refreshesBefore).toBe(1)
    expect(t1).toBe(t2)
    expect(t1).not.toBe(before.accessToken)
    const [s1, s2] = [await snapshot(tab1), await snapshot(tab2)]
    expect(s1.refreshToken).toBe(s2.refreshToken)
    // Rotation with reuse detection (on for public clients) did not end the session.
    expect(await introspectRefreshToken(s1.refreshToken!)).toBe(true)
    expect(await tab2.evaluate(async () => (await window.app.client.authFetch('/api/hello')).status)).toBe(200)

    await tab1.evaluate(() => window.app.client.signOut({ redirect: false }))
    await tab2.waitForFunction(() => window.app.client.getSnapshot().status === 'signed_out')
    await context.close()
  })

  it('a tab that becomes visible again re-checks expiry at once and refreshes without being asked', async () => {
    const context = await e.browser.newContext()
    const page = await open(context)
    await signIn(page)
    const before = await snapshot(page)
    await advance(LIFE - 30, page)
    // What the browser fires when a sleeping laptop wakes or the user returns to the tab.
    await page.evaluate(() => document.dispatchEvent(new Event('visibilitychange')))
    await page.waitForFunction(() => window.app.refreshEvents.includes('refresh_success'))
    expect((await snapshot(page)).accessToken).not.toBe(before.accessToken)
    await context.close()
  })

  describe('hostile callbacks', () => {
    /** Starts a sign-in and returns its state, read from the pending transaction (PAR keeps it out of the URL). */
    async function pendingState(page: Page): Promise<string> {
      await page.evaluate(() => window.app.client.auth.signInUrl())
      const keys = await page.evaluate(() => window.app.storedKeys())
      return keys.find((k) => k.startsWith('tx:'))!.slice('tx:'.length)
    }

    it('a wrong state is refused and nothing is stored', async () => {
      const context = await e.browser.newContext()
      const page = await open(context)
      await pendingState(page)
      const callback = await open(context, `/callback?code=abc&state=wrong&iss=${encodeURIComponent(e.issuer)}`)
      expect(await callback.evaluate(() => window.app.lastError?.code)).toBe('transaction_not_found')
      expect((await snapshot(callback)).status).toBe('signed_out')
      expect(new URL(callback.url()).search).toBe('')
      await context.close()
    })

    it('a wrong iss is refused (mix-up defence)', async () => {
      const context = await e.browser.newContext()
      const page = await open(context)
      const state = await pendingState(page)
      const callback = await open(context, `/callback?code=abc&state=${state}&iss=${encodeURIComponent('https://evil.example')}`)
      expect(await callback.evaluate(() => window.app.lastError?.code)).toBe('iss_mismatch')
      expect((await snapshot(callback)).status).toBe('signed_out')
      await context.close()
    })

    it('an error callback is reported with its OAuth error', async () => {
      const context = await e.browser.newContext()
      const page = await open(context)
      const state = await pendingState(page)
      const callback = await open(context, `/callback?error=access_denied&error_description=no&state=${state}&iss=${encodeURIComponent(e.issuer)}`)
      expect(await callback.evaluate(() => window.app.lastError)).toMatchObject({ code: 'authorization_error', error: 'access_denied' })
      await context.close()
    })

    it('reloading a used callback URL fails and keeps the session', async () => {
      const context = await e.browser.newContext()
      const page = await open(context)
      await signIn(page)
      const used = await page.evaluate(() => window.app.callbackUrl!)
      expect(new URL(used).searchParams.get('code')).toBeTruthy()
      const reloaded = await open(context, new URL(used).pathname + new URL(used).search)
      expect(await reloaded.evaluate(() => window.app.lastError?.code)).toBe('transaction_not_found')
      expect((await snapshot(reloaded)).status).toBe('signed_in')
      await context.close()
    })

    it('a tampered ID token is refused and nothing is stored', async () => {
      const context = await e.browser.newContext()
      await context.route(`${e.issuer}/access_token`, async (route) => {
        const response = await route.fetch()
        const body = (await response.json()) as { id_token: string }
        const [h, p, s] = body.id_token.split('.')
        body.id_token = `${h}.${p}.${s!.startsWith('A') ? 'B' : 'A'}${s!.slice(1)}`
        await route.fulfill({ response, json: body })
      })
      const page = await open(context)
      await signIn(page)
      expect(await page.evaluate(() => window.app.lastError?.code)).toBe('id_token_invalid')
      expect((await snapshot(page)).status).toBe('signed_out')
      expect((await page.evaluate(() => window.app.storedKeys())).filter((k) => k.startsWith('tokens:'))).toEqual([])
      await context.close()
    })

    it('the provider down during refresh keeps the tokens, and the next call recovers', async () => {
      const context = await e.browser.newContext()
      const page = await open(context)
      await signIn(page)
      const before = await snapshot(page)
      await context.route(`${e.issuer}/access_token`, (route) => route.abort('connectionrefused'))
      await advance(LIFE - 30, page)
      // Still valid: the old token is handed out while the provider is unreachable.
      expect(await page.evaluate(() => window.app.client.getAccessToken())).toBe(before.accessToken)
      expect(await snapshot(page)).toMatchObject({ status: 'signed_in', refreshToken: before.refreshToken, error: 'network_error' })
      await context.unroute(`${e.issuer}/access_token`)
      const after = await page.evaluate(() => window.app.client.getAccessToken())
      expect(after).not.toBe(before.accessToken)
      expect((await snapshot(page)).status).toBe('signed_in')
      await context.close()
    })
  })
})
