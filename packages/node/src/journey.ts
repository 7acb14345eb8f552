import { AuthError, JourneyClient, type AuthorizationRequest, type JourneyStep, type JourneySuccess, type TokenSet } from '@realmauth/core'
import { toAuthError } from '@realmauth/core/internal'
import type { NodeClient } from './NodeClientTypes.js'

/** Options of {@link signInWithJourney}. */
export interface JourneySignInOptions extends Partial<Pick<AuthorizationRequest, 'redirectUri' | 'scope'>> {
  /** The journey (tree) to run. Default `Login`. */
  journey?: string
  /** Fills in one step's callbacks (from a terminal prompt, a test's fixture); called once per step. */
  answer: (step: JourneyStep) => void | Promise<void>
  /** AM's session cookie. Default `iPlanetDirectoryPro`. */
  cookieName?: string
  /** Steps after which a journey that keeps asking is abandoned. Default 20. */
  maxSteps?: number
}

/**
 * Signs a user in without a browser: runs the journey, answering each step with `answer`,
 * then turns AM's session into validated tokens with the code flow (`prompt=none`, PKCE,
 * `state`, `nonce`) by following the authorization redirect itself. For CLIs, and for
 * tests that need a signed-in user.
 *
 * @example
 * ```ts
 * const client = await createNodeClient({ issuer, clientId: 'cli', auth: { method: 'none' }, redirectUri: 'http://127.0.0.1/callback' })
 * const tokens = await signInWithJourney(client, {
 *   answer(step) {
 *     for (const cb of step.callbacks) {
 *       if (cb.kind === 'name') cb.setName('demo')
 *       else if (cb.kind === 'password') cb.setPassword(process.env.DEMO_PASSWORD ?? '')
 *     }
 *   },
 * })
 * console.log(tokens.claims?.sub)
 * ```
 */
export async function signInWithJourney(client: NodeClient, options: JourneySignInOptions): Promise<TokenSet> {
  const journeys = new JourneyClient({ issuer: client.oidc.issuer, ...client.oidc.http(), credentials: 'omit' })
  const journey = options.journey ?? 'Login'
  let result = await journeys.start(journey)
  for (let steps = 1; result.type === 'step'; steps++) {
    if (steps > (options.maxSteps ?? 20)) throw new AuthError('journey_failed', `Journey ${journey}: still asking after ${steps - 1} steps`)
    await options.answer(result)
    result = await journeys.next(result)
  }
  return tokensForSession(client, result, options)
}

/**
 * Validated tokens for the AM session a journey ended with, as `handleCallback` gives them for
 * a callback: the authorization request goes with the session cookie and `prompt=none`, its
 * redirect is read rather than followed, and the code is exchanged and checked as on any
 * callback. (The browser's `signInWithSession` redirects instead: there a `signIn`.)
 *
 * @example
 * ```ts
 * const journeys = new JourneyClient({ issuer: client.oidc.issuer, credentials: 'omit' })
 * const result = await journeys.start('Login')
 * if (result.type === 'success') console.log((await tokensForSession(client, result)).claims?.sub)
 * ```
 */
export async function tokensForSession(
  client: NodeClient,
  success: Pick<JourneySuccess, 'sessionToken'>,
  options: Pick<JourneySignInOptions, 'redirectUri' | 'scope' | 'cookieName'> = {},
): Promise<TokenSet> {
  const { url, transaction } = await client.signInUrl({
    prompt: 'none',
    ...(options.redirectUri !== undefined && { redirectUri: options.redirectUri }),
    ...(options.scope !== undefined && { scope: options.scope }),
  })
  let response: Response
  try {
    response = await client.oidc.request(url.href, async (opts) => {
      const res = await (client.oidc.http().fetch ?? fetch)(url, {
        headers: { cookie: `${options.cookieName ?? 'iPlanetDirectoryPro'}=${success.sessionToken}` },
        redirect: 'manual',
        signal: opts.signal(),
      })
      void res.body?.cancel().catch(() => {})
      return res
    })
  } catch (err) {
    throw toAuthError(err, 'Authorization with the session')
  }
  const location = response.headers.get('location')
  if (response.status < 300 || response.status >= 400 || !location) {
    const code = response.status >= 500 ? 'server_error' : 'invalid_response'
    throw new AuthError(code, `Authorization with the session: HTTP ${response.status} without a redirect (is the redirect URI registered?)`, { status: response.status })
  }
  const callback = new URL(location, url)
  if (callback.origin + callback.pathname !== new URL(transaction.redirectUri).origin + new URL(transaction.redirectUri).pathname) {
    throw new AuthError('invalid_response', `Authorization with the session redirected to ${callback.origin}${callback.pathname}, not to the redirect URI`)
  }
  return client.handleCallback(callback, transaction)
}
