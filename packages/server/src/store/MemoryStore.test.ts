import { describe, expect, it } from 'vitest'
import { MemoryStore } from './MemoryStore.js'

// The behaviour every store shares (find, consume, insert, expiry, revocation, user codes,
// concurrency) is the contract suite in test/server/store-contract.ts, run for this store by
// test/server/store.test.ts. Here: what only the in-memory store promises.
describe('MemoryStore', () => {
  it('drops expired entries nobody looks up again, as it is written to, without a timer', async () => {
    const clock = { now: 1_000_000 }
    const store = new MemoryStore({ now: () => clock.now })
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
    expect(store.size).toBe(1)
  })
})
