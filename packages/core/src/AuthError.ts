import * as oauth from 'oauth4webapi'

/**
 * Every reason a realmauth client call can fail. Stable strings: `switch (err.code)`
 * narrows, and they never change meaning between versions.
 */
export type AuthErrorCode =
  /** The discovery document could not be fetched or is not valid metadata. */
  | 'discovery_failed'
  /** Discovery answered for another issuer than the one configured (mix-up defence). */
  | 'issuer_mismatch'
  /** The request never got a whole HTTP answer (offline, DNS, reset, or a body that stalled past the timeout or was cut off). Retryable. */
  | 'network_error'
  /** The provider answered 5xx or `temporarily_unavailable`. Retryable. */
  | 'server_error'
  /** The provider answered something that is not the protocol's response: HTML, truncated JSON, missing fields. */
  | 'invalid_response'
  /** The provider answered an OAuth error not covered by a more specific code; see `error`. */
  | 'oauth_error'
  /** A code or refresh token was refused (`invalid_grant`): the user must sign in again. */
  | 'invalid_grant'
  /** The client's credentials were refused (`invalid_client`): a configuration problem. */
  | 'invalid_client'
  /** The ID token failed validation: signature, `iss`, `aud`, `azp`, `exp`, `iat` or `nonce`. */
  | 'id_token_invalid'
  /** The callback's `state` is not the one this client sent. */
  | 'state_mismatch'
  /** The callback's `iss` (RFC 9207) is missing or not this client's issuer. */
  | 'iss_mismatch'
  /** The authorization response carried an error (`access_denied`, `login_required`, ...); see `error`. */
  | 'authorization_error'
  /** No pending sign-in matches this callback: replayed, another tab's, or expired. */
  | 'transaction_not_found'
  /** The userinfo `sub` (or a `profile` loader's) differs from the ID token's; a sign-in loading the profile then stores nothing. */
  | 'userinfo_subject_mismatch'
  /** A userinfo answer sent as a JWT failed verification: unsigned (`alg: none`), bad signature or key, missing or wrong `iss` or `aud`. */
  | 'userinfo_invalid'
  /** There are no usable tokens: sign in (again). */
  | 'login_required'
  /** The operation was cancelled through its AbortSignal. */
  | 'aborted'
  /** The device code expired before the user answered (RFC 8628). */
  | 'expired_token'
  /** The user or provider denied the request. */
  | 'access_denied'
  /** An access token presented to a resource server is not valid (RFC 6750). */
  | 'invalid_token'
  /** The access token lacks a required scope (RFC 6750). */
  | 'insufficient_scope'
  /** The client was set up wrongly (missing option, unusable key). */
  | 'configuration_error'
  /** A DPoP proof was refused (RFC 9449 `invalid_dpop_proof`): the clock or the key is off. */
  | 'invalid_dpop_proof'
  /** The server asked for a fresh DPoP nonce again right after it was given one. */
  | 'use_dpop_nonce'
  /** An AM journey ended at a Failure node (wrong password or code, a refused choice); `error_description` is AM's message. */
  | 'journey_failed'
  /** An AM journey step can no longer be submitted: its `authId` timed out or was refused (altered, another server's). Start again. */
  | 'journey_expired'
  /** An AM journey refused the user because the account is locked (too many failures, or an administrator). */
  | 'account_locked'
  /** The browser refused to open the sign-in popup (`window.open` returned null): open it from a click handler. */
  | 'popup_blocked'
  /** The user closed the sign-in popup before the sign-in finished. */
  | 'popup_closed'

/** Codes that only a person signing in can resolve. */
const NEEDS_USER = new Set<AuthErrorCode>(['invalid_grant', 'login_required', 'authorization_error', 'access_denied', 'expired_token', 'journey_failed', 'journey_expired', 'popup_blocked', 'popup_closed'])

export interface AuthErrorOptions {
  /** The OAuth `error` the provider sent, if any. */
  error?: string
  error_description?: string
  /** HTTP status of the response that failed, if any. */
  status?: number
  cause?: unknown
}

