import { writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'

/**
 * The part of the driver the store (and the tests that read its file) use: better-sqlite3's
 * `Database`, or `node:sqlite`'s `DatabaseSync`, which has the same shape
 * (decisions/0008-sqlite-store.md).
 */
export interface Database {
  exec(sql: string): unknown
  prepare(sql: string): Statement
  close(): unknown
}

export interface Statement {
  run(...params: unknown[]): { changes: number | bigint }
  get(...params: unknown[]): unknown
  all(...params: unknown[]): unknown[]
}

/** Thrown by the `SqliteStore` constructor when better-sqlite3 (an optional dependency) cannot be loaded. */
export class SqliteUnavailableError extends Error {
  override name = 'SqliteUnavailableError'
}

/**
 * Loads the driver only when a store is opened, so a missing optional dependency is an error
 * here and nowhere else: better-sqlite3 when it installed and built for this Node, else
 * Node's own `node:sqlite` (22.13+ without a flag), whose `DatabaseSync` has the same shape.
 */
export function openDatabase(path: string): Database {
  createPrivate(path)
  const require = createRequire(import.meta.url)
  let cause: unknown
  try {
    const Driver = require('better-sqlite3') as new (path: string) => Database
    return new Driver(path)
  } catch (err) {
    // Only a driver that cannot load falls back; a file it cannot open is the caller's error.
    const unloadable = (err as { code?: string }).code === 'MODULE_NOT_FOUND' || (err as { code?: string }).code === 'ERR_DLOPEN_FAILED' || /NODE_MODULE_VERSION|self-register|bindings/.test(String((err as Error)?.message))
    if (!unloadable) throw err
    cause = err
  }
  let Builtin: new (path: string) => Database
  try {
    Builtin = (require('node:sqlite') as { DatabaseSync: typeof Builtin }).DatabaseSync
  } catch {
    throw new SqliteUnavailableError(
      `SqliteStore needs the better-sqlite3 package (not installed, or built for another Node) or Node 22.13+ with node:sqlite: ${(cause as Error).message}`,
      { cause },
    )
  }
  return new Builtin(path)
}

/**
 * Creates a store file that does not exist yet readable by its owner only. The file holds
 * sessions, grants and the sealed signing keys, and SQLite gives its `-wal` and `-shm` files
 * the database file's mode, so this one mode covers all three. An existing file keeps the
 * mode its operator gave it; a path that cannot be created is left for the driver to report.
 */
function createPrivate(path: string): void {
  if (path === '' || path === ':memory:' || path.startsWith('file:')) return
  try {
    writeFileSync(path, '', { mode: 0o600, flag: 'a' })
  } catch {
    // The driver's own error names the path and the reason.
  }
}
