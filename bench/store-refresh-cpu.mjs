// Decision 0077 (issue 17): the store's CPU per refresh with rotation (`find`, then `commit`
// spending the token and writing its successor, BATCH at once as under load) on SqliteStore,
// an empty file and one preloaded with ROWS refresh tokens made in the week before, for ways
// of making store ids, every side taking turns in each round. CPU time, not rates: the machine
// is shared. Not part of `npm run bench`; the preloaded files are kept in CACHE between runs.
//
//   SCHEMES=random,ms node store-refresh-cpu.mjs
import { createHash, randomBytes } from 'node:crypto'
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { SqliteStore } from '@realmauth/server/sqlite'
import { preloadSqlite } from './preloadSqlite.mjs'

const ROWS = Number(process.env.ROWS ?? 1_000_000)
const POOL = Number(process.env.POOL ?? 640)
const BATCH = Number(process.env.BATCH ?? 32)
const N = Number(process.env.N ?? 8000)
const ROUNDS = Number(process.env.ROUNDS ?? 6)
const SCHEMES = (process.env.SCHEMES ?? 'random,sec').split(',')
const WEEK_MS = 7 * 86_400_000
const EXPIRY = process.env.EXPIRY ?? 'made'

const b64 = (buf) => buf.toString('base64url')
const sha = (s) => b64(createHash('sha256').update(s).digest())
/** The provider's time prefix (decision 0077): 10 lowercase base32hex digits, here of any unit. */
const prefix = (n) => Math.floor(n).toString(32).padStart(10, '0')

/** An id scheme: a prefix for things made at `ms`, and the store id of a token. */
const schemes = {
  // Before decision 0077: the SHA-256 of a random token.
  random: { prefix: () => '', id: (token) => sha(token) },
  // The provider's since 0077: milliseconds, then the SHA-256 of the whole token.
  ms: { prefix: (ms) => prefix(ms), id: (token) => token.slice(0, 10) + sha(token) },
  sec: { prefix: (ms) => prefix(ms / 1000), id: (token) => token.slice(0, 10) + sha(token) },
  min: { prefix: (ms) => prefix(ms / 60000), id: (token) => token.slice(0, 10) + sha(token) },
  // Not kept: the token carries its grant id, so a rotation writes beside the token it spends.
  grant: { prefix: (ms) => prefix(ms / 1000), id: (token) => token.slice(0, 32) + sha(token), grantToken: true },
}

function mint(scheme, grantId, ms) {
  const s = schemes[scheme]
  const token = s.grantToken ? grantId + b64(randomBytes(32)) : s.prefix(ms) + b64(randomBytes(32))
  return { token, id: s.id(token) }
}
const newGrant = (scheme, ms) => schemes[scheme].prefix(ms) + b64(randomBytes(16))
const payloadOf = (grantId, now) =>
  ({ grantId, clientId: 'svc', realm: '/bench', jti: b64(randomBytes(16)), grantScope: ['read'], grantType: 'password', username: 'bench', authTime: Math.floor(now / 1000) })

function preload(path, scheme) {
  const now = Date.now()
  const rows = []
  for (let i = 0; i < ROWS; i++) {
    // Made at some time in the past week, before anything the measured loop makes, and
    // expiring a week after that (EXPIRY=after: all after the loop's rows, as the bench had it).
    const made = now - 60_000 - Math.floor(Math.random() * (WEEK_MS - 3_600_000))
    const grantId = newGrant(scheme, made)
    const { id } = mint(scheme, grantId, made)
    rows.push([id, JSON.stringify(payloadOf(grantId, made)), EXPIRY === 'after' ? now + WEEK_MS + i : made + WEEK_MS, grantId])
  }
  preloadSqlite(path, rows.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)))
}

