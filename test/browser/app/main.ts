// The SPA the browser tests drive: @realmauth/browser as an app would use it, with hooks
// on `window.app` for the test to read state and move the page's clock.
import { createBrowserClient, indexedDbDPoP, signInPopup, userinfoProfile, AuthError, type PopupSignInOptions } from '@realmauth/browser'

declare global {
  interface Window {
    app: TestApp
  }
}

interface TestApp {
  client: ReturnType<typeof createBrowserClient>
  signInPopup(options?: PopupSignInOptions): Promise<{ appState?: unknown }>
  ready: Promise<void>
  offsetMs: number
  lastError?: { code: string; error?: string; message: string }
  callbackUrl?: string
  refreshEvents: string[]
  storedKeys(): Promise<string[]>
}

const config = JSON.parse(document.getElementById('config')!.textContent!) as { issuer: string; clientId: string; origin: string; offsetMs: number; dpop?: boolean; profile?: boolean }
const app = {
  offsetMs: config.offsetMs,
  refreshEvents: [] as string[],
} as TestApp
window.app = app
app.signInPopup = (options) => signInPopup(app.client, options)
app.client = createBrowserClient({
  issuer: config.issuer,
  clientId: config.clientId,
  redirectUri: `${config.origin}/callback`,
  scope: 'openid profile email',
  // The page's clock, moved by the test together with the provider's: nothing sleeps.
  clock: () => Date.now() + app.offsetMs,
  refresh: { auto: false, jitterSeconds: 0, backoffMs: 10 },
  ...(config.dpop && { dpop: indexedDbDPoP }),
  // The user's profile from userinfo, as an app that shows it would ask (AM keeps it out of ID tokens).
  ...(config.profile && { profile: userinfoProfile }),
})
app.client.auth.on((event) => app.refreshEvents.push(event.type))
app.storedKeys = () =>
  new Promise((resolve, reject) => {
    const open = indexedDB.open('realmauth')
    open.onerror = () => reject(open.error)
    open.onsuccess = () => {
      const db = open.result
      const request = db.transaction('keyval').objectStore('keyval').getAllKeys()
      request.onsuccess = () => resolve(request.result.map(String))
      request.onerror = () => reject(request.error)
    }
  })

const render = () => {
  const s = app.client.getSnapshot()
  document.body.dataset.status = s.status
  // Pages served by serveTestPage have no #user slot.
  const user = document.getElementById('user')
  if (user) user.textContent = s.user ? String(s.user.sub) : ''
}
app.client.subscribe(render)

app.ready = (async () => {
  await app.client.auth.load()
  if (app.client.isRedirectCallback()) {
    app.callbackUrl = location.href
    try {
      await app.client.handleRedirectCallback()
    } catch (err) {
      app.lastError = err instanceof AuthError ? { code: err.code, ...(err.error && { error: err.error }), message: err.message } : { code: 'unknown', message: String(err) }
    }
  }
  render()
  document.body.dataset.ready = 'true'
})()
