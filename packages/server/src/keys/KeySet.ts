import type { SigningAlg, SigningJwk } from '../model/index.js'
import type { KeyRingPayload, StoredSigningKey } from '../records/index.js'
import { KeyRing, type RingContent } from './KeyRing.js'
import { generateSigningKey, importSigningJwk, type SigningKey } from './signingKey.js'

const ALGS: readonly SigningAlg[] = ['RS256', 'ES256']

/** How a {@link KeySet} keeps, refreshes and rotates its keys. */
export interface KeySetOptions {
  /** Operator-provided private JWKs: they sign for their algorithms and are never stored. */
  configured?: SigningJwk[]
  /** Where the other algorithms' keys are kept (the store's ring, or a private one in memory). */
  ring: KeyRing
  now: () => number
  /** How often the ring is read again, so that other instances' changes are seen. */
  refreshMs: number
  /** A signing key older than this is rotated automatically; 0 for never. */
  rotationMs: number
  /** How long an automatically rotated key is published before it signs. */
  publishAheadMs: number
  /** How long a key stays published after it stopped signing: the longest token lifetime. */
  retireAfterMs: number
  /** Where refresh failures go; the set keeps its keys meanwhile. */
  log?: (message: string) => void
}

/** A key of the ring, usable. */
interface RingKey {
  key: SigningKey
  stored: StoredSigningKey
}

/**
 * What a key is at a moment: `next` (published, not yet signing), `current` (signs),
 * `previous` (published for the tokens it signed) or `retired` (gone).
 *
 * @example
 * ```ts
 * const ring = (await provider.store.find<KeyRingPayload>('SigningKeys', 'ring'))?.payload
 * const status: KeyStatus | undefined = keyStatuses(ring?.keys ?? [], Date.now(), 3_600_000).get('my-kid')
 * ```
 */
export type KeyStatus = 'next' | 'current' | 'previous' | 'retired'

/**
 * The status of each of `keys` at `now`: a key signs from its `signsFrom` until a later key
 * of its algorithm does, and stays published `retireAfterMs` longer. Every instance computes
 * the same answer from the same ring, so no write is needed when a key starts signing.
 *
 * @example
 * ```ts
 * // What `realmauth-server keys list` prints, from the stored ring.
 * const ring = (await provider.store.find<KeyRingPayload>('SigningKeys', 'ring'))?.payload
 * for (const [kid, status] of keyStatuses(ring?.keys ?? [], Date.now(), 3_600_000)) console.log(kid, status)
 * ```
 */
export function keyStatuses(keys: readonly StoredSigningKey[], now: number, retireAfterMs: number): Map<string, KeyStatus> {
  const statuses = new Map<string, KeyStatus>()
  for (const alg of ALGS) {
    const own = keys.filter((k) => k.alg === alg).sort((a, b) => a.signsFrom - b.signsFrom || a.createdAt - b.createdAt)
    const started = own.filter((k) => k.signsFrom <= now)
    // Before any key of the algorithm starts (never, for keys the provider generates itself) the earliest signs.
    const current = started.at(-1) ?? own[0]
    for (const k of own) {
      if (k === current) statuses.set(k.kid, 'current')
      else if (k.signsFrom > now) statuses.set(k.kid, 'next')
      else {
        // Sorted: the key after a started one that does not sign has started too, and replaced it.
        const successor = own[own.indexOf(k) + 1]!
        statuses.set(k.kid, successor.signsFrom + retireAfterMs <= now ? 'retired' : 'previous')
      }
    }
  }
  return statuses
}

/**
 * The provider's signing keys: operator-provided ones, and for the other algorithms the keys
 * of a {@link KeyRing}, read again every `refreshMs` and when a token names an unknown kid,
 * so that every instance on one store publishes the same keys and signs with the same one.
 */
export class KeySet {
  private readonly configured = new Map<string, SigningKey>()
  private ring: RingKey[] = []
  private salt = ''
  private version = -1
  private statuses = new Map<string, KeyStatus>()
  /** The ring and the span of time {@link statuses} hold for. */
  private statusesFor: RingKey[] | undefined
  private statusesAt = Infinity
  private statusesUntil = -Infinity
  private lastRefresh = -Infinity
  private lastMiss = -Infinity
  private refreshing: Promise<void> | undefined

