import { closeSync, fsync, fsyncSync, openSync } from 'node:fs'
import { dirname } from 'node:path'

/**
 * The durability half of `SqliteStore` (decision 0074): the database runs with
 * `synchronous = NORMAL`, so COMMIT does not fsync on the main thread, and this flushes the
 * `-wal` file on libuv's pool before a write is answered. A flush covers the writes made
 * before it started, so a write made while one runs waits for the next, and all such writes
 * share it: one fsync per disk round trip, however many requests wrote meanwhile.
 */
export class LogFlusher {
  readonly #fd: number
  readonly #flush: (walFd: number) => Promise<void>
  readonly #failed: () => void
  /** The flush running now, and the one queued behind it for writes made after it started. */
  #flushing: Promise<void> | undefined
  #next: Promise<void> | undefined
  #closed = false

  /** `failed` runs once a flush fails, before the waiting writes are refused. */
  constructor(dbPath: string, flush: ((walFd: number) => Promise<void>) | undefined, failed: () => void) {
    this.#fd = openLog(dbPath)
    this.#flush = flush ?? ((fd) => new Promise((resolve, reject) => fsync(fd, (err) => (err ? reject(err) : resolve()))))
    this.#failed = failed
  }

  /** Resolves once everything written so far is on disk. */
  durable(): Promise<void> {
    if (!this.#flushing) {
      this.#flushing = this.#flush(this.#fd).then(
        () => {
          this.#flushing = undefined
        },
        (cause: unknown) => {
          // Fail-stop, as PostgreSQL does on a failed fsync: what was written may or may not be
          // on disk, and later flushes could report success over the lost pages, so nothing
          // more is answered. The waiting writes are refused and every later call fails until
          // the provider restarts and SQLite recovers from what the disk holds.
          this.#flushing = undefined
          this.#failed()
          throw new Error(`SqliteStore closed: the disk failed to flush its log (${(cause as Error)?.message ?? cause}); restart the provider`, { cause })
        },
      )
      return this.#flushing
    }
    return (this.#next ??= this.#flushing.then(
      () => this.#afterFlush(),
      () => this.#afterFlush(),
    ))
  }

  /** Closes the log's handle; writes still waiting for a flush are refused. Safe to call twice. */
  close(): void {
    if (this.#closed) return
    this.#closed = true
    closeSync(this.#fd)
  }

  #afterFlush(): Promise<void> {
    this.#next = undefined
    if (this.#closed) return Promise.reject(new Error('SqliteStore is closed'))
    return this.durable()
  }
}

/**
 * Opens the write-ahead log for flushing (read-write: Windows flushes only such handles),
 * and flushes its directory once, so that a newly created log is found after a power cut:
 * SQLite would do that at its first sync of the log, which synchronous = NORMAL postpones.
 */
function openLog(path: string): number {
  const fd = openSync(`${path}-wal`, 'r+')
  try {
    const dir = openSync(dirname(path), 'r')
    try {
      fsyncSync(dir)
    } finally {
      closeSync(dir)
    }
  } catch {
    // Directories cannot be opened or flushed on every platform (Windows); nothing to do there.
  }
  return fd
}
