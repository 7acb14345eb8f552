import { clientRequest } from '../services/clientAuth.js'
import type { Context } from '../services/context.js'
import { timeOrderedKey, timeOrderedToken } from '../base/crypto.js'
import { OAuthError } from '../base/errors.js'
import { json, type Reply } from '../base/http.js'
import { DEVICE_GRANT } from '../model/index.js'
import { requestedScopes } from '../services/tokens.js'
import { newUserCode } from '../services/userCode.js'
import { DEVICE_RECORD_GRACE_S, type DeviceCodePayload } from '../records/index.js'

/** `device/code` (RFC 8628 section 3.1-3.2). */
export async function deviceCode(ctx: Context): Promise<Reply> {
  const { params, client } = await clientRequest(ctx, { allowPublic: true })
  if (!client.grantTypes.has(DEVICE_GRANT)) throw new OAuthError('unauthorized_client', 'The client may not use the device grant')
  const scope = requestedScopes(client, params.get('scope'))
  const code = timeOrderedToken(ctx.rt.now())
  const userCode = newUserCode()
  const { deviceCodeLifetime, devicePollInterval } = ctx.realm.settings
  const payload: DeviceCodePayload = {
    clientId: client.id,
    realm: ctx.realm.path,
    scope,
    userCode,
    status: 'pending',
    interval: devicePollInterval,
    lastPoll: 0,
    expiresAt: ctx.nowSec + deviceCodeLifetime,
  }
  await ctx.rt.store.upsert(
    'DeviceCode',
    await timeOrderedKey(code),
    payload,
    (payload.expiresAt + DEVICE_RECORD_GRACE_S) * 1000,
  )
  const display = `${userCode.slice(0, 4)}-${userCode.slice(4)}`
  const verification = `${ctx.issuer}/device/user`
  return json({
    device_code: code,
    user_code: display,
    verification_uri: verification,
    verification_uri_complete: `${verification}?user_code=${display}`,
    expires_in: deviceCodeLifetime,
    interval: devicePollInterval,
  })
}
