import * as oauth from 'oauth4webapi'
import { AuthError, toAuthError } from './AuthError.js'
import type { OidcClient } from './OidcClient.js'

/** Userinfo claims: `sub` always, the rest as the provider releases them for the token's scopes. */
export type UserInfo = oauth.UserInfoResponse

/**
 * OIDC userinfo for `accessToken`; its `sub` must be `expectedSubject` (the ID token's), or
 * it is `userinfo_subject_mismatch`. A `dpop` token type sends a proof. An answer sent as a
 * JWT (`application/jwt`, as AM sends when userinfo signing is on) is used only once its
 * signature verifies against the issuer's JWKS and its `iss` and `aud` are present and
 * right; otherwise it is `userinfo_invalid`, as is an answer that is not encrypted when the
 * client was made with `userinfoEncrypted`. A function, not a client method, so that apps
 * that never call userinfo do not ship it.
 *
 * @example
 * ```ts
 * const oidc = new OidcClient({ issuer, clientId: 'web' })
 * const info = await fetchUserInfo(oidc, tokens.accessToken, tokens.claims!.sub, tokens.tokenType)
 * info.email
 * ```
 */
export async function fetchUserInfo(oidc: OidcClient, accessToken: string, expectedSubject: string, tokenType = 'bearer'): Promise<UserInfo> {
  const as = await oidc.metadata()
  const endpoint = as.userinfo_endpoint ?? oidc.issuer
  const client = oidc.oauthClient()
  let signed = false
  // The body is read, and the signature checked, within the request's timeout.
  const send = (headers: Record<string, string>) => oidc.request(endpoint, async (opts) => {
    const res = await oauth.userInfoRequest(as, client, accessToken, { ...opts, headers })
    oidc.dpop?.observe(endpoint, res)
    signed = res.status === 200 && /^application\/jwt\b/i.test(res.headers.get('content-type') ?? '')
    if (!signed && oidc.userinfoEncrypted && res.status === 200) {
      throw new AuthError('userinfo_invalid', 'Userinfo: the answer is not encrypted, but this client expects it encrypted (userinfoEncrypted)')
    }
    if (!signed) return oauth.processUserInfoResponse(as, client, expectedSubject, res)
    // processUserInfoResponse reads a JWT's claims without checking its signature (and takes
    // `alg: none` when discovery lists it, as AM's does): nothing is trusted before the
    // signature verifies against the issuer's JWKS, which refuses none and HS* outright.
    const decrypted = new Map<string, string>()
    const claims = await oauth.processUserInfoResponse(as, client, oauth.skipSubjectCheck, res, oidc.jweOptions('userinfo_invalid', 'Userinfo', decrypted))
    if (oidc.userinfoEncrypted && decrypted.size === 0) {
      throw new AuthError('userinfo_invalid', 'Userinfo: the answer is signed but not encrypted, but this client expects it encrypted (userinfoEncrypted)')
    }
    await oidc.verifySignature(res)
    // OIDC Core 5.3.2: a signed answer SHOULD carry iss and aud; we require them (present ones were compared).
    if (claims.iss === undefined || claims.aud === undefined) {
      throw new AuthError('userinfo_invalid', 'Userinfo: a signed answer without iss or aud could be a JWT minted for another purpose')
    }
    if (claims.sub !== expectedSubject) {
      throw new AuthError('userinfo_subject_mismatch', 'Userinfo answered for another subject than the ID token')
    }
    return claims
  })
  try {
    return await (tokenType === 'dpop' ? oidc.withProof('GET', endpoint, accessToken, send) : send({}))
  } catch (err) {
    if (err instanceof oauth.OperationProcessingError && err.code === oauth.JSON_ATTRIBUTE_COMPARISON) {
      throw new AuthError('userinfo_subject_mismatch', 'Userinfo answered for another subject than the ID token', { cause: err })
    }
    const error = toAuthError(err, 'Userinfo')
    if (signed && (error.code === 'id_token_invalid' || error.code === 'invalid_response')) {
      throw new AuthError('userinfo_invalid', error.message, { cause: err })
    }
    throw error
  }
}
