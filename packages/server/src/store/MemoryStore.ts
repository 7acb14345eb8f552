import type { CommitOutcome, RecordKind, Store, StoreCommit, StoreEntry, StoredPayload } from './Store.js'

/** Options of {@link MemoryStore}. */
export interface MemoryStoreOptions {
  /** Milliseconds since the epoch; defaults to `Date.now`. The provider passes its own clock. */
  now?: () => number
}

/**
 * The in-memory {@link Store}: one process, nothing survives a restart. Every operation is
 * synchronous under the hood, which is what makes `consume` and `insert` atomic.
 *
 * A payload is copied once, when it is written, into a frozen value that every read then hands
 * out as it is: a caller can change neither what it wrote nor what it read (a change throws).
 *
 * @example
 * ```ts
 * const store = new MemoryStore({ now: () => clock.now })
 * const provider = createProvider({ realms, store, clock: () => clock.now })
 * ```
 */
export class MemoryStore implements Store {
  private readonly entries = new Map<string, StoreEntry & { kind: RecordKind; id: string }>()
  private readonly byGrant = new Map<string, Set<string>>()
  private readonly byUserCode = new Map<string, string>()
  private readonly now: () => number
  private writesSinceSweep = 0
  /** Live entries after the last sweep: the next one comes after as many writes (at least 1000). */
  private liveAfterSweep = 0

  constructor(options: MemoryStoreOptions = {}) {
    this.now = options.now ?? Date.now
  }

  async upsert(kind: RecordKind, id: string, payload: StoredPayload, expiresAt: number): Promise<void> {
    // Drops an expired entry first, so its consumed flag does not pass to the new one.
    this.live(kind, id)
    this.put(kind, id, payload, expiresAt)
  }

  async insert(kind: RecordKind, id: string, payload: StoredPayload, expiresAt: number): Promise<boolean> {
    if (this.live(kind, id)) return false
    this.put(kind, id, payload, expiresAt)
    return true
  }

  async find<P extends StoredPayload>(kind: RecordKind, id: string): Promise<StoreEntry<P> | undefined> {
    return this.copy(this.live(kind, id)) as StoreEntry<P> | undefined
  }

  async findByUserCode<P extends StoredPayload>(userCode: string) {
    const key = this.byUserCode.get(userCode)
    const entry = key === undefined ? undefined : this.entries.get(key)
    if (!entry || !this.live(entry.kind, entry.id)) return undefined
    return { id: entry.id, entry: this.copy(entry) as StoreEntry<P> }
  }

  async consume<P extends StoredPayload>(kind: RecordKind, id: string): Promise<StoreEntry<P> | undefined> {
    const entry = this.live(kind, id)
    if (!entry) return undefined
    const before = this.copy(entry)
    entry.consumed = true
    return before as StoreEntry<P>
  }

  async destroy(kind: RecordKind, id: string): Promise<void> {
    this.remove(`${kind}:${id}`)
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    const keys = this.byGrant.get(grantId)
    if (!keys) return
    for (const key of [...keys]) this.remove(key)
    this.byGrant.delete(grantId)
  }

  async commit(tx: StoreCommit): Promise<CommitOutcome> {
    // Synchronous from the first check to the last write: nothing interleaves.
    const spent = tx.consume && this.live(tx.consume.kind, tx.consume.id)
    if (tx.consume && !spent) return 'missing'
    if (spent?.consumed) return 'consumed'
    if (tx.unless && this.live(tx.unless.kind, tx.unless.id)) return 'present'
    for (const w of tx.writes) {
      this.live(w.kind, w.id)
      this.put(w.kind, w.id, w.payload, w.expiresAt)
    }
    // Looked up again: a write may have replaced the entry it spends, and the spend is on the entry as written.
    if (tx.consume) this.entries.get(`${tx.consume.kind}:${tx.consume.id}`)!.consumed = true
    return 'committed'
  }

  async count(kind: RecordKind, idPrefix: string): Promise<number> {
    const now = this.now()
    let n = 0
    for (const entry of this.entries.values()) if (entry.kind === kind && entry.id.startsWith(idPrefix) && entry.expiresAt > now) n++
    return n
  }

  /** Number of live entries; for tests and diagnostics. */
  get size(): number {
    return this.entries.size
  }

  private live(kind: RecordKind, id: string) {
    const key = `${kind}:${id}`
    const entry = this.entries.get(key)
    if (entry && entry.expiresAt <= this.now()) {
      this.remove(key)
      return undefined
    }
    return entry
  }

  private put(kind: RecordKind, id: string, payload: StoredPayload, expiresAt: number) {
    const key = `${kind}:${id}`
    const previous = this.entries.get(key)
    if (previous) this.remove(key)
    // A frozen copy: a caller changing its object afterwards cannot change what was stored, and
    // reads need no copy of their own (decisions/0069).
    this.entries.set(key, { kind, id, payload: frozenCopy(payload), expiresAt, consumed: previous?.consumed ?? false })
    if (payload.grantId) {
      let set = this.byGrant.get(payload.grantId)
      if (!set) this.byGrant.set(payload.grantId, (set = new Set()))
      set.add(key)
    }
    if (payload.userCode) this.byUserCode.set(payload.userCode, key)
    // Amortised sweep instead of a timer: nothing keeps the process alive, and the map
    // cannot grow past twice its live size.
    if (++this.writesSinceSweep > Math.max(1000, this.liveAfterSweep)) this.sweep()
  }

  private sweep() {
    this.writesSinceSweep = 0
    const now = this.now()
    for (const [key, entry] of this.entries) if (entry.expiresAt <= now) this.remove(key)
    this.liveAfterSweep = this.entries.size
  }

  private remove(key: string) {
    const entry = this.entries.get(key)
    if (!entry) return
    this.entries.delete(key)
    const grantId = entry.payload.grantId
    if (grantId) {
      const set = this.byGrant.get(grantId)
      set?.delete(key)
      if (set?.size === 0) this.byGrant.delete(grantId)
    }
    if (entry.payload.userCode && this.byUserCode.get(entry.payload.userCode) === key) {
      this.byUserCode.delete(entry.payload.userCode)
    }
  }

  /** The entry as it is now; its payload is frozen, so it is shared, not copied. */
  private copy(entry: StoreEntry | undefined): StoreEntry | undefined {
    return entry && { payload: entry.payload, expiresAt: entry.expiresAt, consumed: entry.consumed }
  }
}

/** A deep copy of a JSON value, frozen at every level. */
function frozenCopy<T>(value: T): T {
  if (typeof value !== 'object' || value === null) return value
  if (Array.isArray(value)) return Object.freeze(value.map(frozenCopy)) as T
  const out: Record<string, unknown> = {}
  for (const [key, field] of Object.entries(value)) out[key] = frozenCopy(field)
  return Object.freeze(out) as T
}
