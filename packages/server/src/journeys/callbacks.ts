import { OAuthError } from '../base/errors.js'

/** One callback of a step as the engine knows it: what it shows and what kind of answer it takes. */
export interface Callback {
  type: 'NameCallback' | 'PasswordCallback' | 'ChoiceCallback' | 'TextOutputCallback' | 'ConfirmationCallback' | 'HiddenValueCallback'
  output: { name: string; value: unknown }[]
  /** The answer before the user gives one; absent for callbacks that take none. */
  initial?: string | number
  /** Number of choices or options, for ChoiceCallback and ConfirmationCallback answers. */
  options?: number
}

/** A step's answers, one per callback (undefined for those that take none). */
export type Answers = (string | number | undefined)[]

/** AM's JSON form of a callback: inputs named `IDToken1`, `IDToken2`, ... across the step. */
export interface CallbackJson {
  type: string
  output: { name: string; value: unknown }[]
  input?: { name: string; value: unknown }[]
  _id: number
}

/** Field names of a step's answers, in AM's numbering: `IDToken<n>`, counting only callbacks that take one. */
export function inputNames(callbacks: Callback[]): (string | undefined)[] {
  let n = 0
  return callbacks.map((c) => (c.initial === undefined ? undefined : `IDToken${++n}`))
}

export function toJson(callbacks: Callback[]): CallbackJson[] {
  const names = inputNames(callbacks)
  return callbacks.map((c, i) => ({
    type: c.type,
    output: c.output,
    ...(names[i] !== undefined && { input: [{ name: names[i], value: c.initial }] }),
    _id: i,
  }))
}

function badInput(message: string): OAuthError {
  return new OAuthError('invalid_request', message, 400)
}

/** Checks one raw answer against its callback: text for Name, Password and HiddenValue, an index for the others. */
export function answerOf(callback: Callback, raw: unknown): string | number | undefined {
  if (callback.initial === undefined) return undefined
  if (typeof callback.initial === 'string') {
    if (typeof raw !== 'string') throw badInput(`The ${callback.type} answer must be a string`)
    return raw
  }
  const index = typeof raw === 'string' && /^\d{1,4}$/.test(raw) ? Number(raw) : raw
  if (typeof index !== 'number' || !Number.isInteger(index) || index < 0 || index >= callback.options!) {
    throw badInput(`The ${callback.type} answer must be the index of one of its ${callback.options} options`)
  }
  return index
}

/**
 * The answers in a step posted back as AM's JSON: the callbacks in the order and of the types
 * this step sent. Outputs and fields the client added (ForgeRock's SDK adds some) are ignored.
 */
export function answersFromJson(callbacks: Callback[], posted: unknown): Answers {
  if (!Array.isArray(posted) || posted.length !== callbacks.length) {
    throw badInput(`This step takes ${callbacks.length} callbacks`)
  }
  return callbacks.map((c, i) => {
    const p = posted[i] as Partial<CallbackJson> | null
    if (typeof p !== 'object' || p === null || p.type !== c.type) throw badInput(`Callback ${i} must be a ${c.type}`)
    if (c.initial === undefined) return undefined
    const input = Array.isArray(p.input) ? (p.input[0] as { value?: unknown } | undefined) : undefined
    return answerOf(c, input?.value)
  })
}

/**
 * Field names of a step on the sign-in page: AM's `IDToken<n>`, except that the first name and
 * password callbacks are `username` and `password`, so browsers and password managers fill them.
 */
export function formFieldNames(callbacks: Callback[]): (string | undefined)[] {
  const names = inputNames(callbacks)
  const aliases: Partial<Record<Callback['type'], string>> = { NameCallback: 'username', PasswordCallback: 'password' }
  return callbacks.map((c, i) => {
    const alias = aliases[c.type]
    if (alias === undefined || names[i] === undefined) return names[i]
    delete aliases[c.type]
    return alias
  })
}
