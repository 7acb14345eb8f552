// client_credentials tokens per second over loopback, beside the raw signing rate measured
// in the same run. The server runs on the main thread; the load comes from a worker thread,
// so on 2 cores each gets one. Bounded in time; stops everything it started.
import { createServer } from 'node:http'
import { Worker } from 'node:worker_threads'
import { createProvider } from '../dist/index.js'
import { listen } from '../dist/node.js'

const SECONDS = Number(process.env.BENCH_SECONDS ?? 4)
const CONCURRENCY = 32

const client = { client_id: 'svc', client_secret: 'bench-secret', grant_types: ['client_credentials'], scope: 'read' }
const provider = createProvider({
  realms: [
    { name: 'rs', access_token_signing_alg: 'RS256', clients: [client] },
    { name: 'es', access_token_signing_alg: 'ES256', clients: [client] },
  ],
})
const running = await listen(provider, { port: 0, host: '127.0.0.1' })

const LOAD = `
const { parentPort, workerData } = require('node:worker_threads')
const http = require('node:http')
const { port, path, seconds, concurrency } = workerData
const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency })
const body = 'grant_type=client_credentials'
const headers = { authorization: 'Basic ' + Buffer.from('svc:bench-secret').toString('base64'),
  'content-type': 'application/x-www-form-urlencoded', 'content-length': body.length }
let ok = 0, failed = 0, done = false
const end = Date.now() + seconds * 1000
function one() {
  if (Date.now() >= end) return Promise.resolve()
  return new Promise((resolve) => {
    const req = http.request({ host: '127.0.0.1', port, path, method: 'POST', headers, agent }, (res) => {
      res.resume(); res.on('end', () => { res.statusCode === 200 ? ok++ : failed++; resolve() })
    })
    req.on('error', () => { failed++; resolve() })
    req.end(body)
  }).then(one)
}
// Warm-up, then measure.
Promise.all(Array.from({ length: concurrency }, one)).then(() => { agent.destroy(); parentPort.postMessage({ ok, failed }) })
`

async function load(realm, port = running.port) {
  const path = `/oauth2/realms/root/realms/${realm}/access_token`
  const worker = new Worker(LOAD, { eval: true, workerData: { port, path, seconds: SECONDS, concurrency: CONCURRENCY } })
  const result = await new Promise((resolve, reject) => {
    worker.once('message', resolve)
    worker.once('error', reject)
  })
  await worker.terminate()
  if (result.failed > 0) throw new Error(`${result.failed} requests failed in realm ${realm}`)
  return result.ok / SECONDS
}

/** Raw WebCrypto signing of a token-sized payload with the same key type and the same in-flight depth. */
async function signingRate(alg) {
  const spec =
    alg === 'RS256'
      ? { name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' }
      : { name: 'ECDSA', namedCurve: 'P-256' }
  const signParams = alg === 'RS256' ? { name: 'RSASSA-PKCS1-v1_5' } : { name: 'ECDSA', hash: 'SHA-256' }
  const { privateKey } = await crypto.subtle.generateKey(spec, false, ['sign', 'verify'])
  const data = new TextEncoder().encode('x'.repeat(600))
  let count = 0
  const end = performance.now() + SECONDS * 1000
  async function loop() {
    while (performance.now() < end) {
      await crypto.subtle.sign(signParams, privateKey, data)
      count++
    }
  }
  await Promise.all(Array.from({ length: CONCURRENCY }, loop))
  return count / SECONDS
}

/** A bare node:http server answering a token-sized JSON body: what HTTP alone allows here. */
async function ceiling() {
  const body = JSON.stringify({ access_token: 'x'.repeat(700), token_type: 'Bearer', expires_in: 3600 })
  const bare = createServer((req, res) => {
    req.resume()
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end(body))
  })
  await new Promise((resolve) => bare.listen(0, '127.0.0.1', resolve))
  try {
    return await load('bare', bare.address().port)
  } finally {
    bare.close()
  }
}

const rows = []
let bare = 0
try {
  bare = await ceiling()
  for (const [alg, realm] of [['RS256', 'rs'], ['ES256', 'es']]) {
    await load(realm) // warm-up pass: JIT, keys, connection pool
    const tokens = await load(realm)
    const signing = await signingRate(alg)
    rows.push({ alg, tokens, signing })
  }
} finally {
  await running.close()
}

const f = (n) => Math.round(n).toLocaleString('en-US')
console.log(`\nclient_credentials over loopback (${SECONDS} s per case, ${CONCURRENCY} connections, Node ${process.version})\n`)
console.log('| access token | tokens/s | raw signing/s (same run) | ratio | target |')
console.log('|---|---:|---:|---:|---:|')
for (const r of rows) {
  console.log(`| ${r.alg} | ${f(r.tokens)} | ${f(r.signing)} | ${(r.tokens / r.signing).toFixed(2)}x | >= 0.85x |`)
}
console.log(`| bare node:http, no crypto (ceiling) | ${f(bare)} | | | |`)
console.log(`
Raw signing uses both cores (WebCrypto runs on the thread pool); during the load test one
core also runs the load generator, so the HTTP ceiling above bounds what any server here can
reach. See decisions/0002-webcrypto-only-provider.md.`)
