import type { Context } from '../services/context.js'
import { findClient } from '../services/clients.js'
import { OAuthError } from '../base/errors.js'
import { pageParams, redirect, type Params, type Reply } from '../base/http.js'
import { verifyOwnJwt } from '../keys/index.js'
import { messagePage } from '../base/pages.js'
import { endSession as end, getSession } from '../services/session.js'

/**
 * `connect/endSession` (OIDC RP-Initiated Logout 1.0): ends the browser session, not the
 * tokens already issued. `post_logout_redirect_uri` must be registered by the client named
 * by `id_token_hint` (an expired one is fine) or `client_id`; without one, the answer is AM's
 * 204 No Content.
 */
export async function endSession(ctx: Context): Promise<Reply> {
  let params: Params
  let target: URL | undefined
  try {
    params = await pageParams(ctx.request, ctx.url, ctx.rt.config.maxBodyBytes)
    target = await logoutTarget(ctx, params)
  } catch (error) {
    if (!(error instanceof OAuthError)) throw error
    return messagePage('Sign-out request refused', error.message, 400)
  }
  const cookie = await end(ctx, await getSession(ctx))
  // AM's "/oauth2/connect/endSession": without post_logout_redirect_uri it answers 204 No Content.
  if (!target) return { status: 204, headers: { 'set-cookie': cookie, 'cache-control': 'no-store' }, body: null }
  const state = params.get('state')
  if (state !== undefined) target.searchParams.append('state', state)
  return redirect(target.href, { 'set-cookie': cookie })
}

async function logoutTarget(ctx: Context, params: Params): Promise<URL | undefined> {
  const hint = params.get('id_token_hint')
  let clientId = params.get('client_id')
  if (hint !== undefined) {
    const verified = await verifyOwnJwt(ctx.rt.keys, hint)
    if (!verified || verified.payload.realm !== ctx.realm.path) {
      throw new OAuthError('invalid_request', 'id_token_hint was not issued by this realm')
    }
    const aud = verified.payload.aud
    if (clientId !== undefined && clientId !== aud) throw new OAuthError('invalid_request', 'client_id does not match id_token_hint')
    clientId = typeof aud === 'string' ? aud : undefined
  }
  const uri = params.get('post_logout_redirect_uri')
  if (uri === undefined) return undefined
  const client = clientId !== undefined ? await findClient(ctx, clientId) : undefined
  if (!client) throw new OAuthError('invalid_request', 'post_logout_redirect_uri needs id_token_hint or client_id')
  if (!client.postLogoutRedirectUris.includes(uri)) {
    throw new OAuthError('invalid_request', 'post_logout_redirect_uri is not registered for this client')
  }
  return new URL(uri)
}
