import type { Context } from '../services/context.js'
import { verifyPassword } from '../services/users.js'
import { base32Decode, verifyTotp } from '../base/totp.js'
import type { CollectorNodeConfig, JourneyNodeConfig } from '../model/index.js'
import type { JourneyPayload, LockoutPayload } from '../records/index.js'
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
      const key = lockoutKey(ctx, state.username)
      const entry = await ctx.rt.store.find<LockoutPayload>('Lockout', key)
      if (entry && entry.payload.lockedUntil > ctx.nowSec) return 'reject'
      const failures = (entry?.payload.failures ?? 0) + 1
      const until = ctx.nowSec + node.lockout_seconds
      const lockedUntil = failures >= node.limit ? until : 0
      await ctx.rt.store.upsert('Lockout', key, { failures: lockedUntil ? 0 : failures, lockedUntil }, until * 1000)
      return lockedUntil ? 'reject' : 'retry'
    }
    default:
      throw new Error(`A ${node.type} node does not decide`)
  }
}

function lockoutKey(ctx: Context, username: string): string {
  return `${ctx.realm.path}\n${username}`
}

async function isLocked(ctx: Context, username: string | undefined): Promise<boolean> {
  if (username === undefined) return false
  const entry = await ctx.rt.store.find<LockoutPayload>('Lockout', lockoutKey(ctx, username))
  return entry !== undefined && entry.payload.lockedUntil > ctx.nowSec
}

/** A completed journey forgets the user's failures. */
export async function clearFailures(ctx: Context, username: string): Promise<void> {
  await ctx.rt.store.destroy('Lockout', lockoutKey(ctx, username))
}
