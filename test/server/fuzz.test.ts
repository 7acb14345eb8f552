/**
 * Property-based fuzzing of every endpoint with fast-check: random methods, content types,
 * repeated and oversized parameters, broken percent-encoding, invalid UTF-8, random
 * Authorization headers, random and validly signed JWTs in every token-bearing parameter,
 * DPoP proofs (validly signed, with any field wrong) and pushed authorization requests,
 * random realm paths and bodies around the size limit. In process through `provider.fetch`
 * and, for a smaller sample, over real HTTP through `listen()` on 127.0.0.1.
 *
 * For every request: no 5xx, an answer within {@link TIME_BOUND_MS}, JSON endpoints answer a
 * 4xx from the RFC's set with a JSON `{error}`, HTML pages answer 4xx as text/html and never
 * send the browser (by redirect or form) anywhere but the provider's own pages and URIs the
 * client registered, and a rejected request leaves the store as it was (counted per write).
 *
 * Deterministic: a fixed seed. A failure prints `seed` and `path`; replay it with
 * `FUZZ_SEED=<seed> npx vitest run test/server/fuzz.test.ts` (FUZZ_RUNS / FUZZ_HTTP_RUNS scale it).
 */
import { createHash, randomUUID } from 'node:crypto'
import { request as httpRequest } from 'node:http'
import fc from 'fast-check'
import { SignJWT, calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  DEMO,
  MemoryStore,
  createProvider,
  type ClientConfig,
  type Provider,
  type ProviderConfig,
  type RecordKind,
  type StoredPayload,
} from '@realmauth/server'
import { listen, type RunningProvider } from '@realmauth/server/node'

const SEED = Number(process.env.FUZZ_SEED ?? 20260101)
const RUNS = Number(process.env.FUZZ_RUNS ?? 300)
const HTTP_RUNS = Number(process.env.FUZZ_HTTP_RUNS ?? 50)
/** A request not answered within this is a hang: a failure, not a wait. */
const TIME_BOUND_MS = 2000
const LIMIT = 2048
const EPOCH_MS = Date.UTC(2026, 0, 1)
const EPOCH_S = EPOCH_MS / 1000
const ORIGIN = 'http://provider.local'
const FORM = 'application/x-www-form-urlencoded'
const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code'
const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'
const GRANT_TYPES = ['authorization_code', 'implicit', 'password', 'client_credentials', 'refresh_token', DEVICE_GRANT]
const RESPONSE_TYPES = ['code', 'token', 'id_token', 'code token', 'id_token token', 'code id_token', 'code id_token token']
const AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none']
const JSON_ERROR_STATUSES = [400, 401, 403, 404, 405, 413]

// ---------------------------------------------------------------------------------------
// The provider under test
// ---------------------------------------------------------------------------------------

const { d: _private, ...jwtPublicKey } = DEMO.jwt.privateJwk
const ALICE = { username: 'alice', password: 'alice-pw' }

const CLIENTS: ClientConfig[] = [
  {
    client_id: 'web',
    client_secret: 'web-secret',
    redirect_uris: ['https://app.example/cb'],
    post_logout_redirect_uris: ['https://app.example/bye'],
    grant_types: ['authorization_code', 'implicit', 'refresh_token'],
    response_types: RESPONSE_TYPES,
    scope: 'openid profile email',
    implied_consent: true,
  },
  {
    client_id: 'post',
    client_secret: 'post-secret',
    token_endpoint_auth_method: 'client_secret_post',
    grant_types: ['client_credentials', 'password', 'refresh_token'],
    scope: 'openid read',
  },
  { client_id: 'jwt', jwks: { keys: [jwtPublicKey] }, grant_types: ['client_credentials'], scope: 'read' },
  {
    client_id: 'spa',
    token_endpoint_auth_method: 'none',
    redirect_uris: ['http://127.0.0.1/cb'],
    post_logout_redirect_uris: ['http://127.0.0.1/bye'],
    grant_types: ['authorization_code', 'refresh_token'],
    scope: 'openid profile',
    allow_wildcard_ports: true,
  },
  { client_id: 'm2m', client_secret: 'm2m-secret', grant_types: ['client_credentials'], scope: 'read write am-introspect-all-tokens' },
  { client_id: 'dev', token_endpoint_auth_method: 'none', grant_types: [DEVICE_GRANT, 'refresh_token'], scope: 'openid profile' },
  {
    client_id: 'pw',
    client_secret: 'pw-secret',
    post_logout_redirect_uris: ['https://pw.example/bye'],
    grant_types: ['password', 'refresh_token'],
    scope: 'openid profile email',
  },
]

/** A rejected request may not write; these kinds of write are what the RFCs ask of some rejections. */
interface Write {
  op: 'upsert' | 'insert' | 'consume' | 'destroy' | 'revoke'
  kind: RecordKind
}

/** The MemoryStore, recording every write that changed something. */
class CountingStore extends MemoryStore {
  writes: Write[] = []
  override async upsert(kind: RecordKind, id: string, payload: StoredPayload, expiresAt: number): Promise<void> {
    this.writes.push({ op: 'upsert', kind })
    return super.upsert(kind, id, payload, expiresAt)
  }
  override async insert(kind: RecordKind, id: string, payload: StoredPayload, expiresAt: number): Promise<boolean> {
    const fresh = await super.insert(kind, id, payload, expiresAt)
    if (fresh) this.writes.push({ op: 'insert', kind })
    return fresh
  }
  override async consume<P extends StoredPayload>(kind: RecordKind, id: string) {
    const before = await super.consume<P>(kind, id)
    if (before && !before.consumed) this.writes.push({ op: 'consume', kind })
    return before
  }
  override async destroy(kind: RecordKind, id: string): Promise<void> {
    const size = this.size
    await super.destroy(kind, id)
    if (this.size !== size) this.writes.push({ op: 'destroy', kind })
  }
  override async revokeByGrantId(grantId: string): Promise<void> {
    const size = this.size
    await super.revokeByGrantId(grantId)
    if (this.size !== size) this.writes.push({ op: 'revoke', kind: 'Grant' })
  }
}

/** Where each client may be sent: config clients plus those the register fuzzing created. */
const REDIRECTS = new Map<string, { redirect: string[]; logout: string[]; wildcard: boolean }>(
  CLIENTS.map((c) => [
    c.client_id,
    { redirect: c.redirect_uris ?? [], logout: c.post_logout_redirect_uris ?? [], wildcard: c.allow_wildcard_ports ?? false },
  ]),
)

function fuzzConfig(store: MemoryStore): ProviderConfig {
  return {
    max_body_bytes: LIMIT,
    clock: () => EPOCH_MS,
    store,
    // Nothing here may reach the internet, not even a registered client's jwks_uri.
    fetch: async () => {
      throw new Error('network access is disabled in the fuzz test')
    },
    realms: [
      { name: 'fuzz', allow_implied_consent: true, issue_refresh_tokens_on_refresh: false, clients: CLIENTS, users: [ALICE] },
      // Nonces on: DPoP proofs sent here meet use_dpop_nonce as well.
      { name: 'fuzz/sub', allow_implied_consent: true, dpop_nonce: true, clients: [CLIENTS[0]!], users: [ALICE] },
      { name: '/', allow_implied_consent: true, clients: [CLIENTS[4]!] },
      { name: 'reg', allow_dynamic_registration: true },
    ],
  }
}

const sha = (s: string) => createHash('sha256').update(s).digest('base64url')
const jsonOf = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>

/**
 * Real codes, tokens and a session, so generated requests also reach the checks behind
 * "is this token known". Re-issued whenever a run used one up (revoked, exchanged, signed out).
 */
class Seeds {
  at = ''
  at2 = ''
  /** A DPoP-bound access token (the `pw` client's, bound to {@link DPOP_KEY}). */
  dat = ''
  /** A request_uri the `web` client pushed to par. */
  par = ''
  rt = ''
  idt = ''
  code = ''
  dc = ''
  uc = ''
  session = ''
  csrf = ''
  interaction = ''

  constructor(
    private readonly provider: Provider,
    private readonly store: MemoryStore,
  ) {}

  private iss = () => this.provider.issuer('fuzz', ORIGIN)

  private async post(endpoint: string, form: Record<string, string>, authorization?: string, dpop?: string): Promise<Record<string, string>> {
    const res = await this.provider.fetch(
      new Request(`${this.iss()}/${endpoint}`, {
        method: 'POST',
        headers: { 'content-type': FORM, ...(authorization && { authorization }), ...(dpop && { dpop }) },
        body: new URLSearchParams(form).toString(),
      }),
    )
    if (!res.ok) throw new Error(`seeding ${endpoint} failed: ${res.status} ${await res.text()}`)
    return (await res.json()) as Record<string, string>
  }

  private async live(kind: RecordKind, id: string): Promise<boolean> {
    const entry = await this.store.find(kind, id)
    return entry !== undefined && !entry.consumed
  }

  /** Access tokens are not stored: one is live until its jti is denied or its grant revoked (decisions/0068). */
  private async accessLive(token: string): Promise<boolean> {
    const { jti, authGrantId } = jsonOf(token) as { jti: string; authGrantId: string }
    return !(await this.store.find('RevokedAccessToken', jti)) && !(await this.store.find('Grant', authGrantId))
  }

