// How the provider's token rate holds up as its store grows (issue 17): the CLI on an empty
// store beside the CLI on a store preloaded with a million live grants, each with its refresh
// token, for client_credentials and refresh_token (with rotation), in SQLite and in
// PostgreSQL; and one CLI instance beside two on one PostgreSQL database, under the same total
// load. Each server is a CLI process (servers.mjs), autocannon drives it from this process,
// and the sides of a comparison take turns in the same rounds (load.mjs).
//
// PostgreSQL comes from REALMAUTH_PG_URL (as in the tests); without it those rows say so.
// Each side gets its own schema there (`search_path`), dropped at the end.
//
//   BENCH_SCALING_ROWS=100000 node store-scaling.mjs   a smaller preload, for a quick look
import { generateKeyPairSync, randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, rmdirSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { preloadSqlite } from './preloadSqlite.mjs'
import { CONNECTIONS, REFRESH_POOL, SECONDS, WARMUP_SECONDS, compare, load, pairedRatio, side } from './load.mjs'
import { realmauthCli } from './servers.mjs'
import { fmt, here, machineLine, named, print, verdict, writeSection } from './common.mjs'

const ROWS = Number(process.env.BENCH_SCALING_ROWS ?? 1_000_000)
const PG_URL = process.env.REALMAUTH_PG_URL
const ALG = 'ES256'
const GRANTS = ['client_credentials', 'refresh_token']
/** The store must stay within this of its empty self; two instances must beat one. */
const WITHIN = 0.9
/** More rounds than provider-throughput: a ratio near 1 is what is asked, so noise matters more. */
const ROUNDS = 5
const require = createRequire(join(here, 'package.json'))

// ---- preload ---------------------------------------------------------------------------

const WEEK_MS = 7 * 86_400_000

/** The provider's time prefix (decision 0077): milliseconds in 10 lowercase base32hex digits. */
const timePrefix = (ms) => Math.floor(ms).toString(32).padStart(10, '0')

/**
 * ROWS refresh-token rows as the provider writes them, each with a grant of its own, made at
 * some time in the week before the bench (so before every row the measured server writes) and
 * expiring a week (the default lifetime) after that: id the time of the token then the SHA-256
 * (base64url) of it, payload the `RefreshTokenPayload` JSON, grant id (the time of the grant,
 * then 128 random bits) indexed. Sorted by id, so the preload appends to the primary key
 * instead of splitting pages.
 */
function refreshRows() {
  const now = Date.now()
  const random = randomBytes(64 * ROWS)
  const rows = []
  for (let i = 0; i < ROWS; i++) {
    const o = i * 64
    // Live for at least an hour more: made at most a week (the default lifetime) less an hour ago.
    const made = now - 60_000 - Math.floor((random.readUInt32BE(o) * (WEEK_MS - 3_600_000)) / 2 ** 32)
    const grantId = timePrefix(made) + random.toString('base64url', o, o + 16)
    const jti = random.toString('base64url', o + 48, o + 64)
    const payload = `{"grantId":"${grantId}","clientId":"svc","realm":"/bench","jti":"${jti}","grantScope":["read"],"grantType":"password","username":"bench","authTime":${Math.floor(made / 1000)}}`
    rows.push([timePrefix(made) + random.toString('base64url', o + 16, o + 48), payload, made + WEEK_MS, grantId])
  }
  return rows.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
}

/** A connection string whose sessions use `schema` (libpq's `options`, which pg passes on). */
const inSchema = (schema) => {
  const url = new URL(PG_URL)
  url.searchParams.set('options', `-c search_path=${schema}`)
  return url.toString()
}

/** Runs statements on the database itself (not in a bench schema). */
async function onDatabase(...statements) {
  const { Client } = require('pg')
  const client = new Client({ connectionString: PG_URL })
  await client.connect()
  try {
    for (const sql of statements) await client.query(sql)
  } finally {
    await client.end()
  }
}

/** ROWS refresh tokens in one statement on the server: no round trip per row. */
async function preloadPostgres(schema) {
  const { PostgresStore } = await import('@realmauth/server/postgres')
  await (await PostgresStore.open(inSchema(schema))).close()
  const { Client } = require('pg')
  const client = new Client({ connectionString: inSchema(schema) })
  await client.connect()
  try {
    // As for SQLite: the secondary indexes are made again after the load, from their own definitions.
    const { rows: indexes } = await client.query(
      `SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = $1 AND tablename = 'realmauth_entries' AND indexname <> 'realmauth_entries_pkey'`,
      [schema],
    )
    for (const index of indexes) await client.query(`DROP INDEX ${schema}.${index.indexname}`)
    // As refreshRows: made in the week before, expiring a week after; ids and grant ids start
    // with the time in 10 base32hex digits (the provider's timeOrderedToken).
    const now = Date.now()
    await client.query(
      `INSERT INTO realmauth_entries (kind, id, payload, expires_at, consumed, grant_id, user_code)
       SELECT 'RefreshToken', t || encode(sha256(convert_to('rt' || g || $1, 'UTF8')), 'base64'),
              json_build_object('grantId', t || gid, 'clientId', 'svc', 'realm', '/bench', 'jti', md5('jti' || g || $1),
                'grantScope', json_build_array('read'), 'grantType', 'password', 'username', 'bench', 'authTime', made / 1000)::text,
              made + $3, false, t || gid, NULL
       FROM (SELECT g, gid, made,
               (SELECT string_agg(substr('0123456789abcdefghijklmnopqrstuv', ((made >> (5 * (9 - k))) & 31)::int + 1, 1), '' ORDER BY k)
                FROM generate_series(0, 9) AS k) AS t
             FROM (SELECT g, md5('grant' || g || $1) AS gid, ($2::bigint - 60000 - floor(random() * ($3 - 3600000)))::bigint AS made
                   FROM generate_series(1, $4::int) AS g) AS r) AS s`,
      [randomBytes(8).toString('hex'), now, WEEK_MS, ROWS],
    )
    for (const index of indexes) await client.query(index.indexdef)
    await client.query('ANALYZE realmauth_entries')
  } finally {
    await client.end()
  }
}

// ---- servers ---------------------------------------------------------------------------

const running = new Set()
// Stopped by run.mjs (over its time limit) or by hand: no CLI outlives the bench.
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => void stopAll().finally(() => process.exit(1)))

