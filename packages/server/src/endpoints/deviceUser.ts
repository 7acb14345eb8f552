import type { Context } from '../services/context.js'
import { findClient } from '../services/clients.js'
import { consentClaims } from '../services/consentClaims.js'
import { OAuthError } from '../base/errors.js'
import { pageParams, redirect, type Params, type Reply } from '../base/http.js'
import { deviceCodeEntryPage, deviceConfirmPage, messagePage } from '../base/pages.js'
import { getSession, loginUrl } from '../services/session.js'
import { secretKey } from '../base/crypto.js'
import { failuresUnder, recordFailure } from '../services/failures.js'
import { normalizeUserCode } from '../services/userCode.js'
import { DEVICE_RECORD_GRACE_S, type DeviceCodePayload } from '../records/index.js'

/**
 * Wrong user codes a user may enter within {@link USER_CODE_GUESS_WINDOW_S}. RFC 8628 section
 * 5.1: a code of 8 letters from 20 has about 34 bits, enough only with the guessing bounded;
 * unbounded, a signed-in user could sweep for pending codes and approve strangers' devices into
 * their own account (or deny them).
 */
const USER_CODE_GUESSES = 5
const USER_CODE_GUESS_WINDOW_S = 300

/**
 * `device/user` (RFC 8628 section 3.3): the signed-in user enters the code shown on the
 * device, sees who asks for what, and allows or denies.
 */
export async function deviceUser(ctx: Context): Promise<Reply> {
  let params: Params
  try {
    params = await pageParams(ctx.request, ctx.url, ctx.rt.config.maxBodyBytes)
  } catch (error) {
    if (!(error instanceof OAuthError)) throw error
    return messagePage('Request refused', error.message, error.status)
  }
  const session = await getSession(ctx)
  const action = `${ctx.issuer}/device/user`
  if (!session) {
    const back = new URL(action)
    const code = params.get('user_code')
    if (code !== undefined) back.searchParams.set('user_code', code)
    return redirect(loginUrl(ctx, back.href))
  }
  const typed = params.get('user_code')
  if (typed === undefined) return deviceCodeEntryPage({ action })
  const guesses = `device-code\n${ctx.realm.path}\n${await secretKey(session.username)}\n`
  if ((await failuresUnder(ctx, guesses)) >= USER_CODE_GUESSES) {
    return deviceCodeEntryPage({ action, userCode: typed, error: 'Too many codes that were not valid. Wait a few minutes, then try again.', status: 429 })
  }
  const found = await ctx.rt.store.findByUserCode<DeviceCodePayload>(normalizeUserCode(typed))
  const record = found?.entry.payload
  if (!found || !record || record.realm !== ctx.realm.path || record.status !== 'pending' || record.expiresAt <= ctx.nowSec) {
    // Counted per user, as a retry limit counts: concurrent guesses all count, and a new session starts no new count.
    await recordFailure(ctx, guesses, USER_CODE_GUESS_WINDOW_S)
    return deviceCodeEntryPage({ action, userCode: typed, error: 'That code is not valid or has expired. Check the device and try again.' })
  }
  const client = await findClient(ctx, record.clientId)
  if (ctx.request.method === 'GET') {
    return deviceConfirmPage({
      action,
      fields: { user_code: typed, csrf: session.csrf },
      clientName: client?.name ?? record.clientId,
      asked: consentClaims(ctx, client?.claimDescriptions ?? [], session.username, record.scope, params.get('ui_locales')),
    })
  }
  if (params.get('csrf') !== session.csrf) return messagePage('Request refused', 'This form does not belong to your session.', 403)
  const allow = params.get('decision') === 'allow'
  const updated: DeviceCodePayload = allow
    ? { ...record, status: 'approved', username: session.username, authTime: session.authTime }
    : { ...record, status: 'denied' }
  await ctx.rt.store.upsert('DeviceCode', found.id, updated, (record.expiresAt + DEVICE_RECORD_GRACE_S) * 1000)
  return allow
    ? messagePage('Device connected', `${client?.name ?? record.clientId} is now signed in. You can return to your device.`)
    : messagePage('Request denied', 'The device was not given access.')
}
