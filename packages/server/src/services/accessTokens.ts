import type { Context } from './context.js'
import { findClient } from './clients.js'
import { dpopFailure, dpopProofHeader, verifyDPoPProof } from './dpop.js'
import { OAuthError } from '../base/errors.js'
import { verifyOwnJwt } from '../keys/index.js'
import { accessTokenNeedsRecord, type AccessTokenPayload } from '../records/index.js'
import type { HttpRequest } from '../base/http.js'

export interface ValidAccessToken {
  claims: Record<string, unknown>
  record: AccessTokenPayload
}

/**
 * The one place an access token is accepted; introspection, userinfo, tokeninfo and revocation
 * all ask it. A token is valid when this provider signed it for this realm, it has not expired,
 * its client still exists (RFC 7592 section 2.3: a deleted client's tokens die with it), its
 * `jti` is not on the deny-list and its grant has no tombstone. Most tokens are not stored
 * (decisions/0068): what the provider knows of them is read from their claims; the few that
 * cannot say it themselves ({@link accessTokenNeedsRecord}) must also still have their record,
 * which the revocation of their grant removes.
 */
export async function findAccessToken(ctx: Context, token: string): Promise<ValidAccessToken | undefined> {
  const verified = await verifyOwnJwt(ctx.rt.keys, token)
  if (!verified || verified.header.typ !== 'at+jwt') return undefined
  const claims = verified.payload
  const { jti, exp, iat, client_id: clientId, authGrantId: grantId, grant_type: grantType } = claims
  if (claims.realm !== ctx.realm.path || typeof jti !== 'string' || typeof exp !== 'number' || typeof iat !== 'number') return undefined
  if (typeof clientId !== 'string' || typeof grantId !== 'string' || typeof grantType !== 'string') return undefined
  if (exp <= ctx.nowSec) return undefined
  const client = await findClient(ctx, clientId)
  if (!client) return undefined
  const userToken = grantType !== 'client_credentials'
  const stored = accessTokenNeedsRecord(exp - iat, userToken && client.subjectType === 'pairwise')
  const store = ctx.rt.store
  const [revoked, tombstone, entry] = await Promise.all([
    store.find('RevokedAccessToken', jti),
    store.find('Grant', grantId),
    stored ? store.find<AccessTokenPayload>('AccessToken', jti) : undefined,
  ])
  if (revoked || tombstone || (stored && !entry)) return undefined
  if (entry) return { claims, record: entry.payload }
  // A user's token names the user in `sub` (only a pairwise one does not, and that one is stored).
  if (userToken && !ctx.realm.users.has(claims.sub as string)) return undefined
  return { claims, record: recordOf(claims, { grantId, clientId, grantType, exp, iat }) }
}

/** What an unstored token's claims say, in the shape a stored one's record has. */
function recordOf(
  claims: Record<string, unknown>,
  checked: Pick<AccessTokenPayload, 'grantId' | 'clientId' | 'grantType' | 'exp' | 'iat'>,
): AccessTokenPayload {
  const sub = claims.sub as string
  const cnf = claims.cnf as { jkt?: string; 'x5t#S256'?: string } | undefined
  const record: AccessTokenPayload = {
    ...checked,
    sub,
    scope: typeof claims.scope === 'string' ? claims.scope.split(' ').filter(Boolean) : [],
  }
  if (checked.grantType !== 'client_credentials') record.username = sub
  if (typeof claims.refresh_token_id === 'string') record.refreshTokenId = claims.refresh_token_id
  if (cnf?.jkt !== undefined) record.jkt = cnf.jkt
  if (cnf?.['x5t#S256'] !== undefined) record.x5t = cnf['x5t#S256']
  return record
}

/** Revokes one access token (RFC 7009): its `jti` is on the deny-list until the token expires. */
export async function revokeAccessToken(ctx: Context, found: ValidAccessToken): Promise<void> {
  await ctx.rt.store.upsert('RevokedAccessToken', found.claims.jti as string, { revoked: true }, found.record.exp * 1000)
}

