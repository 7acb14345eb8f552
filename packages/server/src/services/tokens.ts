import { claimsFor, subjectFor } from './claims.js'
import { certificateBinding } from './mtls.js'
import type { Context } from './context.js'
import { encryptToClient } from './jwtResponses.js'
import { halfHash, randomToken, timeOrderedKey, timeOrderedToken } from '../base/crypto.js'
import { OAuthError } from '../base/errors.js'
import { json, type Reply } from '../base/http.js'
import { signJwt } from '../keys/index.js'
import type { Client } from '../model/index.js'
import type { RecordKind, StoreWrite } from '../store/Store.js'
import { FOREVER_MS, TOMBSTONE_LIFETIME_MS, accessTokenNeedsRecord, type RefreshTokenPayload, type AccessTokenPayload } from '../records/index.js'

/** Who and what a set of tokens is for; carried from code to refresh token to refresh. */
export interface GrantInfo {
  grantId: string
  client: Client
  /** Scopes of the grant: what a refresh may ask for at most. */
  grantScope: string[]
  /** Scopes of the tokens being issued now (equal to or narrower than the grant's). */
  scope: string[]
  grantType: string
  /** Absent for client_credentials. */
  username?: string
  /** Seconds since the epoch of the user's sign-in. */
  authTime?: number
  /** How the user signed in: the journey's `acr` and its methods (`pwd`, `otp`). */
  acr?: string
  amr?: string[]
  nonce?: string
  redirectUri?: string
  /**
   * RFC 7638 thumbprint of the DPoP key the token request proved (RFC 9449): the access token
   * is bound to it (`cnf.jkt`), and so is a public client's refresh token.
   */
  dpopJkt?: string
  /**
   * RFC 8705 `x5t#S256` of the TLS client certificate the tokens are bound to (`cnf`), and so
   * is a public client's refresh token. Set by {@link tokenEndpointResponse}.
   */
  x5t?: string
}

/**
 * A grant's id: 128 random bits after its time (decision 0077), so the rows of recent grants
 * (their tombstones, and their tokens in the store's grant index) sit together at the end.
 */
export function newGrantId(ctx: Context): string {
  return timeOrderedToken(ctx.rt.now(), 16)
}

/** Parses a space-delimited `scope`; refuses scopes the client may not have (`invalid_scope`). */
export function requestedScopes(client: Client, raw: string | undefined): string[] {
  if (raw === undefined) return [...client.defaultScopes]
  const scopes = [...new Set(raw.split(' ').filter(Boolean))]
  const refused = scopes.filter((s) => !client.allowedScopes.has(s))
  if (refused.length > 0) throw new OAuthError('invalid_scope', `The client may not ask for: ${refused.join(' ')}`)
  return scopes
}

/** Whether the realm and client allow refresh tokens for this grant. */
export function issuesRefreshTokens(ctx: Context, client: Client, grantType: string): boolean {
  return (
    ctx.realm.settings.issueRefreshTokens &&
    client.grantTypes.has('refresh_token') &&
    grantType !== 'client_credentials' &&
    grantType !== 'implicit'
  )
}

/** A new refresh token and the store entry that makes it valid (written by the caller). */
async function mintRefreshToken(ctx: Context, info: GrantInfo): Promise<{ token: string; jti: string; write: StoreWrite }> {
  const token = timeOrderedToken(ctx.rt.now())
  const jti = randomToken(16)
  const lifetime = info.client.lifetimes.refreshToken
  const expiresAt = lifetime === -1 ? FOREVER_MS : (ctx.nowSec + lifetime) * 1000
  const payload: RefreshTokenPayload = {
    grantId: info.grantId,
    clientId: info.client.id,
    realm: ctx.realm.path,
    jti,
    grantScope: info.grantScope,
    grantType: info.grantType,
  }
  if (info.username !== undefined) payload.username = info.username
  if (info.authTime !== undefined) payload.authTime = info.authTime
  if (info.redirectUri !== undefined) payload.redirectUri = info.redirectUri
  // RFC 9449 section 5: a confidential client's refresh token is already bound to its credentials.
  if (info.dpopJkt !== undefined && info.client.isPublic) payload.jkt = info.dpopJkt
  // RFC 8705 section 4: likewise for a certificate.
  if (info.x5t !== undefined && info.client.isPublic) payload.x5t = info.x5t
  return { token, jti, write: { kind: 'RefreshToken', id: await timeOrderedKey(token), payload, expiresAt } }
}

