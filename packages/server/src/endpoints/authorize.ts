import type { Context } from '../context.js'
import { randomToken, secretKey } from '../crypto.js'
import { OAuthError } from '../errors.js'
import { LOOPBACK_HOSTS, Params, pageParams, redirect, requireMethod } from '../http.js'
import { consentPage, formPostPage, messagePage } from '../pages.js'
import { normalizeResponseType, type Client } from '../resolveConfig.js'
import { getSession, type Session } from '../session.js'
import { issueAccessToken, issueIdToken, newGrantId, requestedScopes, type GrantInfo } from '../tokens.js'
import type { CodePayload } from '../grants/authorizationCode.js'
import { loginUrl } from './login.js'

/**
 * How long a started sign-in may take; a pushed request's record outlives its `request_uri` by as much.
 */
export const INTERACTION_LIFETIME_MS = 10 * 60_000
const PROMPTS = new Set(['none', 'login', 'consent', 'select_account'])
const CHALLENGE = /^[A-Za-z0-9_-]{43}$/
/** A base64url SHA-256 JWK thumbprint (RFC 7638), as `dpop_jkt` carries (RFC 9449 section 10). */
const JKT = /^[A-Za-z0-9_-]{43}$/
/**
 * The prefix of every `request_uri` the `par` endpoint hands out (RFC 9126 section 2.2).
 */
export const PAR_URN = 'urn:ietf:params:oauth:request_uri:'

type ResponseMode = 'query' | 'fragment' | 'form_post'

/** Where an authorization response may be sent: known once client and redirect URI check out. */
interface Target {
  client: Client
  redirectUri: string
  redirectUriGiven: boolean
  responseMode: ResponseMode
  state?: string
  /** Store id of the pushed request (RFC 9126) this one came from: spent by the response. */
  pushed?: string
}

interface AuthRequest extends Target {
  responseType: string
  scope: string[]
  nonce?: string
  codeChallenge?: string
  prompt: Set<string>
  maxAge?: number
  loginHint?: string
  dpopJkt?: string
}

interface InteractionPayload {
  [key: string]: unknown
  realm: string
  params: [string, string][]
  /** Milliseconds since the epoch: a sign-in after it satisfies `prompt=login` and `max_age`. */
  createdAt: number
  /** The session found not good enough (prompt=login, max_age): only a new sign-in satisfies the request. */
  staleSession?: string
  /** The pushed request's store id, when the parameters came from `par`. */
  pushed?: string
}

/**
 * What `par` keeps under the SHA-256 of the `request_uri` it hands out.
 */
export interface PushedRequestPayload {
  [key: string]: unknown
  realm: string
  clientId: string
  /** The validated authorization request parameters, client credentials removed. */
  params: [string, string][]
  /**
   * Seconds since the epoch until which the `request_uri` may start a sign-in. The record
   * stays for the sign-ins started in time, so that it is spent once however late they finish.
   */
  expiresAt: number
}

type InteractionState = { id: string; createdAt: number; staleSession?: string; pushed?: string }

/**
 * `authorize` (RFC 6749 section 3.1, OIDC Core 3): sign-in, consent and the seven response
 * types, the parameters given directly or by a `request_uri` from `par` (RFC 9126 section 4).
 * Until client and redirect URI are known good, errors are an error page; after, they go back
 * to the client with `state` and `iss`.
 */
