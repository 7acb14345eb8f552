import { needsConsent, rememberConsent } from '../authorization/consent.js'
import { issueAuthorizationResponse } from '../authorization/issue.js'
import { PAR_URN, pushedRequest } from '../authorization/pushed.js'
import { requestObjectParams } from '../authorization/requestObject.js'
import { resolveTarget, validateRequest, type AuthRequest, type Target } from '../authorization/request.js'
import { errorPage, respondError } from '../authorization/responseMode.js'
import type { Context } from '../services/context.js'
import { randomToken, secretKey } from '../base/crypto.js'
import { OAuthError } from '../base/errors.js'
import { Params, pageParams, redirect, type Reply } from '../base/http.js'
import { consentPage } from '../base/pages.js'
import { INTERACTION_LIFETIME_MS, type InteractionPayload } from '../records/index.js'
import { consentClaims } from '../services/consentClaims.js'
import { getSession, loginUrl } from '../services/session.js'

type InteractionState = { id: string; createdAt: number; staleSession?: string; pushed?: string }

/** AM's consent given in the authorization request itself: `decision`, `csrf` (the SSO token), `save_consent`. */
type DirectDecision = { decision: string | undefined; csrf: string | undefined; saveConsent: boolean }

/**
 * `authorize` (RFC 6749 section 3.1, OIDC Core 3): sign-in, consent and the seven response
 * types, the parameters given directly, by a `request_uri` from `par` (RFC 9126 section 4),
 * or in a signed request object by value or by a registered `request_uri` (RFC 9101).
 * Until client and redirect URI are known good, errors are an error page; after, they go back
 * to the client with `state` and `iss`. A POST carrying `decision` and `csrf` (the session's SSO
 * token) without a consent page's `interaction` is AM's consent in the request: answered at once.
 */
export async function authorize(ctx: Context): Promise<Reply> {
  let params: Params
  let target: Target
  let interaction: InteractionState | undefined
  let pushed: string | undefined
  let direct: DirectDecision | undefined
  try {
    params = await pageParams(ctx.request, ctx.url, ctx.rt.config.maxBodyBytes)
    if (ctx.request.method === 'POST' && params.has('decision')) {
      if (params.has('interaction')) return await consentDecision(ctx, params)
      direct = { decision: params.get('decision'), csrf: params.get('csrf'), saveConsent: params.get('save_consent') === 'on' }
    }
    const interactionId = params.get('interaction')
    if (interactionId !== undefined) {
      const entry = await ctx.rt.store.find<InteractionPayload>('Interaction', interactionId)
      if (!entry || entry.payload.realm !== ctx.realm.path) {
        throw new OAuthError('invalid_request', 'This sign-in has expired or was completed already. Start again from the application.')
      }
      params = Params.fromEntries(entry.payload.params)
      const { createdAt, staleSession } = entry.payload
      pushed = entry.payload.pushed
      interaction = { id: interactionId, createdAt, ...(staleSession !== undefined && { staleSession }), ...(pushed !== undefined && { pushed }) }
    } else if (params.get('request_uri')?.startsWith(PAR_URN)) {
      ;({ params, pushed } = await pushedRequest(ctx, params))
    } else if (params.has('request') || params.has('request_uri')) {
      params = await requestObjectParams(ctx, params)
    }
    target = await resolveTarget(ctx, params)
    if (pushed !== undefined) target.pushed = pushed
  } catch (error) {
    return errorPage(error)
  }
  try {
    if (pushed === undefined && (target.client.requirePar || ctx.realm.settings.requirePar)) {
      throw new OAuthError('invalid_request', 'Authorization requests of this client must be pushed to the par endpoint first (RFC 9126)')
    }
    const request = validateRequest(ctx, params, target)
    return await proceed(ctx, request, params, interaction, direct)
  } catch (error) {
    if (error instanceof OAuthError) return await respondError(ctx, target, error)
    throw error
  }
}

