/**
 * The provider component against the real reference provider, in process through msw: a
 * StrictMode app on its callback page finishes the sign-in with one code exchange and one
 * client, then gets, refreshes and drops tokens.
 */
import './nodeRealm.js'
import { StrictMode } from 'react'
import { act, cleanup, fireEvent, render, screen } from '@testing-library/react'
import { setupServer } from 'msw/node'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { AuthClient, MemoryTransactionStore } from '@realmauth/core'
import * as browser from '@realmauth/browser'
import { DEMO, createProvider, demoConfig } from '@realmauth/server'
import { providerHandlers } from '@realmauth/server/msw'
import { AuthProvider, useAccessToken, useAuth, type AuthState } from '@realmauth/react'
import { signInAtProvider } from '../clients/providerHarness.js'

// Wraps the real createBrowserClient to count the clients the provider creates and to spy
// on each one's code exchange.
vi.mock('@realmauth/browser', async (importOriginal) => {
  const actual = await importOriginal<typeof import('@realmauth/browser')>()
  return {
    ...actual,
    createBrowserClient: vi.fn((options: browser.BrowserClientOptions) => {
      const client = actual.createBrowserClient(options)
      vi.spyOn(client.auth, 'handleCallback')
      vi.spyOn(client, 'dispose')
      return client
    }),
  }
})


const ORIGIN = 'https://idp.example.test'
const APP = window.location.origin
const created = vi.mocked(browser.createBrowserClient)
const requests: string[] = []
/** When set, the provider answers as AM does by default: protocol claims only in ID tokens. */
let protocolOnlyIdTokens = false
const PROFILE_CLAIMS = new Set(['name', 'given_name', 'family_name', 'preferred_username', 'email', 'email_verified'])

