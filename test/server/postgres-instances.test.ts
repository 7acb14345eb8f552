/**
 * Several provider processes behind one address: two CLI instances on two ports over one
 * PostgreSQL database (PostgresStore) act as one provider. A refresh token rotated on one is
 * refused on the other, and of concurrent refreshes of one token spread over both exactly
 * one wins; an access token revoked on one is inactive on the other. Runs the built
 * packages/server/dist/cli.js; the server at REALMAUTH_PG_URL (test/support/postgres.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { exportJWK, generateKeyPair } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ProviderConfig } from '@realmauth/server'
import { basic } from './harness.js'
import { pgUrl } from '../support/postgres.js'

const CLI = fileURLToPath(new URL('../../packages/server/dist/cli.js', import.meta.url))
const PG_URL = pgUrl()
const USER = { username: 'alice', password: 'Alice-pw-1' }
const SCOPE = 'openid profile'
const AUTH = basic('pw', 'pw-secret')
type Json = Record<string, unknown>

interface Instance {
  origin: string
  stop(): Promise<unknown>
}

/** Starts the CLI on a free port over the database; resolves once it listens. */
function startInstance(configFile: string, url: string): Promise<Instance> {
  const env = { ...process.env }
  delete env.PORT
  const child: ChildProcess = spawn(process.execPath, [CLI, '--config', configFile, '--store', url, '--port', '0', '--host', '127.0.0.1'], { env, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  let err = ''
  const exit = new Promise((resolve) => child.once('close', (code, signal) => resolve(code ?? signal)))
  return new Promise((resolve, reject) => {
    child.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString()))
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString()
      // The whole banner, store line included: the store is open once it is printed.
      const m = /listening on http:\/\/localhost:(\d+)\n[\s\S]*Store: PostgreSQL .*\n.*\n/.exec(out)
      if (m) resolve({ origin: `http://127.0.0.1:${m[1]}`, stop: () => (child.kill('SIGTERM'), exit) })
    })
    void exit.then((code) => reject(new Error(`CLI exited with ${String(code)}: ${err}`)))
  })
}

async function token(instance: Instance, fields: Record<string, string>): Promise<{ status: number; body: Json }> {
  const res = await fetch(`${instance.origin}/oauth2/realms/root/realms/alpha/access_token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: AUTH },
    body: new URLSearchParams(fields).toString(),
  })
  return { status: res.status, body: (await res.json()) as Json }
}

async function passwordRefreshToken(instance: Instance): Promise<string> {
  const { status, body } = await token(instance, { grant_type: 'password', username: USER.username, password: USER.password, scope: SCOPE })
  expect(status).toBe(200)
  expect(body.refresh_token).toEqual(expect.any(String))
  return body.refresh_token as string
}

/** The same private keys for every instance: they are not kept in the database. */
async function sharedKeys() {
  const keys = []
  for (const [alg, kid] of [['RS256', 'shared-rs'], ['ES256', 'shared-es']] as const) {
    const { privateKey } = await generateKeyPair(alg, { extractable: true })
    keys.push({ ...(await exportJWK(privateKey)), alg, kid, use: 'sig' })
  }
  return keys
}

describe('two provider instances over one PostgreSQL database', () => {
  let a: Instance
  let b: Instance

  beforeAll(async () => {
    const config: ProviderConfig = {
      keys: await sharedKeys(),
      realms: [
        {
          name: 'alpha',
          // A losing refresh must not revoke the grant (and with it the winner's new token).
          refresh_token_reuse_detection: 'none',
          clients: [{ client_id: 'pw', client_secret: 'pw-secret', grant_types: ['password', 'refresh_token'], scope: SCOPE }],
          users: [{ ...USER, name: 'Alice Liddell' }],
        },
      ],
    }
    const file = join(mkdtempSync(join(tmpdir(), 'realmauth-pg-')), 'config.json')
    writeFileSync(file, JSON.stringify(config))
    // Both at once: creating the table is safe against a concurrent start.
    ;[a, b] = await Promise.all([startInstance(file, PG_URL), startInstance(file, PG_URL)])
  })

  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()])
  })

  it('refuses on one instance a refresh token rotated on the other', async () => {
    const old = await passwordRefreshToken(a)
    const rotated = await token(a, { grant_type: 'refresh_token', refresh_token: old })
    expect(rotated.status).toBe(200)
    expect(rotated.body.refresh_token).toEqual(expect.any(String))
    expect(rotated.body.refresh_token).not.toBe(old)

    const replayed = await token(b, { grant_type: 'refresh_token', refresh_token: old })
    expect(replayed.status).toBe(400)
    expect(replayed.body.error).toBe('invalid_grant')
    // The new one works on the other instance: it is one provider.
    const onB = await token(b, { grant_type: 'refresh_token', refresh_token: rotated.body.refresh_token as string })
    expect(onB.status).toBe(200)
  })

  it('answers an access token revoked on one instance as inactive on the other, and so for a revoked grant', async () => {
    const active = async (instance: Instance, accessToken: string) => {
      const res = await fetch(`${instance.origin}/oauth2/realms/root/realms/alpha/introspect`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: AUTH },
        body: new URLSearchParams({ token: accessToken }).toString(),
      })
      const userinfo = await fetch(`${instance.origin}/oauth2/realms/root/realms/alpha/userinfo`, { headers: { authorization: `Bearer ${accessToken}` } })
      const { active } = (await res.json()) as { active: boolean }
      expect(userinfo.status).toBe(active ? 200 : 401)
      return active
    }
    const signIn = () => token(a, { grant_type: 'password', username: USER.username, password: USER.password, scope: SCOPE })
    const [one, two] = [(await signIn()).body, (await signIn()).body]
    expect(await active(b, one.access_token as string)).toBe(true)

    // Access tokens are not stored (decisions/0068): the jti revoked on A is on B's deny-list too.
    const revoke = (instance: Instance, value: string) =>
      fetch(`${instance.origin}/oauth2/realms/root/realms/alpha/token/revoke`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: AUTH },
        body: new URLSearchParams({ token: value }).toString(),
      })
    expect((await revoke(a, one.access_token as string)).status).toBe(200)
    expect(await active(b, one.access_token as string)).toBe(false)
    expect(await active(b, two.access_token as string)).toBe(true)

    // The grant revoked on B (its refresh token): its access token is inactive on A.
    expect((await revoke(b, two.refresh_token as string)).status).toBe(200)
    expect(await active(a, two.access_token as string)).toBe(false)
  })

  it('lets exactly one of 20 concurrent refreshes of one token, split over both instances, win', async () => {
    const refreshToken = await passwordRefreshToken(b)
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => token(i % 2 === 0 ? a : b, { grant_type: 'refresh_token', refresh_token: refreshToken })),
    )
    const winners = results.filter((r) => r.status === 200)
    expect(winners).toHaveLength(1)
    for (const r of results.filter((r) => r.status !== 200)) expect(r).toMatchObject({ status: 400, body: { error: 'invalid_grant' } })
    // The winner's new token still works (reuse detection is off, so the losers revoked nothing).
    const next = await token(a, { grant_type: 'refresh_token', refresh_token: winners[0]!.body.refresh_token as string })
    expect(next.status).toBe(200)
  })
})
