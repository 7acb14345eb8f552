/**
 * The hostile-provider matrix, as data: one case list for every client suite (node in
 * process and over HTTP, browser in Chromium over HTTP). A case is a fault the provider
 * harness plays in place of the real answer (an ID token swapped for a wrong one, a token
 * response of the wrong type) or an edit of a real callback URL, with the typed error the
 * client must answer. Everything here runs in Node, where the provider and its keys are:
 * a browser suite arms the same fault over HTTP and only the client runs in the page.
 */
import { createHash, createHmac, createPublicKey, type JsonWebKey } from 'node:crypto'
import { SignJWT, exportJWK, generateKeyPair, type CryptoKey as JoseKey, type JWK } from 'jose'
import type { AuthErrorCode, Transaction } from '@realmauth/core'
import { createProvider, demoConfig, type Provider, type ProviderConfig, type RealmConfig } from '@realmauth/server'
import type { Fault } from './providerHarness.js'
import { answer, b64, decodeJwt, editTokenResponse, replaceIdToken, withTestKeys, type Claims } from './coreKit.js'

/** What a case builds its ID token from. */
export interface IdTokenContext {
  /** Claims of the ID token the provider really issued for this response. */
  claims: Claims
  /** That ID token. */
  real: string
  /** The provider under test (its `signJwt` signs with the published key). */
  provider: Provider
  /** Seconds since the epoch on the provider's clock, which the client shares. */
  nowSec: number
}

export interface IdTokenCase {
  name: string
  make(ctx: IdTokenContext): string | Promise<string>
  /** What the error message must name, so the right check refused it. */
  reason: RegExp
  /**
   * Which token responses it is played in: the code exchange, a refresh, or both. `nonce`
   * is checked only at sign-in; a changed `sub` only against the ID token before it.
   */
  in: readonly ('exchange' | 'refresh')[]
}

const BOTH = ['exchange', 'refresh'] as const
const EXCHANGE = ['exchange'] as const

/** A provider of its own (own keys), for tokens signed by a key the client has never seen. */
let foreign: Promise<Provider> | undefined
export function foreignProvider(): Promise<Provider> {
  foreign ??= (async () => {
    const other = createProvider(demoConfig())
    await other.ready
    return other
  })()
  return foreign
}

/** An attacker's RSA key pair, made once. */
let attackerKey: Promise<{ privateKey: JoseKey; jwk: JWK }> | undefined
function attacker() {
  attackerKey ??= generateKeyPair('RS256', { extractable: true }).then(async ({ privateKey, publicKey }) => ({ privateKey, jwk: await exportJWK(publicKey) }))
  return attackerKey
}

const claim = (name: string, edit: (c: Claims, now: number) => Claims, reason: RegExp, where: IdTokenCase['in'] = BOTH): IdTokenCase => ({
  name,
  make: ({ claims, provider, nowSec }) => provider.signJwt(edit(claims, nowSec)),
  reason,
  in: where,
})

/**
 * Every way an ID token can be wrong, each alone. The claim cases are those of the core
 * matrix (id-token.test.ts); the rest are the header and signature attacks.
 */