/** Signing keys every instance of a database shares (as an operator's `keys` or key secret would make them). */
function sharedKeys() {
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' })
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' })
  return [{ ...ec, kid: 'bench-es', alg: 'ES256', use: 'sig' }, { ...rsa, kid: 'bench-rs', alg: 'RS256', use: 'sig' }]
}

/** A server's refresh tokens last through its three comparisons: each run can lose CONNECTIONS in flight. */
const POOL = REFRESH_POOL * 3

async function startCli(store, keys) {
  const r = await realmauthCli(ALG, POOL, { store, keys })
  running.add(r)
  return { kind: 'realmauth-cli', ...r, pool: [...r.refreshTokens], inactive: 0 }
}

async function stopAll() {
  for (const r of running) await r.close().catch(() => {})
  running.clear()
}

/**
 * The share of a core each instance gets in the capped comparison: what one instance on a
 * machine of its own would have, while the database and the load generator keep the rest of
 * this one. Uncapped, one instance with its database and autocannon already keeps both cores
 * of a 2-core machine busy (decisions/0078), so a second can only split them.
 */
const CAP = 0.4

/**
 * Puts process `pid` in a CPU cgroup of its own limited to `share` of a core (cgroup v2's
 * `cpu.max`, or v1's CFS quota); gives back a function that undoes it, or undefined where
 * the bench may not make cgroups (not root, no cpu controller).
 */