/**
 * Issues a signed JWT access token (RFC 9068 shape plus AM's fields). It is written to the store
 * only when it cannot be checked from itself ({@link accessTokenNeedsRecord}, decisions/0068).
 */
export async function issueAccessToken(ctx: Context, info: GrantInfo): Promise<{ token: string; expiresIn: number }> {
  const access = await mintAccessToken(ctx, info)
  if (access.write) await ctx.rt.store.upsert(access.write.kind, access.write.id, access.write.payload, access.write.expiresAt)
  return access
}

/**
 * A signed access token, and the store entry to write for it when it needs one. Whatever the
 * store holds, `findAccessToken` rebuilds the same {@link AccessTokenPayload} from the claims.
 */
async function mintAccessToken(
  ctx: Context,
  info: GrantInfo,
  refreshTokenId?: string,
): Promise<{ token: string; expiresIn: number; write?: StoreWrite }> {
  const lifetime = info.client.lifetimes.accessToken
  const iat = ctx.nowSec
  const exp = iat + lifetime
  const jti = randomToken(16)
  const user = info.username === undefined ? undefined : ctx.realm.users.get(info.username)
  // A pairwise client reads its pairwise sub in the access token too (and so at introspect and tokeninfo).
  const sub = user && info.client.subjectType === 'pairwise' ? await subjectFor(ctx, info.client, user) : (info.username ?? info.client.id)
  const claims: Record<string, unknown> = {
    // For APIs that authorize by `groups` or `roles`; the config refuses names that would clash.
    ...(info.username !== undefined && ctx.realm.users.get(info.username)?.claims),
    iss: ctx.issuer,
    sub,
    aud: info.client.id,
    client_id: info.client.id,
    scope: info.scope.join(' '),
    iat,
    nbf: iat,
    exp,
    jti,
    realm: ctx.realm.path,
    tokenName: 'access_token',
    token_type: info.dpopJkt === undefined ? 'Bearer' : 'DPoP',
    grant_type: info.grantType,
    authGrantId: info.grantId,
  }
  if (info.authTime !== undefined) claims.auth_time = info.authTime
  if (info.nonce !== undefined) claims.nonce = info.nonce
  if (info.redirectUri !== undefined) claims.redirect_uri = info.redirectUri
  if (refreshTokenId !== undefined) claims.refresh_token_id = refreshTokenId
  const cnf = confirmation(info.dpopJkt, info.x5t)
  if (cnf) claims.cnf = cnf
  const alg = ctx.realm.settings.accessTokenAlg
  const token = await signJwt(ctx.rt.keys.signingKey(alg), claims, 'at+jwt')
  const record: AccessTokenPayload = {
    grantId: info.grantId,
    clientId: info.client.id,
    sub,
    scope: info.scope,
    grantType: info.grantType,
    exp,
    iat,
  }
  if (info.username !== undefined) record.username = info.username
  if (refreshTokenId !== undefined) record.refreshTokenId = refreshTokenId
  if (info.dpopJkt !== undefined) record.jkt = info.dpopJkt
  if (info.x5t !== undefined) record.x5t = info.x5t
  const stored = lifetime > 0 && accessTokenNeedsRecord(lifetime, info.username !== undefined && info.client.subjectType === 'pairwise')
  const write: StoreWrite | undefined = stored ? { kind: 'AccessToken', id: jti, payload: record, expiresAt: exp * 1000 } : undefined
  return { token, expiresIn: lifetime, ...(write && { write }) }
}

/** The `cnf` claim (RFC 7800) of a token bound to a DPoP key, a client certificate, or both. */
export function confirmation(jkt: string | undefined, x5t: string | undefined): Record<string, string> | undefined {
  if (jkt === undefined && x5t === undefined) return undefined
  return { ...(jkt !== undefined && { jkt }), ...(x5t !== undefined && { 'x5t#S256': x5t }) }
}

export interface IdTokenExtras {
  /**
   * No access token is issued with this ID token (`response_type=id_token`), so the scope
   * claims go in it: there is no `userinfo` call to get them from (OpenID Connect Core 5.4).
   */
  withoutAccessToken?: boolean
  nonce?: string
  accessToken?: string
  code?: string
  state?: string
}

