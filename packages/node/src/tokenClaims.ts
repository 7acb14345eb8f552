import { AuthError } from '@realmauth/core'
import { errors } from 'jose'
import { AccessTokenError } from './AccessTokenError.js'
import type { AccessTokenClaims, AccessTokenVerifierOptions } from './AccessTokenVerifier.js'

// RFC 6750 2.1: `Bearer` or `DPoP`, spaces, one b64token.
const BEARER_SCHEME = /^(bearer|dpop)(?: +|$)/i

/** Builds the `invalid_token` error of one verification, with its challenge's realm. */
export type Invalid = (description: string, cause?: unknown) => AccessTokenError

/** The token of an `Authorization` header (Bearer or DPoP scheme) or of a bare token. */
export function extractToken(input: string | null | undefined, realm: string, invalid: Invalid): { token: string; dpop: boolean } {
  if (input === undefined || input === null || input === '') {
    throw new AccessTokenError('invalid_token', 'No access token was sent', { realm, noToken: true })
  }
  if (typeof input !== 'string') throw invalid('The access token must be a string')
  const scheme = BEARER_SCHEME.exec(input)
  if (scheme) {
    let end = input.length
    while (end > scheme[0].length && input.charCodeAt(end - 1) === 32) end--
    const token = input.slice(scheme[0].length, end)
    if (token === '') throw invalid(`The access token is malformed: the ${scheme[1]} scheme carries no token`)
    return { token, dpop: scheme[1]!.length === 4 }
  }
  if (input.includes(' ')) throw invalid('The Authorization header does not use the Bearer or DPoP scheme')
  return { token: input, dpop: false }
}

type ClaimTypes = readonly (readonly [name: string, type: 'string' | 'number'])[]
export const JWT_CLAIM_TYPES: ClaimTypes = [['iss', 'string'], ['sub', 'string'], ['client_id', 'string'], ['exp', 'number'], ['iat', 'number']]
// RFC 7662 2.2 makes `sub` optional: machine tokens of many providers have none.
export const INTROSPECTION_CLAIM_TYPES = JWT_CLAIM_TYPES.filter(([name]) => name !== 'sub')

/** The audiences to require, or undefined for an explicit `{ any: true }`; anything else is a setup error. */
export function checkAudience(audience: AccessTokenVerifierOptions['audience'] | undefined): string[] | undefined {
  if (typeof audience === 'object' && audience !== null && !Array.isArray(audience) && audience.any === true) return undefined
  const list = typeof audience === 'string' ? [audience] : audience
  if (!Array.isArray(list) || list.length === 0 || list.some((a) => typeof a !== 'string' || a === '')) {
    throw new AuthError('configuration_error', "audience is required: the API's identifier(s) as the provider puts them in `aud`, or { any: true } to accept any audience")
  }
  return list
}

/** Completes `payload` in place: it is always a fresh object from JSON.parse, ours to change. */
export function toClaims(payload: Record<string, unknown>, invalid: Invalid, required: ClaimTypes): AccessTokenClaims {
  for (const [name, type] of required) {
    if (typeof payload[name] !== type) throw invalid(`The access token has no valid '${name}' claim`)
  }
  if (payload.sub !== undefined && typeof payload.sub !== 'string') throw invalid("The access token has no valid 'sub' claim")
  const raw = payload.scope
  // Some providers send scope as an array; callers get one string either way.
  const scope = typeof raw === 'string' ? raw : Array.isArray(raw) ? raw.join(' ') : ''
  payload.scope = scope
  payload.scopes = scope === '' ? [] : scope.split(' ').filter(Boolean)
  return payload as AccessTokenClaims
}

/** jose's verification errors as ours: the token's fault (`invalid_token`) or the provider's. */
export function jwtError(err: unknown, invalid: Invalid): Error {
  // Failures of the JWKS itself (our fetch wrapper throws AuthError for HTTP and network) are
  // the provider's problem, never the token's.
  if (err instanceof AuthError) return err
  if (err instanceof errors.JWKSTimeout) return new AuthError('network_error', 'The JWKS request timed out', { cause: err })
  if (err instanceof errors.JWKSInvalid || (err instanceof errors.JOSEError && err.code === 'ERR_JOSE_GENERIC')) {
    return new AuthError('server_error', `The issuer's JWKS is unusable: ${err.message}`, { cause: err })
  }
  if (err instanceof errors.JWKSNoMatchingKey) return invalid('No key of the issuer matches the access token', err)
  if (err instanceof errors.JWKSMultipleMatchingKeys) return invalid('The access token does not say which of the issuer\'s keys signed it', err)
  if (err instanceof errors.JWTExpired) return invalid('The access token expired', err)
  if (err instanceof errors.JWTClaimValidationFailed) {
    const messages: Record<string, string> = {
      nbf: 'The access token is not valid yet',
      iss: 'The access token was issued by another issuer',
      aud: 'The access token is not meant for this audience',
    }
    const known = err.reason === 'missing' ? undefined : messages[err.claim]
    return invalid(known ?? `The access token's '${err.claim}' claim is ${err.reason === 'missing' ? 'missing' : 'not acceptable'}`, err)
  }
  if (err instanceof errors.JWSSignatureVerificationFailed) return invalid('The access token\'s signature is not valid', err)
  if (err instanceof errors.JOSEAlgNotAllowed) return invalid('The access token\'s signing algorithm is not allowed', err)
  return invalid('The access token is malformed', err)
}