  async ensure(): Promise<void> {
    if (!this.session || !(await this.live('Session', sha(this.session)))) {
      const res = await this.provider.fetch(
        new Request(`${ORIGIN}/json/realms/root/realms/fuzz/authenticate`, {
          method: 'POST',
          headers: { 'x-openam-username': ALICE.username, 'x-openam-password': ALICE.password },
        }),
      )
      this.session = ((await res.json()) as { tokenId: string }).tokenId
      this.csrf = (await this.store.find<{ csrf: string }>('Session', sha(this.session)))!.payload.csrf
    }
    if (!this.at || !(await this.accessLive(this.at)) || !(await this.live('RefreshToken', sha(this.rt)))) {
      const t = await this.post('access_token', { grant_type: 'password', ...ALICE, scope: 'openid profile' }, `Basic ${btoa('pw:pw-secret')}`)
      ;[this.at, this.rt, this.idt] = [t.access_token!, t.refresh_token!, t.id_token!]
    }
    if (!this.dat || !(await this.accessLive(this.dat))) {
      const dpop = await signProof({ typ: 'dpop+jwt', alg: 'ES256', jwk: '~~JWK~~' }, { jti: randomUUID(), htm: 'POST', htu: `${this.iss()}/access_token`, iat: EPOCH_S })
      this.dat = (await this.post('access_token', { grant_type: 'password', ...ALICE, scope: 'openid profile' }, `Basic ${btoa('pw:pw-secret')}`, dpop)).access_token!
    }
    if (!this.par || !(await this.live('PushedAuthorizationRequest', sha(this.par)))) {
      const pushed = { response_type: 'code', redirect_uri: 'https://app.example/cb', scope: 'openid', state: 'pushed' }
      this.par = (await this.post('par', pushed, `Basic ${btoa('web:web-secret')}`)).request_uri!
    }
    if (!this.at2 || !(await this.accessLive(this.at2))) {
      this.at2 = (await this.post('access_token', { grant_type: 'client_credentials' }, `Basic ${btoa('m2m:m2m-secret')}`)).access_token!
    }
    if (!this.dc || !(await this.live('DeviceCode', sha(this.dc)))) {
      const d = await this.post('device/code', { client_id: 'dev', scope: 'openid' })
      ;[this.dc, this.uc] = [d.device_code!, d.user_code!]
    }
    if (!this.interaction || !(await this.live('Interaction', this.interaction))) {
      const q = new URLSearchParams({ client_id: 'web', redirect_uri: 'https://app.example/cb', response_type: 'code', scope: 'openid', prompt: 'consent' })
      const res = await this.provider.fetch(new Request(`${this.iss()}/authorize?${q}`, { headers: { cookie: `iPlanetDirectoryPro=${this.session}` } }))
      const id = /name="interaction" value="([^"]+)"/.exec(await res.text())?.[1]
      if (!id) throw new Error(`seeding a consent interaction failed: ${res.status}`)
      this.interaction = id
    }
    if (!this.code || !(await this.live('AuthorizationCode', sha(this.code)))) {
      const q = new URLSearchParams({ client_id: 'web', redirect_uri: 'https://app.example/cb', response_type: 'code', scope: 'openid' })
      const res = await this.provider.fetch(
        new Request(`${this.iss()}/authorize?${q}`, { headers: { cookie: `iPlanetDirectoryPro=${this.session}` }, redirect: 'manual' }),
      )
      const code = new URL(res.headers.get('location') ?? 'x:/').searchParams.get('code')
      if (!code) throw new Error(`seeding a code failed: ${res.status}`)
      this.code = code
    }
  }
}

// ---------------------------------------------------------------------------------------
// Generators
// ---------------------------------------------------------------------------------------

/** `arb` one time in `n`, else null (null first, so failures shrink towards leaving it out). */
const sometimes = <T,>(arb: fc.Arbitrary<T>, n: number): fc.Arbitrary<T | null> =>
  fc.oneof({ weight: n - 1, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: arb })

const b64url = (s: string | Uint8Array) => Buffer.from(s).toString('base64url')

/** Characters a header value may carry (RFC 9110 field-vchar, obs-text, SP, HTAB). */
const headerUnit = fc
  .oneof(
    { weight: 12, arbitrary: fc.integer({ min: 0x20, max: 0x7e }) },
    { weight: 1, arbitrary: fc.integer({ min: 0x80, max: 0xff }) },
    { weight: 1, arbitrary: fc.constant(9) },
  )
  .map((c) => String.fromCharCode(c))
const headerText = (maxLength = 40) => fc.string({ unit: headerUnit, maxLength })

const text = fc.oneof(
  { weight: 5, arbitrary: fc.string({ maxLength: 24 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 8 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 8 }) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      '', ' ', '__proto__', 'constructor', 'toString', 'null', '0', '-1', '1e309', 'NaN', '\u0000', '\u202e',
      '../../etc/passwd', '<script>alert(1)</script>', `"'><`, '%', '+', '&', '=', 'a'.repeat(300),
    ),
  },
  { weight: 1, arbitrary: fc.integer({ min: 100, max: LIMIT * 2 }).map((n) => 'x'.repeat(n)) },
)

/** JSON for JWT headers and payloads: the claims that matter, of any type, or any JSON at all. */
const anyJson = fc.jsonValue({ maxDepth: 2 })
const claim = <T,>(likely: fc.Arbitrary<T>) =>
  fc.oneof({ weight: 4, arbitrary: likely as fc.Arbitrary<unknown> }, { weight: 1, arbitrary: anyJson as fc.Arbitrary<unknown> })
const epochish = fc.oneof(
  fc.constantFrom(EPOCH_S + 600, EPOCH_S - 600, EPOCH_S, 0, -1, 1e20, 2 ** 53),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
)

function jwtArb(kids: string[]): fc.Arbitrary<string> {
  const header = fc.oneof(
    {
      weight: 5,
      arbitrary: fc.record(
        {
          alg: claim(fc.constantFrom('none', 'None', 'HS256', 'RS256', 'ES256', 'PS256', 'EdDSA', 'RS512', '')),
          typ: claim(fc.constantFrom('JWT', 'at+jwt', 'JWS', 'application/jwt')),
          kid: claim(fc.constantFrom(...kids, 'demo-jwt-1', '../../x', '')),
          crit: claim(fc.constant(['exp'])),
          jku: claim(fc.constant('https://keys.example/jwks')),
        },
        { requiredKeys: [] },
      ),
    },
    { weight: 1, arbitrary: anyJson },
  )
  const payload = fc.oneof(
    {
      weight: 5,
      arbitrary: fc.record(
        {
          iss: claim(fc.constantFrom(`${ORIGIN}/oauth2/realms/root/realms/fuzz`, 'jwt', 'web')),
          sub: claim(fc.constantFrom('alice', 'jwt', 'web', 'pw')),
          aud: claim(fc.constantFrom('web', 'pw', 'spa', `${ORIGIN}/oauth2/realms/root/realms/fuzz`)),
          exp: epochish,
          iat: epochish,
          nbf: epochish,
          jti: claim(fc.string({ maxLength: 22 })),
          realm: claim(fc.constantFrom('/fuzz', '/', '/fuzz/sub', '/nope')),
          client_id: claim(fc.constantFrom('web', 'pw', 'm2m')),
          scope: claim(fc.constantFrom('openid', 'read write', 'openid profile')),
          tokenName: claim(fc.constantFrom('access_token', 'id_token')),
        },
        { requiredKeys: [] },
      ),
    },
    { weight: 1, arbitrary: anyJson },
  )
  const segment = (json: fc.Arbitrary<unknown>) =>
    fc.oneof(
      { weight: 6, arbitrary: json.map((j) => b64url(JSON.stringify(j))) },
      { weight: 1, arbitrary: fc.stringMatching(/^[A-Za-z0-9_-]{0,40}$/) },
      { weight: 1, arbitrary: fc.constantFrom('', '=', 'e30', 'e30=', 'bnVsbA', 'W10', 'IiI', '!!', 'e30.e30', '%2E') },
    )
  const signature = fc.oneof(
    fc.constant(''),
    fc.uint8Array({ maxLength: 300 }).map(b64url),
    fc.constantFrom('AA', '=', 'sig', '*'.repeat(86)),
    fc.stringMatching(/^[A-Za-z0-9_-]{0,400}$/),
  )
  return fc.oneof(
    { weight: 8, arbitrary: fc.tuple(segment(header), segment(payload), signature).map((p) => p.join('.')) },
    { weight: 2, arbitrary: fc.array(segment(anyJson), { minLength: 1, maxLength: 6 }).map((p) => p.join('.')) },
  )
}

/** The key of every DPoP proof the fuzzing signs; the `dat` seed is bound to it. */
const dpopKey = (async () => {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true })
  const publicJwk = await exportJWK(publicKey)
  return { privateKey, publicJwk, privateJwk: await exportJWK(privateKey), jkt: await calculateJwkThumbprint(publicJwk) }
})()

/**
 * A DPoP proof signed with {@link dpopKey}; `~~JWK~~` and `~~PRIVATE_JWK~~` as the header's
 * `jwk` stand for its public and private JWK. A header jose will not sign with (alg none,
 * HS256, another key type) goes out with a made-up signature.
 */
async function signProof(header: Record<string, unknown>, claims: Record<string, unknown>): Promise<string> {
  const key = await dpopKey
  const jwk = header.jwk === '~~JWK~~' ? key.publicJwk : header.jwk === '~~PRIVATE_JWK~~' ? key.privateJwk : header.jwk
  const full = { ...header, jwk }
  try {
    return await new SignJWT(claims).setProtectedHeader(full as unknown as { alg: string }).sign(key.privateKey)
  } catch {
    return `${b64url(JSON.stringify(full))}.${b64url(JSON.stringify(claims))}.c2ln`
  }
}

/** Mostly `likely` (so that whole proofs are often right), else another value or the field left out (undefined disappears in JSON). */
const field3 = <T,>(likely: fc.Arbitrary<T>, other: fc.Arbitrary<unknown>) =>
  fc.oneof(
    { weight: 24, arbitrary: likely as fc.Arbitrary<unknown> },
    { weight: 1, arbitrary: other },
    { weight: 1, arbitrary: fc.constant(undefined) },
  )

