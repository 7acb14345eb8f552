import { createRequire } from 'node:module'

// The `pg` driver as PostgresStore uses it: loading it, the pool's settings, and a pipelined
// transaction on one connection. The store's statements and what they mean are PostgresStore's.

/**
 * A statement as `pg` takes it: plain SQL (parsed and planned on every call), or a named
 * prepared statement, which each connection parses once and then only executes. `pg` copies
 * the object and sets the second argument of `query` as its `values`.
 */
export type Query = string | { name: string; text: string }
export type Result = Promise<{ rows: Row[]; rowCount: number | null }>

/** The part of the `pg` driver the store uses: its `Pool`. */
export interface Pool {
  query(query: Query, params?: unknown[]): Result
  connect(): Promise<PoolClient>
  on(event: 'error', listener: (error: Error) => void): unknown
  end(): Promise<void>
}
interface PoolClient {
  query(query: Query, params?: unknown[]): Result
  release(error?: Error | boolean): void
  on(event: 'error', listener: (error: Error) => void): unknown
  off(event: 'error', listener: (error: Error) => void): unknown
  /** `pg`'s connection; its socket is corked so that statements queued together leave in one write. */
  connection?: { stream?: { cork?(): void; uncork?(): void } }
  /** The PostgreSQL backend's process id (`pg` reads it at connect). */
  processID?: number | null
}
export interface Row {
  id: string
  payload: string
  expires_at: number
  consumed: boolean
  was?: boolean
  n?: string
  status?: string | null
}

/**
 * Runs `body` in a transaction on one of `pool`'s connections, pipelined (`pg`'s `pipeline`): `send`
 * queues a statement without waiting for the ones before it, `sent()` waits for every
 * statement queued so far (BEGIN included) and throws the first failure. `body` sends a write
 * only after a `sent()`, so no write can run outside the transaction had BEGIN failed. What
 * it queued last goes out with COMMIT, in one round trip; its result is returned once all of
 * them succeeded. Any failure rolls back: a statement that failed aborts the transaction, so
 * the COMMIT behind it ends it without writing. A connection that failed mid-transaction is
 * destroyed, not returned to the pool.
 */
export async function pipelined<T>(pool: Pool, body: (send: (query: Query, params: unknown[]) => Result, sent: () => Promise<unknown>, pid: number | undefined) => Promise<T>): Promise<T> {
  const client = await pool.connect()
  let broken: Error | undefined
  // A connection that dies between two statements emits 'error' on the checked-out client; with
  // no listener that would end the process. The next statement fails instead, and rolls back.
  const lost = (error: Error) => (broken ??= error)
  client.on('error', lost)
  const queued: Result[] = []
  // Statements queued in one turn leave in one write (Node's cork, uncorked on the next
  // tick): a syscall per round trip instead of one per statement, on both sides.
  const stream = client.connection?.stream
  let corked = false
  const uncork = () => {
    corked = false
    stream!.uncork!()
  }
  const send = (query: Query, params?: unknown[]) => {
    if (!corked && stream?.cork && stream.uncork) {
      corked = true
      stream.cork()
      process.nextTick(uncork)
    }
    const result = client.query(query, params)
    // Each is awaited by sent() or before COMMIT's answer is trusted; not unhandled meanwhile.
    result.catch(() => {})
    queued.push(result)
    return result
  }
  const sent = () => Promise.all(queued)
  try {
    send('BEGIN')
    const result = await body(send, sent, client.processID ?? undefined)
    send('COMMIT')
    await sent()
    return result
  } catch (error) {
    broken = error as Error
    await client.query('ROLLBACK').catch(() => {})
    throw error
  } finally {
    client.off('error', lost)
    client.release(broken ?? false)
  }
}


/** Thrown by `PostgresStore.open` when `pg` (an optional dependency) cannot be loaded. */
export class PostgresUnavailableError extends Error {
  override name = 'PostgresUnavailableError'
}

/** Loads `pg` only when a store is opened, so a missing optional dependency is an error here and nowhere else. */
export function createPool(connectionString: string, max: number, timeoutMs: number): Pool {
  let driver: { Pool: new (config: Record<string, unknown>) => Pool }
  try {
    driver = createRequire(import.meta.url)('pg') as typeof driver
  } catch (cause) {
    throw new PostgresUnavailableError(`PostgresStore needs the pg package, which is not installed: ${(cause as Error).message}`, { cause })
  }
  const pool = new driver.Pool({
    connectionString,
    max,
    connectionTimeoutMillis: timeoutMs,
    // Client side: a query on a connection that went silent (a dropped route, a frozen server)
    // fails after this, and pg-pool destroys that connection. Server side: a statement or an
    // open transaction left behind by a lost client cannot hold row locks for longer.
    query_timeout: timeoutMs,
    statement_timeout: timeoutMs,
    idle_in_transaction_session_timeout: timeoutMs * 2,
    keepAlive: true,
    // A transaction's statements go out together where none waits for another's answer
    // (pipelined); statements on their own are unaffected.
    pipeline: true,
  })
  // An idle connection the server drops must not crash the process; the next query reconnects.
  pool.on('error', () => {})
  return pool
}