function capCpu(pid, share) {
  const period = 100_000
  const quota = Math.round(share * period)
  const v2 = ['/sys/fs/cgroup', '/sys/fs/cgroup/unified'].find((root) => {
    try {
      return readFileSync(join(root, 'cgroup.subtree_control'), 'utf8').split(/\s+/).includes('cpu')
    } catch {
      return false
    }
  })
  const root = v2 ?? (existsSync('/sys/fs/cgroup/cpu/cpu.cfs_quota_us') ? '/sys/fs/cgroup/cpu' : undefined)
  if (!root) return undefined
  const group = join(root, `realmauth-bench-${pid}`)
  try {
    mkdirSync(group, { recursive: true })
    if (v2) writeFileSync(join(group, 'cpu.max'), `${quota} ${period}`)
    else {
      writeFileSync(join(group, 'cpu.cfs_period_us'), String(period))
      writeFileSync(join(group, 'cpu.cfs_quota_us'), String(quota))
    }
    writeFileSync(join(group, 'cgroup.procs'), String(pid))
  } catch {
    try {
      rmdirSync(group)
    } catch {}
    return undefined
  }
  return () => {
    try {
      writeFileSync(join(root, 'cgroup.procs'), String(pid))
    } catch {} // the process has exited: the group is empty already
    try {
      rmdirSync(group)
    } catch {}
  }
}

/** The load on one server, or split evenly over several (the rates added up). */
const loadOn = (servers, grant) => async (seconds) => {
  const parts = await Promise.all(servers.map((s) => load(s, grant, seconds, Math.ceil(CONNECTIONS / servers.length))))
  return { rate: parts.reduce((n, p) => n + p.rate, 0), failed: parts.reduce((n, p) => n + p.failed, 0) }
}

/** Rows of the table: empty vs preloaded (`full`), or one vs two instances (`two`). */
const rows = []
const skipped = []

async function measure(label, sides) {
  for (const grant of GRANTS) {
    const measured = await compare(sides.map(([name, servers]) => side(name, loadOn(servers, grant))), { rounds: ROUNDS })
    const [base, other] = measured
    rows.push({ label, grant, base, other, ratio: pairedRatio(other, base) })
    console.error(`  ${label} ${grant}: ${measured.map((s) => `${s.name} ${fmt(s.rate)}/s`).join(', ')}`)
  }
}

// ---- run -------------------------------------------------------------------------------

const startedAt = performance.now()
const preloads = []
const dir = mkdtempSync(join(tmpdir(), 'realmauth-scaling-'))
const schemas = ['realmauth_scaling_empty', 'realmauth_scaling_full']
try {
  {
    const empty = join(dir, 'empty.db')
    const full = join(dir, 'full.db')
    const t = performance.now()
    preloadSqlite(full, refreshRows())
    preloads.push(`SQLite: ${fmt(ROWS)} rows in ${((performance.now() - t) / 1000).toFixed(1)} s (sorted, one transaction, indexes made after)`)
    const sides = [['empty', [await startCli(empty)]], ['full', [await startCli(full)]]]
    await measure('SQLite', sides)
    await stopAll()
  }
  if (PG_URL) {
    await onDatabase(...schemas.map((schema) => `DROP SCHEMA IF EXISTS ${schema} CASCADE; CREATE SCHEMA ${schema}`))
    const t = performance.now()
    await preloadPostgres(schemas[1])
    preloads.push(`PostgreSQL: ${fmt(ROWS)} rows in ${((performance.now() - t) / 1000).toFixed(1)} s (one \`INSERT … SELECT … generate_series\` on the server, indexes made after)`)
    const keys = sharedKeys()
    const empty = await startCli(inSchema(schemas[0]), keys)
    const full = await startCli(inSchema(schemas[1]), keys)
    await measure('PostgreSQL', [['empty', [empty]], ['full', [full]]])
    // A second instance on the preloaded database: the same total load, split over both.
    const second = await startCli(inSchema(schemas[1]), keys)
    await measure('PostgreSQL instances', [['one', [full]], ['two', [full, second]]])
    // The same with each instance capped, as on machines of their own: what the shared
    // database lets through when instances, not this machine's two cores, are the bound.
    const uncap = [full, second].map((s) => capCpu(s.pid, CAP))
    if (uncap.every(Boolean)) await measure('PostgreSQL instances, capped', [['one', [full]], ['two', [full, second]]])
    else skipped.push(`PostgreSQL instances capped at ${CAP} of a core each: not measured, the bench could not make CPU cgroups (it needs root and a cpu controller).`)
    for (const undo of uncap) undo?.()
  } else {
    skipped.push('PostgreSQL: not measured, REALMAUTH_PG_URL is not set (a server the bench may create schemas in).')
  }
} finally {
  await stopAll()
  rmSync(dir, { recursive: true, force: true })
  if (PG_URL) await onDatabase(...schemas.map((schema) => `DROP SCHEMA IF EXISTS ${schema} CASCADE`))
}

