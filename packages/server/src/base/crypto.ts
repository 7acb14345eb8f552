// Runtime-neutral crypto helpers: WebCrypto only, so the provider runs the same in
// Node, in msw's in-process path and in a browser service worker.

const encoder = new TextEncoder()

interface NodeBufferLike {
  toString(encoding: string): string
  readonly buffer: ArrayBuffer
  readonly byteOffset: number
  readonly byteLength: number
}
/** Node's native encoder when present (every token response encodes three JWT parts). */
const NodeBuffer = (globalThis as { Buffer?: { from(b: ArrayBufferLike | string, offsetOrEncoding?: number | string, length?: number): NodeBufferLike } }).Buffer

/** Encodes bytes as base64url without padding (RFC 7515 section 2). */
export function base64url(input: Uint8Array | ArrayBuffer | string): string {
  if (NodeBuffer) {
    // A view over the same memory, and UTF-8 straight from the string: no copy either way.
    if (typeof input === 'string') return NodeBuffer.from(input).toString('base64url')
    if (input instanceof Uint8Array) return NodeBuffer.from(input.buffer, input.byteOffset, input.byteLength).toString('base64url')
    return NodeBuffer.from(input).toString('base64url')
  }
  const bytes =
    typeof input === 'string' ? encoder.encode(input) : input instanceof Uint8Array ? input : new Uint8Array(input)
  let binary = ''
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000))
  }
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}

/** Decodes base64url (padding optional); throws on characters outside the alphabet. */
export function base64urlDecode(input: string): Uint8Array<ArrayBuffer> {
  // A length of 4n+1 encodes no whole byte: atob refuses it, and so does this on every runtime.
  if (!/^[A-Za-z0-9_-]*$/.test(input) || input.length % 4 === 1) throw new TypeError('invalid base64url')
  if (NodeBuffer) {
    // Checked above, so Node's lenient decoder sees only what atob would accept; a view, not a copy.
    const bytes = NodeBuffer.from(input, 'base64url')
    return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  }
  return base64Decode(input.replace(/-/g, '+').replace(/_/g, '/') + '==='.slice((input.length + 3) % 4))
}

/** Decodes standard base64 through `atob` (its forgiving rules); throws where `atob` does. */
export function base64Decode(input: string): Uint8Array<ArrayBuffer> {
  const binary = atob(input)
  const out = new Uint8Array(binary.length)
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i)
  return out
}

/**
 * CSPRNG bytes drawn in one `getRandomValues` call per 4 KiB instead of one per id (a token
 * response takes three or four ids). Each byte is handed out once; the pool is this module's
 * alone and refilled, never reused.
 */
const POOL_BYTES = 4096
const pool = new Uint8Array(POOL_BYTES)
let poolOffset = POOL_BYTES

/** A random, URL-safe token carrying `bytes` bytes of CSPRNG entropy. */
export function randomToken(bytes = 32): string {
  if (bytes > POOL_BYTES) return base64url(crypto.getRandomValues(new Uint8Array(bytes)))
  if (poolOffset + bytes > POOL_BYTES) {
    crypto.getRandomValues(pool)
    poolOffset = 0
  }
  const token = base64url(pool.subarray(poolOffset, poolOffset + bytes))
  poolOffset += bytes
  return token
}

/**
 * Synchronous primitives a runtime adapter may install (the node adapter does, from
 * node:crypto): the same results as WebCrypto without its per-call job dispatch, which costs
 * more than a SHA-256 of a short secret or an ECDSA signature itself (decision 0071). This
 * module stays runtime-neutral: nothing here imports a runtime's own crypto.
 */
