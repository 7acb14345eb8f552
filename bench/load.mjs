// Load over HTTP for the provider benches: autocannon requests for a grant against one
// server, and the paired-rounds comparison every ratio in results.md comes from.
import autocannon from 'autocannon'
import { BASIC, FORM, PATHS } from './servers.mjs'
import { median } from './common.mjs'

export const SECONDS = Number(process.env.BENCH_SECONDS ?? 1)
export const WARMUP_SECONDS = 1
export const CONNECTIONS = 32
/** Rounds per cell; the order of the sides rotates, so drift in machine load falls on all. */
export const ROUNDS = 5
/** Each run can lose up to CONNECTIONS tokens in flight when it stops; mint plenty. */
export const REFRESH_POOL = CONNECTIONS * 10

const headers = { authorization: BASIC, 'content-type': FORM }

/**
 * The autocannon request for one grant against one server: `{ kind, pool, introspect,
 * inactive }` as servers.mjs prepares it.
 */
function requestFor(server, grant) {
  const paths = PATHS[server.kind]
  if (grant === 'client_credentials') return { method: 'POST', path: paths.token, headers, body: 'grant_type=client_credentials&scope=read' }
  if (grant === 'introspection') {
    // An `active: false` answer is a 200 too; it would be a failure here.
    return { method: 'POST', path: paths.introspect, headers, body: `token=${server.introspect}`, onResponse(status, body) {
      if (status === 200 && !body.startsWith('{"active":true')) server.inactive++
    } }
  }
  // refresh_token: rotation, so each token is good once. Every response's new refresh token
  // goes back into the pool and a later request takes it, as a client would.
  return {
    method: 'POST',
    path: paths.token,
    headers,
    setupRequest(request) {
      const token = server.pool.shift()
      if (token === undefined) throw new Error(`${server.kind} ${server.alg ?? ''}: refresh-token pool ran dry`)
      request.body = `grant_type=refresh_token&refresh_token=${token}`
      return request
    },
    onResponse(status, body) {
      if (status === 200) server.pool.push(JSON.parse(body).refresh_token)
    },
  }
}

/** 2xx responses per second over `seconds`; failures are counted, not hidden. */
export async function load(server, grant, seconds, connections = CONNECTIONS) {
  const result = await autocannon({
    url: `http://127.0.0.1:${server.port}`,
    connections,
    duration: seconds,
    requests: [requestFor(server, grant)],
  })
  const inactive = server.inactive ?? 0
  server.inactive = 0
  return { rate: (result['2xx'] - inactive) / result.duration, failed: result.non2xx + result.errors + inactive }
}

/** One side of a comparison: `run(seconds)` gives `{ rate, failed }`. */
export const side = (name, run) => ({ name, run, rates: [], failed: 0 })

/**
 * Measures the sides in turn, `rounds` times (ROUNDS), rotating which goes first, after a warm-up of
 * each (JIT, connection pools, key caches). A side's rate is its median over the rounds;
 * ratios between sides are taken within each round (same machine conditions), see
 * `pairedRatio`.
 */
export async function compare(sides, { rounds = ROUNDS, seconds = SECONDS } = {}) {
  for (const s of sides) await s.run(WARMUP_SECONDS)
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < sides.length; i++) {
      const s = sides[(i + round) % sides.length]
      const r = await s.run(seconds)
      s.rates.push(r.rate)
      s.failed += r.failed
    }
  }
  for (const s of sides) s.rate = median(s.rates)
  return sides
}

/** Median over the rounds of a's rate / b's rate in the same round. */
export const pairedRatio = (a, b) => median(a.rates.map((r, i) => r / b.rates[i]))
