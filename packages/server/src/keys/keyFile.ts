import { randomBytes } from 'node:crypto'
import { link, open, readFile, rename, unlink, writeFile } from 'node:fs/promises'
import { basename, dirname, extname, join } from 'node:path'
import type { SigningAlg, SigningJwk } from '../model/index.js'
import { persistSigningKeys, type PersistedSigningKeys, type SigningKeyPersistence } from './KeySet.js'
import { generateSigningKey, signingJwkAlg, storableJwk } from './signingKey.js'

const ALGS: readonly SigningAlg[] = ['RS256', 'ES256']

/**
 * Where the CLI keeps the signing keys of a store file: beside it, `provider.db` →
 * `provider.keys.json`. Kept out of the database so that a database file shared in a bug
 * report holds nothing that signs tokens (decisions/0004, decisions/0008).
 */
export function keyFileFor(storePath: string): string {
  const ext = extname(storePath)
  return join(dirname(storePath), `${basename(storePath, ext)}.keys.json`)
}

/**
 * The provider's generated signing keys, kept in a JSON Web Key Set file (private keys, mode
 * 0600) so that tokens signed before a restart still verify after it. The first call creates
 * the file with one key per algorithm; later calls, and other processes starting at the same
 * moment, read that same file: it appears complete or not at all.
 *
 * The array returned is tied to the file ({@link persistSigningKeys}): a provider created
 * with it writes `rotateSigningKey` and `retireSigningKey` back, so the key that signs and
 * the keys that are published are the same after a restart. Another process on the same
 * file sees a rotation only when it restarts.
 *
 * @example
 * ```ts
 * import { SqliteStore, signingKeyFile } from '@realmauth/server/sqlite'
 * const provider = createProvider({ ...config, store: new SqliteStore({ path: 'data/provider.db' }), keys: await signingKeyFile('data/provider.keys.json') })
 * ```
 */
export async function signingKeyFile(path: string): Promise<PersistedSigningKeys> {
  const existing = await read(path)
  if (existing) return existing
  const keys: SigningJwk[] = []
  for (const alg of ALGS) {
    keys.push(storableJwk(await generateSigningKey(alg)))
  }
  // Written whole under a unique name, then linked into place: link() fails if the file
  // exists, so of processes racing here exactly one wins and all read the winner's keys.
  const tmp = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`
  await writeFile(tmp, JSON.stringify({ keys }, null, 2) + '\n', { mode: 0o600, flag: 'wx' })
  try {
    await link(tmp, path)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    // A file system without hard links: an exclusive create is the next best thing.
    if (code === 'EPERM' || code === 'ENOTSUP' || code === 'EOPNOTSUPP' || code === 'ENOSYS') {
      await writeFile(path, JSON.stringify({ keys }, null, 2) + '\n', { mode: 0o600, flag: 'wx' }).catch((e: NodeJS.ErrnoException) => {
        if (e.code !== 'EEXIST') throw e
      })
    } else if (code !== 'EEXIST') {
      throw error
    }
  } finally {
    await unlink(tmp).catch(() => {})
  }
  const stored = await read(path)
  if (!stored) throw new Error(`${path} disappeared while it was being created`)
  return persistSigningKeys(stored, keyFilePersistence(path))
}

/**
 * Writes rotations back to the key file at `path`, for the algorithms in `algs` (default
 * both): the file's keys of those algorithms are replaced, its other keys left as they are.
 * Each write replaces the file atomically ({@link writeSigningKeyFile}).
 */
export function keyFilePersistence(path: string, algs: readonly SigningAlg[] = ALGS): SigningKeyPersistence {
  const owned = new Set(algs)
  return {
    owns: (alg) => owned.has(alg),
    async save(keys) {
      const others = ((await read(path)) ?? []).filter((jwk, i) => !owned.has(signingJwkAlg(jwk, `${path} keys[${i}]`)))
      await writeSigningKeyFile(path, [...keys, ...others])
    },
  }
}

/**
 * Replaces the key file with `keys`: written whole to a temporary file beside it (mode 0600,
 * flushed to disk), then renamed over it, so that a reader, or a crash, sees the old set or
 * the new one and never a part.
 */
export async function writeSigningKeyFile(path: string, keys: SigningJwk[]): Promise<void> {
  const tmp = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`
  const file = await open(tmp, 'wx', 0o600)
  try {
    try {
      await file.chmod(0o600) // whatever the umask left
      await file.writeFile(JSON.stringify({ keys }, null, 2) + '\n')
      await file.sync()
    } finally {
      await file.close()
    }
    await rename(tmp, path)
  } catch (error) {
    await unlink(tmp).catch(() => {})
    throw error
  }
  // The rename itself survives a power cut only once the directory is flushed (not on every platform).
  const dir = await open(dirname(path), 'r').catch(() => undefined)
  await dir?.sync().catch(() => {})
  await dir?.close().catch(() => {})
}

async function read(path: string): Promise<SigningJwk[] | undefined> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch (cause) {
    throw new Error(`${path} is not JSON: ${(cause as Error).message}`, { cause })
  }
  const keys = (parsed as { keys?: unknown } | null)?.keys
  if (!Array.isArray(keys) || keys.length === 0 || !keys.every((k) => typeof k === 'object' && k !== null && !Array.isArray(k))) {
    throw new Error(`${path} must be a JSON Web Key Set: {"keys": [private JWKs]}`)
  }
  return keys as SigningJwk[]
}
