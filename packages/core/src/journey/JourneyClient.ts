import { AuthError, toAuthError } from '../AuthError.js'
import { allowsPlainHttp, withRequestOptions, type HttpOptions } from '../http.js'
import type { OidcClientOptions } from '../OidcClient.js'
import { toJourneyCallback, type JourneyCallback, type RawCallback } from './JourneyCallback.js'

/** Options of {@link JourneyClient}. */
export interface JourneyClientOptions extends Pick<OidcClientOptions, 'issuer'>, HttpOptions {
  /**
   * `include` in a browser, so the session cookie AM sets on success is kept (the provider
   * must allow credentialed CORS for the app's origin). Default `include`.
   */
  credentials?: RequestCredentials
  /** Sent with every request (AM's session header, a load-balancer cookie). */
  headers?: Record<string, string>
}

/** A step of a journey: render its callbacks, answer them, pass the step to `next`. */
export interface JourneyStep {
  type: 'step'
  /** The tree's name, for `next`. */
  journey: string
  callbacks: JourneyCallback[]
  header?: string
  description?: string
  /** The page node's stage, a hint for custom rendering. */
  stage?: string
  /** AM's answer with the answers written in: what `next` posts back. */
  readonly payload: Record<string, unknown> & { authId: string; callbacks: RawCallback[] }
}

/** The journey ended in a session. In a browser the session cookie is set by now. */
export interface JourneySuccess {
  type: 'success'
  /** AM's SSO token (the `iPlanetDirectoryPro` cookie's value). Keep it secret. */
  sessionToken: string
  successUrl?: string
  realm?: string
}

export type JourneyResult = JourneyStep | JourneySuccess

const API_VERSION = 'protocol=1.0,resource=2.1'

/**
 * Runs AM journeys (authentication trees) over AM's REST protocol: start one by name, get a
 * step with typed callbacks, answer, submit, until success. Failures are `AuthError`s:
 * `journey_failed` (wrong answers, the tree's Failure node), `account_locked`,
 * `journey_expired` (the step's `authId` timed out or was refused: start again).
 *
 * @example
 * ```ts
 * const journeys = new JourneyClient({ issuer: realmIssuer('https://tenant.example.com/am', 'alpha') })
 * let result = await journeys.start('Login')
 * while (result.type === 'step') {
 *   for (const cb of result.callbacks) {
 *     if (cb.kind === 'name') cb.setName('demo')
 *     else if (cb.kind === 'password') cb.setPassword('Ch4ng3-it!')
 *   }
 *   result = await journeys.next(result)
 * }
 * console.log('signed in to AM', result.realm)
 * ```
 */
export class JourneyClient {
  readonly authenticateUrl: string
  readonly #options: JourneyClientOptions

  constructor(options: JourneyClientOptions) {
    this.#options = options
    this.authenticateUrl = authenticateUrl(options.issuer)
    // The answers are passwords and codes: plain http only on loopback, as for every other request.
    if (this.authenticateUrl.startsWith('http:') && !allowsPlainHttp(this.authenticateUrl)) {
      throw new AuthError('configuration_error', `${this.authenticateUrl} is not https`)
    }
  }

  /** Starts the journey (tree) `journey`; `query` adds parameters such as `ForceAuth` or `locale`. */
  start(journey: string, query: Record<string, string> = {}): Promise<JourneyResult> {
    return this.#send(journey, undefined, query)
  }

  /** Submits a step with its answers. A step can be submitted once; its answer is the next result. */
  next(step: JourneyStep): Promise<JourneyResult> {
    return this.#send(step.journey, step.payload, {})
  }

  async #send(journey: string, payload: JourneyStep['payload'] | undefined, query: Record<string, string>): Promise<JourneyResult> {
    const url = new URL(this.authenticateUrl)
    url.searchParams.set('authIndexType', 'service')
    url.searchParams.set('authIndexValue', journey)
    for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v)
    let response: Response
    let body: unknown
    try {
      ;[response, body] = await withRequestOptions(url.href, this.#options, async (opts): Promise<[Response, unknown]> => {
        const res = await (this.#options.fetch ?? fetch)(url, {
          method: 'POST',
          credentials: this.#options.credentials ?? 'include',
          headers: {
            ...this.#options.headers,
            accept: 'application/json',
            'accept-api-version': API_VERSION,
            'content-type': 'application/json',
            // AM's CSRF filter refuses cross-site JSON posts without it.
            'x-requested-with': 'realmauth',
          },
          ...(payload && { body: JSON.stringify(payload) }),
          signal: opts.signal(),
        })
        return [res, /\bjson\b/.test(res.headers.get('content-type') ?? '') ? await res.json() : undefined]
      })
    } catch (err) {
      throw toAuthError(err, `Journey ${journey}`)
    }
    if (response.ok) return parseResult(journey, body)
    throw journeyError(journey, response.status, body, payload !== undefined)
  }
}