async function proceed(
  ctx: Context,
  request: AuthRequest,
  params: Params,
  interaction: InteractionState | undefined,
  direct?: DirectDecision,
): Promise<Reply> {
  const session = await getSession(ctx)
  // A sign-in completed after this request began satisfies prompt=login and max_age.
  const fresh =
    session !== undefined &&
    interaction !== undefined &&
    session.id !== interaction.staleSession &&
    session.authTime >= Math.floor(interaction.createdAt / 1000)
  // max_age=0 asks for a sign-in every time, even one in the same second as the last (OIDC Core 3.1.2.1).
  const tooOld =
    session !== undefined && request.maxAge !== undefined && (request.maxAge === 0 || ctx.nowSec - session.authTime > request.maxAge)
  // A session from another journey does not satisfy one that asks for a particular journey.
  const otherJourney = session !== undefined && request.journey !== undefined && session.acr !== request.journey.acr
  if (!session || (!fresh && (request.prompt.has('login') || tooOld || otherJourney))) {
    if (request.prompt.has('none')) throw new OAuthError('login_required', 'The user must sign in')
    const id = interaction?.id ?? (await saveInteraction(ctx, params, request.pushed, session?.id))
    return redirect(loginUrl(ctx, `${ctx.issuer}/authorize?interaction=${id}`, request.loginHint, request.journey))
  }
  if (direct) {
    // AM's REST consent: a POST of the request with decision=allow and the session's SSO token as csrf gets its
    // answer without a page (AM's "Authorization code grant" examples; apps and tests get codes this way).
    if ((await secretKey(direct.csrf ?? '')) !== session.id) throw new OAuthError('invalid_request', 'csrf must be the session token of the user deciding')
    if (direct.decision !== 'allow') throw new OAuthError('access_denied', 'The user denied the request')
    if (direct.saveConsent) await rememberConsent(ctx, session, request)
  } else if (await needsConsent(ctx, request, session)) {
    if (request.prompt.has('none')) throw new OAuthError('consent_required', 'The user must consent')
    const id = interaction?.id ?? (await saveInteraction(ctx, params, request.pushed))
    return consentPage({
      action: `${ctx.issuer}/authorize`,
      fields: { interaction: id, csrf: session.csrf },
      clientName: request.client.name,
      asked: consentClaims(ctx, request.client.claimDescriptions, session.username, request.scope, params.get('ui_locales')),
      username: session.username,
      ...(request.client.description !== undefined && { description: request.client.description }),
      ...(request.client.policyUri !== undefined && { policyUri: request.client.policyUri }),
    })
  }
  if (interaction) await ctx.rt.store.destroy('Interaction', interaction.id)
  return issueAuthorizationResponse(ctx, request, session)
}

async function saveInteraction(ctx: Context, params: Params, pushed: string | undefined, staleSession?: string): Promise<string> {
  const id = randomToken(16)
  const payload: InteractionPayload = { realm: ctx.realm.path, params: params.entries(), createdAt: ctx.rt.now() }
  if (staleSession !== undefined) payload.staleSession = staleSession
  if (pushed !== undefined) payload.pushed = pushed
  await ctx.rt.store.upsert('Interaction', id, payload, ctx.rt.now() + INTERACTION_LIFETIME_MS)
  return id
}

/** The consent form's answer; the interaction is single use and bound to the session. */
async function consentDecision(ctx: Context, form: Params): Promise<Reply> {
  const id = form.get('interaction') ?? ''
  const entry = await ctx.rt.store.find<InteractionPayload>('Interaction', id)
  const session = await getSession(ctx)
  if (!entry || entry.payload.realm !== ctx.realm.path) {
    throw new OAuthError('invalid_request', 'This consent request has expired or was answered already')
  }
  if (!session || form.get('csrf') !== session.csrf) {
    throw new OAuthError('invalid_request', 'This consent form does not belong to your session')
  }
  const params = Params.fromEntries(entry.payload.params)
  const target = await resolveTarget(ctx, params)
  if (entry.payload.pushed !== undefined) target.pushed = entry.payload.pushed
  const consumed = await ctx.rt.store.consume('Interaction', id)
  try {
    if (!consumed || consumed.consumed) throw new OAuthError('invalid_request', 'This consent request was answered already')
    await ctx.rt.store.destroy('Interaction', id)
    const request = validateRequest(ctx, params, target)
    if (form.get('decision') !== 'allow') throw new OAuthError('access_denied', 'The user denied the request')
    if (form.get('save_consent') === 'on') await rememberConsent(ctx, session, request)
    return await issueAuthorizationResponse(ctx, request, session)
  } catch (error) {
    if (error instanceof OAuthError) return await respondError(ctx, target, error)
    throw error
  }
}

