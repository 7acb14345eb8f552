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

/**
 * oauth4webapi's request options: our fetch, and plain `http:` allowed only on loopback
 * (RFC 8252 development setups), never elsewhere.
 */
export function requestOptions(url: string, options: HttpOptions): {
  [oauth.customFetch]?: typeof fetch
  [oauth.allowInsecureRequests]?: boolean
  signal?: () => AbortSignal
} {
  const parsed = new URL(url)
  const out: ReturnType<typeof requestOptions> = {}
  if (options.fetch) out[oauth.customFetch] = options.fetch
  if (parsed.protocol === 'http:' && LOOPBACK.has(parsed.hostname)) out[oauth.allowInsecureRequests] = true
  const ms = options.timeoutMs ?? DEFAULT_TIMEOUT_MS
  const caller = options.signal
  // A factory: oauth4webapi asks for a fresh signal per request, so each gets the full time.
  out.signal = () => (caller ? AbortSignal.any([caller, AbortSignal.timeout(ms)]) : AbortSignal.timeout(ms))
  return out
}
