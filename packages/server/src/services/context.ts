import type { KeySet } from '../keys/index.js'
import type { Realm, ResolvedConfig } from '../model/index.js'
import type { Store } from '../store/Store.js'
import type { HttpRequest } from '../base/http.js'

/** What every endpoint shares: resolved config, store, keys and the clock. */
export interface Runtime {
  config: ResolvedConfig
  store: Store
  keys: KeySet
  /** Milliseconds since the epoch. */
  now(): number
  fetch: typeof fetch
}

/** One request, resolved to its realm. */
export interface Context {
  rt: Runtime
  request: HttpRequest
  url: URL
  realm: Realm
  /** The realm's issuer for the origin this request reached (or the configured one). */
  issuer: string
  /** Seconds since the epoch, read once per request so one response is consistent. */
  nowSec: number
  /** The TLS client certificate the connection presented (RFC 8705); undefined without one. */
  clientCertificate?: PresentedCertificate
}

/**
 * A client certificate with its RFC 8705 thumbprint. Its fields are read only by client
 * authentication, so binding never depends on how much of X.509 the reader understands.
 */
export interface PresentedCertificate {
  der: Uint8Array<ArrayBuffer>
  chainVerified: boolean
  /** `x5t#S256`. */
  thumbprint: string
}

/**
 * Whether `origin` is the provider's own: the one the request was sent to, or the configured
 * public `origin` (behind a proxy the two differ, and a browser or client names the public one).
 */
export function isProviderOrigin(ctx: Context, origin: string): boolean {
  return origin === ctx.url.origin || origin === ctx.rt.config.origin
}

export function issuerFor(rt: Runtime, realm: Realm, origin: string): string {
  const base = `${rt.config.origin ?? origin}${rt.config.basePath}/oauth2`
  return realm.segments.length === 0 ? base : `${base}/realms/root${realm.segments.map((s) => `/realms/${s}`).join('')}`
}
