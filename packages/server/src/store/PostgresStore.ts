import type { CommitOutcome, RecordKind, Store, StoreCommit, StoreEntry, StoredPayload } from './Store.js'
import { createPool, pipelined, type Pool, type Row } from './openPostgres.js'

/** Options of {@link PostgresStore.open}. */
export interface PostgresStoreOptions {
  /** Milliseconds since the epoch; defaults to `Date.now`. Pass the provider's own clock. */
  now?: () => number
  /** Connections in the pool; default 10. */
  max?: number
  /**
   * How long a connection attempt or a query may take before it fails, in milliseconds;
   * default 5000. A database that stops answering then costs a request this long, not forever,
   * and the broken connection is dropped so the pool recovers once the database is back.
   */
  timeoutMs?: number
}

const TABLE = 'realmauth_entries'

// Expiries are double precision, like SQLite's REAL-capable INTEGER column: the contract keeps
// fractional milliseconds and the far expiry (8.64e15) of a refresh token that never expires.
// Payloads are JSON text (not jsonb): they come back byte for byte as they were written.
const SCHEMA = `
CREATE TABLE IF NOT EXISTS ${TABLE} (
  kind text NOT NULL,
  id text NOT NULL,
  payload text NOT NULL,
  expires_at double precision NOT NULL,
  consumed boolean NOT NULL DEFAULT false,
  grant_id text,
  user_code text,
  PRIMARY KEY (kind, id)
);
CREATE INDEX IF NOT EXISTS ${TABLE}_grant_id ON ${TABLE} (grant_id) WHERE grant_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS ${TABLE}_user_code ON ${TABLE} (user_code) WHERE user_code IS NOT NULL;
CREATE INDEX IF NOT EXISTS ${TABLE}_expires_at ON ${TABLE} (expires_at);
`
/** Serialises schema creation between processes opening the same database at once. */
const SCHEMA_LOCK = 0x7265616c6d // 'realm'

const COLUMNS = `(kind, id, payload, expires_at, consumed, grant_id, user_code) VALUES ($1, $2, $3, $4, false, $5, $6)`
const UPDATE_ALL = 'payload = excluded.payload, expires_at = excluded.expires_at, grant_id = excluded.grant_id, user_code = excluded.user_code'

