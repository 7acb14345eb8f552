/**
 * Every Store implementation against the one contract (store-contract.ts), plus what only a
 * persistent store promises: data outlives the process, and several
 * processes on one file still see exactly one winner.
 */
import { mkdtempSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Worker } from 'node:worker_threads'
import { createRequire } from 'node:module'
import { describe, expect, it } from 'vitest'
import { MemoryStore } from '@realmauth/server'
// The sources, like every other test here (vitest.config.ts aliases only the package's node and msw entries).
import { SqliteStore } from '@realmauth/server/sqlite'
import { PostgresStore } from '@realmauth/server/postgres'
import { storeContract } from './store-contract.js'
import { pgSchemaUrl } from '../support/postgres.js'
// The driver SqliteStore picks: better-sqlite3 where it loads, else node:sqlite (Node 22 and 24).
import { openDatabase } from '../../packages/server/src/store/openSqlite.js'

const dir = mkdtempSync(join(tmpdir(), 'realmauth-store-'))
let files = 0
const dbFile = () => join(dir, `store-${++files}.db`)

storeContract('MemoryStore', (now) => new MemoryStore({ now }))
storeContract('SqliteStore (file)', (now) => new SqliteStore({ path: dbFile(), now }))
storeContract('SqliteStore (:memory:)', (now) => new SqliteStore({ path: ':memory:', now }))

// The system's server when REALMAUTH_PG_URL names one, else an embedded one (test/support/postgres.ts).
const PG_URL = await pgSchemaUrl('realmauth_store_test')
describe('PostgreSQL store', () => {
  // Each test starts on an empty table (the tests of this file run one after another), in a
  // schema of its own: the other files' stores share the database while this one runs.
  storeContract('PostgresStore', async (now) => {
    const store = await PostgresStore.open(PG_URL, { now })
    await pgQuery(PG_URL, 'TRUNCATE realmauth_entries')
    return store
  })

  it('a commit whose later write the database refuses keeps nothing of it, and the connection that replaces its own works', async () => {
    // One connection: the one the failure destroys is replaced, and its statements prepared anew.
    const store = await PostgresStore.open(PG_URL, { max: 1 })
    try {
      await pgQuery(PG_URL, 'TRUNCATE realmauth_entries')
      const later = Date.now() + 60_000
      await store.upsert('RefreshToken', 'rt', { grantId: 'g' }, later)
      const write = (id: string) => ({ kind: 'RefreshToken' as const, id, payload: { grantId: 'g' }, expiresAt: later })
      // PostgreSQL text cannot hold NUL: the second write fails after the first and the spend ran.
      await expect(store.commit({ consume: { kind: 'RefreshToken', id: 'rt' }, unless: { kind: 'Grant', id: 'g' }, writes: [write('rt-next'), write('bad\u0000id')] })).rejects.toThrow()
      expect(await store.find('RefreshToken', 'rt-next')).toBeUndefined()
      expect(await store.find('RefreshToken', 'rt')).toMatchObject({ consumed: false })
      expect(await store.commit({ consume: { kind: 'RefreshToken', id: 'rt' }, unless: { kind: 'Grant', id: 'g' }, writes: [write('rt-next')] })).toBe('committed')
      expect(await store.find('RefreshToken', 'rt-next')).toMatchObject({ consumed: false })
    } finally {
      await store.close()
    }
  })
})

/** One statement on a connection of its own, through pg (which has no types installed here). */
async function pgQuery(url: string, sql: string): Promise<void> {
  const { Client } = createRequire(import.meta.url)('pg') as {
    Client: new (options: { connectionString: string }) => { connect(): Promise<void>; query(sql: string): Promise<unknown>; end(): Promise<void> }
  }
  const client = new Client({ connectionString: url })
  await client.connect()
  try {
    await client.query(sql)
  } finally {
    await client.end()
  }
}

