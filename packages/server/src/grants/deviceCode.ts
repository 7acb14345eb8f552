import type { Context } from '../services/context.js'
import type { DPoPProof } from '../services/dpop.js'
import { findRedeemed } from './Grant.js'
import { OAuthError } from '../base/errors.js'
import { DEVICE_GRANT, type Client } from '../model/index.js'
import { issuesRefreshTokens, newGrantId, tokenEndpointResponse } from '../services/tokens.js'
import { DEVICE_RECORD_GRACE_S, type DeviceCodePayload } from '../records/index.js'
import type { Params, Reply } from '../base/http.js'

/** RFC 8628 section 3.4-3.5: polling, with `slow_down` adding 5 s to the interval each time. */
export async function deviceCodeGrant(ctx: Context, client: Client, params: Params, proof?: DPoPProof): Promise<Reply> {
  const { id, entry } = await findRedeemed<DeviceCodePayload>(ctx, params, 'device_code', 'DeviceCode', 'The device code is invalid')
  if (entry.payload.clientId !== client.id) throw new OAuthError('invalid_grant', 'The device code is invalid')
  const store = ctx.rt.store
  const record = entry.payload
  if (record.expiresAt <= ctx.nowSec) throw new OAuthError('expired_token', 'The device code has expired')
  if (record.status === 'denied') {
    await store.destroy('DeviceCode', id)
    throw new OAuthError('access_denied', 'The user denied the request')
  }
  if (record.status === 'approved') {
    const used = (): Promise<never> => Promise.reject(new OAuthError('invalid_grant', 'The device code was already used'))
    if (entry.consumed) return used()
    const info = {
      grantId: newGrantId(ctx),
      client,
      grantScope: record.scope,
      scope: record.scope,
      grantType: DEVICE_GRANT,
      username: record.username!,
      authTime: record.authTime!,
      ...(proof && { dpopJkt: proof.jkt }),
    }
    return tokenEndpointResponse(ctx, info, {
      refresh: issuesRefreshTokens(ctx, client, DEVICE_GRANT),
      idToken: true,
      spends: { kind: 'DeviceCode', id, reused: used },
    })
  }
  const now = ctx.rt.now()
  const tooSoon = record.lastPoll !== 0 && now - record.lastPoll < record.interval * 1000
  const updated = { ...record, lastPoll: now, interval: tooSoon ? record.interval + 5 : record.interval }
  await store.upsert('DeviceCode', id, updated, (record.expiresAt + DEVICE_RECORD_GRACE_S) * 1000)
  if (tooSoon) throw new OAuthError('slow_down', `Polling too fast; wait ${updated.interval} seconds between requests`)
  throw new OAuthError('authorization_pending', 'The user has not answered yet')
}
