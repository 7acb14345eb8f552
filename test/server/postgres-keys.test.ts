/**
 * Two CLI instances on one PostgreSQL database, neither with configured keys, share the
 * signing keys kept (sealed) in the database: the same JWKS when started together, a
 * rotation by `realmauth-server keys rotate` picked up by both within their refresh period,
 * and after a restart of both a token of the rotated-out key still introspects active.
 */
import { execFile } from 'node:child_process'
import { createRequire } from 'node:module'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { decodeProtectedHeader } from 'jose'
import { describe, expect, it } from 'vitest'
import { DEMO } from '@realmauth/server'
import { CLI, startCli, type Cli } from './cliProcess.js'
import { pgUrl } from '../support/postgres.js'

/** A database of its own: other tests share theirs without a secret, and would rightly refuse a ring. */
const PG_URL = (() => {
  const url = new URL(pgUrl())
  url.pathname = `${url.pathname}_signing_keys`
  return url.href
})()
type PgClient = { connect(): Promise<void>; query(sql: string): Promise<unknown>; end(): Promise<void> }
const pgClient = (url: string) => new (createRequire(import.meta.url)('pg') as { Client: new (url: string) => PgClient }).Client(url)
const SECRET = 'postgres-keys-test-secret'
const AUTH = 'Basic ' + btoa(`${DEMO.m2m.client_id}:${DEMO.m2m.client_secret}`)

async function withSecret<T>(run: () => Promise<T>): Promise<T> {
  const before = process.env.REALMAUTH_KEY_SECRET
  process.env.REALMAUTH_KEY_SECRET = SECRET
  try {
    return await run()
  } finally {
    if (before === undefined) delete process.env.REALMAUTH_KEY_SECRET
    else process.env.REALMAUTH_KEY_SECRET = before
  }
}

const start = (dir: string) => withSecret(() => startCli(['--store', PG_URL, '--port', '0', '--dev-clock'], dir, /signing keys: .*\n/))
const kids = async (cli: Cli) => ((await (await fetch(`${cli.issuer}/connect/jwk_uri`)).json()) as { keys: { kid: string }[] }).keys.map((k) => k.kid).sort()

async function token(cli: Cli): Promise<string> {
  const res = await fetch(`${cli.issuer}/access_token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: AUTH }, body: 'grant_type=client_credentials&scope=read' })
  expect(res.status).toBe(200)
  return ((await res.json()) as { access_token: string }).access_token
}

async function active(cli: Cli, t: string): Promise<unknown> {
  const res = await fetch(`${cli.issuer}/introspect`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: AUTH }, body: new URLSearchParams({ token: t }).toString() })
  return ((await res.json()) as { active: unknown }).active
}

/**
 * Moves each instance's clock (--dev-clock) past its key refresh period (5 s), so its next
 * request reads the key ring in PostgreSQL again: what it would do 5 s later, without waiting.
 */
async function pastRefreshPeriod(...clis: Cli[]): Promise<void> {
  for (const cli of clis) {
    const res = await fetch(`${cli.origin}/__realmauth/clock`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"advance":6}' })
    expect(res.status).toBe(200)
  }
}

/** Creates the database when missing and empties its key ring, so each run starts without keys. */
async function freshDatabase(): Promise<void> {
  const admin = pgClient(pgUrl())
  await admin.connect()
  await admin.query(`CREATE DATABASE "${decodeURIComponent(new URL(PG_URL).pathname.slice(1))}"`).catch((error: { code?: string }) => {
    if (error.code !== '42P04') throw error // already there
  })
  await admin.end()
  const pg = pgClient(PG_URL)
  await pg.connect()
  await pg.query("DELETE FROM realmauth_entries WHERE kind = 'SigningKeys'").catch(() => {}) // no table yet
  await pg.end()
}

describe('signing keys shared through PostgreSQL', () => {
  it('two instances publish one JWKS, follow a CLI rotation, and keep the old key across a restart', async () => {
    await freshDatabase()
    const dir = mkdtempSync(join(tmpdir(), 'realmauth-pgkeys-'))
    let [a, b] = await Promise.all([start(dir), start(dir)])
    let old: string
    try {
      expect(await kids(a)).toHaveLength(2)
      expect(await kids(b)).toEqual(await kids(a))
      old = await token(b)

      const { stdout } = await withSecret(() => promisify(execFile)(process.execPath, [CLI, 'keys', 'rotate', '--alg', 'RS256', '--ahead', '0', '--store', PG_URL]))
      const rotated = stdout.split(/\s+/)[0]!
      await pastRefreshPeriod(a, b)
      expect(await kids(a)).toContain(rotated)
      expect(await kids(b)).toContain(rotated)
      expect(decodeProtectedHeader(await token(b)).kid).toBe(rotated)
      expect(decodeProtectedHeader(await token(a)).kid).toBe(rotated)
      const listed = await withSecret(() => promisify(execFile)(process.execPath, [CLI, 'keys', 'list', '--store', PG_URL]))
      expect(listed.stdout).toMatch(new RegExp(`${rotated}  RS256  current`))
    } finally {
      await Promise.all([a.stop(), b.stop()])
    }
    ;[a, b] = await Promise.all([start(dir), start(dir)])
    try {
      expect(await active(a, old)).toBe(true)
      expect(await active(b, old)).toBe(true)
    } finally {
      await Promise.all([a.stop(), b.stop()])
    }
  })
})
