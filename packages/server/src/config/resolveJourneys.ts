import type { CollectorNodeConfig, Journey, JourneyConfig, JourneyNodeConfig } from '../model/index.js'
import type { Validator } from './Validator.js'

/** Today's username and password sign-in as a journey: the default `Login` of every realm. */
export const DEFAULT_LOGIN: JourneyConfig = {
  entry: 'credentials',
  nodes: {
    credentials: { type: 'Page', nodes: [{ type: 'UsernameCollector' }, { type: 'PasswordCollector' }], outcomes: { outcome: 'check' } },
    check: { type: 'DataStoreDecision', outcomes: { true: 'success', false: 'failure' } },
    success: { type: 'Success' },
    failure: { type: 'Failure' },
  },
}

const COLLECTORS = ['UsernameCollector', 'PasswordCollector', 'ChoiceCollector', 'Message', 'OneTimePassword', 'HiddenValue'] as const
const NODE_TYPES = [...COLLECTORS, 'Page', 'DataStoreDecision', 'RetryLimit', 'Success', 'Failure'] as const

type AnyNode = JourneyNodeConfig | CollectorNodeConfig
/** Each node type's settings besides `type` and `outcomes`; the compiler keeps it equal to the model. */
const NODE_FIELDS: { [T in AnyNode['type']]: Record<Exclude<keyof Extract<AnyNode, { type: T }>, 'type' | 'outcomes'>, true> } = {
  UsernameCollector: {},
  PasswordCollector: {},
  ChoiceCollector: { prompt: true, choices: true, default_choice: true },
  Message: { message: true, positive: true, negative: true },
  OneTimePassword: {},
  HiddenValue: { id: true, value: true },
  Page: { header: true, description: true, stage: true, nodes: true },
  DataStoreDecision: {},
  RetryLimit: { limit: true, lockout_seconds: true },
  Success: {},
  Failure: {},
}

/**
 * Refuses a node field its type does not have (a typo such as `lockoutSeconds` would
 * otherwise leave a default in force unseen). A node in a Page has no outcomes of its own.
 */
function checkFields(v: Validator, at: string, node: AnyNode, withOutcomes: boolean): void {
  v.fields(at, node, { type: true, ...(withOutcomes && { outcomes: true }), ...NODE_FIELDS[node.type] })
}

/** The outcomes a node can have, in the order a tree editor lists them. */
export function outcomesOf(node: JourneyNodeConfig | CollectorNodeConfig): string[] {
  switch (node.type) {
    case 'UsernameCollector':
    case 'PasswordCollector':
    case 'HiddenValue':
      return ['outcome']
    case 'ChoiceCollector':
      return [...node.choices]
    case 'Message':
      return node.negative === undefined ? ['true'] : ['true', 'false']
    case 'OneTimePassword':
    case 'DataStoreDecision':
      return ['true', 'false']
    case 'RetryLimit':
      return ['retry', 'reject']
    case 'Page':
      return outcomesOf(node.nodes[node.nodes.length - 1]!)
    case 'Success':
    case 'Failure':
      return []
  }
}

/** Checks a realm's `journeys` (at `at`) and adds the default `Login`; throws {@link ConfigError}. */
export function resolveJourneys(v: Validator, at: string, journeys: unknown): Map<string, Journey> {
  const out = new Map<string, Journey>()
  if (journeys !== undefined) v.object(at, journeys)
  const entries = Object.entries((journeys ?? {}) as Record<string, unknown>)
  if (!entries.some(([name]) => name === 'Login')) entries.unshift(['Login', DEFAULT_LOGIN])
  const acrOwner = new Map<string, string>()
  for (const [name, config] of entries) {
    const journey = resolveJourney(v, `${at}.${name}`, name, config)
    journey.acrValues.forEach((acr, i) => {
      if (acrOwner.has(acr)) v.refuse(`${at}.${name}.acr_values[${i}]`, `'${acr}' already chooses journey '${acrOwner.get(acr)}'`)
      acrOwner.set(acr, name)
    })
    out.set(name, journey)
  }
  return out
}

