import { AuthError } from './AuthError.js'

/**
 * The `clockTolerance` option, checked once at construction: a NaN or a string (an unset
 * environment variable, `Number(undefined)`) would make every time check compare false, and
 * oauth4webapi and jose would each read it their own way.
 */
export function clockToleranceOption(value: unknown, fallback: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new AuthError('configuration_error', `clockTolerance must be a number of seconds, 0 or more; got ${String(value)}`)
  }
  return value
}
