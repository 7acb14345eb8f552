import type { Context } from '../services/context.js'
import { json, type Reply } from '../base/http.js'
import type { ResolvedConfig } from '../model/index.js'
import { secureCookie } from '../services/session.js'

/**
 * `GET {basePath}/json/realms/root/realms/{realm}/serverinfo/*`: what AM tells a client about its
 * session cookie before it has one. ForgeRock's Node.js agent reads `cookieName` here to find the
 * session (`AmClient.getServerInfo`), AM's own UI reads `cookieName`, `domains` and `secureCookie`.
 * The fields are those AM's `ServerInfoResource` writes (OpenAM and Wren:AM source) that the
 * provider can answer truthfully: its session cookie carries no `Domain` (so `domains` is empty),
 * and is `Secure` exactly when the provider's origin is HTTPS. AM's self-service, social sign-in,
 * referral and locale fields are left out (decision 0082). `serverinfo/cookieDomains` answers
 * the domains alone, as AM's does.
 */
export async function serverInfo(ctx: Context): Promise<Reply> {
  return serverInfoOf(ctx.rt.config, ctx.url, ctx.realm.path)
}

/**
 * The answer for `realmPath`. Everything in it is the server's, not the realm's: the provider
 * answers it at the root (`{basePath}/json/serverinfo/*`, where agents ask) even when no root
 * realm is configured, since AM's root realm always exists.
 */
export function serverInfoOf(config: ResolvedConfig, url: URL, realmPath: string): Reply {
  if (url.pathname.replace(/\/$/, '').endsWith('/cookieDomains')) return json({ _id: 'cookieDomains', domains: [] })
  return json({ _id: '*', domains: [], cookieName: config.cookieName, secureCookie: secureCookie(config, url), realm: realmPath })
}