/** A DPoP proof: right for the request (`~~METHOD~~`, `~~URL~~`, `~~ATH~~`) unless a field is drawn otherwise. */
const dpopProofArb = fc.record({
  header: fc.record({
    typ: field3(fc.constant('dpop+jwt'), claim(fc.constantFrom('JWT', 'at+jwt', 'DPOP+JWT', 'application/dpop+jwt'))),
    alg: field3(fc.constant('ES256'), claim(fc.constantFrom('none', 'HS256', 'RS256', 'EdDSA', 'ES384', ''))),
    jwk: field3(fc.constant('~~JWK~~'), fc.oneof(fc.constantFrom<unknown>('~~PRIVATE_JWK~~', { kty: 'oct', k: 'c2VjcmV0' }, { kty: 'EC', crv: 'P-256' }), anyJson)),
  }),
  claims: fc.record({
    jti: field3(fc.uuid(), claim(fc.constantFrom('fixed-jti', ''))),
    htm: field3(fc.constant('~~METHOD~~'), claim(fc.constantFrom('GET', 'POST', 'post', 'DELETE'))),
    htu: field3(
      fc.constant('~~URL~~'),
      claim(fc.constantFrom('~~ISS~~/access_token', '~~ISS~~/userinfo', '~~ISS~~/par', '~~URL~~?q=1#f', 'https://elsewhere.example/x', 'not a url')),
    ),
    iat: field3(fc.constant(EPOCH_S), epochish),
    ath: field3(fc.constant('~~ATH~~'), claim(fc.string({ maxLength: 43 }))),
    nonce: fc.oneof({ weight: 4, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: claim(fc.string({ maxLength: 30 })) }),
  }),
})

/**
 * `~~NAME~~` stands for a live seed (a real token, code, session) and is replaced when the
 * request is sent; tilde and letters survive every encoding the generators apply.
 */
const SEED_TOKENS = ['~~AT~~', '~~AT2~~', '~~DAT~~', '~~RT~~', '~~IDT~~', '~~CODE~~', '~~DC~~']

function values(kids: string[]): Record<string, fc.Arbitrary<string>> {
  const jwt = jwtArb(kids)
  const tokenish = fc.oneof(
    { weight: 3, arbitrary: jwt },
    { weight: 2, arbitrary: fc.constantFrom(...SEED_TOKENS) },
    { weight: 1, arbitrary: fc.stringMatching(/^[A-Za-z0-9_-]{43}$/) },
    { weight: 1, arbitrary: text },
  )
  const pick = (...v: string[]) => fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...v) }, { weight: 1, arbitrary: text })
  const redirects = [
    'https://app.example/cb', 'http://127.0.0.1/cb', 'http://127.0.0.1:8080/cb', 'http://localhost:8080/cb',
    'https://evil.example/cb', 'https://app.example/cb/../x', 'https://app.example/cb#x', 'https://app.example/cb?x=1',
    'javascript:alert(1)', '//evil.example/cb', 'https://app.example.evil.example/cb', 'http://127.0.0.1:99999/cb',
    'http://user@127.0.0.1/cb', 'HTTPS://APP.EXAMPLE/cb', 'https://app.example/CB', 'http://127.0.0.1:1/cb?x',
  ]
  return {
    grant_type: pick(...GRANT_TYPES, 'urn:ietf:params:oauth:grant-type:jwt-bearer', 'token-exchange', 'CLIENT_CREDENTIALS'),
    client_id: pick('web', 'post', 'jwt', 'spa', 'm2m', 'dev', 'pw', 'nope', 'WEB'),
    client_secret: pick('web-secret', 'post-secret', 'm2m-secret', 'pw-secret', 'wrong'),
    scope: pick('openid', 'openid profile', 'read', 'read write', 'profile email', 'am-introspect-all-tokens', 'evil', 'openid  profile', 'openid\tprofile'),
    redirect_uri: pick(...redirects),
    post_logout_redirect_uri: pick('https://app.example/bye', 'http://127.0.0.1/bye', 'https://pw.example/bye', ...redirects),
    response_type: pick(...RESPONSE_TYPES, 'none', 'code code', 'token code', 'CODE', 'device_code'),
    response_mode: pick('query', 'fragment', 'form_post', 'jwt', 'web_message'),
    prompt: pick('none', 'login', 'consent', 'select_account', 'none login', 'create'),
    max_age: pick('0', '1', '-1', '1e3', '99999999999', '3600', '0x10'),
    code_challenge: fc.oneof(fc.stringMatching(/^[A-Za-z0-9_-]{43}$/), text),
    code_challenge_method: pick('S256', 'plain', 's256'),
    code_verifier: fc.oneof(fc.stringMatching(/^[A-Za-z0-9._~-]{43,128}$/), text),
    code: fc.oneof(fc.constant('~~CODE~~'), tokenish),
    refresh_token: fc.oneof(fc.constant('~~RT~~'), tokenish),
    token: tokenish,
    access_token: tokenish,
    id_token_hint: fc.oneof(fc.constant('~~IDT~~'), tokenish),
    device_code: fc.oneof(fc.constant('~~DC~~'), tokenish),
    user_code: pick('~~UC~~', 'BCDF-GHJK', 'bcdf ghjk', ''),
    csrf: pick('~~CSRF~~'),
    decision: pick('allow', 'deny', 'ALLOW'),
    save_consent: pick('on', 'off'),
    interaction: fc.oneof(fc.constant('~~INTERACTION~~'), fc.stringMatching(/^[A-Za-z0-9_-]{22}$/), text),
    username: pick('alice', 'ALICE', 'bob'),
    password: pick('alice-pw', 'wrong'),
    client_assertion_type: pick(JWT_BEARER, 'urn:ietf:params:oauth:client-assertion-type:saml2-bearer'),
    client_assertion: fc.oneof({ weight: 2, arbitrary: fc.constant('~~ASSERTION~~') }, { weight: 3, arbitrary: jwt }, { weight: 1, arbitrary: text }),
    token_type_hint: pick('access_token', 'refresh_token', 'id_token', 'device_code'),
    goto: pick('~~ISS~~/authorize?client_id=web', 'https://evil.example/oauth2/x', '//evil.example/oauth2/', 'javascript:alert(1)', '~~ORIGIN~~/oauth2/../evil', '/oauth2/authorize'),
    realm: pick('/fuzz', 'fuzz', '/root/fuzz', '/fuzz/sub', '/', '/nope'),
    request: jwt,
    request_uri: fc.oneof(
      { weight: 2, arbitrary: fc.constant('~~PAR~~') },
      { weight: 1, arbitrary: pick('urn:ietf:params:oauth:request_uri:x', 'https://evil.example/req', '~~PAR~~x') },
    ),
    dpop_jkt: pick('~~JKT~~', 'short', 'A'.repeat(43)),
    nonce: text,
    state: text,
    login_hint: text,
    resource: pick('https://api.example', 'urn:x', ''),
  }
}

const BROKEN = ['%', '%Z', '%zz', '%2', '%E0%A4', '%FF', '%C0%AF', '%ED%A0%80', '%80', '%F8%88%80%80%80', '%%', '%u0041', '%00', '%0A', '%2B', '+', '&', '=', ';']

