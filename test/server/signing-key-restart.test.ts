/**
 * Signing keys rotated or retired at runtime survive a restart: the provider writes the
 * change to the store's key ring (private parts sealed under the secret generated beside the
 * SQLite file, mode 0600) before the new key signs, and a restarted CLI on the same store
 * publishes the same keys and signs with the new one (decisions/0031).
 * The CLI tests run the built packages/server/dist/cli.js, like restart.test.ts.
 */
import { generateKeyPairSync } from 'node:crypto'
import { mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from 'jose'
import { describe, expect, it } from 'vitest'
import { execFile, spawn } from 'node:child_process'
import { promisify } from 'node:util'
import { CLI, startCli as start, type Cli } from './cliProcess.js'
import { DEMO, MemoryStore, createProvider, demoConfig } from '@realmauth/server'

/** The CLI with runtime key rotation (`--dev-keys`). */
const startCli = (args: string[], cwd: string): Promise<Cli> => start(['--dev-keys', ...args], cwd)



async function devKeys(cli: Cli, body: { rotate: string } | { retire: string }): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${cli.origin}/__realmauth/keys`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
  return { status: res.status, body: (await res.json()) as Record<string, unknown> }
}

/** A client-credentials access token of the demo M2M client: an RFC 9068 JWT the provider signed. */
async function accessToken(cli: Cli): Promise<string> {
  const res = await fetch(`${cli.issuer}/access_token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: 'Basic ' + btoa(`${DEMO.m2m.client_id}:${DEMO.m2m.client_secret}`) },
    body: 'grant_type=client_credentials&scope=read',
  })
  expect(res.status).toBe(200)
  return ((await res.json()) as { access_token: string }).access_token
}

async function jwks(cli: Cli): Promise<JSONWebKeySet> {
  return (await fetch(`${cli.issuer}/connect/jwk_uri`)).json() as Promise<JSONWebKeySet>
}

/** Verifies `token` against the JWKS the provider publishes now, as a resource server would. */
async function verifies(cli: Cli, token: string): Promise<boolean> {
  return jwtVerify(token, createLocalJWKSet(await jwks(cli)), { issuer: cli.issuer }).then(
    () => true,
    () => false,
  )
}

const kidOf = (jwt: string) => decodeProtectedHeader(jwt).kid
const secretFile = (dir: string) => join(dir, '.realmauth', 'provider.key-secret')
/** The store file as bytes on disk (WAL included): what a copy of it would give away. */
const rawStore = (dir: string) =>
  readdirSync(join(dir, '.realmauth'))
    .filter((f) => f.startsWith('provider.db'))
    .map((f) => readFileSync(join(dir, '.realmauth', f), 'latin1'))
    .join('')

describe('signing keys rotated on a running CLI (default store)', () => {
  it('survive a restart: both keys still verify, the new one signs, and a retirement sticks too', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'realmauth-keys-'))
    const first = await startCli(['--port', '0'], dir)
    let oldToken: string, newToken: string, oldKid: string, rsKid: string, esKid: string, publishedBefore: string[]
    try {
      oldToken = await accessToken(first)
      oldKid = kidOf(oldToken)!
      const rotated = await devKeys(first, { rotate: 'RS256' })
      expect(rotated.status).toBe(200)
      rsKid = rotated.body.kid as string
      esKid = (await devKeys(first, { rotate: 'ES256' })).body.kid as string
      newToken = await accessToken(first)
      expect(kidOf(newToken)).toBe(rsKid)
      expect(rsKid).not.toBe(oldKid)

      // Written to the store at once, sealed: its kid is there, no private "d" in clear; the
      // secret is private, and no temporary file is left beside it.
      expect(rawStore(dir)).toContain(rsKid)
      expect(rawStore(dir)).not.toMatch(/"d"\s*:/)
      expect(statSync(secretFile(dir)).mode & 0o777).toBe(0o600)
      expect(readdirSync(join(dir, '.realmauth')).filter((f) => f.endsWith('.tmp'))).toEqual([])
      publishedBefore = (await jwks(first)).keys.map((k) => k.kid!).sort()
      expect(publishedBefore).toHaveLength(4)
    } finally {
      expect(await first.stop()).toBe(0)
    }

    // Same directory and port, so the same store, key file and issuer.
    const second = await startCli(['--port', String(first.port)], dir)
    try {
      expect((await jwks(second)).keys.map((k) => k.kid).sort()).toEqual(publishedBefore)
      expect(await verifies(second, oldToken)).toBe(true)
      expect(await verifies(second, newToken)).toBe(true)
      const after = await accessToken(second)
      expect(kidOf(after)).toBe(rsKid)
      expect(await verifies(second, after)).toBe(true)

      // Retiring the old key is written back too.
      expect(await devKeys(second, { retire: oldKid })).toEqual({ status: 200, body: { retired: true } })
      expect(await devKeys(second, { retire: rsKid })).toEqual({ status: 200, body: { retired: false } }) // it signs
    } finally {
      expect(await second.stop()).toBe(0)
    }

    const third = await startCli(['--port', String(first.port)], dir)
    try {
      expect((await jwks(third)).keys.map((k) => k.kid)).not.toContain(oldKid)
      expect(await verifies(third, oldToken)).toBe(false)
      expect(await verifies(third, newToken)).toBe(true)
      expect(kidOf(await accessToken(third))).toBe(rsKid)
    } finally {
      expect(await third.stop()).toBe(0)
    }
  })

  it('refuses to rotate a configured key (a restart would undo it) and persists the algorithm the store supplies', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'realmauth-keys-config-'))
    const rsa = { ...generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' }), alg: 'RS256', kid: 'configured-rs256' }
    const config = demoConfig()
    config.realms[0]!.access_token_signing_alg = 'ES256'
    config.keys = [rsa]
    writeFileSync(join(dir, 'realm.json'), JSON.stringify(config))
    const first = await startCli(['--config', 'realm.json', '--port', '0'], dir)
    let esKid: string
    try {
      const refused = await devKeys(first, { rotate: 'RS256' })
      expect(refused.status).toBe(409)
      expect(refused.body.error_description).toMatch(/configur/)
      expect((await jwks(first)).keys.filter((k) => k.kty === 'RSA').map((k) => k.kid)).toEqual(['configured-rs256'])
      // The configured key is never written to the store.
      expect(rawStore(dir)).not.toContain('configured-rs256')

      esKid = (await devKeys(first, { rotate: 'ES256' })).body.kid as string
      expect(kidOf(await accessToken(first))).toBe(esKid)
      expect(rawStore(dir)).toContain(esKid)
      expect(await devKeys(first, { rotate: 'HS256' })).toMatchObject({ status: 400 })
    } finally {
      expect(await first.stop()).toBe(0)
    }
    const second = await startCli(['--config', 'realm.json', '--port', String(first.port)], dir)
    try {
      expect(kidOf(await accessToken(second))).toBe(esKid)
    } finally {
      expect(await second.stop()).toBe(0)
    }
  })

  it('without --dev-keys nobody can rotate', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'realmauth-keys-off-'))
    const env = { ...process.env }
    delete env.PORT
    const child = spawn(process.execPath, [CLI, '--host', '127.0.0.1', '--port', '0', '--store', ':memory:'], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] })
    const port = await new Promise<string>((resolve) => {
      let out = ''
      child.stdout!.on('data', (c: Buffer) => {
        out += c.toString()
        const m = /listening on http:\/\/localhost:(\d+)/.exec(out)
        if (m) resolve(m[1]!)
      })
    })
    try {
      const res = await fetch(`http://127.0.0.1:${port}/__realmauth/keys`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"rotate":"RS256"}' })
      expect(res.status).toBe(404)
    } finally {
      child.kill('SIGTERM')
      await new Promise((resolve) => child.once('close', resolve))
    }
  })
})

