/**
 * A node that asks the user something; inside a {@link JourneyConfig} it names where each of
 * its outcomes leads, inside a `Page` the page does.
 *
 * @example
 * ```ts
 * const pick: CollectorNodeConfig = { type: 'ChoiceCollector', prompt: 'Send the code by', choices: ['email', 'sms'] }
 * const device: CollectorNodeConfig = { type: 'HiddenValue', id: 'clientScriptOutputData' }
 * ```
 */
export type CollectorNodeConfig =
  | { type: 'UsernameCollector' }
  | { type: 'PasswordCollector' }
  /** Asks to pick one of `choices`; each choice is an outcome of the same name. */
  | { type: 'ChoiceCollector'; prompt: string; choices: readonly string[]; default_choice?: number }
  /** Shows `message` with buttons: outcome `true` for `positive`, `false` for `negative` (if any). */
  | { type: 'Message'; message: string; positive?: string; negative?: string }
  /** A TOTP code (RFC 6238) checked against the user's `totp_secret`; outcomes `true`, `false`. */
  | { type: 'OneTimePassword' }
  /**
   * AM's HiddenValueCallback: sends `value` under the element id `id` for the client (a page
   * script, an SDK) to fill unseen; the string returned lands in the journey's shared state
   * under `id`. Outcome `outcome`.
   */
  | { type: 'HiddenValue'; id: string; value?: string }

/**
 * One node of a journey (an AM authentication tree), as AM's tree editor names them.
 * `outcomes` maps each outcome the node produces to the id of the next node.
 *
 * @example
 * ```ts
 * const decide: JourneyNodeConfig = { type: 'DataStoreDecision', outcomes: { true: 'ok', false: 'no' } }
 * ```
 */
export type JourneyNodeConfig =
  | (CollectorNodeConfig & { outcomes: Record<string, string> })
  /** Several collectors in one step; its outcomes are those of its last node. */
  | { type: 'Page'; header?: string; description?: string; stage?: string; nodes: readonly CollectorNodeConfig[]; outcomes: Record<string, string> }
  /** Checks the collected username and password against the realm's users: `true`, `false`. */
  | { type: 'DataStoreDecision'; outcomes: Record<string, string> }
  /**
   * Counts the user's failures: `retry` below `limit`, then `reject` and the account is locked
   * for `lockout_seconds` (every Data Store Decision and one-time password fails meanwhile).
   * A successful journey clears the count.
   */
  | { type: 'RetryLimit'; limit: number; lockout_seconds: number; outcomes: Record<string, string> }
  | { type: 'Success' }
  | { type: 'Failure' }

/**
 * A journey: nodes by id, the first one, and the `acr_values` that choose it at `authorize`.
 * Each realm has a `Login` journey (username and password) unless its config defines one.
 *
 * @example
 * ```ts
 * const login: JourneyConfig = {
 *   entry: 'page',
 *   nodes: {
 *     page: { type: 'Page', nodes: [{ type: 'UsernameCollector' }, { type: 'PasswordCollector' }], outcomes: { outcome: 'check' } },
 *     check: { type: 'DataStoreDecision', outcomes: { true: 'ok', false: 'no' } },
 *     ok: { type: 'Success' },
 *     no: { type: 'Failure' },
 *   },
 * }
 * ```
 */
export interface JourneyConfig {
  entry: string
  nodes: Record<string, JourneyNodeConfig>
  /** `acr_values` that choose this journey at `authorize`; the ID token's `acr` is the one asked for, else the first, else the journey's name. */
  acr_values?: readonly string[]
}

/** A journey checked at start: every outcome leads to a node, every node is reachable. */
export interface Journey {
  name: string
  entry: string
  nodes: Map<string, JourneyNodeConfig>
  acrValues: string[]
}