/** encodeURIComponent, with lone surrogates (which it refuses) made well-formed first. */
const pct = (s: string) => encodeURIComponent(s.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD'))

type Enc = 'url' | 'form' | 'raw' | 'broken' | 'bare'
const encArb: fc.Arbitrary<Enc> = fc.oneof(
  { weight: 14, arbitrary: fc.constant<Enc>('url') },
  { weight: 2, arbitrary: fc.constant<Enc>('form') },
  { weight: 1, arbitrary: fc.constantFrom<Enc>('raw', 'broken', 'bare') },
)

/** One `name=value` piece: properly encoded, form-encoded, raw, bare, or with a broken escape spliced in. */
function encodePiece(name: string, value: string, enc: Enc, broken: string, at: number): string {
  switch (enc) {
    case 'form':
      return `${pct(name).replace(/%20/g, '+')}=${pct(value).replace(/%20/g, '+')}`
    case 'raw':
      return `${name}=${value}`
    case 'broken': {
      const e = pct(value)
      const i = at % (e.length + 1)
      return `${pct(name)}=${e.slice(0, i)}${broken}${e.slice(i)}`
    }
    case 'bare':
      return pct(name)
    default:
      return `${pct(name)}=${pct(value)}`
  }
}

const valueOf = (vals: Record<string, fc.Arbitrary<string>>, name: string) => (Object.hasOwn(vals, name) ? vals[name]! : text)

function pieceArb(names: string[], vals: Record<string, fc.Arbitrary<string>>): fc.Arbitrary<string> {
  const name = fc.oneof(
    { weight: 10, arbitrary: fc.constantFrom(...names) },
    { weight: 1, arbitrary: fc.string({ maxLength: 10 }) },
    { weight: 1, arbitrary: fc.constantFrom('__proto__', 'constructor', 'hasOwnProperty', '', 'realm', 'grant_type', 'client_id', 'scope[]') },
  )
  return fc
    .tuple(name.chain((n) => fc.tuple(fc.constant(n), valueOf(vals, n))), encArb, fc.constantFrom(...BROKEN), fc.nat())
    .map(([[n, v], enc, broken, at]) => encodePiece(n, v, enc, broken, at))
}

/**
 * A parameter string from a template (a request that would succeed): each parameter kept,
 * dropped, given another value or encoded differently, plus random and repeated ones.
 */
function paramsArb(template: [string, string][], names: string[], vals: Record<string, fc.Arbitrary<string>>): fc.Arbitrary<string> {
  const kept = template.map(([n, v]) =>
    fc
      .tuple(
        fc.oneof({ weight: 10, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
        fc.oneof({ weight: 6, arbitrary: fc.constant(v) }, { weight: 1, arbitrary: valueOf(vals, n) }),
        encArb,
        fc.constantFrom(...BROKEN),
        fc.nat(),
      )
      .map(([keep, value, enc, broken, at]) => (keep ? encodePiece(n, value, enc, broken, at) : null)),
  )
  return fc
    .tuple(
      fc.tuple(...kept),
      template.length === 0
        ? fc.array(pieceArb(names, vals), { maxLength: 8 })
        : fc.oneof({ weight: 3, arbitrary: fc.constant([]) }, { weight: 1, arbitrary: fc.array(pieceArb(names, vals), { minLength: 1, maxLength: 3 }) }),
      fc.nat(),
      sometimes(fc.nat(), 8),
      fc.oneof({ weight: 12, arbitrary: fc.constant('&') }, { weight: 1, arbitrary: fc.constantFrom('&&', ';') }),
      fc.oneof({ weight: 12, arbitrary: fc.constant('') }, { weight: 1, arbitrary: fc.constantFrom('&', '?') }),
    )
    .map(([fixed, extra, at, dup, sep, lead]) => {
      const pieces = fixed.filter((p): p is string => p !== null)
      const i = at % (pieces.length + 1)
      const all = [...pieces.slice(0, i), ...extra, ...pieces.slice(i)]
      if (dup !== null && all.length > 0) all.push(all[dup % all.length]!)
      return lead + all.join(sep)
    })
}

type Body =
  | { kind: 'none' }
  | { kind: 'text'; text: string; invalidUtf8: { at: number; bytes: number[] } | null; padTo: number | null }
  | { kind: 'bytes'; bytes: Uint8Array }

type BodyShape = { shape: 'params' } | { shape: 'text'; text: string } | { shape: 'bytes'; bytes: Uint8Array } | { shape: 'none' }

const INVALID_UTF8 = [[0xff], [0xfe, 0xff], [0xc3, 0x28], [0xe2, 0x82], [0xed, 0xa0, 0x80], [0xc0, 0xaf], [0xf8, 0x88, 0x80, 0x80, 0x80], [0x80]]
const sizes = fc.constantFrom(LIMIT - 1, LIMIT, LIMIT + 1, LIMIT + 100, LIMIT * 4)

function bodyShapeArb(json: fc.Arbitrary<string>, jsonFirst: boolean): fc.Arbitrary<BodyShape> {
  const multipart = fc
    .array(fc.tuple(fc.string({ maxLength: 12 }), text), { maxLength: 3 })
    .map((parts) => parts.map(([n, v]) => `--XyZ\r\ncontent-disposition: form-data; name="${n}"\r\n\r\n${v}\r\n`).join('') + '--XyZ--\r\n')
  return fc.oneof(
    { weight: jsonFirst ? 2 : 24, arbitrary: fc.constant({ shape: 'params' as const }) },
    { weight: jsonFirst ? 24 : 2, arbitrary: json.map((t) => ({ shape: 'text' as const, text: t })) },
    { weight: 1, arbitrary: multipart.map((t) => ({ shape: 'text' as const, text: t })) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 300 }).map((bytes) => ({ shape: 'bytes' as const, bytes })) },
    { weight: 1, arbitrary: fc.constant({ shape: 'none' as const }) },
  )
}

const contentTypeArb = (likely: string) =>
  fc.oneof(
    { weight: 30, arbitrary: fc.constant(likely) },
    {
      weight: 3,
      arbitrary: fc.constantFrom(
        `${FORM}; charset=UTF-8`, FORM.toUpperCase(), `${FORM};charset=ISO-8859-1`, 'application/json', 'application/json; charset=utf-8',
        'text/plain', 'multipart/form-data; boundary=XyZ', 'application/jwt', `${FORM}-not`, `application/json; x=${FORM}`, ' ', ';',
      ),
    },
    { weight: 1, arbitrary: fc.constant(undefined) },
    { weight: 1, arbitrary: headerText(30) },
  )

function authorizationArb(kids: string[]): fc.Arbitrary<string> {
  const basicOf = (s: string | Uint8Array) => `Basic ${Buffer.from(s).toString('base64')}`
  const formEnc = (s: string) => pct(s).replace(/%20/g, '+')
  const ids = fc.oneof(fc.constantFrom('web', 'post', 'jwt', 'spa', 'm2m', 'dev', 'pw', 'nope'), text)
  const secrets = fc.oneof(fc.constantFrom('web-secret', 'post-secret', 'm2m-secret', 'pw-secret', 'wrong', ''), text)
  const bearer = fc.oneof(fc.constantFrom(...SEED_TOKENS), jwtArb(kids), headerText(60))
  return fc.oneof(
    { weight: 4, arbitrary: fc.tuple(ids, secrets).map(([i, s]) => basicOf(`${formEnc(i)}:${formEnc(s)}`)) },
    { weight: 2, arbitrary: fc.tuple(ids, secrets).map(([i, s]) => basicOf(`${i}:${s}`)) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 40 }).map(basicOf) },
    { weight: 1, arbitrary: headerText(40).map((s) => `Basic ${s}`) },
    { weight: 1, arbitrary: fc.constantFrom('Basic', 'Basic ', 'basic Og==', 'Basic ===', 'Basic Og', 'BASIC d2ViOndlYi1zZWNyZXQ=', 'Basic d2ViOndlYi1zZWNyZXQ=,Basic x') },
    { weight: 3, arbitrary: bearer.map((t) => `Bearer ${t}`) },
    { weight: 2, arbitrary: fc.tuple(fc.constantFrom('DPoP ', 'dpop ', 'DPoP  '), fc.oneof(fc.constant('~~DAT~~'), bearer)).map(([s, t]) => `${s}${t}`) },
    { weight: 1, arbitrary: fc.tuple(fc.constantFrom('bearer ', 'BEARER ', 'Bearer  ', 'Bearer\t', 'Bearer'), bearer).map(([s, t]) => `${s}${t}`) },
    { weight: 1, arbitrary: fc.tuple(fc.constantFrom('Digest', 'DPoP', 'Negotiate', 'Token', 'OAuth', 'Basic2'), headerText(30)).map(([s, v]) => `${s} ${v}`) },
    { weight: 1, arbitrary: headerText(50) },
  )
}

const RESERVED_HEADERS = new Set(['content-length', 'transfer-encoding', 'host', 'connection', 'expect', 'upgrade', 'te', 'keep-alive', 'trailer', 'proxy-connection', 'http2-settings', 'content-type'])

/** The template's headers (each kept, dropped or garbled), random Authorization, cookies, Origin and others. */
function headersArb(kids: string[], template: [string, string][]): fc.Arbitrary<[string, string][]> {
  const auth = authorizationArb(kids)
  const fixed = template.map(([k, v]) =>
    fc
      .tuple(
        fc.oneof({ weight: 10, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
        fc.oneof({ weight: 8, arbitrary: fc.constant(v) }, { weight: 1, arbitrary: k === 'authorization' ? auth : headerText(30) }),
      )
      .map(([keep, value]) => (keep ? ([k, value] as [string, string]) : null)),
  )
  const cookie = fc.oneof(
    { weight: 6, arbitrary: fc.constant('iPlanetDirectoryPro=~~SESSION~~') },
    { weight: 1, arbitrary: headerText(40).map((v) => `iPlanetDirectoryPro=${v}`) },
    { weight: 1, arbitrary: headerText(60) },
    { weight: 1, arbitrary: fc.constant('iPlanetDirectoryPro=~~SESSION~~; iPlanetDirectoryPro=x') },
  )
  const origin = fc.oneof(fc.constantFrom('https://app.example', 'http://127.0.0.1:5173', 'https://evil.example', 'null', 'http://[::1', ''), headerText(20))
  const name = fc.oneof(
    fc.constantFrom('accept', 'x-forwarded-for', 'x-forwarded-host', 'dpop', 'content-encoding', 'accept-api-version', 'cookie', 'authorization', 'origin', 'x-openam-username', 'x-openam-password'),
    fc.stringMatching(/^[a-z][a-z0-9-]{0,15}$/).filter((n) => !RESERVED_HEADERS.has(n)),
  )
  const hasAuth = template.some(([k]) => k === 'authorization')
  return fc
    .record({
      fixed: fc.tuple(...fixed),
      authorization: sometimes(auth, hasAuth ? 8 : 5),
      cookie: sometimes(cookie, 2),
      origin: sometimes(origin, 4),
      extra: fc.array(fc.tuple(name, fc.oneof(headerText(40), fc.constantFrom('alice', 'alice-pw', 'gzip'))), { maxLength: 2 }),
    })
    .map(({ fixed, authorization, cookie, origin, extra }) => {
      const out = fixed.filter((h): h is [string, string] => h !== null)
      if (authorization !== null) out.push(['authorization', authorization])
      if (cookie !== null) out.push(['cookie', cookie])
      if (origin !== null) out.push(['origin', origin])
      return [...out, ...extra]
    })
}

type Mode = 'fetch' | 'http'

/** Mostly the group's own methods; TRACE only over HTTP (a fetch Request cannot carry it). */
const methodArb = (primary: string[], mode: Mode) =>
  fc.oneof(
    { weight: 28, arbitrary: fc.constantFrom(...primary) },
    { weight: 4, arbitrary: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD') },
    { weight: 1, arbitrary: fc.constantFrom('PROPFIND', 'QUERY', 'M-SEARCH', ...(mode === 'http' ? ['TRACE'] : [])) },
  )

const segmentArb = fc.string({
  unit: fc.oneof(
    { weight: 8, arbitrary: fc.constantFrom(...'abcxyzXYZ019-._~!$&\'()*+,;=:@'.split('')) },
    { weight: 1, arbitrary: fc.constantFrom('%2F', '%00', '%FF', '..', '%2e', '%', '%zz', 'é', '\u00ff', ' ') },
  ),
  minLength: 1,
  maxLength: 12,
})

/** Where a realm's endpoints live: every form AM answers to, and broken ones. */
function prefixArb(realms: string[]): fc.Arbitrary<string> {
  return fc.oneof(
    {
      weight: 30,
      arbitrary: fc
        .tuple(fc.constantFrom(...realms), fc.constantFrom('long', 'long', 'short'))
        .map(([r, form]) => {
          const names = r.split('/').filter(Boolean)
          if (names.length === 0) return '/oauth2'
          return form === 'long' ? `/oauth2/realms/root${names.map((n) => `/realms/${n}`).join('')}` : `/oauth2/${names.join('/')}`
        }),
    },
    { weight: 2, arbitrary: segmentArb.map((s) => `/oauth2/realms/root/realms/${s}`) },
    { weight: 1, arbitrary: segmentArb.map((s) => `/oauth2/${s}`) },
    {
      weight: 2,
      arbitrary: fc.constantFrom(
        '/oauth2/realms', '/oauth2/realms/root', '/oauth2/realms/root/realms', '/oauth2/realms/root/realms/', '/oauth2/realms/x/realms/fuzz',
        '/oauth2/realms/root/realms/fuzz/realms', '//oauth2/realms/root/realms/fuzz', '/oauth2/realms/root/realms/%66uzz',
        '/oauth2/realms/root/realms/fuzz%2Fsub', '/oauth2/./realms/root/realms/fuzz', '/am/oauth2/realms/root/realms/fuzz',
        '/oauth2/realms/root/realms/FUZZ', '/oauth2/realms/root/realms/fuzz/../reg', '/oauth2/realms/root/realms/fuzz//',
        '/oauth2/realms/root/realms/__proto__', '/oauth2/constructor', '',
      ),
    },
  )
}

const realmQueryArb = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom('/fuzz', 'fuzz', '/root/fuzz', '/fuzz/', '/fuzz/sub') },
  { weight: 2, arbitrary: fc.constantFrom('/', '', '%FF', '/nope', '/root', 'root/fuzz//sub', '/__proto__', '/reg') },
  { weight: 1, arbitrary: segmentArb },
)

/** A request that would succeed (given live seeds), for the generators to take apart. */
interface Template {
  params: [string, string][]
  headers?: [string, string][]
}

interface Group {
  name: string
  endpoints: string[]
  names: string[]
  primary: string[]
  templates: Template[]
  realms?: string[]
  contentType?: string
  json?: fc.Arbitrary<string>
  /** Whole paths instead of prefix + endpoint (sign-in pages). */
  paths?: fc.Arbitrary<string>
}

const CLIENT_AUTH = ['client_id', 'client_secret', 'client_assertion', 'client_assertion_type']
const BASIC = (id: string) => ['authorization', `Basic ${btoa(`${id}:${id}-secret`)}`] as [string, string]
const ASSERT: [string, string][] = [['client_assertion_type', JWT_BEARER], ['client_assertion', '~~ASSERTION~~']]
/** A DPoP header: a proof signed with {@link DPOP_KEY} from the spec's `dpop`, for the request as sent unless generated otherwise. */
const DPOP: [string, string] = ['dpop', '~~DPOP~~']

const uriArb = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom('https://rp.example/cb', 'http://127.0.0.1/cb', 'com.example.app:/cb') },
  fc.constantFrom('https://rp.example/cb', 'http://127.0.0.1/cb', 'javascript:alert(1)', 'data:text/html,x', 'https://rp.example/cb#f', 'not a uri', '', 'HTTPS://RP.EXAMPLE/cb', 'custom.scheme:/cb', 'http://[::1'),
  fc.webUrl(),
)
const lifetime = fc.oneof(fc.integer({ min: -2, max: 100_000 }), fc.integer(), fc.double(), fc.constantFrom(-1, 0, 1e308, 2 ** 53, '3600', null))
/** A field of registration metadata: absent, a plausible value, or any JSON at all. */
const field = (plausible: fc.Arbitrary<unknown>) =>
  fc.oneof({ weight: 28, arbitrary: fc.constant(undefined) }, { weight: 8, arbitrary: plausible }, { weight: 1, arbitrary: anyJson as fc.Arbitrary<unknown> })
