// Requests per second over loopback for the realmauth provider beside node-oidc-provider 9
// (the anchor) and 8.8, configured alike, for client_credentials, refresh_token and
// introspection, with RS256 and ES256 access tokens; realmauth both as users run it (the CLI,
// its default SQLite store) and in memory. Plus a bare node:http server (what HTTP alone
// allows here) and the raw WebCrypto signing rate (what signing alone allows). Each server
// runs in its own child process (servers.mjs) pinned to one core with taskset, and autocannon
// drives it from this process, pinned to the other. Every cell is bounded in time; every
// child is stopped, also on error.
import { execFileSync, spawn, spawnSync } from 'node:child_process'
import { availableParallelism } from 'node:os'
import { join } from 'node:path'
import { CONNECTIONS, REFRESH_POOL, ROUNDS, SECONDS, WARMUP_SECONDS, compare, load, pairedRatio, side } from './load.mjs'
import { fmt, here, machineLine, named, print, verdict, writeSection } from './common.mjs'

// ---- children --------------------------------------------------------------------------

const children = new Set()
// Last resort: whatever happens to this process, its servers go with it.
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL')
})

/**
 * The servers on core 1, this process (the load generator, and the signing limit) on core 0,
 * so neither steals the other's core: ratios then compare the servers, not the scheduler.
 * Every thread of this process is moved (`-a`); threads started later inherit the affinity.
 */
const PINNED = availableParallelism() >= 2 && spawnSync('taskset', ['-c', '0', 'true']).status === 0
if (PINNED) execFileSync('taskset', ['-a', '-p', '-c', '0', String(process.pid)], { stdio: 'ignore' })

/** Starts `node servers.mjs kind alg` (under `taskset -c 1`) and waits for what it prepared. */
async function start(kind, alg = '') {
  const argv = [join(here, 'servers.mjs'), kind, alg, String(REFRESH_POOL)]
  const [command, args] = PINNED ? ['taskset', ['-c', '1', process.execPath, ...argv]] : [process.execPath, argv]
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe', 'ipc'] })
  children.add(child)
  // oidc-provider prints development warnings; they are shown only if the child fails.
  let output = ''
  child.stdout.on('data', (d) => (output += d))
  child.stderr.on('data', (d) => (output += d))
  const message = await new Promise((resolve, reject) => {
    child.once('message', resolve)
    child.once('exit', (code) => reject(new Error(`${kind} ${alg} exited with ${code} before it was ready:\n${output}`)))
  })
  if (message.error) {
    await stop(child)
    throw new Error(`${kind} ${alg} failed to start: ${message.error}`)
  }
  return { kind, alg, child, ...message.ready, pool: [...message.ready.refreshTokens], inactive: 0 }
}

async function stop(child) {
  if (child.exitCode !== null || child.signalCode !== null) return children.delete(child)
  const exited = new Promise((resolve) => child.once('exit', resolve))
  child.send('stop')
  const timer = setTimeout(() => child.kill('SIGKILL'), 2000)
  await exited
  clearTimeout(timer)
  children.delete(child)
}

const serverSide = (server, grant) => side(server.kind, (seconds) => load(server, grant, seconds))

// ---- signing limit ---------------------------------------------------------------------

/**
 * Compact JWTs per second signed with WebCrypto, shaped like the provider's access tokens,
 * with as many signatures in flight as the load has connections. WebCrypto signs on the
 * thread pool, so this has both cores and no HTTP: the ceiling for a provider that signs
 * with WebCrypto on this machine.
 */
