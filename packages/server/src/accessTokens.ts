import type { Context } from './context.js'
import { OAuthError } from './errors.js'
import { verifyOwnJwt } from './keys.js'
import type { AccessTokenPayload } from './tokens.js'

export interface ValidAccessToken {
  claims: Record<string, unknown>
  record: AccessTokenPayload
}

/**
 * An access token is valid when this provider signed it for this realm, it has not
 * expired, and its record is still in the store (revocation removes it).
 */
export async function findAccessToken(ctx: Context, token: string): Promise<ValidAccessToken | undefined> {
  const verified = await verifyOwnJwt(ctx.rt.keys, token)
  if (!verified || verified.header.typ !== 'at+jwt') return undefined
  const claims = verified.payload
  if (claims.realm !== ctx.realm.path || typeof claims.jti !== 'string' || typeof claims.exp !== 'number') return undefined
  if (claims.exp <= ctx.nowSec) return undefined
  const entry = await ctx.rt.store.find<AccessTokenPayload>('AccessToken', claims.jti)
  return entry ? { claims, record: entry.payload } : undefined
}

/** RFC 6750 section 2.1: the token of an `Authorization: Bearer` header, if one was sent. */
export function bearerToken(request: Request): string | undefined {
  const header = request.headers.get('authorization')
  if (header === null) return undefined
  const m = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i.exec(header)
  if (!m) throw invalidToken('The Authorization header is not a Bearer token')
  return m[1]
}

/** 401 with the RFC 6750 challenge. */
export function invalidToken(description: string, realm = 'realmauth'): OAuthError {
  return new OAuthError('invalid_token', description, 401, {
    'www-authenticate': `Bearer realm="${realm}", error="invalid_token", error_description="${description}"`,
  })
}
