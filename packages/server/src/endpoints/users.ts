import type { Context } from '../services/context.js'
import { json, type Reply } from '../base/http.js'
import { getSession, universalId } from '../services/session.js'
import { amError } from './amError.js'

/**
 * `POST {basePath}/json/realms/root/realms/{realm}/users?_action=idFromSession`: who the session
 * in the cookie (or in a header named like it) belongs to, as AM's `IdentityResource` answers it:
 * `{ id, realm, dn, successURL, fullLoginURL }`; no live session is its 403. The provider keeps
 * no identity store to read or write over REST, so every other `users` action is AM's 501.
 */
export async function users(ctx: Context): Promise<Reply> {
  const action = ctx.url.searchParams.get('_action') ?? ''
  if (action !== 'idFromSession') return amError(501, `Action ${action} not implemented for this resource`)
  const session = await getSession(ctx, ctx.request.headers.get(ctx.rt.config.cookieName) ?? undefined)
  if (!session) return amError(403, 'SSO Token cannot be retrieved.')
  const { basePath } = ctx.rt.config
  return json({
    id: session.username,
    realm: session.realm,
    dn: universalId(ctx, session.username),
    // Where a sign-in lands and where it starts: the provider's console URL (authenticate's successUrl) and its sign-in page.
    successURL: `${basePath}/console`,
    fullLoginURL: `${basePath}/login?realm=${encodeURIComponent(session.realm)}`,
  })
}
