import type { Context } from '../services/context.js'
import { findClient } from '../services/clients.js'
import { OAuthError } from '../base/errors.js'
import type { Params } from '../base/http.js'
import { redirectMatches, splitPortPattern } from '../base/redirectUri.js'
import { normalizeResponseType, type Client } from '../model/index.js'
import { requestedScopes } from '../services/tokens.js'

const PROMPTS = new Set(['none', 'login', 'consent', 'select_account'])
const CHALLENGE = /^[A-Za-z0-9_-]{43}$/
/** A base64url SHA-256 JWK thumbprint (RFC 7638), as `dpop_jkt` carries (RFC 9449 section 10). */
const JKT = /^[A-Za-z0-9_-]{43}$/

/** Where an authorization response goes back to the client. */
export type ResponseMode = 'query' | 'fragment' | 'form_post'

/** Where an authorization response may be sent: known once client and redirect URI check out. */
export interface Target {
  client: Client
  redirectUri: string
  redirectUriGiven: boolean
  responseMode: ResponseMode
  state?: string
  /** Store id of the pushed request (RFC 9126) this one came from: spent by the response. */
  pushed?: string
}

/** An authorization request that passed every check, ready for sign-in, consent and issuance. */
export interface AuthRequest extends Target {
  responseType: string
  scope: string[]
  nonce?: string
  codeChallenge?: string
  prompt: Set<string>
  maxAge?: number
  loginHint?: string
  dpopJkt?: string
  /** The journey AM's `service` or a mapped `acr_values` chose, and the `acr` it answers with. */
  journey?: { service: string; acr: string }
}

/**
 * Checks an authorization request as `authorize` would before any sign-in: client, redirect
 * URI, response type and mode, scope, PKCE, prompt. `par` uses it on the pushed parameters.
 */
export async function validateAuthorizationRequest(ctx: Context, params: Params): Promise<void> {
  validateRequest(ctx, params, await resolveTarget(ctx, params))
}

/** Client and redirect URI: nothing may be redirected until both are known good. */
export async function resolveTarget(ctx: Context, params: Params): Promise<Target> {
  const clientId = params.get('client_id')
  if (clientId === undefined) throw new OAuthError('invalid_request', 'client_id is required')
  const client = await findClient(ctx, clientId)
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
    const only = client.redirectUris.length === 1 && splitPortPattern(client.redirectUris[0]!).port === undefined
    if (!only || openid) throw new OAuthError('invalid_request', 'redirect_uri is required')
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

/** Every check of an authorization request once its {@link Target} is known; throws {@link OAuthError}. */
export function validateRequest(ctx: Context, params: Params, target: Target): AuthRequest {
  const { client } = target
  const rawType = params.get('response_type')
  if (rawType === undefined) throw new OAuthError('invalid_request', 'response_type is required')
  const responseType = normalizeResponseType(rawType)
  if (!responseType) throw new OAuthError('unsupported_response_type', `response_type '${rawType}' is not supported`)
  if (!client.responseTypes.has(responseType)) {
    throw new OAuthError('unauthorized_client', `The client may not use response_type '${responseType}'`)
  }
  // AM: every response type is available, but tokens come from authorize only under the implicit grant.
  if (responseType !== 'code' && !client.grantTypes.has('implicit')) {
    throw new OAuthError('unauthorized_client', `response_type '${responseType}' returns tokens from authorize, which needs the implicit grant type`)
  }
  const mode = params.get('response_mode')
  if (mode !== undefined && mode !== target.responseMode) {
    throw new OAuthError('invalid_request', `response_mode '${mode}' is not supported`)
  }
  if (mode === 'query' && responseType !== 'code') {
    throw new OAuthError('invalid_request', 'Tokens are never returned in the query (response_mode=query)')
  }
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
  const journey = chooseJourney(ctx, params, client)
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
    ...(journey !== undefined && { journey }),
  }
}

/**
 * AM's `service={tree}` names a journey; otherwise the first of `acr_values` (else of the
 * client's `default_acr_values`) that one maps. Values no journey maps are passed over, as AM does.
 */
function chooseJourney(ctx: Context, params: Params, client: Client): { service: string; acr: string } | undefined {
  const service = params.get('service')
  const given = params.get('acr_values')
  const asked = given !== undefined ? given.split(' ').filter(Boolean) : client.defaultAcrValues
  if (service !== undefined) {
    const journey = ctx.realm.journeys.get(service)
    if (!journey) throw new OAuthError('invalid_request', `No journey named '${service}' in this realm`)
    return { service, acr: asked.find((a) => journey.acrValues.includes(a)) ?? journey.acrValues[0] ?? journey.name }
  }
  for (const acr of asked) {
    for (const journey of ctx.realm.journeys.values()) if (journey.acrValues.includes(acr)) return { service: journey.name, acr }
  }
  return undefined
}