export async function authorize(ctx: Context): Promise<Response> {
  requireMethod(ctx.request, 'GET', 'POST')
  let params: Params
  let target: Target
  let interaction: InteractionState | undefined
  let pushed: string | undefined
  try {
    params = await pageParams(ctx.request, ctx.url, ctx.rt.config.maxBodyBytes)
    if (ctx.request.method === 'POST' && params.has('decision')) return await consentDecision(ctx, params)
    const interactionId = params.get('interaction')
    if (interactionId !== undefined) {
      const entry = await ctx.rt.store.find<InteractionPayload>('Interaction', interactionId)
      if (!entry || entry.payload.realm !== ctx.realm.path) {
        throw new OAuthError('invalid_request', 'This sign-in has expired or was completed already. Start again from the application.')
      }
      params = paramsOf(entry.payload.params)
      const { createdAt, staleSession } = entry.payload
      pushed = entry.payload.pushed
      interaction = { id: interactionId, createdAt, ...(staleSession !== undefined && { staleSession }), ...(pushed !== undefined && { pushed }) }
    } else if (params.has('request_uri')) {
      ;({ params, pushed } = await pushedRequest(ctx, params))
    }
    target = resolveTarget(ctx, params)
    if (pushed !== undefined) target.pushed = pushed
  } catch (error) {
    return errorPage(error)
  }
  try {
    if (pushed === undefined && (target.client.requirePar || ctx.realm.settings.requirePar)) {
      throw new OAuthError('invalid_request', 'Authorization requests of this client must be pushed to the par endpoint first (RFC 9126)')
    }
    const request = validate(ctx, params, target)
    return await proceed(ctx, request, params, interaction)
  } catch (error) {
    if (error instanceof OAuthError) return await respondError(ctx, target, error)
    throw error
  }
}

/**
 * Checks an authorization request as `authorize` would before any sign-in: client, redirect
 * URI, response type and mode, scope, PKCE, prompt. `par` uses it on the pushed parameters.
 */
export function validateAuthorizationRequest(ctx: Context, params: Params): void {
  validate(ctx, params, resolveTarget(ctx, params))
}

function paramsOf(entries: [string, string][]): Params {
  const params = new Params()
  for (const [k, v] of entries) params.add(k, v)
  return params
}

/**
 * RFC 9126 section 4: `client_id` and a `request_uri` from `par` stand for the pushed
 * parameters; every other parameter of the request is ignored. Unknown, expired, spent and
 * other clients' request URIs are refused on a page: no redirect URI can be trusted then.
 */
async function pushedRequest(ctx: Context, query: Params): Promise<{ params: Params; pushed: string }> {
  const requestUri = query.get('request_uri')!
  const clientId = query.get('client_id')
  if (clientId === undefined) throw new OAuthError('invalid_request', 'client_id is required with request_uri')
  if (!requestUri.startsWith(PAR_URN)) {
    throw new OAuthError('request_uri_not_supported', "Only request_uri values from this provider's par endpoint are supported")
  }
  const id = await secretKey(requestUri)
  const entry = await ctx.rt.store.find<PushedRequestPayload>('PushedAuthorizationRequest', id)
  const usable = entry !== undefined && !entry.consumed && entry.payload.expiresAt > ctx.nowSec
  if (!usable || entry.payload.realm !== ctx.realm.path || entry.payload.clientId !== clientId) {
    throw new OAuthError('invalid_request_uri', 'The request_uri is unknown, expired, already used, or was pushed by another client')
  }
  return { params: paramsOf(entry.payload.params), pushed: id }
}

/**
 * Marks a pushed request used once an authorization response is sent for it; false when
 * another response was sent for it first. One whose `request_uri` expired while the user
 * signed in is still answered: the sign-in started in time.
 */
async function spendPushed(ctx: Context, target: Target): Promise<boolean> {
  if (target.pushed === undefined) return true
  const before = await ctx.rt.store.consume('PushedAuthorizationRequest', target.pushed)
  return before === undefined || !before.consumed
}

function spentPage(): Response {
  return errorPage(new OAuthError('invalid_request_uri', 'The request_uri was already used: start again from the application'))
}

function errorPage(error: unknown): Response {
  if (!(error instanceof OAuthError)) throw error
  return messagePage('Sign-in request refused', error.message, error.status === 413 ? 413 : 400, {}, error.error)
}