export const ID_TOKEN_CASES: readonly IdTokenCase[] = [
  claim('a wrong iss', (c) => ({ ...c, iss: 'https://evil.example.test/oauth2/realms/root/realms/alpha' }), /iss/),
  claim('the issuer of another realm', (c) => ({ ...c, iss: `${String(c.iss)}/realms/beta` }), /iss/),
  claim('a wrong aud', (c) => ({ ...c, aud: 'someone-else' }), /aud/),
  claim('an aud list without this client', (c) => ({ ...c, aud: ['someone-else', 'another'] }), /aud/),
  claim('a wrong azp', (c) => ({ ...c, azp: 'someone-else' }), /azp/),
  claim('a wrong azp with this client among several audiences', (c) => ({ ...c, aud: [c.aud, 'api'], azp: 'api' }), /azp/),
  claim('several audiences and no azp', ({ azp: _a, ...c }) => ({ ...c, aud: [c.aud, 'api'] }), /aud/),
  claim('a wrong nonce', (c) => ({ ...c, nonce: 'not-the-nonce-sent' }), /nonce/, EXCHANGE),
  claim('no nonce', ({ nonce: _n, ...c }) => c, /nonce/, EXCHANGE),
  claim('an expired exp', (c, now) => ({ ...c, iat: now - 7200, exp: now - 3600 }), /exp/),
  claim('an exp just past the 30 s tolerance', (c, now) => ({ ...c, exp: now - 31 }), /exp/),
  claim('no exp', ({ exp: _e, ...c }) => c, /exp/),
  claim('an iat in the future', (c, now) => ({ ...c, iat: now + 600, exp: now + 4200 }), /iat/),
  claim('no iat', ({ iat: _i, ...c }) => c, /iat/),
  claim('no sub', ({ sub: _s, ...c }) => c, /sub/),
  claim('another sub than the signed-in user', (c) => ({ ...c, sub: 'mallory' }), /subject/, ['refresh']),
  {
    name: 'a tampered signature',
    make: ({ real }) => {
      const [h, b, s] = real.split('.') as [string, string, string]
      const i = Math.floor(s.length / 2)
      return `${h}.${b}.${s.slice(0, i)}${s[i] === 'A' ? 'B' : 'A'}${s.slice(i + 1)}`
    },
    reason: /signature/i,
    in: BOTH,
  },
  {
    name: 'a tampered payload under the original signature',
    make: ({ real, claims }) => {
      const [h, , s] = real.split('.') as [string, string, string]
      return `${h}.${b64({ ...claims, name: 'Mallory' })}.${s}`
    },
    reason: /signature/i,
    in: BOTH,
  },
  { name: 'alg none (unsigned)', make: ({ claims }) => `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims)}.`, reason: /alg/, in: BOTH },
  {
    name: 'HS256 keyed with the provider public key (algorithm confusion)',
    make: async ({ claims, provider }) => {
      const rsa = (await provider.jwks()).keys.find((k) => k.kty === 'RSA')!
      const pem = createPublicKey({ key: rsa as JsonWebKey, format: 'jwk' }).export({ type: 'spki', format: 'pem' })
      const input = `${b64({ alg: 'HS256', typ: 'JWT', kid: rsa.kid })}.${b64(claims)}`
      return `${input}.${createHmac('sha256', pem).update(input).digest('base64url')}`
    },
    reason: /alg/,
    in: BOTH,
  },
  { name: 'ES256 when the client expects RS256', make: ({ claims, provider }) => provider.signJwt(claims, { alg: 'ES256' }), reason: /alg/, in: BOTH },
  {
    name: 'a crit header extension nobody understands',
    make: ({ claims, provider }) => provider.signJwt(claims, { header: { crit: ['urn:example:must-understand'], 'urn:example:must-understand': true } }),
    reason: /crit/,
    in: BOTH,
  },
  {
    name: 'a jwk header carrying the key that signed it',
    make: async ({ claims }) => {
      const { privateKey, jwk } = await attacker()
      return new SignJWT(claims).setProtectedHeader({ alg: 'RS256', typ: 'JWT', jwk }).sign(privateKey)
    },
    reason: /key|signature/i,
    in: BOTH,
  },
  {
    name: 'a jku header pointing at the attacker key set',
    make: async ({ claims }) => {
      const { privateKey } = await attacker()
      return new SignJWT(claims).setProtectedHeader({ alg: 'RS256', typ: 'JWT', jku: 'https://evil.example.test/jwks.json', kid: 'evil' }).sign(privateKey)
    },
    reason: /key|signature/i,
    in: BOTH,
  },
  {
    name: 'an oversized token (2 MB of claims)',
    make: ({ claims }) => `${b64({ alg: 'RS256', typ: 'JWT' })}.${b64({ ...claims, padding: 'x'.repeat(2_000_000) })}.${'A'.repeat(342)}`,
    reason: /kid|key|signature/i,
    in: BOTH,
  },
  {
    name: 'the kid of a published key it was not signed with',
    make: async ({ claims, provider }) => {
      const rsa = (await provider.jwks()).keys.find((k) => k.kty === 'RSA')!
      const forged = await (await foreignProvider()).signJwt(claims)
      const [, b, s] = forged.split('.') as [string, string, string]
      return `${b64({ ...decodeJwt(forged).header, kid: rsa.kid })}.${b}.${s}`
    },
    reason: /signature/i,
    in: BOTH,
  },
  { name: "another provider's key (unknown kid)", make: async ({ claims }) => (await foreignProvider()).signJwt(claims), reason: /key/, in: BOTH },
]

/** The fault that plays `c` in the next token response. */
export function idTokenFault(c: IdTokenCase, nowSec: () => number): Fault {
  return replaceIdToken((claims, provider, real) => c.make({ claims, provider, real, nowSec: nowSec() }))
}

/**
 * How a client finds the sign-in a callback answers: `state` (AuthClient and the browser
 * client look it up in their transaction store) or `transaction` (node: the app hands over
 * the transaction it kept in its session). A forged `state` reads differently to each.
 */
export type CallbackApi = 'state' | 'transaction'

export interface CallbackCase {
  name: string
  /** Edits the real callback's parameters; `otherIssuer` is a real issuer that is not the client's. */
  edit(params: URLSearchParams, ctx: { otherIssuer: string }): void
  code: AuthErrorCode | Record<CallbackApi, AuthErrorCode>
}

/**
 * Callbacks that must be refused before the code is sent anywhere: the provider sees no
 * token request.
 */
