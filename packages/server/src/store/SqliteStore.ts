import { LogFlusher } from './LogFlusher.js'
import { openDatabase, type Database, type Statement } from './openSqlite.js'
export { SqliteUnavailableError } from './openSqlite.js'
import type { CommitOutcome, RecordKind, Store, StoreCommit, StoreEntry, StoredPayload } from './Store.js'

/** Options of {@link SqliteStore}. */
export interface SqliteStoreOptions {
  /** The database file (its directory must exist), or `:memory:` for a private in-memory database. */
  path: string
  /** Milliseconds since the epoch; defaults to `Date.now`. Pass the provider's own clock. */
  now?: () => number
  /** How long a write waits for another process holding the file's write lock; default 5000 ms. */
  busyTimeoutMs?: number
  /**
   * The most the database may grow to, in bytes (SQLite's `max_page_count`); unbounded by
   * default. Past it a write fails as on a full disk: the provider answers 503 and loses nothing.
   */
  maxSizeBytes?: number
  /**
   * Flushes the write-ahead log to disk before a write is answered; defaults to `fs.fsync` of
   * the `-wal` file on libuv's thread pool. Replace it only to simulate a disk that stalls or
   * fails: a write is not answered while its flush is pending, and when a flush fails the
   * store closes (every waiting and later call is refused) until the provider restarts.
   */
  flush?: (walFd: number) => Promise<void>
}

interface Row {
  id: string
  payload: string
  expires_at: number
  consumed: number
}

/** How much of the file is read through a memory map: 1 GiB, more than a million live grants take. */
const MMAP_BYTES = 2 ** 30

/** Bumped with every change of the tables below; a file from a newer version is refused. */
const SCHEMA_VERSION = 1

/**
 * The kinds the provider counts (a realm's registered clients, a user's failures) and a partial
 * index of each: their keys and expiries in entries of a few dozen bytes, where the table's rows
 * carry their payloads (a client's metadata can be 10 KB), and no token write updates them.
 */
const COUNTED: Partial<Record<RecordKind, string>> = { Client: 'entries_clients', Lockout: 'entries_lockouts' }

const SCHEMA = `
CREATE TABLE IF NOT EXISTS entries (
  kind TEXT NOT NULL,
  id TEXT NOT NULL,
  payload TEXT NOT NULL,
  expires_at INTEGER NOT NULL,
  consumed INTEGER NOT NULL DEFAULT 0,
  grant_id TEXT,
  user_code TEXT,
  PRIMARY KEY (kind, id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS entries_grant_id ON entries (grant_id) WHERE grant_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS entries_user_code ON entries (user_code) WHERE user_code IS NOT NULL;
CREATE INDEX IF NOT EXISTS entries_expires_at ON entries (expires_at);
-- Gone (decisions/0069): a copy of the key of every row, updated by every write, for count(),
-- whose ranges (a realm's registered clients, a user's failures) are bounded by their quotas.
DROP INDEX IF EXISTS entries_kind_id;
${Object.entries(COUNTED).map(([kind, index]) => `CREATE INDEX IF NOT EXISTS ${index} ON entries (id, expires_at) WHERE kind = '${kind}';`).join('\n')}
PRAGMA user_version = ${SCHEMA_VERSION};
`

const COLUMNS = '(kind, id, payload, expires_at, consumed, grant_id, user_code) VALUES (@kind, @id, @payload, @expiresAt, 0, @grantId, @userCode)'
const UPDATE_ALL = 'payload = excluded.payload, expires_at = excluded.expires_at, grant_id = excluded.grant_id, user_code = excluded.user_code'

