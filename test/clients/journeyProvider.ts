/**
 * The provider's journeys as the client tests meet them (AM's `json/…/authenticate`): a realm
 * with the SPA client, the demo user with a TOTP secret, and two trees besides the default
 * `Login` (a page of User Name and Password):
 * - `MFA`: that page, the password checked, then a one-time code page; a wrong password or
 *   code goes back to the first page through a retry limit of {@link RETRY_LIMIT} that then
 *   locks the account for {@link LOCKOUT_S} seconds.
 * - `Choose`: a Choice Collector ("Password" or "Password and code") into the first page or
 *   into both, a wrong code going back to the page (no retry limit).
 * - `Device`: a HiddenValue node (id `clientScriptOutputData`) on the first page.
 */
import { startProvider, testClock, type ClientMode, type ProviderUnderTest } from './providerHarness.js'
export { totp } from '../server/totp.js'

/** The demo user's TOTP secret in base32, as an authenticator app (and the provider's `totp_secret`) takes it. */
export const TOTP_SECRET = 'JBSWY3DPEHPK3PXP'
export const JOURNEY_USER = { username: 'demo', password: 'Ch4ng3-it!', name: 'Demo User', email: 'demo@example.com', totp_secret: TOTP_SECRET }
export const RETRY_LIMIT = 3
export const LOCKOUT_S = 600
/** How long a step's `authId` may be submitted (the provider's, and AM's default tree timeout). */
export const AUTH_ID_LIFETIME_S = 300

const credentialsPage = (check: string) =>
  ({ type: 'Page', header: 'Sign in', stage: 'UsernamePassword', nodes: [{ type: 'UsernameCollector' }, { type: 'PasswordCollector' }], outcomes: { outcome: check } }) as const
const codePage = { type: 'Page', header: 'Sign in', stage: 'OneTimePassword', nodes: [{ type: 'OneTimePassword' }], outcomes: { true: 'done', false: 'retry' } } as const

/** The realm's journeys, in the provider's configuration format. */
export const JOURNEYS = {
  MFA: {
    entry: 'credentials',
    nodes: {
      credentials: credentialsPage('check'),
      check: { type: 'DataStoreDecision', outcomes: { true: 'otp', false: 'retry' } },
      otp: codePage,
      retry: { type: 'RetryLimit', limit: RETRY_LIMIT, lockout_seconds: LOCKOUT_S, outcomes: { retry: 'credentials', reject: 'failed' } },
      done: { type: 'Success' },
      failed: { type: 'Failure' },
    },
  },
  Choose: {
    entry: 'how',
    nodes: {
      how: { type: 'ChoiceCollector', prompt: 'How do you want to sign in?', choices: ['Password', 'Password and code'], outcomes: { Password: 'credentials', 'Password and code': 'mfa' } },
      credentials: credentialsPage('check'),
      check: { type: 'DataStoreDecision', outcomes: { true: 'done', false: 'failed' } },
      mfa: credentialsPage('mfaCheck'),
      mfaCheck: { type: 'DataStoreDecision', outcomes: { true: 'otp', false: 'failed' } },
      otp: { ...codePage, outcomes: { true: 'done', false: 'mfa' } },
      done: { type: 'Success' },
      failed: { type: 'Failure' },
    },
  },
  Device: {
    entry: 'page',
    nodes: {
      page: { ...credentialsPage('check'), nodes: [{ type: 'HiddenValue', id: 'clientScriptOutputData', value: 'nonce-1' }, ...credentialsPage('check').nodes] },
      check: { type: 'DataStoreDecision', outcomes: { true: 'done', false: 'failed' } },
      done: { type: 'Success' },
      failed: { type: 'Failure' },
    },
  },
} as const

/** The realm: the SPA client (redirect URI `{app}/callback`), the demo user with a TOTP secret, and {@link JOURNEYS}. */
export function journeyRealm(appOrigin: string) {
  return {
    name: 'alpha',
    allow_implied_consent: true,
    clients: [
      {
        client_id: 'spa',
        token_endpoint_auth_method: 'none' as const,
        redirect_uris: [`${appOrigin}/callback`],
        post_logout_redirect_uris: [`${appOrigin}/`],
        grant_types: ['authorization_code', 'refresh_token'],
        scope: 'openid profile email',
        implied_consent: true,
      },
    ],
    users: [JOURNEY_USER],
    journeys: JOURNEYS,
  }
}

/** The provider with the journeys realm, in process through msw or over HTTP on loopback. */
export function startJourneyProvider(mode: ClientMode, appOrigin = 'http://127.0.0.1:5173', clock = testClock()): Promise<ProviderUnderTest> {
  return startProvider(mode, { realms: [journeyRealm(appOrigin)] }, clock)
}
