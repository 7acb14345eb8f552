import { useCallback, useEffect, useMemo, useRef, useState } from 'react'
import { AuthError, createJourneyClient, signInWithSession, type JourneyCallback, type JourneyResult, type JourneyStep, type JourneySuccess } from '@realmauth/browser'
import { useAuthSnapshot } from './useAuth.js'

/** Options of {@link useJourney}. */
export interface UseJourneyOptions {
  /** The journey (AM tree) to run, `Login` by default. Read when a journey starts. */
  journey?: string
  /** Start on mount. Default true; otherwise call `restart()`. */
  autoStart?: boolean
  /**
   * What to do with the session once the journey succeeds. Default: `signInWithSession`,
   * the code flow with `prompt=none` by redirect (decisions/0024).
   */
  onSuccess?: (success: JourneySuccess) => void | Promise<void>
}

/**
 * What {@link useJourney} returns.
 *
 * @example
 * ```tsx
 * function Fields({ journey }: { journey: JourneyState }) {
 *   return <p>{journey.callbacks.length} fields, {journey.pending ? 'sending' : 'ready'}</p>
 * }
 * ```
 */
export interface JourneyState {
  /** The step to render; undefined before the first answer and after success. */
  step: JourneyStep | undefined
  /** The step's callbacks (an empty array without a step). Answer them, then `submit()`. */
  callbacks: JourneyCallback[]
  /** Sends the current step's answers. */
  submit(): Promise<void>
  /** Starts the journey afresh. */
  restart(): Promise<void>
  /**
   * The last failure. After `journey_failed`, `journey_expired` or `account_locked` a fresh
   * journey is started at once (the old step cannot be sent again) and the error stays until
   * the next submit; after a network error the step stays, to be sent again.
   */
  error: AuthError | undefined
  /** A request is on its way. */
  pending: boolean
  /** The journey succeeded (and `onSuccess` was called). */
  success: JourneySuccess | undefined
}

const JOURNEY_OVER = new Set(['journey_failed', 'journey_expired', 'account_locked'])

const asAuthError = (err: unknown): AuthError =>
  err instanceof AuthError ? err : new AuthError('invalid_response', `Journey: ${String(err)}`, { cause: err })

/**
 * Runs an AM journey for an embedded sign-in form, with the client of the nearest
 * `AuthProvider`. Render `callbacks` (or use {@link Journey}), answer them, call `submit()`.
 *
 * @example
 * ```tsx
 * function SignIn() {
 *   const { callbacks, submit, error, pending } = useJourney({ journey: 'Login' })
 *   return (
 *     <form onSubmit={(e) => { e.preventDefault(); void submit() }}>
 *       {callbacks.map((cb, i) =>
 *         cb.kind === 'name' ? <input key={i} placeholder={cb.prompt} onChange={(e) => cb.setName(e.target.value)} />
 *         : cb.kind === 'password' ? <input key={i} type="password" placeholder={cb.prompt} onChange={(e) => cb.setPassword(e.target.value)} />
 *         : null)}
 *       {error && <p role="alert">{error.message}</p>}
 *       <button disabled={pending}>Sign in</button>
 *     </form>
 *   )
 * }
 * ```
 */
export function useJourney(options: UseJourneyOptions = {}): JourneyState {
  const { client } = useAuthSnapshot()
  const journeys = useMemo(() => createJourneyClient(client), [client])
  const [state, setState] = useState<{ step?: JourneyStep; error?: AuthError; pending: boolean; success?: JourneySuccess }>({ pending: false })
  const latest = useRef(options)
  const stepRef = useRef<JourneyStep | undefined>(undefined)
  const started = useRef(false)
  useEffect(() => {
    latest.current = options
  })

  const settle = useCallback(
    async (pending: Promise<JourneyResult>, carry: { retry?: JourneyStep; error?: AuthError } = {}): Promise<void> => {
      setState((s) => ({ ...s, pending: true }))
      let result: JourneyResult
      try {
        result = await pending
      } catch (err) {
        const failure = asAuthError(err)
        if (JOURNEY_OVER.has(failure.code)) {
          // The step is dead at AM: show the error over a fresh first step.
          stepRef.current = undefined
          setState({ pending: false, error: failure })
          return settle(journeys.start(latest.current.journey ?? 'Login'), { error: failure })
        }
        // AM never saw it, or could not answer: the same step can be sent again.
        stepRef.current = carry.retry
        setState((s) => ({ ...s, pending: false, error: failure }))
        return
      }
      if (result.type === 'step') {
        stepRef.current = result
        setState({ step: result, pending: false, ...(carry.error && { error: carry.error }) })
        return
      }
      stepRef.current = undefined
      setState({ pending: false, success: result })
      try {
        await (latest.current.onSuccess ?? ((success: JourneySuccess) => signInWithSession(client, success)))(result)
      } catch (err) {
        setState({ pending: false, success: result, error: asAuthError(err) })
      }
    },
    [client, journeys],
  )

  const restart = useCallback(() => settle(journeys.start(latest.current.journey ?? 'Login')), [journeys, settle])
  const submit = useCallback(async () => {
    const step = stepRef.current
    if (!step) return
    // A step is sent once: a double click must not send it twice.
    stepRef.current = undefined
    setState((s) => ({ step: s.step, pending: true }))
    await settle(journeys.next(step), { retry: step })
  }, [journeys, settle])

  useEffect(() => {
    // Once per mounted hook, StrictMode's second effect run included: each start is a new AM session.
    if (started.current || latest.current.autoStart === false) return
    started.current = true
    void restart()
  }, [restart])

  return useMemo(
    () => ({
      step: state.step,
      callbacks: state.step?.callbacks ?? [],
      submit,
      restart,
      error: state.error,
      pending: state.pending,
      success: state.success,
    }),
    [state, submit, restart],
  )
}
