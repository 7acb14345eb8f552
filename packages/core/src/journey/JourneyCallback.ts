/** A callback as AM sends it in a journey step (`callbacks[]` of the authenticate answer). */
export interface RawCallback {
  type: string
  output: { name: string; value: unknown }[]
  input?: { name: string; value: unknown }[]
  _id?: number
  [field: string]: unknown
}

/**
 * What a step asks for. AM's callback `type` stays in `type`; `kind` names the ones this
 * SDK reads for you, so `switch (cb.kind)` narrows to a class with readable accessors.
 * Anything else is `other`: read `output()`, answer with `setInput()`.
 */
export type JourneyCallback =
  | NameCallback
  | PasswordCallback
  | ChoiceCallback
  | ConfirmationCallback
  | TextOutputCallback
  | HiddenValueCallback
  | GenericCallback

/**
 * Any callback: AM's JSON (answers are written into a copy of it, so a step can be
 * re-rendered and submitted again) and generic access to outputs and inputs.
 *
 * @example
 * ```ts
 * const result = await new JourneyClient({ issuer }).start('Registration')
 * const cb = result.type === 'step' ? result.callbacks.find((c) => c.type === 'KbaCreateCallback') : undefined
 * if (cb) {
 *   console.log(cb.output('prompt'))
 *   cb.setInput('Blue', 0)
 * }
 * ```
 */
export abstract class BaseCallback {
  abstract readonly kind: JourneyCallback['kind']
  readonly raw: RawCallback

  constructor(raw: RawCallback) {
    this.raw = raw
  }

  /** AM's callback type, `NameCallback`, `ValidatedCreatePasswordCallback`, ... */
  get type(): string {
    return this.raw.type
  }

  /** The output value called `name` (`prompt`, `choices`, `message`, ...). */
  output(name: string): unknown {
    return this.raw.output.find((o) => o.name === name)?.value
  }

  /** The value of the input at `index` (inputs are `IDToken1`, `IDToken1validateOnly`, ...). */
  input(index = 0): unknown {
    return this.raw.input?.[index]?.value
  }

  /** Answers the input at `index`, or the one whose name ends with `index` when it is a string. */
  setInput(value: unknown, index: number | string = 0): void {
    const inputs = this.raw.input ?? []
    const target = typeof index === 'number' ? inputs[index] : inputs.find((i) => i.name.endsWith(index))
    if (!target) throw new RangeError(`${this.raw.type} has no input ${String(index)}`)
    target.value = value
  }

  protected text(name: string): string {
    const value = this.output(name)
    return typeof value === 'string' ? value : ''
  }

  protected list(name: string): string[] {
    const value = this.output(name)
    return Array.isArray(value) ? value.map(String) : []
  }

  /** Answers with the index of `pick` (an index or a label) in `labels`. */
  protected pick(labels: string[], pick: number | string): void {
    const index = typeof pick === 'number' ? pick : labels.indexOf(pick)
    if (index < 0 || index >= labels.length) throw new RangeError(`${String(pick)} is not one of ${labels.join(', ')}`)
    this.setInput(index)
  }
}

/** Asks for a user name (AM's Username Collector, or any text field). */
export class NameCallback extends BaseCallback {
  readonly kind = 'name' as const
  get prompt(): string {
    return this.text('prompt')
  }
  setName(name: string): void {
    this.setInput(name)
  }
}

/** Asks for a secret: a password, or a one-time code (AM's OATH/OTP nodes). */
export class PasswordCallback extends BaseCallback {
  readonly kind = 'password' as const
  get prompt(): string {
    return this.text('prompt')
  }
  setPassword(password: string): void {
    this.setInput(password)
  }
}

/** Asks to pick one of `choices` (AM's Choice Collector). */
export class ChoiceCallback extends BaseCallback {
  readonly kind = 'choice' as const
  get prompt(): string {
    return this.text('prompt')
  }
  get choices(): string[] {
    return this.list('choices')
  }
  get defaultChoice(): number {
    return Number(this.output('defaultChoice') ?? 0)
  }
  /** Picks by index or by the choice's label. */
  choose(choice: number | string): void {
    this.pick(this.choices, choice)
  }
}

/** Asks to confirm with one of `options` ("Submit", "Use a recovery code", ...). */
export class ConfirmationCallback extends BaseCallback {
  readonly kind = 'confirmation' as const
  get prompt(): string {
    return this.text('prompt')
  }
  get options(): string[] {
    return this.list('options')
  }
  get defaultOption(): number {
    return Number(this.output('defaultOption') ?? 0)
  }
  /** Picks by index or by the option's label. */
  confirm(option: number | string): void {
    this.pick(this.options, option)
  }
}

const MESSAGE_TYPES = { 0: 'information', 1: 'warning', 2: 'error', 4: 'script' } as const

/** Something to show: a message node, a warning, an error after a wrong code. */
export class TextOutputCallback extends BaseCallback {
  readonly kind = 'text' as const
  get message(): string {
    return this.text('message')
  }
  /** AM's `messageType`: 0 information, 1 warning, 2 error, 4 a script (never run by this SDK). */
  get messageType(): 'information' | 'warning' | 'error' | 'script' {
    return MESSAGE_TYPES[Number(this.output('messageType')) as keyof typeof MESSAGE_TYPES] ?? 'information'
  }
}

/** A value the journey passes through the client unseen (device data, a nonce). */
export class HiddenValueCallback extends BaseCallback {
  readonly kind = 'hidden' as const
  get id(): string {
    return this.text('id')
  }
  get value(): string {
    return this.text('value')
  }
  setValue(value: string): void {
    this.setInput(value)
  }
}

/** A callback type this SDK has no class for: read `output()`, answer `setInput()`. */
export class GenericCallback extends BaseCallback {
  readonly kind = 'other' as const
}

const CLASSES: Record<string, new (raw: RawCallback) => JourneyCallback> = {
  NameCallback,
  PasswordCallback,
  ChoiceCallback,
  ConfirmationCallback,
  TextOutputCallback,
  HiddenValueCallback,
}

/** The typed view of one raw callback; unknown types are {@link GenericCallback}. */
export function toJourneyCallback(raw: RawCallback): JourneyCallback {
  const Class = CLASSES[raw.type] ?? GenericCallback
  return new Class(raw)
}
