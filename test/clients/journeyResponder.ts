/**
 * AM's journey endpoint (`POST .../json/realms/root/realms/{realm}/authenticate`) played by
 * test code until main's provider has its own (branch j15p): the same tree configuration
 * (`JOURNEYS`, in the provider's `journeys` format, given to the realm already), the same
 * answers (step, session, and the provider's exact errors), the same TOTP secrets (a user's
 * base32 `totp_secret`), the same retry limit and lockout. On success it signs in with the
 * provider's zero-page login, so the session cookie is the one `authorize?prompt=none`
 * honours. Switching the tests to the provider is the one line marked in
 * {@link startJourneyProvider}.
 *
 * Trees (plus the provider's default `Login`: a page of User Name and Password):
 * - `MFA`: that page, the password checked, then a one-time code page; a wrong password or
 *   code goes back to the first page through a retry limit of {@link RETRY_LIMIT} that then
 *   locks the account for {@link LOCKOUT_S} seconds.
 * - `Choose`: a Choice Collector ("Password" or "Password and code") into the first page or
 *   into both, a wrong code going back to the page (no retry limit).
 */
import type { Provider } from '@realmauth/server'
import { startProvider, testClock, type ClientMode, type ProviderUnderTest } from './providerHarness.js'

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
} as const

/** The provider's default journey, added to every realm. */
const LOGIN = {
  entry: 'credentials',
  nodes: {
    credentials: { type: 'Page', nodes: [{ type: 'UsernameCollector' }, { type: 'PasswordCollector' }], outcomes: { outcome: 'check' } },
    check: { type: 'DataStoreDecision', outcomes: { true: 'done', false: 'failed' } },
    done: { type: 'Success' },
    failed: { type: 'Failure' },
  },
} as const

/** RFC 6238 TOTP (HMAC-SHA1, 30 s, 6 digits) of a base32 secret at `nowMs`. */
export async function totp(base32: string, nowMs: number): Promise<string> {
  let bits = ''
  for (const ch of base32.replace(/=+$/, '')) bits += 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'.indexOf(ch).toString(2).padStart(5, '0')
  const secret = new Uint8Array((bits.match(/.{8}/g) ?? []).map((b) => parseInt(b, 2)))
  const counter = new DataView(new ArrayBuffer(8))
  counter.setBigUint64(0, BigInt(Math.floor(nowMs / 30_000)))
  const key = await crypto.subtle.importKey('raw', secret, { name: 'HMAC', hash: 'SHA-1' }, false, ['sign'])
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', key, counter.buffer))
  const offset = mac[19]! & 0xf
  const code = ((mac[offset]! & 0x7f) << 24) | (mac[offset + 1]! << 16) | (mac[offset + 2]! << 8) | mac[offset + 3]!
  return String(code % 1_000_000).padStart(6, '0')
}

type Node = { type: string; outcomes?: Record<string, string>; nodes?: readonly Node[]; prompt?: string; choices?: readonly string[]; header?: string; stage?: string; limit?: number; lockout_seconds?: number }
type Tree = { entry: string; nodes: Record<string, Node> }
interface State {
  tree: string
  node: string
  username?: string
  password?: string
}
interface Callback {
  type: string
  output: { name: string; value: unknown }[]
  initial?: string | number
  options?: number
}

const REASONS: Record<number, string> = { 400: 'Bad Request', 401: 'Unauthorized', 405: 'Method Not Allowed' }
const json = (body: unknown, status = 200) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } })
/** The provider's error shape for `/json` (AM's). */
const amError = (status: number, message: string, extra: Record<string, unknown> = {}) => json({ code: status, reason: REASONS[status] ?? 'Error', message, ...extra }, status)
const loginFailure = () => amError(401, 'Login failure', { detail: { failureUrl: '' } })
/** Unknown, expired, spent or altered `authId`: the provider cannot tell them apart, nor can a client. */
const timedOut = () => amError(401, 'Session has timed out')
class BadInput extends Error {}

