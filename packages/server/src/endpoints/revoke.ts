import { findAccessToken, revokeAccessToken } from '../services/accessTokens.js'
import { clientRequest } from '../services/clientAuth.js'
import type { Context } from '../services/context.js'
import { timeOrderedKey } from '../base/crypto.js'
import { OAuthError } from '../base/errors.js'
import { json, type Reply } from '../base/http.js'
import { revokeGrant } from '../services/tokens.js'
import type { RefreshTokenPayload } from '../records/index.js'

/**
 * `token/revoke` (RFC 7009). Revoking a refresh token ends its grant (every access token
 * from it stops working); revoking an access token ends that token. Unknown tokens are 200.
 */
export async function revoke(ctx: Context): Promise<Reply> {
  const { params, client } = await clientRequest(ctx, { allowPublic: true })
  const token = params.get('token')
  if (token === undefined) throw new OAuthError('invalid_request', 'token is required')
  const notYours = () => new OAuthError('unauthorized_client', 'The token was issued to another client')

  const refresh = await ctx.rt.store.find<RefreshTokenPayload>('RefreshToken', await timeOrderedKey(token))
  if (refresh && refresh.payload.realm === ctx.realm.path) {
    if (refresh.payload.clientId !== client.id) throw notYours()
    await revokeGrant(ctx, refresh.payload.grantId)
    return json({})
  }
  const access = token.includes('.') ? await findAccessToken(ctx, token) : undefined
  if (access) {
    if (access.record.clientId !== client.id) throw notYours()
    await revokeAccessToken(ctx, access)
  }
  return json({})
}