/** `{base}/oauth2/realms/root/realms/x` → `{base}/json/realms/root/realms/x/authenticate`. */
function authenticateUrl(issuer: string): string {
  const m = /^(.*)\/oauth2((?:\/realms\/[^/]+)*)\/?$/.exec(issuer)
  if (!m) throw new AuthError('configuration_error', `${issuer} is not an AM realm issuer ({base}/oauth2/realms/root/realms/...)`)
  return `${m[1]}/json${m[2]}/authenticate`
}

function parseResult(journey: string, body: unknown): JourneyResult {
  if (typeof body !== 'object' || body === null) throw new AuthError('invalid_response', `Journey ${journey}: the answer is not JSON`)
  const b = body as Record<string, unknown>
  if (typeof b.authId === 'string') {
    if (!Array.isArray(b.callbacks) || !b.callbacks.every(isRawCallback)) {
      throw new AuthError('invalid_response', `Journey ${journey}: a step without valid callbacks`)
    }
    // A copy: answers written into it never alter what the caller got from elsewhere.
    const payload = structuredClone(b) as JourneyStep['payload']
    return {
      type: 'step',
      journey,
      callbacks: payload.callbacks.map(toJourneyCallback),
      payload,
      ...(typeof b.header === 'string' && { header: b.header }),
      ...(typeof b.description === 'string' && { description: b.description }),
      ...(typeof b.stage === 'string' && { stage: b.stage }),
    }
  }
  if (typeof b.tokenId !== 'string' || b.tokenId === '') {
    throw new AuthError('invalid_response', `Journey ${journey}: neither a step nor a session`)
  }
  return {
    type: 'success',
    sessionToken: b.tokenId,
    ...(typeof b.successUrl === 'string' && { successUrl: b.successUrl }),
    ...(typeof b.realm === 'string' && { realm: b.realm }),
  }
}

function isRawCallback(c: unknown): c is RawCallback {
  const r = c as RawCallback
  return typeof c === 'object' && c !== null && typeof r.type === 'string' && Array.isArray(r.output) && (r.input === undefined || Array.isArray(r.input))
}

/**
 * AM's failure answers, `{ code, reason, message, detail? }`, classified as the provider (and
 * AM) words them: a Failure node is 401 `Login failure`; an `authId` that expired, was spent,
 * altered or never issued is 401 `Session has timed out` (AM adds `detail.errorCode` 110); bad
 * input (an answer out of range, an unknown tree) is 400 and leaves the step usable.
 */
function journeyError(journey: string, status: number, body: unknown, resumed: boolean): AuthError {
  const b = (typeof body === 'object' && body !== null ? body : {}) as { message?: unknown; detail?: { errorCode?: unknown } }
  const message = typeof b.message === 'string' ? b.message : `HTTP ${status}`
  const options = { status, error_description: message, cause: body }
  if (status >= 500) return new AuthError('server_error', `Journey ${journey}: ${message}`, options)
  // AM's "User Locked Out." and custom Failure messages; the reference provider says "Login failure" for a lockout too.
  if (/\blocked\b/i.test(message)) return new AuthError('account_locked', `Journey ${journey}: ${message}`, options)
  if (resumed && status === 401 && (String(b.detail?.errorCode) === '110' || /timed out/i.test(message))) {
    return new AuthError('journey_expired', `Journey ${journey}: ${message}`, options)
  }
  if (status === 401 || status === 403) return new AuthError('journey_failed', `Journey ${journey}: ${message}`, options)
  if (status === 400) return new AuthError('oauth_error', `Journey ${journey}: ${message}`, { ...options, error: 'invalid_request' })
  return new AuthError('invalid_response', `Journey ${journey}: HTTP ${status} ${message}`, options)
}