const metadataArb = fc
  .record({
    redirect_uris: fc.oneof({ weight: 6, arbitrary: fc.array(uriArb, { minLength: 1, maxLength: 3 }) }, { weight: 1, arbitrary: anyJson }),
    post_logout_redirect_uris: field(fc.array(uriArb, { maxLength: 2 })),
    grant_types: field(fc.subarray(GRANT_TYPES)),
    response_types: field(fc.subarray(RESPONSE_TYPES)),
    token_endpoint_auth_method: field(fc.constantFrom(...AUTH_METHODS, 'tls_client_auth')),
    client_secret: field(fc.string()),
    client_id: field(fc.constantFrom('web', 'm2m', '__proto__')),
    scope: field(fc.constantFrom('openid', 'am-introspect-all-tokens', 'openid profile', '')),
    default_scopes: field(fc.array(fc.constantFrom('openid', 'profile', 'x'), { maxLength: 2 })),
    client_name: field(fc.string()),
    jwks: field(fc.oneof(fc.constant({ keys: [jwtPublicKey] }), fc.record({ keys: fc.array(anyJson, { maxLength: 2 }) }))),
    jwks_uri: field(fc.constantFrom('https://keys.example/jwks', 'http://127.0.0.1:1/jwks', 'file:///etc/passwd', 'not a url')),
    public_key_pem: field(fc.constantFrom('-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----', 'x')),
    implied_consent: field(fc.boolean()),
    access_token_lifetime: field(lifetime),
    refresh_token_lifetime: field(lifetime),
    authorization_code_lifetime: field(lifetime),
    id_token_lifetime: field(lifetime),
    id_token_signed_response_alg: field(fc.constantFrom('RS256', 'ES256', 'none', 'HS256')),
    allow_wildcard_ports: field(fc.boolean()),
    subject_type: field(fc.constantFrom('public', 'pairwise', 'x')),
    default_max_age: field(lifetime),
    require_pkce: field(fc.boolean()),
    policy_uri: field(uriArb),
    description: field(fc.string()),
  })
  .map((m) => Object.fromEntries(Object.entries(m).filter(([, v]) => v !== undefined)))
const registerJson = fc.oneof(
  { weight: 6, arbitrary: metadataArb.map((m) => JSON.stringify(m)) },
  { weight: 1, arbitrary: fc.jsonValue().map((j) => JSON.stringify(j)) },
  { weight: 1, arbitrary: fc.constantFrom('{"__proto__":{"client_secret":"x"}}', '[]', 'null', '{', '{"redirect_uris":["https://x.example/cb"]}', '['.repeat(1500), '"\\ud800"') },
)

const CHALLENGE = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM'

