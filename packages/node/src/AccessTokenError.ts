import { AuthError } from '@realmauth/core'

/**
 * A token was refused: `invalid_token` (401) or `insufficient_scope` (403), with the
 * RFC 6750 section 3 challenge ready to send.
 *
 * @example
 * ```ts
 * try {
 *   await verifier.verify(req.headers.authorization)
 * } catch (err) {
 *   if (err instanceof AccessTokenError) return res.writeHead(err.status!, { 'www-authenticate': err.wwwAuthenticate }).end()
 *   throw err // network_error or server_error: answer 503, the token may be fine
 * }
 * ```
 */
export class AccessTokenError extends AuthError {
  declare readonly code: AccessTokenErrorCode
  /** The value of the `WWW-Authenticate` response header. */
  readonly wwwAuthenticate: string
  /** For `use_dpop_nonce`: the value of the `DPoP-Nonce` response header to send. */
  readonly dpopNonce?: string

  constructor(
    code: AccessTokenErrorCode,
    description: string,
    options: { realm: string; scope?: string; cause?: unknown; noToken?: boolean; dpopAlgs?: string[]; dpopNonce?: string },
  ) {
    super(code, description, { error: code, error_description: description, status: code === 'insufficient_scope' ? 403 : 401, cause: options.cause })
    this.name = 'AccessTokenError'
    if (options.dpopNonce !== undefined) this.dpopNonce = options.dpopNonce
    // RFC 9449 7.1: DPoP challenges name the scheme and the proof algorithms accepted.
    const scheme = options.dpopAlgs ? 'DPoP' : 'Bearer'
    const algs = options.dpopAlgs ? `, algs="${options.dpopAlgs.join(' ')}"` : ''
    // RFC 6750 3.1: a request that sent no token at all gets a bare challenge, no error code.
    this.wwwAuthenticate = options.noToken
      ? `${scheme} realm="${quotable(options.realm)}"${algs}`
      : `${scheme} realm="${quotable(options.realm)}", error="${code}", error_description="${quotable(description)}"` +
        (options.scope ? `, scope="${quotable(options.scope)}"` : '') +
        algs
  }
}

/**
 * Why a resource server refused a request: RFC 6750's two codes and RFC 9449's proof and nonce errors.
 *
 * @example
 * ```ts
 * const status = (code: AccessTokenErrorCode) => (code === 'insufficient_scope' ? 403 : 401)
 * ```
 */
export type AccessTokenErrorCode = 'invalid_token' | 'insufficient_scope' | 'invalid_dpop_proof' | 'use_dpop_nonce'
/** RFC 6750 3: `error_description` and friends allow printable ASCII except `"` and `\`. */
function quotable(value: string): string {
  return value.replace(/["\\]/g, "'").replace(/[^\x20-\x7E]/g, '?')
}
