import type { Context } from '../services/context.js'
import { verifyPassword } from '../services/users.js'
import { base32Decode, verifyTotp } from '../base/totp.js'
import type { CollectorNodeConfig, JourneyNodeConfig } from '../model/index.js'
import { randomToken, secretKey } from '../base/crypto.js'
import type { JourneyPayload, LockoutPayload } from '../records/index.js'
import { failuresUnder, recordFailure } from '../services/failures.js'
import type { Answers, Callback } from './callbacks.js'

/** Values a node collects for the next one that never reach the store: they end with the request. */
export interface Transient {
  password?: string
}

/** The callbacks of a collector or a Page, in the order the client gets them. */
export function callbacksOf(node: CollectorNodeConfig | JourneyNodeConfig, state: JourneyPayload): Callback[] {
  switch (node.type) {
    case 'Page':
      return node.nodes.flatMap((n) => callbacksOf(n, state))
    case 'UsernameCollector':
      return [{ type: 'NameCallback', output: [{ name: 'prompt', value: 'User Name' }], initial: state.username ?? '' }]
    case 'PasswordCollector':
      return [{ type: 'PasswordCallback', output: [{ name: 'prompt', value: 'Password' }], initial: '' }]
    case 'OneTimePassword':
      return [{ type: 'PasswordCallback', output: [{ name: 'prompt', value: 'One-time password' }], initial: '' }]
    case 'HiddenValue':
      // AM sends the id as the input's initial value too; a client that fills nothing returns it.
      return [{ type: 'HiddenValueCallback', output: [{ name: 'value', value: node.value ?? '' }, { name: 'id', value: node.id }], initial: node.id }]
    case 'ChoiceCollector': {
      const defaultChoice = node.default_choice ?? 0
      return [
        {
          type: 'ChoiceCallback',
          output: [
            { name: 'prompt', value: node.prompt },
            { name: 'choices', value: node.choices },
            { name: 'defaultChoice', value: defaultChoice },
          ],
          initial: defaultChoice,
          options: node.choices.length,
        },
      ]
    }
    case 'Message': {
      const options = node.negative === undefined ? [node.positive ?? 'OK'] : [node.positive ?? 'Yes', node.negative]
      return [
        { type: 'TextOutputCallback', output: [{ name: 'message', value: node.message }, { name: 'messageType', value: '0' }] },
        {
          type: 'ConfirmationCallback',
          output: [
            { name: 'prompt', value: '' },
            { name: 'messageType', value: 0 },
            { name: 'options', value: options },
            { name: 'optionType', value: -1 },
            { name: 'defaultOption', value: 0 },
          ],
          initial: 0,
          options: options.length,
        },
      ]
    }
    default:
      return []
  }
}

/** Applies a step's answers to the node that asked; returns its outcome. */
export async function answer(
  ctx: Context,
  node: CollectorNodeConfig | JourneyNodeConfig,
  answers: Answers,
  state: JourneyPayload,
  transient: Transient,
): Promise<string> {
  switch (node.type) {
    case 'Page': {
      let outcome = ''
      let at = 0
      for (const child of node.nodes) {
        const n = callbacksOf(child, state).length
        outcome = await answer(ctx, child, answers.slice(at, at + n), state, transient)
        at += n
      }
      return outcome
    }
    case 'UsernameCollector':
      state.username = String(answers[0])
      return 'outcome'
    case 'PasswordCollector':
      transient.password = String(answers[0])
      return 'outcome'
    case 'HiddenValue':
      state.hidden = { ...state.hidden, [node.id]: String(answers[0]) }
      return 'outcome'
    case 'ChoiceCollector':
      return node.choices[answers[0] as number]!
    case 'Message':
      return answers[1] === 0 ? 'true' : 'false'
    case 'OneTimePassword': {
      const user = state.username === undefined ? undefined : ctx.realm.users.get(state.username)
      const secret = user?.totp_secret === undefined ? undefined : base32Decode(user.totp_secret)
      const locked = await isLocked(ctx, state.username)
      const ok = secret !== undefined && (await verifyTotp(secret, String(answers[0]), ctx.nowSec)) && !locked
      if (ok && !state.amr.includes('otp')) state.amr.push('otp')
      return String(ok)
    }
    default:
      throw new Error(`A ${node.type} node asks nothing`)
  }
}

