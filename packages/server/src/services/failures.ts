import type { Context } from './context.js'
import { randomToken } from '../base/crypto.js'
import type { LockoutFailurePayload } from '../records/index.js'

/**
 * Records one failure under `prefix` for `seconds`: a row of its own, not a read-add-write of a
 * counter, so concurrent failures all count. A journey's retry limit and a user's wrong device
 * codes count this way.
 */
export async function recordFailure(ctx: Context, prefix: string, seconds: number): Promise<void> {
  const failure: LockoutFailurePayload = { at: ctx.nowSec }
  await ctx.rt.store.insert('Lockout', prefix + randomToken(16), failure, (ctx.nowSec + seconds) * 1000)
}

/** The failures recorded under `prefix` that have not expired. */
export function failuresUnder(ctx: Context, prefix: string): Promise<number> {
  return ctx.rt.store.count('Lockout', prefix)
}
