import { useState, type ComponentType, type ReactElement, type ReactNode } from 'react'
import type { JourneyCallback } from '@realmauth/browser'
import { useJourney, type JourneyState, type UseJourneyOptions } from './useJourney.js'

/** Props every callback component gets: its callback, typed by kind, and the journey. */
export interface CallbackProps<K extends JourneyCallback['kind'] = JourneyCallback['kind']> {
  callback: Extract<JourneyCallback, { kind: K }>
  journey: JourneyState
}

/** One component per callback kind, each optional: the defaults render the rest. */
export type CallbackComponents = { [K in JourneyCallback['kind']]?: ComponentType<CallbackProps<K>> }

/** Props of {@link Journey}. */
export interface JourneyProps extends UseJourneyOptions {
  /** Replace the default rendering of any callback kind. */
  components?: CallbackComponents
  /** The submit button's label. Default `Continue`. */
  submitLabel?: ReactNode
  /** How the error is shown. Default: a `role="alert"` paragraph with AM's message. */
  renderError?: (journey: JourneyState) => ReactNode
}

/** A text field bound to one input of `callback`, reset when a new step brings a new callback. */
function Field({ label, type, autoComplete, initial, onChange }: { label: string; type: string; autoComplete: string; initial: unknown; onChange: (v: string) => void }) {
  const [value, setValue] = useState(typeof initial === 'string' ? initial : '')
  return (
    <label>
      {label}
      <input
        type={type}
        value={value}
        autoComplete={autoComplete}
        onChange={(e) => {
          setValue(e.target.value)
          onChange(e.target.value)
        }}
      />
    </label>
  )
}

function ChoiceField({ callback }: CallbackProps<'choice'>) {
  const [chosen, setChosen] = useState(Number(callback.input() ?? callback.defaultChoice))
  return (
    <fieldset>
      <legend>{callback.prompt}</legend>
      {callback.choices.map((choice, i) => (
        <label key={choice}>
          <input
            type="radio"
            checked={chosen === i}
            onChange={() => {
              setChosen(i)
              callback.choose(i)
            }}
          />
          {choice}
        </label>
      ))}
    </fieldset>
  )
}

/** A key per step object: a new step's fields start empty, not with the last step's text. */
const stepKeys = /* @__PURE__ */ new WeakMap<object, number>()
let nextStepKey = 0
const keyOf = (step: object | undefined) => {
  if (!step) return 0
  if (!stepKeys.has(step)) stepKeys.set(step, ++nextStepKey)
  return stepKeys.get(step)!
}

// A one-time code's field lets the phone offer the code from a message.
const ONE_TIME = /one[ -]?time|otp|verification code|\bcode\b/i

const DEFAULTS: Required<CallbackComponents> = {
  name: ({ callback }) => <Field label={callback.prompt} type="text" autoComplete="username" initial={callback.input()} onChange={(v) => callback.setName(v)} />,
  password: ({ callback }) => (
    <Field
      label={callback.prompt}
      type="password"
      autoComplete={ONE_TIME.test(callback.prompt) ? 'one-time-code' : 'current-password'}
      initial={callback.input()}
      onChange={(v) => callback.setPassword(v)}
    />
  ),
  choice: ChoiceField,
  // Each option is a button that answers and submits, as AM's own pages render it.
  confirmation: ({ callback, journey }) => (
    <div role="group" aria-label={callback.prompt || undefined}>
      {callback.options.map((option, i) => (
        <button
          key={option}
          type="button"
          disabled={journey.pending}
          onClick={() => {
            callback.confirm(i)
            void journey.submit()
          }}
        >
          {option}
        </button>
      ))}
    </div>
  ),
  text: ({ callback }) => (callback.messageType === 'script' ? null : <p role={callback.messageType === 'error' ? 'alert' : undefined}>{callback.message}</p>),
  hidden: () => null,
  other: ({ callback }) => <p data-callback-type={callback.type}>This sign-in step ({callback.type}) needs a component of its own.</p>,
}

/**
 * An unstyled embedded sign-in form: runs the journey with {@link useJourney} and renders
 * each step's callbacks with the default components, or yours (`components`), one callback
 * kind at a time. After success it signs in with `prompt=none` unless `onSuccess` says otherwise.
 *
 * @example
 * ```tsx
 * <Journey
 *   journey="Login"
 *   components={{ password: ({ callback }) => <input type="password" aria-label={callback.prompt} onChange={(e) => callback.setPassword(e.target.value)} /> }}
 * />
 * ```
 */
export function Journey(props: JourneyProps): ReactElement {
  const { components = {}, submitLabel = 'Continue', renderError, ...options } = props
  const journey = useJourney(options)
  const { step, callbacks, error, pending } = journey
  const needsSubmit = !callbacks.some((cb) => cb.kind === 'confirmation')
  return (
    <form
      aria-busy={pending}
      onSubmit={(e) => {
        e.preventDefault()
        void journey.submit()
      }}
    >
      {step?.header ? <h2>{step.header}</h2> : null}
      {step?.description ? <p>{step.description}</p> : null}
      {callbacks.map((callback, i) => {
        const Component = (components[callback.kind] ?? DEFAULTS[callback.kind]) as ComponentType<CallbackProps>
        return <Component key={`${keyOf(step)}:${i}`} callback={callback} journey={journey} />
      })}
      {error ? (renderError ? renderError(journey) : <p role="alert">{error.error_description ?? error.message}</p>) : null}
      {step && needsSubmit ? (
        <button type="submit" disabled={pending}>
          {submitLabel}
        </button>
      ) : null}
    </form>
  )
}