/** Runs a node that asks nothing; returns its outcome. */
export async function decide(ctx: Context, node: JourneyNodeConfig, state: JourneyPayload, transient: Transient): Promise<string> {
  switch (node.type) {
    case 'DataStoreDecision': {
      const password = transient.password ?? ''
      delete transient.password
      // The password is checked even for a locked account, so timing does not tell the two apart.
      const user = await verifyPassword(ctx, state.username ?? '', password)
      const ok = user !== undefined && !(await isLocked(ctx, state.username))
      if (ok && !state.amr.includes('pwd')) state.amr.push('pwd')
      return String(ok)
    }
    case 'RetryLimit': {
      if (state.username === undefined) return 'reject'
      const key = await lockoutKey(ctx, state.username)
      const lock = (await ctx.rt.store.find<LockoutPayload>('Lockout', key))?.payload
      if (lock && lock.lockedUntil > ctx.nowSec) return 'reject'
      const failures = `${key}\n${lock?.epoch ?? ''}\n`
      await recordFailure(ctx, failures, node.lockout_seconds)
      if ((await failuresUnder(ctx, failures)) < node.limit) return 'retry'
      await newEpoch(ctx, key, ctx.nowSec + node.lockout_seconds)
      return 'reject'
    }
    default:
      throw new Error(`A ${node.type} node does not decide`)
  }
}

/**
 * Encoded, so that no user name reaches into another's failures (`bob\n…` is not under `bob`).
 * A name anyone can type but not encode goes by its digest after `#`, which no encoded name
 * holds: a long one (PostgreSQL refuses a key over about 2.7 KB, a 503 instead of a count), and
 * one with a lone surrogate, which JSON carries and `encodeURIComponent` throws on (a 500).
 */
async function lockoutKey(ctx: Context, username: string): Promise<string> {
  let encoded: string | undefined
  try {
    encoded = encodeURIComponent(username)
  } catch {
    encoded = undefined
  }
  return `${ctx.realm.path}\n${encoded !== undefined && encoded.length <= LOCKOUT_NAME_CHARS ? encoded : '#' + (await secretKey(username))}`
}
const LOCKOUT_NAME_CHARS = 256

/**
 * Writes the user's lock with a new epoch, so the failures so far stop counting. It is kept as
 * long as the realm's longest lockout: every failure of an older epoch has expired by then.
 */
async function newEpoch(ctx: Context, key: string, lockedUntil: number): Promise<void> {
  const lock: LockoutPayload = { lockedUntil, epoch: randomToken(8) }
  await ctx.rt.store.upsert('Lockout', key, lock, (ctx.nowSec + longestLockout(ctx)) * 1000)
}

function longestLockout(ctx: Context): number {
  let longest = 0
  for (const journey of ctx.realm.journeys.values()) {
    for (const node of journey.nodes.values()) if (node.type === 'RetryLimit') longest = Math.max(longest, node.lockout_seconds)
  }
  return longest
}

async function isLocked(ctx: Context, username: string | undefined): Promise<boolean> {
  if (username === undefined) return false
  const entry = await ctx.rt.store.find<LockoutPayload>('Lockout', await lockoutKey(ctx, username))
  return entry !== undefined && entry.payload.lockedUntil > ctx.nowSec
}

/** A completed journey forgets the user's failures (and writes nothing when there were none). */
export async function clearFailures(ctx: Context, username: string): Promise<void> {
  const key = await lockoutKey(ctx, username)
  const lock = (await ctx.rt.store.find<LockoutPayload>('Lockout', key))?.payload
  if (lock?.lockedUntil || (await failuresUnder(ctx, `${key}\n${lock?.epoch ?? ''}\n`)) > 0) await newEpoch(ctx, key, 0)
}