/** Client and redirect URI: nothing may be redirected until both are known good. */
function resolveTarget(ctx: Context, params: Params): Target {
  const clientId = params.get('client_id')
  if (clientId === undefined) throw new OAuthError('invalid_request', 'client_id is required')
  const client = ctx.realm.clients.get(clientId)
  if (!client) throw new OAuthError('invalid_client', `Unknown client '${clientId}'`)
  const given = params.get('redirect_uri')
  let redirectUri: string
  if (given !== undefined) {
    if (!client.redirectUris.some((r) => redirectMatches(r, given, client.allowWildcardPorts))) {
      throw new OAuthError('invalid_request', 'redirect_uri is not registered for this client')
    }
    redirectUri = given
  } else {
    const openid = (params.get('scope') ?? '').split(' ').includes('openid')
    if (client.redirectUris.length !== 1 || openid) throw new OAuthError('invalid_request', 'redirect_uri is required')
    redirectUri = client.redirectUris[0]!
  }
  const words = (params.get('response_type') ?? '').split(' ')
  const frontChannelTokens = words.includes('token') || words.includes('id_token')
  const mode = params.get('response_mode')
  const responseMode: ResponseMode =
    mode === 'query' || mode === 'fragment' || mode === 'form_post' ? mode : frontChannelTokens ? 'fragment' : 'query'
  const state = params.get('state')
  return { client, redirectUri, redirectUriGiven: given !== undefined, responseMode, ...(state !== undefined && { state }) }
}

/** Exact match, or any port on a loopback `http` URI when the client allows it (RFC 8252 7.3). */
function redirectMatches(registered: string, given: string, wildcardPorts: boolean): boolean {
  if (registered === given) return true
  if (!wildcardPorts || !URL.canParse(given) || given.includes('#')) return false
  const r = new URL(registered)
  const g = new URL(given)
  return (
    r.protocol === 'http:' &&
    LOOPBACK_HOSTS.has(r.hostname) &&
    g.protocol === r.protocol &&
    g.hostname === r.hostname &&
    g.username === '' &&
    g.password === '' &&
    g.pathname === r.pathname &&
    g.search === r.search
  )
}

function validate(ctx: Context, params: Params, target: Target): AuthRequest {
  const { client } = target
  const rawType = params.get('response_type')
  if (rawType === undefined) throw new OAuthError('invalid_request', 'response_type is required')
  const responseType = normalizeResponseType(rawType)
  if (!responseType) throw new OAuthError('unsupported_response_type', `response_type '${rawType}' is not supported`)
  if (!client.responseTypes.has(responseType)) {
    throw new OAuthError('unauthorized_client', `The client may not use response_type '${responseType}'`)
  }
  const mode = params.get('response_mode')
  if (mode !== undefined && mode !== target.responseMode) {
    throw new OAuthError('invalid_request', `response_mode '${mode}' is not supported`)
  }
  if (mode === 'query' && responseType !== 'code') {
    throw new OAuthError('invalid_request', 'Tokens are never returned in the query (response_mode=query)')
  }
  if (params.has('request')) throw new OAuthError('request_not_supported', 'The request parameter is not supported')
  if (params.has('request_uri')) throw new OAuthError('request_uri_not_supported', 'request_uri is only supported with client_id, for requests pushed to par')
  const scope = requestedScopes(client, params.get('scope'))
  const types = responseType.split(' ')
  const nonce = params.get('nonce')
  if (types.includes('id_token')) {
    if (!scope.includes('openid')) throw new OAuthError('invalid_scope', 'response_type id_token needs the openid scope')
    if (nonce === undefined) throw new OAuthError('invalid_request', 'nonce is required when an ID token is returned from authorize')
  }
  const challenge = params.get('code_challenge')
  const method = params.get('code_challenge_method')
  if (types.includes('code')) {
    if (challenge === undefined && method !== undefined) throw new OAuthError('invalid_request', 'code_challenge is missing')
    if (challenge !== undefined && method !== 'S256') {
      throw new OAuthError('invalid_request', 'code_challenge_method must be S256; plain is not allowed')
    }
    if (challenge !== undefined && !CHALLENGE.test(challenge)) {
      throw new OAuthError('invalid_request', 'code_challenge must be a base64url SHA-256 digest (43 characters)')
    }
    if (challenge === undefined && client.requirePkce) {
      throw new OAuthError('invalid_request', 'This client must use PKCE with code_challenge_method S256')
    }
  }
  const prompt = new Set((params.get('prompt') ?? '').split(' ').filter(Boolean))
  for (const p of prompt) if (!PROMPTS.has(p)) throw new OAuthError('invalid_request', `prompt '${p}' is not supported`)
  if (prompt.has('none') && prompt.size > 1) throw new OAuthError('invalid_request', 'prompt=none cannot be combined with other values')
  const rawMaxAge = params.get('max_age')
  let maxAge = client.defaultMaxAge
  if (rawMaxAge !== undefined) {
    if (!/^\d{1,10}$/.test(rawMaxAge)) throw new OAuthError('invalid_request', 'max_age must be a non-negative integer')
    maxAge = Number(rawMaxAge)
  }
  const loginHint = params.get('login_hint')
  const dpopJkt = params.get('dpop_jkt')
  if (dpopJkt !== undefined && !JKT.test(dpopJkt)) {
    throw new OAuthError('invalid_request', 'dpop_jkt must be a base64url SHA-256 JWK thumbprint (RFC 9449 section 10)')
  }
  return {
    ...target,
    responseType,
    scope,
    prompt,
    ...(nonce !== undefined && { nonce }),
    ...(challenge !== undefined && { codeChallenge: challenge }),
    ...(maxAge !== undefined && { maxAge }),
    ...(loginHint !== undefined && { loginHint }),
    ...(dpopJkt !== undefined && { dpopJkt }),
  }
}

