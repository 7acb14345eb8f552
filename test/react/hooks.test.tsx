import { Component, StrictMode, useRef, version as reactVersion, type ReactNode } from 'react'
import { version as reactDomVersion } from 'react-dom'
import { act, cleanup, fireEvent, render, screen } from '@testing-library/react'
import { afterEach, describe, expect, inject, it, vi } from 'vitest'
import { AuthError } from '@realmauth/core'
import { AuthProvider, RequireAuth, useAccessToken, useAuth, withAuthenticationRequired, type AuthState } from '@realmauth/react'
import { REDIRECT_URI, fakeClient, manualClient, tokenSet } from './fakeClient.js'

afterEach(() => {
  cleanup()
  window.history.replaceState(null, '', '/')
})

function Status() {
  const { status, user, signOut } = useAuth()
  return (
    <div>
      <p data-testid="status">{status}</p>
      <p data-testid="user">{user ? `${user.sub} ${String(user.name)} ${String(user.email)}` : 'nobody'}</p>
      <button onClick={() => void signOut({ redirect: false })}>sign out</button>
    </div>
  )
}

const status = () => screen.getByTestId('status').textContent

/**
 * For a test that expects a render to throw: React logs it, and React 18 in development
 * also rethrows it through a window `error` event, which jsdom would report as uncaught.
 */
function expectRenderErrors(): () => void {
  const quiet = vi.spyOn(console, 'error').mockImplementation(() => {})
  const swallow = (event: ErrorEvent) => event.preventDefault()
  window.addEventListener('error', swallow)
  return () => {
    window.removeEventListener('error', swallow)
    quiet.mockRestore()
  }
}

describe(`React ${reactVersion}`, () => {
  it('runs the React this project was set up for, in Testing Library too', () => {
    const major = inject('reactMajor')
    expect(reactVersion.split('.')[0]).toBe(major)
    expect(reactDomVersion.split('.')[0]).toBe(major)
    // An element of one major rendered by another major's react-dom fails, and hooks of a
    // second React copy throw, so this render through Testing Library proves it uses the
    // aliased react and react-dom too.
    render(
      <AuthProvider client={manualClient()}>
        <p>{reactVersion}</p>
        <Status />
      </AuthProvider>,
    )
    expect(screen.getByText(reactVersion)).toBeTruthy()
    expect(status()).toBe('loading')
  })
})

describe('useAuth', () => {
  it('renders loading, then signed_in with the ID token claims, then signed_out after signOut', async () => {
    const client = fakeClient(tokenSet())
    render(
      <AuthProvider client={client}>
        <Status />
      </AuthProvider>,
    )
    expect(status()).toBe('loading')
    expect(await screen.findByText('signed_in')).toBeTruthy()
    expect(screen.getByTestId('user').textContent).toBe('demo Demo User demo@example.com')
    fireEvent.click(screen.getByText('sign out'))
    expect(await screen.findByText('signed_out')).toBeTruthy()
    expect(screen.getByTestId('user').textContent).toBe('nobody')
    // Offline: the revocation and logout requests were tried and failed, and that is fine.
    expect(client.offlineFetch).toHaveBeenCalled()
  })

  it('reports signed_out for an empty store', async () => {
    render(
      <AuthProvider client={fakeClient()}>
        <Status />
      </AuthProvider>,
    )
    expect(await screen.findByText('signed_out')).toBeTruthy()
  })

  it('getAccessToken returns the stored access token', async () => {
    let auth: AuthState | undefined
    function Grab() {
      auth = useAuth()
      return null
    }
    render(
      <AuthProvider client={fakeClient(tokenSet(7))}>
        <Grab />
      </AuthProvider>,
    )
    await expect(auth!.getAccessToken()).resolves.toBe('access-7')
    expect(auth!.isAuthenticated).toBe(true)
    expect(auth!.isLoading).toBe(false)
  })

  it('throws a clear error outside a provider', () => {
    const restore = expectRenderErrors()
    expect(() => render(<Status />)).toThrow(/useAuth\(\) was called outside <AuthProvider>/)
    restore()
  })

  it('re-renders only when the snapshot changes, with stable callbacks', () => {
    const client = manualClient()
    let renders = 0
    const seen: AuthState[] = []
    function Probe() {
      renders++
      const auth = useAuth()
      seen.push(auth)
      return <p>{auth.status}</p>
    }
    render(
      <AuthProvider client={client}>
        <Probe />
      </AuthProvider>,
    )
    const afterMount = renders
    act(() => client.ping())
    act(() => client.ping())
    expect(renders).toBe(afterMount)
    const tokens = tokenSet()
    act(() => client.set({ status: 'signed_in', tokens, user: tokens.claims!, refreshing: false }))
    expect(renders).toBe(afterMount + 1)
    act(() => client.ping())
    expect(renders).toBe(afterMount + 1)
    act(() => client.set({ ...client.getSnapshot(), refreshing: true }))
    expect(renders).toBe(afterMount + 2)
    const first = seen[0]!
    const last = seen.at(-1)!
    expect(last.status).toBe('signed_in')
    expect(last.signIn).toBe(first.signIn)
    expect(last.signOut).toBe(first.signOut)
    expect(last.getAccessToken).toBe(first.getAccessToken)
    // Only `refreshing` changed: the state object itself is the same.
    expect(last).toBe(seen.at(-2))
  })
})

