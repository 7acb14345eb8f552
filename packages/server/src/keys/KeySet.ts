import type { SigningAlg, SigningJwk } from '../model/index.js'
import { generateSigningKey, importSigningJwk, storableJwk, type SigningKey } from './signingKey.js'

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

/**
 * Private JWKs tied to where they are kept: `persistence` is a plain (non-enumerable) field,
 * so the array still serialises as a list of keys, and a copy (`[...keys]`) is not tied.
 * A named field rather than a module-level registry: the CJS builds of two entry points
 * (index, sqlite) each have their own modules, and both must see the tie.
 *
 * @example
 * ```ts
 * const keys: PersistedSigningKeys = persistSigningKeys(await loadKeys(), { owns: () => true, save: writeKeys })
 * const provider = createProvider({ ...config, keys })
 * ```
 */
export type PersistedSigningKeys = SigningJwk[] & { readonly persistence?: SigningKeyPersistence }

/**
 * Ties a config's `keys` array to a store: a provider created with exactly this array writes
 * rotations and retirements back to `persistence`. Returns `keys`, with the tie in its
 * `persistence` field ({@link PersistedSigningKeys}).
 *
 * @example
 * ```ts
 * const keys = persistSigningKeys(await loadKeys(), { owns: () => true, save: (jwks) => writeKeys(jwks) })
 * const provider = createProvider({ ...config, keys })
 * await provider.rotateSigningKey('RS256') // written back before the new key signs
 * ```
 */
export function persistSigningKeys<T extends SigningJwk[]>(keys: T, persistence: SigningKeyPersistence): T & PersistedSigningKeys {
  Object.defineProperty(keys, 'persistence', { value: persistence, enumerable: false, configurable: true })
  return keys as T & PersistedSigningKeys
}

/** The provider's signing keys: one per algorithm signs, every one listed verifies. */
export class KeySet {
  private readonly byKid = new Map<string, SigningKey>()
  private readonly active = new Map<SigningAlg, SigningKey>()
  private persistence: SigningKeyPersistence | undefined
  /** Rotations and retirements, one at a time, so that what is saved is what is in use. */
  private changes: Promise<unknown> = Promise.resolve()

  static async create(configured: PersistedSigningKeys | undefined): Promise<KeySet> {
    const set = new KeySet()
    for (const [i, jwk] of (configured ?? []).entries()) set.add(await importSigningJwk(jwk, `keys[${i}]`))
    for (const alg of ['RS256', 'ES256'] as const) if (!set.active.has(alg)) set.add(await generateSigningKey(alg))
    set.persistence = configured?.persistence
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

