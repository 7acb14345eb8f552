import type { Context } from './context.js'
import { randomToken, secretKey } from '../base/crypto.js'
import { readCookie } from '../base/http.js'
import { SESSION_LIFETIME_S, type SessionPayload } from '../records/index.js'
import type { ResolvedConfig } from '../model/index.js'


export interface Session extends SessionPayload {
  /** The store id (SHA-256 of the cookie value). */
  id: string
}


/** The session `token` names in this realm (by default the request's cookie), if any. */
export async function getSession(ctx: Context, token = readCookie(ctx.request, ctx.rt.config.cookieName)): Promise<Session | undefined> {
  if (!token) return undefined
  const id = await secretKey(token)
  const entry = await ctx.rt.store.find<SessionPayload>('Session', id)
  if (!entry || entry.payload.realm !== ctx.realm.path) return undefined
  return { ...entry.payload, id }
}

/** AM's universal id (DN) of a user of this realm, as its `sessions` and `users` resources print it. */
export function universalId(ctx: Context, username: string): string {
  return `id=${username},ou=user,${ctx.realm.segments.length ? `o=${ctx.realm.segments.at(-1)},` : ''}ou=services,ou=am-config`
}

/** Starts a session and returns the `Set-Cookie` value for it. */
export async function createSession(
  ctx: Context,
  username: string,
  how: { acr?: string; amr?: string[] } = {},
): Promise<{ cookie: string; token: string }> {
  const token = randomToken(32)
  const payload: SessionPayload = { username, realm: ctx.realm.path, authTime: ctx.nowSec, csrf: randomToken(16), ...how }
  await ctx.rt.store.upsert('Session', await secretKey(token), payload, (ctx.nowSec + SESSION_LIFETIME_S) * 1000)
  return { cookie: sessionCookie(ctx, token, SESSION_LIFETIME_S), token }
}

export async function endSession(ctx: Context, session: Session | undefined): Promise<string> {
  if (session) await ctx.rt.store.destroy('Session', session.id)
  return sessionCookie(ctx, '', 0)
}

/**
 * Whether the session cookie is `Secure`: whenever the provider's origin is HTTPS, the
 * configured `origin` first. Behind a proxy that ends TLS the request itself arrives over plain
 * HTTP, and a cookie set without `Secure` would be sent to any `http://` URL of the same host.
 */
export function secureCookie(config: ResolvedConfig, url: URL): boolean {
  return (config.origin ?? url.origin).startsWith('https:')
}

function sessionCookie(ctx: Context, value: string, maxAge: number): string {
  const secure = secureCookie(ctx.rt.config, ctx.url) ? '; Secure' : ''
  return `${ctx.rt.config.cookieName}=${value}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${maxAge}${secure}`
}

/**
 * The URL of the sign-in page that returns to `goto` afterwards, running `journey` (the
 * realm's `Login` when absent) with the `acr` value that chose it.
 */
export function loginUrl(ctx: Context, goto: string, loginHint?: string, journey?: { service: string; acr?: string }): string {
  const url = new URL(`${new URL(ctx.issuer).origin}${ctx.rt.config.basePath}/login`)
  url.searchParams.set('realm', ctx.realm.path)
  url.searchParams.set('goto', goto)
  if (loginHint !== undefined) url.searchParams.set('login_hint', loginHint)
  if (journey !== undefined) url.searchParams.set('service', journey.service)
  if (journey?.acr !== undefined) url.searchParams.set('acr', journey.acr)
  return url.href
}