const GROUPS: Group[] = [
  {
    name: 'access_token',
    endpoints: ['access_token'],
    names: ['grant_type', 'code', 'redirect_uri', 'code_verifier', 'refresh_token', 'scope', 'username', 'password', 'device_code', 'resource', ...CLIENT_AUTH],
    primary: ['POST'],
    templates: [
      { params: [['grant_type', 'client_credentials'], ['scope', 'read']], headers: [BASIC('m2m')] },
      { params: [['grant_type', 'client_credentials'], ['client_id', 'post'], ['client_secret', 'post-secret']] },
      { params: [['grant_type', 'client_credentials'], ...ASSERT] },
      { params: [['grant_type', 'password'], ['username', 'alice'], ['password', 'alice-pw'], ['scope', 'openid profile']], headers: [BASIC('pw')] },
      { params: [['grant_type', 'refresh_token'], ['refresh_token', '~~RT~~'], ['scope', 'openid']], headers: [BASIC('pw')] },
      { params: [['grant_type', 'authorization_code'], ['code', '~~CODE~~'], ['redirect_uri', 'https://app.example/cb']], headers: [BASIC('web')] },
      { params: [['grant_type', DEVICE_GRANT], ['device_code', '~~DC~~'], ['client_id', 'dev']] },
      { params: [['grant_type', 'client_credentials'], ['scope', 'read']], headers: [BASIC('m2m'), DPOP] },
      { params: [['grant_type', 'password'], ['username', 'alice'], ['password', 'alice-pw']], headers: [BASIC('pw'), DPOP] },
      { params: [['grant_type', 'refresh_token'], ['refresh_token', '~~RT~~']], headers: [BASIC('pw'), DPOP] },
      { params: [['grant_type', 'authorization_code'], ['code', '~~CODE~~'], ['redirect_uri', 'https://app.example/cb']], headers: [BASIC('web'), DPOP] },
    ],
  },
  {
    name: 'introspect and revoke',
    endpoints: ['introspect', 'token/revoke'],
    names: ['token', 'token_type_hint', ...CLIENT_AUTH],
    primary: ['POST'],
    templates: [
      { params: [['token', '~~AT~~']], headers: [BASIC('pw')] },
      { params: [['token', '~~RT~~'], ['token_type_hint', 'refresh_token']], headers: [BASIC('pw')] },
      { params: [['token', '~~AT2~~'], ['token_type_hint', 'access_token']], headers: [BASIC('m2m')] },
      { params: [['token', '~~AT~~'], ['client_id', 'post'], ['client_secret', 'post-secret']] },
      { params: [['token', '~~AT2~~'], ...ASSERT] },
      { params: [['token', '~~AT~~'], ['client_id', 'spa']] },
    ],
  },
  {
    name: 'tokeninfo and userinfo',
    endpoints: ['tokeninfo', 'userinfo'],
    names: ['access_token', 'token', 'scope', 'client_id'],
    primary: ['GET', 'POST'],
    templates: [
      { params: [['access_token', '~~AT~~']] },
      { params: [['access_token', '~~AT2~~']] },
      { params: [], headers: [['authorization', 'Bearer ~~AT~~']] },
      { params: [], headers: [['authorization', 'Bearer ~~AT2~~']] },
      { params: [], headers: [['authorization', 'DPoP ~~DAT~~'], DPOP] },
      { params: [], headers: [['authorization', 'Bearer ~~DAT~~'], DPOP] },
      { params: [['access_token', '~~DAT~~']], headers: [DPOP] },
    ],
  },
  {
    name: 'device flow',
    endpoints: ['device/code', 'device/user'],
    names: ['scope', 'user_code', 'csrf', 'decision', ...CLIENT_AUTH],
    primary: ['POST', 'GET'],
    templates: [
      { params: [['client_id', 'dev'], ['scope', 'openid']] },
      { params: [['scope', 'openid'], ...ASSERT] },
      { params: [['user_code', '~~UC~~']], headers: [['cookie', 'iPlanetDirectoryPro=~~SESSION~~']] },
      { params: [['user_code', '~~UC~~'], ['csrf', '~~CSRF~~'], ['decision', 'allow']], headers: [['cookie', 'iPlanetDirectoryPro=~~SESSION~~']] },
      { params: [['user_code', '~~UC~~'], ['csrf', '~~CSRF~~'], ['decision', 'deny']], headers: [['cookie', 'iPlanetDirectoryPro=~~SESSION~~']] },
    ],
  },
  {
    name: 'authorize',
    endpoints: ['authorize'],
    names: [
      'client_id', 'redirect_uri', 'response_type', 'response_mode', 'scope', 'state', 'nonce', 'code_challenge', 'code_challenge_method',
      'prompt', 'max_age', 'login_hint', 'request', 'request_uri', 'interaction', 'decision', 'csrf', 'save_consent', 'id_token_hint', 'dpop_jkt',
    ],
    primary: ['GET', 'GET', 'POST'],
    templates: [
      { params: [['client_id', 'web'], ['redirect_uri', 'https://app.example/cb'], ['response_type', 'code'], ['scope', 'openid'], ['state', 's']] },
      { params: [['client_id', 'web'], ['redirect_uri', 'https://app.example/cb'], ['response_type', 'code id_token token'], ['scope', 'openid profile'], ['nonce', 'n'], ['response_mode', 'form_post']] },
      { params: [['client_id', 'web'], ['redirect_uri', 'https://app.example/cb'], ['response_type', 'code'], ['scope', 'openid'], ['prompt', 'consent']] },
      { params: [['client_id', 'web'], ['response_type', 'token'], ['scope', 'profile'], ['prompt', 'none'], ['max_age', '0']] },
      {
        params: [['client_id', 'spa'], ['redirect_uri', 'http://127.0.0.1:5173/cb'], ['response_type', 'code'], ['scope', 'openid'], ['code_challenge', CHALLENGE], ['code_challenge_method', 'S256']],
      },
      { params: [['interaction', '~~INTERACTION~~']] },
      { params: [['client_id', 'web'], ['request_uri', '~~PAR~~']] },
      { params: [['client_id', 'spa'], ['request_uri', '~~PAR~~'], ['redirect_uri', 'https://evil.example/cb']] },
      { params: [['interaction', '~~INTERACTION~~'], ['csrf', '~~CSRF~~'], ['decision', 'allow'], ['save_consent', 'on']] },
      { params: [['interaction', '~~INTERACTION~~'], ['csrf', '~~CSRF~~'], ['decision', 'deny']] },
    ].map((t): Template => ({ params: t.params as [string, string][], headers: [['cookie', 'iPlanetDirectoryPro=~~SESSION~~']] })),
  },
  {
    name: 'endSession',
    endpoints: ['connect/endSession'],
    names: ['id_token_hint', 'post_logout_redirect_uri', 'client_id', 'state'],
    primary: ['GET', 'POST'],
    templates: [
      { params: [['id_token_hint', '~~IDT~~'], ['post_logout_redirect_uri', 'https://pw.example/bye'], ['state', 's']] },
      { params: [['client_id', 'web'], ['post_logout_redirect_uri', 'https://app.example/bye']] },
      { params: [['client_id', 'spa'], ['post_logout_redirect_uri', 'http://127.0.0.1/bye']] },
      { params: [] },
    ].map((t): Template => ({ params: t.params as [string, string][], headers: [['cookie', 'iPlanetDirectoryPro=~~SESSION~~']] })),
  },
  {
    name: 'register',
    endpoints: ['register'],
    names: ['client_id', 'redirect_uri'],
    primary: ['POST'],
    realms: ['reg', 'reg', 'reg', 'reg', 'fuzz'],
    contentType: 'application/json',
    json: registerJson,
    templates: [{ params: [] }],
  },
  {
    name: 'par',
    endpoints: ['par'],
    names: [
      'client_id', 'request', 'request_uri', 'redirect_uri', 'response_type', 'response_mode', 'scope', 'state', 'nonce', 'code_challenge',
      'code_challenge_method', 'prompt', 'max_age', 'dpop_jkt', 'interaction', ...CLIENT_AUTH,
    ],
    primary: ['POST'],
    templates: [
      { params: [['response_type', 'code'], ['redirect_uri', 'https://app.example/cb'], ['scope', 'openid'], ['state', 's']], headers: [BASIC('web')] },
      { params: [['client_id', 'web'], ['response_type', 'code id_token'], ['scope', 'openid'], ['nonce', 'n'], ['dpop_jkt', '~~JKT~~']], headers: [BASIC('web'), DPOP] },
      {
        params: [['client_id', 'spa'], ['redirect_uri', 'http://127.0.0.1:5173/cb'], ['response_type', 'code'], ['scope', 'openid'], ['code_challenge', CHALLENGE], ['code_challenge_method', 'S256']],
        headers: [DPOP],
      },
      { params: [['client_id', 'post'], ['client_secret', 'post-secret'], ['response_type', 'code'], ['redirect_uri', 'https://app.example/cb']] },
    ],
  },
  {
    name: 'discovery and jwks',
    endpoints: ['.well-known/openid-configuration', 'connect/jwk_uri'],
    names: ['client_id', 'request', 'request_uri', 'redirect_uri', 'response_type', 'scope'],
    primary: ['GET', 'POST'],
    templates: [{ params: [['client_id', 'web'], ['response_type', 'code'], ['redirect_uri', 'https://app.example/cb']] }],
  },
  {
    name: 'sign-in pages',
    endpoints: [],
    names: ['goto', 'username', 'password', 'realm', 'login_hint'],
    primary: ['POST', 'GET'],
    paths: fc.oneof(
      { weight: 8, arbitrary: fc.constantFrom('/login?realm=/fuzz', '/login', '/json/realms/root/realms/fuzz/authenticate', '/json/realms/root/realms/fuzz/realms/sub/authenticate') },
      { weight: 1, arbitrary: fc.constantFrom('/json/authenticate', '/json/realms/root/authenticate', '/json/realms/root/realms/fuzz/sessions', '/login/', '/LOGIN') },
      { weight: 1, arbitrary: segmentArb.map((s) => `/json/realms/root/realms/${s}/authenticate`) },
      { weight: 1, arbitrary: segmentArb.map((s) => `/login?realm=${s}`) },
    ),
    templates: [
      { params: [['username', 'alice'], ['password', 'alice-pw'], ['goto', '~~ISS~~/authorize?client_id=web']] },
      { params: [['username', 'alice'], ['password', 'wrong'], ['goto', 'https://evil.example/oauth2/x']] },
      { params: [['goto', '~~ISS~~/authorize'], ['login_hint', 'alice']] },
      { params: [], headers: [['x-openam-username', 'alice'], ['x-openam-password', 'alice-pw']] },
      { params: [], headers: [['x-openam-username', 'alice'], ['x-openam-password', 'wrong']] },
    ],
  },
  {
    name: 'any endpoint at any path',
    endpoints: [
      '.well-known/openid-configuration', 'connect/endSession', 'connect/jwk_uri', 'access_token', 'token/revoke', 'device/code', 'device/user',
      'introspect', 'authorize', 'tokeninfo', 'userinfo', 'register', 'par', 'revoke', 'token', 'jwk_uri', '', 'authorize/', 'userinfo/x',
    ],
    names: ['client_id', 'token', 'grant_type', 'scope', 'realm', 'redirect_uri', 'response_type', 'access_token', 'refresh_token'],
    primary: ['GET', 'POST'],
    templates: [{ params: [] }],
  },
]

interface Spec {
  method: string
  path: string
  headers: [string, string][]
  contentType: string | undefined
  body: Body
  /** Claims of a client assertion validly signed with the `jwt` client's key, for `~~ASSERTION~~`. */
  assertion: Record<string, unknown> | null
  /** Header and claims of a DPoP proof signed with {@link DPOP_KEY}, for `~~DPOP~~`. */
  dpop: { header: Record<string, unknown>; claims: Record<string, unknown> } | null
}

function specArb(group: Group, kids: string[], mode: Mode): fc.Arbitrary<Spec> {
  const vals = values(kids)
  const realms = group.realms ?? ['fuzz', 'fuzz', 'fuzz', 'fuzz/sub', '/']
  const path =
    group.paths ??
    fc
      .tuple(
        prefixArb(realms),
        fc.constantFrom(...group.endpoints),
        fc.oneof({ weight: 30, arbitrary: fc.constant('') }, { weight: 1, arbitrary: fc.constantFrom('/', '/x', '%00', ';x', '.json') }),
      )
      .map(([prefix, endpoint, suffix]) => `${prefix}/${endpoint}${suffix}`)
  const assertion = fc.record(
    {
      iss: claim(fc.constant('jwt')),
      sub: claim(fc.constant('jwt')),
      aud: claim(fc.constantFrom('~~ISS~~', '~~ISS~~/access_token', '~~ISS~~/introspect', 'https://elsewhere.example')),
      exp: fc.oneof({ weight: 4, arbitrary: fc.constant(EPOCH_S + 60) }, { weight: 1, arbitrary: epochish }),
      iat: epochish,
      nbf: epochish,
      jti: fc.oneof(fc.uuid(), fc.constantFrom('fixed-jti', ''), fc.string()),
    },
    { requiredKeys: ['iss', 'sub', 'aud', 'exp'] },
  )
  // One record per template, built once: `chain` would rebuild every arbitrary on every run.
  return fc
    .oneof(
      ...group.templates.map((t) =>
      fc.record({
        method: methodArb(group.primary, mode),
        path,
        templated: paramsArb(t.params, group.names, vals),
        random: sometimes(paramsArb([], group.names, vals), 3),
        realm: sometimes(fc.tuple(realmQueryArb, fc.boolean()), 10),
        headers: headersArb(kids, t.headers ?? []),
        contentType: contentTypeArb(group.contentType ?? FORM),
        shape: bodyShapeArb(group.json ?? anyJson.map((j) => JSON.stringify(j)), group.json !== undefined),
        invalidUtf8: sometimes(fc.record({ at: fc.nat(), bytes: fc.constantFrom(...INVALID_UTF8) }), 12),
        padTo: sometimes(sizes, 12),
        assertion: fc.option(assertion, { freq: 4 }),
        dpop: fc.option(dpopProofArb, { freq: 4 }),
      }),
      ),
    )
    .map(({ method, path, templated, random, realm, headers, contentType, shape, invalidUtf8, padTo, assertion, dpop }) => {
      // The template goes where this method carries parameters: the query for GET and HEAD, else the body.
      const inQuery = method === 'GET' || method === 'HEAD'
      const query = [inQuery ? templated : random, realm && `realm=${realm[0]}`].filter((q): q is string => !!q)
      if (realm?.[1]) query.reverse()
      const bodyText = shape.shape === 'params' ? (inQuery ? random ?? '' : templated) : shape.shape === 'text' ? shape.text : ''
      const body: Body =
        shape.shape === 'none' ? { kind: 'none' } : shape.shape === 'bytes' ? { kind: 'bytes', bytes: shape.bytes } : { kind: 'text', text: bodyText, invalidUtf8, padTo }
      const q = query.join('&')
      return { method, path: q === '' ? path : `${path}${path.includes('?') ? '&' : '?'}${q}`, headers, contentType, body, assertion, dpop }
    })
}

