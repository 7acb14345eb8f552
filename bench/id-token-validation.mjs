// ID-token validations per second: a full code exchange through @realmauth/core's
// OidcClient beside the same steps with raw oauth4webapi and with openid-client, in one run.
// All get the same canned token response from an in-memory fetch, so only client-side work is
// measured: request building, response parsing, claim checks and the RS256 signature check.
import * as oauth from 'oauth4webapi'
import * as openid from 'openid-client'
import { OidcClient } from '@realmauth/core'
import { createProvider, demoConfig, DEMO } from '@realmauth/server'
import { fmt, machineLine, mean, median, named, print, verdict, writeSection, rate } from './common.mjs'

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
// Every side is handed the callback as an app receives it, a URL to parse (oauth4webapi's
// validateAuthResponse takes a URL as well as parameters), so parsing costs all sides alike.
const callback = () => new URL(`${redirectUri}?${new URLSearchParams({ code: 'c', state: 's', iss: issuer })}`)

const oidc = new OidcClient({ issuer, clientId: DEMO.spa.client_id, fetch: fetchStub, metadata })
const transaction = { state: 's', codeVerifier: 'v'.repeat(43), nonce, issuer, redirectUri, createdAt: Date.now() }
const viaCore = () => oidc.handleCallback(callback(), transaction)

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

// openid-client 6 checks an ID token's signature from the token endpoint only with
// enableNonRepudiationChecks (TLS otherwise vouches for it); the other two always check it.
const config = new openid.Configuration(metadata, DEMO.spa.client_id, undefined, openid.None())
config[openid.customFetch] = fetchStub
openid.enableNonRepudiationChecks(config)
const viaOpenid = () =>
  openid.authorizationCodeGrant(config, callback(), { pkceCodeVerifier: 'v'.repeat(43), expectedNonce: nonce, expectedState: 's' })

// Rounds rotate the order of the sides, to spread machine noise over all of them.
const sides = [
  { name: `raw ${named('oauth4webapi')} (validateAuthResponse, code grant, processAuthorizationCodeResponse, validateApplicationLevelSignature)`, fn: viaRaw, runs: [] },
  { name: `${named('@realmauth/core')} OidcClient.handleCallback`, fn: viaCore, runs: [], ours: true },
  { name: `${named('openid-client')} authorizationCodeGrant with enableNonRepudiationChecks`, fn: viaOpenid, runs: [] },
]
// Warm-up: JIT, JWKS caches, imported keys.
for (const side of sides) for (let i = 0; i < 200; i++) await side.fn()
// Short rounds: each round measures every side under about the same machine load, and the
// median of the per-round ratios is what a shared 2-core machine can state reliably.
const ROUNDS = 10
for (let round = 0; round < ROUNDS; round++) {
  for (let i = 0; i < sides.length; i++) {
    const side = sides[(i + round) % sides.length]
    side.runs.push(await rate(side.fn, (SECONDS * 2) / ROUNDS))
  }
}
for (const side of sides) {
  side.rate = mean(side.runs)
  side.ratio = median(side.runs.map((r, i) => r / sides[0].runs[i]))
}
const core = sides[1].ratio

const lines = [
  '## ID-token validation (client)',
  '',
  `A code exchange with full ID-token validation (RS256 signature, iss, aud, azp, exp, iat, nonce), token response from an in-memory fetch; every side is handed the callback URL to parse. ${SECONDS * 2} s per side in ${ROUNDS} rounds; rate is the mean, ratio the median of the per-round ratios. ${machineLine()}.`,
  '',
  '| path | validations/s | ratio to raw oauth4webapi |',
  '|---|---:|---:|',
  ...sides.map((s) => `| ${s.ours ? `**${s.name}**` : s.name} | ${fmt(s.rate)} | ${s.ratio.toFixed(2)}x |`),
  '',
  '| target | measured | |',
  '|---|---|---|',
  `| @realmauth/core >= 0.9x raw oauth4webapi | ${core.toFixed(2)}x | ${verdict(core >= 0.9)} |`,
]
print(lines)
writeSection('10-id-token-validation', lines)