/**
 * The one error class of realmauth's client packages.
 *
 * @example
 * ```ts
 * try {
 *   await auth.getAccessToken()
 * } catch (err) {
 *   if (err instanceof AuthError && err.needsUser) await auth.signIn()
 *   else if (err instanceof AuthError && err.retryable) showOfflineBanner()
 *   else throw err
 * }
 * ```
 */
export class AuthError extends Error {
  readonly code: AuthErrorCode
  /** The OAuth `error` the provider sent (`invalid_grant`, `access_denied`, ...). */
  readonly error?: string
  readonly error_description?: string
  readonly status?: number
  /** Trying again later, unchanged, may succeed (network failure, 5xx). */
  readonly retryable: boolean
  /** Only the user signing in again can resolve it. */
  readonly needsUser: boolean

  constructor(code: AuthErrorCode, message: string, options: AuthErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'AuthError'
    this.code = code
    // Declared fields: each is an own property, `undefined` when not given.
    this.error = options.error
    this.error_description = options.error_description
    this.status = options.status
    // Trying again later, unchanged, can succeed: the request or the provider failed, not its judgement.
    this.retryable = code === 'network_error' || code === 'server_error' || (options.status ?? 0) >= 500
    this.needsUser = NEEDS_USER.has(code)
  }
}

/** OAuth `error` values that are AuthErrorCodes of the same name. */
const SAME_NAME = new Set<string | undefined>(['invalid_grant', 'invalid_client', 'access_denied', 'expired_token', 'invalid_token', 'insufficient_scope', 'invalid_dpop_proof', 'use_dpop_nonce', 'server_error'])

/**
 * The AuthErrorCode of an OAuth `error` the provider sent, if it has its own. A set, not an
 * object: an `error` such as `constructor` must not find `Object.prototype`'s.
 */
function codeOf(error: string | undefined): AuthErrorCode | undefined {
  return error === 'temporarily_unavailable' ? 'server_error' : SAME_NAME.has(error) ? (error as AuthErrorCode) : undefined
}

const ID_TOKEN_FAILURES = new Set([oauth.JWT_CLAIM_COMPARISON, oauth.JWT_TIMESTAMP_CHECK, oauth.KEY_SELECTION])

/**
 * {@link toAuthError} for a token endpoint's answer. A refused client gets a `Basic`
 * challenge (RFC 6749 5.2), which oauth4webapi reports without reading the body; the body's
 * `error_description` is what tells the user which credential to fix, so it is read here.
 */
export async function tokenEndpointError(err: unknown, during: string): Promise<AuthError> {
  const error = toAuthError(err, during)
  if (!(err instanceof oauth.WWWAuthenticateChallengeError) || error.error_description !== undefined) return error
  let body: { error?: unknown; error_description?: unknown }
  try {
    body = (await err.response.clone().json()) as typeof body
  } catch {
    return error
  }
  if (typeof body?.error !== 'string') return error
  return oauthError(codeOf(body.error) ?? error.code, during, body.error, typeof body.error_description === 'string' ? body.error_description : undefined, err.status, err)
}

/**
 * An AuthError for an OAuth `error` the provider sent, its description in the message too;
 * a challenge without an `error` is named by its status.
 */
function oauthError(code: AuthErrorCode, during: string, error: string | undefined, description: string | undefined, status: number | undefined, cause: unknown): AuthError {
  return new AuthError(code, `${during}: ${error ?? `authentication challenge (HTTP ${status})`}${description ? ` (${description})` : ''}`, {
    error,
    error_description: description,
    status,
    cause,
  })
}

/**
 * Maps whatever a protocol step threw (oauth4webapi errors, fetch's TypeError, an abort)
 * to an {@link AuthError}, keeping the original as `cause`.
 */