describe('SqliteStore', () => {
  it('creates its file, and SQLite its log beside it, readable by the owner only', async () => {
    const path = dbFile()
    const store = new SqliteStore({ path })
    await store.upsert('Session', 's', { userId: 'demo' }, Date.now() + 60_000)
    // Sessions, grants and the sealed signing keys live here: no other local user may read them.
    for (const file of [path, `${path}-wal`]) expect((statSync(file).mode & 0o777).toString(8)).toBe('600')
    store.close()
    // A file its operator made keeps the mode they gave it.
    const shared = dbFile()
    writeFileSync(shared, '', { mode: 0o640 })
    new SqliteStore({ path: shared }).close()
    expect((statSync(shared).mode & 0o777).toString(8)).toBe('640')
  })

  it('keeps entries, consumed flags and both indexes across close and reopen', async () => {
    const path = dbFile()
    const clock = { now: 1_000_000_000_000 }
    const first = new SqliteStore({ path, now: () => clock.now })
    await first.upsert('AuthorizationCode', 'code', { grantId: 'g' }, clock.now + 60_000)
    await first.upsert('RefreshToken', 'rt', { grantId: 'g' }, clock.now + 60_000)
    await first.upsert('DeviceCode', 'dc', { userCode: 'BCDFGHJK' }, clock.now + 60_000)
    await first.insert('ReplayDetection', 'jti', {}, clock.now + 60_000)
    await first.consume('AuthorizationCode', 'code')
    first.close()
    first.close()
    await expect(first.find('RefreshToken', 'rt')).rejects.toThrow()

    const second = new SqliteStore({ path, now: () => clock.now })
    expect(await second.consume('AuthorizationCode', 'code')).toMatchObject({ consumed: true })
    expect(await second.insert('ReplayDetection', 'jti', {}, clock.now + 60_000)).toBe(false)
    expect((await second.findByUserCode('BCDFGHJK'))!.id).toBe('dc')
    await second.revokeByGrantId('g')
    expect(await second.find('RefreshToken', 'rt')).toBeUndefined()
    second.close()
  })

  it('shares one transaction among the commits of one turn, each answered as if alone and durable when answered', async () => {
    const path = dbFile()
    const clock = { now: 1_000_000_000_000 }
    const store = new SqliteStore({ path, now: () => clock.now })
    const later = clock.now + 60_000
    for (const id of ['rt-1', 'rt-2', 'rt-3']) await store.upsert('RefreshToken', id, { grantId: 'g' }, later)
    await store.upsert('Grant', 'tombstone', {}, later)
    const spend = (id: string, next: string, payload: Record<string, unknown> = {}) =>
      store.commit({ consume: { kind: 'RefreshToken', id }, writes: [{ kind: 'RefreshToken', id: next, payload: { grantId: 'g', ...payload }, expiresAt: later }] })
    // All issued in one turn: two race for rt-1, one spends rt-2, one is blocked by its
    // tombstone, one spends nothing that exists, and one cannot be written at all (a BigInt
    // is not JSON): that one fails alone, and the others keep their answers.
    const outcomes = await Promise.allSettled([
      spend('rt-1', 'rt-1a'),
      spend('rt-1', 'rt-1b'),
      spend('rt-2', 'rt-2a'),
      store.commit({ unless: { kind: 'Grant', id: 'tombstone' }, writes: [{ kind: 'RefreshToken', id: 'blocked', payload: {}, expiresAt: later }] }),
      spend('rt-none', 'never'),
      spend('rt-3', 'unwritable', { n: 1n }),
    ])
    expect(outcomes.map((o) => (o.status === 'fulfilled' ? o.value : 'rejected'))).toEqual(['committed', 'consumed', 'committed', 'present', 'missing', 'rejected'])
    // What was answered `committed` is on disk for another connection at once.
    const other = new SqliteStore({ path, now: () => clock.now })
    for (const id of ['rt-1a', 'rt-2a']) expect(await other.find('RefreshToken', id)).toMatchObject({ consumed: false })
    for (const id of ['rt-1b', 'blocked', 'never', 'unwritable']) expect(await other.find('RefreshToken', id)).toBeUndefined()
    expect(await other.find('RefreshToken', 'rt-3')).toMatchObject({ consumed: false }) // the failed commit spent nothing
    other.close()
    // A commit still waiting for its turn when the store closes is refused, not lost silently.
    const pending = spend('rt-1a', 'too-late')
    store.close()
    await expect(pending).rejects.toThrow()
  })

  it('answers a write only once its log is on disk, one flush shared by the writes made while another ran', async () => {
    const path = dbFile()
    const clock = { now: 1_000_000_000_000 }
    const flushes: { resolve: () => void }[] = []
    const store = new SqliteStore({ path, now: () => clock.now, flush: () => new Promise<void>((resolve) => flushes.push({ resolve })) })
    const later = clock.now + 60_000
    const settled = new Set<string>()
    const track = (name: string, p: Promise<unknown>) => p.then(() => settled.add(name))
    const turns = async (n = 5) => {
      for (let i = 0; i < n; i++) await new Promise((resolve) => setImmediate(resolve))
    }
    const first = track('first', store.upsert('RefreshToken', 'rt-1', { grantId: 'g' }, later))
    await turns()
    // Written (another connection sees it) but not answered: its flush has not returned.
    expect(flushes).toHaveLength(1)
    expect(settled.size).toBe(0)
    // Writes made while that flush runs wait for the next one, and share it.
    const second = track('second', store.commit({ consume: { kind: 'RefreshToken', id: 'rt-1' }, writes: [{ kind: 'RefreshToken', id: 'rt-2', payload: { grantId: 'g' }, expiresAt: later }] }))
    const third = track('third', store.insert('AuthorizationCode', 'c-1', { grantId: 'g' }, later))
    await turns()
    flushes[0]!.resolve()
    await first
    await turns()
    expect([...settled]).toEqual(['first'])
    expect(flushes).toHaveLength(2)
    flushes[1]!.resolve()
    await Promise.all([second, third])
    expect(flushes).toHaveLength(2)
    // Reads and refusals wait for nothing.
    expect(await store.find('RefreshToken', 'rt-2')).toMatchObject({ consumed: false })
    expect(await store.commit({ consume: { kind: 'RefreshToken', id: 'rt-1' }, writes: [] })).toBe('consumed')
    expect(flushes).toHaveLength(2)
    store.close()
  })

  it('stops answering when the disk fails to flush: the waiting write is refused, and so is every later call', async () => {
    const path = dbFile()
    const clock = { now: 1_000_000_000_000 }
    let fail = false
    const store = new SqliteStore({ path, now: () => clock.now, flush: async () => { if (fail) throw Object.assign(new Error('EIO: i/o error, fsync'), { code: 'EIO' }) } })
    const later = clock.now + 60_000
    await store.upsert('RefreshToken', 'rt-1', { grantId: 'g' }, later)
    fail = true
    const rotation = store.commit({ consume: { kind: 'RefreshToken', id: 'rt-1' }, writes: [{ kind: 'RefreshToken', id: 'rt-2', payload: { grantId: 'g' }, expiresAt: later }] })
    await expect(rotation).rejects.toThrow(/failed to flush its log \(EIO: i\/o error, fsync\); restart the provider/)
    // Fail-stop: nothing more is answered from a file whose pages may be lost.
    await expect(store.find('RefreshToken', 'rt-1')).rejects.toThrow()
    await expect(store.upsert('Consent', 'k', {}, later)).rejects.toThrow()
    // A restart recovers what the disk holds: here the flush's write did reach the file.
    const reopened = new SqliteStore({ path, now: () => clock.now })
    expect(await reopened.find('RefreshToken', 'rt-2')).toMatchObject({ consumed: false })
    reopened.close()
  })

  it('drops expired entries nobody looks up again, as it is written to, without a timer', async () => {
    // In memory: the same code path as a file, without 20000 fsyncs.
    const clock = { now: 1_000_000_000_000 }
    const store = new SqliteStore({ path: ':memory:', now: () => clock.now })
    for (let round = 0; round < 20; round++) {
      for (let i = 0; i < 1000; i++) await store.upsert('AccessToken', `t-${round}-${i}`, { grantId: `g-${round}-${i}` }, clock.now + 1000)
      clock.now += 1000
    }
    // At most about twice the live size (1000) plus the sweep threshold, not all 20000.
    expect(store.size).toBeLessThanOrEqual(2001)
    store.close()
  })

  it('drops what expired while it was closed when it is opened again', async () => {
    const path = dbFile()
    const clock = { now: 1_000_000_000_000 }
    const store = new SqliteStore({ path, now: () => clock.now })
    for (let i = 0; i < 10; i++) await store.upsert('AccessToken', `t-${i}`, {}, clock.now + (i < 7 ? 1000 : 5000))
    store.close()
    clock.now += 1000
    const reopened = new SqliteStore({ path, now: () => clock.now })
    expect(reopened.size).toBe(3)
    reopened.close()
  })

  it('defaults to the wall clock', async () => {
    const store = new SqliteStore({ path: ':memory:' })
    await store.upsert('Consent', 'k', {}, Date.now() + 60_000)
    expect(await store.find('Consent', 'k')).toBeDefined()
    await store.upsert('Consent', 'gone', {}, Date.now() - 1)
    expect(await store.find('Consent', 'gone')).toBeUndefined()
    store.close()
  })

  it('runs the file in WAL mode and refuses a file from a newer schema', () => {
    const path = dbFile()
    new SqliteStore({ path }).close()
    const db = openDatabase(path)
    expect(db.prepare('PRAGMA journal_mode').get()).toEqual({ journal_mode: 'wal' })
    db.exec('PRAGMA user_version = 99')
    db.close()
    expect(() => new SqliteStore({ path })).toThrow(/newer @realmauth\/server \(schema 99/)
    expect(() => new SqliteStore({ path: join(dir, 'no-such-dir', 'x.db') })).toThrow()
  })

  it('lets exactly one of several processes win each consume and insert on one file', async () => {
    // Worker threads, each with its own connection, race on the same ids through the built
    // store (dist/sqlite.js: a worker cannot load the TypeScript sources). A consume that read
    // and wrote outside one BEGIN IMMEDIATE transaction lets hundreds of ids win twice here.
    const path = dbFile()
    const clock = 1_000_000_000_000
    const seed = new SqliteStore({ path, now: () => clock })
    const ids = Array.from({ length: 200 }, (_, i) => `code-${i}`)
    for (const id of ids) await seed.upsert('AuthorizationCode', id, { grantId: id }, clock + 60_000)
    seed.close()
    const dist = new URL('../../packages/server/dist/sqlite.js', import.meta.url).href
    const WORKERS = 4
    const arrived = new Int32Array(new SharedArrayBuffer(4))
    const source = `
      const { workerData, parentPort } = require('node:worker_threads')
      import(workerData.dist).then(async ({ SqliteStore }) => {
        const store = new SqliteStore({ path: workerData.path, now: () => workerData.clock })
        const { arrived, workers } = workerData
        const won = []
        for (const [round, id] of workerData.ids.entries()) {
          // A barrier (not a sleep): all workers start each id together, so they race on it.
          Atomics.add(arrived, 0, 1)
          Atomics.notify(arrived, 0)
          for (let seen; (seen = Atomics.load(arrived, 0)) < workers * (round + 1); ) {
            if (Atomics.wait(arrived, 0, seen, 10000) === 'timed-out') throw new Error('a worker never arrived')
          }
          if ((await store.consume('AuthorizationCode', id))?.consumed === false) won.push('consume ' + id)
          if (await store.insert('ReplayDetection', id, {}, workerData.clock + 60_000)) won.push('insert ' + id)
        }
        store.close()
        parentPort.postMessage(won)
      })`
    const workers = Array.from({ length: WORKERS }, () => new Worker(source, { eval: true, workerData: { dist, path, clock, ids, arrived, workers: WORKERS } }))
    const results = workers.map(
      (worker) =>
        new Promise<string[]>((resolve, reject) => {
          worker.on('message', (message: unknown) => Array.isArray(message) && resolve(message as string[]))
          worker.once('error', reject)
          worker.once('exit', (code) => reject(new Error(`worker exited with ${code}`)))
        }),
    )
    const byWorker = await Promise.all(results).finally(() => Promise.all(workers.map((worker) => worker.terminate())))
    expect(byWorker.flat().sort()).toEqual(ids.flatMap((id) => [`consume ${id}`, `insert ${id}`]).sort())
    // The winners are spread over the workers: they really raced rather than ran one after another.
    expect(byWorker.filter((won) => won.length > 0).length).toBeGreaterThan(1)
  })
})
