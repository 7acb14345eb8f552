import type { Context } from '../services/context.js'
import { randomToken, secretKey } from '../base/crypto.js'
import { OAuthError } from '../base/errors.js'
import type { Journey } from '../model/index.js'
import { JOURNEY_STEP_LIFETIME_S, type JourneyPayload } from '../records/index.js'
import type { Answers, Callback } from './callbacks.js'
import { answer, callbacksOf, clearFailures, decide, type Transient } from './nodes.js'
/** A journey that loops longer than this fails, as AM's max-duration would end it. */
const MAX_STEPS = 50
/** Nodes run in one request before the journey is judged to loop without asking anything. */
const MAX_NODES_PER_STEP = 100

/** Where a journey stands after a request: another step, or its end. */
export type StepResult =
  | { kind: 'step'; authId: string; callbacks: Callback[]; header?: string; description?: string; stage?: string; username?: string }
  | { kind: 'success'; username: string; acr: string; amr: string[] }
  | { kind: 'failure'; username?: string }

/** Turns a step's callbacks into the answers a request carries (throws a 400 OAuthError on bad input). */
export type AnswerReader = (callbacks: Callback[]) => Answers

/**
 * Answers a first step with a username and password: its name and password callbacks take
 * them, the others keep their initial answers. AM's zero-page login and the password grant
 * both sign in this way, so a journey's retry limit and lockout hold for them too.
 */
export function credentials(username: string, password: string): AnswerReader {
  return (callbacks) => callbacks.map((c) => (c.type === 'NameCallback' ? username : c.type === 'PasswordCallback' ? password : c.initial))
}

/**
 * Starts `journey`; when `read` is given, the request's answers go to its first step at once
 * (the zero-page login, and a sign-in form posted without an `authId`).
 */
export async function startJourney(
  ctx: Context,
  journey: Journey,
  options: { acr?: string; username?: string; read?: AnswerReader } = {},
): Promise<StepResult> {
  const state: JourneyPayload = {
    realm: ctx.realm.path,
    journey: journey.name,
    node: journey.entry,
    step: 0,
    acr: options.acr ?? journey.acrValues[0] ?? journey.name,
    amr: [],
    ...(options.username !== undefined && { username: options.username }),
  }
  return walk(ctx, journey, state, options.read)
}

/** Finds the journey an `authId` names in this realm, for a step's answers; the `authId` is not spent yet. */
export async function pendingStep(ctx: Context, authId: string): Promise<{ journey: Journey; state: JourneyPayload; callbacks: Callback[] }> {
  const entry = await ctx.rt.store.find<JourneyPayload>('Journey', await secretKey(authId))
  const journey = entry && entry.payload.realm === ctx.realm.path ? ctx.realm.journeys.get(entry.payload.journey) : undefined
  if (!entry || entry.consumed || !journey) throw timedOut()
  return { journey, state: entry.payload, callbacks: callbacksOf(journey.nodes.get(entry.payload.node)!, entry.payload) }
}

/**
 * Answers the step an `authId` names. The answers are read before the `authId` is spent, so a
 * malformed request leaves it usable; a replayed one is refused.
 */
export async function continueJourney(ctx: Context, authId: string, read: AnswerReader): Promise<StepResult> {
  const pending = await pendingStep(ctx, authId)
  const { journey, callbacks } = pending
  // The nodes below change the state as they run; what the store handed out may be frozen.
  const state: JourneyPayload = { ...pending.state, amr: [...pending.state.amr] }
  const answers = read(callbacks)
  const before = await ctx.rt.store.consume<JourneyPayload>('Journey', await secretKey(authId))
  if (!before || before.consumed) throw timedOut()
  state.step++
  const transient: Transient = {}
  const outcome = await answer(ctx, journey.nodes.get(state.node)!, answers, state, transient)
  return walk(ctx, journey, { ...state, node: next(journey, state.node, outcome) }, undefined, transient)
}

function next(journey: Journey, node: string, outcome: string): string {
  return (journey.nodes.get(node) as { outcomes: Record<string, string> }).outcomes[outcome]!
}

/**
 * AM's answer to an unknown, expired or spent `authId`: 401 `Session has timed out` with
 * `detail.errorCode` 110, which apps read to start the journey again (ForgeRock's SDK 4.9 hands
 * it to them as a LoginFailure and restarts nothing itself).
 */
function timedOut(): OAuthError {
  return new OAuthError('login_required', 'Session has timed out', 401, {}, { errorCode: '110' })
}

async function walk(ctx: Context, journey: Journey, state: JourneyPayload, read?: AnswerReader, transient: Transient = {}): Promise<StepResult> {
  for (let i = 0; i < MAX_NODES_PER_STEP; i++) {
    const node = journey.nodes.get(state.node)!
    if (node.type === 'Success') {
      await clearFailures(ctx, state.username!)
      return { kind: 'success', username: state.username!, acr: state.acr, amr: state.amr }
    }
    if (node.type === 'Failure' || state.step > MAX_STEPS) return failure(state)
    const callbacks = callbacksOf(node, state)
    let outcome: string
    if (callbacks.length === 0) {
      outcome = await decide(ctx, node, state, transient)
    } else if (read) {
      outcome = await answer(ctx, node, read(callbacks), state, transient)
      read = undefined
      state.step++
    } else {
      const authId = randomToken(32)
      await ctx.rt.store.upsert('Journey', await secretKey(authId), state, (ctx.nowSec + JOURNEY_STEP_LIFETIME_S) * 1000)
      const page = node.type === 'Page' ? node : undefined
      return {
        kind: 'step',
        authId,
        callbacks,
        ...(page?.header !== undefined && { header: page.header }),
        ...(page?.description !== undefined && { description: page.description }),
        ...(page?.stage !== undefined && { stage: page.stage }),
        ...(state.username !== undefined && { username: state.username }),
      }
    }
    state.node = next(journey, state.node, outcome)
  }
  return failure(state)
}

function failure(state: JourneyPayload): StepResult {
  return { kind: 'failure', ...(state.username !== undefined && { username: state.username }) }
}
