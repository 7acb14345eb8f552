import type { Context } from '../services/context.js'
import { OAuthError } from '../base/errors.js'
import { json, parseJsonObject, type Reply } from '../base/http.js'
import { SESSION_LIFETIME_S } from '../records/index.js'
import { endSession, getSession } from '../services/session.js'
import { amError } from './amError.js'

/**
 * `POST {basePath}/json/realms/root/realms/{realm}/sessions?_action=…` for the session the
 * SSO token names: for `getSessionInfo`, `tokenId` in a JSON body; else a header named like the
 * cookie (`iPlanetDirectoryPro: …`, as AM takes it from clients that keep no cookies); else the
 * cookie. `logout` ends it (`{ result: 'Successfully logged out' }`), `getSessionInfo`
 * describes it, `validate` says whether it is live. No live session is AM's 401.
 */
export async function sessions(ctx: Context): Promise<Reply> {
  const action = ctx.url.searchParams.get('_action')
  const session = await getSession(ctx, await ssoToken(ctx, action))
  if (action === 'validate') {
    return json(session ? { valid: true, sessionUid: session.id, uid: session.username, realm: session.realm } : { valid: false })
  }
  if (action !== 'logout' && action !== 'getSessionInfo') {
    throw new OAuthError('invalid_request', `Action '${action ?? ''}' is not supported; use logout, getSessionInfo or validate`, 400)
  }
  if (!session) return amError(401, 'Access Denied')
  if (action === 'logout') return json({ result: 'Successfully logged out' }, 200, { 'set-cookie': await endSession(ctx, session) })
  const iso = (sec: number) => new Date(sec * 1000).toISOString()
  return json({
    username: session.username,
    universalId: `id=${session.username},ou=user,${ctx.realm.segments.length ? `o=${ctx.realm.segments.at(-1)},` : ''}ou=services,ou=am-config`,
    realm: session.realm,
    latestAccessTime: iso(ctx.nowSec),
    maxSessionExpirationTime: iso(session.authTime + SESSION_LIFETIME_S),
    properties: { acr: session.acr ?? '', amr: (session.amr ?? []).join(' ') },
  })
}

/** The token the request names explicitly; one that is there decides, even when the cookie names another session. */
async function ssoToken(ctx: Context, action: string | null): Promise<string | undefined> {
  if (action === 'getSessionInfo') {
    const text = await ctx.request.body(ctx.rt.config.maxBodyBytes)
    const { tokenId } = text.trim() === '' ? {} : parseJsonObject(text, 'invalid_request')
    if (tokenId !== undefined && typeof tokenId !== 'string') throw new OAuthError('invalid_request', 'tokenId must be a string', 400)
    if (tokenId !== undefined) return tokenId
  }
  return ctx.request.headers.get(ctx.rt.config.cookieName) ?? undefined
}
