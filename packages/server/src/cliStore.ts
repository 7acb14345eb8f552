// Where the CLI keeps its state: the store named by `--store` (SQLite by default, PostgreSQL, or
// memory) and the secret that seals the signing keys kept in it.
import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync } from 'node:fs'
import { link, readFile, unlink, writeFile } from 'node:fs/promises'
import { basename, dirname, extname, join, resolve } from 'node:path'
import type { ProviderConfig } from './config/config.js'
import { signingJwkAlg } from './keys/index.js'
import { SIGNING_ALGS } from './model/index.js'
import { SqliteStore, SqliteUnavailableError } from './store/SqliteStore.js'
import { PostgresStore } from './store/PostgresStore.js'

/** The SQLite file the CLI uses when `--store` is not given. */
export const DEFAULT_STORE = '.realmauth/provider.db'

/** What the CLI closes on exit. */
export interface OpenStore {
  close(): unknown
}

/** The connection string as printed: its password replaced by `***`. */
function redactPassword(url: string): string {
  try {
    const parsed = new URL(url)
    if (parsed.password) parsed.password = '***'
    return parsed.toString()
  } catch {
    return 'postgres://…'
  }
}

/**
 * Sets `config.store` and the secret that seals the signing keys kept in it. Returns the
 * store to close on exit and a line describing it.
 */
export async function openStore(config: ProviderConfig, option: string | undefined): Promise<{ store?: OpenStore; line: string }> {
  if (option === ':memory:') return { line: 'Store: memory (nothing survives a restart)' }
  const configured = new Set((config.keys ?? []).map((jwk, i) => signingJwkAlg(jwk, `keys[${i}]`)))
  const keysLine = (where: string) => `  signing keys: ${configured.size === SIGNING_ALGS.length ? 'from the config' : where}`
  config.key_encryption_secret ??= process.env.REALMAUTH_KEY_SECRET || undefined
  if (option !== undefined && /^postgres(ql)?:\/\//i.test(option)) {
    if (config.key_encryption_secret === undefined && configured.size < SIGNING_ALGS.length) {
      throw new Error('PostgreSQL keeps the signing keys every instance shares: set REALMAUTH_KEY_SECRET (or "key_encryption_secret" in --config) to the same secret of 16+ characters for every instance')
    }
    const store = await PostgresStore.open(option, config.clock && { now: config.clock })
    config.store = store
    return { store, line: `Store: PostgreSQL ${redactPassword(option)}\n${keysLine('in the database, sealed')}` }
  }
  const path = resolve(option ?? DEFAULT_STORE)
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 })
  let store: SqliteStore
  try {
    store = new SqliteStore({ path, ...(config.clock && { now: config.clock }) })
  } catch (error) {
    // better-sqlite3 is an optional dependency: without it the default still starts, in memory.
    if (option !== undefined || !(error instanceof SqliteUnavailableError)) throw error
    console.error(`realmauth-server: ${(error as Error).message}\nrealmauth-server: keeping everything in memory; pass --store :memory: to say so`)
    return { line: 'Store: memory (better-sqlite3 is missing; nothing survives a restart)' }
  }
  let sealedWith = 'REALMAUTH_KEY_SECRET'
  if (config.key_encryption_secret === undefined) {
    const secretFile = besideStore(path, '.key-secret')
    config.key_encryption_secret = await generatedSecret(secretFile)
    sealedWith = secretFile
  }
  const retired = besideStore(path, '.keys.json')
  // The key file of earlier versions is no longer read (decisions/0031).
  if (existsSync(retired)) console.error(`realmauth-server: ${retired} is no longer read: signing keys are kept in the store now; delete it once its tokens have expired`)
  config.store = store
  return { store, line: `Store: ${path}\n${keysLine(`in the store, sealed with ${sealedWith}`)}` }
}

/** `provider.db` → `provider{suffix}`, beside it. */
function besideStore(storePath: string, suffix: string): string {
  return join(dirname(storePath), `${basename(storePath, extname(storePath))}${suffix}`)
}

/**
 * The secret of a store file without a configured one: read from `path`, or created there
 * (mode 0600) by the first process; written whole under a unique name and linked into place,
 * so of processes starting together exactly one creates it and all read the same.
 */
async function generatedSecret(path: string): Promise<string> {
  const tmp = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`
  await writeFile(tmp, randomBytes(32).toString('base64url') + '\n', { mode: 0o600, flag: 'wx' })
  try {
    await link(tmp, path).catch(async (error: NodeJS.ErrnoException) => {
      // A file system without hard links: an exclusive create is the next best thing.
      if (error.code === 'EPERM' || error.code === 'ENOTSUP' || error.code === 'EOPNOTSUPP' || error.code === 'ENOSYS') {
        await writeFile(path, randomBytes(32).toString('base64url') + '\n', { mode: 0o600, flag: 'wx' }).catch((e: NodeJS.ErrnoException) => {
          if (e.code !== 'EEXIST') throw e
        })
      } else if (error.code !== 'EEXIST') {
        throw error
      }
    })
  } finally {
    await unlink(tmp).catch(() => {})
  }
  return (await readFile(path, 'utf8')).trim()
}