  private constructor(private readonly options: KeySetOptions) {}

  static async create(options: KeySetOptions): Promise<KeySet> {
    const set = new KeySet(options)
    for (const [i, jwk] of (options.configured ?? []).entries()) {
      const key = await importSigningJwk(jwk, `keys[${i}]`)
      set.configured.set(key.kid, key)
    }
    await set.refresh()
    return set
  }

  /** The key that signs for `alg` now. */
  signingKey(alg: SigningAlg): SigningKey {
    const configured = [...this.configured.values()].find((k) => k.alg === alg)
    if (configured) return configured
    this.restatus()
    return this.ring.find((k) => k.key.alg === alg && this.statuses.get(k.key.kid) === 'current')!.key
  }

  /** A published key by kid; an unknown kid reads the ring again first (at most once a second). */
  async find(kid: string): Promise<SigningKey | undefined> {
    const known = this.published(kid)
    if (known || this.options.now() - this.lastMiss < 1000) return known
    this.lastMiss = this.options.now()
    await this.refresh()
    return this.published(kid)
  }

  jwks(): { keys: Record<string, unknown>[] } {
    this.restatus()
    const ring = this.ring.filter((k) => this.statuses.get(k.key.kid) !== 'retired')
    return { keys: [...this.configured.values(), ...ring.map((k) => k.key)].map((k) => k.publicJwk) }
  }

  /** Reads the ring again when `refreshMs` has passed since the last read; never throws. */
  async fresh(): Promise<void> {
    if (this.options.now() - this.lastRefresh < this.options.refreshMs) return
    await this.refresh().catch((error: unknown) => this.options.log?.(`cannot refresh the signing keys, keeping the ones in use: ${(error as Error).message}`))
  }

  /**
   * Makes a new key the signing key for `alg` from `aheadMs` on; until then, and while tokens
   * it signed live, the old one stays published. Written to the ring before it is used.
   */
  async rotate(alg: SigningAlg, aheadMs = 0): Promise<SigningKey> {
    this.assertOwned(alg, `rotate the ${alg} signing key`)
    const key = await generateSigningKey(alg)
    await this.change(async (ring) => ({ ...ring, keys: [...this.live(ring.keys), await this.options.ring.seal(key, ring.salt, this.options.now() + aheadMs)] }))
    return key
  }

  /** Stops publishing a key that does not sign now: its tokens stop verifying. False for an unknown kid and the signing key. */
  async retire(kid: string): Promise<boolean> {
    const configured = this.configured.get(kid)
    if (configured) this.assertOwned(configured.alg, `retire key ${kid}`)
    let retired = false
    await this.change(async (ring) => {
      const status = keyStatuses(ring.keys, this.options.now(), this.options.retireAfterMs).get(kid)
      retired = status === 'next' || status === 'previous'
      if (!retired) return undefined
      return { ...ring, keys: ring.keys.filter((k) => k.kid !== kid) }
    })
    return retired
  }

  private published(kid: string): SigningKey | undefined {
    const configured = this.configured.get(kid)
    if (configured) return configured
    this.restatus()
    const key = this.ring.find((k) => k.key.kid === kid)
    return key && this.statuses.get(kid) !== 'retired' ? key.key : undefined
  }

  /** One read of the ring at a time; creates it, and rotates on schedule, when that is due. */
  private refresh(): Promise<void> {
    this.refreshing ??= (async () => {
      this.lastRefresh = this.options.now()
      try {
        let ring = await this.options.ring.read()
        if (!ring || this.owned().some((alg) => !ring!.keys.some((k) => k.alg === alg))) {
          ring = await this.change(async (stored) => this.withMissingKeys(stored))
        } else {
          await this.apply(ring, false)
          if (this.rotationDue()) await this.autoRotate()
        }
      } finally {
        this.refreshing = undefined
      }
    })()
    return this.refreshing
  }

  /** Adds a key for each owned algorithm the ring lacks; the first instance to write wins, the others read its keys. */
  private async withMissingKeys(stored: KeyRingPayload | undefined): Promise<RingContent | undefined> {
    const ring = stored ?? { salt: KeyRing.newSalt(), keys: [] }
    const missing = this.owned().filter((alg) => !ring.keys.some((k) => k.alg === alg))
    if (stored && missing.length === 0) return undefined
    const added = []
    for (const alg of missing) added.push(await this.options.ring.seal(await generateSigningKey(alg), ring.salt, this.options.now()))
    return { salt: ring.salt, keys: [...ring.keys, ...added] }
  }

