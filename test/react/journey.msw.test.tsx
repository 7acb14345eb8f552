/**
 * useJourney() and <Journey> against the provider's journeys, in
 * process through msw: the default form through TOTP and a choice, errors as AM words them,
 * a fresh journey after a failure, callback components replaced one kind at a time.
 */
import './nodeRealm.js'
import { StrictMode } from 'react'
import { act, cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { createBrowserClient, type BrowserClient } from '@realmauth/browser'
import { AuthProvider, Journey, useJourney } from '@realmauth/react'
import type { ProviderUnderTest } from '../clients/providerHarness.js'
import { AUTH_ID_LIFETIME_S, JOURNEY_USER, TOTP_SECRET, startJourneyProvider, totp } from '../clients/journeyProvider.js'

let p: ProviderUnderTest
let authenticateRequests = 0
beforeAll(async () => {
  p = await startJourneyProvider('msw', window.location.origin)
})
afterAll(() => p.close())
afterEach(cleanup)

function makeClient(): BrowserClient {
  const fetch: typeof globalThis.fetch = (input, init) => {
    if (new URL(input instanceof Request ? input.url : String(input)).pathname.endsWith('/authenticate')) authenticateRequests++
    return p.fetch(input, init)
  }
  return createBrowserClient({ issuer: p.issuer(), clientId: 'spa', storage: 'memory', crossTab: false, fetch, clock: () => p.clock.now })
}

const type = (field: string | HTMLElement, value: string) => fireEvent.change(typeof field === 'string' ? screen.getByLabelText(field) : field, { target: { value } })
const submit = () => act(async () => void fireEvent.click(screen.getByRole('button', { name: 'Continue' })))

describe('<Journey>', () => {
  it('MFA: the default form through password and TOTP; a wrong code asks again from the first page; success goes to onSuccess', async () => {
    const onSuccess = vi.fn()
    render(<AuthProvider client={makeClient()}><Journey journey="MFA" onSuccess={onSuccess} /></AuthProvider>)
    type(await screen.findByLabelText('User Name'), JOURNEY_USER.username)
    expect(screen.getByLabelText('User Name').getAttribute('autocomplete')).toBe('username')
    type('Password', JOURNEY_USER.password)
    await submit()
    const otp = await screen.findByLabelText('One-time password')
    expect(otp.getAttribute('autocomplete')).toBe('one-time-code')
    expect((otp as HTMLInputElement).value).toBe('')
    type('One-time password', '000000')
    await submit()
    type(await screen.findByLabelText('User Name'), JOURNEY_USER.username)
    type('Password', JOURNEY_USER.password)
    await submit()
    type(await screen.findByLabelText('One-time password'), totp(TOTP_SECRET, p.clock.now))
    await submit()
    await waitFor(() => expect(onSuccess).toHaveBeenCalledTimes(1))
    expect(onSuccess.mock.calls[0]![0]).toMatchObject({ type: 'success', sessionToken: expect.any(String) })
    expect(screen.queryByRole('button', { name: 'Continue' })).toBeNull()
  })

  it('a wrong password shows AM\'s message over a fresh, empty form that then signs in', async () => {
    const onSuccess = vi.fn()
    render(<AuthProvider client={makeClient()}><Journey journey="Login" onSuccess={onSuccess} /></AuthProvider>)
    type(await screen.findByLabelText('User Name'), JOURNEY_USER.username)
    type('Password', 'wrong')
    await submit()
    expect((await screen.findByRole('alert')).textContent).toBe('Login failure')
    await waitFor(() => expect((screen.getByLabelText('Password') as HTMLInputElement).value).toBe(''))
    type('User Name', JOURNEY_USER.username)
    type('Password', JOURNEY_USER.password)
    await submit()
    await waitFor(() => expect(onSuccess).toHaveBeenCalledTimes(1))
  })

  it('a choice renders as radios; components replace one callback kind', async () => {
    render(
      <AuthProvider client={makeClient()}>
        <Journey
          journey="Choose"
          onSuccess={() => {}}
          components={{ password: ({ callback }) => <input data-testid="custom-secret" aria-label={`custom ${callback.prompt}`} onChange={(e) => callback.setPassword(e.target.value)} /> }}
        />
      </AuthProvider>,
    )
    expect(await screen.findByText('How do you want to sign in?')).toBeTruthy()
    fireEvent.click(screen.getByLabelText('Password and code'))
    await submit()
    expect(await screen.findByLabelText('custom Password')).toBeTruthy()
    type('User Name', JOURNEY_USER.username)
    type('custom Password', JOURNEY_USER.password)
    await submit()
    expect(await screen.findByLabelText('custom One-time password')).toBeTruthy()
  })

  it('by default a success signs in with prompt=none', async () => {
    const client = makeClient()
    const redirect = vi.spyOn(client, 'signIn').mockResolvedValue()
    render(<AuthProvider client={client}><Journey journey="Login" /></AuthProvider>)
    type(await screen.findByLabelText('User Name'), JOURNEY_USER.username)
    type('Password', JOURNEY_USER.password)
    await submit()
    await waitFor(() => expect(redirect).toHaveBeenCalledWith({ prompt: 'none' }))
  })
})

describe('useJourney()', () => {
  function Probe({ onState }: { onState: (s: ReturnType<typeof useJourney>) => void }) {
    const state = useJourney({ journey: 'Login', onSuccess: () => {} })
    onState(state)
    return <p data-testid="kinds">{state.pending ? 'pending' : state.callbacks.map((c) => c.kind).join(',')}</p>
  }

  it('starts once under StrictMode; an expired step gives journey_expired and a fresh step', async () => {
    let latest!: ReturnType<typeof useJourney>
    const before = authenticateRequests
    render(<StrictMode><AuthProvider client={makeClient()}><Probe onState={(s) => (latest = s)} /></AuthProvider></StrictMode>)
    await waitFor(() => expect(screen.getByTestId('kinds').textContent).toBe('name,password'))
    expect(authenticateRequests - before).toBe(1)
    const first = latest.step
    p.clock.advance(AUTH_ID_LIFETIME_S + 1)
    await act(() => latest.submit())
    await waitFor(() => expect(latest.error?.code).toBe('journey_expired'))
    expect(latest.step).toBeDefined()
    expect(latest.step).not.toBe(first)
  })
})
