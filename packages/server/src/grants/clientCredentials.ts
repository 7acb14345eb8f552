import type { Context } from '../services/context.js'
import type { DPoPProof } from '../services/dpop.js'
import type { Client } from '../model/index.js'
import { newGrantId, requestedScopes, tokenEndpointResponse } from '../services/tokens.js'
import type { Params, Reply } from '../base/http.js'

/** RFC 6749 section 4.4: confidential clients only, no refresh token, no ID token. */
export async function clientCredentialsGrant(ctx: Context, client: Client, params: Params, proof?: DPoPProof): Promise<Reply> {
  const scope = requestedScopes(client, params.get('scope'))
  const info = { grantId: newGrantId(ctx), client, grantScope: scope, scope, grantType: 'client_credentials', ...(proof && { dpopJkt: proof.jkt }) }
  return tokenEndpointResponse(ctx, info, { refresh: false, idToken: false })
}