const provider = createProvider(demoConfig({ spaOrigins: [APP] }))
const server = setupServer(
  ...providerHandlers(
    {
      ...provider,
      async fetch(request: Request) {
        requests.push(new URL(request.url).pathname)
        const response = await provider.fetch(request)
        if (!protocolOnlyIdTokens || !new URL(request.url).pathname.endsWith('/access_token') || !response.ok) return response
        // The test double for the realm's always_return_claims_in_id_tokens off (issue 16).
        const body = (await response.json()) as { id_token?: string }
        if (body.id_token) {
          const claims = JSON.parse(Buffer.from(body.id_token.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>
          body.id_token = await provider.signJwt(Object.fromEntries(Object.entries(claims).filter(([name]) => !PROFILE_CLAIMS.has(name))))
        }
        return Response.json(body, { headers: response.headers })
      },
    },
    ORIGIN,
  ),
)
const count = (suffix: string) => requests.filter((p) => p.endsWith(suffix)).length

beforeAll(async () => {
  await provider.ready
  server.listen({ onUnhandledRequest: 'error' })
  // createBrowserClient treats a page without IndexedDB as a server; this page has one
  // in name only: tokens and transactions are given in-memory stores below.
  vi.stubGlobal('indexedDB', {})
})
afterEach(() => cleanup())
afterAll(() => {
  server.close()
  vi.unstubAllGlobals()
  window.history.replaceState(null, '', '/')
})

function App() {
  const auth = useAuth()
  const { token } = useAccessToken()
  latest = auth
  return (
    <div>
      <p data-testid="status">{auth.status}</p>
      <p data-testid="user">{auth.user?.sub ?? 'nobody'}</p>
      <p data-testid="token">{token ?? '-'}</p>
      <button onClick={() => void auth.signOut({ redirect: false })}>sign out</button>
    </div>
  )
}
let latest: AuthState | undefined

describe('AuthProvider with the reference provider (msw)', () => {
  it('finishes the callback once under StrictMode with one client, then gets, refreshes and drops tokens', async () => {
    // Node's fetch (jsdom has none), which msw intercepts: nothing leaves the process.
    expect(String(globalThis.fetch)).not.toContain('jsdom')
    const issuer = provider.issuer(DEMO.realm, ORIGIN)
    const transactionStore = new MemoryTransactionStore()
    // Starts the sign-in as the page before the redirect did, sharing the transaction store.
    const starter = new AuthClient({ issuer, clientId: DEMO.spa.client_id, redirectUri: `${APP}/callback`, transactionStore })
    const callback = await signInAtProvider({ origin: ORIGIN }, await starter.signInUrl({ scope: 'openid profile email', appState: { returnTo: '/orders' } }))
    const callbackUrl = new URL(callback)
    expect(callbackUrl.pathname).toBe('/callback')
    window.history.replaceState(null, '', callbackUrl.pathname + callbackUrl.search)
    const tokenRequestsBefore = count('/access_token')

    const onRedirectCallback = vi.fn()
    const view = render(
      <StrictMode>
        <AuthProvider
          issuer={issuer}
          clientId={DEMO.spa.client_id}
          scope="openid profile email"
          storage="memory"
          transactionStore={transactionStore}
          crossTab={false}
          refresh={{ auto: false }}
          onRedirectCallback={onRedirectCallback}
        >
          <App />
        </AuthProvider>
      </StrictMode>,
    )
    expect(screen.getByTestId('status').textContent).toBe('loading')
    expect(await screen.findByText('signed_in')).toBeTruthy()

    expect(created).toHaveBeenCalledTimes(1)
    const client = created.mock.results[0]!.value as browser.BrowserClient
    expect(client.auth.handleCallback).toHaveBeenCalledTimes(1)
    expect(count('/access_token') - tokenRequestsBefore).toBe(1)
    expect(onRedirectCallback).toHaveBeenCalledTimes(1)
    expect(onRedirectCallback).toHaveBeenCalledWith({ returnTo: '/orders' })
    expect(screen.getByTestId('user').textContent).toBe('demo')
    expect(latest!.user?.email).toBeDefined()
    // The browser client took the code out of the address bar.
    await vi.waitFor(() => expect(window.location.search).toBe(''))

    const first = await latest!.getAccessToken()
    expect(first).toMatch(/\S{20,}/)
    expect(await screen.findByText(first)).toBeTruthy()

    await act(() => client.auth.refresh())
    expect(count('/access_token') - tokenRequestsBefore).toBe(2)
    const second = await latest!.getAccessToken()
    expect(second).not.toBe(first)
    expect(await screen.findByText(second)).toBeTruthy()

    fireEvent.click(screen.getByText('sign out'))
    expect(await screen.findByText('signed_out')).toBeTruthy()
    expect(screen.getByTestId('token').textContent).toBe('-')
    await vi.waitFor(() => expect(count('/token/revoke')).toBe(1))

    expect(client.dispose).not.toHaveBeenCalled()
    view.unmount()
    await act(() => Promise.resolve())
    expect(client.dispose).toHaveBeenCalledTimes(1)
    expect(created).toHaveBeenCalledTimes(1)
  })

  it('gives the full profile by default when the ID token carries protocol claims only, as AM sends it', async () => {
    protocolOnlyIdTokens = true
    try {
      const issuer = provider.issuer(DEMO.realm, ORIGIN)
      const transactionStore = new MemoryTransactionStore()
      const starter = new AuthClient({ issuer, clientId: DEMO.spa.client_id, redirectUri: `${APP}/callback`, transactionStore })
      const callbackUrl = new URL(await signInAtProvider({ origin: ORIGIN }, await starter.signInUrl({ scope: 'openid profile email' })))
      window.history.replaceState(null, '', callbackUrl.pathname + callbackUrl.search)
      const userinfoBefore = count('/userinfo')
      render(
        <AuthProvider issuer={issuer} clientId={DEMO.spa.client_id} scope="openid profile email" storage="memory" transactionStore={transactionStore} crossTab={false} refresh={{ auto: false }}>
          <App />
        </AuthProvider>,
      )
      expect(await screen.findByText('signed_in')).toBeTruthy()
      const client = created.mock.results.at(-1)!.value as browser.BrowserClient
      // The ID token really had no profile: it came from userinfo, once.
      expect(client.getSnapshot().tokens!.claims!.email).toBeUndefined()
      expect(count('/userinfo') - userinfoBefore).toBe(1)
      expect(latest!.user).toMatchObject({ sub: 'demo', email: 'demo@example.com', email_verified: true })
      expect(typeof latest!.user?.name).toBe('string')
    } finally {
      protocolOnlyIdTokens = false
    }
  })
})
