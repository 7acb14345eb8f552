import type { Store } from './Store.js'

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
 * A timed-out operation may still complete later. For the writes that matter this is safe:
 * {@link Store.commit} spends a token in the same transaction that stores its successor, and the
 * PostgreSQL store bounds its statements server-side to the same time.
 */
export function guardStore(store: Store, timeoutMs: number): Store {
  const guarded = Object.create(store) as Store
  for (const name of ['upsert', 'insert', 'find', 'findByUserCode', 'consume', 'destroy', 'revokeByGrantId', 'commit', 'count'] as const) {
    const op = store[name] as (...args: unknown[]) => Promise<unknown>
    ;(guarded as unknown as Record<string, unknown>)[name] = (...args: unknown[]) => bounded(name, () => op.apply(store, args), timeoutMs)
  }
  return guarded
}

async function bounded<T>(name: string, run: () => Promise<T>, timeoutMs: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new StoreUnavailableError(`store.${name} did not answer within ${timeoutMs} ms`)), timeoutMs)
  })
  try {
    return await Promise.race([run(), deadline])
  } catch (error) {
    if (error instanceof StoreUnavailableError) throw error
    throw new StoreUnavailableError(`store.${name} failed: ${(error as Error)?.message ?? String(error)}`, { cause: error })
  } finally {
    clearTimeout(timer)
  }
}