const TEXT = {
  // Keeps the consumed flag of a live entry; an expired one (not yet swept) starts afresh.
  upsert: `INSERT INTO ${TABLE} AS t ${COLUMNS} ON CONFLICT (kind, id) DO UPDATE SET ${UPDATE_ALL},
    consumed = CASE WHEN t.expires_at > $7 THEN t.consumed ELSE false END`,
  // One statement: it returns a row only when none was there or the one there had expired.
  insert: `INSERT INTO ${TABLE} AS t ${COLUMNS} ON CONFLICT (kind, id) DO UPDATE SET ${UPDATE_ALL}, consumed = false
    WHERE t.expires_at <= $7 RETURNING 1 AS n`,
  find: `SELECT payload, expires_at, consumed FROM ${TABLE} WHERE kind = $1 AND id = $2 AND expires_at > $3`,
  findByUserCode: `SELECT id, payload, expires_at, consumed FROM ${TABLE} WHERE user_code = $1 AND expires_at > $2 LIMIT 1`,
  // One statement: the row lock taken by FOR UPDATE makes concurrent callers wait, and each
  // then re-reads the row as the previous one left it, so exactly one reads consumed = false.
  consume: `WITH old AS (SELECT consumed FROM ${TABLE} WHERE kind = $1 AND id = $2 AND expires_at > $3 FOR UPDATE)
    UPDATE ${TABLE} AS t SET consumed = true FROM old WHERE t.kind = $1 AND t.id = $2
    RETURNING t.payload, t.expires_at, old.consumed AS was`,
  destroy: `DELETE FROM ${TABLE} WHERE kind = $1 AND id = $2`,
  revokeByGrantId: `DELETE FROM ${TABLE} WHERE grant_id = $1`,
  // Taken by commit (for its `unless` entry) and revokeByGrantId on the grant id, so a grant is
  // either revoked before a commit checks its tombstone, or after the commit's rows are visible.
  grantLock: 'SELECT pg_advisory_xact_lock(hashtext($1))',
  // A commit's checks in one statement, after grantLock (so the tombstone read is a fresh
  // snapshot): the entry to spend, locked (null when missing), whether `unless` exists, and the
  // transaction's id, by which a commit whose answer was lost is found out (committed, below).
  checks: `SELECT (SELECT consumed FROM ${TABLE} WHERE kind = $1 AND id = $2 AND expires_at > $3 FOR UPDATE) AS consumed,
    EXISTS (SELECT 1 FROM ${TABLE} WHERE kind = $4 AND id = $5 AND expires_at > $3) AS present, txid_current() AS xid`,
  markConsumed: `UPDATE ${TABLE} SET consumed = true WHERE kind = $1 AND id = $2`,
  // A write and the spend it pays for in one statement (rows differ; the caller checks).
  upsertSpending: `WITH spent AS (UPDATE ${TABLE} SET consumed = true WHERE kind = $8 AND id = $9)
    INSERT INTO ${TABLE} AS t ${COLUMNS} ON CONFLICT (kind, id) DO UPDATE SET ${UPDATE_ALL},
    consumed = CASE WHEN t.expires_at > $7 THEN t.consumed ELSE false END`,
  sweep: `DELETE FROM ${TABLE} WHERE expires_at <= $1`,
  count: `SELECT count(*) AS n FROM ${TABLE}`,
  // Ends transaction $2 if backend $1 still has it open (backend_xid is txid_current() less its epoch).
  endTransaction: `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid = $1 AND backend_xid = ($2::bigint % 4294967296)::text::xid`,
  transactionStatus: 'SELECT txid_status($1) AS status',
  // starts_with, not a range: the database's collation need not order by code point.
  countPrefix: `SELECT count(*) AS n FROM ${TABLE} WHERE kind = $1 AND starts_with(id, $2) AND expires_at > $3`,
} as const

/**
 * Every statement above as a named prepared statement: PostgreSQL parses and plans each once
 * per connection instead of once per call (about half its CPU on a rotation), and
 * `pg` prepares it again by itself on a connection that replaced a dropped one. One name per
 * text: the names are the keys, the texts constants.
 */
const SQL = Object.fromEntries(Object.entries(TEXT).map(([key, text]) => [key, { name: `realmauth_${key}`, text }])) as {
  [K in keyof typeof TEXT]: { name: string; text: string }
}

/**
 * A {@link Store} in a PostgreSQL table, through the `pg` package: several provider processes
 * on one database share codes, tokens, grants, sessions and device codes, so they can run
 * behind one address. Node only; import it from `@realmauth/server/postgres`.
 *
 * `insert` is one `INSERT … ON CONFLICT DO UPDATE … WHERE expired` and `consume` one
 * `UPDATE` over a `SELECT … FOR UPDATE`: of concurrent calls on one id, in any number of
 * processes, exactly one wins. Expired rows are swept as the store is written to, no timer.
 *
 * Signing keys are kept here too (sealed) when the provider has a `key_encryption_secret`.
 *
 * @example
 * ```ts
 * import { PostgresStore } from '@realmauth/server/postgres'
 * const store = await PostgresStore.open('postgres://realmauth:secret@db:5432/realmauth')
 * const provider = createProvider({ ...config, key_encryption_secret: process.env.REALMAUTH_KEY_SECRET, store })
 * ```
 */
export class PostgresStore implements Store {
  private readonly now: () => number
  private readonly timeoutMs: number
  private writesSinceSweep = 0
  /** Rows after the last sweep: the next one comes after as many writes (at least 1000). */
  private liveAfterSweep = 0
  private closed?: Promise<void>

  private constructor(
    private readonly pool: Pool,
    options: PostgresStoreOptions,
  ) {
    this.now = options.now ?? Date.now
    this.timeoutMs = options.timeoutMs ?? 5000
  }

