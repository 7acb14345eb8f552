/**
 * The CLI's store survives a restart: codes, refresh and access tokens, sessions, consents,
 * device codes, assertion `jti`s and the signing keys are all still there when a new process
 * starts on the same file. Runs the built packages/server/dist/cli.js, like cli.test.ts.
 */
import { createHash, randomBytes } from 'node:crypto'
import { existsSync, mkdtempSync, readdirSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { SignJWT, createLocalJWKSet, importJWK, jwtVerify } from 'jose'
import { describe, expect, it } from 'vitest'
import { startCli as start, type Cli } from './cliProcess.js'
import { DEMO } from '@realmauth/server'
import { SqliteStore } from '@realmauth/server/sqlite'
import { parseForm } from './harness.js'
import { claims, pkce } from './flows.js'

/** The CLI with the demo realm and a dev clock. */
const startCli = (args: string[], cwd: string): Promise<Cli> => start(['--dev-clock', ...args], cwd, /Demo user: .*\n/)

const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code'
type Json = Record<string, unknown>


const form = (fields: Record<string, string>, headers: Record<string, string> = {}): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
  body: new URLSearchParams(fields).toString(),
  redirect: 'manual',
})

async function json(res: Response): Promise<{ status: number; body: Json }> {
  return { status: res.status, body: (await res.json()) as Json }
}

/** AM's REST sign-in: the session cookie, as `name=value`. */
async function signIn(cli: Cli): Promise<string> {
  const res = await fetch(`${cli.origin}/json/realms/root/realms/alpha/authenticate`, {
    method: 'POST',
    headers: { 'x-openam-username': DEMO.user.username, 'x-openam-password': DEMO.user.password },
  })
  expect(res.status).toBe(200)
  return res.headers.getSetCookie()[0]!.split(';')[0]!
}

/**
 * `authorize` with a session cookie, for the demo SPA (implied consent) or the demo web app:
 * the code, and whether a consent page had to be allowed on the way. A sign-in page fails it.
 */
async function authorize(
  cli: Cli,
  cookie: string,
  client: { client_id: string; redirect_uri: string } = DEMO.spa,
): Promise<{ code: string; verifier: string; consented: boolean }> {
  const { verifier, challenge } = pkce()
  const query = new URLSearchParams({
    client_id: client.client_id,
    redirect_uri: client.redirect_uri,
    response_type: 'code',
    scope: 'openid profile email',
    state: 'st',
    nonce: 'n',
    code_challenge: challenge,
    code_challenge_method: 'S256',
  })
  let res = await fetch(`${cli.issuer}/authorize?${query}`, { headers: { cookie }, redirect: 'manual' })
  let consented = false
  if (res.status === 200) {
    const html = await res.text()
    expect(html, 'a consent page').toContain('id="allow"')
    const page = parseForm(html)
    // "Remember this decision" ticked: the consent is stored.
    res = await fetch(new URL(page.action, cli.origin), form({ ...page.fields, decision: 'allow', save_consent: 'on' }, { cookie }))
    consented = true
  }
  expect(res.status, await res.clone().text()).toBe(302)
  const location = new URL(res.headers.get('location')!)
  expect(location.origin + location.pathname).toBe(client.redirect_uri)
  return { code: location.searchParams.get('code')!, verifier, consented }
}

function exchange(cli: Cli, code: string, verifier: string) {
  return fetch(
    `${cli.issuer}/access_token`,
    form({ grant_type: 'authorization_code', code, code_verifier: verifier, client_id: DEMO.spa.client_id, redirect_uri: DEMO.spa.redirect_uri }),
  ).then(json)
}

function refresh(cli: Cli, token: string) {
  return fetch(`${cli.issuer}/access_token`, form({ grant_type: 'refresh_token', refresh_token: token, client_id: DEMO.spa.client_id })).then(json)
}

/** A `private_key_jwt` assertion of the demo JWT client with a fixed `jti`. */
async function assertion(cli: Cli, jti: string): Promise<string> {
  const key = await importJWK({ ...DEMO.jwt.privateJwk }, 'ES256')
  return new SignJWT({})
    .setProtectedHeader({ alg: 'ES256', kid: DEMO.jwt.privateJwk.kid })
    .setIssuer(DEMO.jwt.client_id)
    .setSubject(DEMO.jwt.client_id)
    .setAudience(`${cli.issuer}/access_token`)
    .setJti(jti)
    .setIssuedAt()
    .setExpirationTime('5m')
    .sign(key)
}

