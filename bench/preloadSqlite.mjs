// The bulk load of a new SQLite file with refresh-token rows, shared by store-scaling.mjs and
// store-refresh-cpu.mjs.
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { SqliteStore } from '@realmauth/server/sqlite'
import { here } from './common.mjs'

const require = createRequire(join(here, 'package.json'))

/**
 * Preloads a new SQLite file with `rows` (`[id, payload, expiresAt, grantId]` refresh tokens,
 * sorted by id, so the load appends to the primary key instead of splitting pages). The store
 * makes the schema; its secondary indexes are dropped for the load and made again from their
 * own SQL after it (one sort each, not a million random inserts), in one transaction without
 * fsync: the file then is what the store made.
 */
export function preloadSqlite(path, rows) {
  new SqliteStore({ path }).close()
  const Database = require('better-sqlite3')
  const db = new Database(path)
  try {
    db.exec('PRAGMA synchronous = OFF; PRAGMA cache_size = -262144')
    const indexes = db.prepare("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'entries' AND sql IS NOT NULL").all()
    const insert = db.prepare("INSERT INTO entries (kind, id, payload, expires_at, consumed, grant_id, user_code) VALUES ('RefreshToken', ?, ?, ?, 0, ?, NULL)")
    db.transaction(() => {
      for (const index of indexes) db.exec(`DROP INDEX ${index.name}`)
      for (const row of rows) insert.run(...row)
      for (const index of indexes) db.exec(index.sql)
    })()
    db.exec('ANALYZE')
  } finally {
    db.close()
  }
}
