import * as oauth from 'oauth4webapi'

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]'])

/** Options every network call accepts. */
export interface HttpOptions {
  /** Defaults to the global `fetch`; inject one to test, proxy or instrument. */
  fetch?: typeof fetch
  /** Cancels the request; the call rejects with code `aborted`. */
  signal?: AbortSignal
  /**
   * Milliseconds a request may take before it is abandoned as a retryable `network_error`.
   * Default 30000: a provider that accepts a connection and never answers must not hold a
   * refresh, and everyone waiting on it, forever.
   */
  timeoutMs?: number
}

const DEFAULT_TIMEOUT_MS = 30_000

/** oauth4webapi's request options, as {@link withRequestOptions} hands them out. */
export interface RequestOptions {
  [oauth.customFetch]?: typeof fetch
  [oauth.allowInsecureRequests]?: boolean
  signal: () => AbortSignal
}

/** Plain `http:` is allowed only on loopback (RFC 8252 development setups), never elsewhere. */
export function allowsPlainHttp(url: string): boolean {
  return /^\s*http:/i.test(url) && LOOPBACK.has(new URL(url).hostname)
}

/**
 * Runs `send` with oauth4webapi's request options for `url`: our fetch, loopback `http:`, and a
 * signal per request that aborts it after `timeoutMs`, each request its full time. Read the
 * answer's body inside `send`: that is still under the limit. The timers stop when `send`
 * settles, so nothing outlives the exchange; an `AbortSignal.timeout` would stay armed for the
 * whole 30 s and be reclaimed only through a finalizer, which costs more than the rest of a
 * token request's bookkeeping (decision 0075). The timers are not unref'd: over a socket the
 * socket holds the process anyway, and where nothing else does (an injected fetch, msw) it is
 * the timer that turns a hung request into `network_error` instead of an exit with the call
 * unsettled (test/clients/request-timeout.test.ts).
 */
export async function withRequestOptions<T>(url: string, options: HttpOptions, send: (opts: RequestOptions) => Promise<T>): Promise<T> {
  const timers: ReturnType<typeof setTimeout>[] = []
  const caller = options.signal
  try {
    return await send({
      [oauth.customFetch]: options.fetch,
      [oauth.allowInsecureRequests]: allowsPlainHttp(url),
      signal: () => {
        const controller = new AbortController()
        timers.push(setTimeout(() => controller.abort(new DOMException('timeout', 'TimeoutError')), options.timeoutMs ?? DEFAULT_TIMEOUT_MS))
        return caller ? AbortSignal.any([caller, controller.signal]) : controller.signal
      },
    })
  } finally {
    timers.forEach(clearTimeout)
  }
}