  /** Connects, creates the table and its indexes when missing, and sweeps expired rows. */
  static async open(connectionString: string, options: PostgresStoreOptions = {}): Promise<PostgresStore> {
    const store = new PostgresStore(createPool(connectionString, options.max ?? 10, options.timeoutMs ?? 5000), options)
    try {
      const client = await store.pool.connect()
      try {
        await client.query('BEGIN')
        await client.query('SELECT pg_advisory_xact_lock($1)', [SCHEMA_LOCK])
        await client.query(SCHEMA)
        await client.query('COMMIT')
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {})
        throw error
      } finally {
        client.release()
      }
      await store.sweep()
      return store
    } catch (error) {
      await store.close()
      throw error
    }
  }

  async upsert(kind: RecordKind, id: string, payload: StoredPayload, expiresAt: number): Promise<void> {
    await this.pool.query(SQL.upsert, this.row(kind, id, payload, expiresAt))
    await this.wrote()
  }

  async insert(kind: RecordKind, id: string, payload: StoredPayload, expiresAt: number): Promise<boolean> {
    const { rows } = await this.pool.query(SQL.insert, this.row(kind, id, payload, expiresAt))
    if (rows.length === 0) return false
    await this.wrote()
    return true
  }

  async find<P extends StoredPayload>(kind: RecordKind, id: string): Promise<StoreEntry<P> | undefined> {
    if (unstorable(id)) return undefined
    const { rows } = await this.pool.query(SQL.find, [kind, id, this.now()])
    return rows[0] && toEntry<P>(rows[0])
  }

  async findByUserCode<P extends StoredPayload>(userCode: string) {
    if (unstorable(userCode)) return undefined
    const { rows } = await this.pool.query(SQL.findByUserCode, [userCode, this.now()])
    const row = rows[0]
    return row && { id: row.id, entry: toEntry<P>(row) }
  }

  async consume<P extends StoredPayload>(kind: RecordKind, id: string): Promise<StoreEntry<P> | undefined> {
    if (unstorable(id)) return undefined
    const { rows } = await this.pool.query(SQL.consume, [kind, id, this.now()])
    const row = rows[0]
    return row && toEntry<P>({ ...row, consumed: row.was === true })
  }

  async destroy(kind: RecordKind, id: string): Promise<void> {
    if (unstorable(id)) return
    await this.pool.query(SQL.destroy, [kind, id])
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    // Two round trips: BEGIN and the lock, then the delete and COMMIT. The delete runs after
    // the lock is granted, and so sees what a commit that held it wrote.
    await pipelined(this.pool, async (send, sent) => {
      send(SQL.grantLock, [grantId])
      await sent()
      send(SQL.revokeByGrantId, [grantId])
    })
  }

  async count(kind: RecordKind, idPrefix: string): Promise<number> {
    if (unstorable(idPrefix)) return 0
    const { rows } = await this.pool.query(SQL.countPrefix, [kind, idPrefix, this.now()])
    return Number(rows[0]!.n)
  }

  async commit(tx: StoreCommit): Promise<CommitOutcome> {
    const now = this.now()
    /** Set once the writes are queued: the transaction that would commit them, and its backend. */
    let writing: { xid: string; pid: number | undefined } | undefined
    let outcome: CommitOutcome
    try {
      outcome = await pipelined(this.pool, async (send, sent, pid): Promise<CommitOutcome> => {
        const { consume, unless, writes } = tx
        if (unless) send(SQL.grantLock, [unless.id])
        const checks = send(SQL.checks, [consume?.kind ?? null, consume?.id ?? null, now, unless?.kind ?? null, unless?.id ?? null])
        // The first round trip: BEGIN, the lock and the checks. No write goes out before BEGIN
        // is answered, so none can run outside the transaction.
        await sent()
        const { consumed, present, xid } = (await checks).rows[0] as unknown as { consumed: boolean | null; present: boolean; xid: string }
        if (consume && consumed === null) return 'missing'
        if (consume && consumed) return 'consumed'
        if (present) return 'present'
        // The provider answered 503 while this waited (for a connection, the grant's lock):
        // the client retries with the token this would spend, so write nothing.
        if (tx.signal?.aborted) throw new Error('The commit was abandoned: it outlasted the store timeout before writing')
        writing = { xid, pid }
        // The second: the writes, then COMMIT. The spend rides on the first write unless that
        // write is the spent row itself (one statement must not change a row twice).
        const [first, ...rest] = writes
        const together = consume && first && !(first.kind === consume.kind && first.id === consume.id)
        if (first) send(together ? SQL.upsertSpending : SQL.upsert, [...this.row(first.kind, first.id, first.payload, first.expiresAt), ...(together ? [consume.kind, consume.id] : [])])
        for (const w of rest) send(SQL.upsert, this.row(w.kind, w.id, w.payload, w.expiresAt))
        if (consume && !together) send(SQL.markConsumed, [consume.kind, consume.id])
        return 'committed'
      })
    } catch (error) {
      // The connection failed with the writes sent: the database may have committed them and
      // only the answer been lost. Answering that as a failure would have the client retry with
      // a refresh token already spent, and be refused (reuse detection may end the grant).
      if (!writing || (await this.committed(writing).catch(() => false)) !== true) throw error
      outcome = 'committed'
    }
    if (outcome === 'committed') await this.wrote()
    return outcome
  }

  /**
   * Whether transaction `xid` committed, asked on another connection. First its backend `pid` is
   * ended if it still holds the transaction open (its COMMIT not arrived, or arriving late), so
   * the answer cannot change afterwards; a COMMIT under way finishes first. Then `txid_status`,
   * asked again while the ending backend still says "in progress", for at most the store's
   * timeout; still undecided is not committed.
   */
  private async committed({ xid, pid }: { xid: string; pid: number | undefined }): Promise<boolean> {
    if (pid !== undefined) await this.pool.query(SQL.endTransaction, [pid, xid])
    const deadline = performance.now() + this.timeoutMs
    for (;;) {
      const { rows } = await this.pool.query(SQL.transactionStatus, [xid])
      const status = rows[0]?.status
      if (status !== 'in progress' || performance.now() >= deadline) return status === 'committed'
      await new Promise((resolve) => setTimeout(resolve, 5))
    }
  }

  /** Rows in the table, expired ones not yet swept included; for tests and diagnostics. */
  async size(): Promise<number> {
    const { rows } = await this.pool.query(SQL.count)
    return Number(rows[0]!.n)
  }

  /** Ends the pool; later calls reject. Safe to call twice. */
  close(): Promise<void> {
    this.closed ??= this.pool.end()
    return this.closed
  }

  private row(kind: RecordKind, id: string, payload: StoredPayload, expiresAt: number): unknown[] {
    // JSON text: a copy by construction, so callers cannot change what was stored.
    const grantId = typeof payload.grantId === 'string' && payload.grantId !== '' ? payload.grantId : null
    const userCode = typeof payload.userCode === 'string' && payload.userCode !== '' ? payload.userCode : null
    return [kind, id, JSON.stringify(payload), expiresAt, grantId, userCode, this.now()]
  }

  /** Amortised sweep instead of a timer: nothing keeps the process alive, and the table stays near its live size. */
  private async wrote() {
    if (++this.writesSinceSweep > Math.max(1000, this.liveAfterSweep)) await this.sweep()
  }

  private async sweep() {
    this.writesSinceSweep = 0
    await this.pool.query(SQL.sweep, [this.now()])
    this.liveAfterSweep = await this.size()
  }
}

/**
 * Whether `id` holds a NUL, which PostgreSQL text cannot: no row has such an id, so a lookup of
 * one (a `client_id` or `interaction` a request made up) answers "not there", as SQLite and the
 * memory store do, instead of an error the provider would answer with 503. Writes of one still
 * fail: the provider makes every id it writes.
 */
function unstorable(id: string): boolean {
  return id.includes('\0')
}

function toEntry<P extends StoredPayload>(row: Pick<Row, 'payload' | 'expires_at' | 'consumed'>): StoreEntry<P> {
  return { payload: JSON.parse(row.payload) as P, expiresAt: Number(row.expires_at), consumed: row.consumed === true }
}
