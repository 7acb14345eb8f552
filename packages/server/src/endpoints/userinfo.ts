import { authorizationToken, resourceAccessToken, type PresentedToken } from '../services/accessTokens.js'
import { findClient } from '../services/clients.js'
import { claimsFor, subjectFor } from '../services/claims.js'
import type { Context } from '../services/context.js'
import { dpopNonceHeaders } from '../services/dpop.js'
import { securedJwt } from '../services/jwtResponses.js'
import { OAuthError } from '../base/errors.js'
import { isForm, readForm, json, type Reply } from '../base/http.js'

/**
 * `userinfo` (OIDC Core 5.3): GET with a Bearer or DPoP (RFC 9449) header, or POST with the
 * token in the body.
 */
export async function userinfo(ctx: Context): Promise<Reply> {
  const fromHeader = authorizationToken(ctx.request)
  let fromBody: string | undefined
  if (ctx.request.method === 'POST' && isForm(ctx.request)) {
    fromBody = (await readForm(ctx.request, ctx.rt.config.maxBodyBytes)).get('access_token')
  }
  if (fromHeader !== undefined && fromBody !== undefined) {
    throw new OAuthError('invalid_request', 'Use one way of sending the token (RFC 6750 section 2)')
  }
  const presented: PresentedToken | undefined = fromHeader ?? (fromBody === undefined ? undefined : { token: fromBody, scheme: 'Bearer' })
  const realm = ctx.realm.path
  if (presented === undefined) {
    throw new OAuthError('invalid_request', 'An access token is required', 401, { 'www-authenticate': `Bearer realm="${realm}"` })
  }
  const { record } = await resourceAccessToken(ctx, presented)
  const user = record.username !== undefined ? ctx.realm.users.get(record.username) : undefined
  const client = await findClient(ctx, record.clientId)
  if (!record.scope.includes('openid') || !user || !client) {
    throw new OAuthError('insufficient_scope', 'The access token lacks the openid scope of a user', 403, {
      'www-authenticate': `${presented.scheme} realm="${realm}", error="insufficient_scope", scope="openid"`,
    })
  }
  const nonce = presented.scheme === 'DPoP' ? await dpopNonceHeaders(ctx) : {}
  const claims = { ...claimsFor(user, record.scope), sub: await subjectFor(ctx, client, user) }
  if (client.userinfoAlg === undefined && client.userinfoEncryption === undefined) return json(claims, 200, nonce)
  // OIDC Core 5.3.2: a signed or encrypted answer is a JWT, naming its issuer and audience.
  const jwt = await securedJwt(ctx, client, { ...claims, iss: ctx.issuer, aud: client.id, iat: ctx.nowSec }, {
    ...(client.userinfoAlg !== undefined && { alg: client.userinfoAlg }),
    ...(client.userinfoEncryption !== undefined && { encryption: client.userinfoEncryption }),
  })
  return { status: 200, headers: { 'content-type': 'application/jwt', 'cache-control': 'no-store', ...nonce }, body: jwt }
}
