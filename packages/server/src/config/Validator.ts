import { ConfigError } from '../base/errors.js'

/** Small typed checks that name the field they refuse. */
export class Validator {
  /** Refuses the value at `at`, for checks the methods below do not cover. */
  refuse(at: string, problem: string): never {
    throw new ConfigError(at, problem)
  }
  object(at: string, value: unknown): void {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ConfigError(at, 'must be an object')
  }
  /** Refuses every field of the object at `at` that is not in `known`: a typo is never accepted and ignored. */
  fields(at: string, value: object, known: Readonly<Record<string, true>>): void {
    for (const field of Object.keys(value)) {
      if (Object.hasOwn(known, field)) continue
      const near = nearest(field, Object.keys(known))
      throw new ConfigError(at === '' ? field : `${at}.${field}`, `is not a known setting${near ? `; did you mean ${near}?` : ''}`)
    }
  }
  string(at: string, value: unknown): string {
    if (typeof value !== 'string' || value === '') throw new ConfigError(at, 'must be a non-empty string')
    return value
  }
  optString(at: string, value: unknown): string | undefined {
    return value === undefined ? undefined : this.string(at, value)
  }
  optBool(at: string, value: unknown): boolean | undefined {
    if (value !== undefined && typeof value !== 'boolean') throw new ConfigError(at, 'must be true or false')
    return value
  }
  optNumber(at: string, value: unknown, min: number): number | undefined {
    if (value === undefined) return undefined
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
      throw new ConfigError(at, `must be an integer of at least ${min}`)
    }
    return value
  }
  oneOf<T extends string>(at: string, value: unknown, allowed: readonly T[]): T {
    if (!allowed.includes(value as T)) throw new ConfigError(at, `must be one of ${allowed.join(', ')}`)
    return value as T
  }
  optOneOf<T extends string>(at: string, value: unknown, allowed: readonly T[]): T | undefined {
    return value === undefined ? undefined : this.oneOf(at, value, allowed)
  }
  optArray(at: string, value: unknown): unknown[] {
    if (value === undefined) return []
    if (!Array.isArray(value)) throw new ConfigError(at, 'must be an array')
    return value
  }
}

/**
 * The known setting a typo most likely meant: the same letters in another case or separator
 * (`lockoutSeconds`, `basepath`), else at most two edits away (`acces_token_lifetime`).
 */
function nearest(field: string, known: string[]): string | undefined {
  const bare = (s: string) => s.toLowerCase().replace(/[^a-z0-9]/g, '')
  const same = known.find((k) => bare(k) === bare(field))
  if (same) return same
  let best: string | undefined
  let bestDistance = 3
  for (const k of known) {
    const d = editDistance(field, k)
    if (d < bestDistance) [best, bestDistance] = [k, d]
  }
  return best
}

/** Levenshtein distance, one row at a time. */
function editDistance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const next = [i]
    for (let j = 1; j <= b.length; j++) next[j] = Math.min(row[j]! + 1, next[j - 1]! + 1, row[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1))
    row = next
  }
  return row[b.length]!
}
