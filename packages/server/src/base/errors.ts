/** OAuth error codes the provider answers with (RFC 6749, 6750, 7009, 7591, 8628, 9101, 9126, 9449, OIDC Core). */
export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'unsupported_response_type'
  | 'invalid_scope'
  | 'access_denied'
  | 'server_error'
  | 'temporarily_unavailable'
  | 'invalid_token'
  | 'insufficient_scope'
  | 'authorization_pending'
  | 'slow_down'
  | 'expired_token'
  | 'login_required'
  | 'consent_required'
  | 'invalid_request_uri'
  | 'invalid_request_object'
  | 'invalid_dpop_proof'
  | 'use_dpop_nonce'
  | 'invalid_redirect_uri'
  | 'invalid_client_metadata'
  | 'not_found'

/**
 * An error the provider answers as JSON `{ error, error_description }` with an HTTP status.
 *
 * @example
 * ```ts
 * throw new OAuthError('invalid_grant', 'Authorization code is expired')
 * ```
 */
export class OAuthError extends Error {
  readonly error: OAuthErrorCode
  readonly status: number
  readonly headers: Record<string, string>
  /** AM's `detail` on a `json/…` answer, such as `{ errorCode: '110' }` for a timed-out journey step. */
  readonly detail: Record<string, string> | undefined

  constructor(error: OAuthErrorCode, description: string, status = 400, headers: Record<string, string> = {}, detail?: Record<string, string>) {
    super(description)
    this.name = 'OAuthError'
    this.error = error
    this.status = status
    this.headers = headers
    this.detail = detail
  }
}

/**
 * A configuration the provider refuses to start with; `field` names the offending path,
 * such as `realms[0].clients[2].redirect_uris[1]`.
 *
 * @example
 * ```ts
 * try { createProvider(config) } catch (e) { if (e instanceof ConfigError) console.error(e.field, e.message) }
 * ```
 */
export class ConfigError extends Error {
  readonly field: string
  constructor(field: string, problem: string) {
    super(`Invalid provider config at ${field}: ${problem}`)
    this.name = 'ConfigError'
    this.field = field
  }
}
