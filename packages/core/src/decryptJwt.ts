import { AuthError } from './AuthError.js'

/** Turns a compact JWE into its plaintext (a signed JWT, for the answers a client decrypts). */
export type JweDecrypt = (jwe: string) => Promise<string>

/** Content encryption: key and IV lengths in bytes. */
const ENCS = {
  A128GCM: { keyBytes: 16, ivBytes: 12 },
  A256GCM: { keyBytes: 32, ivBytes: 12 },
  'A128CBC-HS256': { keyBytes: 32, ivBytes: 16 },
  'A256CBC-HS512': { keyBytes: 64, ivBytes: 16 },
} as const
type Enc = keyof typeof ENCS

/** Bytes WebCrypto takes (TypeScript's BufferSource excludes views of a SharedArrayBuffer). */
type Bytes = Uint8Array<ArrayBuffer>

const KEY_WRAP: Record<string, number | undefined> = { 'ECDH-ES': undefined, 'ECDH-ES+A128KW': 16, 'ECDH-ES+A256KW': 32 }

/**
 * A JWE decrypter for the client's private key, for the `decrypt` option of the clients:
 * ID tokens, userinfo and introspection answers encrypted to the client (compact JWE,
 * `RSA-OAEP-256` or `ECDH-ES` with or without `+A128KW`/`+A256KW`, `A128GCM`, `A256GCM`,
 * `A128CBC-HS256`, `A256CBC-HS512`). WebCrypto only, so the key may be non-extractable. Anything
 * else (another `alg` or `enc`, `zip`, `crit`, a key of the wrong kind, a failed tag) is an
 * {@link AuthError}: nothing is decrypted with an algorithm the key was not made for.
 *
 * @param keys An RSA-OAEP (SHA-256) key with the `decrypt` usage, or an ECDH key with
 *   `deriveBits`; several when the client registered several, one is picked by `alg`.
 *
 * @example
 * ```ts
 * const { privateKey } = await crypto.subtle.generateKey({ name: 'ECDH', namedCurve: 'P-256' }, false, ['deriveBits'])
 * const oidc = new OidcClient({ issuer, clientId: 'spa', decrypt: decryptJwt(privateKey) })
 * ```
 */
export function decryptJwt(keys: CryptoKey | readonly CryptoKey[]): JweDecrypt {
  const candidates = Array.isArray(keys) ? (keys as readonly CryptoKey[]) : [keys as CryptoKey]
  return async (jwe) => {
    const parts = jwe.split('.')
    if (parts.length !== 5) fail('not a compact JWE')
    const [protectedHeader, encryptedKey, iv, ciphertext, tag] = parts as [string, string, string, string, string]
    let header: Record<string, unknown>
    try {
      header = JSON.parse(new TextDecoder().decode(b64u(protectedHeader))) as Record<string, unknown>
    } catch {
      fail('the protected header is not base64url JSON')
    }
    if (typeof header !== 'object' || header === null) fail('the protected header is not an object')
    const { alg, enc } = header
    if (header.zip !== undefined || header.crit !== undefined) fail('zip and crit are not supported')
    if (typeof enc !== 'string' || !Object.hasOwn(ENCS, enc)) fail(`enc ${String(enc)} is not supported`)
    const spec = ENCS[enc as Enc]
    const key = candidates.find((k) => (alg === 'RSA-OAEP-256' ? isRsaOaep256(k) : typeof alg === 'string' && Object.hasOwn(KEY_WRAP, alg) && k.algorithm.name === 'ECDH'))
    if (!key) fail(`alg ${String(alg)} is not one this client's keys decrypt`)
    const cek = alg === 'RSA-OAEP-256'
      ? new Uint8Array(await guarded(() => crypto.subtle.decrypt({ name: 'RSA-OAEP' }, key, b64u(encryptedKey))))
      : await ecdhKey(key, header, alg as string, enc as Enc, b64u(encryptedKey))
    if (cek.length !== spec.keyBytes) fail('the content encryption key has the wrong length')
    const ivBytes = b64u(iv)
    if (ivBytes.length !== spec.ivBytes) fail('the IV has the wrong length')
    const aad = new TextEncoder().encode(protectedHeader)
    const plaintext = enc === 'A128GCM' || enc === 'A256GCM'
      ? await gcm(cek, ivBytes, aad, b64u(ciphertext), b64u(tag))
      : await cbcHmac(cek, ivBytes, aad, b64u(ciphertext), b64u(tag))
    return new TextDecoder().decode(plaintext)
  }
}

function isRsaOaep256(key: CryptoKey): boolean {
  const algorithm = key.algorithm as RsaHashedKeyAlgorithm
  return algorithm.name === 'RSA-OAEP' && algorithm.hash?.name === 'SHA-256'
}