// ---- report ----------------------------------------------------------------------------

const x = (n) => (Number.isFinite(n) ? `${n.toFixed(2)}x` : '-')
const failures = (s) => (s.failed > 0 ? ` (${s.failed} failed)` : '')
const rate = (s) => `${fmt(s.rate)}${failures(s)}`
const scaling = rows.filter((r) => !r.label.startsWith('PostgreSQL instances'))
const instances = rows.filter((r) => r.label.startsWith('PostgreSQL instances'))
const capped = (r) => r.label.endsWith('capped')
const lines = [
  '## Store scaling',
  '',
  `${named('@realmauth/server')} as the CLI (\`realmauth-server --config … --store …\`), one process per store, ${ALG} access tokens, load from ${named('autocannon')} in this process: ${CONNECTIONS} keep-alive connections in all (split evenly over the instances of a side), ${ROUNDS} rounds of ${SECONDS} s per side after a ${WARMUP_SECONDS} s warm-up, the sides taking turns. Rates are medians over the rounds; ratios are medians of the ratios within each round. ${machineLine()}.`,
  '',
  `Preloaded: ${fmt(ROWS)} live grants, each with its refresh token (a row as the provider writes it, made in the week before and expiring a week after that: the time and SHA-256 of the token, its grant id indexed; decision 0077). ${preloads.join('; ')}.`,
  '',
  '| store | request | empty req/s | preloaded req/s | preloaded / empty | target | |',
  '|---|---|---:|---:|---:|---|---|',
  ...scaling.map((r) => `| ${r.label} | ${r.grant} | ${rate(r.base)} | ${rate(r.other)} | ${x(r.ratio)} | >= ${WITHIN}x | ${verdict(r.ratio >= WITHIN)} |`),
  '',
  '| PostgreSQL, preloaded | CPU per instance | request | one instance req/s | two instances req/s | two / one | target | |',
  '|---|---|---|---:|---:|---:|---|---|',
  ...instances.map((r) =>
    capped(r)
      ? `| ${fmt(ROWS)} grants | ${CAP} of a core | ${r.grant} | ${rate(r.base)} | ${rate(r.other)} | ${x(r.ratio)} | > 1x | ${verdict(r.ratio > 1)} |`
      : `| ${fmt(ROWS)} grants | the machine's, shared | ${r.grant} | ${rate(r.base)} | ${rate(r.other)} | ${x(r.ratio)} | (bound by the cores) | |`,
  ),
  '',
  '- client_credentials neither reads nor writes the store (decisions/0068): its rows show what a store of that size costs a request that does not use it. refresh_token reads the token, then in one transaction spends it and writes its successor.',
  '- SQLite reads through `mmap_size` and has no index copying its primary key (decisions/0069).',
  `- Uncapped, two instances share the machine's two cores with the database and the load generator, which one instance already keeps busy: their sum is bounded by the cores, not by the store, so that row is printed without a target. Capped, each instance gets ${CAP} of a core (a CPU cgroup of its own), as instances on machines of their own would, and the database and the load generator keep the rest: that row is what the target asks, whether a second instance on the same database adds to the first.`,
  ...skipped.map((s) => `- ${s}`),
]

print(lines)
writeSection('35-store-scaling', lines)
console.error(`(store scaling: ${((performance.now() - startedAt) / 1000).toFixed(0)} s)`)
