import type { ComponentType, ReactElement, ReactNode } from 'react'
import type { SignInOptions } from '@realmauth/browser'
import { RequireAuth } from './RequireAuth.js'

/**
 * Options of {@link withAuthenticationRequired}.
 *
 * @example
 * ```tsx
 * withAuthenticationRequired(Admin, { onRedirecting: () => <Spinner />, signInOptions: { prompt: 'login' } })
 * ```
 */
export interface WithAuthenticationRequiredOptions {
  /** What to show until the user is signed in. Default nothing. */
  onRedirecting?: () => ReactNode
  /** Passed to `signIn`. Default `appState`: `{ returnTo }` with the current path. */
  signInOptions?: SignInOptions
}

/**
 * Wraps a component so it renders only for a signed-in user, starting the sign-in redirect
 * otherwise: {@link RequireAuth} as a higher-order component, for route tables that take
 * components rather than elements.
 *
 * @example
 * ```tsx
 * const ProtectedOrders = withAuthenticationRequired(Orders, { onRedirecting: () => <p>Signing you in…</p> })
 * const route = <Route path="/orders" component={ProtectedOrders} />
 * ```
 */
export function withAuthenticationRequired<P extends object>(Component: ComponentType<P>, options: WithAuthenticationRequiredOptions = {}): ComponentType<P> {
  function WithAuthenticationRequired(props: P): ReactElement {
    return (
      <RequireAuth fallback={options.onRedirecting?.()} {...(options.signInOptions && { signInOptions: options.signInOptions })}>
        <Component {...props} />
      </RequireAuth>
    )
  }
  WithAuthenticationRequired.displayName = `withAuthenticationRequired(${Component.displayName ?? Component.name ?? 'Component'})`
  return WithAuthenticationRequired
}