/** A store side: its pool of live tokens, refreshed round robin as clients would. */
async function side(path, scheme) {
  const store = new SqliteStore({ path })
  const pool = []
  const now = Date.now()
  for (let i = 0; i < POOL; i++) {
    const grantId = newGrant(scheme, now)
    const t = mint(scheme, grantId, now)
    await store.commit({ writes: [{ kind: 'RefreshToken', id: t.id, payload: payloadOf(grantId, now), expiresAt: now + WEEK_MS }] })
    pool.push(t)
  }
  async function refresh() {
    const old = pool.shift()
    const found = await store.find('RefreshToken', old.id)
    if (!found || found.consumed) throw new Error('lost a token')
    const grantId = found.payload.grantId
    const now = Date.now()
    const t = mint(scheme, grantId, now)
    const outcome = await store.commit({
      consume: { kind: 'RefreshToken', id: old.id },
      unless: { kind: 'Grant', id: grantId },
      writes: [{ kind: 'RefreshToken', id: t.id, payload: { ...found.payload, jti: b64(randomBytes(16)) }, expiresAt: now + WEEK_MS }],
    })
    if (outcome !== 'committed') throw new Error(outcome)
    pool.push(t)
  }
  return { store, refresh }
}

async function cpuPer(s, n) {
  const c0 = process.cpuUsage()
  const t0 = performance.now()
  for (let i = 0; i < n; i += BATCH) await Promise.all(Array.from({ length: BATCH }, () => s.refresh()))
  const c = process.cpuUsage(c0)
  return { cpu: (c.user + c.system) / n, wall: ((performance.now() - t0) * 1000) / n }
}

const med = (a) => [...a].sort((x, y) => x - y)[a.length >> 1]
/** Preloaded files are kept here between runs (they take a minute each) and copied per run. */
const CACHE = process.env.CACHE ?? join(tmpdir(), 'realmauth-refresh-cpu-cache')
mkdirSync(CACHE, { recursive: true })
const dir = mkdtempSync(join(tmpdir(), 'realmauth-refresh-cpu-'))
try {
  const sides = []
  for (const scheme of [...new Set(SCHEMES)]) {
    const pristine = join(CACHE, `${scheme}-${ROWS}${EXPIRY === 'after' ? '' : '-made'}.db`)
    if (!existsSync(pristine)) {
      const t = performance.now()
      preload(pristine, scheme)
      console.error(`${scheme}: preloaded in ${((performance.now() - t) / 1000).toFixed(1)} s`)
    }
    copyFileSync(pristine, join(dir, `${scheme}-full.db`))
    for (const size of ['empty', 'full']) sides.push({ name: `${scheme} ${size}`, scheme, size, ...(await side(join(dir, `${scheme}-${size}.db`), scheme)), res: [] })
  }
  for (const s of sides) await cpuPer(s, 2000)
  for (let r = 0; r < ROUNDS; r++) {
    // Each round in another order, so that no side always follows the same one.
    const order = sides.map((_, i) => sides[(i + r) % sides.length])
    if (r % 2) order.reverse()
    for (const s of order) s.res.push(await cpuPer(s, N))
  }
  for (const scheme of [...new Set(SCHEMES)]) {
    const [empty, full] = ['empty', 'full'].map((size) => sides.find((s) => s.scheme === scheme && s.size === size))
    const e = med(empty.res.map((x) => x.cpu))
    const f = med(full.res.map((x) => x.cpu))
    const ratio = med(full.res.map((x, i) => empty.res[i].cpu / x.cpu))
    console.log(`${scheme}: cpu/refresh empty ${e.toFixed(0)} us, full ${f.toFixed(0)} us, empty/full ${ratio.toFixed(2)} (full rounds: ${full.res.map((x) => x.cpu.toFixed(0)).join(' ')}; empty: ${empty.res.map((x) => x.cpu.toFixed(0)).join(' ')})`)
  }
  for (const s of sides) s.store.close()
} finally {
  rmSync(dir, { recursive: true, force: true })
}
