/**
 * Signing keys kept in the store (decisions/0031): providers on one store publish the same
 * JWKS and sign with the same key, see each other's rotations within `key_refresh_seconds`
 * (or at once, for a token naming a kid they do not know), keep them across a restart, and
 * never write a private key in clear. A fake clock moves time; nothing sleeps.
 */
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { decodeProtectedHeader } from 'jose'
import { describe, expect, it } from 'vitest'
import { ConfigError, DEMO, MemoryStore, createProvider, demoConfig, keyStatuses, type Provider, type Store } from '@realmauth/server'
import { SqliteStore } from '@realmauth/server/sqlite'

const SECRET = 'correct horse battery staple'
const kidOf = (jwt: string) => decodeProtectedHeader(jwt).kid!
const kids = async (p: Provider) => (await p.jwks()).keys.map((k) => k.kid as string).sort()

function clock(start = Date.UTC(2026, 0, 1)) {
  const c = { now: start, tick: (s: number) => (c.now += s * 1000) }
  return c
}

function instance(store: Store, c: { now: number }, extra: Record<string, unknown> = {}): Provider {
  return createProvider({ ...demoConfig(), store, clock: () => c.now, key_encryption_secret: SECRET, ...extra })
}

async function clientCredentials(p: Provider): Promise<string> {
  const res = await p.fetch(
    new Request(`${p.issuer('alpha')}/access_token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: 'Basic ' + btoa(`${DEMO.m2m.client_id}:${DEMO.m2m.client_secret}`) },
      body: 'grant_type=client_credentials&scope=read',
    }),
  )
  expect(res.status).toBe(200)
  return ((await res.json()) as { access_token: string }).access_token
}

async function introspect(p: Provider, token: string): Promise<Record<string, unknown>> {
  const res = await p.fetch(
    new Request(`${p.issuer('alpha')}/introspect`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: 'Basic ' + btoa(`${DEMO.m2m.client_id}:${DEMO.m2m.client_secret}`) },
      body: new URLSearchParams({ token }).toString(),
    }),
  )
  return (await res.json()) as Record<string, unknown>
}

describe('signing keys in the store', () => {
  it('two instances starting together on an empty SQLite file end with one key set', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'realmauth-ring-')), 'p.db')
    const c = clock()
    const [a, b] = [instance(new SqliteStore({ path, now: () => c.now }), c), instance(new SqliteStore({ path, now: () => c.now }), c)]
    await Promise.all([a.ready, b.ready])
    expect(await kids(a)).toHaveLength(2)
    expect(await kids(b)).toEqual(await kids(a))
    expect(kidOf(await a.signJwt({ sub: 'x' }))).toBe(kidOf(await b.signJwt({ sub: 'x' })))

    // The private parts are sealed: the raw file holds no "d" of any key.
    const raw = readFileSync(path, 'latin1') + readFileSync(`${path}-wal`, 'latin1')
    expect(raw).toContain('"publicJwk"')
    expect(raw).not.toMatch(/"d"\s*:/)
  })

  it('a rotation on one instance is published by the other within key_refresh_seconds, and a token it signs verifies there at once', async () => {
    const c = clock()
    const store = new MemoryStore({ now: () => c.now })
    const a = instance(store, c)
    const b = instance(store, c)
    await Promise.all([a.ready, b.ready])
    const before = await kids(b)
    const rotated = await a.rotateSigningKey('RS256')
    // Unknown kid of its own issuer: b reads the store again rather than refuse the token.
    const token = await clientCredentials(a)
    expect(kidOf(token)).toBe(rotated)
    expect(await introspect(b, token)).toMatchObject({ active: true })

    const c2 = clock()
    const store2 = new MemoryStore({ now: () => c2.now })
    const d = instance(store2, c2)
    const e = instance(store2, c2)
    await Promise.all([d.ready, e.ready])
    const seen = await kids(e)
    await d.rotateSigningKey('ES256')
    expect(await kids(e)).toEqual(seen) // not yet: e read the store under 5 s ago
    c2.tick(5)
    expect(await kids(e)).toHaveLength(seen.length + 1)
    expect(before).not.toContain(rotated)
  })

  it('keeps rotated keys across a restart: an old token still verifies while it has time left', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'realmauth-ring-')), 'p.db')
    const c = clock()
    const first = new SqliteStore({ path, now: () => c.now })
    const a = instance(first, c)
    const old = await clientCredentials(a)
    const rotated = await a.rotateSigningKey('RS256')
    first.close()

    const b = instance(new SqliteStore({ path, now: () => c.now }), c)
    expect(kidOf(await b.signJwt({ sub: 'x' }))).toBe(rotated)
    c.tick(3598)
    expect(await introspect(b, old)).toMatchObject({ active: true })
  })

  it('keeps both rotations of two instances that rotate at once', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'realmauth-ring-')), 'p.db')
    const c = clock()
    const a = instance(new SqliteStore({ path, now: () => c.now }), c)
    const b = instance(new SqliteStore({ path, now: () => c.now }), c)
    await Promise.all([a.ready, b.ready])
    const [ra, rb] = await Promise.all([a.rotateSigningKey('RS256'), b.rotateSigningKey('RS256')])
    c.tick(5)
    expect(await kids(a)).toEqual(expect.arrayContaining([ra, rb]))
    expect(await kids(b)).toEqual(await kids(a))
    expect(kidOf(await a.signJwt({ sub: 'x' }))).toBe(kidOf(await b.signJwt({ sub: 'x' })))
  })

  it('refuses a store holding keys without the secret, or with another one, naming the setting', async () => {
    const c = clock()
    const store = new MemoryStore({ now: () => c.now })
    await instance(store, c).ready
    const without = createProvider({ ...demoConfig(), store, clock: () => c.now })
    await expect(without.ready).rejects.toThrow(ConfigError)
    await expect(without.ready).rejects.toMatchObject({ field: 'key_encryption_secret' })
    const wrong = instance(store, c, { key_encryption_secret: 'another secret of 16+ chars' })
    await expect(wrong.ready).rejects.toMatchObject({ field: 'key_encryption_secret' })
    expect(() => instance(store, c, { key_encryption_secret: 'short' })).toThrow(ConfigError)
  })

  it('rotates on schedule: the new key is published ahead, signs after, and the old one retires once its tokens expired', async () => {
    const c = clock()
    const store = new MemoryStore({ now: () => c.now })
    const schedule = { key_rotation_seconds: 86_400, key_publish_ahead_seconds: 60, key_refresh_seconds: 5 }
    const a = instance(store, c, schedule)
    const b = instance(store, c, schedule)
    await Promise.all([a.ready, b.ready])
    const first = kidOf(await a.signJwt({ sub: 'x' }))
    c.tick(86_400)
    const published = await kids(a)
    expect(published).toHaveLength(4)
    expect(await kids(b)).toEqual(published) // b read the ring a rotated: one rotation, not two
    expect(kidOf(await b.signJwt({ sub: 'x' }))).toBe(first) // published ahead, not signing yet
    c.tick(60)
    const second = kidOf(await a.signJwt({ sub: 'x' }))
    expect(second).not.toBe(first)
    expect(kidOf(await b.signJwt({ sub: 'x' }))).toBe(second)
    c.tick(8 * 3600 - 60) // a session's length (longer than any token here), less a minute
    expect(await kids(a)).toContain(first)
    c.tick(60 + 5) // and one refresh
    expect(await kids(a)).not.toContain(first)
    expect(await kids(b)).not.toContain(first)
  })
})

describe('keyStatuses', () => {
  const key = (kid: string, signsFrom: number) => ({ kid, alg: 'RS256' as const, publicJwk: {}, sealed: '', createdAt: 0, signsFrom })
  it('gives next, current, previous and retired from the times alone', () => {
    const keys = [key('a', 0), key('b', 100), key('c', 200)]
    expect(Object.fromEntries(keyStatuses(keys, 150, 60))).toEqual({ a: 'previous', b: 'current', c: 'next' })
    expect(Object.fromEntries(keyStatuses(keys, 160, 60))).toEqual({ a: 'retired', b: 'current', c: 'next' })
    expect(Object.fromEntries(keyStatuses(keys, 200, 60))).toEqual({ a: 'retired', b: 'previous', c: 'current' })
  })
})
