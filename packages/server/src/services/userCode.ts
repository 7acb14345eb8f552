/**
 * The code a user types on a second screen for the device grant (RFC 8628): made by
 * `device/code`, looked up by `device/user`.
 */

/** RFC 8628 section 6.1: no vowels (no words), no look-alikes. */
const USER_CODE_ALPHABET = 'BCDFGHJKLMNPQRSTVWXZ'

/** A new eight-letter user code. */
export function newUserCode(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(8))
  // 256 is not a multiple of 20: rejection would be exact, but the bias of 16/256 on a
  // code that lives five minutes and allows no guessing loop is immaterial.
  return Array.from(bytes, (b) => USER_CODE_ALPHABET[b % USER_CODE_ALPHABET.length]).join('')
}

/** Uppercase letters of the alphabet only: `bcdf-ghjk`, `BCDF GHJK` and `BCDFGHJK` are one code. */
export function normalizeUserCode(input: string): string {
  return input.toUpperCase().replace(/[^A-Z]/g, '')
}
