// The test SPA (main.ts) with an embedded sign-in: @realmauth/browser's journey client as an
// app would drive it, on `window.journey` for the test.
import './main.js'
import { AuthError, createJourneyClient, signInWithSession, type JourneyResult, type JourneyStep } from '@realmauth/browser'

declare global {
  interface Window {
    journey: JourneyApp
  }
}

/** What the page shows of a step: enough for the test to answer it. */
export interface StepView {
  type: 'step' | 'success' | 'error'
  stage?: string
  kinds?: string[]
  prompts?: string[]
  messages?: string[]
  error?: { code: string; message?: string }
}

export interface JourneyApp {
  step?: JourneyStep
  start(tree: string): Promise<StepView>
  answer(values: { name?: string; password?: string; choice?: string }): Promise<StepView>
  /** Alters the current step's authId, as a hostile script or a proxy might. */
  tamper(): void
}

let success: Extract<JourneyResult, { type: 'success' }> | undefined
const journeys = createJourneyClient(window.app.client)

async function view(pending: Promise<JourneyResult>): Promise<StepView> {
  try {
    const result = await pending
    if (result.type === 'success') {
      success = result
      window.journey.step = undefined
      // The session is there: tokens through the code flow with prompt=none (the page leaves).
      void signInWithSession(window.app.client, success)
      return { type: 'success' }
    }
    window.journey.step = result
    return {
      type: 'step',
      ...(result.stage !== undefined && { stage: result.stage }),
      kinds: result.callbacks.map((cb) => cb.kind),
      prompts: result.callbacks.flatMap((cb) => ('prompt' in cb ? [cb.prompt] : [])),
      messages: result.callbacks.flatMap((cb) => (cb.kind === 'text' ? [cb.message] : [])),
    }
  } catch (err) {
    return { type: 'error', error: err instanceof AuthError ? { code: err.code, ...(err.error_description !== undefined && { message: err.error_description }) } : { code: String(err) } }
  }
}

window.journey = {
  start: (tree) => view(journeys.start(tree)),
  answer(values) {
    const step = window.journey.step!
    for (const cb of step.callbacks) {
      if (cb.kind === 'name' && values.name !== undefined) cb.setName(values.name)
      else if (cb.kind === 'password' && values.password !== undefined) cb.setPassword(values.password)
      else if (cb.kind === 'choice' && values.choice !== undefined) cb.choose(values.choice)
    }
    return view(journeys.next(step))
  },
  tamper() {
    const step = window.journey.step!
    step.payload.authId = step.payload.authId.replace(/^./, (c) => (c === 'e' ? 'f' : 'e'))
  },
}