const SQL = {
  // Keeps the consumed flag of a live entry; an expired one (not yet swept) starts afresh.
  upsert: `INSERT INTO entries ${COLUMNS} ON CONFLICT (kind, id) DO UPDATE SET ${UPDATE_ALL},
    consumed = CASE WHEN entries.expires_at > @now THEN entries.consumed ELSE 0 END`,
  // One statement: it changes a row only when none was there or the one there has expired.
  insert: `INSERT INTO entries ${COLUMNS} ON CONFLICT (kind, id) DO UPDATE SET ${UPDATE_ALL}, consumed = 0
    WHERE entries.expires_at <= @now`,
  find: 'SELECT payload, expires_at, consumed FROM entries WHERE kind = ? AND id = ? AND expires_at > ?',
  findByUserCode: 'SELECT id, payload, expires_at, consumed FROM entries WHERE user_code = ? AND expires_at > ? LIMIT 1',
  markConsumed: 'UPDATE entries SET consumed = 1 WHERE kind = ? AND id = ? AND expires_at > ? RETURNING payload, expires_at',
  destroy: 'DELETE FROM entries WHERE kind = ? AND id = ?',
  revokeByGrantId: 'DELETE FROM entries WHERE grant_id = ?',
  sweep: 'DELETE FROM entries WHERE expires_at <= ?',
  count: 'SELECT count(*) AS n FROM entries',
  // A range over the primary key (kind, id): the prefix's entries only, not the table.
  countPrefix: 'SELECT count(*) AS n FROM entries WHERE kind = ? AND id >= ? AND id < ? AND expires_at > ?',
  begin: 'BEGIN IMMEDIATE',
  commit: 'COMMIT',
  rollback: 'ROLLBACK',
} as const

/**
 * A {@link Store} in an SQLite file, through better-sqlite3: codes, tokens, grants,
 * consents, sessions, device codes and `jti`s survive a restart. Node only; import it from
 * `@realmauth/server/sqlite`, so that `@realmauth/server` itself stays free of native code.
 *
 * Statements are synchronous, so within a process nothing interleaves with one; `insert` is
 * one statement and `consume` one `BEGIN IMMEDIATE` transaction, so several processes on one
 * file also see exactly one winner. The file runs in WAL mode, and a write is answered only
 * once the log holding it is flushed to disk: a consumed code stays consumed after a power
 * cut. The flush runs off the main thread, shared by every write made while the previous
 * one ran (decision 0074).
 *
 * @example
 * ```ts
 * import { SqliteStore } from '@realmauth/server/sqlite'
 * const store = new SqliteStore({ path: 'data/provider.db' })
 * const provider = createProvider({ ...config, store })
 * ```
 */
export class SqliteStore implements Store {
  private readonly db: Database
  private readonly stmt: { [K in keyof typeof SQL]: Statement }
  /** count() of each {@link COUNTED} kind, through its partial index. */
  private readonly counters = new Map<RecordKind, Statement>()
  private readonly now: () => number
  private writesSinceSweep = 0
  /** Rows after the last sweep: the next one comes after as many writes (at least 1000). */
  private liveAfterSweep = 0
  private closed = false
  /** Commits waiting for this turn's shared transaction (see {@link SqliteStore.commit}). */
  private pendingCommits: { tx: StoreCommit; resolve: (outcome: CommitOutcome) => void; reject: (error: unknown) => void }[] = []
  /** Flushes the `-wal` file before a write is answered; absent for `:memory:`, whose writes are never durable. */
  private readonly log: LogFlusher | undefined

