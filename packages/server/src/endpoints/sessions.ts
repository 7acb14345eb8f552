import type { Context } from '../services/context.js'
import { OAuthError } from '../base/errors.js'
import { json, parseJsonObject, type Reply } from '../base/http.js'
import { SESSION_LIFETIME_S } from '../records/index.js'
import { endSession, getSession, universalId } from '../services/session.js'
import { amError } from './amError.js'

/**
 * The actions AM 7's `sessions` resource answers that the provider implements, by their names in
 * lower case: AM looks actions up in a case-insensitive map (`SessionResourceV2`). Others are AM's 501.
 */
const ACTIONS = new Map(['logout', 'validate', 'getSessionInfo', 'refresh'].map((a) => [a.toLowerCase(), a]))

/**
 * `POST {basePath}/json/realms/root/realms/{realm}/sessions?_action=…` for the session the
 * SSO token names: `tokenId` in a JSON body (for `validate`, `getSessionInfo` and `refresh`); else
 * a header named like the cookie (`iPlanetDirectoryPro: …`, as AM takes it from clients that keep
 * no cookies); else the cookie. `logout` ends it (`{ result: 'Successfully logged out' }`),
 * `getSessionInfo` describes it, `refresh` describes it too (AM's resets the idle time; the
 * provider's sessions have none), `validate` says whether it is live. No live session is AM's
 * 401; an action AM has and the provider does not, or a made-up one, is AM's 501.
 */
export async function sessions(ctx: Context): Promise<Reply> {
  const asked = ctx.url.searchParams.get('_action') ?? ''
  const action = ACTIONS.get(asked.toLowerCase())
  // CREST's NotSupportedException, worded as AM's SessionResource words it (OpenAM/Wren:AM source).
  if (action === undefined) return amError(501, `Action ${asked} not implemented for this resource`)
  const session = await getSession(ctx, await ssoToken(ctx, action))
  if (action === 'validate') {
    return json(session ? { valid: true, sessionUid: session.id, uid: session.username, realm: session.realm } : { valid: false })
  }
  if (!session) return amError(401, 'Access Denied')
  if (action === 'logout') return json({ result: 'Successfully logged out' }, 200, { 'set-cookie': await endSession(ctx, session) })
  // AM writes times to the second ("2020-02-21T14:31:18Z" in AM 7's "Manage sessions using REST").
  const iso = (sec: number) => new Date(sec * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z')
  const expires = iso(session.authTime + SESSION_LIFETIME_S)
  return json({
    username: session.username,
    universalId: universalId(ctx, session.username),
    realm: session.realm,
    latestAccessTime: iso(ctx.nowSec),
    // No idle timeout here: idling never ends a session before its maximum, so both say the same time.
    maxIdleExpirationTime: expires,
    maxSessionExpirationTime: expires,
    properties: { acr: session.acr ?? '', amr: (session.amr ?? []).join(' ') },
  })
}

/** The token the request names explicitly; one that is there decides, even when the cookie names another session. */
async function ssoToken(ctx: Context, action: string): Promise<string | undefined> {
  if (action !== 'logout') {
    const text = await ctx.request.body(ctx.rt.config.maxBodyBytes)
    const { tokenId } = text.trim() === '' ? {} : parseJsonObject(text, 'invalid_request')
    if (tokenId !== undefined && typeof tokenId !== 'string') throw new OAuthError('invalid_request', 'tokenId must be a string', 400)
    if (tokenId !== undefined) return tokenId
  }
  return ctx.request.headers.get(ctx.rt.config.cookieName) ?? undefined
}
