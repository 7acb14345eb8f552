/**
 * React hooks and components over the browser client: `AuthProvider`, `useAuth`,
 * `RequireAuth`. See the React guide.
 *
 * @packageDocumentation
 * @module @realmauth/react
 */
export { AuthProvider, type AuthProviderProps } from './AuthProvider.js'
export { useAuth, type AuthState } from './useAuth.js'
export { useAccessToken, type AccessTokenState } from './useAccessToken.js'
export { RequireAuth, type RequireAuthProps } from './RequireAuth.js'
export { withAuthenticationRequired, type WithAuthenticationRequiredOptions } from './withAuthenticationRequired.js'
// So an app needs one import for the common case.
export {
  AuthError,
  createBrowserClient,
  type AuthErrorCode,
  type AuthSnapshot,
  type AuthStatus,
  type BrowserClient,
  type BrowserClientOptions,
  type IdTokenClaims,
  type PopupSignInOptions,
  type SignInOptions,
  type TokenSet,
} from '@realmauth/browser'
export { useJourney, type JourneyState, type UseJourneyOptions } from './useJourney.js'
export { Journey, type JourneyProps, type CallbackComponents, type CallbackProps } from './Journey.js'
