import type { OidcClient } from '@realmauth/core'
import { toAuthError } from '@realmauth/core/internal'
import * as oauth from 'oauth4webapi'

/**
 * RFC 7662 introspection as `oidc`'s client, authenticated as it is at the token endpoint:
 * what `NodeClient.introspect` and the access-token verifier both send.
 */
export async function introspect(oidc: OidcClient, token: string, hint?: 'access_token' | 'refresh_token'): Promise<oauth.IntrospectionResponse> {
  const as = await oidc.metadata()
  try {
    const res = await oauth.introspectionRequest(as, oidc.oauthClient(), oidc.auth, token, {
      ...oidc.requestOptions(as.introspection_endpoint),
      ...(hint !== undefined && { additionalParameters: { token_type_hint: hint } }),
    })
    return await oauth.processIntrospectionResponse(as, oidc.oauthClient(), res)
  } catch (err) {
    throw toAuthError(err, 'Introspection')
  }
}
