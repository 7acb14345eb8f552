import { findAccessToken } from '../services/accessTokens.js'
import { clientRequest } from '../services/clientAuth.js'
import { subjectFor } from '../services/claims.js'
import { findClient } from '../services/clients.js'
import { securedJwt } from '../services/jwtResponses.js'
import type { Context } from '../services/context.js'
import { timeOrderedKey } from '../base/crypto.js'
import { OAuthError } from '../base/errors.js'
import { json, type HttpRequest, type Reply } from '../base/http.js'
import { confirmation } from '../services/tokens.js'
import { FOREVER_MS, type RefreshTokenPayload } from '../records/index.js'
import { INTROSPECT_ALL } from '../model/index.js'

/**
 * `introspect` (RFC 7662). A client sees its own tokens; one holding
 * `am-introspect-all-tokens` sees every client's, as in AM. Anything else is `active: false`.
 */
export async function introspect(ctx: Context): Promise<Reply> {
  const { params, client } = await clientRequest(ctx, { allowPublic: false })
  const token = params.get('token')
  if (token === undefined) throw new OAuthError('invalid_request', 'token is required')
  const mayRead = (owner: string) => owner === client.id || client.allowedScopes.has(INTROSPECT_ALL)
  const hint = params.get('token_type_hint')
  const lookups = hint === 'refresh_token' ? [refresh, access] : [access, refresh]
  let answer: Record<string, unknown> = { active: false }
  for (const lookup of lookups) {
    const found = await lookup(ctx, token)
    if (found) {
      if (mayRead(found.client_id as string)) answer = found
      break
    }
  }
  if (!wantsJwt(ctx.request)) return json(answer)
  // RFC 9701 section 5: the answer inside a JWT signed (and, if asked, encrypted) for this client.
  const jwt = await securedJwt(ctx, client, { iss: ctx.issuer, aud: client.id, iat: ctx.nowSec, token_introspection: answer }, {
    alg: client.introspectionAlg,
    typ: 'token-introspection+jwt',
    ...(client.introspectionEncryption !== undefined && { encryption: client.introspectionEncryption }),
  })
  return { status: 200, headers: { 'content-type': JWT_INTROSPECTION, 'cache-control': 'no-store' }, body: jwt }
}

const JWT_INTROSPECTION = 'application/token-introspection+jwt'

/** RFC 9701 section 4: the client asks for a JWT with its Accept header. */
function wantsJwt(request: HttpRequest): boolean {
  const accept = request.headers.get('accept') ?? ''
  return accept.split(',').some((type) => type.split(';')[0]!.trim().toLowerCase() === JWT_INTROSPECTION)
}

async function access(ctx: Context, token: string): Promise<Record<string, unknown> | undefined> {
  if (!token.includes('.')) return undefined
  const found = await findAccessToken(ctx, token)
  if (!found) return undefined
  const c = found.claims
  const cnf = confirmation(found.record.jkt, found.record.x5t)
  return {
    active: true,
    scope: found.record.scope.join(' '),
    client_id: found.record.clientId,
    // AM also answers user_id, "the deprecated form of username", and expires_in (AM's /oauth2/introspect, "Response content").
    ...(found.record.username !== undefined && { username: found.record.username, user_id: found.record.username }),
    // RFC 9449 section 6.2 and RFC 8705 section 3.2: a bound token says so, and names its key or certificate.
    token_type: found.record.jkt === undefined ? 'Bearer' : 'DPoP',
    ...(cnf && { cnf }),
    exp: c.exp,
    expires_in: Math.max(0, (c.exp as number) - ctx.nowSec),
    iat: c.iat,
    nbf: c.nbf,
    sub: c.sub,
    aud: c.aud,
    iss: c.iss,
    jti: c.jti,
    realm: ctx.realm.path,
    grant_type: found.record.grantType,
  }
}

async function refresh(ctx: Context, token: string): Promise<Record<string, unknown> | undefined> {
  const entry = await ctx.rt.store.find<RefreshTokenPayload>('RefreshToken', await timeOrderedKey(token))
  if (!entry || entry.consumed || entry.payload.realm !== ctx.realm.path) return undefined
  const p = entry.payload
  if (!(await findClient(ctx, p.clientId))) return undefined
  return {
    active: true,
    scope: p.grantScope.join(' '),
    client_id: p.clientId,
    ...(p.username !== undefined && { username: p.username, user_id: p.username, sub: await refreshSubject(ctx, p) }),
    token_type: 'refresh_token',
    ...(entry.expiresAt < FOREVER_MS && { exp: Math.floor(entry.expiresAt / 1000), expires_in: Math.max(0, Math.floor(entry.expiresAt / 1000) - ctx.nowSec) }),
    iss: ctx.issuer,
    jti: p.jti,
    realm: ctx.realm.path,
  }
}

/** The refresh token's `sub` as its client reads it: pairwise for a pairwise client. */
async function refreshSubject(ctx: Context, p: RefreshTokenPayload): Promise<string> {
  const client = await findClient(ctx, p.clientId)
  const user = ctx.realm.users.get(p.username!)
  return client && user && client.subjectType === 'pairwise' ? subjectFor(ctx, client, user) : p.username!
}
