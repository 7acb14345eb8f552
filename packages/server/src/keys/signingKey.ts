import { base64url, base64urlDecode, nativeCrypto, sha256 } from '../base/crypto.js'
import { ConfigError } from '../base/errors.js'
import type { SigningAlg, SigningJwk } from '../model/index.js'

const ALGORITHMS = {
  RS256: {
    generate: { name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' },
    import: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
    sign: { name: 'RSASSA-PKCS1-v1_5' },
    kty: 'RSA',
  },
  ES256: {
    generate: { name: 'ECDSA', namedCurve: 'P-256' },
    import: { name: 'ECDSA', namedCurve: 'P-256' },
    sign: { name: 'ECDSA', hash: 'SHA-256' },
    kty: 'EC',
  },
} as const

export interface SigningKey {
  kid: string
  alg: SigningAlg
  privateKey: CryptoKey
  publicKey: CryptoKey
  publicJwk: Record<string, unknown>
  privateJwk: Record<string, unknown>
}

/**
 * The algorithm of a private signing JWK: RS256 for RSA, ES256 for P-256. Checked when the
 * config is resolved, so a bad key fails `createProvider` at once; the key material itself
 * is judged when it is imported.
 */
export function signingJwkAlg(jwk: unknown, at: string): SigningAlg {
  if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk)) throw new ConfigError(at, 'must be a private JWK object')
  const { kty, alg = kty === 'EC' ? 'ES256' : 'RS256', crv, d } = jwk as Record<string, unknown>
  if (!((alg === 'RS256' && kty === 'RSA') || (alg === 'ES256' && kty === 'EC' && crv === 'P-256'))) {
    throw new ConfigError(at, 'must be an RSA (RS256) or P-256 (ES256) private JWK')
  }
  if (d === undefined) throw new ConfigError(`${at}.d`, 'a signing key needs its private part')
  return alg
}

/** Generates an extractable key pair for `alg`, its `kid` the RFC 7638 thumbprint. */
export async function generateSigningKey(alg: SigningAlg): Promise<SigningKey> {
  const spec = ALGORITHMS[alg]
  const pair = (await crypto.subtle.generateKey(spec.generate, true, ['sign', 'verify'])) as CryptoKeyPair
  const privateJwk = (await crypto.subtle.exportKey('jwk', pair.privateKey)) as Record<string, unknown>
  return importSigningJwk(privateJwk, 'generated key')
}

/** Imports a private JWK (checked by {@link signingJwkAlg}); a key that WebCrypto refuses is a {@link ConfigError} at `at`. */
export async function importSigningJwk(jwk: SigningJwk, at: string): Promise<SigningKey> {
  const alg = signingJwkAlg(jwk, at)
  const spec = ALGORITHMS[alg]
  const kty = spec.kty
  const publicJwk: Record<string, unknown> =
    kty === 'RSA' ? { kty, n: jwk.n, e: jwk.e } : { kty, crv: jwk.crv, x: jwk.x, y: jwk.y }
  let privateKey: CryptoKey, publicKey: CryptoKey
  try {
    const { alg: _a, key_ops: _k, ext: _e, use: _u, kid: _i, ...material } = jwk
    privateKey = await crypto.subtle.importKey('jwk', material, spec.import, false, ['sign'])
    publicKey = await crypto.subtle.importKey('jwk', publicJwk, spec.import, true, ['verify'])
  } catch (cause) {
    throw new ConfigError(at, `cannot be imported: ${(cause as Error).message}`)
  }
  const kid = typeof jwk.kid === 'string' ? jwk.kid : await thumbprint(publicJwk)
  return {
    kid,
    alg,
    privateKey,
    publicKey,
    publicJwk: { ...publicJwk, kid, alg, use: 'sig' },
    privateJwk: { ...jwk, kid, alg },
  }
}

/** RFC 7638 JWK thumbprint (SHA-256) of a public RSA or EC key. */
export async function thumbprint(jwk: Record<string, unknown>): Promise<string> {
  const members =
    jwk.kty === 'RSA' ? { e: jwk.e, kty: jwk.kty, n: jwk.n } : { crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y }
  return base64url(await sha256(JSON.stringify(members)))
}

