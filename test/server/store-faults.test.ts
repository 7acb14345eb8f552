/**
 * What a store failure costs a client: a 503 `temporarily_unavailable` with `Retry-After`,
 * never a 500, a hang or a lost refresh token. Over real HTTP, against real databases:
 * PostgreSQL behind a TCP proxy the test controls (connections dropped mid-rotation, a
 * connection that goes silent), SQLite filled to its size limit, and a CLI killed with
 * SIGKILL in the middle of a burst of refreshes.
 */
import { mkdtempSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { createServer, Socket, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { createProvider, type ProviderConfig } from '@realmauth/server'
import { listen, type RunningProvider } from '@realmauth/server/node'
import { SqliteStore } from '@realmauth/server/sqlite'
import { PostgresStore } from '@realmauth/server/postgres'
import { basic } from './harness.js'
import { startCli } from './cliProcess.js'
import { pgUrl } from '../support/postgres.js'
// The driver SqliteStore picks: better-sqlite3 where it loads, else node:sqlite (Node 22 and 24).
import { openDatabase } from '../../packages/server/src/store/openSqlite.js'

const PG_URL = pgUrl()
const USER = { username: 'alice', password: 'Alice-pw-1' }
const AUTH = basic('pw', 'pw-secret')
const CONFIG: ProviderConfig = {
  realms: [
    {
      name: 'alpha',
      clients: [{ client_id: 'pw', client_secret: 'pw-secret', grant_types: ['password', 'refresh_token'], scope: 'openid profile' }],
      users: [{ ...USER, name: 'Alice Liddell' }],
    },
  ],
}
type Json = Record<string, unknown>

async function token(origin: string, fields: Record<string, string>): Promise<{ status: number; body: Json; headers: Headers }> {
  const res = await fetch(`${origin}/oauth2/realms/root/realms/alpha/access_token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: AUTH },
    body: new URLSearchParams(fields).toString(),
  })
  return { status: res.status, body: (await res.json()) as Json, headers: res.headers }
}

async function signIn(origin: string): Promise<string> {
  // A 503 is a fair answer from a loaded machine too: try again, as a client would.
  for (let attempt = 0; ; attempt++) {
    const res = await token(origin, { grant_type: 'password', username: USER.username, password: USER.password, scope: 'openid profile' })
    if (res.status === 503 && attempt < 5) continue
    expect(res.status).toBe(200)
    return res.body.refresh_token as string
  }
}

/** Refreshes once; a 503 must say when to come back. Returns the new token, or undefined after a 503. */
async function refreshOnce(origin: string, refreshToken: string): Promise<string | undefined> {
  const res = await token(origin, { grant_type: 'refresh_token', refresh_token: refreshToken })
  if (res.status === 503) {
    expect(res.body.error).toBe('temporarily_unavailable')
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0)
    return undefined
  }
  expect(res, JSON.stringify(res.body)).toMatchObject({ status: 200 })
  return res.body.refresh_token as string
}

/** A deterministic PRNG (mulberry32), so a failing run can be replayed. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/**
 * A TCP proxy in front of PostgreSQL. `pass` forwards; `drop` resets a connection with the
 * given probability each time the client sends (a query in flight dies); `silent` keeps
 * every connection open and forwards nothing (a dropped route, a frozen server).
 * `commitLost` faults the next COMMIT once: `request` resets the client's connection instead of
 * forwarding it (the writes with it never arrive), `answer` forwards it and then resets the
 * client's side only, so the database commits and its answer is lost.
 */
class FaultyProxy {
  mode: 'pass' | 'drop' | 'silent' = 'pass'
  commitLost: 'request' | 'answer' | undefined
  dropRate = 0
  drops = 0
  private readonly server: Server
  private readonly sockets = new Set<Socket>()
  private readonly next = random(14)

  constructor(private readonly target: { host: string; port: number }) {
    this.server = createServer((client) => this.accept(client))
  }

  async start(): Promise<number> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve))
    return (this.server.address() as { port: number }).port
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy()
    await new Promise((resolve) => this.server.close(resolve))
  }

  private accept(client: Socket) {
    const upstream = new Socket()
    this.sockets.add(client).add(upstream)
    const end = () => {
      client.destroy()
      upstream.destroy()
      this.sockets.delete(client)
      this.sockets.delete(upstream)
    }
    client.on('error', end).on('close', end)
    upstream.on('error', end).on('close', end)
    upstream.connect(this.target.port, this.target.host)
    let answered = true
    client.on('data', (chunk: Buffer) => {
      if (this.commitLost && chunk.includes('COMMIT\0')) {
        const lost = this.commitLost
        this.commitLost = undefined
        if (lost === 'answer') {
          // The upstream connection stays (until close()): its backend goes on to commit, to nobody.
          answered = false
          upstream.write(chunk)
          client.removeAllListeners('close').removeAllListeners('error').on('error', () => {})
          this.sockets.delete(client)
        } else upstream.destroy()
        client.resetAndDestroy()
        return
      }
      if (this.mode === 'silent') return
      if (this.mode === 'drop' && this.next() < this.dropRate) {
        this.drops++
        client.resetAndDestroy()
        upstream.destroy()
        return
      }
      upstream.write(chunk)
    })
    upstream.on('data', (chunk) => {
      if (this.mode !== 'silent' && answered) client.write(chunk)
    })
  }
}

describe('PostgreSQL faults over HTTP', () => {
  let proxy: FaultyProxy
  let store: PostgresStore
  let server: RunningProvider
  const errors = vi.spyOn(console, 'error').mockImplementation(() => {})

  beforeAll(async () => {
    const url = new URL(PG_URL)
    proxy = new FaultyProxy({ host: url.hostname, port: Number(url.port || 5432) })
    url.host = `127.0.0.1:${await proxy.start()}`
    // Short enough that the test does not wait long, long enough for a loaded CI machine.
    store = await PostgresStore.open(url.href, { timeoutMs: 2000 })
    server = await listen(createProvider({ ...CONFIG, store, store_timeout_ms: 3000 }))
  })

  afterAll(async () => {
    errors.mockRestore()
    await server?.close()
    await store?.close()
    await proxy?.close()
  })

  afterEach(() => {
    proxy.mode = 'pass'
    proxy.commitLost = undefined
  })

  /** A refresh and what came of it: the new refresh token, or the error. */
  async function refresh(refreshToken: string) {
    const res = await token(server.url, { grant_type: 'refresh_token', refresh_token: refreshToken })
    return { status: res.status, error: res.body.error, refreshToken: res.body.refresh_token as string | undefined, accessToken: res.body.access_token as string }
  }

  it('answers 503 when a rotation\'s COMMIT never reaches the database, and the same refresh token then works', async () => {
    const refreshToken = await signIn(server.url)
    proxy.commitLost = 'request'
    expect(await refresh(refreshToken)).toMatchObject({ status: 503, error: 'temporarily_unavailable' })
    expect(proxy.commitLost).toBeUndefined()
    expect(await refresh(refreshToken)).toMatchObject({ status: 200, refreshToken: expect.any(String) })
  })

  it('answers a rotation whose COMMIT answer was lost with the tokens the database committed, not a 503 the retry of which the spent token fails', async () => {
    const refreshToken = await signIn(server.url)
    proxy.commitLost = 'answer'
    const answered = await refresh(refreshToken)
    expect(proxy.commitLost).toBeUndefined()
    // The rotation committed: its new token is the one that works, and the old one is spent.
    expect(answered).toMatchObject({ status: 200, refreshToken: expect.any(String) })
    expect(await refresh(answered.refreshToken!)).toMatchObject({ status: 200 })
    expect(await refresh(refreshToken)).toMatchObject({ status: 400, error: 'invalid_grant' })
  })

  type PgClient = { connect(): Promise<void>; query(sql: string, params?: unknown[]): Promise<{ rows: { pid: number }[] }>; end(): Promise<void> }
  const pg = createRequire(import.meta.url)('pg') as { Client: new (url: string) => PgClient }

  /**
   * A grant after one rotation, its current refresh token, and a connection holding the grant's
   * lock (decision 0076) in an open transaction: the next rotation's first round trip waits on it.
   */
  async function lockedGrant(): Promise<{ current: string; grantId: string; holder: PgClient }> {
    const signedIn = await token(server.url, { grant_type: 'refresh_token', refresh_token: await signIn(server.url) })
    const grantId = JSON.parse(Buffer.from((signedIn.body.access_token as string).split('.')[1]!, 'base64url').toString()).authGrantId as string
    const holder = new pg.Client(PG_URL)
    await holder.connect()
    await holder.query('BEGIN')
    await holder.query('SELECT pg_advisory_xact_lock(hashtext($1))', [grantId])
    return { current: signedIn.body.refresh_token as string, grantId, holder }
  }

  it('answers 503 when the backend of a rotation waiting for its grant\'s lock is terminated, and the token and the pool then work', async () => {
    const { current, grantId, holder } = await lockedGrant()
    const admin = new pg.Client(PG_URL)
    await admin.connect()
    try {
      let settled = false
      const rotation = refresh(current).finally(() => (settled = true))
      // Asked until the rotation waits on the lock (or, failing that, has answered): no wall-clock wait.
      let waiting: number | undefined
      while (waiting === undefined && !settled) {
        const { rows } = await admin.query(
          `SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
             AND objid = (hashtext($1)::bigint & 4294967295)::text::oid`,
          [grantId],
        )
        waiting = rows[0]?.pid
      }
      expect(waiting).toEqual(expect.any(Number))
      await admin.query('SELECT pg_terminate_backend($1)', [waiting])
      expect(await rotation).toMatchObject({ status: 503, error: 'temporarily_unavailable' })
      expect(errors.mock.calls.some((c) => c.join(' ').includes('terminat'))).toBe(true)
      await holder.query('ROLLBACK')
      expect(await refresh(current)).toMatchObject({ status: 200, refreshToken: expect.any(String) })
    } finally {
      await holder.end()
      await admin.end()
    }
  })

  it('writes nothing for a rotation the provider gave up on: after its 503 the same refresh token works', async () => {
    // A second instance on the same store whose patience (store_timeout_ms) ends while the
    // rotation still waits for its grant's lock: the database would carry it out afterwards.
    const impatient = await listen(createProvider({ ...CONFIG, store, store_timeout_ms: 300 }))
    const { current, holder } = await lockedGrant()
    try {
      const gaveUp = await token(impatient.url, { grant_type: 'refresh_token', refresh_token: current })
      expect({ status: gaveUp.status, error: gaveUp.body.error }).toEqual({ status: 503, error: 'temporarily_unavailable' })
      // The abandoned rotation takes the lock first (it has waited longest), then writes nothing.
      await holder.query('ROLLBACK')
      expect(await refresh(current)).toMatchObject({ status: 200, refreshToken: expect.any(String) })
    } finally {
      await holder.end()
      await impatient.close()
    }
  })

  it('loses no refresh token while connections drop mid-rotation: each answer is 200 or 503, and after a 503 the same token works', async () => {
    const chains = await Promise.all(Array.from({ length: 10 }, () => signIn(server.url)))
    proxy.mode = 'drop'
    proxy.dropRate = 0.03
    let unavailable = 0
    // 10 chains of 20 rotations each, concurrently: 200 refreshes that each must land.
    await Promise.all(
      chains.map(async (first) => {
        let current = first
        for (let done = 0; done < 20; ) {
          const next = await refreshOnce(server.url, current)
          if (next === undefined) {
            unavailable++
            continue
          }
          current = next
          done++
        }
      }),
    )
    expect(proxy.drops).toBeGreaterThan(0)
    expect(unavailable).toBeGreaterThan(0)
    // The cause is logged, not hidden behind a generic message.
    expect(errors.mock.calls.some((c) => String(c[0]).includes('store unavailable'))).toBe(true)
  }, 60_000)

  it('answers 503 within the timeout when the database goes silent, and recovers by itself when it answers again', async () => {
    const refreshToken = await signIn(server.url)
    proxy.mode = 'silent'
    const started = performance.now()
    expect(await refreshOnce(server.url, refreshToken)).toBeUndefined()
    // Bounded by the store's timeouts (2-3 s here), not by the client's patience.
    expect(performance.now() - started).toBeLessThan(10_000)
    proxy.mode = 'pass'
    // The silent connections were dropped; the pool opens new ones, and the token still works.
    let next: string | undefined
    for (let attempt = 0; attempt < 5 && next === undefined; attempt++) next = await refreshOnce(server.url, refreshToken)
    expect(next).toEqual(expect.any(String))
  }, 60_000)
})

describe('SQLite faults', () => {
  const dir = mkdtempSync(join(tmpdir(), 'realmauth-faults-'))

  it('a full database answers 503 naming nothing but logging the real cause, and the refresh token still works once there is room', async () => {
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {})
    const store = new SqliteStore({ path: join(dir, 'full.db'), maxSizeBytes: 256 * 1024 })
    const server = await listen(createProvider({ ...CONFIG, store }))
    try {
      const refreshToken = await signIn(server.url)
      // Fill the file up to its limit with entries of shrinking size, so no room is left.
      let filler = 0
      let full = 0
      for (const size of [8192, 1024, 128, 16]) {
        // 256 KiB hold at most a few thousand entries: the bound only keeps a broken limit from looping.
        for (let i = 0; i < 5000; i++) {
          try {
            await store.upsert('Consent', `filler-${filler++}`, { junk: 'x'.repeat(size) }, Date.now() + 3_600_000)
          } catch {
            full++
            break
          }
        }
      }
      expect(full).toBe(4)
      expect(await refreshOnce(server.url, refreshToken)).toBeUndefined()
      expect(errors.mock.calls.some((c) => c.join(' ').includes('full'))).toBe(true)
      expect(errors.mock.calls.some((c) => c.join(' ').includes('no transaction is active'))).toBe(false)
      // Room again: the same refresh token works.
      for (let i = 0; i < filler; i++) await store.destroy('Consent', `filler-${i}`)
      expect(await refreshOnce(server.url, refreshToken)).toEqual(expect.any(String))
    } finally {
      errors.mockRestore()
      await server.close()
      store.close()
    }
  })

  it('a CLI killed with SIGKILL mid-burst leaves every grant exactly one usable refresh token', async () => {
    const file = join(dir, 'config.json')
    writeFileSync(file, JSON.stringify(CONFIG))
    const db = join(dir, 'killed.db')
    const cli = await startCli(['--config', file, '--store', db, '--port', '0'], dir)
    const grants = 20
    const chains = await Promise.all(Array.from({ length: grants }, () => signIn(cli.origin)))
    let answered = 0
    let killed: Promise<unknown> | undefined
    // Every chain refreshes as fast as it can; after 60 answers the process dies mid-flight.
    await Promise.all(
      chains.map(async (first) => {
        let current = first
        for (;;) {
          let next: string
          try {
            const res = await token(cli.origin, { grant_type: 'refresh_token', refresh_token: current })
            if (res.status !== 200) throw new Error(`refresh answered ${res.status}: ${JSON.stringify(res.body)}`)
            next = res.body.refresh_token as string
          } catch (error) {
            if (killed) return
            throw error
          }
          current = next
          if (++answered === 60) killed = cli.kill()
          if (killed) return
        }
      }),
    )
    await killed
    // Read the file as the restarted provider will: per grant, exactly one live, unspent refresh token.
    const conn = openDatabase(db)
    const rows = conn
      .prepare("SELECT grant_id, sum(CASE WHEN consumed = 0 THEN 1 ELSE 0 END) AS live FROM entries WHERE kind = 'RefreshToken' GROUP BY grant_id")
      .all() as { grant_id: string; live: number }[]
    conn.close()
    expect(rows).toHaveLength(grants)
    for (const row of rows) expect(row, `grant ${row.grant_id}`).toMatchObject({ live: 1 })
  })
})
