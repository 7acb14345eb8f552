import { base64url, base64urlDecode, sha256 } from './crypto.js'
import { ConfigError } from './errors.js'
import type { SigningAlg, SigningJwk } from './model/index.js'
import { signingJwkAlg } from './resolveConfig.js'

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
 * Where a provider's signing keys are kept across restarts (the CLI's key file). A provider
 * whose `keys` were tied to one with {@link persistSigningKeys} writes every rotation and
 * retirement back before it takes effect: a key never signs before it is kept, and a
 * retired key is gone from the store before it stops being published.
 *
 * @example
 * ```ts
 * const persistence: SigningKeyPersistence = { owns: () => true, save: (jwks) => writeFile('keys.json', JSON.stringify(jwks), { mode: 0o600 }) }
 * ```
 */
export interface SigningKeyPersistence {
  /**
   * Whether this store keeps the keys of `alg`. Keys of other algorithms come from elsewhere
   * (the CLI's `--config`): rotating or retiring them is refused, since the change would be
   * undone by the next restart.
   */
  owns(alg: SigningAlg): boolean
  /**
   * Keeps `keys`, the private JWKs of every algorithm it owns, each algorithm's signing key
   * first (the order the provider reads). Replaces what was kept, atomically.
   */
  save(keys: SigningJwk[]): Promise<void>
}

/** Global, so that the CJS builds of two entry points (index, sqlite) see the same mark. */
const PERSISTENCE = Symbol.for('realmauth.signingKeyPersistence')

/**
 * Ties a config's `keys` array to a store: a provider created with exactly this array writes
 * rotations and retirements back to `persistence`. Returns `keys`. A copy of the array
 * (`[...keys]`) is not tied.
 *
 * @example
 * ```ts
 * const keys = persistSigningKeys(await loadKeys(), { owns: () => true, save: (jwks) => writeKeys(jwks) })
 * const provider = createProvider({ ...config, keys })
 * await provider.rotateSigningKey('RS256') // written back before the new key signs
 * ```
 */
export function persistSigningKeys<T extends SigningJwk[]>(keys: T, persistence: SigningKeyPersistence): T {
  Object.defineProperty(keys, PERSISTENCE, { value: persistence, enumerable: false, configurable: true })
  return keys
}

function persistenceOf(keys: SigningJwk[] | undefined): SigningKeyPersistence | undefined {
  return (keys as { [PERSISTENCE]?: SigningKeyPersistence } | undefined)?.[PERSISTENCE]
}

/** The provider's signing keys: one per algorithm signs, every one listed verifies. */
export class KeySet {
  private readonly byKid = new Map<string, SigningKey>()
  private readonly active = new Map<SigningAlg, SigningKey>()
  private persistence: SigningKeyPersistence | undefined
  /** Rotations and retirements, one at a time, so that what is saved is what is in use. */
  private changes: Promise<unknown> = Promise.resolve()

  static async create(configured: SigningJwk[] | undefined): Promise<KeySet> {
    const set = new KeySet()
    for (const [i, jwk] of (configured ?? []).entries()) set.add(await importSigningJwk(jwk, `keys[${i}]`))
    for (const alg of ['RS256', 'ES256'] as const) if (!set.active.has(alg)) set.add(await generateSigningKey(alg))
    set.persistence = persistenceOf(configured)
    return set
  }

  add(key: SigningKey): void {
    this.byKid.set(key.kid, key)
    // The first key of each algorithm signs; later ones are published for verification only.
    if (!this.active.has(key.alg)) this.active.set(key.alg, key)
  }

  /**
   * Makes a new key the signing key for `alg`; the old one stays published so its tokens
   * still verify. With a persistence, the new key is saved before it signs anything.
   */
  rotate(alg: SigningAlg): Promise<SigningKey> {
    return this.change(async () => {
      this.assertOwned(alg, `rotate the ${alg} signing key`)
      const key = await generateSigningKey(alg)
      await this.save([...this.byKid.values(), key], new Map(this.active).set(alg, key))
      this.byKid.set(key.kid, key)
      this.active.set(alg, key)
      return key
    })
  }

  /**
   * Stops publishing a key that no longer signs: tokens it signed stop verifying. False for
   * an unknown kid and for a key that signs now. With a persistence, it is removed there first.
   */
  retire(kid: string): Promise<boolean> {
    return this.change(async () => {
      const key = this.byKid.get(kid)
      if (!key || this.active.get(key.alg) === key) return false
      this.assertOwned(key.alg, `retire key ${kid}`)
      await this.save([...this.byKid.values()].filter((k) => k !== key), this.active)
      return this.byKid.delete(kid)
    })
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

  private change<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.changes.then(fn)
    this.changes = result.catch(() => {})
    return result
  }

  private assertOwned(alg: SigningAlg, what: string): void {
    if (this.persistence && !this.persistence.owns(alg)) {
      throw new Error(`Cannot ${what}: the ${alg} keys come from the configuration, and a change here would be undone by the next restart; change the configured keys instead`)
    }
  }

  /** Hands the persistence the owned keys, each algorithm's signing key first. */
  private async save(keys: SigningKey[], active: Map<SigningAlg, SigningKey>): Promise<void> {
    const persistence = this.persistence
    if (!persistence) return
    const owned = keys.filter((k) => persistence.owns(k.alg))
    const signing = owned.filter((k) => active.get(k.alg) === k)
    await persistence.save([...signing, ...owned.filter((k) => !signing.includes(k))].map(storableJwk))
  }
}

/** A private JWK as kept on disk: without WebCrypto's export marks. */
function storableJwk(key: SigningKey): SigningJwk {
  const { key_ops: _ops, ext: _ext, ...jwk } = key.privateJwk
  return jwk as SigningJwk
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
