import { AuthError, JourneyClient, type JourneySuccess, type SignInOptions } from '@realmauth/core'
import type { BrowserClient } from './createBrowserClient.js'

/**
 * A {@link JourneyClient} for `client`'s realm: same issuer, same fetch, and the session
 * cookie AM sets kept by the browser (`credentials: 'include'`). AM must be same-site with
 * the app (a cross-site answer cannot set its `SameSite=Lax` cookie) and allow the app's
 * origin with credentials in its CORS filter.
 *
 * @example
 * ```ts
 * const journeys = createJourneyClient(auth)
 * const step = await journeys.start('Login')
 * ```
 */
export function createJourneyClient(client: BrowserClient): JourneyClient {
  return new JourneyClient({ issuer: client.auth.oidc.issuer, ...client.auth.oidc.http(), credentials: 'include' })
}

/**
 * Turns the session a journey ended with into tokens: the code flow with `prompt=none` by a top-level
 * redirect, with PKCE, `state`, `nonce` and the same ID-token validation, storage, refresh
 * and tabs as `signIn`. The provider sees the session cookie and answers at once, so
 * the user never sees its pages; the callback page finishes with `handleRedirectCallback`.
 * Why a redirect and not an iframe: decisions/0024.
 *
 * @example
 * ```ts
 * const journeys = createJourneyClient(auth)
 * const result = await journeys.start('Login')
 * // ...answer steps with journeys.next(step) until:
 * if (result.type === 'success') await signInWithSession(auth, result, { appState: { returnTo: '/orders' } })
 * ```
 */
export function signInWithSession(client: BrowserClient, success: JourneySuccess, options: Omit<SignInOptions, 'prompt'> = {}): Promise<void> {
  // Asked for so that no caller redirects before the journey ended in a session.
  if (success?.type !== 'success') return Promise.reject(new AuthError('configuration_error', 'signInWithSession needs the success a journey ended with'))
  return client.signIn({ ...options, prompt: 'none' })
}
