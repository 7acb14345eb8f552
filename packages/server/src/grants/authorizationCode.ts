import type { Context } from '../services/context.js'
import type { DPoPProof } from '../services/dpop.js'
import { base64url, sha256 } from '../base/crypto.js'
import { findRedeemed } from './Grant.js'
import { OAuthError } from '../base/errors.js'
import type { Client } from '../model/index.js'
import { issuesRefreshTokens, revokeGrant, tokenEndpointResponse } from '../services/tokens.js'
import type { CodePayload } from '../records/index.js'
import type { Params, Reply } from '../base/http.js'

const VERIFIER = /^[A-Za-z0-9._~-]{43,128}$/

/**
 * RFC 6749 section 4.1.3 with PKCE (RFC 7636), code-reuse revocation (section 10.5) and
 * DPoP-bound codes (RFC 9449 section 10).
 */
export async function authorizationCodeGrant(ctx: Context, client: Client, params: Params, proof?: DPoPProof): Promise<Reply> {
  const { id, entry: found } = await findRedeemed<CodePayload>(ctx, params, 'code', 'AuthorizationCode', 'The authorization code is invalid or expired')
  const p = found.payload
  if (found.consumed) return reuse(ctx, p.grantId)
  if (p.clientId !== client.id) throw new OAuthError('invalid_grant', 'The authorization code was issued to another client')
  const redirectUri = params.get('redirect_uri')
  if ((p.redirectUriGiven || redirectUri !== undefined) && redirectUri !== p.redirectUri) {
    throw new OAuthError('invalid_grant', 'redirect_uri does not match the authorization request')
  }
  const verifier = params.get('code_verifier')
  if (p.codeChallenge !== undefined) {
    // A wrong verifier spends the code: whoever holds a stolen code gets one guess, not many.
    const refuse = async (description: string): Promise<never> => {
      await ctx.rt.store.consume('AuthorizationCode', id)
      throw new OAuthError('invalid_grant', description)
    }
    if (verifier === undefined) throw new OAuthError('invalid_grant', 'code_verifier is required (PKCE)')
    if (!VERIFIER.test(verifier)) return refuse('code_verifier is malformed (RFC 7636 section 4.1)')
    if (base64url(await sha256(verifier)) !== p.codeChallenge) return refuse('code_verifier does not match the code_challenge')
  } else if (verifier !== undefined) {
    // RFC 9700 section 2.1.1: a verifier without a challenge is a PKCE downgrade attempt.
    throw new OAuthError('invalid_grant', 'code_verifier was sent but the authorization request had no code_challenge')
  }
  if (p.dpopJkt !== undefined) {
    if (!proof) throw new OAuthError('invalid_grant', 'The authorization code is bound to a DPoP key (dpop_jkt): send a DPoP proof signed with it')
    if (proof.jkt !== p.dpopJkt) throw new OAuthError('invalid_grant', 'DPoP key mismatch: the proof is not signed with the key the authorization code is bound to')
  }
  const info = {
    grantId: p.grantId,
    client,
    grantScope: p.scope,
    scope: p.scope,
    grantType: 'authorization_code',
    username: p.username,
    authTime: p.authTime,
    ...(p.acr !== undefined && { acr: p.acr }),
    ...(p.amr !== undefined && { amr: p.amr }),
    redirectUri: p.redirectUri,
    ...(p.nonce !== undefined && { nonce: p.nonce }),
    ...(proof && { dpopJkt: proof.jkt }),
  }
  return tokenEndpointResponse(ctx, info, {
    refresh: issuesRefreshTokens(ctx, client, 'authorization_code'),
    idToken: true,
    ...(p.nonce !== undefined && { nonce: p.nonce }),
    // Spent in the transaction that stores the tokens: of concurrent redemptions exactly one
    // gets them, and a later one revokes them (RFC 6749 section 4.1.2).
    spends: { kind: 'AuthorizationCode', id, reused: () => reuse(ctx, p.grantId) },
  })
}

async function reuse(ctx: Context, grantId: string): Promise<never> {
  await revokeGrant(ctx, grantId)
  throw new OAuthError('invalid_grant', 'The authorization code was already used; the tokens issued for it are revoked')
}
