import { clientRequest } from '../services/clientAuth.js'
import { certificateBinding } from '../services/mtls.js'
import type { Context } from '../services/context.js'
import { dpopNonceHeaders, dpopProofHeader, verifyDPoPProof } from '../services/dpop.js'
import { OAuthError } from '../base/errors.js'
import { DEVICE_GRANT, GRANT_TYPES, JWT_BEARER_GRANT } from '../model/index.js'
import { authorizationCodeGrant } from '../grants/authorizationCode.js'
import { refreshTokenGrant } from '../grants/refreshToken.js'
import { clientCredentialsGrant } from '../grants/clientCredentials.js'
import { passwordGrant } from '../grants/password.js'
import { deviceCodeGrant } from '../grants/deviceCode.js'
import { jwtBearerGrant } from '../grants/jwtBearer.js'
import type { Grant } from '../grants/Grant.js'
import type { Params, Reply } from '../base/http.js'

const GRANTS: Record<string, Grant> = {
  authorization_code: authorizationCodeGrant,
  refresh_token: refreshTokenGrant,
  client_credentials: clientCredentialsGrant,
  password: passwordGrant,
  [DEVICE_GRANT]: deviceCodeGrant,
  [JWT_BEARER_GRANT]: jwtBearerGrant,
}

/**
 * `POST access_token` (RFC 6749 section 3.2): form body only, one grant per request, with an
 * optional DPoP proof (RFC 9449 section 5) that binds the issued tokens to its key.
 */
export async function token(ctx: Context): Promise<Reply> {
  // With nonces on, every answer carries the current one, so a client always holds the latest.
  const nonce = await dpopNonceHeaders(ctx)
  try {
    const response = await exchange(ctx)
    Object.assign(response.headers, nonce)
    return response
  } catch (error) {
    if (!(error instanceof OAuthError) || Object.keys(nonce).length === 0) throw error
    throw new OAuthError(error.error, error.message, error.status, { ...nonce, ...error.headers })
  }
}

async function exchange(ctx: Context): Promise<Reply> {
  const { params, client, checked: grantType } = await clientRequest(ctx, { allowPublic: true }, supportedGrantType)
  const grant = GRANTS[grantType]!
  if (!client.grantTypes.has(grantType)) {
    throw new OAuthError('unauthorized_client', `The client may not use grant_type '${grantType}'`)
  }
  const proofHeader = dpopProofHeader(ctx.request, 'token')
  if (proofHeader === undefined && client.dpopBound) {
    throw new OAuthError('invalid_request', 'This client must send a DPoP proof with every token request (dpop_bound_access_tokens)')
  }
  // Refused before a code or device code is spent, not when the tokens are minted.
  certificateBinding(ctx, client)
  const proof =
    proofHeader === undefined
      ? undefined
      : await verifyDPoPProof(ctx, proofHeader, { where: 'token', requireNonce: ctx.realm.settings.dpopNonce })
  return grant(ctx, client, params, proof)
}

/** The request's `grant_type`, refused before the client is authenticated when this provider has no such grant. */
function supportedGrantType(params: Params): string {
  const grantType = params.get('grant_type')
  if (grantType === undefined) throw new OAuthError('invalid_request', 'grant_type is required')
  if (!Object.hasOwn(GRANTS, grantType) || !(GRANT_TYPES as readonly string[]).includes(grantType)) {
    throw new OAuthError('unsupported_grant_type', `grant_type '${grantType}' is not supported`)
  }
  return grantType
}
