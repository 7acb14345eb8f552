import type { Context } from '../services/context.js'
import type { Client } from '../model/index.js'
import { CONSENT_LIFETIME_MS, type ConsentPayload } from '../records/index.js'
import type { Session } from '../services/session.js'
import type { AuthRequest } from './request.js'

function consentKey(ctx: Context, username: string, client: Client): string {
  return `${ctx.realm.path}\n${username}\n${client.id}`
}

/** Whether the user must be asked: `prompt=consent`, or scopes beyond what was saved (implied consent aside). */
export async function needsConsent(ctx: Context, request: AuthRequest, session: Session): Promise<boolean> {
  if (request.prompt.has('consent')) return true
  if (request.client.impliedConsent && ctx.realm.settings.allowImpliedConsent) return false
  const saved = await ctx.rt.store.find<ConsentPayload>('Consent', consentKey(ctx, session.username, request.client))
  return !saved || !request.scope.every((s) => saved.payload.scopes.includes(s))
}

/** Saves what the user allowed, added to what was saved before. */
export async function rememberConsent(ctx: Context, session: Session, request: AuthRequest): Promise<void> {
  const key = consentKey(ctx, session.username, request.client)
  const previous = await ctx.rt.store.find<ConsentPayload>('Consent', key)
  const scopes = [...new Set([...(previous?.payload.scopes ?? []), ...request.scope])]
  await ctx.rt.store.upsert('Consent', key, { scopes }, ctx.rt.now() + CONSENT_LIFETIME_MS)
}
