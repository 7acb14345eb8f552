/**
 * What an outsider with no account and no client of their own could do before, each now
 * refused: register a client that acts for any user (the JWT bearer grant) or reads every
 * client's tokens (`am-introspect-all-tokens`), make the provider fetch its own network, guess passwords past a lockout with the password grant, guess device codes, put a `javascript:`
 * link on the consent page, sign a visitor's browser in as themselves from another site (login
 * CSRF, through the sign-in page or a `text/plain` post to `authenticate`), and use the session
 * cookie from a same-site form without AM's CSRF headers; and read the session cookie on the
 * wire behind a proxy that ends TLS; move a developer's `--dev-clock` from a page they visit.
 */
import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SignJWT, exportJWK, generateKeyPair } from 'jose'
import { ConfigError, createProvider, type JourneyNodeConfig, type ProviderConfig, type RealmConfig } from '@realmauth/server'
import { listen, type RunningProvider } from '@realmauth/server/node'
import { MODES, basic, form, startHarness, type Harness } from './harness.js'
import { expectError, post } from './tokenKit.js'

const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer'
const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code'
const ALICE = { username: 'alice', password: 'Alice-pw-1' }
/** A realm whose `Login` is a username and password page, then `nodes` (from `check`), then `done` or `failed`. */
function loginRealm(name: string, nodes: Record<string, JourneyNodeConfig>): RealmConfig {
  return {
    name,
    clients: [{ client_id: 'app', client_secret: 'app-secret', grant_types: ['password'], scope: 'openid profile' }],
    users: [{ ...ALICE, totp_secret: 'JBSWY3DPEHPK3PXP' }],
    journeys: {
      Login: {
        entry: 'page',
        nodes: {
          page: { type: 'Page', nodes: [{ type: 'UsernameCollector' }, { type: 'PasswordCollector' }], outcomes: { outcome: 'check' } },
          ...nodes,
          done: { type: 'Success' },
          failed: { type: 'Failure' },
        },
      },
    },
  }
}
const CONFIG: ProviderConfig = {
  realms: [
    {
      name: 'alpha',
      allow_dynamic_registration: true,
      clients: [
        { client_id: 'app', client_secret: 'app-secret', grant_types: ['password'], scope: 'openid profile' },
        { client_id: 'tv', token_endpoint_auth_method: 'none', grant_types: [DEVICE_GRANT], scope: 'profile' },
      ],
      users: [{ ...ALICE, name: 'Alice' }],
    },
    // A Login with a retry limit, and one that asks for a one-time code after the password.
    loginRealm('guarded', {
      check: { type: 'DataStoreDecision', outcomes: { true: 'done', false: 'retry' } },
      retry: { type: 'RetryLimit', limit: 3, lockout_seconds: 600, outcomes: { retry: 'page', reject: 'failed' } },
    }),
    loginRealm('mfa', {
      check: { type: 'DataStoreDecision', outcomes: { true: 'otp', false: 'failed' } },
      otp: { type: 'OneTimePassword', outcomes: { true: 'done', false: 'failed' } },
    }),
  ],
}
const AM_HEADERS = { 'content-type': 'application/json', 'accept-api-version': 'resource=2.1, protocol=1.0' }

type Json = Record<string, unknown>
interface Step {
  authId: string
  callbacks: { type: string; input?: { name: string; value: unknown }[] }[]
}