const keys = {}
async function signingRate(alg, seconds) {
  const spec = alg === 'RS256'
    ? { name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' }
    : { name: 'ECDSA', namedCurve: 'P-256' }
  const params = alg === 'RS256' ? { name: 'RSASSA-PKCS1-v1_5' } : { name: 'ECDSA', hash: 'SHA-256' }
  keys[alg] ??= (await crypto.subtle.generateKey(spec, false, ['sign', 'verify'])).privateKey
  const b64 = (x) => Buffer.from(x).toString('base64url')
  const now = Math.floor(Date.now() / 1000)
  const claims = {
    iss: 'http://127.0.0.1:40000/oauth2/realms/root/realms/bench', sub: 'svc', aud: 'svc', client_id: 'svc', scope: 'read',
    iat: now, nbf: now, exp: now + 3600, jti: 'x'.repeat(22), realm: '/bench', tokenName: 'access_token', token_type: 'Bearer',
    grant_type: 'client_credentials', authGrantId: 'y'.repeat(22),
  }
  const encoder = new TextEncoder()
  let count = 0
  const end = performance.now() + seconds * 1000
  async function loop() {
    while (performance.now() < end) {
      // Header and claims are encoded per token, as a provider must.
      const input = `${b64(JSON.stringify({ alg, kid: 'k'.repeat(43), typ: 'at+jwt' }))}.${b64(JSON.stringify(claims))}`
      const signature = await crypto.subtle.sign(params, keys[alg], encoder.encode(input))
      void `${input}.${b64(new Uint8Array(signature))}`
      count++
    }
  }
  await Promise.all(Array.from({ length: CONNECTIONS }, loop))
  return { rate: count / seconds, failed: 0 }
}

// ---- run -------------------------------------------------------------------------------

const GRANTS = ['client_credentials', 'refresh_token', 'introspection']
/** Load order within a cell rotates; the first is the anchor every ratio is taken against. */
const KINDS = ['oidc-provider-9', 'oidc-provider', 'realmauth-cli', 'realmauth']
const rows = []
const notes = []
let bare
const startedAt = performance.now()
try {
  const ceiling = await start('bare')
  try {
    ;[bare] = await compare([serverSide(ceiling, 'client_credentials')])
  } finally {
    await stop(ceiling.child)
  }
  for (const alg of ['RS256', 'ES256']) {
    const servers = {}
    try {
      for (const kind of KINDS) servers[kind] = await start(kind, alg)
      const anchor = servers['oidc-provider-9']
      if (anchor.jwtIntrospection?.active !== true && alg === 'RS256') {
        notes.push(`oidc-provider answers \`${JSON.stringify(anchor.jwtIntrospection)}\` when its client introspects its own JWT access token (it does not store JWT access tokens), so its introspection rows introspect an opaque access token of the same client instead.`)
      }
      for (const grant of GRANTS) {
        // Client credentials also measure the signing limit in the same rounds, so the two
        // are compared under the same machine load.
        const signing = grant === 'client_credentials' ? [side('signing', (seconds) => signingRate(alg, seconds))] : []
        const sides = await compare([...KINDS.map((kind) => serverSide(servers[kind], grant)), ...signing])
        const by = Object.fromEntries(sides.map((s) => [s.name, s]))
        const [op9, op8] = [by['oidc-provider-9'], by['oidc-provider']]
        rows.push({
          grant, alg, by, limit: by.signing,
          ratios: {
            cli9: pairedRatio(by['realmauth-cli'], op9), mem9: pairedRatio(by.realmauth, op9),
            cli8: pairedRatio(by['realmauth-cli'], op8), mem8: pairedRatio(by.realmauth, op8),
          },
          vsLimit: by.signing && pairedRatio(by.realmauth, by.signing),
        })
        console.error(`  ${grant} ${alg}: ${sides.map((s) => `${s.name} ${fmt(s.rate)}/s`).join(', ')}`)
      }
    } finally {
      for (const server of Object.values(servers)) await stop(server.child)
    }
  }
} finally {
  for (const child of children) await stop(child)
}

// ---- report ----------------------------------------------------------------------------

const failures = (s) => (s.failed > 0 ? ` (${s.failed} failed)` : '')
const x = (n) => (Number.isFinite(n) ? `${n.toFixed(2)}x` : '')
const rate = (s) => `${fmt(s.rate)}${failures(s)}`
const lines = [
  '## Provider throughput over loopback',
  '',
  `${named('@realmauth/server')} vs ${named('oidc-provider-9')} (the anchor) and ${named('oidc-provider')}, each server in its own process${PINNED ? ' pinned to core 1 (`taskset -c 1`); load' : '; load'} from ${named('autocannon')} in another${PINNED ? ', pinned to core 0' : ' (not pinned: taskset or a second core is missing)'}: ${CONNECTIONS} keep-alive connections, ${ROUNDS} rounds of ${SECONDS} s per side after a ${WARMUP_SECONDS} s warm-up, the order of the sides rotating each round. Rates are medians over the rounds; ratios are medians of the ratios within each round. ${machineLine()}.`,
  '',
  '| request | access token | realmauth CLI (SQLite) req/s | realmauth memory req/s | oidc-provider 9 req/s | oidc-provider 8 req/s | CLI / op 9 | memory / op 9 | CLI / op 8 | memory / op 8 | signing limit /s (same rounds) | memory / signing limit |',
  '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ...rows.map((r) => `| ${r.grant} | JWT ${r.alg} | ${rate(r.by['realmauth-cli'])} | ${rate(r.by.realmauth)} | ${rate(r.by['oidc-provider-9'])} | ${rate(r.by['oidc-provider'])} | ${x(r.ratios.cli9)} | ${x(r.ratios.mem9)} | ${x(r.ratios.cli8)} | ${x(r.ratios.mem8)} | ${r.limit ? fmt(r.limit.rate) : ''} | ${x(r.vsLimit)} |`),
  `| bare node:http server, fixed token-sized JSON body (HTTP ceiling) | - | | ${fmt(bare.rate)}${failures(bare)} | | | | | | | | |`,
  '',
  'Configurations, the same on all sides unless said:',
  '',
  '- One confidential client authenticating every request with `client_secret_basic`. Access tokens are RFC 9068 JWTs (`typ: at+jwt`) signed with the algorithm of the row, lifetime 3600 s, `aud` the client.',
  '- realmauth CLI: `realmauth-server --config bench.json --port 0` in a fresh directory, so with its default store, the SQLite file `.realmauth/provider.db`, as users run `npx realmauth-server`. realmauth memory: `createProvider` + `listen` with the in-memory store. Both: a realm with `access_token_signing_alg` of the row; access tokens are not stored (decisions/0068): introspection checks the signature, then the deny-list of revoked `jti`s and the grant\'s tombstone.',
  '- oidc-provider (9 and 8 alike): `features.resourceIndicators` with `defaultResource` and `useGrantedResource`, and a resource server with `accessTokenFormat: \'jwt\'` and `jwt.sign.alg` of the row; `features.clientCredentials` and `features.introspection` on; its development memory adapter without the 1000-entry LRU bound (which the refresh pool outgrows). JWT access tokens are not stored. It has no persistent store of its own, so both realmauth columns are compared with the same oidc-provider runs.',
  '- client_credentials: `grant_type=client_credentials&scope=read`.',
  '- refresh_token: rotation on all sides (realmauth `issue_refresh_tokens_on_refresh: true`, its default; oidc-provider `rotateRefreshToken: true`), so each token is good once; the refresh token in each answer goes back to a pool a later request takes from, as a client would. Scope `read`, no `openid`, so no ID token. realmauth\'s pool comes from its password grant, oidc-provider\'s from a `Grant` and `RefreshToken` made through its models (what an authorization-code exchange leaves).',
  '- introspection: the client introspects its own access token, the same token on every request, as a resource server does for each call a token makes: realmauth the JWT (its signature checked once per token and key, decisions/0073; expiry, client, deny-list and grant-tombstone lookups every time); oidc-provider an opaque token (store lookup), see below. An `active: false` answer counts as failed.',
  `- signing limit: WebCrypto \`crypto.subtle.sign\` of an access-token-sized JWT (header and claims encoded per token) with ${CONNECTIONS} signatures in flight, in the load generator's process${PINNED ? ' (its core alone, as each server has one)' : ''}, no HTTP.`,
  '- HTTP ceiling: a `node:http` server answering every request with a fixed token-sized JSON body, under the same load: what any Node server here can reach.',
]
if (notes.length) lines.push('', ...notes)

/** The issue's targets, each against oidc-provider 9, for the CLI and for memory; 8.8 beside. */
const target = (grant, alg, want, label = grant) => {
  const r = rows.find((row) => row.grant === grant && row.alg === alg)
  const cell = (a, b) => (r ? `${x(r.ratios[a])} (op 8: ${x(r.ratios[b])})` : '-')
  const met = (a) => verdict(r ? r.ratios[a] >= want : undefined)
  return `| ${label}, JWT ${alg} | >= ${want}x | ${cell('cli9', 'cli8')} | ${met('cli9')} | ${cell('mem9', 'mem8')} | ${met('mem9')} |`
}
const limit = (alg) => {
  const r = rows.find((row) => row.grant === 'client_credentials' && row.alg === alg)
  return `| realmauth memory client_credentials vs the signing limit, ${alg} (issue 7's target, left missed in decisions/0011) | >= 0.85x | | | ${r ? `${x(r.vsLimit)} (${fmt(r.by.realmauth.rate)} vs ${fmt(r.limit.rate)}/s)` : '-'} | ${verdict(r ? r.vsLimit >= 0.85 : undefined)} |`
}
lines.push(
  '',
  'Targets (issue 17): realmauth / oidc-provider 9 in the same rounds, with oidc-provider 8.8 beside.',
  '',
  '| request | target | CLI, default SQLite store | | in memory | |',
  '|---|---|---|---|---|---|',
  target('client_credentials', 'RS256', 1.3),
  target('client_credentials', 'ES256', 2),
  target('refresh_token', 'RS256', 1.3, 'refresh_token with rotation'),
  target('refresh_token', 'ES256', 1.5, 'refresh_token with rotation'),
  target('introspection', 'RS256', 1),
  target('introspection', 'ES256', 1),
  limit('RS256'),
  limit('ES256'),
)

print(lines)
writeSection('30-provider-throughput', lines)
console.error(`(provider throughput: ${((performance.now() - startedAt) / 1000).toFixed(0)} s)`)