async function proceed(
  ctx: Context,
  request: AuthRequest,
  params: Params,
  interaction: InteractionState | undefined,
): Promise<Response> {
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
  if (!session || (!fresh && (request.prompt.has('login') || tooOld))) {
    if (request.prompt.has('none')) throw new OAuthError('login_required', 'The user must sign in')
    const id = interaction?.id ?? (await saveInteraction(ctx, params, request.pushed, session?.id))
    return redirect(loginUrl(ctx, `${ctx.issuer}/authorize?interaction=${id}`, request.loginHint))
  }
  if (await needsConsent(ctx, request, session)) {
    if (request.prompt.has('none')) throw new OAuthError('consent_required', 'The user must consent')
    const id = interaction?.id ?? (await saveInteraction(ctx, params, request.pushed))
    return consentPage({
      action: `${ctx.issuer}/authorize`,
      fields: { interaction: id, csrf: session.csrf },
      clientName: request.client.name,
      scopes: request.scope,
      username: session.username,
      ...(request.client.description !== undefined && { description: request.client.description }),
      ...(request.client.policyUri !== undefined && { policyUri: request.client.policyUri }),
    })
  }
  if (interaction) await ctx.rt.store.destroy('Interaction', interaction.id)
  return respond(ctx, request, session)
}

async function saveInteraction(ctx: Context, params: Params, pushed: string | undefined, staleSession?: string): Promise<string> {
  const id = randomToken(16)
  const payload: InteractionPayload = { realm: ctx.realm.path, params: params.entries(), createdAt: ctx.rt.now() }
  if (staleSession !== undefined) payload.staleSession = staleSession
  if (pushed !== undefined) payload.pushed = pushed
  await ctx.rt.store.upsert('Interaction', id, payload, ctx.rt.now() + INTERACTION_LIFETIME_MS)
  return id
}

function consentKey(ctx: Context, username: string, client: Client): string {
  return `${ctx.realm.path}\n${username}\n${client.id}`
}

async function needsConsent(ctx: Context, request: AuthRequest, session: Session): Promise<boolean> {
  if (request.prompt.has('consent')) return true
  if (request.client.impliedConsent && ctx.realm.settings.allowImpliedConsent) return false
  const saved = await ctx.rt.store.find<{ scopes: string[] }>('Consent', consentKey(ctx, session.username, request.client))
  return !saved || !request.scope.every((s) => saved.payload.scopes.includes(s))
}