describe.each(MODES)('an outsider against the provider (%s)', (mode) => {
  let h: Harness
  const json = (path: string) => `${h.origin}/json/realms/root/realms/alpha${path}`
  beforeAll(async () => {
    h = await startHarness(mode, CONFIG)
  })
  afterAll(() => h.close())

  const register = (metadata: Json) =>
    h.fetch(`${h.issuer()}/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(metadata) })

  describe('dynamic registration', () => {
    it('refuses the JWT bearer grant, which would let a self-registered key mint tokens for any user', async () => {
      const attacker = await generateKeyPair('ES256')
      const jwks = { keys: [{ ...(await exportJWK(attacker.publicKey)), kid: 'k1' }] }
      const asked = { client_name: 'Helpful tool', token_endpoint_auth_method: 'private_key_jwt', jwks, grant_types: [JWT_BEARER], scope: 'openid profile' }
      const body = await expectError(await register(asked), 400, 'invalid_client_metadata')
      expect(body.error_description).toContain(JWT_BEARER)

      // Nor can a client registered without it add it later through client management (RFC 7592).
      const made = (await (await register({ ...asked, grant_types: ['client_credentials'] })).json()) as Json
      expect(made.client_id).toEqual(expect.any(String))
      const put = await h.fetch(made.registration_client_uri as string, {
        method: 'PUT',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${made.registration_access_token as string}` },
        body: JSON.stringify({ ...asked, client_id: made.client_id }),
      })
      await expectError(put, 400, 'invalid_client_metadata')

      // What the attacker was after: an assertion naming alice, signed with their own key.
      const now = Math.floor(h.now() / 1000)
      const claim = (sub: string) =>
        new SignJWT({ iss: made.client_id as string, sub, aud: `${h.issuer()}/access_token`, jti: randomUUID(), iat: now, exp: now + 60 })
          .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
          .sign(attacker.privateKey)
      const res = await post(h, 'alpha', 'access_token', {
        grant_type: JWT_BEARER,
        assertion: await claim('alice'),
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        client_assertion: await claim(made.client_id as string),
      })
      await expectError(res, 400, 'unauthorized_client')
    })

    it('answers at once for a loopback client whose port pattern has thousands of stars, and refuses one longer than a port', async () => {
      // Each `*` was a `[0-9]*`: matching a port against `:****…*1` backtracked for hours, on the provider's one thread.
      const stars = (await (
        await register({ redirect_uris: [`http://localhost:${'*'.repeat(5000)}1/cb`], allow_wildcard_ports: true, token_endpoint_auth_method: 'none' })
      ).json()) as Json
      const authorize = (port: number) =>
        h.fetch(`${h.issuer()}/authorize?${new URLSearchParams({ client_id: stars.client_id as string, redirect_uri: `http://localhost:${port}/cb`, response_type: 'code' })}`)
      expect((await authorize(12345)).status).toBe(400)
      expect((await authorize(12341)).status).toBe(302) // the pattern still means "ends in 1"
      const body = await expectError(
        await register({ redirect_uris: [`http://localhost:${'*0'.repeat(6)}/cb`], allow_wildcard_ports: true, token_endpoint_auth_method: 'none' }),
        400,
        'invalid_redirect_uri',
      )
      expect(body.error_description).toContain('redirect_uris[0]')
    })

    it("refuses AM's am-introspect-all-tokens scope, which would read every client's tokens", async () => {
      const body = await expectError(await register({ grant_types: ['client_credentials'], scope: 'read am-introspect-all-tokens' }), 400, 'invalid_client_metadata')
      expect(body.error_description).toContain('am-introspect-all-tokens')
      // What it would have read: a token of another client, here alice's from the configured 'app'.
      const token = (await (await post(h, 'alpha', 'access_token', { grant_type: 'password', ...ALICE }, { authorization: basic('app', 'app-secret') })).json()) as Json
      const own = (await (await register({ grant_types: ['client_credentials'], scope: 'read' })).json()) as Json
      const seen = await post(h, 'alpha', 'introspect', { token: token.access_token as string }, { authorization: basic(own.client_id as string, own.client_secret as string) })
      expect(await seen.json()).toEqual({ active: false })
    })

    it('refuses javascript:, data: and relative links as policy_uri and logo_uri, which the consent page links to', async () => {
      const links: [string, string][] = [
        ['policy_uri', 'javascript:alert(document.domain)'],
        ['policy_uri', 'data:text/html,<script>alert(1)</script>'],
        ['policy_uri', '/oauth2/realms/root/realms/alpha/connect/endSession'],
        ['logo_uri', 'JavaScript:alert(1)'],
      ]
      for (const [field, value] of links) {
        const body = await expectError(await register({ client_name: 'x', redirect_uris: ['https://app.example/cb'], [field]: value }), 400, 'invalid_client_metadata')
        expect(body.error_description, value).toContain(field)
      }
      expect((await register({ client_name: 'x', redirect_uris: ['https://app.example/cb'], policy_uri: 'https://app.example/privacy' })).status).toBe(201)
    })

    it('refuses jwks_uri and request_uris the provider would fetch from its own machine or network', async () => {
      // Each would have the provider probe for anyone, its error telling what answered ("answered HTTP 404", "could not be reached").
      const keys = { token_endpoint_auth_method: 'private_key_jwt', grant_types: ['client_credentials'] }
      const refused: Json[] = [
        { ...keys, jwks_uri: 'http://169.254.169.254/latest/meta-data/' },
        { ...keys, jwks_uri: 'https://127.0.0.1:5432/' },
        { ...keys, jwks_uri: 'https://0x7f.1/jwks' },
        { ...keys, jwks_uri: 'https://[::1]/jwks' },
        { ...keys, jwks_uri: 'https://localhost/jwks' },
        { ...keys, jwks_uri: 'https://admin.localhost/jwks' },
        { ...keys, jwks_uri: 'https://localhost./jwks' },
        { ...keys, jwks_uri: 'https://admin.localhost./jwks' },
        { jwks: { keys: [] }, redirect_uris: ['https://app.example/cb'], request_uris: ['https://app.example/r', 'http://127.0.0.1:9000/oauth2/x'] },
      ]
      for (const metadata of refused) {
        const body = await expectError(await register(metadata), 400, 'invalid_client_metadata')
        expect(body.error_description, JSON.stringify(metadata)).toMatch(/^(jwks_uri|request_uris\[1\]): the provider fetches it/)
      }
      expect((await register({ ...keys, jwks_uri: 'https://keys.example/jwks' })).status).toBe(201)
    })
  })

  describe('login CSRF at the sign-in page', () => {
    const signIn = (headers: Record<string, string>) => {
      const init = form({ ...ALICE })
      return h.fetch(`${h.origin}/login?realm=/alpha`, { ...init, headers: { ...(init.headers as Record<string, string>), ...headers } })
    }

    it("refuses the attacker's credentials posted from another site: no session, the form shown again", async () => {
      const foreign: Record<string, string>[] = [{ 'sec-fetch-site': 'cross-site' }, { 'sec-fetch-site': 'same-site' }, { origin: 'https://evil.example' }, { origin: 'null' }]
      for (const headers of foreign) {
        const res = await signIn(headers)
        expect(res.status, JSON.stringify(headers)).toBe(403)
        expect(res.headers.getSetCookie(), JSON.stringify(headers)).toEqual([])
        const page = await res.text()
        expect(page).toContain('came from another site')
        expect(page).toContain('name="password"')
      }
    })

    it('signs in a form posted by the page itself, and requests that name no site', async () => {
      const own: Record<string, string>[] = [{ 'sec-fetch-site': 'same-origin' }, { origin: h.origin }, {}]
      for (const headers of own) {
        const res = await signIn(headers)
        expect(res.status, JSON.stringify(headers)).toBe(200)
        expect(res.headers.getSetCookie()[0], JSON.stringify(headers)).toMatch(/^iPlanetDirectoryPro=[^;]+;/)
      }
    })
  })

  describe('the password grant', () => {
    const ropc = (realm: string, password: string) =>
      post(h, realm, 'access_token', { grant_type: 'password', username: ALICE.username, password }, { authorization: basic('app', 'app-secret') })

    it("answers to the realm's Login journey: its retry limit counts wrong passwords and a locked account stays locked", async () => {
      for (let i = 0; i < 3; i++) await expectError(await ropc('guarded', 'guess-' + i), 400, 'invalid_grant')
      // Locked: the right password gets nothing, here or on AM's REST sign-in, until the lockout ends.
      await expectError(await ropc('guarded', ALICE.password), 400, 'invalid_grant')
      const rest = await h.fetch(`${h.origin}/json/realms/root/realms/guarded/authenticate`, {
        method: 'POST',
        headers: { 'x-openam-username': ALICE.username, 'x-openam-password': ALICE.password },
      })
      expect(rest.status).toBe(401)
      await h.advance(601)
      expect((await ropc('guarded', ALICE.password)).status).toBe(200)
    })

    it('says the same for a right password as for a wrong one when the journey goes on to ask for a code', async () => {
      const right = await expectError(await ropc('mfa', ALICE.password), 400, 'invalid_grant')
      const wrong = await expectError(await ropc('mfa', 'wrong'), 400, 'invalid_grant')
      expect(right).toEqual(wrong)
    })
  })

  describe('device codes', () => {
    it('stops a signed-in user guessing user codes after five wrong ones, across sessions, for five minutes', async () => {
      const cookieOf = async () => {
        const res = await h.fetch(json('/authenticate'), { method: 'POST', headers: { 'x-openam-username': ALICE.username, 'x-openam-password': ALICE.password } })
        return res.headers.getSetCookie()[0]!.split(';')[0]!
      }
      const enter = (cookie: string, code: string) => h.fetch(`${h.issuer()}/device/user?user_code=${code}`, { headers: { cookie } })
      const deviceCode = async () => ((await (await post(h, 'alpha', 'device/code', { client_id: 'tv' })).json()) as { user_code: string }).user_code
      const cookie = await cookieOf()
      for (const guess of ['BCDF-BCDF', 'BCDF-BCDG', 'BCDF-BCDH', 'BCDF-BCDJ', 'BCDF-BCDK']) expect((await enter(cookie, guess)).status).toBe(400)
      // The sixth try is refused before any lookup, even with a pending code, and a new session does not reset the count.
      const pending = await deviceCode()
      const refused = await enter(await cookieOf(), pending)
      expect(refused.status).toBe(429)
      expect(await refused.text()).not.toContain('name="decision"')
      await h.advance(301)
      const later = await enter(cookie, await deviceCode())
      expect(later.status).toBe(200)
      expect(await later.text()).toContain('name="decision"')
    })
  })

  describe("AM's REST tree", () => {
    it('takes a journey answer only as application/json: a text/plain form from another site answers nothing', async () => {
      const step = (await (await h.fetch(json('/authenticate'), { method: 'POST', headers: AM_HEADERS })).json()) as Step
      step.callbacks[0]!.input![0]!.value = ALICE.username
      step.callbacks[1]!.input![0]!.value = ALICE.password
      // What `<form enctype="text/plain">` sends: no preflight, so any page could post it.
      const plain = await h.fetch(json('/authenticate'), { method: 'POST', headers: { 'content-type': 'text/plain' }, body: JSON.stringify(step) })
      expect(plain.status).toBe(400)
      expect(plain.headers.getSetCookie()).toEqual([])
      expect(await plain.json()).toMatchObject({ code: 400, reason: 'Bad Request', message: 'The body must be application/json' })
      // The refused answer left the step usable for the real client.
      const done = await h.fetch(json('/authenticate'), { method: 'POST', headers: AM_HEADERS, body: JSON.stringify(step) })
      expect(done.status).toBe(200)
      expect(await done.json()).toMatchObject({ tokenId: expect.any(String) })
    })

    it('refuses a cookie-carrying POST without X-Requested-With or Accept-API-Version with 403, as AM’s CSRF filter does', async () => {
      const signedIn = await h.fetch(json('/authenticate'), { method: 'POST', headers: { 'x-openam-username': ALICE.username, 'x-openam-password': ALICE.password } })
      const cookie = signedIn.headers.getSetCookie()[0]!.split(';')[0]!
      // A same-site page's empty form post carries the Lax cookie and no custom header.
      const forged = await h.fetch(json('/sessions?_action=logout'), { method: 'POST', headers: { cookie } })
      expect(forged.status).toBe(403)
      expect(await forged.json()).toMatchObject({ code: 403, reason: 'Forbidden' })
      const info = await h.fetch(json('/sessions?_action=getSessionInfo'), { method: 'POST', headers: { cookie, 'x-requested-with': 'app' } })
      expect(await info.json()).toMatchObject({ username: 'alice' })
      const out = await h.fetch(json('/sessions?_action=logout'), { method: 'POST', headers: { cookie, 'accept-api-version': 'resource=3.1' } })
      expect(await out.json()).toEqual({ result: 'Successfully logged out' })
    })
  })
})