  private rotationDue(): boolean {
    const { rotationMs } = this.options
    if (rotationMs <= 0) return false
    return this.owned().some((alg) => this.newest(alg).signsFrom + rotationMs <= this.options.now())
  }

  /** Rotates every owned algorithm whose newest key is older than the rotation period; of instances racing, one writes. */
  private async autoRotate(): Promise<void> {
    const { rotationMs, publishAheadMs } = this.options
    await this.change(async (ring) => {
      const now = this.options.now()
      const due = this.owned().filter((alg) => Math.max(...ring.keys.filter((k) => k.alg === alg).map((k) => k.signsFrom)) + rotationMs <= now)
      if (due.length === 0) return undefined
      const added = []
      for (const alg of due) added.push(await this.options.ring.seal(await generateSigningKey(alg), ring.salt, now + publishAheadMs))
      return { ...ring, keys: [...this.live(ring.keys), ...added] }
    })
  }

  private newest(alg: SigningAlg): StoredSigningKey {
    return this.ring.filter((k) => k.key.alg === alg).reduce((a, b) => (b.stored.signsFrom > a.stored.signsFrom ? b : a)).stored
  }

  /** Writes a change of the ring and takes the result into use; nothing changes here if the write fails. */
  private async change(fn: (ring: KeyRingPayload) => Promise<RingContent | undefined>): Promise<KeyRingPayload> {
    const written = await this.options.ring.update((ring) => (ring ? fn(ring) : this.withMissingKeys(undefined)))
    await this.apply(written!, true)
    return written!
  }

  /** The keys still worth keeping: retired ones are dropped on the next write. */
  private live(keys: StoredSigningKey[]): StoredSigningKey[] {
    const statuses = keyStatuses(keys, this.options.now(), this.options.retireAfterMs)
    return keys.filter((k) => statuses.get(k.kid) !== 'retired')
  }

  /**
   * Takes `ring` into use. A read is taken only when newer than what is in use (a slow read
   * must not undo a rotation this instance just wrote), or when it is another ring altogether
   * (its salt differs: the store was emptied); what this instance wrote is taken always.
   */
  private async apply(ring: KeyRingPayload, written: boolean): Promise<void> {
    if (!written && ring.version <= this.version && ring.salt === this.salt) return
    const known = new Map(this.ring.map((k) => [k.key.kid, k.key]))
    const next: RingKey[] = []
    for (const stored of ring.keys) next.push({ stored, key: known.get(stored.kid) ?? (await this.options.ring.open(stored, ring.salt)) })
    // Only the algorithms the ring keeps for this provider: configured ones win.
    this.ring = next.filter((k) => this.owned().includes(k.key.alg))
    this.salt = ring.salt
    this.version = ring.version
    this.statuses = new Map()
  }

  /**
   * The statuses at `now()`, worked out again only when the ring changed, the clock passed the
   * next moment a status can change (a key starting to sign, or retiring), or went back: every
   * token request signs, and the answer is nearly always the one before.
   */
  private restatus(): void {
    const now = this.options.now()
    if (this.statusesFor === this.ring && now >= this.statusesAt && now < this.statusesUntil) return
    const stored = this.ring.map((k) => k.stored)
    this.statuses = keyStatuses(stored, now, this.options.retireAfterMs)
    this.statusesFor = this.ring
    this.statusesAt = now
    this.statusesUntil = Infinity
    for (const k of stored) {
      for (const at of [k.signsFrom, k.signsFrom + this.options.retireAfterMs]) if (at > now && at < this.statusesUntil) this.statusesUntil = at
    }
  }

  private owned(): SigningAlg[] {
    const configured = new Set([...this.configured.values()].map((k) => k.alg))
    return ALGS.filter((alg) => !configured.has(alg))
  }

  private assertOwned(alg: SigningAlg, what: string): void {
    if (!this.owned().includes(alg)) {
      throw new Error(`Cannot ${what}: the ${alg} keys come from the configuration, and a change here would be undone by the next restart; change the configured keys instead`)
    }
  }
}
