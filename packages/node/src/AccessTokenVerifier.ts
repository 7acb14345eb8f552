import type { DPoPNonces, DPoPReplayCache, DPoPRequest } from './checkDPoPProof.js'

/**
 * The claims of a verified access token: RFC 9068's, AM's (`realm`, ...) and any others
 * the provider put in, with `scope` also split into `scopes`.
 *
 * @example
 * ```ts
 * const claims: AccessTokenClaims = await verifier.verify(req.headers.authorization)
 * if (claims.scopes.includes('admin')) allowAdmin(claims.sub ?? claims.client_id)
 * ```
 */
export interface AccessTokenClaims {
  [claim: string]: unknown
  iss: string
  /**
   * Who the token is about. Always present in a JWT access token (RFC 9068); an
   * introspection answer may leave it out (RFC 7662), as node-oidc-provider does for
   * client-credentials tokens: then `client_id` is the caller.
   */
  sub?: string
  client_id: string
  /** Space-separated, as in the token; empty when the token has none. */
  scope: string
  scopes: string[]
  exp: number
  iat: number
  aud?: string | string[]
  nbf?: number
  jti?: string
  realm?: string
  /** RFC 9449: the key a DPoP-bound token is bound to; RFC 8705: the client certificate (`x5t#S256`). */
  cnf?: { jkt?: string; 'x5t#S256'?: string }
}

/**
 * RFC 7662 introspection, for tokens that are not JWTs (and, with `introspectJwts`, for
 * JWTs too). The client authenticates with `client_secret_basic`; at AM it needs the
 * `am-introspect-all-tokens` scope to see other clients' tokens.
 *
 * @example
 * ```ts
 * const introspection: IntrospectionOptions = { clientId: 'orders-api', clientSecret: process.env.SECRET! }
 * ```
 */
export interface IntrospectionOptions {
  clientId: string
  clientSecret: string
  /** Seconds an answer is reused (never past the token's `exp`). Default 60. */
  cacheTtl?: number
  /**
   * Also ask about JWTs that verified locally, so a revoked token is refused within
   * `cacheTtl`. Default false: JWTs are checked statelessly, without a request. A provider
   * that introspects no JWTs (node-oidc-provider answers `unsupported_token_type`) makes every
   * JWT a `configuration_error` that says so.
   */
  introspectJwts?: boolean
}

/**
 * Options of {@link createAccessTokenVerifier} and {@link verifyAccessToken}.
 *
 * @example
 * ```ts
 * const options: AccessTokenVerifierOptions = { issuer: realmIssuer('https://tenant.example.com/am', 'alpha'), audience: 'orders-api' }
 * const anyAudience: AccessTokenVerifierOptions = { issuer, audience: { any: true } }
 * ```
 */
export interface AccessTokenVerifierOptions {
  issuer: string
  /**
   * The token's `aud` must contain one of these. Required: a verifier that accepted any
   * audience would take a token the provider issued for another API. `{ any: true }` turns
   * the check off, for a resource server that deliberately accepts every token of the issuer
   * and decides by scope alone (AM puts the requesting client's id in `aud`).
   */
  audience: string | string[] | { any: true }
  /** Default: the `jwks_uri` of the issuer's discovery document, fetched once. */
  jwksUri?: string
  /** Milliseconds an introspection request may take; default 30000 (a retryable `network_error` after). */
  timeoutMs?: number
  fetch?: typeof fetch
  /** Milliseconds since the epoch; default `Date.now`. */
  clock?: () => number
  /** Seconds of leeway on `exp` and `nbf`. Default 5. A number 0 or more, else `configuration_error` at construction. */
  clockTolerance?: number
  /** Default RS256, ES256, PS256, EdDSA. Symmetric algorithms and `none` are refused. */
  algorithms?: string[]
  /** Scopes every token must carry; `verify` may ask for more. */
  requiredScopes?: string[]
  introspection?: IntrospectionOptions
  /** The `realm` of the `WWW-Authenticate` challenge. Default the issuer. */
  realm?: string
  /**
   * Milliseconds after a JWKS fetch before an unknown `kid` may trigger another (jose's
   * `cooldownDuration`, measured on the wall clock). Default 30000.
   */
  jwksCooldown?: number
  /**
   * DPoP (RFC 9449) at this resource server. Bound tokens (`cnf.jkt`) are always refused as
   * Bearer tokens; these settings tune how proofs are checked.
   */
  dpop?: {
    /** Refuse Bearer tokens altogether. Default false. */
    required?: boolean
    /** Seconds a proof is accepted after its `iat`. Default 60, as at the provider. */
    maxAge?: number
    /** Where seen `jti`s are kept. Default: this process's memory. */
    replay?: DPoPReplayCache
    /** Require server-issued nonces in proofs (`dpopNonces()`); refusals carry the nonce to retry with. */
    nonces?: DPoPNonces
  }
}

/**
 * What {@link createAccessTokenVerifier} returns.
 *
 * @example
 * ```ts
 * const claims = await verifier.verify('Bearer eyJ...', { requiredScopes: ['write'] })
 * ```
 */
export interface AccessTokenVerifier {
  /**
   * Verifies a raw token or an `Authorization` header value. Rejects with
   * {@link AccessTokenError} for a bad token, or {@link AuthError} (`network_error`,
   * `server_error`, `discovery_failed`, `configuration_error`) when the provider could not be asked.
   */
  verify(tokenOrAuthorizationHeader: string | null | undefined, options?: VerifyOptions): Promise<AccessTokenClaims>
}

/**
 * Per-request options of {@link AccessTokenVerifier.verify}.
 *
 * @example
 * ```ts
 * await verifier.verify(req.headers.authorization, {
 *   requiredScopes: ['orders.read'],
 *   dpop: { proof: String(req.headers.dpop), method: req.method!, url: `https://api.example.com${req.url}` },
 * })
 * ```
 */
export interface VerifyOptions {
  requiredScopes?: string[]
  /** The request, for a `DPoP` token: its `DPoP` header, method and public URL. */
  dpop?: Omit<DPoPRequest, 'proof'> & { proof: string | string[] | null | undefined }
  /**
   * The TLS client certificate of the connection (RFC 8705), DER bytes or PEM: on Node,
   * `req.socket.getPeerCertificate().raw` of a server with `requestCert: true`. A token bound
   * to a certificate (`cnf.x5t#S256`) is refused without it, or with another one.
   *
   * @example
   * ```ts
   * const peer = (req.socket as import('node:tls').TLSSocket).getPeerCertificate()
   * await verifier.verify(req.headers.authorization, { clientCertificate: peer.raw })
   * ```
   */
  clientCertificate?: Uint8Array | string | null
}
