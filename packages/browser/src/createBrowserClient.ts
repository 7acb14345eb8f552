import {
  AuthClient,
  AuthError,
  MemoryTokenStore,
  MemoryTransactionStore,
  realmIssuer,
  type AuthClientOptions,
  type AuthSnapshot,
  type IdTokenClaims,
  type SignInOptions,
  type Timers,
  type TokenStore,
} from '@realmauth/core'
import { IndexedDbTokenStore, IndexedDbTransactionStore } from './idbStores.js'
import { handOverPopupCallback } from './signInPopup.js'

/**
 * Options of {@link createBrowserClient}: core's client options, with `issuer` or `baseUrl`
 * and `realm` for AM, and what a browser adds. `redirectUri` defaults to `{origin}/callback`;
 * `dpop: indexedDbDPoP` keeps a non-exportable key in IndexedDB.
 *
 * @example
 * ```ts
 * const options: BrowserClientOptions = { baseUrl: 'https://tenant.example.com/am', realm: 'alpha', clientId: 'spa', dpop: indexedDbDPoP }
 * ```
 */
export interface BrowserClientOptions extends Omit<AuthClientOptions, 'issuer' | 'clientAuth' | 'tokenStore' | 'lock'> {
  issuer?: string
  /** An AM / Identity Cloud base URL such as `https://tenant.example.com/am`, with `realm`. */
  baseUrl?: string
  realm?: string
  /** Where `signOut` returns the user to; default the page's origin with `/`. */
  postLogoutRedirectUri?: string
  /** `indexeddb` (default in a browser), `memory`, or your own store. */
  storage?: 'indexeddb' | 'memory' | TokenStore
  /** Share refreshes and sign-outs with other tabs (Web Locks + BroadcastChannel). Default true. */
  crossTab?: boolean
}

/** The SPA client: redirect sign-in, tokens that stay fresh, tabs that agree. */
export interface BrowserClient {
  /** The core client: `subscribe`, `getSnapshot`, `on`, `refresh`, `userinfo`. */
  readonly auth: AuthClient
  subscribe(listener: () => void): () => void
  getSnapshot(): AuthSnapshot
  /** Sends the browser to the provider's sign-in with PKCE, `state` and `nonce`. */
  signIn(options?: SignInOptions): Promise<void>
  /**
   * Finishes the sign-in on the callback page and removes `code`, `state` and `iss` from
   * the address bar. Calling it twice for one callback returns the same result (React's
   * StrictMode runs effects twice); a reloaded callback fails with `transaction_not_found`.
   * In a popup opened by `signInPopup` it hands the URL to the opener instead, which
   * closes the popup, and never settles.
   */
  handleRedirectCallback(url?: string): Promise<{ appState?: unknown }>
  /** Whether `url` (default the current one) is a sign-in callback for this client. */
  isRedirectCallback(url?: string): boolean
  getAccessToken(): Promise<string>
  getUser(): IdTokenClaims | undefined
  /** Revokes the refresh token, clears storage in every tab, and redirects to the provider's logout. */
  signOut(options?: { postLogoutRedirectUri?: string; redirect?: boolean }): Promise<void>
  /**
   * `fetch` with the access token (a DPoP proof too for DPoP tokens), to the page's origin,
   * the issuer's or `apiOrigins` only (any other is a `configuration_error`, nothing sent);
   * on a 401 it refreshes once and retries once.
   */
  authFetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response>
  /** Stops timers, listeners and the tab channel. */
  dispose(): void
  /** The timers the client was given (default the global ones); `signInPopup` polls with them. */
  readonly timers: Timers
}

const inBrowser = () => typeof window !== 'undefined' && typeof indexedDB !== 'undefined'

/**
 * Creates the SPA client. Safe to call during server rendering: without a window it keeps
 * tokens in memory and touches no browser API.
 *
 * @example
 * ```ts
 * const auth = createBrowserClient({ baseUrl: 'https://tenant.example.com/am', realm: 'alpha', clientId: 'spa' })
 * if (auth.isRedirectCallback()) await auth.handleRedirectCallback()
 * else if (auth.getSnapshot().status !== 'signed_in') await auth.signIn()
 * const res = await auth.authFetch('/api/orders')
 * ```
 */