export const CALLBACK_CASES: readonly CallbackCase[] = [
  { name: 'no state', edit: (q) => q.delete('state'), code: 'state_mismatch' },
  { name: 'a forged state', edit: (q) => q.set('state', 'forged-state'), code: { state: 'transaction_not_found', transaction: 'state_mismatch' } },
  { name: 'a repeated state', edit: (q) => q.append('state', 'second-value'), code: 'invalid_response' },
  { name: 'the same state twice', edit: (q) => q.append('state', q.get('state')!), code: 'invalid_response' },
  { name: 'no code', edit: (q) => q.delete('code'), code: 'invalid_response' },
  { name: 'a repeated code', edit: (q) => q.append('code', 'second-value'), code: 'invalid_response' },
  { name: 'no iss', edit: (q) => q.delete('iss'), code: 'iss_mismatch' },
  { name: 'a repeated iss', edit: (q) => q.append('iss', 'https://evil.example.test/oauth2'), code: 'invalid_response' },
  { name: 'a wrong iss', edit: (q) => q.set('iss', 'https://evil.example.test/oauth2'), code: 'iss_mismatch' },
  { name: 'the iss of another issuer of the same provider (mix-up)', edit: (q, { otherIssuer }) => q.set('iss', otherIssuer), code: 'iss_mismatch' },
  {
    name: 'an error response with a forged state',
    edit: (q) => {
      q.delete('code')
      q.set('error', 'access_denied')
      q.set('state', 'forged-state')
    },
    code: { state: 'transaction_not_found', transaction: 'state_mismatch' },
  },
  { name: 'an id_token injected into the callback', edit: (q) => q.set('id_token', 'eyJhbGciOiJub25lIn0.e30.'), code: 'invalid_response' },
]

export function callbackCode(c: CallbackCase, api: CallbackApi): AuthErrorCode {
  return typeof c.code === 'string' ? c.code : c.code[api]
}

export function editCallback(callback: string | URL, c: CallbackCase, otherIssuer: string): URL {
  const url = new URL(callback)
  c.edit(url.searchParams, { otherIssuer })
  return url
}

export interface ResponseCase {
  name: string
  fault: Fault
  code: AuthErrorCode
  retryable: boolean
  /**
   * The provider answered (and, in a refresh, rotated the refresh token) before the answer
   * was spoiled on the way: the refresh token the client keeps has been used.
   */
  reachesProvider?: boolean
}

const HTML = '<!doctype html><html><body><h1>Sign in to the Wi-Fi</h1></body></html>'

/** Token endpoint answers of the wrong type. */
export const RESPONSE_CASES: readonly ResponseCase[] = [
  { name: 'HTML with 200', fault: answer(HTML, 200, 'text/html'), code: 'invalid_response', retryable: false },
  { name: 'a JSON array', fault: answer('[]', 200), code: 'invalid_response', retryable: false },
  { name: 'a JSON string', fault: answer('"ok"', 200), code: 'invalid_response', retryable: false },
  { name: 'plain text with 200 (a proxy message)', fault: answer('upstream connect error or disconnect/reset before headers', 200, 'text/plain'), code: 'invalid_response', retryable: false },
  {
    name: 'the real token response with access_token an array',
    fault: editTokenResponse((b) => void (b.access_token = [b.access_token])),
    code: 'invalid_response',
    retryable: false,
    reachesProvider: true,
  },
]

/**
 * The demo realm with the fixed test keys, and a second realm `beta` with the same clients
 * and user: two real issuers one provider serves, for mix-up cases. `spaOrigins` adds
 * redirect URIs (and CORS origins) for the SPA client, as `demoConfig` does.
 */
export function hostileConfig(options: { spaOrigins?: string[] } = {}): ProviderConfig {
  const config = withTestKeys(demoConfig(options))
  const alpha = config.realms[0]!
  const beta = structuredClone(alpha) as RealmConfig
  beta.name = 'beta'
  config.realms.push(beta)
  return config
}

/**
 * A mix-up attack's relay: the authorization request a client made at one issuer (pushed or
 * in the URL, the attacker's server saw all of it: `state`, `nonce`, the PKCE challenge),
 * replayed at `issuer`'s authorize endpoint, as the attacker's authorization server would
 * send the user on. `transaction` is the client's own record of that request.
 */
export function relayTo(transaction: Pick<Transaction, 'state' | 'nonce' | 'codeVerifier' | 'redirectUri'>, issuer: string, clientId: string, scope: string): URL {
  const url = new URL(`${issuer}/authorize`)
  url.search = new URLSearchParams({
    client_id: clientId,
    redirect_uri: transaction.redirectUri,
    response_type: 'code',
    scope,
    state: transaction.state,
    nonce: transaction.nonce,
    code_challenge: createHash('sha256').update(transaction.codeVerifier).digest('base64url'),
    code_challenge_method: 'S256',
  }).toString()
  return url
}
