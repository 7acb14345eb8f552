// CPU per request of the in-memory provider, counted in instructions (not wall time, which a
// busy shared machine makes unrepeatable). One process: createProvider + listen as
// servers.mjs does, and a keep-alive node:http client firing requests one at a time over
// loopback. Under callgrind, run twice per kind with a warm-up and then N or 2N requests; the
// difference of the two totals over N is what one request costs, all threads (libuv's pool,
// where WebCrypto works) and the client side included (the same client for every build, so a
// change in it is the server's):
//
//   node bench/instructions-per-request.mjs --callgrind [kind:alg ...]
//   taskset -c 1 node bench/instructions-per-request.mjs client_credentials ES256 5000 1000   (CPU time instead)
//
// prints the table of decisions/0071 (kinds: client_credentials, refresh_token, introspection;
// algs RS256, ES256; REQUESTS and WARMUP in the environment). Repeatable to a few percent:
// V8 runs --single-threaded, so no compiler or GC thread does a timing-dependent share of the
// work, and both runs get the same keys, made here (generating an RSA key varies by billions
// of instructions from one run to the next).
import { Agent, request } from 'node:http'
import { spawnSync } from 'node:child_process'
import { generateKeyPairSync } from 'node:crypto'
import { fileURLToPath } from 'node:url'

const BASIC = `Basic ${Buffer.from('svc:bench-secret').toString('base64')}`
const TOKEN = '/oauth2/realms/root/realms/bench/access_token'
const INTROSPECT = '/oauth2/realms/root/realms/bench/introspect'

if (process.argv[2] === '--callgrind') {
  const requests = Number(process.env.REQUESTS ?? 100)
  const warmup = Number(process.env.WARMUP ?? 300)
  const kinds = process.argv.length > 3 ? process.argv.slice(3) : ['client_credentials:RS256', 'client_credentials:ES256', 'refresh_token:RS256', 'refresh_token:ES256', 'introspection:RS256']
  const keys = ['rsa', 'ec'].map((type) => generateKeyPairSync(type, type === 'rsa' ? { modulusLength: 2048 } : { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' }))
  const env = { ...process.env, BENCH_KEYS: JSON.stringify(keys) }
  const count = (kind, alg, n) => {
    const args = ['--tool=callgrind', '--callgrind-out-file=/dev/null', process.execPath, '--single-threaded', fileURLToPath(import.meta.url), kind, alg, String(n), String(warmup)]
    const r = spawnSync('valgrind', args, { encoding: 'utf8', env })
    const m = /Collected : (\d+)/.exec(r.stderr)
    if (r.status !== 0 || !m) throw new Error(r.stderr)
    return Number(m[1])
  }
  for (const spec of kinds) {
    const [kind, alg] = spec.split(':')
    const per = (count(kind, alg, 2 * requests) - count(kind, alg, requests)) / requests
    console.log(`${kind} ${alg}: ${(per / 1e6).toFixed(2)} M instructions/request`)
  }
} else {
  const [kind = 'client_credentials', alg = 'RS256', n = '300', warmup = '300'] = process.argv.slice(2)
  const { createProvider } = await import('@realmauth/server')
  const { listen } = await import('@realmauth/server/node')
  const provider = createProvider({
    ...(process.env.BENCH_KEYS && { keys: JSON.parse(process.env.BENCH_KEYS) }),
    realms: [
      {
        name: 'bench',
        access_token_signing_alg: alg,
        issue_refresh_tokens_on_refresh: true,
        access_token_lifetime: 3600,
        clients: [{ client_id: 'svc', client_secret: 'bench-secret', token_endpoint_auth_method: 'client_secret_basic', grant_types: ['client_credentials', 'refresh_token', 'password'], scope: 'read write' }],
        users: [{ username: 'bench', password: 'bench-password' }],
      },
    ],
  })
  const running = await listen(provider, { port: 0, host: '127.0.0.1' })
  const agent = new Agent({ keepAlive: true, maxSockets: 1 })
  const post = (path, body) =>
    new Promise((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: running.port, path, method: 'POST', agent, headers: { authorization: BASIC, 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body) } }, (res) => {
        const chunks = []
        res.on('data', (c) => chunks.push(c))
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString()
          if (res.statusCode !== 200) reject(new Error(`${path} answered ${res.statusCode}: ${text}`))
          else resolve(JSON.parse(text))
        })
      })
      req.once('error', reject)
      req.end(body)
    })
  let refresh = kind === 'refresh_token' ? (await post(TOKEN, 'grant_type=password&username=bench&password=bench-password&scope=read')).refresh_token : undefined
  const introspect = kind === 'introspection' ? (await post(TOKEN, 'grant_type=client_credentials&scope=read')).access_token : undefined
  const one = async () => {
    if (kind === 'client_credentials') await post(TOKEN, 'grant_type=client_credentials&scope=read')
    else if (kind === 'refresh_token') refresh = (await post(TOKEN, `grant_type=refresh_token&refresh_token=${refresh}`)).refresh_token
    else if ((await post(INTROSPECT, `token=${introspect}`)).active !== true) throw new Error('inactive')
  }
  for (let i = 0; i < Number(warmup); i++) await one()
  const cpu = process.cpuUsage()
  for (let i = 0; i < Number(n); i++) await one()
  const { user, system } = process.cpuUsage(cpu)
  // Run alone (taskset -c 1 node bench/instructions-per-request.mjs …): CPU time, all threads, kernel included.
  console.log(`${kind} ${alg}: ${((user + system) / Number(n)).toFixed(1)} us CPU/request`)
  agent.destroy()
  await running.close()
}
