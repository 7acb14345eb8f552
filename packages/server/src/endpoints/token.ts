import { authenticateClient } from '../clientAuth.js'
import type { Context } from '../context.js'
import { OAuthError } from '../errors.js'
import { readForm, requireMethod } from '../http.js'
import { DEVICE_GRANT, GRANT_TYPES } from '../resolveConfig.js'
import { authorizationCodeGrant } from '../grants/authorizationCode.js'
import { refreshTokenGrant } from '../grants/refreshToken.js'
import { clientCredentialsGrant } from '../grants/clientCredentials.js'
import { passwordGrant } from '../grants/password.js'
import { deviceCodeGrant } from '../grants/deviceCode.js'

const GRANTS = {
  authorization_code: authorizationCodeGrant,
  refresh_token: refreshTokenGrant,
  client_credentials: clientCredentialsGrant,
  password: passwordGrant,
  [DEVICE_GRANT]: deviceCodeGrant,
}

/** `POST access_token` (RFC 6749 section 3.2): form body only, one grant per request. */
export async function token(ctx: Context): Promise<Response> {
  requireMethod(ctx.request, 'POST')
  const params = await readForm(ctx.request, ctx.rt.config.maxBodyBytes)
  const grantType = params.get('grant_type')
  if (grantType === undefined) throw new OAuthError('invalid_request', 'grant_type is required')
  const grant = GRANTS[grantType as keyof typeof GRANTS]
  if (!grant || !(GRANT_TYPES as readonly string[]).includes(grantType)) {
    throw new OAuthError('unsupported_grant_type', `grant_type '${grantType}' is not supported`)
  }
  const client = await authenticateClient(ctx, params, { allowPublic: true })
  if (!client.grantTypes.has(grantType)) {
    throw new OAuthError('unauthorized_client', `The client may not use grant_type '${grantType}'`)
  }
  return grant(ctx, client, params)
}