// ---------------------------------------------------------------------------------------
// Sending and checking
// ---------------------------------------------------------------------------------------

interface Resolved {
  url: URL
  method: string
  headers: [string, string][]
  body: Uint8Array | undefined
}

interface Result {
  status: number
  headers: Headers
  body: Buffer
}

const signingKey = importJWK(DEMO.jwt.privateJwk, 'ES256')

async function resolve(spec: Spec, seeds: Seeds, origin: string): Promise<Resolved> {
  const iss = `${origin}/oauth2/realms/root/realms/fuzz`
  let assertion = 'e30.e30.'
  if (spec.assertion) {
    const claims = JSON.parse(JSON.stringify(spec.assertion).replaceAll('~~ISS~~', iss)) as Record<string, unknown>
    assertion = await new SignJWT(claims).setProtectedHeader({ alg: 'ES256', kid: 'demo-jwt-1' }).sign(await signingKey)
  }
  const table: Record<string, string> = {
    AT: seeds.at, AT2: seeds.at2, DAT: seeds.dat, RT: seeds.rt, IDT: seeds.idt, CODE: seeds.code, DC: seeds.dc, UC: seeds.uc,
    CSRF: seeds.csrf, SESSION: seeds.session, INTERACTION: seeds.interaction, ASSERTION: assertion, ISS: iss, ORIGIN: origin,
    PAR: seeds.par, JKT: (await dpopKey).jkt, ATH: sha(seeds.dat), METHOD: spec.method,
  }
  const fill = (s: string) => s.replace(/~~([A-Z0-9]+)~~/g, (m, k: string) => table[k] ?? m)
  const url = new URL(`${origin}${fill(spec.path)}`)
  table.URL = `${url.origin}${url.pathname}`
  table.DPOP = 'e30.e30.'
  if (spec.dpop) {
    const inJson = (s: string) => s.replace(/~~([A-Z0-9]+)~~/g, (m, k: string) => (table[k] === undefined ? m : JSON.stringify(table[k]).slice(1, -1)))
    const claims = JSON.parse(inJson(JSON.stringify(spec.dpop.claims))) as Record<string, unknown>
    table.DPOP = await signProof(spec.dpop.header, claims)
  }
  const headers = spec.headers.map(([k, v]) => [k, fill(v)] as [string, string])
  if (spec.contentType !== undefined) headers.push(['content-type', spec.contentType])
  let body: Uint8Array | undefined
  if (spec.body.kind === 'bytes') body = spec.body.bytes
  else if (spec.body.kind === 'text') {
    let bytes = Buffer.from(fill(spec.body.text))
    const bad = spec.body.invalidUtf8
    if (bad) {
      const at = bad.at % (bytes.length + 1)
      bytes = Buffer.concat([bytes.subarray(0, at), Buffer.from(bad.bytes), bytes.subarray(at)])
    }
    const padTo = spec.body.padTo
    if (padTo && padTo > bytes.length + 5) bytes = Buffer.concat([bytes, Buffer.from('&pad=' + 'x'.repeat(padTo - bytes.length - 5))])
    body = new Uint8Array(bytes)
  }
  // Concatenated, not resolved against the origin: a path starting `//` stays a path.
  return { url, method: spec.method, headers, body }
}

async function sendInProcess(provider: Provider, r: Resolved): Promise<Result> {
  const headers = new Headers()
  for (const [k, v] of r.headers) headers.append(k, v)
  const withBody = r.body !== undefined && r.method !== 'GET' && r.method !== 'HEAD'
  const res = await provider.fetch(new Request(r.url, { method: r.method, headers, redirect: 'manual', ...(withBody && { body: r.body as Uint8Array<ArrayBuffer> }) }))
  return { status: res.status, headers: res.headers, body: Buffer.from(await res.arrayBuffer()) }
}

/** Over real HTTP with node:http: repeated headers stay separate lines, and GET may carry a body. */
function sendHttp(port: number, r: Resolved, signal: AbortSignal): Promise<Result> {
  const headers: Record<string, string | string[]> = {}
  for (const [k, v] of r.headers) {
    const prev = headers[k]
    headers[k] = prev === undefined ? v : [...(Array.isArray(prev) ? prev : [prev]), v]
  }
  if (r.body !== undefined) headers['content-length'] = String(r.body.byteLength)
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: '127.0.0.1', port, method: r.method, path: r.url.pathname + r.url.search, headers, agent: false, signal },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => {
          const h = new Headers()
          for (const [k, v] of Object.entries(res.headers)) for (const one of [v ?? []].flat()) h.append(k, one)
          resolve({ status: res.statusCode!, headers: h, body: Buffer.concat(chunks) })
        })
        res.on('error', reject)
      },
    )
    req.on('error', reject)
    req.end(r.body)
  })
}

/** The answer, or a failure if there is none within the bound: a hang is a bug. */
async function bounded<T>(send: (signal: AbortSignal) => Promise<T>, label: string): Promise<T> {
  const abort = new AbortController()
  let timer: ReturnType<typeof setTimeout> | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      abort.abort()
      reject(new Error(`no response within ${TIME_BOUND_MS} ms (a hang): ${label}`))
    }, TIME_BOUND_MS)
  })
  try {
    return await Promise.race([send(abort.signal), timeout])
  } finally {
    clearTimeout(timer)
  }
}

type PageKind = 'json' | 'html' | 'authenticate'

/** What the path asks for, by the router's own suffix rule; unroutable paths answer JSON 404. */
function pageKind(url: URL): PageKind {
  const p = url.pathname
  if (p === '/login') return 'html'
  if (p.startsWith('/json/')) return 'authenticate'
  if (p.startsWith('/oauth2/') && /\/(authorize|device\/user|connect\/endSession)$/.test(p)) return 'html'
  return 'json'
}

const unescapeHtml = (s: string) => s.replace(/&#(\d+);/g, (_, n: string) => String.fromCharCode(Number(n)))
const withoutQuery = (u: URL) => `${u.protocol}//${u.host}${u.pathname}`
const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]'])

/**
 * The client ids an authorize request names, read leniently from where the provider reads them
 * (the body of a POST, the query otherwise). None when it carries an `interaction`: then the
 * stored request's client counts, which may be any.
 */
function namedClients(r: Resolved): string[] {
  const params = new URLSearchParams(r.method === 'POST' ? Buffer.from(r.body ?? []).toString('latin1') : r.url.search)
  if (params.has('interaction')) return []
  return params.getAll('client_id').filter((id) => REDIRECTS.has(id))
}

/** Whether a URL the browser is sent to is the provider's own page or a URI the client registered. */
function mayVisit(target: string, r: Resolved, which: 'redirect' | 'logout'): boolean {
  if (!URL.canParse(target, r.url)) return false
  const u = new URL(target, r.url)
  if (u.origin === r.url.origin && (u.pathname === '/login' || u.pathname.startsWith('/oauth2/'))) return true
  // At authorize, only the clients the request names (all, when it names none: a stored interaction);
  // at endSession the client may come from id_token_hint, so any client's logout URI.
  const named = which === 'redirect' ? namedClients(r) : []
  const clients = [...REDIRECTS.entries()].filter(([id]) => named.length === 0 || named.includes(id)).map(([, c]) => c)
  return clients.some((c) =>
    c[which].some((reg) => {
      const g = new URL(reg)
      if (withoutQuery(g) === withoutQuery(u) && u.username === '' && u.password === '') return true
      return c.wildcard && LOOPBACK.has(g.hostname) && g.protocol === u.protocol && g.hostname === u.hostname && g.pathname === u.pathname
    }),
  )
}

/** The OAuth error a response carries: a JSON body, an error redirect, or an auto-posting error form. */
function errorOf(res: Result, html: string): { error?: string; description?: string } {
  const type = res.headers.get('content-type') ?? ''
  if (type.startsWith('application/json') && res.body.length > 0) {
    try {
      const b = JSON.parse(res.body.toString()) as { error?: unknown; error_description?: unknown }
      return { error: typeof b.error === 'string' ? b.error : undefined, description: String(b.error_description ?? '') }
    } catch {
      return {}
    }
  }
  const location = res.headers.get('location')
  if (res.status === 302 && location && URL.canParse(location)) {
    const u = new URL(location)
    const p = new URLSearchParams(u.hash.slice(1) || u.search)
    return { error: p.get('error') ?? undefined, description: p.get('error_description') ?? '' }
  }
  const m = /<input type="hidden" name="error" value="([^"]*)">/.exec(html)
  return m ? { error: unescapeHtml(m[1]!) } : {}
}