/** The consent form's answer; the interaction is single use and bound to the session. */
async function consentDecision(ctx: Context, form: Params): Promise<Response> {
  const id = form.get('interaction') ?? ''
  const entry = await ctx.rt.store.find<InteractionPayload>('Interaction', id)
  const session = await getSession(ctx)
  if (!entry || entry.payload.realm !== ctx.realm.path) {
    throw new OAuthError('invalid_request', 'This consent request has expired or was answered already')
  }
  if (!session || form.get('csrf') !== session.csrf) {
    throw new OAuthError('invalid_request', 'This consent form does not belong to your session')
  }
  const params = paramsOf(entry.payload.params)
  const target = resolveTarget(ctx, params)
  if (entry.payload.pushed !== undefined) target.pushed = entry.payload.pushed
  const consumed = await ctx.rt.store.consume('Interaction', id)
  try {
    if (!consumed || consumed.consumed) throw new OAuthError('invalid_request', 'This consent request was answered already')
    await ctx.rt.store.destroy('Interaction', id)
    const request = validate(ctx, params, target)
    if (form.get('decision') !== 'allow') throw new OAuthError('access_denied', 'The user denied the request')
    if (form.get('save_consent') === 'on') {
      const key = consentKey(ctx, session.username, request.client)
      const previous = await ctx.rt.store.find<{ scopes: string[] }>('Consent', key)
      const scopes = [...new Set([...(previous?.payload.scopes ?? []), ...request.scope])]
      await ctx.rt.store.upsert('Consent', key, { scopes }, ctx.rt.now() + 365 * 86_400_000)
    }
    return await respond(ctx, request, session)
  } catch (error) {
    if (error instanceof OAuthError) return await respondError(ctx, target, error)
    throw error
  }
}

async function respond(ctx: Context, request: AuthRequest, session: Session): Promise<Response> {
  // Spent before anything is issued: of two tabs racing with one request_uri, one gets a code.
  if (!(await spendPushed(ctx, request))) return spentPage()
  const { client } = request
  const types = request.responseType.split(' ')
  const info: GrantInfo = {
    grantId: newGrantId(),
    client,
    grantScope: request.scope,
    scope: request.scope,
    grantType: 'implicit',
    username: session.username,
    authTime: session.authTime,
    redirectUri: request.redirectUri,
    ...(request.nonce !== undefined && { nonce: request.nonce }),
  }
  const out: Record<string, string> = {}
  if (types.includes('code')) {
    const code = randomToken(32)
    const payload: CodePayload = {
      grantId: info.grantId,
      clientId: client.id,
      realm: ctx.realm.path,
      username: session.username,
      authTime: session.authTime,
      scope: request.scope,
      redirectUri: request.redirectUri,
      redirectUriGiven: request.redirectUriGiven,
      ...(request.nonce !== undefined && { nonce: request.nonce }),
      ...(request.codeChallenge !== undefined && { codeChallenge: request.codeChallenge }),
      ...(request.dpopJkt !== undefined && { dpopJkt: request.dpopJkt }),
    }
    await ctx.rt.store.upsert('AuthorizationCode', await secretKey(code), payload, (ctx.nowSec + client.lifetimes.code) * 1000)
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
      ...(request.nonce !== undefined && { nonce: request.nonce }),
      ...(out.access_token !== undefined && { accessToken: out.access_token }),
      ...(out.code !== undefined && { code: out.code }),
    })
  }
  return deliver(ctx, request, out)
}

async function respondError(ctx: Context, target: Target, error: OAuthError): Promise<Response> {
  if (!(await spendPushed(ctx, target))) return spentPage()
  return deliver(ctx, target, { error: error.error, error_description: error.message })
}

/** Sends the response to the client in its response mode, with `state` and `iss` (RFC 9207). */
function deliver(ctx: Context, target: Target, fields: Record<string, string>): Response {
  const out = { ...fields }
  if (target.state !== undefined) out.state = target.state
  if (ctx.realm.settings.responseIss) out.iss = ctx.issuer
  if (target.responseMode === 'form_post') return formPostPage(target.redirectUri, out)
  const url = new URL(target.redirectUri)
  if (target.responseMode === 'query') {
    for (const [k, v] of Object.entries(out)) url.searchParams.append(k, v)
  } else {
    url.hash = new URLSearchParams(out).toString()
  }
  return redirect(url.href)
}
