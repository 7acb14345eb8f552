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
}
