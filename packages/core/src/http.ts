import * as oauth from 'oauth4webapi'

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]'])

/** Options every network call accepts. */
export interface HttpOptions {
  /** Defaults to the global `fetch`; inject one to test, proxy or instrument. */
  fetch?: typeof fetch
  /** Cancels the request; the call rejects with code `aborted`. */
  signal?: AbortSignal
}

/**
 * oauth4webapi's request options: our fetch, and plain `http:` allowed only on loopback
 * (RFC 8252 development setups), never elsewhere.
 */
export function requestOptions(url: string, options: HttpOptions): {
  [oauth.customFetch]?: typeof fetch
  [oauth.allowInsecureRequests]?: boolean
  signal?: AbortSignal
} {
  const parsed = new URL(url)
  const out: ReturnType<typeof requestOptions> = {}
  if (options.fetch) out[oauth.customFetch] = options.fetch
  if (parsed.protocol === 'http:' && LOOPBACK.has(parsed.hostname)) out[oauth.allowInsecureRequests] = true
  if (options.signal) out.signal = options.signal
  return out
}
