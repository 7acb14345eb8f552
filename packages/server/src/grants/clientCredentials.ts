import type { Context } from '../context.js'
import type { DPoPProof } from '../dpop.js'
import type { Params } from '../http.js'
import type { Client } from '../model/index.js'
import { newGrantId, requestedScopes, tokenEndpointResponse } from '../tokens.js'

/** RFC 6749 section 4.4: confidential clients only, no refresh token, no ID token. */
export async function clientCredentialsGrant(ctx: Context, client: Client, params: Params, proof?: DPoPProof): Promise<Response> {
  const scope = requestedScopes(client, params.get('scope'))
  const info = { grantId: newGrantId(), client, grantScope: scope, scope, grantType: 'client_credentials', ...(proof && { dpopJkt: proof.jkt }) }
  return tokenEndpointResponse(ctx, info, { refresh: false, idToken: false })
}
