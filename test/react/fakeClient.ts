/**
 * BrowserClient stand-ins for the React tests, so no network is needed: one built around a
 * real core AuthClient with a pre-filled MemoryTokenStore, and one hand-made store whose
 * snapshots the test sets directly.
 */
import { vi } from 'vitest'
import { AuthClient, MemoryTokenStore, type AuthSnapshot, type TokenSet } from '@realmauth/core'
import type { BrowserClient } from '@realmauth/browser'

export const NOW = Date.UTC(2026, 5, 1)
export const ISSUER = 'https://idp.example.test/am/oauth2/realms/root/realms/alpha'
export const REDIRECT_URI = 'http://localhost:3000/callback'

export function tokenSet(n = 1, overrides: Partial<TokenSet> = {}): TokenSet {
  return {
    accessToken: `access-${n}`,
    tokenType: 'bearer',
    receivedAt: NOW,
    expiresAt: NOW + 3600_000,
    refreshToken: `refresh-${n}`,
    idToken: `id-token-${n}`,
    claims: { iss: ISSUER, sub: 'demo', aud: 'spa', iat: NOW / 1000, exp: NOW / 1000 + 3600, name: 'Demo User', email: 'demo@example.com' },
    ...overrides,
  }
}

export interface FakeClient extends BrowserClient {
  store: MemoryTokenStore
  /** Every request the client tried; it answers none, so signOut revokes nothing. */
  offlineFetch: ReturnType<typeof vi.fn>
  signIn: ReturnType<typeof vi.fn> & BrowserClient['signIn']
  dispose: ReturnType<typeof vi.fn> & BrowserClient['dispose']
}

/** A BrowserClient over a real AuthClient; `tokens` pre-fills its store (signed in once loaded). */
export function fakeClient(tokens?: TokenSet): FakeClient {
  const store = new MemoryTokenStore()
  if (tokens) void store.set(tokens)
  const offlineFetch = vi.fn(async () => {
    throw new TypeError('fetch failed: this client is offline')
  })
  const auth = new AuthClient({
    issuer: ISSUER,
    clientId: 'spa',
    redirectUri: REDIRECT_URI,
    tokenStore: store,
    refresh: { auto: false },
    clock: () => NOW,
    fetch: offlineFetch as unknown as typeof fetch,
  })
  const callbacks = new Map<string, Promise<{ appState?: unknown }>>()
  return {
    auth,
    store,
    offlineFetch,
    subscribe: auth.subscribe,
    getSnapshot: auth.getSnapshot,
    signIn: vi.fn(async () => {}),
    timers: globalThis,
    handleRedirectCallback(url = window.location.href) {
      let pending = callbacks.get(url)
      if (!pending) {
        pending = auth.handleCallback(url).then(({ appState }) => (appState === undefined ? {} : { appState }))
        callbacks.set(url, pending)
      }
      return pending
    },
    isRedirectCallback(url = typeof window === 'undefined' ? '' : window.location.href) {
      if (!url) return false
      const u = new URL(url)
      return u.origin + u.pathname === REDIRECT_URI && u.searchParams.has('state') && (u.searchParams.has('code') || u.searchParams.has('error'))
    },
    getAccessToken: () => auth.getAccessToken(),
    getUser: () => auth.getSnapshot().user,
    signOut: async () => {
      await auth.signOut()
    },
    authFetch: async () => {
      throw new Error('not used in these tests')
    },
    dispose: vi.fn(() => auth.dispose()),
  } as FakeClient
}

export interface ManualClient extends BrowserClient {
  /** Replaces the snapshot and tells subscribers. */
  set(snapshot: AuthSnapshot): void
  /** Tells subscribers without changing anything, as a noisy store might. */
  ping(): void
}

/** A minimal hand-made store implementing the BrowserClient interface. */
export function manualClient(initial: AuthSnapshot = { status: 'loading', refreshing: false }): ManualClient {
  let snapshot = initial
  const listeners = new Set<() => void>()
  const notify = () => listeners.forEach((l) => l())
  const notUsed = () => {
    throw new Error('not used in this test')
  }
  return {
    // A plain object with methods: the hooks must not rely on them being pre-bound.
    subscribe(listener) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    getSnapshot() {
      return snapshot
    },
    set(next) {
      snapshot = next
      notify()
    },
    ping: notify,
    auth: { load: async () => {} } as unknown as AuthClient,
    signIn: vi.fn(async () => {}),
    timers: globalThis,
    handleRedirectCallback: notUsed,
    isRedirectCallback: () => false,
    getAccessToken: async () => snapshot.tokens?.accessToken ?? notUsed(),
    getUser: () => snapshot.user,
    signOut: vi.fn(async () => {}),
    authFetch: notUsed,
    dispose: () => {},
  }
}
