import { useCallback, useContext, useMemo, useSyncExternalStore } from 'react'
import { signInPopup as popupSignIn, type AuthError, type AuthSnapshot, type AuthStatus, type BrowserClient, type IdTokenClaims, type PopupSignInOptions, type SignInOptions } from '@realmauth/browser'
import { AuthContext } from './AuthContext.js'

/**
 * What {@link useAuth} returns.
 *
 * @example
 * ```tsx
 * function Greeting({ auth }: { auth: AuthState }) {
 *   return auth.isAuthenticated ? <p>Hello {String(auth.user?.name)}</p> : <button onClick={() => auth.signIn()}>Sign in</button>
 * }
 * ```
 */
export interface AuthState {
  /** `loading` also while this page's sign-in callback is being finished. */
  status: AuthStatus
  isAuthenticated: boolean
  isLoading: boolean
  /** Claims of the validated ID token. */
  user: IdTokenClaims | undefined
  /** The last failure: a refresh, or this page's sign-in callback. */
  error: AuthError | undefined
  /** Sends the browser to the provider's sign-in. */
  signIn(options?: SignInOptions): Promise<void>
  /**
   * Signs in in a popup and stays on the page; resolves with the `appState` once signed in.
   * Call it straight from a click handler, or the browser blocks the popup (`popup_blocked`);
   * a popup the user closes rejects with `popup_closed`.
   */
  signInPopup(options?: PopupSignInOptions): Promise<{ appState?: unknown }>
  /** Revokes, clears every tab, and goes to the provider's logout. */
  signOut(options?: { postLogoutRedirectUri?: string; redirect?: boolean }): Promise<void>
  /** A valid access token, renewed first when it is about to expire. */
  getAccessToken(): Promise<string>
  client: BrowserClient
}

// A server render cannot know who is signed in: it says "unknown", and hydration agrees.
const SERVER_SNAPSHOT: AuthSnapshot = Object.freeze({ status: 'loading', refreshing: false })
const getServerSnapshot = (): AuthSnapshot => SERVER_SNAPSHOT

/**
 * The client of the nearest {@link AuthProvider} and the snapshot it is rendering with.
 *
 * @internal
 */
export function useAuthSnapshot(): { client: BrowserClient; snapshot: AuthSnapshot; status: AuthStatus; redirectError: AuthError | undefined } {
  const context = useContext(AuthContext)
  if (!context) {
    throw new Error('useAuth() was called outside <AuthProvider>: wrap the app in <AuthProvider client={client}> (from @realmauth/react).')
  }
  const client = context.holder.get()
  // Wrapped so a hand-made client with plain methods works, and stable per client so React
  // does not resubscribe on every render.
  const subscribe = useCallback((listener: () => void) => client.subscribe(listener), [client])
  const getSnapshot = useCallback(() => client.getSnapshot(), [client])
  const snapshot = useSyncExternalStore(subscribe, getSnapshot, getServerSnapshot)
  // Until the code exchange ends the store says signed_out; acting on that would send the
  // user straight back to the provider.
  const finishingSignIn =
    snapshot.status !== 'signed_in' && !context.skipRedirectCallback && !context.redirectSettled && client.isRedirectCallback()
  return { client, snapshot, status: finishingSignIn ? 'loading' : snapshot.status, redirectError: context.redirectError }
}

/**
 * The signed-in state and the actions, from the nearest {@link AuthProvider}. The state
 * lives in the client; this hook subscribes to it and re-renders only when it changes. The
 * functions keep their identity across renders.
 *
 * @example
 * ```tsx
 * function Profile() {
 *   const { isLoading, isAuthenticated, user, signIn, signOut } = useAuth()
 *   if (isLoading) return <p>Loading…</p>
 *   if (!isAuthenticated) return <button onClick={() => signIn()}>Sign in</button>
 *   return <button onClick={() => signOut()}>Sign out {String(user?.name)}</button>
 * }
 * ```
 */
export function useAuth(): AuthState {
  const { client, snapshot, status, redirectError } = useAuthSnapshot()
  const signIn = useCallback((options?: SignInOptions) => client.signIn(options), [client])
  // A hand-made client (the test kit's) may answer popups itself.
  const signInPopup = useCallback(
    (options?: PopupSignInOptions) => (client as { signInPopup?: AuthState['signInPopup'] }).signInPopup?.(options) ?? popupSignIn(client, options),
    [client],
  )
  const signOut = useCallback((options?: { postLogoutRedirectUri?: string; redirect?: boolean }) => client.signOut(options), [client])
  const getAccessToken = useCallback(() => client.getAccessToken(), [client])
  const error = snapshot.error ?? redirectError
  return useMemo(
    () => ({
      status,
      isAuthenticated: status === 'signed_in',
      isLoading: status === 'loading',
      user: snapshot.user,
      error,
      signIn,
      signInPopup,
      signOut,
      getAccessToken,
      client,
    }),
    [status, snapshot.user, error, signIn, signInPopup, signOut, getAccessToken, client],
  )
}