describe('configured clients', () => {
  it('refuses a javascript: policy_uri at start, naming the field', () => {
    const config: ProviderConfig = {
      realms: [{ name: 'alpha', clients: [{ client_id: 'web', client_secret: 's3cret', redirect_uris: ['https://app.example/cb'], policy_uri: 'javascript:alert(1)' }] }],
    }
    expect(() => createProvider(config)).toThrow(ConfigError)
    expect(() => createProvider(config)).toThrow(/realms\[0\]\.clients\[0\]\.policy_uri/)
  })
})

describe('behind a proxy that ends TLS', () => {
  let running: RunningProvider
  beforeAll(async () => {
    running = await listen(createProvider({ ...CONFIG, origin: 'https://auth.example' }))
  })
  afterAll(() => running.close())

  it('sets the session cookie Secure when the configured origin is https, though the request came over plain HTTP', async () => {
    // Without Secure, the browser would send the session to any http:// URL of the host, readable on the wire.
    const res = await fetch(`${running.url}/json/realms/root/realms/alpha/authenticate`, {
      method: 'POST',
      headers: { 'x-openam-username': ALICE.username, 'x-openam-password': ALICE.password },
    })
    expect(res.status).toBe(200)
    expect(res.headers.getSetCookie()[0]).toMatch(/; Secure$/)
    const info = await fetch(`${running.url}/json/realms/root/realms/alpha/serverinfo/*`)
    expect(await info.json()).toMatchObject({ secureCookie: true })
  })
})

describe("the CLI's --dev-clock", () => {
  let h: Harness
  beforeAll(async () => {
    h = await startHarness('http', CONFIG)
  })
  afterAll(() => h.close())

  it('takes the clock only as application/json, so a page the developer visits cannot move it with a text/plain form', async () => {
    const plain = await fetch(`${h.origin}/__realmauth/clock`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{"advance":31536000}' })
    expect(plain.status).toBe(400)
    const clock = await fetch(`${h.origin}/__realmauth/clock`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"advance":0}' })
    expect(await clock.json()).toEqual({ offset_ms: 0 })
  })
})
