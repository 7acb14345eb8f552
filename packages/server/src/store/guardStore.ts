import type { Store, StoreCommit } from './Store.js'

/**
 * A store operation that failed or took too long: the provider answers 503
 * `temporarily_unavailable` with `Retry-After`, and logs `cause`, the driver's own error.
 */
export class StoreUnavailableError extends Error {
  override name = 'StoreUnavailableError'
}

/**
 * Wraps a {@link Store} so that every operation settles within `timeoutMs` and every failure is
 * a {@link StoreUnavailableError}. One mechanism for every implementation, including an
 * operator's own: a database that stops answering costs a request `timeoutMs`, never a hang,
 * and the provider can tell "the store is down" (503) from its own bugs (500).
 *
 * A timed-out operation may still complete later. A commit that landed after its 503 would have
 * spent the token the client retries with (its successor never handed out), so a commit is
 * given a `signal` aborted at the deadline: the PostgreSQL store, which can wait for a
 * connection and the grant's lock longer than the deadline, then sends no writes (decision 0078).
 */
export function guardStore(store: Store, timeoutMs: number): Store {
  const guarded = Object.create(store) as Store
  for (const name of ['upsert', 'insert', 'find', 'findByUserCode', 'consume', 'destroy', 'revokeByGrantId', 'commit', 'count'] as const) {
    const op = store[name] as (...args: unknown[]) => Promise<unknown>
    ;(guarded as unknown as Record<string, unknown>)[name] = (...args: unknown[]) => bounded(name, op, store, args, timeoutMs)
  }
  return guarded
}

/** One timer and one promise per operation: no deadline promise raced against it. */
function bounded<T>(name: string, op: (...args: unknown[]) => Promise<T>, store: Store, args: unknown[], timeoutMs: number): Promise<T> {
  // A commit learns when its caller stops waiting, so that it writes nothing after that.
  const abandoned = name === 'commit' ? new AbortController() : undefined
  if (abandoned) args = [{ ...(args[0] as StoreCommit), signal: abandoned.signal }]
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      abandoned?.abort()
      reject(new StoreUnavailableError(`store.${name} did not answer within ${timeoutMs} ms`))
    }, timeoutMs)
    const failed = (error: unknown) => {
      clearTimeout(timer)
      reject(error instanceof StoreUnavailableError ? error : new StoreUnavailableError(`store.${name} failed: ${(error as Error)?.message ?? String(error)}`, { cause: error }))
    }
    try {
      op.apply(store, args).then((value) => {
        clearTimeout(timer)
        resolve(value)
      }, failed)
    } catch (error) {
      failed(error)
    }
  })
}
