// ID-token validations per second: a full code exchange through @realmauth/core's
// OidcClient beside the same steps with raw oauth4webapi, in one run. Both get the same
// canned token response from an in-memory fetch, so only client-side work is measured:
// request building, response parsing, claim checks and the RS256 signature check.
import * as oauth from 'oauth4webapi'
import { OidcClient } from '@realmauth/core'
import { createProvider, demoConfig, DEMO } from '@realmauth/server'

const SECONDS = Number(process.env.BENCH_SECONDS ?? 2)
const origin = 'https://idp.bench.test'
const provider = createProvider(demoConfig())
await provider.ready
const issuer = provider.issuer('alpha', origin)
const now = Math.floor(Date.now() / 1000)
const nonce = 'bench-nonce'
const idToken = await provider.signJwt({ iss: issuer, sub: 'demo', aud: DEMO.spa.client_id, azp: DEMO.spa.client_id, iat: now, exp: now + 3600, nonce, auth_time: now })
const tokenBody = JSON.stringify({ access_token: 'at', token_type: 'Bearer', expires_in: 3600, id_token: idToken, scope: 'openid' })
const jwks = JSON.stringify(await provider.jwks())
const metadata = await (await provider.fetch(new Request(`${issuer}/.well-known/openid-configuration`))).json()
const json = { 'content-type': 'application/json' }
const fetchStub = async (url) => new Response(String(url).endsWith('jwk_uri') ? jwks : tokenBody, { status: 200, headers: json })
const redirectUri = DEMO.spa.redirect_uri
const callback = () => new URLSearchParams({ code: 'c', state: 's', iss: issuer })

const oidc = new OidcClient({ issuer, clientId: DEMO.spa.client_id, fetch: fetchStub, metadata })
const transaction = { state: 's', codeVerifier: 'v'.repeat(43), nonce, issuer, redirectUri, createdAt: Date.now() }
const viaCore = () => oidc.handleCallback(new URL(`${redirectUri}?${callback()}`), transaction)

const as = metadata
const client = { client_id: DEMO.spa.client_id }
const jwksCache = {}
const rawOptions = { [oauth.customFetch]: fetchStub }
async function viaRaw() {
  const params = oauth.validateAuthResponse(as, client, callback(), 's')
  const res = await oauth.authorizationCodeGrantRequest(as, client, oauth.None(), params, redirectUri, 'v'.repeat(43), rawOptions)
  await oauth.processAuthorizationCodeResponse(as, client, res, { expectedNonce: nonce, requireIdToken: true })
  await oauth.validateApplicationLevelSignature(as, res, { ...rawOptions, [oauth.jwksCache]: jwksCache })
}

async function rate(fn) {
  for (let i = 0; i < 200; i++) await fn()
  let count = 0
  const end = performance.now() + SECONDS * 1000
  while (performance.now() < end) {
    await fn()
    count++
  }
  return count / SECONDS
}

// Alternate to spread machine noise over both sides.
const core = [], raw = []
for (let round = 0; round < 2; round++) {
  raw.push(await rate(viaRaw))
  core.push(await rate(viaCore))
}
const mean = (a) => a.reduce((x, y) => x + y, 0) / a.length
const c = mean(core), r = mean(raw)
console.log(`\nID-token validation: code exchange + RS256 signature + claims (${SECONDS * 2} s per side, Node ${process.version})\n`)
console.log('| path | validations/s | ratio to raw oauth4webapi | target |')
console.log('|---|---:|---:|---:|')
console.log(`| raw oauth4webapi | ${Math.round(r).toLocaleString('en-US')} | 1.00x | |`)
console.log(`| @realmauth/core OidcClient | ${Math.round(c).toLocaleString('en-US')} | ${(c / r).toFixed(2)}x | >= 0.9x |`)
