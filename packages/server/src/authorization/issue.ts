import type { Context } from '../services/context.js'
import { timeOrderedKey, timeOrderedToken } from '../base/crypto.js'
import type { CodePayload } from '../records/index.js'
import type { Session } from '../services/session.js'
import { issueAccessToken, issueIdToken, newGrantId, type GrantInfo } from '../services/tokens.js'
import { spendPushed } from './pushed.js'
import type { AuthRequest } from './request.js'
import { deliver, spentPage } from './responseMode.js'
import type { Reply } from '../base/http.js'

/**
 * Issues what the response type asks for (a code, an access token, an ID token) to a signed-in
 * user who consented, and delivers it in the request's response mode.
 */
export async function issueAuthorizationResponse(ctx: Context, request: AuthRequest, session: Session): Promise<Reply> {
  // Spent before anything is issued: of two tabs racing with one request_uri, one gets a code.
  if (!(await spendPushed(ctx, request))) return spentPage()
  const { client } = request
  const types = request.responseType.split(' ')
  const info: GrantInfo = {
    grantId: newGrantId(ctx),
    client,
    grantScope: request.scope,
    scope: request.scope,
    grantType: 'implicit',
    username: session.username,
    authTime: session.authTime,
    ...(session.acr !== undefined && { acr: session.acr }),
    ...(session.amr !== undefined && { amr: session.amr }),
    redirectUri: request.redirectUri,
    ...(request.nonce !== undefined && { nonce: request.nonce }),
  }
  const out: Record<string, string> = {}
  if (types.includes('code')) {
    const code = timeOrderedToken(ctx.rt.now())
    const payload: CodePayload = {
      grantId: info.grantId,
      clientId: client.id,
      realm: ctx.realm.path,
      username: session.username,
      authTime: session.authTime,
      ...(session.acr !== undefined && { acr: session.acr }),
      ...(session.amr !== undefined && { amr: session.amr }),
      scope: request.scope,
      redirectUri: request.redirectUri,
      redirectUriGiven: request.redirectUriGiven,
      ...(request.nonce !== undefined && { nonce: request.nonce }),
      ...(request.codeChallenge !== undefined && { codeChallenge: request.codeChallenge }),
      ...(request.dpopJkt !== undefined && { dpopJkt: request.dpopJkt }),
    }
    await ctx.rt.store.upsert('AuthorizationCode', await timeOrderedKey(code), payload, (ctx.nowSec + client.lifetimes.code) * 1000)
    out.code = code
  }
  if (types.includes('token')) {
    const access = await issueAccessToken(ctx, info)
    out.access_token = access.token
    out.token_type = 'Bearer'
    out.expires_in = String(access.expiresIn)
    out.scope = request.scope.join(' ')
  }
  if (types.includes('id_token')) {
    out.id_token = await issueIdToken(ctx, info, {
      ...(types.length === 1 && { withoutAccessToken: true }),
      ...(request.nonce !== undefined && { nonce: request.nonce }),
      ...(out.access_token !== undefined && { accessToken: out.access_token }),
      ...(out.code !== undefined && { code: out.code }),
    })
  }
  return deliver(ctx, request, out)
}
