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

/**
 * The TLS client certificate of a request, as the adapter that terminated TLS saw it
 * (RFC 8705). The provider reads its subject, names and key; the chain is the TLS layer's to
 * verify, against the CA it trusts for client certificates.
 *
 * @example
 * ```ts
 * const presented: ClientCertificate = { certificate: '-----BEGIN CERTIFICATE-----\n...', chainVerified: true }
 * ```
 */
export interface ClientCertificate {
  /** The client's own (leaf) certificate: DER bytes, or PEM text. */
  certificate: Uint8Array | string
  /**
   * The TLS layer verified the chain to a CA trusted for client certificates (Node's
   * `socket.authorized`). `tls_client_auth` needs it; `self_signed_tls_client_auth` and
   * certificate binding do not.
   */
  chainVerified: boolean
}
