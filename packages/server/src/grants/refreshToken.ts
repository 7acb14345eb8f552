import type { Context } from '../services/context.js'
import type { DPoPProof } from '../services/dpop.js'
import { findRedeemed } from './Grant.js'
import { OAuthError } from '../base/errors.js'
import type { Client } from '../model/index.js'
import { revokeGrant, tokenEndpointResponse, type GrantInfo } from '../services/tokens.js'
import type { RefreshTokenPayload } from '../records/index.js'
import type { Params, Reply } from '../base/http.js'

/**
 * RFC 6749 section 6 with AM's rotation switch and RFC 9700 reuse detection: a rotated-out
 * token is `invalid_grant`, and where detection applies the whole grant is revoked. A refresh
 * token bound to a DPoP key (RFC 9449 section 5) needs a proof by that key.
 */
export async function refreshTokenGrant(ctx: Context, client: Client, params: Params, proof?: DPoPProof): Promise<Reply> {
  const { id, entry: found } = await findRedeemed<RefreshTokenPayload>(ctx, params, 'refresh_token', 'RefreshToken', 'The refresh token is invalid, expired or revoked')
  const p = found.payload
  if (p.clientId !== client.id) throw new OAuthError('invalid_grant', 'The refresh token was issued to another client')
  // Before reuse detection: whoever lacks the key cannot end the grant by replaying a rotated-out token.
  if (p.jkt !== undefined) {
    if (!proof) throw new OAuthError('invalid_grant', 'The refresh token is DPoP-bound: send a DPoP proof signed with its key')
    if (proof.jkt !== p.jkt) throw new OAuthError('invalid_grant', 'DPoP key mismatch: the proof is not signed with the key the refresh token is bound to')
  }
  if (p.x5t !== undefined && ctx.clientCertificate?.thumbprint !== p.x5t) {
    throw new OAuthError('invalid_grant', 'The refresh token is bound to a TLS client certificate: connect with that certificate (RFC 8705 section 4)')
  }
  if (found.consumed) return reuse(ctx, client, p.grantId)

  const requested = params.get('scope')
  let scope = p.grantScope
  if (requested !== undefined) {
    scope = [...new Set(requested.split(' ').filter(Boolean))]
    const broader = scope.filter((s) => !p.grantScope.includes(s))
    if (broader.length > 0) {
      throw new OAuthError('invalid_scope', `Scope broader than the original grant: ${broader.join(' ')}`)
    }
  }
  const rotate = ctx.realm.settings.rotateRefreshTokens
  const info: GrantInfo = {
    grantId: p.grantId,
    client,
    grantScope: p.grantScope,
    scope,
    grantType: p.grantType,
    ...(p.username !== undefined && { username: p.username }),
    ...(p.authTime !== undefined && { authTime: p.authTime }),
    ...(p.redirectUri !== undefined && { redirectUri: p.redirectUri }),
    ...(proof && { dpopJkt: proof.jkt }),
  }
  return tokenEndpointResponse(ctx, info, {
    refresh: rotate,
    idToken: true,
    // With rotation the old token is spent in the transaction that stores its successor.
    ...(rotate && { spends: { kind: 'RefreshToken', id, reused: () => reuse(ctx, client, p.grantId) } }),
  })
}

async function reuse(ctx: Context, client: Client, grantId: string): Promise<never> {
  const detection = ctx.realm.settings.reuseDetection
  if (detection === 'all' || (detection === 'public' && client.isPublic)) await revokeGrant(ctx, grantId)
  throw new OAuthError('invalid_grant', 'The refresh token was already used (rotated out)')
}