export interface NativeCrypto {
  sha256(data: string | Uint8Array): Uint8Array<ArrayBuffer>
  /** A signature over `data` (now, or from a thread pool), or undefined to leave this algorithm to WebCrypto. */
  /**
   * Keys come as the JWKs the provider imported: its private CryptoKeys are not extractable,
   * and Node 24 deprecates making a `KeyObject` from such a key (DEP0204).
   */
  sign(alg: 'RS256' | 'ES256', privateJwk: Record<string, unknown>, data: string): Uint8Array | Promise<Uint8Array> | undefined
  verify(alg: 'RS256' | 'ES256', publicJwk: Record<string, unknown>, data: string, signature: Uint8Array): boolean
}

let native: NativeCrypto | undefined

/** Installs the runtime's synchronous primitives for every provider in this process. */
export function useNativeCrypto(primitives: NativeCrypto): void {
  native = primitives
}

/** The installed synchronous primitives, if any. */
export function nativeCrypto(): NativeCrypto | undefined {
  return native
}

/** SHA-256 of a string or bytes. */
export async function sha256(input: string | Uint8Array<ArrayBuffer>): Promise<Uint8Array<ArrayBuffer>> {
  if (native) return native.sha256(input)
  const data = typeof input === 'string' ? encoder.encode(input) : input
  return new Uint8Array(await crypto.subtle.digest('SHA-256', data))
}

/**
 * Store keys for bearer secrets (codes, refresh tokens, sessions, device codes): a leaked
 * store then holds nothing a caller could present.
 */
export async function secretKey(token: string): Promise<string> {
  return base64url(await sha256(token))
}

/**
 * Milliseconds as 10 digits of `Number#toString(32)` (lowercase base32hex, 50 bits: past the
 * year 37000). Fixed-width numbers in these digits sort as the numbers do, byte by byte
 * (SQLite) and under a database's language collation (PostgreSQL), which may order
 * punctuation or case apart from the bytes.
 */
const TIME_CHARS = 10
/** A {@link timeOrderedToken} of 32 random bytes, the only kind {@link timeOrderedKey} keeps the time of. */
const TIME_ORDERED_SECRET = /^[0-9a-v]{10}[A-Za-z0-9_-]{43}$/

/**
 * A random token (`bytes` of CSPRNG entropy, as {@link randomToken}) after the time `nowMs`
 * (milliseconds since the epoch) to the millisecond, so that a token made later sorts after
 * one made earlier: a store keyed by it (or by {@link timeOrderedKey} of it) adds rows at the
 * right edge of its B-trees, where the recent pages already are, however many older rows it
 * holds (decision 0077). The time is no secret: the tokens handed out with it say as much.
 */
export function timeOrderedToken(nowMs: number, bytes = 32): string {
  return Math.max(0, Math.floor(nowMs)).toString(32).padStart(TIME_CHARS, '0') + randomToken(bytes)
}

/**
 * The store key of a bearer secret the provider minted with {@link timeOrderedToken}: its
 * time, then {@link secretKey} of the whole secret, so the key sorts as the token does and the
 * store still holds nothing a caller could present. Any other secret (one minted before
 * decision 0077, or made up) gets plain {@link secretKey}, so older rows are still found.
 */
export async function timeOrderedKey(token: string): Promise<string> {
  const key = await secretKey(token)
  return TIME_ORDERED_SECRET.test(token) ? token.slice(0, TIME_CHARS) + key : key
}

/**
 * Compares a presented secret with the expected one in time that depends only on the
 * presented length (the caller's own input), never on where the first difference is or
 * on the expected secret's content.
 */
export function constantTimeEqual(expected: string, presented: string): boolean {
  const a = encoder.encode(expected)
  const b = encoder.encode(presented)
  let diff = a.length ^ b.length
  for (let i = 0; i < b.length; i++) diff |= b[i]! ^ (a.length === 0 ? 0 : a[i % a.length]!)
  return diff === 0
}

/** The left half of a SHA-256 digest, base64url: `at_hash`, `c_hash` and `s_hash` for RS256/ES256. */
export async function halfHash(value: string): Promise<string> {
  const digest = await sha256(value)
  return base64url(digest.subarray(0, digest.length / 2))
}