describe('the sign-in callback', () => {
  it('reports loading while the code exchange runs, so RequireAuth does not redirect; StrictMode exchanges once', async () => {
    window.history.replaceState(null, '', `${new URL(REDIRECT_URI).pathname}?code=abc&state=xyz`)
    const client = fakeClient()
    let finish!: () => void
    // The code exchange itself, held open until the test lets it finish.
    const exchange = vi.spyOn(client.auth, 'handleCallback').mockImplementation(async () => {
      await new Promise<void>((resolve) => (finish = resolve))
      const tokens = tokenSet()
      await client.store.set(tokens)
      await client.auth.syncFromStore()
      return { tokens, appState: { returnTo: '/orders' } }
    })
    const onRedirectCallback = vi.fn()
    render(
      <StrictMode>
        <AuthProvider client={client} onRedirectCallback={onRedirectCallback}>
          <Status />
          <RequireAuth fallback={<p>redirecting</p>}>
            <p>secret</p>
          </RequireAuth>
        </AuthProvider>
      </StrictMode>,
    )
    await act(() => client.auth.load())
    expect(client.getSnapshot().status).toBe('signed_out')
    expect(status()).toBe('loading')
    expect(screen.getByText('redirecting')).toBeTruthy()
    expect(client.signIn).not.toHaveBeenCalled()
    await act(async () => finish())
    expect(status()).toBe('signed_in')
    expect(screen.getByText('secret')).toBeTruthy()
    expect(exchange).toHaveBeenCalledTimes(1)
    expect(onRedirectCallback).toHaveBeenCalledTimes(1)
    expect(onRedirectCallback).toHaveBeenCalledWith({ returnTo: '/orders' })
    expect(client.signIn).not.toHaveBeenCalled()
  })

  it('by default replaces the address with appState.returnTo', async () => {
    window.history.replaceState(null, '', `${new URL(REDIRECT_URI).pathname}?code=abc&state=xyz`)
    const client = fakeClient()
    vi.spyOn(client.auth, 'handleCallback').mockResolvedValue({ tokens: tokenSet(), appState: { returnTo: '/orders?page=2' } })
    render(
      <AuthProvider client={client}>
        <Status />
      </AuthProvider>,
    )
    await vi.waitFor(() => expect(window.location.pathname + window.location.search).toBe('/orders?page=2'))
  })

  it('surfaces a failed callback as useAuth().error and to the error boundary of RequireAuth', async () => {
    window.history.replaceState(null, '', `${new URL(REDIRECT_URI).pathname}?code=abc&state=replayed`)
    const restore = expectRenderErrors()
    const client = fakeClient()
    render(
      <AuthProvider client={client}>
        <ErrorText />
        <Boundary>
          <RequireAuth>
            <p>secret</p>
          </RequireAuth>
        </Boundary>
      </AuthProvider>,
    )
    expect(await screen.findByText('error: transaction_not_found')).toBeTruthy()
    expect(await screen.findByText('boundary: transaction_not_found')).toBeTruthy()
    expect(client.signIn).not.toHaveBeenCalled()
    restore()
  })

  it('leaves the callback alone with skipRedirectCallback', async () => {
    window.history.replaceState(null, '', `${new URL(REDIRECT_URI).pathname}?code=abc&state=xyz`)
    const client = fakeClient()
    const handle = vi.spyOn(client, 'handleRedirectCallback')
    render(
      <AuthProvider client={client} skipRedirectCallback>
        <Status />
      </AuthProvider>,
    )
    expect(await screen.findByText('signed_out')).toBeTruthy()
    expect(handle).not.toHaveBeenCalled()
  })
})

function ErrorText() {
  const { error } = useAuth()
  return <p>error: {error instanceof AuthError ? error.code : 'none'}</p>
}

class Boundary extends Component<{ children: ReactNode }, { error?: unknown }> {
  override state: { error?: unknown } = {}
  static getDerivedStateFromError(error: unknown) {
    return { error }
  }
  override render() {
    const { error } = this.state
    return error ? <p>boundary: {error instanceof AuthError ? error.code : String(error)}</p> : this.props.children
  }
}

