import type { Context } from '../services/context.js'
import { OAuthError } from '../base/errors.js'
import { json, readOptionalJsonObject, type Reply } from '../base/http.js'
import { SESSION_LIFETIME_S } from '../records/index.js'
import { endSession, getSession, universalId, type Session } from '../services/session.js'
import { amError } from './amError.js'

/**
 * The actions of AM's `sessions` resource the provider implements, by their names in lower case:
 * AM looks actions up in a case-insensitive map (`SessionResourceV2`). Others are AM's 501.
 */
const ACTIONS = new Map(['logout', 'validate', 'getSessionInfo', 'getSessionInfoAndResetIdleTime', 'refresh'].map((a) => [a.toLowerCase(), a]))

/**
 * `POST {basePath}/json/realms/root/realms/{realm}/sessions?_action=…`, as AM's "Manage sessions
 * using REST" describes it. The session is the one `tokenId` in a JSON body names (an
 * administrator asking about another's), else the one in a header named like the cookie
 * (`iPlanetDirectoryPro: …`), else the cookie. `logout` ends it (`{ result: 'Successfully logged
 * out' }`, or `{ result: 'Token has expired' }` when it was not live), `getSessionInfo` (and
 * `getSessionInfoAndResetIdleTime`) describe it, `refresh` answers its timeouts, `validate` says
 * whether it is live. The provider's sessions have no idle timeout: resetting one changes nothing,
 * and idling never ends a session before its maximum. No live session is AM's 401 for the
 * describing actions; an action AM has and the provider lacks, or a made-up one, is AM's 501.
 */
export async function sessions(ctx: Context): Promise<Reply> {
  const asked = ctx.url.searchParams.get('_action') ?? ''
  const action = ACTIONS.get(asked.toLowerCase())
  // CREST's NotSupportedException, worded as AM's SessionResource words it (OpenAM/Wren:AM source).
  if (action === undefined) return amError(501, `Action ${asked} not implemented for this resource`)
  const session = await getSession(ctx, await ssoToken(ctx))
  if (action === 'validate') {
    return json(session ? { valid: true, sessionUid: session.id, uid: session.username, realm: session.realm } : { valid: false })
  }
  if (action === 'logout') {
    if (!session) return json({ result: 'Token has expired' })
    // The caller's cookie is cleared only when it is the session ended, not when an administrator ends another's.
    const own = (await getSession(ctx))?.id === session.id
    const cleared = await endSession(ctx, session)
    return json({ result: 'Successfully logged out' }, 200, own ? { 'set-cookie': cleared } : {})
  }
  if (!session) return amError(401, 'Access Denied')
  const expiresAt = session.authTime + SESSION_LIFETIME_S
  if (action === 'refresh') {
    // AM's timeouts: idle and left in seconds, the maximums in minutes.
    const minutes = SESSION_LIFETIME_S / 60
    return json({ uid: session.username, realm: session.realm, idletime: 0, maxidletime: minutes, maxsessiontime: minutes, maxtime: Math.max(0, expiresAt - ctx.nowSec) })
  }
  return json(sessionInfo(ctx, session, expiresAt))
}

function sessionInfo(ctx: Context, session: Session, expiresAt: number): Record<string, unknown> {
  // AM writes these times to the second ("2024-02-21T14:31:18Z").
  const iso = (sec: number) => new Date(sec * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z')
  return {
    username: session.username,
    universalId: universalId(ctx, session.username),
    realm: session.realm,
    latestAccessTime: iso(ctx.nowSec),
    maxIdleExpirationTime: iso(expiresAt),
    maxSessionExpirationTime: iso(expiresAt),
    properties: { acr: session.acr ?? '', amr: (session.amr ?? []).join(' ') },
  }
}

/** The token the request names explicitly; one that is there decides, even when the cookie names another session. */
async function ssoToken(ctx: Context): Promise<string | undefined> {
  const { tokenId } = await readOptionalJsonObject(ctx.request, ctx.rt.config.maxBodyBytes)
  if (tokenId !== undefined && typeof tokenId !== 'string') throw new OAuthError('invalid_request', 'tokenId must be a string', 400)
  return tokenId ?? ctx.request.headers.get(ctx.rt.config.cookieName) ?? undefined
}
