import { describe, expect, it } from 'vitest'
import { MemoryStore } from './MemoryStore.js'

/** A store on a clock the test moves. */
function storeAt(start = 1_000_000) {
  const clock = { now: start }
  return { store: new MemoryStore({ now: () => clock.now }), clock }
}

describe('MemoryStore', () => {
  it('finds what it stored, as a copy the caller cannot change', async () => {
    const { store, clock } = storeAt()
    const payload = { grantId: 'g1', scope: ['openid'] }
    await store.upsert('AccessToken', 'a', payload, clock.now + 1000)
    payload.scope.push('admin')
    const found = await store.find<{ scope: string[] }>('AccessToken', 'a')
    expect(found).toEqual({ payload: { grantId: 'g1', scope: ['openid'] }, expiresAt: clock.now + 1000, consumed: false })
    found!.payload.scope.push('admin')
    expect((await store.find<{ scope: string[] }>('AccessToken', 'a'))!.payload.scope).toEqual(['openid'])
    // Kinds are separate namespaces.
    expect(await store.find('RefreshToken', 'a')).toBeUndefined()
  })

  it('lets exactly one of 1000 concurrent consume calls win', async () => {
    const { store, clock } = storeAt()
    await store.upsert('AuthorizationCode', 'code', { grantId: 'g' }, clock.now + 60_000)
    const results = await Promise.all(Array.from({ length: 1000 }, () => store.consume('AuthorizationCode', 'code')))
    expect(results.filter((r) => r !== undefined)).toHaveLength(1000)
    expect(results.filter((r) => r!.consumed === false)).toHaveLength(1)
    // A consumed entry is still found, marked consumed (so a reuse can be detected).
    expect((await store.find('AuthorizationCode', 'code'))!.consumed).toBe(true)
    expect(await store.consume('AuthorizationCode', 'missing')).toBeUndefined()
  })

  it('lets exactly one of 1000 concurrent insert calls win', async () => {
    const { store, clock } = storeAt()
    const results = await Promise.all(
      Array.from({ length: 1000 }, (_, i) => store.insert('ReplayDetection', 'jti-1', { n: i }, clock.now + 60_000)),
    )
    expect(results.filter(Boolean)).toHaveLength(1)
    const winner = results.indexOf(true)
    expect((await store.find('ReplayDetection', 'jti-1'))!.payload).toEqual({ n: winner })
  })

  it('lets insert succeed again once the earlier entry has expired', async () => {
    const { store, clock } = storeAt()
    expect(await store.insert('ReplayDetection', 'jti', {}, clock.now + 1000)).toBe(true)
    expect(await store.insert('ReplayDetection', 'jti', {}, clock.now + 1000)).toBe(false)
    clock.now += 1000
    expect(await store.insert('ReplayDetection', 'jti', {}, clock.now + 1000)).toBe(true)
  })

  it('stops returning entries at their expiry, by the injected clock', async () => {
    const { store, clock } = storeAt()
    await store.upsert('Session', 's', { username: 'demo' }, clock.now + 5000)
    clock.now += 4999
    expect(await store.find('Session', 's')).toBeDefined()
    expect(await store.consume('Session', 's')).toBeDefined()
    clock.now += 1
    expect(await store.find('Session', 's')).toBeUndefined()
    expect(await store.consume('Session', 's')).toBeUndefined()
    expect(store.size).toBe(0)
  })

  it('keeps the consumed flag across upsert of a live entry, but not of an expired one', async () => {
    const { store, clock } = storeAt()
    await store.upsert('DeviceCode', 'd', { status: 'pending' }, clock.now + 1000)
    await store.consume('DeviceCode', 'd')
    await store.upsert('DeviceCode', 'd', { status: 'approved' }, clock.now + 1000)
    expect(await store.find('DeviceCode', 'd')).toMatchObject({ payload: { status: 'approved' }, consumed: true })
    // Expired (though not yet swept): a new entry under the same id starts unconsumed.
    clock.now += 1000
    await store.upsert('DeviceCode', 'd', { status: 'pending' }, clock.now + 1000)
    expect(await store.find('DeviceCode', 'd')).toMatchObject({ payload: { status: 'pending' }, consumed: false })
  })

  it('revokeByGrantId removes every entry of the grant, of every kind, and nothing else', async () => {
    const { store, clock } = storeAt()
    const exp = clock.now + 60_000
    await store.upsert('AuthorizationCode', 'c1', { grantId: 'g1' }, exp)
    await store.upsert('RefreshToken', 'r1', { grantId: 'g1' }, exp)
    await store.upsert('AccessToken', 'a1', { grantId: 'g1' }, exp)
    await store.upsert('AccessToken', 'a2', { grantId: 'g1' }, exp)
    await store.upsert('AccessToken', 'b1', { grantId: 'g2' }, exp)
    await store.upsert('Session', 's1', { username: 'demo' }, exp)
    // An entry moved to another grant by upsert belongs to that grant only.
    await store.upsert('RefreshToken', 'moved', { grantId: 'g1' }, exp)
    await store.upsert('RefreshToken', 'moved', { grantId: 'g2' }, exp)
    await store.revokeByGrantId('g1')
    for (const [kind, id] of [['AuthorizationCode', 'c1'], ['RefreshToken', 'r1'], ['AccessToken', 'a1'], ['AccessToken', 'a2']] as const) {
      expect(await store.find(kind, id), `${kind} ${id}`).toBeUndefined()
    }
    expect(await store.find('AccessToken', 'b1')).toBeDefined()
    expect(await store.find('RefreshToken', 'moved')).toBeDefined()
    expect(await store.find('Session', 's1')).toBeDefined()
    // Writes after the revocation are not caught by it; an unknown grant is a no-op.
    await store.upsert('AccessToken', 'a3', { grantId: 'g1' }, exp)
    expect(await store.find('AccessToken', 'a3')).toBeDefined()
    await expect(store.revokeByGrantId('nope')).resolves.toBeUndefined()
  })

  it('findByUserCode finds the live device code entry and its id', async () => {
    const { store, clock } = storeAt()
    await store.upsert('DeviceCode', 'dc1', { userCode: 'BCDFGHJK', status: 'pending' }, clock.now + 300_000)
    await store.upsert('DeviceCode', 'dc2', { userCode: 'LMNPQRST', status: 'pending' }, clock.now + 600_000)
    const found = await store.findByUserCode<{ status: string }>('BCDFGHJK')
    expect(found).toEqual({ id: 'dc1', entry: { payload: { userCode: 'BCDFGHJK', status: 'pending' }, expiresAt: clock.now + 300_000, consumed: false } })
    expect(await store.findByUserCode('ZZZZZZZZ')).toBeUndefined()
    // Updating the record keeps it findable; changing its user code moves the index.
    await store.upsert('DeviceCode', 'dc1', { userCode: 'BCDFGHJK', status: 'approved' }, clock.now + 300_000)
    expect((await store.findByUserCode<{ status: string }>('BCDFGHJK'))!.entry.payload.status).toBe('approved')
    await store.upsert('DeviceCode', 'dc2', { userCode: 'VWXZBCDF' }, clock.now + 600_000)
    expect(await store.findByUserCode('LMNPQRST')).toBeUndefined()
    expect((await store.findByUserCode('VWXZBCDF'))!.id).toBe('dc2')
    // Expired and destroyed entries are not found.
    clock.now += 300_000
    expect(await store.findByUserCode('BCDFGHJK')).toBeUndefined()
    await store.destroy('DeviceCode', 'dc2')
    expect(await store.findByUserCode('VWXZBCDF')).toBeUndefined()
  })

  it('drops expired entries nobody looks up again, as it is written to, without a timer', async () => {
    const { store, clock } = storeAt()
    // A long-running provider: every second a thousand one-second tokens, never read again.
    for (let round = 0; round < 20; round++) {
      for (let i = 0; i < 1000; i++) await store.upsert('AccessToken', `t-${round}-${i}`, { grantId: `g-${round}-${i}` }, clock.now + 1000)
      clock.now += 1000
    }
    // At most about twice the live size (1000) plus the sweep threshold, not all 20000.
    expect(store.size).toBeLessThanOrEqual(2001)
  })

  it('defaults to the wall clock', async () => {
    const store = new MemoryStore()
    await store.upsert('Consent', 'k', {}, Date.now() + 60_000)
    expect(await store.find('Consent', 'k')).toBeDefined()
    await store.upsert('Consent', 'gone', {}, Date.now() - 1)
    expect(await store.find('Consent', 'gone')).toBeUndefined()
  })
})
