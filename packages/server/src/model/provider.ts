import type { Realm } from './realm.js'

/** The provider's config once checked and filled with defaults: what every request reads. */
export interface ResolvedConfig {
  basePath: string
  origin?: string
  cookieName: string
  maxBodyBytes: number
  /** Milliseconds one store operation may take before the request is answered 503. */
  storeTimeoutMs: number
  /** Seconds ahead a client assertion's `exp` may lie. */
  maxClientAssertionLifetime: number
  requestUriTimeoutMs: number
  realms: Map<string, Realm>
  /** Signing keys: the ring's secret, and its refresh, rotation and publish-ahead periods in milliseconds. */
  keyEncryptionSecret?: string
  /** Secret salt of pairwise subjects (AM's "Subject Identifier Hash Salt"). */
  pairwiseSubjectSalt?: string
  keyRefreshMs: number
  keyRotationMs: number
  keyPublishAheadMs: number
}
