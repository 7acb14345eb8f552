import { useEffect, useRef, useState, type ReactElement, type ReactNode } from 'react'
import type { SignInOptions } from '@realmauth/browser'
import { useAuth } from './useAuth.js'

/**
 * Props of {@link RequireAuth}.
 *
 * @example
 * ```tsx
 * <RequireAuth fallback={<Spinner />} signInOptions={{ prompt: 'login', appState: { returnTo: '/admin' } }}><Admin /></RequireAuth>
 * ```
 */
export interface RequireAuthProps {
  children?: ReactNode
  /** Shown while sign-in state is unknown and while the browser is leaving for the provider. Default nothing. */
  fallback?: ReactNode
  /** Passed to `signIn`. Default `appState`: `{ returnTo }` with the current path, query and hash. */
  signInOptions?: SignInOptions
}

/**
 * Renders its children only for a signed-in user. Once the state is known and nobody is
 * signed in (or the session ended), it starts the sign-in redirect, once per visit; a
 * failing sign-in callback or redirect is thrown to the nearest error boundary rather than
 * retried, so a broken provider cannot cause a redirect loop.
 *
 * @example
 * ```tsx
 * <Route path="/orders" element={<RequireAuth fallback={<p>Signing you in…</p>}><Orders /></RequireAuth>} />
 * ```
 */
export function RequireAuth({ children, fallback = null, signInOptions }: RequireAuthProps): ReactElement {
  const { status, error, signIn } = useAuth()
  const started = useRef(false)
  const [failure, setFailure] = useState<unknown>()
  // Signed out with an error means this page's sign-in callback failed (refresh failures keep
  // the user signed in or end the session): signing in again would likely fail the same way.
  const callbackFailed = status === 'signed_out' && error !== undefined
  const needsSignIn = (status === 'signed_out' || status === 'session_ended') && !callbackFailed
  // Read through a ref: a new options object on every render must not start another sign-in.
  const options = useRef(signInOptions)

  useEffect(() => {
    options.current = signInOptions
  })

  useEffect(() => {
    if (status === 'signed_in') started.current = false
    if (!needsSignIn || started.current) return
    started.current = true
    const { location } = window
    signIn(options.current ?? { appState: { returnTo: location.pathname + location.search + location.hash } }).catch(setFailure)
  }, [status, needsSignIn, signIn])

  if (failure !== undefined) throw failure
  if (callbackFailed) throw error
  return <>{status === 'signed_in' ? children : fallback}</>
}
