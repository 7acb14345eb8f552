/**
 * The behaviour every {@link Store} must have, as one suite: each implementation runs it with
 * one line in store.test.ts. `makeStore` gets the clock the tests move; a store with a
 * `close()` is closed after each test.
 *
 * @example
 * ```ts
 * storeContract('PostgreSQL', (now) => new PostgresStore({ url, now }))
 * ```
 */
import { afterEach, describe, expect, it } from 'vitest'
import type { RecordKind, Store } from '@realmauth/server'

export type StoreFactory = (now: () => number) => Store | Promise<Store>

const START = 1_000_000_000_000

/** Runs a change of something a store handed out; a frozen value refuses it with a TypeError. */
function attempt(change: () => unknown): void {
  try {
    change()
  } catch (error) {
    if (!(error instanceof TypeError)) throw error
  }
}

export function storeContract(name: string, makeStore: StoreFactory): void {
  describe(`Store contract: ${name}`, () => {
    const opened: Store[] = []
    afterEach(async () => {
      for (const store of opened.splice(0)) await (store as Store & { close?: () => unknown }).close?.()
    })

    /** A store on a clock the test moves. */
    async function storeAt(start = START) {
      const clock = { now: start }
      const store = await makeStore(() => clock.now)
      opened.push(store)
      return { store, clock }
    }

    it('finds what it stored, which no caller can change', async () => {
      const { store, clock } = await storeAt()
      const payload = { grantId: 'g1', scope: ['openid'] }
      await store.upsert('AccessToken', 'a', payload, clock.now + 1000)
      payload.scope.push('admin')
      const found = await store.find<{ scope: string[] }>('AccessToken', 'a')
      expect(found).toEqual({ payload: { grantId: 'g1', scope: ['openid'] }, expiresAt: clock.now + 1000, consumed: false })
      // A payload read is a copy (SQL stores) or frozen (MemoryStore): a change does not reach the store.
      attempt(() => found!.payload.scope.push('admin'))
      expect((await store.find<{ scope: string[] }>('AccessToken', 'a'))!.payload.scope).toEqual(['openid'])
      // So is what consume and findByUserCode return.
      const consumed = await store.consume<{ scope: string[] }>('AccessToken', 'a')
      attempt(() => consumed!.payload.scope.push('admin'))
      expect((await store.find<{ scope: string[] }>('AccessToken', 'a'))!.payload.scope).toEqual(['openid'])
      // Kinds are separate namespaces.
      expect(await store.find('RefreshToken', 'a')).toBeUndefined()
      expect(await store.find('AccessToken', 'missing')).toBeUndefined()
    })

    it('keeps every JSON value of a payload, and ids and expiries exactly', async () => {
      const { store, clock } = await storeAt()
      const payload = {
        grantId: 'g',
        text: 'ünïcödé \u2028 "quoted" \\ 🔑',
        n: -1.5,
        big: Number.MAX_SAFE_INTEGER,
        yes: true,
        no: false,
        nothing: null,
        list: [1, 'two', { three: [3] }],
        nested: { deep: { deeper: { deepest: 'x' } } },
      }
      const id = 'q8Xv-_0~!*() \u00e9/%'
      await store.upsert('Grant', id, payload, clock.now + 1000.5)
      expect(await store.find('Grant', id)).toEqual({ payload, expiresAt: clock.now + 1000.5, consumed: false })
      // A refresh token that never expires (lifetime -1) is stored with a far expiry.
      await store.upsert('RefreshToken', 'forever', { grantId: 'g' }, 8.64e15)
      expect((await store.find('RefreshToken', 'forever'))!.expiresAt).toBe(8.64e15)
    })

    it('lets exactly one of 1000 concurrent consume calls win', async () => {
      const { store, clock } = await storeAt()
      await store.upsert('AuthorizationCode', 'code', { grantId: 'g' }, clock.now + 60_000)
      const results = await Promise.all(Array.from({ length: 1000 }, () => store.consume('AuthorizationCode', 'code')))
      expect(results.filter((r) => r !== undefined)).toHaveLength(1000)
      expect(results.filter((r) => r!.consumed === false)).toHaveLength(1)
      for (const r of results) expect(r).toMatchObject({ payload: { grantId: 'g' }, expiresAt: clock.now + 60_000 })
      // A consumed entry is still found, marked consumed (so a reuse can be detected).
      expect((await store.find('AuthorizationCode', 'code'))!.consumed).toBe(true)
      expect(await store.consume('AuthorizationCode', 'missing')).toBeUndefined()
    })

    it('lets exactly one consume win per id when many ids are consumed at once', async () => {
      const { store, clock } = await storeAt()
      const ids = Array.from({ length: 50 }, (_, i) => `rt-${i}`)
      for (const id of ids) await store.upsert('RefreshToken', id, { grantId: id }, clock.now + 60_000)
      const calls = ids.flatMap((id) => Array.from({ length: 20 }, () => store.consume('RefreshToken', id).then((r) => [id, r] as const)))
      const winners = new Map<string, number>()
      for (const [id, r] of await Promise.all(calls)) if (r && !r.consumed) winners.set(id, (winners.get(id) ?? 0) + 1)
      expect([...winners.values()]).toEqual(ids.map(() => 1))
    })

    it('lets exactly one of 1000 concurrent insert calls win', async () => {
      const { store, clock } = await storeAt()
      const results = await Promise.all(
        Array.from({ length: 1000 }, (_, i) => store.insert('ReplayDetection', 'jti-1', { n: i }, clock.now + 60_000)),
      )
      expect(results.filter(Boolean)).toHaveLength(1)
      const winner = results.indexOf(true)
      expect(await store.find('ReplayDetection', 'jti-1')).toEqual({ payload: { n: winner }, expiresAt: clock.now + 60_000, consumed: false })
    })

    it('insert refuses while an entry is live, consumed or not, and succeeds again once it has expired', async () => {
      const { store, clock } = await storeAt()
      expect(await store.insert('ReplayDetection', 'jti', { n: 1 }, clock.now + 1000)).toBe(true)
      expect(await store.insert('ReplayDetection', 'jti', { n: 2 }, clock.now + 5000)).toBe(false)
      expect(await store.find('ReplayDetection', 'jti')).toEqual({ payload: { n: 1 }, expiresAt: clock.now + 1000, consumed: false })
      await store.consume('ReplayDetection', 'jti')
      expect(await store.insert('ReplayDetection', 'jti', { n: 3 }, clock.now + 1000)).toBe(false)
      clock.now += 1000
      // Expired (though perhaps not yet swept): the new entry replaces it and starts unconsumed.
      expect(await store.insert('ReplayDetection', 'jti', { n: 4 }, clock.now + 1000)).toBe(true)
      expect(await store.find('ReplayDetection', 'jti')).toEqual({ payload: { n: 4 }, expiresAt: clock.now + 1000, consumed: false })
      // An upserted entry counts as live too.
      await store.upsert('Interaction', 'i', {}, clock.now + 1000)
      expect(await store.insert('Interaction', 'i', {}, clock.now + 1000)).toBe(false)
      expect(await store.insert('Consent', 'i', {}, clock.now + 1000)).toBe(true)
    })

    it('stops returning entries at their expiry, by the injected clock', async () => {
      const { store, clock } = await storeAt()
      await store.upsert('Session', 's', { username: 'demo' }, clock.now + 5000)
      await store.upsert('DeviceCode', 'd', { userCode: 'WDJBMJHT' }, clock.now + 5000)
      clock.now += 4999
      expect(await store.find('Session', 's')).toBeDefined()
      expect(await store.consume('Session', 's')).toBeDefined()
      expect(await store.findByUserCode('WDJBMJHT')).toBeDefined()
      clock.now += 1
      expect(await store.find('Session', 's')).toBeUndefined()
      expect(await store.consume('Session', 's')).toBeUndefined()
      expect(await store.findByUserCode('WDJBMJHT')).toBeUndefined()
      // An entry written already expired is never returned.
      await store.upsert('AccessToken', 'stale', {}, clock.now - 1)
      expect(await store.find('AccessToken', 'stale')).toBeUndefined()
      await store.upsert('AccessToken', 'now', {}, clock.now)
      expect(await store.find('AccessToken', 'now')).toBeUndefined()
    })

    it('keeps the consumed flag across upsert of a live entry, but not of an expired one', async () => {
      const { store, clock } = await storeAt()
      await store.upsert('DeviceCode', 'd', { status: 'pending' }, clock.now + 1000)
      await store.consume('DeviceCode', 'd')
      await store.upsert('DeviceCode', 'd', { status: 'approved' }, clock.now + 2000)
      expect(await store.find('DeviceCode', 'd')).toEqual({ payload: { status: 'approved' }, expiresAt: clock.now + 2000, consumed: true })
      // Expired (though not yet swept): a new entry under the same id starts unconsumed.
      clock.now += 2000
      await store.upsert('DeviceCode', 'd', { status: 'pending' }, clock.now + 1000)
      expect(await store.find('DeviceCode', 'd')).toMatchObject({ payload: { status: 'pending' }, consumed: false })
    })

    it('destroy removes one entry of one kind; destroying a missing one is a no-op', async () => {
      const { store, clock } = await storeAt()
      await store.upsert('Session', 'x', {}, clock.now + 1000)
      await store.upsert('Consent', 'x', {}, clock.now + 1000)
      await store.destroy('Session', 'x')
      expect(await store.find('Session', 'x')).toBeUndefined()
      expect(await store.consume('Session', 'x')).toBeUndefined()
      expect(await store.find('Consent', 'x')).toBeDefined()
      await expect(store.destroy('Session', 'x')).resolves.toBeUndefined()
      // A destroyed id is free again for insert.
      expect(await store.insert('Session', 'x', { again: true }, clock.now + 1000)).toBe(true)
    })

    it('revokeByGrantId removes every entry of the grant, of every kind, and nothing else', async () => {
      const { store, clock } = await storeAt()
      const exp = clock.now + 60_000
      await store.upsert('AuthorizationCode', 'c1', { grantId: 'g1' }, exp)
      await store.upsert('RefreshToken', 'r1', { grantId: 'g1' }, exp)
      await store.consume('RefreshToken', 'r1')
      await store.upsert('AccessToken', 'a1', { grantId: 'g1' }, exp)
      await store.upsert('AccessToken', 'a2', { grantId: 'g1' }, exp)
      await store.upsert('AccessToken', 'b1', { grantId: 'g2' }, exp)
      await store.upsert('Session', 's1', { username: 'demo' }, exp)
      // An entry moved to another grant by upsert belongs to that grant only; one that loses
      // its grantId belongs to none.
      await store.upsert('RefreshToken', 'moved', { grantId: 'g1' }, exp)
      await store.upsert('RefreshToken', 'moved', { grantId: 'g2' }, exp)
      await store.upsert('Consent', 'ungranted', { grantId: 'g1' }, exp)
      await store.upsert('Consent', 'ungranted', { scopes: ['openid'] }, exp)
      await store.revokeByGrantId('g1')
      for (const [kind, id] of [['AuthorizationCode', 'c1'], ['RefreshToken', 'r1'], ['AccessToken', 'a1'], ['AccessToken', 'a2']] as const) {
        expect(await store.find(kind, id), `${kind} ${id}`).toBeUndefined()
      }
      expect(await store.find('AccessToken', 'b1')).toBeDefined()
      expect(await store.find('RefreshToken', 'moved')).toBeDefined()
      expect(await store.find('Consent', 'ungranted')).toBeDefined()
      expect(await store.find('Session', 's1')).toBeDefined()
      // Writes after the revocation are not caught by it; an unknown grant is a no-op.
      await store.upsert('AccessToken', 'a3', { grantId: 'g1' }, exp)
      expect(await store.find('AccessToken', 'a3')).toBeDefined()
      await expect(store.revokeByGrantId('nope')).resolves.toBeUndefined()
    })

    it('findByUserCode finds the live device code entry and its id', async () => {
      const { store, clock } = await storeAt()
      await store.upsert('DeviceCode', 'dc1', { userCode: 'BCDFGHJK', status: 'pending' }, clock.now + 300_000)
      await store.upsert('DeviceCode', 'dc2', { userCode: 'LMNPQRST', status: 'pending' }, clock.now + 600_000)
      const found = await store.findByUserCode<{ status: string }>('BCDFGHJK')
      expect(found).toEqual({ id: 'dc1', entry: { payload: { userCode: 'BCDFGHJK', status: 'pending' }, expiresAt: clock.now + 300_000, consumed: false } })
      attempt(() => (found!.entry.payload.status = 'changed by the caller'))
      expect((await store.findByUserCode<{ status: string }>('BCDFGHJK'))!.entry.payload.status).toBe('pending')
      expect(await store.findByUserCode('ZZZZZZZZ')).toBeUndefined()
      // Updating the record keeps it findable; changing its user code moves the index.
      await store.upsert('DeviceCode', 'dc1', { userCode: 'BCDFGHJK', status: 'approved' }, clock.now + 300_000)
      expect((await store.findByUserCode<{ status: string }>('BCDFGHJK'))!.entry.payload.status).toBe('approved')
      await store.consume('DeviceCode', 'dc1')
      expect((await store.findByUserCode('BCDFGHJK'))!.entry.consumed).toBe(true)
      await store.upsert('DeviceCode', 'dc2', { userCode: 'VWXZBCDF' }, clock.now + 600_000)
      expect(await store.findByUserCode('LMNPQRST')).toBeUndefined()
      expect((await store.findByUserCode('VWXZBCDF'))!.id).toBe('dc2')
      // Expired, destroyed and revoked entries are not found.
      clock.now += 300_000
      expect(await store.findByUserCode('BCDFGHJK')).toBeUndefined()
      await store.destroy('DeviceCode', 'dc2')
      expect(await store.findByUserCode('VWXZBCDF')).toBeUndefined()
      await store.upsert('DeviceCode', 'dc3', { userCode: 'HJKLMNPQ', grantId: 'g3' }, clock.now + 600_000)
      await store.revokeByGrantId('g3')
      expect(await store.findByUserCode('HJKLMNPQ')).toBeUndefined()
    })

    it('counts the live entries of one kind under a prefix: a realm\'s clients, a user\'s failures', async () => {
      const { store, clock } = await storeAt()
      for (const kind of ['Client', 'Lockout', 'Session'] as const) {
        await store.upsert(kind, 'alpha/1', {}, clock.now + 1000)
        await store.upsert(kind, 'alpha/2', {}, clock.now + 1000)
        await store.upsert(kind, 'alpha/3', {}, clock.now + 10) // expires first
        await store.upsert(kind, 'alphabet/1', {}, clock.now + 1000) // another prefix
        await store.upsert(kind, 'beta/1', {}, clock.now + 1000)
      }
      await store.upsert('Grant', 'alpha/9', {}, clock.now + 1000) // another kind
      for (const kind of ['Client', 'Lockout', 'Session'] as const) expect(await store.count(kind, 'alpha/')).toBe(3)
      clock.now += 11
      for (const kind of ['Client', 'Lockout', 'Session'] as const) {
        expect(await store.count(kind, 'alpha/')).toBe(2)
        expect(await store.count(kind, 'alpha')).toBe(3)
        expect(await store.count(kind, 'gamma/')).toBe(0)
      }
      await store.destroy('Client', 'alpha/1')
      expect(await store.count('Client', 'alpha/')).toBe(1)
    })

    it('answers a lookup of an id with a NUL, as a made-up client_id can be, as not there', async () => {
      const { store, clock } = await storeAt()
      await store.upsert('Client', 'alpha x', { userCode: 'BCDFGHJK' }, clock.now + 1000)
      // PostgreSQL text cannot hold NUL: its store must not turn the lookup into an error (a 503).
      expect(await store.find('Client', 'alpha x\u0000')).toBeUndefined()
      expect(await store.consume('Client', 'alpha x\u0000')).toBeUndefined()
      expect(await store.findByUserCode('BCDFGHJK\u0000')).toBeUndefined()
      expect(await store.count('Client', 'alpha\u0000')).toBe(0)
      await store.destroy('Client', 'alpha x\u0000')
      expect(await store.find('Client', 'alpha x')).toMatchObject({ consumed: false })
    })

    it('answers every kind the provider keeps', async () => {
      const { store, clock } = await storeAt()
      // A record of every kind: adding one to RecordKind does not compile until it is listed here too.
      const every: Record<RecordKind, true> = {
        AuthorizationCode: true, AccessToken: true, RevokedAccessToken: true, RefreshToken: true, DeviceCode: true, Session: true, Interaction: true,
        Consent: true, ReplayDetection: true, Grant: true, Client: true, PushedAuthorizationRequest: true, Journey: true, Lockout: true, SigningKeys: true,
      }
      const kinds = Object.keys(every) as RecordKind[]
      for (const kind of kinds) await store.upsert(kind, 'same-id', { kind }, clock.now + 1000)
      for (const kind of kinds) expect((await store.find(kind, 'same-id'))!.payload).toEqual({ kind })
    })

    it('commit spends an entry and stores its successors together, exactly once among concurrent callers', async () => {
      const { store, clock } = await storeAt()
      await store.upsert('RefreshToken', 'old', { grantId: 'g' }, clock.now + 60_000)
      const attempts = Array.from({ length: 50 }, (_, i) =>
        store.commit({
          consume: { kind: 'RefreshToken', id: 'old' },
          unless: { kind: 'Grant', id: 'g' },
          writes: [
            { kind: 'RefreshToken', id: `new-${i}`, payload: { grantId: 'g', n: i }, expiresAt: clock.now + 60_000 },
            { kind: 'AccessToken', id: `at-${i}`, payload: { grantId: 'g' }, expiresAt: clock.now + 3_600 },
          ],
        }),
      )
      const outcomes = await Promise.all(attempts)
      expect(outcomes.filter((o) => o === 'committed')).toHaveLength(1)
      expect(outcomes.filter((o) => o === 'consumed')).toHaveLength(49)
      const winner = outcomes.indexOf('committed')
      // The winner's writes landed, the losers' did not, and the old token is spent.
      expect((await store.find('RefreshToken', `new-${winner}`))!.payload).toEqual({ grantId: 'g', n: winner })
      expect(await store.find('AccessToken', `at-${winner}`)).toBeDefined()
      for (let i = 0; i < 50; i++) if (i !== winner) expect(await store.find('RefreshToken', `new-${i}`)).toBeUndefined()
      expect((await store.find('RefreshToken', 'old'))!.consumed).toBe(true)
      // Revoking the grant removes what the commit wrote.
      await store.revokeByGrantId('g')
      expect(await store.find('RefreshToken', `new-${winner}`)).toBeUndefined()
    })

    it('commit writes nothing when the entry to spend is missing or expired, or the unless entry is live', async () => {
      const { store, clock } = await storeAt()
      const writes = [{ kind: 'AccessToken' as const, id: 'at', payload: { grantId: 'g' }, expiresAt: clock.now + 1000 }]
      expect(await store.commit({ consume: { kind: 'AuthorizationCode', id: 'none' }, writes })).toBe('missing')
      await store.upsert('AuthorizationCode', 'stale', { grantId: 'g' }, clock.now + 10)
      clock.now += 10
      expect(await store.commit({ consume: { kind: 'AuthorizationCode', id: 'stale' }, writes })).toBe('missing')
      await store.upsert('AuthorizationCode', 'code', { grantId: 'g' }, clock.now + 1000)
      await store.upsert('Grant', 'g', { revoked: true }, clock.now + 1000)
      expect(await store.commit({ consume: { kind: 'AuthorizationCode', id: 'code' }, unless: { kind: 'Grant', id: 'g' }, writes })).toBe('present')
      expect(await store.find('AccessToken', 'at')).toBeUndefined()
      // Refused by `unless`, the entry to spend was not spent.
      expect((await store.find('AuthorizationCode', 'code'))!.consumed).toBe(false)
      // With no entry to spend, commit is a plain all-or-nothing write.
      expect(await store.commit({ unless: { kind: 'Grant', id: 'other' }, writes })).toBe('committed')
      expect((await store.find('AccessToken', 'at'))!.payload).toEqual({ grantId: 'g' })
    })

    it('commit spends with no write, spends the entry it rewrites, and answers consumed before present', async () => {
      const { store, clock } = await storeAt()
      const later = clock.now + 1000
      await store.upsert('DeviceCode', 'dc', { grantId: 'g', status: 'pending' }, later)
      // A spend alone: the entry is consumed, and a second spend finds it so.
      expect(await store.commit({ consume: { kind: 'DeviceCode', id: 'dc' }, writes: [] })).toBe('committed')
      expect(await store.find('DeviceCode', 'dc')).toMatchObject({ consumed: true })
      expect(await store.commit({ consume: { kind: 'DeviceCode', id: 'dc' }, writes: [] })).toBe('consumed')
      // A write that replaces the very entry it spends, with another write after it: both
      // land, and the rewritten entry is consumed.
      await store.upsert('AuthorizationCode', 'c', { grantId: 'g', v: 1 }, later)
      const rewrite = [
        { kind: 'AuthorizationCode' as const, id: 'c', payload: { grantId: 'g', v: 2 }, expiresAt: later },
        { kind: 'RefreshToken' as const, id: 'rt', payload: { grantId: 'g' }, expiresAt: later },
      ]
      expect(await store.commit({ consume: { kind: 'AuthorizationCode', id: 'c' }, writes: rewrite })).toBe('committed')
      expect(await store.find('AuthorizationCode', 'c')).toMatchObject({ payload: { grantId: 'g', v: 2 }, consumed: true })
      expect(await store.find('RefreshToken', 'rt')).toMatchObject({ consumed: false })
      // Spent and revoked both: the spend is what the caller hears about (its reuse detection).
      await store.upsert('Grant', 'g', { revoked: true }, later)
      expect(await store.commit({ consume: { kind: 'AuthorizationCode', id: 'c' }, unless: { kind: 'Grant', id: 'g' }, writes: [] })).toBe('consumed')
    })
  })
}