  constructor(options: SqliteStoreOptions) {
    this.now = options.now ?? Date.now
    this.db = openDatabase(options.path)
    try {
      this.db.exec(`PRAGMA busy_timeout = ${Math.max(0, Math.floor(options.busyTimeoutMs ?? 5000))}`)
      const { journal_mode: mode } = this.db.prepare('PRAGMA journal_mode = WAL').get() as { journal_mode: string }
      // NORMAL: SQLite does not fsync at COMMIT, which would block the event loop for the
      // disk's flush on every write; it still syncs around checkpoints, so the database file
      // is never ahead of the log. The log is flushed by durable() before anything is
      // answered, so an answered write is as safe as with FULL (decision 0074).
      this.db.exec(`PRAGMA synchronous = ${mode === 'wal' ? 'NORMAL' : 'FULL'}`)
      // A checkpoint runs inside the COMMIT that crosses this many log pages, on the main thread,
      // with two fsyncs, and copies each page once however often the log rewrote it: 4000
      // (16 MB of log) instead of SQLite's 1000 cut the store's CPU per refresh by 15-18%.
      this.db.exec('PRAGMA wal_autocheckpoint = 4000')
      // Reads through the OS page cache without a copy per page: with a million live rows, a
      // refresh's lookups and index inserts land on pages the 2 MB page cache does not hold
      // (decisions/0069). Writes still go through the WAL, so a full disk is still SQLITE_FULL.
      this.db.exec(`PRAGMA mmap_size = ${MMAP_BYTES}`)
      if (options.maxSizeBytes !== undefined) {
        const { page_size: pageSize } = this.db.prepare('PRAGMA page_size').get() as { page_size: number }
        this.db.exec(`PRAGMA max_page_count = ${Math.max(1, Math.floor(options.maxSizeBytes / pageSize))}`)
      }
      const { user_version: version } = this.db.prepare('PRAGMA user_version').get() as { user_version: number }
      if (version > SCHEMA_VERSION) {
        throw new Error(`${options.path} was written by a newer @realmauth/server (schema ${version}, this one knows ${SCHEMA_VERSION})`)
      }
      this.db.exec(SCHEMA)
      this.stmt = Object.fromEntries(Object.entries(SQL).map(([name, sql]) => [name, this.db.prepare(sql)])) as typeof this.stmt
      for (const [kind, index] of Object.entries(COUNTED)) {
        // The kind written out, so that its partial index applies (a bound parameter cannot show
        // the planner that the index's WHERE holds), and named: without statistics the planner
        // prefers the primary key, whose leaves hold the payloads.
        this.counters.set(kind as RecordKind, this.db.prepare(`SELECT count(*) AS n FROM entries INDEXED BY ${index} WHERE kind = '${kind}' AND id >= ? AND id < ? AND expires_at > ?`))
      }
      this.sweep()
      // Fail-stop on a failed flush (decision 0074): the store closes and refuses every call.
      if (mode === 'wal') this.log = new LogFlusher(options.path, options.flush, () => this.close())
    } catch (error) {
      this.db.close()
      throw error
    }
  }

  async upsert(kind: RecordKind, id: string, payload: StoredPayload, expiresAt: number): Promise<void> {
    this.stmt.upsert.run(this.row(kind, id, payload, expiresAt))
    this.wrote()
    await this.durable()
  }

  async insert(kind: RecordKind, id: string, payload: StoredPayload, expiresAt: number): Promise<boolean> {
    const { changes } = this.stmt.insert.run(this.row(kind, id, payload, expiresAt))
    if (Number(changes) === 0) return false
    this.wrote()
    await this.durable()
    return true
  }

  async find<P extends StoredPayload>(kind: RecordKind, id: string): Promise<StoreEntry<P> | undefined> {
    const row = this.stmt.find.get(kind, id, this.now()) as Row | undefined
    return row && toEntry<P>(row)
  }

  async findByUserCode<P extends StoredPayload>(userCode: string) {
    const row = this.stmt.findByUserCode.get(userCode, this.now()) as Row | undefined
    return row && { id: row.id, entry: toEntry<P>(row) }
  }

  async consume<P extends StoredPayload>(kind: RecordKind, id: string): Promise<StoreEntry<P> | undefined> {
    const now = this.now()
    const entry = this.transaction(() => {
      // Read the flag as it was, then set it, under the write lock: of any number of callers,
      // in this process or another on the same file, exactly one reads consumed = 0.
      const before = this.stmt.find.get(kind, id, now) as Row | undefined
      if (!before) return undefined
      if (before.consumed) return toEntry<P>(before)
      const after = this.stmt.markConsumed.get(kind, id, now) as Row
      return toEntry<P>({ ...after, consumed: 0 })
    })
    if (entry && !entry.consumed) await this.durable()
    return entry
  }

  /**
   * Commits arriving in one turn of the event loop share one transaction (decision 0072), and
   * its flush to disk: each caller is answered only after both, so nothing is acknowledged
   * before it is durable, and the commits apply in arrival order, so the outcome is the one
   * some serial order gives.
   */
  commit(tx: StoreCommit): Promise<CommitOutcome> {
    return new Promise((resolve, reject) => {
      if (this.pendingCommits.push({ tx, resolve, reject }) === 1) setImmediate(() => this.flushCommits())
    })
  }