/** RFC 7518 4.6: the agreed secret through the Concat KDF, used directly or to unwrap the CEK. */
async function ecdhKey(key: CryptoKey, header: Record<string, unknown>, alg: string, enc: Enc, encryptedKey: Bytes): Promise<Bytes> {
  const epk = header.epk as Record<string, unknown> | undefined
  const curve = (key.algorithm as EcKeyAlgorithm).namedCurve
  if (typeof epk !== 'object' || epk === null || epk.kty !== 'EC' || epk.crv !== curve) fail('epk is missing or not on the key\'s curve')
  const wrapBytes = KEY_WRAP[alg]
  if (wrapBytes === undefined && encryptedKey.length !== 0) fail('ECDH-ES carries no encrypted key')
  const publicKey = await guarded(() =>
    crypto.subtle.importKey('jwk', { kty: 'EC', crv: curve, x: epk.x, y: epk.y } as JsonWebKey, { name: 'ECDH', namedCurve: curve }, false, []),
  )
  const bits = { 'P-256': 256, 'P-384': 384, 'P-521': 528 }[curve]
  if (bits === undefined) fail(`curve ${curve} is not supported`)
  const shared = new Uint8Array(await guarded(() => crypto.subtle.deriveBits({ name: 'ECDH', public: publicKey }, key, bits)))
  const keyBytes = wrapBytes ?? ENCS[enc].keyBytes
  const partyInfo = (value: unknown) => (typeof value === 'string' ? b64u(value) : new Uint8Array(0))
  const otherInfo = concat(
    lengthPrefixed(new TextEncoder().encode(wrapBytes === undefined ? enc : alg)),
    lengthPrefixed(partyInfo(header.apu)),
    lengthPrefixed(partyInfo(header.apv)),
    uint32(keyBytes * 8),
  )
  const derived = await concatKdf(shared, otherInfo, keyBytes)
  if (wrapBytes === undefined) return derived
  const kek = await crypto.subtle.importKey('raw', derived, 'AES-KW', false, ['unwrapKey'])
  // AES-KW unwraps into a key, not bytes: an extractable HMAC key of any length carries them out.
  const unwrapped = await guarded(() =>
    crypto.subtle.unwrapKey('raw', encryptedKey, kek, 'AES-KW', { name: 'HMAC', hash: 'SHA-256', length: (encryptedKey.length - 8) * 8 }, true, ['sign']),
  )
  return new Uint8Array(await crypto.subtle.exportKey('raw', unwrapped))
}

async function concatKdf(secret: Bytes, otherInfo: Bytes, keyBytes: number): Promise<Bytes> {
  const out = new Uint8Array(Math.ceil(keyBytes / 32) * 32)
  for (let round = 1; round * 32 <= out.length; round++) {
    const digest = await crypto.subtle.digest('SHA-256', concat(uint32(round), secret, otherInfo))
    out.set(new Uint8Array(digest), (round - 1) * 32)
  }
  return out.slice(0, keyBytes)
}

async function gcm(cek: Bytes, iv: Bytes, aad: Bytes, ciphertext: Bytes, tag: Bytes): Promise<ArrayBuffer> {
  if (tag.length !== 16) fail('the tag has the wrong length')
  const key = await crypto.subtle.importKey('raw', cek, 'AES-GCM', false, ['decrypt'])
  return guarded(() =>
    crypto.subtle.decrypt({ name: 'AES-GCM', iv: iv, additionalData: aad, tagLength: 128 }, key, concat(ciphertext, tag)),
  )
}

/** RFC 7518 5.2: the tag is checked (HMAC verify, constant time) before anything is decrypted. */
async function cbcHmac(cek: Bytes, iv: Bytes, aad: Bytes, ciphertext: Bytes, tag: Bytes): Promise<ArrayBuffer> {
  const half = cek.length / 2
  const hash = half === 16 ? 'SHA-256' : 'SHA-512'
  if (tag.length !== half) fail('the tag has the wrong length')
  const macKey = await crypto.subtle.importKey('raw', cek.slice(0, half), { name: 'HMAC', hash }, false, ['sign'])
  const al = new Uint8Array(8)
  new DataView(al.buffer).setUint32(4, aad.length * 8)
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', macKey, concat(aad, iv, ciphertext, al)))
  let difference = 0
  for (let i = 0; i < half; i++) difference |= mac[i]! ^ tag[i]!
  if (difference !== 0) fail('the authentication tag does not match')
  const encKey = await crypto.subtle.importKey('raw', cek.slice(half), 'AES-CBC', false, ['decrypt'])
  return guarded(() => crypto.subtle.decrypt({ name: 'AES-CBC', iv: iv }, encKey, ciphertext))
}

/** WebCrypto's refusals (a wrong key, a failed tag) as this module's error. */
async function guarded<T>(step: () => Promise<T>): Promise<T> {
  try {
    return await step()
  } catch (cause) {
    throw new AuthError('invalid_response', `JWE: cannot decrypt (${(cause as Error).message || (cause as Error).name})`, { cause })
  }
}

function fail(problem: string): never {
  throw new AuthError('invalid_response', `JWE: ${problem}`)
}

function b64u(value: string): Bytes {
  if (!/^[A-Za-z0-9_-]*$/.test(value)) fail('a part is not base64url')
  const binary = atob(value.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (value.length % 4)) % 4))
  return Uint8Array.from(binary, (c) => c.charCodeAt(0))
}

function uint32(n: number): Bytes {
  const out = new Uint8Array(4)
  new DataView(out.buffer).setUint32(0, n)
  return out
}

function lengthPrefixed(bytes: Bytes): Bytes {
  return concat(uint32(bytes.length), bytes)
}

function concat(...parts: Bytes[]): Bytes {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let offset = 0
  for (const p of parts) {
    out.set(p, offset)
    offset += p.length
  }
  return out
}
