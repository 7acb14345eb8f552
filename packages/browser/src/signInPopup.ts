import { AuthError, type SignInOptions, type Timers } from '@realmauth/core'
import type { BrowserClient } from './createBrowserClient.js'

/**
 * Options of `signInPopup`: a sign-in's options, and how the popup is opened and watched.
 *
 * @example
 * ```ts
 * const options: PopupSignInOptions = { loginHint: 'demo', popupFeatures: 'width=480,height=640' }
 * ```
 */
export interface PopupSignInOptions extends SignInOptions {
  /**
   * A window the app opened itself, in the click handler before anything was awaited; by
   * default `signInPopup` opens one, and must then be called from the click handler.
   */
  popup?: Window
  /** `window.open` features; default a 480×640 window over the page. */
  popupFeatures?: string
  /** How often to look whether the user closed the popup, in ms. Default 500. */
  closedPollMs?: number
}

/** What the popup's callback page posts to its opener. */
const MESSAGE = 'realmauth:popup-callback'

/**
 * Signs in in a popup, for apps that cannot leave the page: the same PKCE, `state`, `nonce`
 * and validation as `signIn`, finished here when the popup's callback page (which calls
 * `handleRedirectCallback` as the redirect's does) hands its URL back; see decisions/0038.
 * Call it from a click handler, before awaiting anything, or the browser blocks the popup
 * (`popup_blocked`); a popup the user closes rejects with `popup_closed`. A function, not a
 * client method, so that apps without popups do not ship it.
 *
 * @example
 * ```ts
 * document.querySelector('button')!.onclick = () => signInPopup(auth, { appState: { returnTo: '/orders' } })
 * ```
 */
export function signInPopup(client: BrowserClient, options: PopupSignInOptions = {}): Promise<{ appState?: unknown }> {
  const { timers } = client
  const { popup: given, popupFeatures, closedPollMs = 500, ...signIn } = options
  const features = popupFeatures ?? `popup,width=480,height=640,left=${Math.round(window.screenX + (window.outerWidth - 480) / 2)},top=${Math.round(window.screenY + (window.outerHeight - 640) / 2)}`
  const popup = given ?? window.open('about:blank', 'realmauth-sign-in', features)
  if (!popup) return Promise.reject(new AuthError('popup_blocked', 'The browser blocked the sign-in popup: call signInPopup from a click handler'))
  return (async () => {
    let state: string
    try {
      const request = await client.auth.signInRequest(signIn)
      state = request.state
      popup.location.href = request.url.href
    } catch (err) {
      popup.close()
      throw err
    }
    const callbackUrl = await new Promise<string>((resolve, reject) => {
      let timer: unknown
      const stop = () => {
        window.removeEventListener('message', onMessage)
        timers.clearTimeout(timer)
      }
      // Only the popup, only from this origin, only for this sign-in: anything else is ignored.
      const onMessage = (event: MessageEvent) => {
        if (event.origin !== window.location.origin || event.source !== popup) return
        const data = event.data as { type?: unknown; url?: unknown } | null
        if (data?.type !== MESSAGE || typeof data.url !== 'string') return
        if (stateOf(data.url) !== state) return
        stop()
        resolve(data.url)
      }
      const poll = () => {
        if (popup.closed) {
          stop()
          reject(new AuthError('popup_closed', 'The sign-in popup was closed before the sign-in finished'))
        } else timer = timers.setTimeout(poll, closedPollMs)
      }
      window.addEventListener('message', onMessage)
      timer = timers.setTimeout(poll, closedPollMs)
    })
    popup.close()
    // Not the page's own URL: the client finishes it as a redirect callback, without a hand-over.
    return client.handleRedirectCallback(callbackUrl)
  })()
}

function stateOf(url: string): string | null {
  try {
    return new URL(url).searchParams.get('state')
  } catch {
    return null
  }
}

/**
 * On a callback page opened by `signInPopup`: hands the callback URL to the opener (same
 * origin only) and returns true; the opener validates it and closes this window.
 *
 * @internal
 */
export function handOverPopupCallback(url: string, timers: Timers): boolean {
  const opener = window.opener as Window | null
  if (!opener || opener === window) return false
  try {
    // Reading another origin's location throws: such an opener gets nothing.
    if (opener.location.origin !== window.location.origin) return false
  } catch {
    return false
  }
  opener.postMessage({ type: MESSAGE, url }, window.location.origin)
  // The opener closes the popup; should it be gone, do not leave the callback page up.
  timers.setTimeout(() => window.close(), 2000)
  return true
}
