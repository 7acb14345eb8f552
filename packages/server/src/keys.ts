import { base64url, base64urlDecode, sha256 } from './crypto.js'
import type { SigningJwk } from './config.js'
import type { SigningAlg } from './resolveConfig.js'
import { ConfigError, signingJwkAlg } from './resolveConfig.js'

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

/** The provider's signing keys: one per algorithm signs, every one listed verifies. */
export class KeySet {
  private readonly byKid = new Map<string, SigningKey>()
  private readonly active = new Map<SigningAlg, SigningKey>()

  static async create(configured: SigningJwk[] | undefined): Promise<KeySet> {
    const set = new KeySet()
    for (const [i, jwk] of (configured ?? []).entries()) set.add(await importSigningJwk(jwk, `keys[${i}]`))
    for (const alg of ['RS256', 'ES256'] as const) if (!set.active.has(alg)) set.add(await generateSigningKey(alg))
    return set
  }

  add(key: SigningKey): void {
    this.byKid.set(key.kid, key)
    // The first key of each algorithm signs; later ones are published for verification only.
    if (!this.active.has(key.alg)) this.active.set(key.alg, key)
  }

  /** Makes a new key the signing key for `alg`; the old one stays published so its tokens still verify. */
  async rotate(alg: SigningAlg): Promise<SigningKey> {
    const key = await generateSigningKey(alg)
    this.byKid.set(key.kid, key)
    this.active.set(alg, key)
    return key
  }

  /** Stops publishing a key that no longer signs: tokens it signed stop verifying. */
  retire(kid: string): boolean {
    const key = this.byKid.get(kid)
    if (!key || this.active.get(key.alg) === key) return false
    return this.byKid.delete(kid)
  }

  signingKey(alg: SigningAlg): SigningKey {
    return this.active.get(alg)!
  }

  get(kid: string): SigningKey | undefined {
    return this.byKid.get(kid)
  }

  jwks(): { keys: Record<string, unknown>[] } {
    return { keys: [...this.byKid.values()].map((k) => k.publicJwk) }
  }
}

/** Generates an extractable key pair for `alg`, its `kid` the RFC 7638 thumbprint. */
export async function generateSigningKey(alg: SigningAlg): Promise<SigningKey> {
  const spec = ALGORITHMS[alg]
  const pair = (await crypto.subtle.generateKey(spec.generate, true, ['sign', 'verify'])) as CryptoKeyPair
  const privateJwk = (await crypto.subtle.exportKey('jwk', pair.privateKey)) as Record<string, unknown>
  return importSigningJwk(privateJwk, 'generated key')
}

async function importSigningJwk(jwk: SigningJwk, at: string): Promise<SigningKey> {
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

/** Signs a compact JWS with one of the provider's keys. */
export async function signJwt(key: SigningKey, payload: object, typ = 'JWT', extraHeader?: Record<string, unknown>): Promise<string> {
  const header = base64url(JSON.stringify({ ...extraHeader, alg: key.alg, kid: key.kid, typ }))
  const body = base64url(JSON.stringify(payload))
  const input = `${header}.${body}`
  const signature = await crypto.subtle.sign(ALGORITHMS[key.alg].sign, key.privateKey, new TextEncoder().encode(input))
  return `${input}.${base64url(signature)}`
}

/**
 * Verifies a JWT the provider signed itself and returns its header and payload, or
 * undefined for anything else: foreign keys, other algorithms, `none`, malformed input.
 * Expiry is left to the caller, which decides what an expired token still means.
 */
export async function verifyOwnJwt(
  keys: KeySet,
  token: string,
): Promise<{ header: Record<string, unknown>; payload: Record<string, unknown> } | undefined> {
  const parts = token.split('.')
  if (parts.length !== 3) return undefined
  try {
    const header = JSON.parse(new TextDecoder().decode(base64urlDecode(parts[0]!))) as Record<string, unknown>
    const key = typeof header.kid === 'string' ? keys.get(header.kid) : undefined
    if (!key || header.alg !== key.alg) return undefined
    const ok = await crypto.subtle.verify(
      ALGORITHMS[key.alg].sign,
      key.publicKey,
      base64urlDecode(parts[2]!),
      new TextEncoder().encode(`${parts[0]}.${parts[1]}`),
    )
    if (!ok) return undefined
    const payload = JSON.parse(new TextDecoder().decode(base64urlDecode(parts[1]!))) as unknown
    if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) return undefined
    return { header, payload: payload as Record<string, unknown> }
  } catch {
    return undefined
  }
}