function resolveJourney(v: Validator, at: string, name: string, config: unknown): Journey {
  v.object(at, config)
  v.fields(at, config as object, { entry: true, nodes: true, acr_values: true } satisfies Record<keyof Required<JourneyConfig>, true>)
  const c = config as JourneyConfig
  v.object(`${at}.nodes`, c.nodes)
  const nodes = new Map(Object.entries(c.nodes))
  const entry = v.string(`${at}.entry`, c.entry)
  if (!nodes.has(entry)) v.refuse(`${at}.entry`, `names no node of this journey`)
  for (const [id, node] of nodes) checkNode(v, `${at}.nodes.${id}`, node, nodes)
  const reached = new Set([entry])
  for (const id of reached) for (const next of Object.values(outcomeTargets(nodes.get(id)!))) reached.add(next)
  for (const id of nodes.keys()) {
    if (!reached.has(id)) v.refuse(`${at}.nodes.${id}`, `no outcome leads here from the entry '${entry}'`)
  }
  const acrValues = v.optArray(`${at}.acr_values`, c.acr_values).map((a, i) => v.string(`${at}.acr_values[${i}]`, a))
  return { name, entry, nodes, acrValues }
}

function outcomeTargets(node: JourneyNodeConfig): Record<string, string> {
  return 'outcomes' in node ? node.outcomes : {}
}

function checkNode(v: Validator, at: string, node: JourneyNodeConfig, nodes: Map<string, JourneyNodeConfig>): void {
  v.object(at, node)
  v.oneOf(`${at}.type`, node.type, NODE_TYPES)
  checkFields(v, at, node, true)
  if (node.type === 'Page') {
    v.optString(`${at}.header`, node.header)
    v.optString(`${at}.description`, node.description)
    v.optString(`${at}.stage`, node.stage)
    const children = v.optArray(`${at}.nodes`, node.nodes)
    if (children.length === 0) v.refuse(`${at}.nodes`, 'a Page holds at least one node')
    children.forEach((child, i) => {
      checkCollector(v, `${at}.nodes[${i}]`, child)
      checkFields(v, `${at}.nodes[${i}]`, child as CollectorNodeConfig, false)
      const last = i === children.length - 1
      if (!last && outcomesOf(child as CollectorNodeConfig).length !== 1) {
        v.refuse(`${at}.nodes[${i}]`, 'only the last node of a Page may have more than one outcome')
      }
    })
  } else if ((COLLECTORS as readonly string[]).includes(node.type)) {
    checkCollector(v, at, node)
  } else if (node.type === 'RetryLimit') {
    v.optNumber(`${at}.limit`, node.limit ?? 0, 1)
    v.optNumber(`${at}.lockout_seconds`, node.lockout_seconds ?? 0, 1)
  }
  const produced = outcomesOf(node)
  if (produced.length === 0) {
    if ('outcomes' in node) v.refuse(`${at}.outcomes`, `a ${node.type} node ends the journey and has no outcomes`)
    return
  }
  v.object(`${at}.outcomes`, (node as { outcomes?: unknown }).outcomes)
  const outcomes = outcomeTargets(node)
  for (const o of produced) {
    if (outcomes[o] === undefined) v.refuse(`${at}.outcomes.${o}`, `is missing: say where outcome '${o}' leads`)
  }
  for (const [o, target] of Object.entries(outcomes)) {
    if (!produced.includes(o)) {
      v.refuse(`${at}.outcomes.${o}`, `a ${node.type} node never has outcome '${o}' (it has ${produced.join(', ')})`)
    }
    if (typeof target !== 'string' || !nodes.has(target)) v.refuse(`${at}.outcomes.${o}`, `names no node of this journey`)
  }
}

function checkCollector(v: Validator, at: string, node: unknown): void {
  v.object(at, node)
  const c = node as CollectorNodeConfig
  v.oneOf(`${at}.type`, c.type, COLLECTORS)
  if (c.type === 'ChoiceCollector') {
    v.string(`${at}.prompt`, c.prompt)
    const choices = v.optArray(`${at}.choices`, c.choices).map((s, i) => v.string(`${at}.choices[${i}]`, s))
    if (choices.length === 0 || new Set(choices).size !== choices.length) {
      v.refuse(`${at}.choices`, 'must be a non-empty list of distinct choices')
    }
    const d = v.optNumber(`${at}.default_choice`, c.default_choice, 0)
    if (d !== undefined && d >= choices.length) v.refuse(`${at}.default_choice`, 'must be the index of a choice')
  } else if (c.type === 'Message') {
    v.string(`${at}.message`, c.message)
    v.optString(`${at}.positive`, c.positive)
    v.optString(`${at}.negative`, c.negative)
  } else if (c.type === 'HiddenValue') {
    v.string(`${at}.id`, c.id)
    v.optString(`${at}.value`, c.value)
  }
}
