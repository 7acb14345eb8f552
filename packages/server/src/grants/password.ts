import type { Context } from '../services/context.js'
import type { DPoPProof } from '../services/dpop.js'
import { OAuthError } from '../base/errors.js'
import type { Client } from '../model/index.js'
import { verifyPassword } from '../services/users.js'
import { issuesRefreshTokens, newGrantId, requestedScopes, tokenEndpointResponse } from '../services/tokens.js'
import type { Params, Reply } from '../base/http.js'

/** RFC 6749 section 4.3, for clients explicitly allowed the `password` grant. */
export async function passwordGrant(ctx: Context, client: Client, params: Params, proof?: DPoPProof): Promise<Reply> {
  const username = params.get('username')
  const password = params.get('password')
  if (username === undefined || password === undefined) {
    throw new OAuthError('invalid_request', 'username and password are required')
  }
  const scope = requestedScopes(client, params.get('scope'))
  const user = await verifyPassword(ctx, username, password)
  if (!user) throw new OAuthError('invalid_grant', 'The username or password is wrong')
  const info = {
    grantId: newGrantId(ctx),
    client,
    grantScope: scope,
    scope,
    grantType: 'password',
    username: user.username,
    authTime: ctx.nowSec,
    ...(proof && { dpopJkt: proof.jkt }),
  }
  return tokenEndpointResponse(ctx, info, { refresh: issuesRefreshTokens(ctx, client, 'password'), idToken: true })
}
