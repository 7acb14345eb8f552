import { authenticateClient } from '../clientAuth.js'
import type { Context } from '../context.js'
import { randomToken, secretKey } from '../crypto.js'
import { OAuthError } from '../errors.js'
import { json, readForm, requireMethod } from '../http.js'
import { DEVICE_GRANT } from '../model/index.js'
import { requestedScopes } from '../tokens.js'

/** RFC 8628 section 6.1: no vowels (no words), no look-alikes. */
const USER_CODE_ALPHABET = 'BCDFGHJKLMNPQRSTVWXZ'

export interface DeviceCodePayload {
  [key: string]: unknown
  clientId: string
  /** Path of the realm that issued it: a device code is only good in its own realm. */
  realm: string
  scope: string[]
  /** Normalised: eight letters, no dash. */
  userCode: string
  status: 'pending' | 'approved' | 'denied'
  interval: number
  /** Milliseconds since the epoch of the last poll, 0 before the first. */
  lastPoll: number
  /** Seconds since the epoch; the store keeps the record a while longer to answer `expired_token`. */
  expiresAt: number
  username?: string
  authTime?: number
}

/** Seconds a device code record outlives the code, so late polls hear `expired_token`. */
export const DEVICE_RECORD_GRACE_S = 600

/** Uppercase letters of the alphabet only: `bcdf-ghjk`, `BCDF GHJK` and `BCDFGHJK` are one code. */
export function normalizeUserCode(input: string): string {
  return input.toUpperCase().replace(/[^A-Z]/g, '')
}

function newUserCode(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(8))
  // 256 is not a multiple of 20: rejection would be exact, but the bias of 16/256 on a
  // code that lives five minutes and allows no guessing loop is immaterial.
  return Array.from(bytes, (b) => USER_CODE_ALPHABET[b % USER_CODE_ALPHABET.length]).join('')
}

/** `device/code` (RFC 8628 section 3.1-3.2). */
export async function deviceCode(ctx: Context): Promise<Response> {
  requireMethod(ctx.request, 'POST')
  const params = await readForm(ctx.request, ctx.rt.config.maxBodyBytes)
  const client = await authenticateClient(ctx, params, { allowPublic: true })
  if (!client.grantTypes.has(DEVICE_GRANT)) throw new OAuthError('unauthorized_client', 'The client may not use the device grant')
  const scope = requestedScopes(client, params.get('scope'))
  const code = randomToken(32)
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
    await secretKey(code),
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
