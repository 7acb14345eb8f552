import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { BrowserContext, Page } from 'playwright-core'
import { openApp, startE2E, type E2E } from './e2eHarness.js'

let e: E2E
beforeAll(async () => {
  e = await startE2E()
})
afterAll(() => e?.close())

type Outcome = { ok: { appState?: unknown } } | { code: string; error?: string }

/** Starts `signInPopup` in the page; resolves with the popup and the call's outcome. */
async function startPopup(page: Page, options: Record<string, unknown> = {}): Promise<{ popup: Page; outcome: Promise<Outcome> }> {
  const popupOpened = page.waitForEvent('popup')
  const outcome = page.evaluate(
    (o) =>
      window.app.signInPopup({ closedPollMs: 50, ...o }).then(
        (ok): Outcome => ({ ok }),
        (err: { code: string; error?: string }): Outcome => ({ code: err.code, ...(err.error && { error: err.error }) }),
      ),
    options,
  )
  return { popup: await popupOpened, outcome }
}

async function signInAtProviderPage(popup: Page) {
  await popup.waitForURL((url) => url.pathname.endsWith('/login'))
  await popup.fill('#username', 'demo')
  await popup.fill('#password', 'Ch4ng3-it!')
  await popup.click('#sign-in')
}

const status = (page: Page) => page.evaluate(() => window.app.client.getSnapshot().status)
const pendingStates = async (page: Page) => (await page.evaluate(() => window.app.storedKeys())).filter((k) => k.startsWith('tx:')).map((k) => k.slice(3))

describe('signInPopup in Chromium against the provider over HTTP', () => {
  let context: BrowserContext
  beforeAll(async () => {
    context = await e.browser.newContext()
  })
  afterAll(() => context?.close())

  it('signs in in a popup: the page stays, the popup closes, tokens are validated and stored here', async () => {
    const page = await openApp(e, context)
    const codesBefore = e.grants.authorization_code ?? 0
    const { popup, outcome } = await startPopup(page, { appState: { returnTo: '/orders' } })
    await signInAtProviderPage(popup)
    expect(await outcome).toEqual({ ok: { appState: { returnTo: '/orders' } } })
    expect(page.url()).toBe(`${e.appOrigin}/`)
    expect(await status(page)).toBe('signed_in')
    expect(await page.evaluate(() => window.app.client.getUser()?.sub)).toBe('demo')
    expect((e.grants.authorization_code ?? 0) - codesBefore).toBe(1)
    await expect.poll(() => popup.isClosed()).toBe(true)
    expect(await pendingStates(page)).toEqual([])
    // The tokens are this origin's, as after a redirect: another tab has them.
    const tab2 = await openApp(e, context)
    expect(await status(tab2)).toBe('signed_in')
    await page.evaluate(() => window.app.client.signOut({ redirect: false }))
    await tab2.close()
    await page.close()
  })

  it('a blocked popup rejects with popup_blocked and starts no sign-in', async () => {
    const page = await openApp(e, context)
    const outcome = await page.evaluate(() => {
      // What window.open gives when the browser's popup blocker steps in.
      window.open = () => null
      return window.app.signInPopup().then(
        () => 'signed in',
        (err: { code: string }) => err.code,
      )
    })
    expect(outcome).toBe('popup_blocked')
    expect(await pendingStates(page)).toEqual([])
    expect(await status(page)).toBe('signed_out')
    await page.close()
  })

  it('closing the popup rejects with popup_closed', async () => {
    const fresh = await e.browser.newContext()
    const page = await openApp(e, fresh)
    const { popup, outcome } = await startPopup(page)
    await popup.waitForURL((url) => url.pathname.endsWith('/login'))
    await popup.close()
    expect(await outcome).toEqual({ code: 'popup_closed' })
    expect(await status(page)).toBe('signed_out')
    await fresh.close()
  })

  it("the provider's error in the callback rejects with it, typed", async () => {
    const fresh = await e.browser.newContext()
    const page = await openApp(e, fresh)
    // No session at the provider: prompt=none answers login_required at once.
    const { outcome } = await startPopup(page, { prompt: 'none' })
    expect(await outcome).toEqual({ code: 'authorization_error', error: 'login_required' })
    expect(await status(page)).toBe('signed_out')
    await fresh.close()
  })

  it('ignores messages from another origin, another window or for another state', async () => {
    const fresh = await e.browser.newContext()
    const page = await openApp(e, fresh)
    const codesBefore = e.grants.authorization_code ?? 0
    const { popup, outcome } = await startPopup(page)
    await popup.waitForURL((url) => url.pathname.endsWith('/login'))
    const [state] = await pendingStates(page)
    const forged = `${e.appOrigin}/callback?code=forged&state=${state}`
    const message = (url: string) => ({ type: 'realmauth:popup-callback', url })
    // The popup's window, but on the provider's origin, with the right state.
    await popup.evaluate((m) => window.opener.postMessage(m, '*'), message(forged))
    // This origin, the right state, but not the popup's window.
    await page.evaluate((m) => window.postMessage(m, window.location.origin), message(forged))

    // The popup's own window on this origin, but for another state: posted by the callback
    // page before the app's script hands over the real URL.
    await popup.addInitScript(() => {
      if (window.location.pathname === '/callback') {
        window.opener.postMessage({ type: 'realmauth:popup-callback', url: `${window.location.origin}/callback?code=forged&state=wrong` }, window.location.origin)
      }
    })
    await signInAtProviderPage(popup)
    // Had any forged message been taken, the sign-in would have failed on it and this one been refused.
    expect(await outcome).toEqual({ ok: {} })
    expect(await status(page)).toBe('signed_in')
    expect((e.grants.authorization_code ?? 0) - codesBefore).toBe(1)
    await fresh.close()
  })
})
