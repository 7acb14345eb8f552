import { bearerToken, findAccessToken, invalidToken } from '../accessTokens.js'
import type { Context } from '../context.js'
import { OAuthError } from '../errors.js'
import { json, queryParams, requireMethod } from '../http.js'

/**
 * AM's `tokeninfo`: open to anyone holding the token (query `access_token` or a Bearer
 * header). Answers what the token carries, with `scope` as an array as AM does.
 */
export async function tokeninfo(ctx: Context): Promise<Response> {
  requireMethod(ctx.request, 'GET', 'POST')
  const fromQuery = queryParams(ctx.url).get('access_token')
  const fromHeader = bearerToken(ctx.request)
  if (fromQuery !== undefined && fromHeader !== undefined) {
    throw new OAuthError('invalid_request', 'Send the token in the query or the header, not both')
  }
  const token = fromQuery ?? fromHeader
  if (token === undefined) throw new OAuthError('invalid_request', 'access_token is required', 400)
  const found = await findAccessToken(ctx, token)
  if (!found) throw invalidToken('The access token is invalid, expired or revoked', ctx.realm.path)
  const { claims, record } = found
  const info: Record<string, unknown> = {
    access_token: token,
    scope: record.scope,
    grant_type: record.grantType,
    realm: ctx.realm.path,
    token_type: 'Bearer',
    expires_in: Math.max(0, record.exp - ctx.nowSec),
    client_id: record.clientId,
    sub: claims.sub,
  }
  if (record.username !== undefined) info.username = record.username
  return json(info)
}