/** The journey endpoint as a fault over `provider` (for the session at the end), with the credentialed CORS the provider's `/json` gives `appOrigin`. */
export function journeyResponder(clock: () => number, appOrigin: string) {
  const trees: Record<string, Tree> = { Login: LOGIN, ...(JOURNEYS as unknown as Record<string, Tree>) }
  /** authId → the state it may continue from, until it is spent or expires. */
  const pending = new Map<string, { state: State; expMs: number }>()
  const lockouts = new Map<string, { failures: number; lockedUntilMs: number }>()
  const isLocked = (username = '') => (lockouts.get(username)?.lockedUntilMs ?? 0) > clock()

  function callbacksOf(node: Node, state: State): Callback[] {
    switch (node.type) {
      case 'Page':
        return node.nodes!.flatMap((n) => callbacksOf(n, state))
      case 'UsernameCollector':
        return [{ type: 'NameCallback', output: [{ name: 'prompt', value: 'User Name' }], initial: state.username ?? '' }]
      case 'PasswordCollector':
        return [{ type: 'PasswordCallback', output: [{ name: 'prompt', value: 'Password' }], initial: '' }]
      case 'OneTimePassword':
        return [{ type: 'PasswordCallback', output: [{ name: 'prompt', value: 'One-time password' }], initial: '' }]
      case 'ChoiceCollector':
        return [
          {
            type: 'ChoiceCallback',
            output: [{ name: 'prompt', value: node.prompt }, { name: 'choices', value: node.choices }, { name: 'defaultChoice', value: 0 }],
            initial: 0,
            options: node.choices!.length,
          },
        ]
      default:
        return []
    }
  }

  async function answer(node: Node, answers: unknown[], state: State): Promise<string> {
    if (node.type === 'Page') {
      let outcome = ''
      let at = 0
      for (const child of node.nodes!) {
        const n = callbacksOf(child, state).length
        outcome = await answer(child, answers.slice(at, at + n), state)
        at += n
      }
      return outcome
    }
    if (node.type === 'UsernameCollector') state.username = String(answers[0])
    if (node.type === 'PasswordCollector') state.password = String(answers[0])
    if (node.type === 'ChoiceCollector') return node.choices![answers[0] as number]!
    if (node.type === 'OneTimePassword') {
      const code = String(answers[0])
      const near = await Promise.all([-30_000, 0, 30_000].map((d) => totp(TOTP_SECRET, clock() + d)))
      return String(state.username === JOURNEY_USER.username && near.includes(code) && !isLocked(state.username))
    }
    return 'outcome'
  }

  function decide(node: Node, state: State): string {
    if (node.type === 'DataStoreDecision') {
      const ok = state.username === JOURNEY_USER.username && state.password === JOURNEY_USER.password && !isLocked(state.username)
      delete state.password
      return String(ok)
    }
    // RetryLimit
    const username = state.username ?? ''
    if (isLocked(username)) return 'reject'
    const failures = (lockouts.get(username)?.failures ?? 0) + 1
    const locked = failures >= node.limit!
    lockouts.set(username, { failures: locked ? 0 : failures, lockedUntilMs: locked ? clock() + node.lockout_seconds! * 1000 : 0 })
    return locked ? 'reject' : 'retry'
  }

  async function walk(tree: Tree, state: State, provider: Provider, url: URL): Promise<Response> {
    for (;;) {
      const node = tree.nodes[state.node]!
      if (node.type === 'Success') {
        lockouts.delete(state.username!)
        return signIn(provider, url)
      }
      if (node.type === 'Failure') return loginFailure()
      const callbacks = callbacksOf(node, state)
      if (callbacks.length > 0) {
        const authId = Array.from(crypto.getRandomValues(new Uint8Array(32)), (b) => b.toString(16).padStart(2, '0')).join('')
        pending.set(authId, { state: { ...state }, expMs: clock() + AUTH_ID_LIFETIME_S * 1000 })
        let n = 0
        return json({
          authId,
          callbacks: callbacks.map((c, i) => ({ type: c.type, output: c.output, ...(c.initial !== undefined && { input: [{ name: `IDToken${++n}`, value: c.initial }] }), _id: i })),
          ...(node.header !== undefined && { header: node.header }),
          ...(node.stage !== undefined && { stage: node.stage }),
        })
      }
      state.node = tree.nodes[state.node]!.outcomes![decide(node, state)]!
    }
  }

  function answersOf(callbacks: Callback[], posted: unknown): unknown[] {
    if (!Array.isArray(posted) || posted.length !== callbacks.length) throw new BadInput(`This step takes ${callbacks.length} callbacks`)
    return callbacks.map((c, i) => {
      const p = posted[i] as { type?: unknown; input?: { value?: unknown }[] } | null
      if (typeof p !== 'object' || p === null || p.type !== c.type) throw new BadInput(`Callback ${i} must be a ${c.type}`)
      const raw = p.input?.[0]?.value
      if (typeof c.initial === 'string') {
        if (typeof raw !== 'string') throw new BadInput(`The ${c.type} answer must be a string`)
        return raw
      }
      const index = typeof raw === 'string' && /^\d{1,4}$/.test(raw) ? Number(raw) : raw
      if (typeof index !== 'number' || !Number.isInteger(index) || index < 0 || index >= c.options!) {
        throw new BadInput(`The ${c.type} answer must be the index of one of its ${c.options} options`)
      }
      return index
    })
  }

  async function respond(request: Request, provider: Provider): Promise<Response> {
    const url = new URL(request.url)
    if (request.method !== 'POST') return amError(405, 'Method not allowed')
    if (request.headers.has('x-openam-username')) return provider.fetch(request) // zero-page sign-in
    const name = url.searchParams.get('authIndexValue') ?? 'Login'
    const tree = trees[name]
    if (!tree) return amError(400, `No journey named '${name}' in this realm`)
    const text = await request.text()
    if (text.trim() === '') return walk(tree, { tree: name, node: tree.entry }, provider, url)
    let body: { authId?: unknown; callbacks?: unknown }
    try {
      body = JSON.parse(text) as typeof body
    } catch {
      return amError(400, 'The request body is not JSON')
    }
    if (typeof body.authId !== 'string') return amError(400, 'authId must be a string')
    const entry = pending.get(body.authId)
    if (!entry || entry.expMs <= clock()) return timedOut()
    const state = { ...entry.state }
    const current = trees[state.tree]!
    const node = current.nodes[state.node]!
    let answers: unknown[]
    try {
      answers = answersOf(callbacksOf(node, state), body.callbacks)
    } catch (err) {
      // Bad input leaves the authId usable, as the provider's does.
      if (err instanceof BadInput) return amError(400, err.message)
      throw err
    }
    pending.delete(body.authId)
    state.node = node.outcomes![await answer(node, answers, state)]!
    return walk(current, state, provider, url)
  }

  return async function respondWithCors(request: Request, provider: Provider): Promise<Response> {
    const cors: Record<string, string> =
      request.headers.get('origin') === appOrigin ? { 'access-control-allow-origin': appOrigin, 'access-control-allow-credentials': 'true', vary: 'origin' } : {}
    if (request.method === 'OPTIONS') {
      return new Response(null, {
        status: 204,
        headers: { ...cors, 'access-control-allow-methods': 'GET, POST', 'access-control-allow-headers': 'accept-api-version, x-requested-with, content-type', 'access-control-max-age': '600' },
      })
    }
    const response = await respond(request, provider)
    const headers = new Headers(response.headers)
    for (const [k, v] of Object.entries(cors)) headers.set(k, v)
    return new Response(response.body, { status: response.status, headers })
  }

  /** The tree succeeded: the provider's own session (cookie and tokenId), as its Success node makes. */
  function signIn(provider: Provider, url: URL): Promise<Response> {
    return provider.fetch(
      new Request(url.origin + url.pathname, {
        method: 'POST',
        headers: { 'x-openam-username': JOURNEY_USER.username, 'x-openam-password': JOURNEY_USER.password },
      }),
    )
  }
}

/** The realm: the SPA client (redirect URI `{app}/callback`), the demo user with a TOTP secret, and {@link JOURNEYS}. */
export function journeyRealm(appOrigin: string) {
  return {
    name: 'alpha',
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

/**
 * The provider with journeys, in process through msw or over HTTP on loopback. The
 * responder answers `authenticate`; everything else is the real provider.
 */
export async function startJourneyProvider(mode: ClientMode, appOrigin = 'http://127.0.0.1:5173', clock = testClock()): Promise<ProviderUnderTest> {
  const p = await startProvider(mode, { realms: [journeyRealm(appOrigin)] }, clock)
  // The one line to drop once main's provider plays journeys itself (branch j15p2).
  p.fault('authenticate', journeyResponder(() => clock.now, appOrigin), Infinity)
  return p
}