export function toAuthError(err: unknown, during: string): AuthError {
  if (err instanceof AuthError) return err
  redactCause(err)
  if (err instanceof oauth.ResponseBodyError) {
    return oauthError(codeOf(err.error) ?? (err.status >= 500 ? 'server_error' : 'oauth_error'), during, err.error, err.error_description, err.status, err)
  }
  if (err instanceof oauth.WWWAuthenticateChallengeError) {
    const challenge = err.cause[0]
    const error = challenge?.parameters.error
    // A bare `Basic` challenge is how a token endpoint refuses client credentials (RFC 6749 5.2).
    const basic = challenge?.scheme === 'basic' && err.status === 401
    return oauthError(codeOf(error) ?? (basic ? 'invalid_client' : 'oauth_error'), during, error, challenge?.parameters.error_description, err.status, err)
  }
  if (err instanceof oauth.AuthorizationResponseError) {
    return oauthError('authorization_error', during, err.error, err.error_description, undefined, err)
  }
  let code: AuthErrorCode = 'invalid_response'
  let message = err instanceof Error ? err.message : String(err)
  let status: number | undefined
  if (err instanceof oauth.OperationProcessingError) {
    // A body that stalled past the timeout or was cut off by a reset never arrived: the
    // transport failed, not the provider's answer. Only a body that did arrive is judged.
    if (err.code === oauth.PARSE_ERROR && isTransportFailure(err.cause)) return toAuthError(err.cause, during)
    status = err.cause instanceof Response ? err.cause.status : undefined
    if (status !== undefined && status >= 500) {
      code = 'server_error'
      message = `the provider answered HTTP ${status}`
    } else if ((err.code !== undefined && ID_TOKEN_FAILURES.has(err.code)) || /\bJWT\b|ID Token/.test(message)) {
      // oauth4webapi reports a bad signature or `alg` as INVALID_RESPONSE; its message names the JWT.
      code = 'id_token_invalid'
    } else if (err.code === oauth.HTTP_REQUEST_FORBIDDEN || err.code === oauth.REQUEST_PROTOCOL_FORBIDDEN) {
      // No request was sent: an http: URL off loopback (or another scheme) is a setup problem.
      code = 'configuration_error'
    }
  } else if (err instanceof Error && err.name === 'TimeoutError') {
    // The provider took too long: like a dropped connection, worth trying again later.
    code = 'network_error'
    message = 'no answer within the timeout'
  } else if (err instanceof Error && err.name === 'AbortError') {
    code = 'aborted'
    message = 'aborted'
  } else if (err instanceof TypeError) {
    // oauth4webapi's argument errors (ERR_INVALID_ARG_VALUE, ...) are TypeErrors with a code;
    // fetch rejects with a plain TypeError when no HTTP answer came back.
    code = typeof (err as { code?: unknown }).code === 'string' ? 'configuration_error' : 'network_error'
  } else if (err instanceof oauth.UnsupportedOperationError && /\bJW[SETK]\b/.test(message)) {
    // A JWS/JWT/JWE/JWK it cannot handle is the ID token's; the rest (an unknown `token_type`, a hybrid callback) is the response's.
    code = 'id_token_invalid'
  }
  return new AuthError(code, `${during}: ${message}`, { status, cause: err })
}

/** What reading a body throws when the bytes stopped coming: a timeout, an abort, or undici's `terminated` TypeError. */
function isTransportFailure(err: unknown): boolean {
  // A TypeError with a code is oauth4webapi's own (bad base64url and the like), not the transport's.
  return err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError' || (err instanceof TypeError && typeof (err as { code?: unknown }).code !== 'string'))
}

/** Fields of a provider's answer that are bearer secrets (RFC 6749 5.1, RFC 8628 3.2). */
const SECRETS = new Set(['access_token', 'refresh_token', 'id_token', 'device_code'])

/**
 * Blanks the secrets in an error's `cause` chain, in place. oauth4webapi keeps the whole
 * token response as the cause when one field of it is wrong (`{ body }`), live refresh token
 * included, and an app that logs the error (`console.error` prints the chain) would log it.
 */
function redactCause(err: unknown, depth = 0): void {
  if (!(err instanceof Error) || err.cause === undefined) return
  Object.defineProperty(err, 'cause', { value: redacted(err.cause, depth), writable: true, configurable: true, enumerable: false })
}

function redacted(value: unknown, depth: number): unknown {
  if (typeof value !== 'object' || value === null || depth > 8) return value
  if (Array.isArray(value)) return value.map((v: unknown) => redacted(v, depth + 1))
  // Errors are walked in place; Responses and other class instances are left alone (their bodies are spent).
  if (Object.getPrototypeOf(value) !== Object.prototype) {
    redactCause(value, depth + 1)
    return value
  }
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, SECRETS.has(k) && typeof v === 'string' ? '[redacted]' : redacted(v, depth + 1)]))
}