/**
 * An access token as the request carried it: which scheme says whether a DPoP proof goes with it.
 */
export interface PresentedToken {
  token: string
  /** `DPoP` only from `Authorization: DPoP`; a body or query parameter is a Bearer token (RFC 6750). */
  scheme: 'Bearer' | 'DPoP'
}

/**
 * The token of an `Authorization: Bearer` (RFC 6750 section 2.1) or `Authorization: DPoP`
 * (RFC 9449 section 7.1) header, if one was sent.
 */
export function authorizationToken(request: HttpRequest): PresentedToken | undefined {
  const header = request.headers.get('authorization')
  if (header === null) return undefined
  const m = /^(Bearer|DPoP) +([A-Za-z0-9\-._~+/]+=*) *$/i.exec(header)
  if (!m) throw invalidToken('The Authorization header is not a Bearer or DPoP token')
  return { token: m[2]!, scheme: m[1]!.toLowerCase() === 'dpop' ? 'DPoP' : 'Bearer' }
}

/**
 * The access token of a request to one of the provider's resources, held to RFC 9449
 * section 7: a DPoP-bound token only with the `DPoP` scheme and a proof for this request
 * (`htm`, `htu`, `ath`, a nonce when the realm asks) signed by the key it is bound to; an
 * unbound one only as a Bearer token; a certificate-bound one (RFC 8705) only over a connection
 * presenting its certificate. Every refusal is 401 with the scheme's challenge.
 */
export async function resourceAccessToken(ctx: Context, presented: PresentedToken): Promise<ValidAccessToken> {
  const found = await findAccessToken(ctx, presented.token)
  const dpop = presented.scheme === 'DPoP'
  if (!found) {
    const description = 'The access token is invalid, expired or revoked'
    throw dpop ? dpopFailure('resource', 'invalid_token', description) : invalidToken(description, ctx.realm.path)
  }
  // RFC 8705 section 3: a certificate-bound token is good only with its certificate, whatever the scheme.
  const x5t = found.record.x5t
  if (x5t !== undefined && ctx.clientCertificate?.thumbprint !== x5t) {
    const description = ctx.clientCertificate
      ? 'The access token is bound to another TLS client certificate than this connection presented'
      : 'The access token is certificate-bound: connect with its TLS client certificate'
    throw dpop ? dpopFailure('resource', 'invalid_token', description) : invalidToken(description, ctx.realm.path)
  }
  const jkt = found.record.jkt
  if (jkt === undefined) {
    if (dpop) throw dpopFailure('resource', 'invalid_token', 'The access token is not DPoP-bound: send it as a Bearer token')
    return found
  }
  // RFC 9449 section 7.2: a bound token sent as a bearer token is refused, however it came.
  if (!dpop) throw dpopFailure('resource', 'invalid_token', 'The access token is DPoP-bound: send it as Authorization: DPoP with a DPoP proof')
  const proofHeader = dpopProofHeader(ctx.request, 'resource')
  if (proofHeader === undefined) throw dpopFailure('resource', 'invalid_dpop_proof', 'A DPoP proof is required with a DPoP-bound access token')
  const proof = await verifyDPoPProof(ctx, proofHeader, {
    where: 'resource',
    accessToken: presented.token,
    requireNonce: ctx.realm.settings.dpopNonce,
  })
  if (proof.jkt !== jkt) throw dpopFailure('resource', 'invalid_token', 'Invalid DPoP key binding: the proof is signed by another key than the one the token is bound to')
  return found
}

/** 401 with the RFC 6750 challenge. */
export function invalidToken(description: string, realm = 'realmauth'): OAuthError {
  return new OAuthError('invalid_token', description, 401, {
    'www-authenticate': `Bearer realm="${realm}", error="invalid_token", error_description="${description}"`,
  })
}
