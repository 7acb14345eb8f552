/**
 * useAuth().signInPopup against the reference provider through msw: the popup is a stand-in
 * window whose navigation signs in at the provider and posts the callback back, as the
 * popup's callback page does in a browser (test/browser/popup.test.ts runs the real thing).
 */
import './nodeRealm.js'
import { act, cleanup, fireEvent, render, screen } from '@testing-library/react'
import { setupServer } from 'msw/node'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { MemoryTransactionStore } from '@realmauth/core'
import { DEMO, createProvider, demoConfig } from '@realmauth/server'
import { providerHandlers } from '@realmauth/server/msw'
import { AuthProvider, useAuth, type AuthError } from '@realmauth/react'
import { signInAtProvider } from '../clients/providerHarness.js'

const ORIGIN = 'https://idp.example.test'
const APP = window.location.origin
const provider = createProvider(demoConfig({ spaOrigins: [APP] }))
const server = setupServer(...providerHandlers(provider, ORIGIN))
const issuer = provider.issuer(DEMO.realm, ORIGIN)

beforeAll(async () => {
  await provider.ready
  server.listen({ onUnhandledRequest: 'error' })
  vi.stubGlobal('indexedDB', {})
})
afterEach(() => {
  cleanup()
  vi.restoreAllMocks()
})
afterAll(() => {
  server.close()
  vi.unstubAllGlobals()
})

/** Timers the test runs by hand: the popup's closed check never waits on the wall clock. */
function manualTimers() {
  const due = new Map<number, () => void>()
  let next = 0
  return {
    setTimeout: (fn: () => void) => (due.set(++next, fn), next),
    clearTimeout: (id: unknown) => void due.delete(id as number),
    runAll() {
      const fns = [...due.values()]
      due.clear()
      for (const fn of fns) fn()
    },
  }
}

/** A popup window stand-in: `navigated` resolves with the URL the client sent it to. */
function fakePopup() {
  let navigate!: (url: string) => void
  const navigated = new Promise<string>((resolve) => (navigate = resolve))
  const popup = {
    closed: false,
    close: vi.fn(() => void (popup.closed = true)),
    location: {
      set href(url: string) {
        navigate(url)
      },
    },
  }
  return { popup, navigated }
}

/** What the popup's callback page posts to its opener; jsdom's MessageEvent takes no stand-in source. */
function post(url: string, source: unknown, origin = APP) {
  const event = new MessageEvent('message', { data: { type: 'realmauth:popup-callback', url }, origin })
  Object.defineProperty(event, 'source', { value: source })
  window.dispatchEvent(event)
}

let outcome: { appState?: unknown } | AuthError | undefined
function App() {
  const { status, user, signInPopup } = useAuth()
  return (
    <div>
      <p data-testid="status">{status}</p>
      <p data-testid="user">{user?.sub ?? 'nobody'}</p>
      <button onClick={() => void signInPopup({ appState: { tab: 'orders' } }).then((r) => (outcome = r), (e: AuthError) => (outcome = e))}>popup</button>
    </div>
  )
}

function renderApp(timers = manualTimers()) {
  outcome = undefined
  render(
    <AuthProvider issuer={issuer} clientId={DEMO.spa.client_id} scope="openid profile email" storage="memory" transactionStore={new MemoryTransactionStore()} crossTab={false} refresh={{ auto: false }} timers={timers}>
      <App />
    </AuthProvider>,
  )
  return timers
}

describe('useAuth().signInPopup (msw)', () => {
  it('goes from signed_out to signed_in on the callback the popup hands back, ignoring forged ones', async () => {
    const { popup, navigated } = fakePopup()
    const open = vi.spyOn(window, 'open').mockReturnValue(popup as unknown as Window)
    renderApp()
    expect(await screen.findByText('signed_out')).toBeTruthy()

    fireEvent.click(screen.getByText('popup'))
    // Opened inside the click, before anything was awaited: no popup blocker would object.
    expect(open).toHaveBeenCalledTimes(1)
    const callback = await signInAtProvider({ origin: ORIGIN }, new URL(await navigated))
    const state = new URL(callback).searchParams.get('state')
    // Another origin, another window, another state: all ignored, the sign-in still pending.
    post(callback, popup, 'https://evil.example')
    post(callback, window)
    post(callback.replace(`state=${state}`, 'state=forged'), popup)
    await act(() => Promise.resolve())
    expect(screen.getByTestId('status').textContent).toBe('signed_out')
    expect(outcome).toBeUndefined()

    post(callback, popup)
    expect(await screen.findByText('signed_in')).toBeTruthy()
    expect(screen.getByTestId('user').textContent).toBe('demo')
    expect(outcome).toEqual({ appState: { tab: 'orders' } })
    expect(popup.close).toHaveBeenCalled()
  })

  it('a popup the user closes leaves the app signed out with popup_closed', async () => {
    const { popup, navigated } = fakePopup()
    vi.spyOn(window, 'open').mockReturnValue(popup as unknown as Window)
    const timers = renderApp()
    expect(await screen.findByText('signed_out')).toBeTruthy()
    fireEvent.click(screen.getByText('popup'))
    await navigated
    timers.runAll()
    expect(outcome).toBeUndefined() // still open: still waiting
    popup.closed = true
    await act(async () => timers.runAll())
    await vi.waitFor(() => expect((outcome as AuthError | undefined)?.code).toBe('popup_closed'))
    expect(screen.getByTestId('status').textContent).toBe('signed_out')
  })

  it('a blocked popup rejects with popup_blocked at once', async () => {
    vi.spyOn(window, 'open').mockReturnValue(null)
    renderApp()
    expect(await screen.findByText('signed_out')).toBeTruthy()
    fireEvent.click(screen.getByText('popup'))
    await vi.waitFor(() => expect((outcome as AuthError | undefined)?.code).toBe('popup_blocked'))
    expect(screen.getByTestId('status').textContent).toBe('signed_out')
  })
})
