/**
 * JWT access tokens are not stored (decisions/0068): what the provider knows of one is in its
 * claims, and revocation is a deny-list of `jti`s plus grant tombstones. Everything a user
 * notices is checked over HTTP on loopback: a revoked token is inactive at introspection,
 * userinfo and tokeninfo; revoking its grant (a refresh token revoked, a rotated-out refresh
 * token replayed) kills every access token of the grant; SQLite keeps revocations over a
 * restart; a client-credentials token writes nothing to the store. The provider's clock is
 * injected; nothing waits on the wall clock.
 */
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { exportJWK, generateKeyPair } from 'jose'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { MemoryStore, createProvider, type ProviderConfig, type RecordKind, type Store, type StoredPayload } from '@realmauth/server'
import { listen, type RunningProvider } from '@realmauth/server/node'
import { SqliteStore } from '@realmauth/server/sqlite'
import { basic } from './harness.js'
import { claims } from './flows.js'

const USER = { username: 'alice', password: 'Alice-pw-1', name: 'Alice Liddell' }
const PW = { id: 'pw', secret: 'pw-secret' }
const RS = { id: 'rs', secret: 'rs-secret' }
/** Forty days: longer than a grant tombstone is kept (30 days), so such a token is stored. */
const LONG_LIFETIME_S = 40 * 86_400
const START_MS = Date.UTC(2026, 0, 1)
type Json = Record<string, unknown>

let keys: Json[]
beforeAll(async () => {
  // Fixed keys, so a restarted provider still verifies the tokens its predecessor signed.
  keys = []
  for (const [alg, kid] of [['RS256', 'rs'], ['ES256', 'es']] as const) {
    const { privateKey } = await generateKeyPair(alg, { extractable: true })
    keys.push({ ...(await exportJWK(privateKey)), alg, kid, use: 'sig' })
  }
})

function config(store: Store, clock: { now: number }): ProviderConfig {
  const grants = ['password', 'refresh_token', 'client_credentials']
  return {
    keys,
    store,
    clock: () => clock.now,
    realms: [
      {
        name: 'alpha',
        clients: [
          { client_id: PW.id, client_secret: PW.secret, grant_types: grants, scope: 'openid profile' },
          // Public: a rotated-out refresh token replayed revokes the grant (the default for public clients).
          { client_id: 'spa', token_endpoint_auth_method: 'none', grant_types: ['password', 'refresh_token'], scope: 'openid profile' },
          { client_id: 'pairwise', client_secret: 'pairwise-secret', grant_types: grants, scope: 'openid profile', subject_type: 'pairwise' },
          { client_id: 'long', client_secret: 'long-secret', grant_types: grants, scope: 'openid profile', access_token_lifetime: LONG_LIFETIME_S },
          // A resource server that introspects every client's tokens, as AM's scope allows.
          { client_id: RS.id, client_secret: RS.secret, grant_types: ['client_credentials'], scope: 'am-introspect-all-tokens' },
        ],
        users: [USER],
      },
    ],
  }
}

/** The MemoryStore, counting every call that writes. */
class CountingStore extends MemoryStore {
  writes: string[] = []
  override async upsert(kind: RecordKind, id: string, payload: StoredPayload, expiresAt: number) {
    this.writes.push(`upsert ${kind}`)
    return super.upsert(kind, id, payload, expiresAt)
  }
  override async insert(kind: RecordKind, id: string, payload: StoredPayload, expiresAt: number) {
    this.writes.push(`insert ${kind}`)
    return super.insert(kind, id, payload, expiresAt)
  }
  override async consume<P extends StoredPayload>(kind: RecordKind, id: string) {
    this.writes.push(`consume ${kind}`)
    return super.consume<P>(kind, id)
  }
  override async destroy(kind: RecordKind, id: string) {
    this.writes.push(`destroy ${kind}`)
    return super.destroy(kind, id)
  }
  override async revokeByGrantId(grantId: string) {
    this.writes.push('revokeByGrantId')
    return super.revokeByGrantId(grantId)
  }
  override async commit(tx: Parameters<Store['commit']>[0]) {
    this.writes.push(`commit ${tx.writes.map((w) => w.kind).join(' ')}`)
    return super.commit(tx)
  }
}

/** The provider over HTTP on a loopback port. */
class Running {
  private constructor(
    private readonly server: RunningProvider,
    readonly issuer: string,
  ) {}

  static async start(store: Store, clock: { now: number }): Promise<Running> {
    const provider = createProvider(config(store, clock))
    const server = await listen(provider, { port: 0, host: '127.0.0.1' })
    return new Running(server, provider.issuer('alpha', `http://127.0.0.1:${server.port}`))
  }

