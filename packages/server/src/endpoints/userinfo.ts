import { bearerToken, findAccessToken, invalidToken } from '../accessTokens.js'
import { claimsFor, subjectFor } from '../claims.js'
import type { Context } from '../context.js'
import { OAuthError } from '../errors.js'
import { isForm, readForm, json, requireMethod } from '../http.js'

/** `userinfo` (OIDC Core 5.3): GET with a Bearer header, or POST with the token in the body. */
export async function userinfo(ctx: Context): Promise<Response> {
  requireMethod(ctx.request, 'GET', 'POST')
  const fromHeader = bearerToken(ctx.request)
  let fromBody: string | undefined
  if (ctx.request.method === 'POST' && isForm(ctx.request)) {
    fromBody = (await readForm(ctx.request, ctx.rt.config.maxBodyBytes)).get('access_token')
  }
  if (fromHeader !== undefined && fromBody !== undefined) {
    throw new OAuthError('invalid_request', 'Use one way of sending the token (RFC 6750 section 2)')
  }
  const token = fromHeader ?? fromBody
  const realm = ctx.realm.path
  if (token === undefined) {
    throw new OAuthError('invalid_request', 'An access token is required', 401, { 'www-authenticate': `Bearer realm="${realm}"` })
  }
  const found = await findAccessToken(ctx, token)
  if (!found) throw invalidToken('The access token is invalid, expired or revoked', realm)
  const { record } = found
  const user = record.username !== undefined ? ctx.realm.users.get(record.username) : undefined
  const client = ctx.realm.clients.get(record.clientId)
  if (!record.scope.includes('openid') || !user || !client) {
    throw new OAuthError('insufficient_scope', 'The access token lacks the openid scope of a user', 403, {
      'www-authenticate': `Bearer realm="${realm}", error="insufficient_scope", scope="openid"`,
    })
  }
  return json({ ...claimsFor(user, record.scope), sub: await subjectFor(ctx, client, user) })
}
