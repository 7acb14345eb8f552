/** Answers to the provider's journey steps, shared by the client, node and React tests. */
import { expect } from 'vitest'
import { AuthError, type JourneyResult, type JourneyStep } from '@realmauth/core'
import { JOURNEY_USER } from './journeyProvider.js'

export function asStep(result: JourneyResult): JourneyStep {
  if (result.type !== 'step') throw new Error(`expected a step, got ${result.type}`)
  return result
}

/** Fills user name and password, whatever the step calls them. */
export function credentials(step: JourneyStep, password = JOURNEY_USER.password): JourneyStep {
  for (const cb of step.callbacks) {
    if (cb.kind === 'name') cb.setName(JOURNEY_USER.username)
    else if (cb.kind === 'password') cb.setPassword(password)
  }
  return step
}

export function code(step: JourneyStep, value: string): JourneyStep {
  const otp = step.callbacks.find((cb) => cb.kind === 'password')
  if (otp?.kind !== 'password') throw new Error('no code field')
  otp.setPassword(value)
  return step
}

export async function rejection(promise: Promise<unknown>): Promise<AuthError> {
  const err = await promise.then(() => undefined, (e: unknown) => e)
  expect(err).toBeInstanceOf(AuthError)
  return err as AuthError
}

