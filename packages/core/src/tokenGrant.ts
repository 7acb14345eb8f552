import * as oauth from 'oauth4webapi'
import type { OidcClient } from './OidcClient.js'
import type { TokenSet } from './TokenSet.js'

/**
 * Runs any token-endpoint grant (`client_credentials`, the device grant, an extension grant)
 * through the same validation as the code flow's, ID token included. A function, not a
 * client method, so that a single-page app, which never uses it, does not ship it.
 *
 * @example
 * ```ts
 * const oidc = new OidcClient({ issuer, clientId: 'service', clientAuth: ClientSecretBasic('s3cret') })
 * const tokens = await tokenGrant(oidc, 'client_credentials', { scope: 'orders:read' })
 * ```
 */
export function tokenGrant(oidc: OidcClient, grantType: string, parameters: Record<string, string>): Promise<TokenSet> {
  return oidc.tokenRequest(grantType, async (as, opts, jwe) => {
    const client = oidc.oauthClient()
    const res = await oauth.genericTokenEndpointRequest(as, client, oidc.auth, grantType, parameters, opts)
    return [res, await oauth.processGenericTokenEndpointResponse(as, client, res, jwe)]
  })
}