describe('RequireAuth and withAuthenticationRequired', () => {
  it('starts sign-in once when signed out, under StrictMode, with a returnTo', async () => {
    window.history.replaceState(null, '', '/orders?page=2')
    const client = fakeClient()
    render(
      <StrictMode>
        <AuthProvider client={client}>
          <RequireAuth fallback={<p>redirecting</p>}>
            <p>secret</p>
          </RequireAuth>
        </AuthProvider>
      </StrictMode>,
    )
    expect(screen.getByText('redirecting')).toBeTruthy()
    await act(() => client.auth.load())
    expect(client.signIn).toHaveBeenCalledTimes(1)
    expect(client.signIn).toHaveBeenCalledWith({ appState: { returnTo: '/orders?page=2' } })
    expect(screen.queryByText('secret')).toBeNull()
  })

  it('renders the children when signed in and does not sign in', async () => {
    const client = fakeClient(tokenSet())
    render(
      <AuthProvider client={client}>
        <RequireAuth fallback={<p>redirecting</p>}>
          <p>secret</p>
        </RequireAuth>
      </AuthProvider>,
    )
    expect(screen.getByText('redirecting')).toBeTruthy()
    expect(await screen.findByText('secret')).toBeTruthy()
    expect(client.signIn).not.toHaveBeenCalled()
  })

  it('signs in again after a sign-out while mounted', async () => {
    const client = fakeClient(tokenSet())
    render(
      <AuthProvider client={client}>
        <RequireAuth>
          <Status />
        </RequireAuth>
      </AuthProvider>,
    )
    fireEvent.click(await screen.findByText('sign out'))
    await act(() => Promise.resolve())
    expect(screen.queryByText('sign out')).toBeNull()
    expect(client.signIn).toHaveBeenCalledTimes(1)
  })

  it('withAuthenticationRequired wraps a component with its own options', async () => {
    function Orders({ count }: { count: number }) {
      return <p>{count} orders</p>
    }
    const Protected = withAuthenticationRequired(Orders, { onRedirecting: () => <p>signing you in</p>, signInOptions: { prompt: 'login' } })
    expect(Protected.displayName).toBe('withAuthenticationRequired(Orders)')
    const out = fakeClient()
    const view = render(
      <StrictMode>
        <AuthProvider client={out}>
          <Protected count={3} />
        </AuthProvider>
      </StrictMode>,
    )
    expect(screen.getByText('signing you in')).toBeTruthy()
    await act(() => out.auth.load())
    expect(out.signIn).toHaveBeenCalledTimes(1)
    expect(out.signIn).toHaveBeenCalledWith({ prompt: 'login' })
    view.unmount()

    const signedIn = fakeClient(tokenSet())
    render(
      <AuthProvider client={signedIn}>
        <Protected count={3} />
      </AuthProvider>,
    )
    expect(await screen.findByText('3 orders')).toBeTruthy()
    expect(signedIn.signIn).not.toHaveBeenCalled()
  })
})

describe('useAccessToken', () => {
  function Token() {
    const { token, loading, error } = useAccessToken()
    const renders = useRef(0)
    renders.current++
    return <p data-testid="token">{`${token ?? '-'} ${loading ? 'loading' : 'ready'} ${error ? error.message : 'ok'}`}</p>
  }
  const token = () => screen.getByTestId('token').textContent

  it('fetches when signed in and again after a refresh changed the tokens', async () => {
    const client = fakeClient(tokenSet(1))
    const asked = vi.spyOn(client, 'getAccessToken')
    render(
      <AuthProvider client={client}>
        <Token />
      </AuthProvider>,
    )
    expect(token()).toBe('- loading ok')
    expect(await screen.findByText('access-1 ready ok')).toBeTruthy()
    const before = asked.mock.calls.length
    // What a refresh leaves behind, as when another tab refreshed: new tokens in the store.
    await act(async () => {
      await client.store.set(tokenSet(2))
      await client.auth.syncFromStore()
    })
    expect(await screen.findByText('access-2 ready ok')).toBeTruthy()
    expect(asked.mock.calls.length).toBe(before + 1)
  })

  it('is empty and not loading when signed out, and forgets the token on sign-out', async () => {
    const client = fakeClient(tokenSet(1))
    render(
      <AuthProvider client={client}>
        <Token />
      </AuthProvider>,
    )
    expect(await screen.findByText('access-1 ready ok')).toBeTruthy()
    await act(() => client.signOut())
    expect(token()).toBe('- ready ok')
  })

  it('reports a failure to get a token', async () => {
    // Expired, no refresh token: getAccessToken must fail with login_required.
    const client = fakeClient(tokenSet(1, { expiresAt: Date.UTC(2026, 4, 1), refreshToken: undefined }))
    render(
      <AuthProvider client={client}>
        <Token />
      </AuthProvider>,
    )
    expect(await screen.findByText('- ready The access token expired and there is no refresh token')).toBeTruthy()
  })
})
