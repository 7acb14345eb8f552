// Access-token verifications per second: @realmauth/node's verifyAccessToken (JWKS warm,
// through the cached verifier) beside raw jose.jwtVerify with createLocalJWKSet, on the same
// token in the same run, for RS256 and ES256. The JWKS is served in memory by the provider,
// so only verification work is measured.
import { createLocalJWKSet, jwtVerify } from 'jose'
import { verifyAccessToken } from '@realmauth/node'
import { createProvider, demoConfig, DEMO } from '@realmauth/server'
import { fmt, machineLine, named, print, verdict, writeSection, rate } from './common.mjs'

const SECONDS = Number(process.env.BENCH_SECONDS ?? 2)
/** Short alternating rounds per algorithm; their paired ratios give the median. */
const ROUNDS = 20
const origin = 'https://idp.bench.test'
const provider = createProvider(demoConfig())
await provider.ready
const issuer = provider.issuer('alpha', origin)
const jwks = await provider.jwks()
const audience = DEMO.m2m.client_id
const inMemory = (url, init) => provider.fetch(new Request(url, init))

const rows = []
for (const alg of ['RS256', 'ES256']) {
  const now = Math.floor(Date.now() / 1000)
  const token = await provider.signJwt(
    { iss: issuer, sub: audience, aud: audience, client_id: audience, scope: 'read write', iat: now, nbf: now, exp: now + 3600, jti: `bench-${alg}`, realm: '/alpha' },
    { alg, typ: 'at+jwt' },
  )
  // One options object for the whole run: verifyAccessToken keeps its verifier per object.
  const options = { issuer, audience, fetch: inMemory, requiredScopes: ['read'] }
  const viaNode = () => verifyAccessToken(`Bearer ${token}`, options)
  const local = createLocalJWKSet(jwks)
  const rawOptions = { issuer, audience, algorithms: ['RS256', 'ES256', 'PS256', 'EdDSA'] }
  const viaRaw = () => jwtVerify(token, local, rawOptions)

  for (let i = 0; i < 300; i++) {
    await viaNode()
    await viaRaw()
  }
  // Short alternating rounds spread machine noise (GC, other processes) over both sides.
  const node = [], raw = []
  for (let round = 0; round < ROUNDS; round++) {
    raw.push(await rate(viaRaw, SECONDS / ROUNDS))
    node.push(await rate(viaNode, SECONDS / ROUNDS))
  }
  const mean = (a) => a.reduce((x, y) => x + y, 0) / a.length
  // Each round pairs the two sides under the same machine conditions; the median of the
  // paired ratios is what a noisy 2-core machine can state reliably.
  const ratios = node.map((n, i) => n / raw[i]).sort((a, b) => a - b)
  rows.push({ alg, raw: mean(raw), node: mean(node), ratio: (ratios[ROUNDS / 2 - 1] + ratios[ROUNDS / 2]) / 2 })
}

const lines = [
  '## Access-token verification (resource server)',
  '',
  `The same access token verified again and again, JWKS warm: ${named('@realmauth/node')} \`verifyAccessToken\` (through its cached verifier, with a required scope) beside raw ${named('jose')} \`jwtVerify\` with \`createLocalJWKSet\`. ${SECONDS} s per side per algorithm in ${ROUNDS} alternating rounds; ratio is the median of the per-round ratios. ${machineLine()}.`,
  '',
  '| alg | raw jose.jwtVerify /s | @realmauth/node verifyAccessToken /s | ratio |',
  '|---|---:|---:|---:|',
  ...rows.map((r) => `| ${r.alg} | ${fmt(r.raw)} | ${fmt(r.node)} | ${r.ratio.toFixed(2)}x |`),
  '',
  '| target | measured | |',
  '|---|---|---|',
  ...rows.map((r) => `| verifyAccessToken >= 0.9x raw jose, ${r.alg} | ${r.ratio.toFixed(2)}x | ${verdict(r.ratio >= 0.9)} |`),
]
print(lines)
writeSection('20-verify-access-token', lines)