export function createBrowserClient(options: BrowserClientOptions): BrowserClient {
  const { issuer: givenIssuer, baseUrl, realm, postLogoutRedirectUri: signedOutTo, storage, crossTab: shareTabs, ...core } = options
  const issuer = givenIssuer ?? (baseUrl && realm !== undefined ? realmIssuer(baseUrl, realm) : undefined)
  if (!issuer) throw new AuthError('configuration_error', 'Give issuer, or baseUrl and realm')
  const browser = inBrowser()
  const origin = browser ? window.location.origin : ''
  const redirectUri = options.redirectUri ?? `${origin}/callback`
  const tokenStore =
    typeof storage === 'object' ? storage : storage === 'memory' || !browser ? new MemoryTokenStore() : new IndexedDbTokenStore(issuer, options.clientId)
  const crossTab = browser && shareTabs !== false
  const locks = crossTab && typeof navigator !== 'undefined' ? navigator.locks : undefined
  const channel = crossTab && typeof BroadcastChannel !== 'undefined' ? new BroadcastChannel(`realmauth:${issuer}:${options.clientId}`) : undefined

  const config: AuthClientOptions = {
    ...core,
    issuer,
    redirectUri,
    // The app's own API is on its own origin: authFetch('/api/orders') needs no configuration.
    ...(origin && origin !== 'null' && { apiOrigins: [origin, ...(options.apiOrigins ?? [])] }),
    tokenStore,
    transactionStore: options.transactionStore ?? (browser ? new IndexedDbTransactionStore() : new MemoryTransactionStore()),
    ...(locks && { lock: <T>(name: string, fn: () => Promise<T>) => locks.request(name, fn) as Promise<T> }),
  }
  const auth = new AuthClient(config)
  const timers: Timers = core.timers ?? globalThis
  const callbacks = new Map<string, Promise<{ appState?: unknown }>>()
  // dispose() removes every listener added with it.
  const disposed = new AbortController()
  const { signal } = disposed

  if (channel) {
    // Another tab changed the shared store: adopt what it wrote, make no request.
    channel.onmessage = () => void auth.syncFromStore()
    // Unsubscribed by auth.dispose(), which drops every listener.
    auth.on((event) => {
      if (event.type === 'signed_in' || event.type === 'signed_out' || event.type === 'session_ended' || (event.type === 'refresh_success' && event.source === 'provider')) {
        channel.postMessage(event.type)
      }
    })
  }
  if (browser) {
    // Timers stall while a laptop sleeps or a tab is hidden: check expiry when it comes back.
    const recheck = () => {
      if (document.visibilityState === 'visible') void auth.refreshIfDue()
    }
    document.addEventListener('visibilitychange', recheck, { signal })
    window.addEventListener('online', recheck, { signal })
    window.addEventListener('pageshow', recheck, { signal })
    void auth.load()
  }

  /** Finishes a callback once per URL. */
  function finishCallback(url: string): Promise<{ appState?: unknown }> {
    let pending = callbacks.get(url)
    if (!pending) {
      // Whatever the outcome, the code leaves the address bar before the caller resumes,
      // so a navigation the caller makes next cannot push it into history.
      const clean = () => {
        if (browser && window.location.href === url) {
          const cleaned = new URL(url)
          for (const p of ['code', 'state', 'iss', 'session_state', 'error', 'error_description', 'error_uri']) cleaned.searchParams.delete(p)
          window.history.replaceState(window.history.state, '', cleaned.pathname + cleaned.search + cleaned.hash)
        }
      }
      pending = auth.handleCallback(url).then(
        // What is left without the tokens: `appState`, when the sign-in kept one.
        ({ tokens: _tokens, ...result }) => {
          clean()
          return result
        },
        (error: unknown) => {
          clean()
          throw error
        },
      )
      callbacks.set(url, pending)
    }
    return pending
  }

  const client: BrowserClient = {
    auth,
    timers,
    subscribe: auth.subscribe,
    getSnapshot: auth.getSnapshot,
    async signIn(signIn = {}) {
      const url = await auth.signInUrl(signIn)
      window.location.assign(url.href)
    },
    isRedirectCallback(url = browser ? window.location.href : '') {
      if (!url) return false
      const parsed = new URL(url)
      const expected = new URL(redirectUri)
      return (
        parsed.origin === expected.origin &&
        parsed.pathname === expected.pathname &&
        parsed.searchParams.has('state') &&
        (parsed.searchParams.has('code') || parsed.searchParams.has('error'))
      )
    },
    handleRedirectCallback(url = window.location.href) {
      if (browser && url === window.location.href && handOverPopupCallback(url, timers)) return new Promise(() => {})
      return finishCallback(url)
    },
    getAccessToken: () => auth.getAccessToken(),
    getUser: () => auth.getSnapshot().user,
    async signOut(signOutOptions = {}) {
      const postLogoutRedirectUri = signOutOptions.postLogoutRedirectUri ?? signedOutTo ?? (origin ? `${origin}/` : undefined)
      const { endSessionUrl } = await auth.signOut({ postLogoutRedirectUri })
      if (endSessionUrl && signOutOptions.redirect !== false && browser) window.location.assign(endSessionUrl.href)
    },
    authFetch: (input, init) => auth.authFetch(input, init),
    dispose() {
      disposed.abort()
      channel?.close()
      auth.dispose()
    },
  }
  return client
}
