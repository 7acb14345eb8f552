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
      if (!Object.hasOwn(known, field)) throw new ConfigError(at === '' ? field : `${at}.${field}`, 'is not a known setting')
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