  async post(endpoint: string, fields: Record<string, string>, client?: { id: string; secret: string }): Promise<{ status: number; body: Json }> {
    const res = await fetch(`${this.issuer}/${endpoint}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...(client && { authorization: basic(client.id, client.secret) }) },
      body: new URLSearchParams(fields).toString(),
    })
    return { status: res.status, body: (await res.json()) as Json }
  }

  async signIn(client: { id: string; secret?: string } = PW): Promise<{ access: string; refresh: string }> {
    const fields = { grant_type: 'password', username: USER.username, password: USER.password, scope: 'openid profile' }
    const { status, body } = client.secret === undefined
      ? await this.post('access_token', { ...fields, client_id: client.id })
      : await this.post('access_token', fields, client as { id: string; secret: string })
    expect(status, JSON.stringify(body)).toBe(200)
    return { access: body.access_token as string, refresh: body.refresh_token as string }
  }

  /** Whether the token is active: introspection, userinfo and tokeninfo must all agree. */
  async active(token: string): Promise<boolean> {
    const introspected = (await this.post('introspect', { token }, RS)).body.active === true
    const userinfo = (await fetch(`${this.issuer}/userinfo`, { headers: { authorization: `Bearer ${token}` } })).status
    const tokeninfo = (await fetch(`${this.issuer}/tokeninfo?access_token=${encodeURIComponent(token)}`)).status
    expect({ userinfo, tokeninfo }, 'userinfo and tokeninfo agree with introspection').toEqual(
      introspected ? { userinfo: 200, tokeninfo: 200 } : { userinfo: 401, tokeninfo: 401 },
    )
    return introspected
  }

  close(): Promise<void> {
    return this.server.close()
  }
}

const running: Running[] = []
afterEach(async () => {
  for (const r of running.splice(0)) await r.close()
})

/** A store on the provider's clock. */
const counting = (clock: { now: number }) => new CountingStore({ now: () => clock.now })

async function start(clock = { now: START_MS }, store: Store = counting(clock)): Promise<Running> {
  const r = await Running.start(store, clock)
  running.push(r)
  return r
}

describe('access tokens that are not stored', () => {
  it('issues a client-credentials token without writing anything, and it is active where it is checked', async () => {
    const clock = { now: START_MS }
    const store = counting(clock)
    const provider = await start(clock, store)
    const { status, body } = await provider.post('access_token', { grant_type: 'client_credentials', scope: 'profile' }, PW)
    expect(status).toBe(200)
    expect(store.writes).toEqual([])
    const introspected = await provider.post('introspect', { token: body.access_token as string }, PW)
    expect(introspected.body).toMatchObject({ active: true, client_id: PW.id, scope: 'profile', sub: PW.id, grant_type: 'client_credentials' })
    expect(introspected.body).not.toHaveProperty('username')
    const info = await fetch(`${provider.issuer}/tokeninfo?access_token=${body.access_token as string}`)
    expect(await info.json()).toMatchObject({ client_id: PW.id, scope: ['profile'], grant_type: 'client_credentials' })
  })

  it('stores a user token only as its refresh token, and answers from its claims', async () => {
    const clock = { now: START_MS }
    const store = counting(clock)
    const provider = await start(clock, store)
    const { access } = await provider.signIn()
    expect(store.writes).toEqual(['commit RefreshToken'])
    const introspected = await provider.post('introspect', { token: access }, PW)
    expect(introspected.body).toMatchObject({ active: true, username: USER.username, sub: USER.username, scope: 'openid profile', token_type: 'Bearer' })
    const userinfo = await fetch(`${provider.issuer}/userinfo`, { headers: { authorization: `Bearer ${access}` } })
    expect(await userinfo.json()).toMatchObject({ sub: USER.username, name: USER.name })
  })

  it('makes a revoked access token inactive at introspection, userinfo and tokeninfo, and only that one', async () => {
    const provider = await start()
    const { access, refresh } = await provider.signIn()
    const next = await provider.post('access_token', { grant_type: 'refresh_token', refresh_token: refresh }, PW)
    expect(next.status, JSON.stringify(next.body)).toBe(200)
    expect(await provider.active(access)).toBe(true)

    expect((await provider.post('token/revoke', { token: access }, PW)).status).toBe(200)
    expect(await provider.active(access)).toBe(false)
    // Same grant, another token: still good; so is the grant's refresh token.
    expect(await provider.active(next.body.access_token as string)).toBe(true)
    expect((await provider.post('access_token', { grant_type: 'refresh_token', refresh_token: next.body.refresh_token as string }, PW)).status).toBe(200)
  })

  it('keeps a revoked jti only until the token expires', async () => {
    const clock = { now: START_MS }
    const store = counting(clock)
    const provider = await start(clock, store)
    const { access } = await provider.signIn()
    expect(await provider.post('token/revoke', { token: access }, PW)).toEqual({ status: 200, body: {} })
    const { jti, exp } = claims(access) as { jti: string; exp: number }
    expect(await store.find('RevokedAccessToken', jti)).toMatchObject({ expiresAt: exp * 1000 })
    clock.now = exp * 1000
    expect(await store.find('RevokedAccessToken', jti)).toBeUndefined()
  })

  it('makes every access token of a grant inactive when its refresh token is revoked', async () => {
    const provider = await start()
    const first = await provider.signIn()
    const second = await provider.post('access_token', { grant_type: 'refresh_token', refresh_token: first.refresh }, PW)
    const other = await provider.signIn()
    await provider.post('token/revoke', { token: second.body.refresh_token as string }, PW)
    expect(await provider.active(first.access)).toBe(false)
    expect(await provider.active(second.body.access_token as string)).toBe(false)
    // Another grant of the same user and client is untouched.
    expect(await provider.active(other.access)).toBe(true)
  })

  it('makes the grant\'s access tokens inactive when a rotated-out refresh token is replayed', async () => {
    const provider = await start()
    const spa = { id: 'spa' }
    const first = await provider.signIn(spa)
    const rotated = await provider.post('access_token', { grant_type: 'refresh_token', refresh_token: first.refresh, client_id: spa.id })
    expect(rotated.status).toBe(200)
    expect(await provider.active(rotated.body.access_token as string)).toBe(true)
    const replay = await provider.post('access_token', { grant_type: 'refresh_token', refresh_token: first.refresh, client_id: spa.id })
    expect(replay).toMatchObject({ status: 400, body: { error: 'invalid_grant' } })
    expect(await provider.active(first.access)).toBe(false)
    expect(await provider.active(rotated.body.access_token as string)).toBe(false)
  })

  it('stores the token of a pairwise client, whose sub does not name the user, and revokes it alike', async () => {
    const clock = { now: START_MS }
    const store = counting(clock)
    const provider = await start(clock, store)
    const client = { id: 'pairwise', secret: 'pairwise-secret' }
    const { access } = await provider.signIn(client)
    expect(store.writes).toEqual(['commit RefreshToken AccessToken'])
    const sub = claims(access).sub as string
    expect(sub).not.toBe(USER.username)
    const introspected = await provider.post('introspect', { token: access }, client)
    expect(introspected.body).toMatchObject({ active: true, username: USER.username, sub })
    const userinfo = await fetch(`${provider.issuer}/userinfo`, { headers: { authorization: `Bearer ${access}` } })
    expect(await userinfo.json()).toMatchObject({ sub, name: USER.name })
    await provider.post('token/revoke', { token: access }, client)
    expect(await provider.active(access)).toBe(false)
  })

  it('stores a token that outlives a grant tombstone, so revoking its grant holds after the tombstone is gone', async () => {
    const clock = { now: START_MS }
    const store = counting(clock)
    const provider = await start(clock, store)
    const client = { id: 'long', secret: 'long-secret' }
    const { access, refresh } = await provider.signIn(client)
    expect(store.writes).toEqual(['commit RefreshToken AccessToken'])
    await provider.post('token/revoke', { token: refresh }, client)
    expect(await provider.active(access)).toBe(false)
    // 31 days on: the tombstone has expired, the token has not, and it is still revoked.
    clock.now += 31 * 86_400_000
    expect(await store.find('Grant', claims(access).authGrantId as string)).toBeUndefined()
    expect(await provider.active(access)).toBe(false)
  })

  it('keeps revocations over a restart on the same SQLite file', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'realmauth-unstored-')), 'provider.db')
    const clock = { now: START_MS }
    const firstStore = new SqliteStore({ path, now: () => clock.now })
    const first = await start(clock, firstStore)
    const revoked = await first.signIn()
    const ofRevokedGrant = await first.signIn()
    const kept = await first.signIn()
    const cc = (await first.post('access_token', { grant_type: 'client_credentials' }, PW)).body.access_token as string
    await first.post('token/revoke', { token: revoked.access }, PW)
    await first.post('token/revoke', { token: ofRevokedGrant.refresh }, PW)
    await first.close()
    running.splice(0)
    firstStore.close()

    const secondStore = new SqliteStore({ path, now: () => clock.now })
    try {
      const second = await start(clock, secondStore)
      expect(await second.active(revoked.access)).toBe(false)
      expect(await second.active(ofRevokedGrant.access)).toBe(false)
      expect(await second.active(kept.access)).toBe(true)
      expect((await second.post('introspect', { token: cc }, PW)).body.active).toBe(true)
    } finally {
      for (const r of running.splice(0)) await r.close()
      secondStore.close()
    }
  })
})
