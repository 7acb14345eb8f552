/**
 * @realmauth/react/testing as an app's component tests use it: the hooks see a signed-in
 * user with given claims, nobody, a load in progress or an error, and state changes re-render.
 * The react-spa example's App is tested with it too.
 */
import { act, cleanup, fireEvent, render, screen } from '@testing-library/react'
import { afterEach, describe, expect, it } from 'vitest'
import { AuthError } from '@realmauth/core'
import { RequireAuth, useAccessToken, useAuth } from '@realmauth/react'
import { TestAuthProvider, createTestAuthClient } from '@realmauth/react/testing'
import { App } from '../../examples/react-spa/App.js'

afterEach(cleanup)

function Profile() {
  const { isLoading, isAuthenticated, user, error, signIn, signOut } = useAuth()
  const { token } = useAccessToken()
  if (isLoading) return <p>Loading…</p>
  if (!isAuthenticated) {
    return (
      <>
        {error && <p role="alert">{error.code}</p>}
        <button onClick={() => void signIn({ scope: 'openid profile' })}>Sign in</button>
      </>
    )
  }
  return (
    <>
      <p>Hello {String(user?.name)}</p>
      <p>Groups: {(user?.groups as string[]).join(', ')}</p>
      <p>Token: {token ?? '…'}</p>
      <button onClick={() => void signOut()}>Sign out</button>
    </>
  )
}

describe('TestAuthProvider', () => {
  it('signs in a user with the claims given, custom ones included, and a token', async () => {
    render(
      <TestAuthProvider user={{ sub: 'ada', name: 'Ada Lovelace', groups: ['admins', 'staff'] }} accessToken="at-ada">
        <Profile />
      </TestAuthProvider>,
    )
    expect(screen.getByText('Hello Ada Lovelace')).toBeTruthy()
    expect(screen.getByText('Groups: admins, staff')).toBeTruthy()
    expect(await screen.findByText('Token: at-ada')).toBeTruthy()
  })

  it('shows nobody signed in, and records the sign-in the button asks for', () => {
    const client = createTestAuthClient()
    render(
      <TestAuthProvider client={client}>
        <Profile />
      </TestAuthProvider>,
    )
    fireEvent.click(screen.getByText('Sign in'))
    expect(client.signInCalls).toEqual([{ scope: 'openid profile' }])
  })

  it('shows loading, then the user when the state changes', () => {
    const client = createTestAuthClient({ status: 'loading' })
    render(
      <TestAuthProvider client={client}>
        <Profile />
      </TestAuthProvider>,
    )
    expect(screen.getByText('Loading…')).toBeTruthy()
    act(() => client.setState({ user: { name: 'Ada', groups: [] } }))
    expect(screen.getByText('Hello Ada')).toBeTruthy()
  })

  it('shows an error by its code, or the AuthError given', () => {
    render(
      <TestAuthProvider error="access_denied">
        <Profile />
      </TestAuthProvider>,
    )
    expect(screen.getByRole('alert').textContent).toBe('access_denied')
    cleanup()
    render(
      <TestAuthProvider error={new AuthError('login_required', 'Session over')}>
        <Profile />
      </TestAuthProvider>,
    )
    expect(screen.getByRole('alert').textContent).toBe('login_required')
  })

  it('signs out through the button: the hooks see nobody', () => {
    const client = createTestAuthClient({ user: { name: 'Ada', groups: [] } })
    render(
      <TestAuthProvider client={client}>
        <Profile />
      </TestAuthProvider>,
    )
    act(() => fireEvent.click(screen.getByText('Sign out')))
    expect(client.signOutCalls).toBe(1)
    expect(screen.getByText('Sign in')).toBeTruthy()
  })

  it('works with RequireAuth: a signed-out visitor is sent to sign in', () => {
    const client = createTestAuthClient()
    render(
      <TestAuthProvider client={client}>
        <RequireAuth>
          <p>secret</p>
        </RequireAuth>
      </TestAuthProvider>,
    )
    expect(screen.queryByText('secret')).toBeNull()
    expect(client.signInCalls.length).toBe(1)
  })
})

describe('examples/react-spa App', () => {
  it('shows the signed-in user and their claims', () => {
    render(
      <TestAuthProvider user={{ sub: 'demo', name: 'Demo User' }}>
        <App />
      </TestAuthProvider>,
    )
    expect(screen.getByText('demo').id).toBe('user')
    expect(document.getElementById('claims')!.textContent).toContain('"name": "Demo User"')
  })

  it('offers every way to sign in when nobody is, and says in words why the last sign-in failed', () => {
    const client = createTestAuthClient({
      error: new AuthError('authorization_error', 'Sign-in callback: access_denied (The user denied the request)', {
        error: 'access_denied',
        error_description: 'The user denied the request',
      }),
    })
    render(
      <TestAuthProvider client={client}>
        <App />
      </TestAuthProvider>,
    )
    expect(screen.getByRole('alert').textContent).toBe('The provider did not sign you in: The user denied the request. authorization_error')
    fireEvent.click(document.getElementById('sign-in')!)
    fireEvent.click(document.getElementById('sign-in-popup')!)
    expect(client.signInCalls).toHaveLength(2)
    expect(document.getElementById('sign-in-here')).toBeTruthy()
  })
})
