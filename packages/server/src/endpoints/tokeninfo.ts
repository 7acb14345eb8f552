import { authorizationToken, resourceAccessToken, type PresentedToken } from '../services/accessTokens.js'
import type { Context } from '../services/context.js'
import { dpopNonceHeaders } from '../services/dpop.js'
import { OAuthError } from '../base/errors.js'
import { json, queryParams, type Reply } from '../base/http.js'
import { confirmation } from '../services/tokens.js'

/**
 * AM's `tokeninfo`: open to anyone holding the token (query `access_token`, or a Bearer or
 * DPoP header; a DPoP-bound token only as DPoP, with its proof). Answers what the token
 * carries, with `scope` as an array as AM does.
 */
export async function tokeninfo(ctx: Context): Promise<Reply> {
  const fromQuery = queryParams(ctx.url).get('access_token')
  const fromHeader = authorizationToken(ctx.request)
  if (fromQuery !== undefined && fromHeader !== undefined) {
    throw new OAuthError('invalid_request', 'Send the token in the query or the header, not both')
  }
  const presented: PresentedToken | undefined = fromHeader ?? (fromQuery === undefined ? undefined : { token: fromQuery, scheme: 'Bearer' })
  if (presented === undefined) throw new OAuthError('invalid_request', 'access_token is required', 400)
  const { claims, record } = await resourceAccessToken(ctx, presented)
  const info: Record<string, unknown> = {
    access_token: presented.token,
    scope: record.scope,
    grant_type: record.grantType,
    realm: ctx.realm.path,
    token_type: record.jkt === undefined ? 'Bearer' : 'DPoP',
    expires_in: Math.max(0, record.exp - ctx.nowSec),
    client_id: record.clientId,
    sub: claims.sub,
  }
  if (record.username !== undefined) info.username = record.username
  const cnf = confirmation(record.jkt, record.x5t)
  if (cnf) info.cnf = cnf
  return json(info, 200, presented.scheme === 'DPoP' ? await dpopNonceHeaders(ctx) : {})
}
