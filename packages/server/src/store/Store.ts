import type { RecordKind, StoredPayload } from '../records/index.js'

export type { RecordKind, StoredPayload } from '../records/index.js'
export interface StoreEntry<P extends StoredPayload = StoredPayload> {
  payload: P
  /** Milliseconds since the epoch; entries past it are not returned. */
  expiresAt: number
  /** Whether {@link Store.consume} has been called on this entry. */
  consumed: boolean
}

/**
 * Persistence for the provider, modelled on what node-oidc-provider's adapters need.
 * Implementations must make {@link Store.consume} and {@link Store.insert} atomic: of N
 * concurrent calls on one id exactly one sees the unconsumed / absent state.
 *
 * @example
 * ```ts
 * const provider = createProvider({ realms, store: new MemoryStore() })
 * ```
 */
export interface Store {
  /** Creates or replaces an entry, keeping its consumed flag when it exists. */
  upsert(kind: RecordKind, id: string, payload: StoredPayload, expiresAt: number): Promise<void>
  /** Creates an entry only when none is live under that id; false when one was. */
  insert(kind: RecordKind, id: string, payload: StoredPayload, expiresAt: number): Promise<boolean>
  find<P extends StoredPayload>(kind: RecordKind, id: string): Promise<StoreEntry<P> | undefined>
  findByUserCode<P extends StoredPayload>(userCode: string): Promise<{ id: string; entry: StoreEntry<P> } | undefined>
  /**
   * Marks an entry consumed and returns it as it was before: `consumed: false` means this
   * call is the one that consumed it.
   */
  consume<P extends StoredPayload>(kind: RecordKind, id: string): Promise<StoreEntry<P> | undefined>
  destroy(kind: RecordKind, id: string): Promise<void>
  /** Removes every entry carrying this `grantId`: the grant's codes and tokens stop working. */
  revokeByGrantId(grantId: string): Promise<void>
  /**
   * Writes several entries as one transaction: every write lands, or none does (a failure
   * throws and leaves the store as it was). With `consume`, the writes happen only if that
   * entry is live and unconsumed, and it is marked consumed in the same transaction; with
   * `unless`, only if that entry is absent. Of concurrent commits spending one entry, in any
   * number of processes, exactly one answers `committed`.
   *
   * This is what keeps a token endpoint from losing a refresh token: the old one is spent
   * exactly when its successor is stored, never one without the other.
   */
  commit(tx: StoreCommit): Promise<CommitOutcome>
  /** How many live entries of `kind` have an id starting with `idPrefix` (a per-realm quota). */
  count(kind: RecordKind, idPrefix: string): Promise<number>
}

/** One entry written by {@link Store.commit}: created, or replaced keeping its consumed flag. */
export interface StoreWrite {
  kind: RecordKind
  id: string
  payload: StoredPayload
  expiresAt: number
}

/** The conditional write of {@link Store.commit}. */
export interface StoreCommit {
  /** The entry the writes spend: it must be live and unconsumed, and is marked consumed with them. */
  consume?: { kind: RecordKind; id: string }
  /** An entry that must not be live (a revoked grant's tombstone). */
  unless?: { kind: RecordKind; id: string }
  writes: StoreWrite[]
  /**
   * Aborted once the caller has stopped waiting (the provider's `store_timeout_ms` passed and
   * it answered 503): a store that may wait before it writes (for a connection, a lock) checks
   * it before writing and then writes nothing, so the client's retry finds its token unspent.
   */
  signal?: AbortSignal
}

/**
 * What {@link Store.commit} did: `committed`, or nothing because the entry to consume was
 * `missing` (absent or expired) or already `consumed`, or the `unless` entry was `present`.
 */
export type CommitOutcome = 'committed' | 'missing' | 'consumed' | 'present'
