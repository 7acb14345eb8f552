import { AuthError, type OidcClient } from '@realmauth/core'
import { toAuthError } from '@realmauth/core/internal'
import * as oauth from 'oauth4webapi'

/**
 * RFC 7662 introspection as `oidc`'s client, authenticated as it is at the token endpoint:
 * what `NodeClient.introspect` and the access-token verifier both send. An RFC 9701 JWT answer
 * (asked for with `jwt`) is decrypted if need be, and used only once its `typ`, `iss`, `aud`
 * and signature (the provider's JWKS; never `none` or HS*) check out.
 */
export async function introspect(oidc: OidcClient, token: string, hint?: 'access_token' | 'refresh_token', jwt = false): Promise<oauth.IntrospectionResponse> {
  const as = await oidc.metadata()
  try {
    return await oidc.request(as.introspection_endpoint, async (opts) => {
      const res = await oauth.introspectionRequest(as, oidc.oauthClient(), oidc.auth, token, {
        ...opts,
        ...(hint !== undefined && { additionalParameters: { token_type_hint: hint } }),
        ...(jwt && { requestJwtResponse: true }),
      })
      const signed = /^application\/token-introspection\+jwt\b/i.test(res.headers.get('content-type') ?? '')
      const answer = await oauth.processIntrospectionResponse(as, oidc.oauthClient(), res, oidc.jweOptions('invalid_response', 'Introspection'))
      // oauth4webapi checks the claims of a JWT answer, not its signature.
      if (signed) await oidc.verifySignature(res)
      return answer
    })
  } catch (err) {
    const error = toAuthError(err, 'Introspection')
    // toAuthError names every JWT failure an ID token's; here it is the answer that is bad.
    throw error.code === 'id_token_invalid' ? new AuthError('invalid_response', error.message, { cause: err }) : error
  }
}
