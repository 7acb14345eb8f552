import type { Context } from '../services/context.js'
import type { DPoPProof } from '../services/dpop.js'
import { verifyClientJwt } from '../services/clientAuth.js'
import { OAuthError } from '../base/errors.js'
import type { Params, Reply } from '../base/http.js'
import { JWT_BEARER_GRANT, type Client, type User } from '../model/index.js'
import { newGrantId, requestedScopes, tokenEndpointResponse } from '../services/tokens.js'

/**
 * RFC 7523 section 2.1: the client trades a JWT it signed with its registered key (`jwks`,
 * `jwks_uri`, or AM's "Client JWT Bearer Public Key", `public_key_pem`) for an access token
 * for the user named in `sub`. No refresh token and no ID token: no user signed in, and the
 * client makes a new assertion when it needs a new token (decisions/0061).
 */
export async function jwtBearerGrant(ctx: Context, client: Client, params: Params, proof?: DPoPProof): Promise<Reply> {
  const assertion = params.get('assertion')
  if (assertion === undefined) throw new OAuthError('invalid_request', 'assertion is required')
  if (!client.jwks && !client.jwksUri && !client.publicKeyPem) {
    throw new OAuthError('invalid_grant', 'The client has no registered key (jwks, jwks_uri or public_key_pem) to verify the assertion with')
  }
  const scope = requestedScopes(client, params.get('scope'))
  let payload: Record<string, unknown>
  try {
    payload = await verifyClientJwt(ctx, client, assertion)
  } catch (cause) {
    throw new OAuthError('invalid_grant', `The assertion ${(cause as Error).message}`)
  }
  const user = findSubject(ctx, payload.sub as string)
  if (!user) throw new OAuthError('invalid_grant', 'The assertion subject (sub) is not a user of this realm')
  const info = {
    grantId: newGrantId(ctx),
    client,
    grantScope: scope,
    scope,
    grantType: JWT_BEARER_GRANT,
    username: user.username,
    ...(proof && { dpopJkt: proof.jkt }),
  }
  return tokenEndpointResponse(ctx, info, { refresh: false, idToken: false })
}

/** AM names the user by username; a configured `sub` that differs from it names them too. */
function findSubject(ctx: Context, sub: string): User | undefined {
  const byName = ctx.realm.users.get(sub)
  if (byName) return byName
  for (const user of ctx.realm.users.values()) if (user.sub === sub) return user
  return undefined
}
