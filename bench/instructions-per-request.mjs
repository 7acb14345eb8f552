// CPU per request of the in-memory provider, counted in instructions (not wall time, which a
// busy shared machine makes unrepeatable). One process: createProvider + listen as
// servers.mjs does, and a keep-alive node:http client firing requests one at a time over
// loopback. Run it under callgrind twice, with N and 2N requests of one kind; the difference
// of the two totals over N is the instructions one request costs, client side included
// (the same client for every build, so a change in the difference is the server's):
//
//   node bench/instructions-per-request.mjs <client_credentials|refresh_token|introspection> <RS256|ES256> <requests>
//   valgrind --tool=callgrind --callgrind-out-file=/dev/null node --single-threaded bench/instructions-per-request.mjs client_credentials ES256 200
//
// or `node bench/instructions-per-request.mjs --callgrind [kinds...]`, which does both runs for
// each kind and prints the table (see decisions/0071).
import { Agent, request } from 'node:http'
import { spawnSync } from 'node:child_process'
import { generateKeyPairSync } from 'node:crypto'
import { fileURLToPath } from 'node:url'

const BASIC = `Basic ${Buffer.from('svc:bench-secret').toString('base64')}`
const TOKEN = '/oauth2/realms/root/realms/bench/access_token'
const INTROSPECT = '/oauth2/realms/root/realms/bench/introspect'
const WARMUP = 300

if (process.argv[2] === '--callgrind') {
  const N = Number(process.env.REQUESTS ?? 400)
  const kinds = process.argv.slice(3).length > 0 ? process.argv.slice(3) : ['client_credentials:RS256', 'client_credentials:ES256', 'refresh_token:RS256', 'refresh_token:ES256', 'introspection:RS256']
  // Keys made here, outside the count, and the same for both runs: generating an RSA key
  // varies by billions of instructions from one run to the next (the search for primes).
  const keys = ['rsa', 'ec'].map((type) => generateKeyPairSync(type, type === 'rsa' ? { modulusLength: 2048 } : { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' }))
  const env = { ...process.env, BENCH_KEYS: JSON.stringify(keys) }
  const count = (kind, alg, n) => {
    // --single-threaded: no concurrent compiler or GC threads, whose share of the work depends on timing.
    const r = spawnSync('valgrind', ['--tool=callgrind', '--callgrind-out-file=/dev/null', process.execPath, '--single-threaded', fileURLToPath(import.meta.url), kind, alg, String(n)], { encoding: 'utf8', env })
    const m = /Collected : (\d+)/.exec(r.stderr)
    if (!m) throw new Error(r.stderr)
    return Number(m[1])
  }
  for (const spec of kinds) {
    const [kind, alg] = spec.split(':')
    const per = (count(kind, alg, 2 * N) - count(kind, alg, N)) / N
    console.log(`${kind} ${alg}: ${(per / 1e6).toFixed(3)} M instructions/request`)
  }
} else {
  const [kind = 'client_credentials', alg = 'RS256', n = '200'] = process.argv.slice(2)
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
  for (let i = 0; i < WARMUP + Number(n); i++) await one()
  agent.destroy()
  await running.close()
}
