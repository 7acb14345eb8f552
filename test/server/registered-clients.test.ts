/**
 * Clients made by `register` (RFC 7591) are records like any other: every instance on one
 * store knows them, a restart keeps them, the store holds no secret, a realm's quota bounds
 * them, and a process does not grow with them.
 */
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import v8 from 'node:v8'
import vm from 'node:vm'
import { afterAll, describe, expect, it } from 'vitest'
import { createProvider, type Provider, type ProviderConfig } from '@realmauth/server'
import { listen, type RunningProvider } from '@realmauth/server/node'
import { SqliteStore } from '@realmauth/server/sqlite'
import { PostgresStore } from '@realmauth/server/postgres'
import { basic } from './harness.js'
import { pgUrl } from '../support/postgres.js'
// The driver SqliteStore picks: better-sqlite3 where it loads, else node:sqlite (Node 22 and 24).
import { openDatabase } from '../../packages/server/src/store/openSqlite.js'

const CONFIG: ProviderConfig = {
  realms: [{ name: 'alpha', allow_dynamic_registration: true, registration_limit: 3, clients: [] }],
}
const ALPHA = '/oauth2/realms/root/realms/alpha'
type Json = Record<string, unknown>

async function register(origin: string, metadata: Json): Promise<{ status: number; body: Json }> {
  const res = await fetch(`${origin}${ALPHA}/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(metadata) })
  return { status: res.status, body: (await res.json()) as Json }
}

async function clientCredentials(origin: string, client: Json): Promise<number> {
  const res = await fetch(`${origin}${ALPHA}/access_token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(client.client_id as string, client.client_secret as string) },
    body: 'grant_type=client_credentials',
  })
  return res.status
}

const ROBOT = { client_name: 'Robot', grant_types: ['client_credentials'], scope: 'read' }

describe('registered clients over SQLite, across two processes sharing the file and a restart', () => {
  const dir = mkdtempSync(join(tmpdir(), 'realmauth-registered-'))
  const path = join(dir, 'provider.db')
  const running: RunningProvider[] = []
  const stores: SqliteStore[] = []
  afterAll(async () => {
    for (const r of running) await r.close()
    for (const s of stores) s.close()
  })

  async function instance(): Promise<string> {
    const store = new SqliteStore({ path })
    stores.push(store)
    const server = await listen(createProvider({ ...CONFIG, store }))
    running.push(server)
    return server.url
  }

  it('a client registered on one instance works on the other and after a restart, and the store never holds its secret', async () => {
    const [a, b] = [await instance(), await instance()]
    const { status, body: client } = await register(a, ROBOT)
    expect(status).toBe(201)
    expect(await clientCredentials(b, client)).toBe(200)
    // The wrong secret is still refused there.
    expect(await clientCredentials(b, { ...client, client_secret: 'guess' })).toBe(401)
    // Restart: both gone, a new process on the same file.
    for (const r of running.splice(0)) await r.close()
    for (const s of stores.splice(0)) s.close()
    const c = await instance()
    expect(await clientCredentials(c, client)).toBe(200)
    // The secret is in no row of the file, in any form a client could present.
    const db = openDatabase(path)
    const rows = db.prepare("SELECT payload FROM entries WHERE kind = 'Client'").all() as { payload: string }[]
    db.close()
    expect(rows).toHaveLength(1)
    expect(rows[0]!.payload).not.toContain(client.client_secret as string)
  })

  it('stops at the realm quota with 403 and registers nothing more', async () => {
    const origin = running[0]?.url ?? (await instance())
    const answers = []
    for (let i = 0; i < 4; i++) answers.push(await register(origin, { ...ROBOT, client_name: `r${i}` }))
    // One registered by the test above, two more fit, then the quota (3) is reached.
    expect(answers.map((a) => a.status)).toEqual([201, 201, 403, 403])
    expect(answers[2]!.body).toMatchObject({ error: 'access_denied', error_description: expect.stringMatching(/limit of 3/) })
  })
})

describe('registered clients over PostgreSQL, across two instances', () => {
  it('a client registered on one instance works on the other', async () => {
    const stores = [await PostgresStore.open(pgUrl()), await PostgresStore.open(pgUrl())]
    const config: ProviderConfig = { realms: [{ name: 'alpha', allow_dynamic_registration: true, clients: [] }] }
    const [a, b] = [await listen(createProvider({ ...config, store: stores[0] })), await listen(createProvider({ ...config, store: stores[1] }))]
    try {
      const { body: client } = await register(a.url, ROBOT)
      expect(await clientCredentials(b.url, client)).toBe(200)
    } finally {
      await a.close()
      await b.close()
      for (const s of stores) await s.close()
    }
  })
})

describe('memory', () => {
  it('stays flat over 5,000 registrations of 10 KB metadata (SQLite store)', async () => {
    v8.setFlagsFromString('--expose-gc')
    const gc = vm.runInNewContext('gc') as () => void
    const store = new SqliteStore({ path: join(mkdtempSync(join(tmpdir(), 'realmauth-regmem-')), 'p.db') })
    const provider: Provider = createProvider({ realms: [{ name: 'alpha', allow_dynamic_registration: true, registration_limit: 10_000, clients: [] }], store })
    await provider.ready
    const issuer = provider.issuer('alpha', 'http://idp.test')
    // Long names: what a resolved client keeps, so a process holding every client would grow by them.
    const padding = 'x'.repeat(10_000)
    const registerOne = async (i: number) => {
      const res = await provider.fetch(
        new Request(`${issuer}/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...ROBOT, client_name: `c${i} ${padding}` }) }),
      )
      if (res.status !== 201) throw new Error(await res.text())
      return (await res.json()) as Json
    }
    // Fifty at a time, as apps registering together would: their writes share the store's
    // flushes (decision 0074), so the test pays for 100 fsyncs, not 5,000.
    const clients: Json[] = []
    const register = async (from: number, to: number) => {
      for (let i = from; i < to; i += 50) clients.push(...(await Promise.all(Array.from({ length: Math.min(50, to - i) }, (_, k) => registerOne(i + k)))))
    }
    await register(0, 200)
    gc()
    const before = process.memoryUsage().heapUsed
    await register(200, 5000)
    // And every one of them is used once, which resolves it (a bounded cache keeps only some).
    for (const client of clients.slice(-600)) {
      const res = await provider.fetch(
        new Request(`${issuer}/access_token`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(client.client_id as string, client.client_secret as string) },
          body: 'grant_type=client_credentials',
        }),
      )
      expect(res.status).toBe(200)
    }
    clients.length = 0
    gc()
    const grown = (process.memoryUsage().heapUsed - before) / 1e6
    store.close()
    // 4,800 registrations of ~10 KB each are ~100 MB in the heap if kept there: they are on disk.
    expect(grown).toBeLessThan(20)
  }, 120_000)
})