/** Writes some rejections must make: jti replay records, device polling, reuse detection, used-up consent. */
function writeAllowedOnRejection(w: Write, spec: Spec, status: number, error: string | undefined, description: string | undefined): boolean {
  // A valid assertion or DPoP proof is used up even when the request then fails.
  if (w.op === 'insert' && w.kind === 'ReplayDetection') return spec.assertion !== null || spec.dpop !== null
  // A pushed request is spent by the error redirect sent for it, as by a code.
  if (w.kind === 'PushedAuthorizationRequest') return w.op === 'consume' && status < 400
  if (w.kind === 'DeviceCode') return (w.op === 'upsert' && (error === 'authorization_pending' || error === 'slow_down')) || (w.op === 'destroy' && error === 'access_denied')
  if (error === 'invalid_grant' && /already used/.test(description ?? '')) return w.op === 'revoke' || (w.op === 'upsert' && w.kind === 'Grant')
  // An answered consent is used up even when the answer sent back is an error (access_denied).
  if (w.kind === 'Interaction') return status < 400 && (w.op === 'consume' || w.op === 'destroy')
  // A journey step is spent by its answer, and a failed sign-in page shows the first step anew.
  if (w.kind === 'Journey') return w.op === 'consume' || w.op === 'upsert'
  // A retry limit counts the failure, and device/user a wrong user code.
  if (w.kind === 'Lockout') return (w.op === 'insert' || w.op === 'upsert') && (status === 401 || (status === 400 && spec.path.includes('device/user')))
  return false
}

function check(spec: Spec, r: Resolved, res: Result, writes: Write[], sizeBefore: number, sizeAfter: number): void {
  const label = `${r.method} ${r.url.pathname}${r.url.search.slice(0, 200)} -> ${res.status} ${res.body.toString().slice(0, 300)}`
  // AM's REST tree answers an action it does not have with CREST's 501 Not Implemented (decision 0082): the one 5xx that is an answer, not a fault.
  const notImplemented = res.status === 501 && r.url.pathname.includes('/json/') && JSON.parse(res.body.toString()).reason === 'Not Implemented'
  if (!notImplemented) expect(res.status, label).toBeLessThan(500)
  const kind = pageKind(r.url)
  const type = res.headers.get('content-type') ?? ''
  const hasBody = !(r.method === 'HEAD' && res.body.length === 0)
  const html = type.startsWith('text/html') ? res.body.toString() : ''

  if (res.status >= 400) {
    if (!notImplemented) expect(JSON_ERROR_STATUSES, label).toContain(res.status)
    const routed = kind === 'html' && type.startsWith('text/html')
    if (!routed && hasBody) {
      // JSON endpoints, and HTML ones refusing before any page (unknown realm, wrong method).
      if (kind === 'html') expect([404, 405], label).toContain(res.status)
      expect(type, label).toMatch(/^application\/json/)
      const body = JSON.parse(res.body.toString()) as Record<string, unknown>
      // AM's JSON endpoints answer errors in AM's shape: { code, reason, message }.
      const amError = kind === 'authenticate' && body.code === res.status && typeof body.reason === 'string' && typeof body.message === 'string'
      if (!amError) expect(typeof body.error, label).toBe('string')
      if (body.error === 'invalid_client' && res.status === 401) expect(res.headers.get('www-authenticate'), label).toMatch(/^Basic realm="/)
    }
  } else if (res.status >= 300) {
    expect(res.status, label).toBe(302)
    expect(kind, `only pages redirect: ${label}`).toBe('html')
    const location = res.headers.get('location') ?? ''
    const which = r.url.pathname.endsWith('/connect/endSession') ? 'logout' : 'redirect'
    expect(mayVisit(location, r, which), `redirect to an unregistered URI ${location}: ${label}`).toBe(true)
  } else {
    expect([200, 201, 204], label).toContain(res.status)
    if (type.startsWith('application/json') && hasBody) JSON.parse(res.body.toString())
    if (kind === 'html' && res.status !== 204) expect(type, label).toMatch(/^text\/html/)
    // Every form a page shows posts to the provider or to a registered redirect URI.
    for (const m of html.matchAll(/<form[^>]*action="([^"]*)"/g)) {
      const action = unescapeHtml(m[1]!)
      const own = action.startsWith('/') && !action.startsWith('//')
      expect(own || mayVisit(action, r, 'redirect'), `form posts to ${action}: ${label}`).toBe(true)
    }
    // The sign-in page's goto never leaves the provider.
    const goto = /<input type="hidden" name="goto" value="([^"]*)">/.exec(html)?.[1]
    if (goto) expect(mayVisit(unescapeHtml(goto), r, 'redirect') && new URL(unescapeHtml(goto), r.url).origin === r.url.origin, label).toBe(true)
  }

  const { error, description } = errorOf(res, html)
  const rejected = res.status >= 400 || error !== undefined
  if (rejected) {
    const unexpected = writes.filter((w) => !writeAllowedOnRejection(w, spec, res.status, error, description))
    expect(unexpected, `state changed by a rejected request: ${label}`).toEqual([])
    if (writes.length === 0) expect(sizeAfter, `store size changed by a rejected request: ${label}`).toBe(sizeBefore)
  }
  if (res.status === 201 && r.url.pathname.endsWith('/register')) {
    const c = JSON.parse(res.body.toString()) as { client_id: string; redirect_uris: string[]; post_logout_redirect_uris?: string[]; allow_wildcard_ports?: boolean }
    REDIRECTS.set(c.client_id, { redirect: c.redirect_uris, logout: c.post_logout_redirect_uris ?? [], wildcard: c.allow_wildcard_ports === true })
  }
}

// ---------------------------------------------------------------------------------------
// The properties
// ---------------------------------------------------------------------------------------

describe('fuzzing every endpoint with hostile input', () => {
  let store: CountingStore
  let provider: Provider
  let seeds: Seeds
  let server: RunningProvider
  let kids: string[]

  beforeAll(async () => {
    store = new CountingStore({ now: () => EPOCH_MS })
    provider = createProvider(fuzzConfig(store))
    await provider.ready
    kids = (await provider.jwks()).keys.map((k) => k.kid as string)
    seeds = new Seeds(provider, store)
    server = await listen(provider, { host: '127.0.0.1' })
  })
  afterAll(() => server?.close())

  async function run(spec: Spec, mode: Mode): Promise<void> {
    await seeds.ensure()
    const origin = mode === 'fetch' ? ORIGIN : `http://127.0.0.1:${server.port}`
    const r = await resolve(spec, seeds, origin)
    store.writes = []
    const before = store.size
    const label = `${mode} ${r.method} ${r.url.href.slice(0, 200)}`
    const res = await bounded((signal) => (mode === 'fetch' ? sendInProcess(provider, r) : sendHttp(server.port, r, signal)), label)
    check(spec, r, res, store.writes, before, store.size)
  }

  for (const group of GROUPS) {
    it(`${group.name}: in process (${RUNS} runs)`, async () => {
      await fc.assert(
        fc.asyncProperty(specArb(group, kids, 'fetch'), (spec) => run(spec, 'fetch')),
        { seed: SEED, numRuns: RUNS, interruptAfterTimeLimit: 45_000, markInterruptAsFailure: true },
      )
    }, 60_000)
  }

  describe('regressions found by fuzzing', () => {
    it('the sign-in page refuses a body it cannot read with an HTML page, like the other pages (was JSON)', async () => {
      const cases: [string | undefined, Uint8Array<ArrayBuffer>, number][] = [
        ['application/json', new Uint8Array(Buffer.from('{"username":"alice"}')), 400],
        [undefined, new Uint8Array(Buffer.from('username=alice&password=alice-pw')), 400],
        [FORM, new Uint8Array([0x75, 0x3d, 0xff]), 400],
        [FORM, new Uint8Array(Buffer.from('username=%E0%A4')), 400],
        [FORM, new Uint8Array(Buffer.from('username=a&username=b')), 400],
        [FORM, new Uint8Array(Buffer.from('pad=' + 'x'.repeat(LIMIT))), 413],
      ]
      for (const [type, body, status] of cases) {
        const res = await provider.fetch(
          new Request(`${ORIGIN}/login?realm=/fuzz`, { method: 'POST', headers: type ? { 'content-type': type } : {}, body }),
        )
        expect(res.status, type).toBe(status)
        expect(res.headers.get('content-type'), type).toMatch(/^text\/html/)
        expect(await res.text()).toContain('Sign-in request refused')
      }
    })

    it('answers TRACE over HTTP with 405 JSON instead of dropping the connection', async () => {
      const url = new URL(`http://127.0.0.1:${server.port}/oauth2/realms/root/realms/fuzz/access_token`)
      const res = await bounded((signal) => sendHttp(server.port, { url, method: 'TRACE', headers: [], body: undefined }, signal), 'TRACE')
      expect(res.status).toBe(405)
      expect(res.headers.get('allow')).toBe('GET, POST')
      expect(JSON.parse(res.body.toString())).toMatchObject({ error: 'invalid_request' })
      // The server still answers on a new connection.
      const after = await bounded((signal) => sendHttp(server.port, { url, method: 'GET', headers: [], body: undefined }, signal), 'GET')
      expect(after.status).toBe(405)
    })
  })

  for (const group of GROUPS) {
    it(`${group.name}: over HTTP (${HTTP_RUNS} runs)`, async () => {
      await fc.assert(
        fc.asyncProperty(specArb(group, kids, 'http'), (spec) => run(spec, 'http')),
        { seed: SEED + 1, numRuns: HTTP_RUNS, interruptAfterTimeLimit: 45_000, markInterruptAsFailure: true },
      )
    }, 60_000)
  }
})