function clientCredentials(cli: Cli, jwt: string) {
  return fetch(
    `${cli.issuer}/access_token`,
    form({ grant_type: 'client_credentials', client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: jwt }),
  ).then(json)
}

async function jwks(cli: Cli): Promise<{ keys: Json[] }> {
  return (await fetch(`${cli.issuer}/connect/jwk_uri`)).json() as Promise<{ keys: Json[] }>
}

describe('a restarted CLI on the same --store file', () => {
  it('still honours every code, token, session, consent, device code and jti, and its keys', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'realmauth-restart-'))
    const store = join(dir, 'data', 'provider.db')

    // First process: sign in, get tokens, leave a code unexchanged, use a jti, start a device flow.
    const first = await startCli(['--store', store, '--port', '0'], dir)
    expect(first.stdout()).toContain(`Store: ${store}\n  signing keys: in the store, sealed with ${join(dir, 'data', 'provider.key-secret')}\n`)
    const cookie = await signIn(first)
    const one = await authorize(first, cookie)
    const tokens = await exchange(first, one.code, one.verifier)
    expect(tokens.status).toBe(200)
    const { refresh_token: refreshToken, id_token: idToken, access_token: accessToken } = tokens.body as Record<string, string>
    const two = await authorize(first, cookie)
    expect((await authorize(first, cookie, DEMO.web)).consented).toBe(true)
    const jti = `jti-${Date.now()}`
    expect((await clientCredentials(first, await assertion(first, jti))).status).toBe(200)
    const device = await json(await fetch(`${first.issuer}/device/code`, form({ client_id: DEMO.device.client_id, scope: 'openid profile' })))
    expect(device.status).toBe(200)
    const keysBefore = await jwks(first)
    expect(await first.stop()).toBe(0)

    // Second process, same file and port (so the issuer is the same).
    const second = await startCli(['--store', store, '--port', String(first.port)], dir)
    try {
      // Signing keys were reloaded: the same JWKS, and the old ID token verifies against it.
      const keysAfter = await jwks(second)
      expect(keysAfter).toEqual(keysBefore)
      const verified = await jwtVerify(idToken!, createLocalJWKSet(keysAfter as { keys: [] }), { issuer: second.issuer, audience: DEMO.spa.client_id })
      expect(verified.payload.sub).toBe(DEMO.user.username)

      // The access token is still accepted: its key was reloaded, and nothing revoked it.
      const info = await fetch(`${second.issuer}/userinfo`, { headers: { authorization: `Bearer ${accessToken!}` } })
      expect(info.status).toBe(200)
      expect(((await info.json()) as Json).sub).toBe(DEMO.user.username)

      // The refresh token refreshes, once (rotation and reuse detection kept their state).
      const refreshed = await refresh(second, refreshToken!)
      expect(refreshed.status, JSON.stringify(refreshed.body)).toBe(200)
      expect(claims(refreshed.body.id_token as string).sub).toBe(DEMO.user.username)
      expect((await refresh(second, refreshToken!)).body.error).toBe('invalid_grant')

      // The code issued before the restart exchanges; the one already exchanged does not.
      const late = await exchange(second, two.code, two.verifier)
      expect(late.status, JSON.stringify(late.body)).toBe(200)
      expect((await exchange(second, one.code, one.verifier)).body.error).toBe('invalid_grant')

      // The session cookie still signs the user in, and the web app's consent stays given:
      // straight back with a code.
      const three = await authorize(second, cookie)
      expect((await exchange(second, three.code, three.verifier)).status).toBe(200)
      expect(await authorize(second, cookie, DEMO.web)).toMatchObject({ code: expect.any(String), consented: false })

      // The jti used before is still refused; a fresh one works.
      const replay = await clientCredentials(second, await assertion(second, jti))
      expect(replay).toMatchObject({ status: 400, body: { error: 'invalid_client', error_description: expect.stringMatching(/already used/) } })
      expect((await clientCredentials(second, await assertion(second, `${jti}-2`))).status).toBe(200)

      // The device code started before the restart: found by its user code, approved, then polled.
      const userCode = device.body.user_code as string
      const confirm = await fetch(`${second.issuer}/device/user?user_code=${userCode}`, { headers: { cookie } })
      const html = await confirm.text()
      expect(confirm.status, html).toBe(200)
      const page = parseForm(html)
      const done = await fetch(new URL(page.action, second.origin), form({ ...page.fields, decision: 'allow' }, { cookie }))
      expect(await done.text()).toContain('Device connected')
      await fetch(`${second.origin}/__realmauth/clock`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"advance": 5}' })
      const polled = await json(await fetch(`${second.issuer}/access_token`, form({ grant_type: DEVICE_GRANT, device_code: device.body.device_code as string, client_id: DEMO.device.client_id })))
      expect(polled.status, JSON.stringify(polled.body)).toBe(200)
    } finally {
      expect(await second.stop()).toBe(0)
    }
  })

  it('honours a refresh token and a code stored before keys carried their time (decision 0077), and mints time-ordered ones', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'realmauth-upgrade-'))
    const store = join(dir, 'provider.db')
    const first = await startCli(['--store', store, '--port', '0'], dir)
    const cookie = await signIn(first)
    const one = await authorize(first, cookie)
    const tokens = await exchange(first, one.code, one.verifier)
    const two = await authorize(first, cookie)
    expect(await first.stop()).toBe(0)

    // Today's secrets: the time in ms (10 base32hex digits), then 256 random bits; stored under
    // that time and the SHA-256 of the whole secret, so a leaked file holds nothing to present.
    const refreshToken = tokens.body.refresh_token as string
    for (const secret of [refreshToken, two.code]) expect(secret).toMatch(/^[0-9a-v]{10}[\w-]{43}$/)
    const sha = (secret: string) => createHash('sha256').update(secret).digest('base64url')
    // Rows as the version before wrote them: a bare random secret, keyed by its SHA-256 alone.
    const rows = new SqliteStore({ path: store })
    const legacy: Record<string, string> = {}
    for (const [kind, secret] of [['RefreshToken', refreshToken], ['AuthorizationCode', two.code]] as const) {
      const key = secret.slice(0, 10) + sha(secret)
      const entry = await rows.find(kind, key)
      expect(entry, kind).toBeDefined()
      legacy[kind] = randomBytes(32).toString('base64url')
      await rows.upsert(kind, sha(legacy[kind]), entry!.payload, entry!.expiresAt)
      await rows.destroy(kind, key)
    }
    rows.close()

    const second = await startCli(['--store', store, '--port', String(first.port)], dir)
    try {
      expect((await refresh(second, refreshToken)).body.error, 'the row moved away').toBe('invalid_grant')
      const refreshed = await refresh(second, legacy.RefreshToken!)
      expect(refreshed.status, JSON.stringify(refreshed.body)).toBe(200)
      const next = refreshed.body.refresh_token as string
      expect(next).toMatch(/^[0-9a-v]{10}[\w-]{43}$/)
      // Made later, so it sorts after the token of the first process.
      expect(next > refreshToken).toBe(true)
      expect((await refresh(second, next)).status).toBe(200)
      expect((await exchange(second, two.code, two.verifier)).body.error).toBe('invalid_grant')
      const late = await exchange(second, legacy.AuthorizationCode!, two.verifier)
      expect(late.status, JSON.stringify(late.body)).toBe(200)
    } finally {
      expect(await second.stop()).toBe(0)
    }
  })

  it('defaults to .realmauth/provider.db in the working directory; :memory: writes nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'realmauth-default-'))
    const cli = await startCli(['--port', '0'], dir)
    expect(await cli.stop()).toBe(0)
    expect(cli.stdout()).toContain(`Store: ${join(dir, '.realmauth', 'provider.db')}\n`)
    expect(existsSync(join(dir, '.realmauth', 'provider.db'))).toBe(true)
    expect(statSync(join(dir, '.realmauth', 'provider.key-secret')).mode & 0o777).toBe(0o600)
    expect(statSync(join(dir, '.realmauth')).mode & 0o777).toBe(0o700)

    const empty = mkdtempSync(join(tmpdir(), 'realmauth-memory-'))
    const memory = await startCli(['--port', '0', '--store', ':memory:'], empty)
    expect(await memory.stop()).toBe(0)
    expect(memory.stdout()).toContain('Store: memory (nothing survives a restart)\n')
    expect(readdirSync(empty)).toEqual([])
  })
})
