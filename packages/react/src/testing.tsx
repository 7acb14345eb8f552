/**
 * Render components under a fake sign-in state, with no provider and no network.
 * See the testing guide.
 *
 * @packageDocumentation
 * @module @realmauth/react/testing
 */
import { useState, type ReactElement, type ReactNode } from 'react'
import { AuthError, type AuthErrorCode, type AuthSnapshot, type AuthStatus, type IdTokenClaims, type SignInOptions, type TokenSet } from '@realmauth/core'
import type { BrowserClient, PopupSignInOptions } from '@realmauth/browser'
import { AuthContext, type AuthContextValue } from './AuthContext.js'
import { givenClient } from './clientHolder.js'

/**
 * What the hooks should see. With a `user` the default status is `signed_in`; with only an
 * `error`, `signed_out` with that error (as after a refused sign-in); otherwise `signed_out`.
 *
 * @example
 * ```ts
 * const admin: TestAuthState = { user: { sub: 'ada', name: 'Ada', roles: ['admin'] } }
 * const refused: TestAuthState = { error: 'access_denied' }
 * const starting: TestAuthState = { status: 'loading' }
 * ```
 */
export interface TestAuthState {
  status?: AuthStatus
  /** ID token claims; `sub` defaults to `test-user`. */
  user?: Partial<IdTokenClaims> & Record<string, unknown>
  /** What `getAccessToken()` and `useAccessToken()` give while signed in. Default `test-access-token`. */
  accessToken?: string
  /** An error, or the code of one to make. */
  error?: AuthError | AuthErrorCode
}

/**
 * A stand-in for the browser client in component tests: no network, no storage, no redirects.
 *
 * @example
 * ```ts
 * const client = createTestAuthClient({ status: 'signed_out' })
 * act(() => client.setState({ user: { sub: 'ada' } }))
 * expect(client.signInCalls).toEqual([])
 * ```
 */
export interface TestAuthClient extends BrowserClient {
  /** Changes what the hooks see; components re-render as they would after a real sign-in or sign-out. */
  setState(state: TestAuthState): void
  /** The options of each `signIn()` and `signInPopup()` call, in order. */
  readonly signInCalls: (SignInOptions | undefined)[]
  /** How many times `signOut()` was called. */
  readonly signOutCalls: number
  /** Stands in for `signInPopup(client)` (useAuth calls it): records the call, opens nothing. */
  signInPopup(options?: PopupSignInOptions): Promise<{ appState?: unknown }>
}

/**
 * The few core-client members components reach for (`client.auth.on`, `load`, `refresh`);
 * anything else throws, naming the way to drive the double instead.
 */
function coreStandIn(client: () => TestAuthClient): BrowserClient['auth'] {
  const members: Record<string, unknown> = {
    on: () => () => {},
    load: async () => client().getSnapshot(),
    refresh: async () => client().getSnapshot().tokens,
    subscribe: (listener: () => void) => client().subscribe(listener),
    getSnapshot: () => client().getSnapshot(),
  }
  return new Proxy(members, {
    get(target, property) {
      if (typeof property !== 'string' || property in target) return target[property as string]
      if (property === 'then') return undefined
      throw new Error(`The test auth client has no core client (client.auth.${property}): set what the hooks see with setState()`)
    },
  }) as unknown as BrowserClient['auth']
}

function snapshotOf(state: TestAuthState): AuthSnapshot {
  const error = typeof state.error === 'string' ? new AuthError(state.error, `Test error: ${state.error}`, { error: state.error }) : state.error
  const status = state.status ?? (state.user ? 'signed_in' : 'signed_out')
  if (status !== 'signed_in') return { status, refreshing: false, ...(error && { error }) }
  const now = Math.floor(Date.now() / 1000)
  const user = { iss: 'https://test.invalid', aud: 'test-app', iat: now, exp: now + 3600, sub: 'test-user', ...state.user } as IdTokenClaims
  const tokens: TokenSet = {
    accessToken: state.accessToken ?? 'test-access-token',
    tokenType: 'bearer',
    receivedAt: now * 1000,
    expiresAt: (now + 3600) * 1000,
    claims: user,
  }
  return { status, tokens, user, refreshing: false, ...(error && { error }) }
}

/**
 * Creates a {@link TestAuthClient} showing `state`.
 *
 * @example
 * ```tsx
 * const client = createTestAuthClient({ user: { sub: 'ada', name: 'Ada' } })
 * render(<TestAuthProvider client={client}><Profile /></TestAuthProvider>)
 * ```
 */
export function createTestAuthClient(state: TestAuthState = {}): TestAuthClient {
  let snapshot = snapshotOf(state)
  const listeners = new Set<() => void>()
  const signInCalls: (SignInOptions | undefined)[] = []
  let signOutCalls = 0
  const client: TestAuthClient = {
    auth: coreStandIn(() => client),
    timers: globalThis,
    subscribe(listener) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    getSnapshot: () => snapshot,
    setState(next) {
      snapshot = snapshotOf(next)
      for (const listener of [...listeners]) listener()
    },
    signInCalls,
    get signOutCalls() {
      return signOutCalls
    },
    async signIn(options) {
      signInCalls.push(options)
    },
    // A popup that never opens: the test decides the outcome with setState().
    async signInPopup(options) {
      signInCalls.push(options)
      return {}
    },
    async signOut() {
      signOutCalls++
      client.setState({ status: 'signed_out' })
    },
    handleRedirectCallback: async () => ({}),
    isRedirectCallback: () => false,
    async getAccessToken() {
      if (snapshot.status === 'signed_in') return snapshot.tokens!.accessToken
      throw snapshot.error ?? new AuthError('login_required', 'Nobody is signed in (test auth client)')
    },
    getUser: () => snapshot.user,
    async authFetch(input, init) {
      const headers = new Headers(init?.headers)
      headers.set('authorization', `Bearer ${await client.getAccessToken()}`)
      return fetch(input, { ...init, headers })
    },
    dispose() {
      listeners.clear()
    },
  }
  return client
}

/**
 * Props of {@link TestAuthProvider}: a client to control, or the state to show.
 *
 * @example
 * ```tsx
 * const props: TestAuthProviderProps = { user: { sub: 'ada' }, children: <Profile /> }
 * ```
 */
export type TestAuthProviderProps = { children?: ReactNode } & ({ client: TestAuthClient } | (TestAuthState & { client?: undefined }))

/**
 * `<AuthProvider>` for component tests (Vitest or Jest with React Testing Library): the
 * hooks see a signed-in user with the claims you give, nobody, a load in progress or an
 * error, and no request leaves the test. The state is read on the first render; change it
 * later through a {@link createTestAuthClient} client.
 *
 * @example
 * ```tsx
 * render(<TestAuthProvider user={{ sub: 'ada', name: 'Ada Lovelace', groups: ['admins'] }}><Profile /></TestAuthProvider>)
 * expect(screen.getByText('Hello Ada Lovelace')).toBeTruthy()
 * ```
 */
export function TestAuthProvider(props: TestAuthProviderProps): ReactElement {
  const { children, client, ...state } = props
  const [value] = useState<AuthContextValue>(() => ({
    holder: givenClient(client ?? createTestAuthClient(state)),
    generation: 0,
    skipRedirectCallback: true,
    redirectSettled: true,
    redirectError: undefined,
  }))
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>
}