  private flushCommits(): void {
    const batch = this.pendingCommits
    this.pendingCommits = []
    let outcomes: CommitOutcome[] | undefined
    if (batch.length > 1) {
      try {
        outcomes = this.transaction(() => batch.map(({ tx }) => this.apply(tx)))
      } catch {
        // The whole batch rolled back (a full disk, a closed store, a busy lock): each commit
        // runs again on its own below, so only the ones that fail alone are refused.
      }
    }
    const answers = batch.map(({ tx }, i) => {
      if (outcomes) return outcomes[i]!
      try {
        return this.transaction(() => this.apply(tx))
      } catch (error) {
        return { error }
      }
    })
    // Answered once on disk: a commit that wrote waits for the flush covering it.
    const flushed = answers.includes('committed') ? this.durable() : undefined
    for (const [i, { resolve, reject }] of batch.entries()) {
      const answer = answers[i]!
      if (typeof answer === 'object') reject(answer.error)
      else if (answer === 'committed') flushed!.then(() => resolve(answer), reject)
      else resolve(answer)
    }
  }

  /** One commit's checks and writes, inside a transaction the caller holds. */
  private apply(tx: StoreCommit): CommitOutcome {
    const now = this.now()
    if (tx.consume) {
      const before = this.stmt.find.get(tx.consume.kind, tx.consume.id, now) as Row | undefined
      if (!before) return 'missing'
      if (before.consumed) return 'consumed'
    }
    if (tx.unless && this.stmt.find.get(tx.unless.kind, tx.unless.id, now)) return 'present'
    for (const w of tx.writes) this.stmt.upsert.run(this.row(w.kind, w.id, w.payload, w.expiresAt))
    if (tx.consume) this.stmt.markConsumed.get(tx.consume.kind, tx.consume.id, now)
    this.wrote()
    return 'committed'
  }

  async count(kind: RecordKind, idPrefix: string): Promise<number> {
    const end = idPrefix + '\u{10ffff}'
    const counter = this.counters.get(kind)
    const row = counter ? counter.get(idPrefix, end, this.now()) : this.stmt.countPrefix.get(kind, idPrefix, end, this.now())
    return (row as { n: number }).n
  }

  async destroy(kind: RecordKind, id: string): Promise<void> {
    this.stmt.destroy.run(kind, id)
    await this.durable()
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    this.stmt.revokeByGrantId.run(grantId)
    await this.durable()
  }

  /** Rows in the file, expired ones not yet swept included; for tests and diagnostics. */
  get size(): number {
    return (this.stmt.count.get() as { n: number }).n
  }

  /** Closes the database; later calls reject. Safe to call twice. */
  close(): void {
    if (this.closed) return
    this.closed = true
    this.db.close()
    this.log?.close()
  }

  /** Resolves once everything written so far is on disk (see {@link LogFlusher.durable}). */
  private durable(): Promise<void> {
    return this.log ? this.log.durable() : Promise.resolve()
  }

  private row(kind: RecordKind, id: string, payload: StoredPayload, expiresAt: number) {
    // JSON text: a copy by construction, so callers cannot change what was stored.
    const grantId = typeof payload.grantId === 'string' && payload.grantId !== '' ? payload.grantId : null
    const userCode = typeof payload.userCode === 'string' && payload.userCode !== '' ? payload.userCode : null
    return { kind, id, payload: JSON.stringify(payload), expiresAt, grantId, userCode, now: this.now() }
  }

  private transaction<T>(body: () => T): T {
    this.stmt.begin.run()
    try {
      const result = body()
      this.stmt.commit.run()
      return result
    } catch (error) {
      // SQLite rolls back by itself on some errors (SQLITE_FULL, SQLITE_IOERR): a second
      // ROLLBACK would throw "no transaction is active" and hide the real cause.
      try {
        this.stmt.rollback.run()
      } catch {}
      throw error
    }
  }

  /** Amortised sweep instead of a timer: nothing keeps the process alive, and the file stays near its live size. */
  private wrote() {
    if (++this.writesSinceSweep > Math.max(1000, this.liveAfterSweep)) this.sweep()
  }

  private sweep() {
    this.writesSinceSweep = 0
    this.stmt.sweep.run(this.now())
    this.liveAfterSweep = this.size
  }
}

function toEntry<P extends StoredPayload>(row: Pick<Row, 'payload' | 'expires_at' | 'consumed'>): StoreEntry<P> {
  return { payload: JSON.parse(row.payload) as P, expiresAt: row.expires_at, consumed: row.consumed !== 0 }
}
