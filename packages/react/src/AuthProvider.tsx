import { useEffect, useMemo, useRef, useState, type ReactElement, type ReactNode } from 'react'
import { AuthError, type BrowserClient, type BrowserClientOptions } from '@realmauth/browser'
import { AuthContext, type AuthContextValue } from './AuthContext.js'
import { givenClient, ownedClient } from './clientHolder.js'

interface AuthProviderBehaviour {
  children?: ReactNode
  /**
   * Called once after a sign-in callback succeeded, with the `appState` given to `signIn`.
   * Default: when `appState.returnTo` is a string, replace the address with it. Navigate
   * with replace, not push, so the callback URL does not stay in history.
   */
  onRedirectCallback?: (appState: unknown) => void
  /** Leave the sign-in callback to the app (for a route that handles it itself). Default false. */
  skipRedirectCallback?: boolean
}

/**
 * Props of {@link AuthProvider}: a client you created, or the options to create one.
 *
 * @example
 * ```tsx
 * const props: AuthProviderProps = { issuer, clientId: 'spa', skipRedirectCallback: location.pathname === '/silent' }
 * const app = <AuthProvider {...props}><App /></AuthProvider>
 * ```
 */
export type AuthProviderProps = AuthProviderBehaviour & ({ client: BrowserClient } | (BrowserClientOptions & { client?: undefined }))

const returnToAppState = (appState: unknown): void => {
  const returnTo = (appState as { returnTo?: unknown } | undefined)?.returnTo
  if (typeof returnTo === 'string') window.history.replaceState(window.history.state, '', returnTo)
}

/**
 * Makes a realmauth browser client available to {@link useAuth} and the other hooks, and
 * finishes the sign-in when the page is the redirect callback. Give it a client you
 * created, or the client's options: it then creates the client itself, once, on first use,
 * and disposes it when it unmounts. The client or options are read on the first render only.
 * A client it creates loads the user's profile from userinfo at sign-in (`profile:
 * userinfoProfile`), as AM releases it there: `profile={false}` keeps the ID token's claims only.
 *
 * @example
 * ```tsx
 * const auth = createBrowserClient({ issuer: 'https://idp.example.com/oauth2/realms/root/realms/alpha', clientId: 'spa' })
 * createRoot(root).render(
 *   <AuthProvider client={auth} onRedirectCallback={(appState) => navigate((appState as { returnTo?: string })?.returnTo ?? '/', { replace: true })}>
 *     <App />
 *   </AuthProvider>,
 * )
 * // or let the provider create it:
 * const app = <AuthProvider issuer="https://idp.example.com/oauth2/realms/root/realms/alpha" clientId="spa"><App /></AuthProvider>
 * ```
 */
export function AuthProvider(props: AuthProviderProps): ReactElement {
  const { children, onRedirectCallback, skipRedirectCallback = false, client, ...options } = props
  // Pure on purpose: React calls this twice under StrictMode and keeps one result; a client
  // is created only when a hook or effect first asks the holder.
  const [holder] = useState(() => (client ? givenClient(client) : ownedClient(options as BrowserClientOptions)))
  const [generation, setGeneration] = useState(0)
  const [redirect, setRedirect] = useState<{ settled: boolean; error?: AuthError }>({ settled: false })
  const onRedirect = useRef(onRedirectCallback)

  useEffect(() => {
    onRedirect.current = onRedirectCallback
  })

  useEffect(() => {
    if (holder.retain()) setGeneration((g) => g + 1)
    // createBrowserClient reads storage only where there is a window with IndexedDB; reading
    // it here too means any client (tests, one created before the page) leaves `loading`.
    holder.get().auth.load().catch(() => {})
    return () => holder.release()
  }, [holder])

  useEffect(() => {
    if (skipRedirectCallback) return
    const client = holder.get()
    if (!client.isRedirectCallback()) return
    // StrictMode runs this twice; the browser client answers both calls for one URL with one
    // code exchange, and only the effect still mounted reports the result.
    let mounted = true
    client.handleRedirectCallback().then(
      ({ appState }) => {
        if (!mounted) return
        setRedirect({ settled: true })
        ;(onRedirect.current ?? returnToAppState)(appState)
      },
      (err: unknown) => {
        if (!mounted) return
        const error = err instanceof AuthError ? err : new AuthError('invalid_response', `Sign-in callback: ${String(err)}`, { cause: err })
        setRedirect({ settled: true, error })
      },
    )
    return () => {
      mounted = false
    }
  }, [holder, generation, skipRedirectCallback])

  const value = useMemo<AuthContextValue>(
    () => ({ holder, generation, skipRedirectCallback, redirectSettled: redirect.settled, redirectError: redirect.error }),
    [holder, generation, skipRedirectCallback, redirect],
  )
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>
}