export async function issueIdToken(ctx: Context, info: GrantInfo, extras: IdTokenExtras): Promise<string> {
  const user = ctx.realm.users.get(info.username!)
  if (!user) throw new OAuthError('invalid_grant', 'The user of this grant no longer exists')
  const iat = ctx.nowSec
  // AM's default: profile claims live at userinfo, so the ID token stays small and the
  // profile has one source; an app that reads them from the ID token breaks on a real tenant.
  const released = extras.withoutAccessToken === true || ctx.realm.settings.alwaysReturnClaims
  const claims: Record<string, unknown> = {
    ...(released && claimsFor(user, info.scope)),
    iss: ctx.issuer,
    sub: await subjectFor(ctx, info.client, user),
    aud: info.client.id,
    azp: info.client.id,
    iat,
    exp: iat + info.client.lifetimes.idToken,
    auth_time: info.authTime ?? iat,
    realm: ctx.realm.path,
    tokenType: 'JWTToken',
  }
  if (extras.nonce !== undefined) claims.nonce = extras.nonce
  if (info.acr !== undefined) claims.acr = info.acr
  if (info.amr !== undefined && info.amr.length > 0) claims.amr = info.amr
  if (extras.accessToken !== undefined) claims.at_hash = await halfHash(extras.accessToken)
  if (extras.code !== undefined) claims.c_hash = await halfHash(extras.code)
  if (extras.state !== undefined) claims.s_hash = await halfHash(extras.state)
  const signed = await signJwt(ctx.rt.keys.signingKey(info.client.idTokenAlg), claims)
  // OIDC Core 10.2: signed, then encrypted, so the client can check who signed what it decrypted.
  const encryption = info.client.idTokenEncryption
  return encryption ? encryptToClient(ctx, info.client, signed, encryption, 'JWT') : signed
}

/** The code, refresh token or device code a token request redeems. */
export interface Spent {
  kind: Extract<RecordKind, 'AuthorizationCode' | 'RefreshToken' | 'DeviceCode'>
  id: string
  /** Called when another request spent it first; throws the grant's own error. */
  reused(): Promise<never>
}

/**
 * Issues what a token endpoint grant returns: an access token, a refresh token when
 * allowed (unless `refresh` says otherwise) and an ID token when `openid` is in scope.
 *
 * Everything is signed first and stored last, in one {@link Store.commit} that also spends
 * `spends` and checks the grant was not revoked meanwhile: the client either gets the new
 * tokens, or (a store failure, a lost race) the store is as it was and what it redeemed is
 * still good or was spent by exactly one other request.
 */
export async function tokenEndpointResponse(
  ctx: Context,
  info: GrantInfo,
  options: { refresh: boolean; idToken: boolean; nonce?: string; spends?: Spent },
): Promise<Reply> {
  const x5t = certificateBinding(ctx, info.client)
  if (x5t !== undefined) info = { ...info, x5t }
  const refresh = options.refresh ? await mintRefreshToken(ctx, info) : undefined
  const access = await mintAccessToken(ctx, info, refresh?.jti)
  const body: Record<string, unknown> = {
    access_token: access.token,
    token_type: info.dpopJkt === undefined ? 'Bearer' : 'DPoP',
    expires_in: access.expiresIn,
    scope: info.scope.join(' '),
  }
  if (refresh) body.refresh_token = refresh.token
  if (options.idToken && info.scope.includes('openid') && info.username !== undefined) {
    const extras: IdTokenExtras = { accessToken: access.token }
    if (options.nonce !== undefined) extras.nonce = options.nonce
    body.id_token = await issueIdToken(ctx, info, extras)
  }
  const spent = options.spends
  const writes = [refresh?.write, access.write].filter((w): w is StoreWrite => w !== undefined)
  // Nothing to spend or store (client credentials, a refresh without rotation): no store call at
  // all. A grant revoked meanwhile needs no check here, its tombstone already denies the token.
  if (!spent && writes.length === 0) return json(body)
  const outcome = await ctx.rt.store.commit({
    ...(spent && { consume: { kind: spent.kind, id: spent.id } }),
    unless: { kind: 'Grant', id: info.grantId },
    writes,
  })
  if (outcome === 'consumed') return spent!.reused()
  if (outcome === 'missing') throw new OAuthError('invalid_grant', 'The grant is invalid, expired or revoked')
  if (outcome === 'present') throw new OAuthError('invalid_grant', 'The grant was revoked')
  return json(body)
}

/**
 * Revokes a grant. The tombstone comes first: a token request committing after it is refused
 * ({@link tokenEndpointResponse} commits `unless` the tombstone), and one that committed
 * before it has its rows removed by the sweep that follows.
 */
export async function revokeGrant(ctx: Context, grantId: string): Promise<void> {
  await ctx.rt.store.upsert('Grant', grantId, { revoked: true }, ctx.rt.now() + TOMBSTONE_LIFETIME_MS)
  await ctx.rt.store.revokeByGrantId(grantId)
}