describe('two CLI processes on one SQLite file', () => {
  it('keep both processes\' rotations, and see a retirement by `realmauth-server keys retire` within the refresh period', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'realmauth-keys-two-'))
    // One after the other: starting together is covered in process (signing-keys.test.ts) and over PostgreSQL.
    const a = await startCli(['--port', '0', '--dev-clock'], dir)
    const b = await startCli(['--port', '0', '--dev-clock'], dir)
    try {
      expect((await jwks(a)).keys.map((k) => k.kid).sort()).toEqual((await jwks(b)).keys.map((k) => k.kid).sort())
      const ra = (await devKeys(a, { rotate: 'RS256' })).body.kid as string
      const rb = (await devKeys(b, { rotate: 'RS256' })).body.kid as string
      const both = async (cli: Cli) => {
        const kids = (await jwks(cli)).keys.map((k) => k.kid)
        return kids.includes(ra) && kids.includes(rb)
      }
      await pastRefreshPeriod(a, b)
      expect(await both(a)).toBe(true)
      expect(await both(b)).toBe(true)
      // b rotated last: its key signs on both.
      expect(kidOf(await accessToken(a))).toBe(rb)
      expect(kidOf(await accessToken(b))).toBe(rb)

      const run = promisify(execFile)
      await expect(run(process.execPath, [CLI, 'keys', 'retire', rb, '--store', join(dir, '.realmauth', 'provider.db')])).rejects.toThrow(/signing now/)
      // A base64url kid may start with '-': it is a kid, not an option.
      await expect(run(process.execPath, [CLI, 'keys', 'retire', '-no-such-kid', '--store', join(dir, '.realmauth', 'provider.db')])).rejects.toThrow(/-no-such-kid is not a key that can be retired/)
      const { stdout } = await run(process.execPath, [CLI, 'keys', 'retire', ra, '--store', join(dir, '.realmauth', 'provider.db')])
      expect(stdout).toBe(`${ra} retired\n`)
      await pastRefreshPeriod(a, b)
      expect((await jwks(a)).keys.map((k) => k.kid)).not.toContain(ra)
      expect((await jwks(b)).keys.map((k) => k.kid)).not.toContain(ra)
    } finally {
      await Promise.all([a.stop(), b.stop()])
    }
  })
})

/**
 * Moves each instance's clock (--dev-clock) past its key refresh period (5 s), so its next
 * request reads the store's key ring again: what an instance would do 5 s later, without waiting.
 */
async function pastRefreshPeriod(...clis: Cli[]): Promise<void> {
  for (const cli of clis) {
    const res = await fetch(`${cli.origin}/__realmauth/clock`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"advance":6}' })
    expect(res.status).toBe(200)
  }
}

describe('a rotation the store cannot keep', () => {
  it('changes nothing: the old key goes on signing', async () => {
    let full = false
    class FullStore extends MemoryStore {
      override async commit(tx: Parameters<MemoryStore['commit']>[0]) {
        if (full) throw new Error('disk full')
        return super.commit(tx)
      }
    }
    const provider = createProvider({ ...demoConfig(), store: new FullStore(), key_encryption_secret: 'a secret of sixteen characters' })
    const before = await provider.jwks()
    const kid = kidOf(await provider.signJwt({ sub: 'x' }))
    full = true
    await expect(provider.rotateSigningKey('RS256')).rejects.toThrow('disk full')
    expect(await provider.jwks()).toEqual(before)
    expect(kidOf(await provider.signJwt({ sub: 'x' }))).toBe(kid)
  })
})