const encoder = new TextEncoder()
const decoder = new TextDecoder()

/** Encoded protected headers per key and `typ`: the same few bytes for every token a key signs. */
const HEADERS = new WeakMap<SigningKey, Map<string, string>>()

function encodedHeader(key: SigningKey, typ: string): string {
  let byTyp = HEADERS.get(key)
  if (!byTyp) HEADERS.set(key, (byTyp = new Map()))
  let header = byTyp.get(typ)
  if (header === undefined) byTyp.set(typ, (header = base64url(JSON.stringify({ alg: key.alg, kid: key.kid, typ }))))
  return header
}

/** Signs a compact JWS with one of the provider's keys. */
export async function signJwt(key: SigningKey, payload: object, typ = 'JWT', extraHeader?: Record<string, unknown>): Promise<string> {
  const header = extraHeader ? base64url(JSON.stringify({ ...extraHeader, alg: key.alg, kid: key.kid, typ })) : encodedHeader(key, typ)
  const input = `${header}.${base64url(JSON.stringify(payload))}`
  const signature = (await nativeCrypto()?.sign(key.alg, key.privateJwk, input)) ?? (await crypto.subtle.sign(ALGORITHMS[key.alg].sign, key.privateKey, encoder.encode(input)))
  return `${input}.${base64url(signature)}`
}

/**
 * Tokens whose signature a key has already verified. A resource server introspects or calls
 * userinfo with the same access token many times, and the same bytes under the same key give
 * the same answer, so the signature check runs once per token; everything else (`exp`, the
 * deny-list, the grant's tombstone, the client) is still checked on every call. Keyed by the
 * key object: a key that is retired or replaced is a different object or none, so nothing it
 * verified is found again. Bounded, and emptied when full, since a miss only costs a verify.
 */
const VERIFIED = new WeakMap<SigningKey, Set<string>>()
const VERIFIED_PER_KEY = 2048

function verifiedBy(key: SigningKey): Set<string> {
  let tokens = VERIFIED.get(key)
  if (!tokens) VERIFIED.set(key, (tokens = new Set()))
  return tokens
}

function remember(key: SigningKey, token: string): void {
  const tokens = verifiedBy(key)
  if (tokens.size >= VERIFIED_PER_KEY) tokens.clear()
  tokens.add(token)
}

/**
 * Verifies a JWT the provider signed itself and returns its header and payload, or
 * undefined for anything else: foreign keys, other algorithms, `none`, malformed input.
 * Expiry is left to the caller, which decides what an expired token still means.
 */
export async function verifyOwnJwt(
  keys: { find(kid: string): Promise<SigningKey | undefined> },
  token: string,
): Promise<{ header: Record<string, unknown>; payload: Record<string, unknown> } | undefined> {
  const parts = token.split('.')
  if (parts.length !== 3) return undefined
  try {
    const header = JSON.parse(decoder.decode(base64urlDecode(parts[0]!))) as Record<string, unknown>
    const key = typeof header.kid === 'string' ? await keys.find(header.kid) : undefined
    if (!key || header.alg !== key.alg) return undefined
    if (!verifiedBy(key).has(token)) {
      const signature = base64urlDecode(parts[2]!)
      const input = `${parts[0]}.${parts[1]}`
      const native = nativeCrypto()
      const ok = native
        ? native.verify(key.alg, key.publicJwk, input, signature)
        : await crypto.subtle.verify(ALGORITHMS[key.alg].sign, key.publicKey, signature, encoder.encode(input))
      if (!ok) return undefined
      remember(key, token)
    }
    const payload = JSON.parse(decoder.decode(base64urlDecode(parts[1]!))) as unknown
    if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) return undefined
    return { header, payload: payload as Record<string, unknown> }
  } catch {
    return undefined
  }
}

/** A private JWK as kept (sealed) in the store: without WebCrypto's export marks. */
export function storableJwk(key: SigningKey): SigningJwk {
  const { key_ops: _ops, ext: _ext, ...jwk } = key.privateJwk
  return jwk as SigningJwk
}
