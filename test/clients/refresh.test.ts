/**
 * The refresh policy of AuthClient, as DESIGN.md's "Refresh, the part users judge us by"
 * states it: an adaptive margin, one request however many callers, old tokens kept until the
 * new answer is validated, `session_ended` only on `invalid_grant`, timers and cross-tab
 * locks. Time is the shared test clock and injected timers; nothing sleeps.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { MemoryTokenStore, type AuthError, type AuthEvent, type TokenSet } from '@realmauth/core'
import { demoConfig, type ProviderConfig } from '@realmauth/server'
import { CLIENT_MODES, startProvider, type ProviderUnderTest } from './providerHarness.js'
import { cutBodies } from './cutBody.js'
import { answer, authError, decodeJwt, editTokenResponse, immediateTimers, makeClient, manualTimers, replaceIdToken, signedIn, withTestKeys } from './coreKit.js'

function config(): ProviderConfig {
  const base = demoConfig()
  const alpha = base.realms[0]!
  base.realms.push(
    { ...structuredClone(alpha), name: 'short', access_token_lifetime: 10 },
    { ...structuredClone(alpha), name: 'steady', issue_refresh_tokens_on_refresh: false },
    { ...structuredClone(alpha), name: 'zero', access_token_lifetime: 0 },
  )
  return base
}

const lifeLeft = (p: ProviderUnderTest, tokens: TokenSet) => (tokens.expiresAt! - p.clock.now) / 1000

/** A lock shared by several clients, as Web Locks would be across tabs. */
function sharedLock() {
  let tail: Promise<unknown> = Promise.resolve()
  const names: string[] = []
  const lock = <T>(name: string, fn: () => Promise<T>): Promise<T> => {
    names.push(name)
    const run = tail.then(fn)
    tail = run.catch(() => {})
    return run
  }
  return { lock, names }
}

function nextEvent(client: { on(l: (e: AuthEvent) => void): () => void }, type: AuthEvent['type']): Promise<AuthEvent> {
  return new Promise((resolve) => {
    const off = client.on((e) => {
      if (e.type === type) {
        off()
        resolve(e)
      }
    })
  })
}

describe.each(CLIENT_MODES)('refresh policy (%s)', (mode) => {
  let p: ProviderUnderTest
  beforeAll(async () => {
    p = await startProvider(mode, withTestKeys(config()))
  })
  afterAll(() => p.close())

  describe('when to refresh', () => {
    it('outside the margin the cached token is returned with no request', async () => {
      const { client, tokenStore, events } = await signedIn(p)
      const tokens = (await tokenStore.get())!
      const snapshot = client.getSnapshot()
      p.clock.advance(3600 - 61)
      const before = p.count('access_token')
      for (let i = 0; i < 10; i++) expect(await client.getAccessToken()).toBe(tokens.accessToken)
      expect(p.count('access_token')).toBe(before)
      expect(client.getSnapshot()).toBe(snapshot)
      expect(events).toEqual(['signed_in'])
    })

    it('within the margin getAccessToken refreshes first, and stores the rotated tokens', async () => {
      const { client, tokenStore, events } = await signedIn(p)
      const old = (await tokenStore.get())!
      p.clock.advance(3600 - 59)
      const before = p.count('access_token')
      const token = await client.getAccessToken()
      expect(p.count('access_token')).toBe(before + 1)
      const stored = (await tokenStore.get())!
      expect(token).toBe(stored.accessToken)
      expect(token).not.toBe(old.accessToken)
      expect(stored.refreshToken).not.toBe(old.refreshToken)
      expect(stored.claims?.sub).toBe('demo')
      expect(lifeLeft(p, stored)).toBe(3600)
      expect(events).toEqual(['signed_in', 'refresh_start', 'refresh_success'])
      expect(client.getSnapshot()).toMatchObject({ status: 'signed_in', tokens: stored, refreshing: false })
    })

    it('an expired token is refreshed, not returned', async () => {
      const { client, tokenStore } = await signedIn(p)
      const old = (await tokenStore.get())!
      p.clock.advance(4000)
      expect(await client.getAccessToken()).not.toBe(old.accessToken)
    })

    it('forceRefresh refreshes outside the margin', async () => {
      const { client, tokenStore } = await signedIn(p)
      const old = (await tokenStore.get())!
      const before = p.count('access_token')
      expect(await client.getAccessToken({ forceRefresh: true })).not.toBe(old.accessToken)
      expect(p.count('access_token')).toBe(before + 1)
    })

    it('the margin adapts to a 10 s token: refreshed at about 5 s left, not on every call', async () => {
      const { client, tokenStore } = await signedIn(p, { issuer: p.issuer('short') })
      const first = (await tokenStore.get())!
      expect(lifeLeft(p, first)).toBe(10)
      const before = p.count('access_token')
      p.clock.advance(4) // 6 s left: the default 60 s margin would already refresh
      for (let i = 0; i < 20; i++) expect(await client.getAccessToken()).toBe(first.accessToken)
      expect(p.count('access_token')).toBe(before)
      p.clock.advance(1.5) // 4.5 s left: past half the life
      const second = await client.getAccessToken()
      expect(second).not.toBe(first.accessToken)
      expect(p.count('access_token')).toBe(before + 1)
      for (let i = 0; i < 20; i++) expect(await client.getAccessToken()).toBe(second)
      expect(p.count('access_token')).toBe(before + 1)
      p.clock.advance(5)
      expect(await client.getAccessToken()).not.toBe(second)
      expect(p.count('access_token')).toBe(before + 2)
    })

    it('1000 concurrent getAccessToken calls make one request', async () => {
      const { client, events } = await signedIn(p)
      p.clock.advance(3600 - 30)
      const before = p.count('access_token')
      const results = await Promise.all(Array.from({ length: 1000 }, () => client.getAccessToken()))
      expect(p.count('access_token')).toBe(before + 1)
      expect(new Set(results).size).toBe(1)
      expect(events).toEqual(['signed_in', 'refresh_start', 'refresh_success'])
    })

    it('not signed in: login_required, which needs the user', async () => {
      const { client } = makeClient(p)
      const err = await authError(client.getAccessToken())
      expect(err.code).toBe('login_required')
      expect(err.needsUser).toBe(true)
    })
  })

  describe('keeping the old tokens until the new ones are validated', () => {
    it('a refreshed ID token for another subject is id_token_invalid; the old tokens stay', async () => {
      const { client, tokenStore, events } = await signedIn(p)
      const old = (await tokenStore.get())!
      let storedDuringResponse: TokenSet | undefined
      p.fault('access_token', replaceIdToken(async (c, provider) => {
        storedDuringResponse = await tokenStore.get()
        return provider.signJwt({ ...c, sub: 'someone-else' })
      }))
      const err = await authError(client.refresh())
      expect(err.code).toBe('id_token_invalid')
      expect(storedDuringResponse).toBe(old)
      expect(await tokenStore.get()).toBe(old)
      expect(client.getSnapshot().tokens).toBe(old)
      expect(client.getSnapshot().status).toBe('signed_in')
      expect(events).toEqual(['signed_in', 'refresh_start', 'refresh_failure'])
    })

    it('a refreshed ID token with a bad signature keeps the old tokens', async () => {
      const { client, tokenStore } = await signedIn(p)
      const old = (await tokenStore.get())!
      p.fault('access_token', replaceIdToken((_c, _provider, real) => real.slice(0, -6) + (real.endsWith('AAAAAA') ? 'BBBBBB' : 'AAAAAA')))
      expect((await authError(client.refresh())).code).toBe('id_token_invalid')
      expect(await tokenStore.get()).toBe(old)
    })

    it('a refresh answer without an ID token keeps the previous ID token and user', async () => {
      const { client, tokenStore } = await signedIn(p)
      const old = (await tokenStore.get())!
      p.fault('access_token', editTokenResponse((body) => void delete body.id_token))
      const next = await client.refresh()
      expect(next.accessToken).not.toBe(old.accessToken)
      expect(next.idToken).toBe(old.idToken)
      expect(next.claims).toBe(old.claims)
      expect(client.getSnapshot().user).toBe(old.claims)
    })

    it('without rotation the provider sends no refresh token and the old one is kept', async () => {
      const { client, tokenStore } = await signedIn(p, { issuer: p.issuer('steady') })
      const old = (await tokenStore.get())!
      const next = await client.refresh()
      expect(next.refreshToken).toBe(old.refreshToken)
      expect((await client.refresh()).refreshToken).toBe(old.refreshToken)
      expect((await tokenStore.get())!.accessToken).not.toBe(old.accessToken)
    })
  })

  describe('failures', () => {
    it('network failures on every attempt keep the tokens; getAccessToken still answers; the next call recovers', async () => {
      const timers = immediateTimers()
      const { client, tokenStore, events } = await signedIn(p, { timers, random: () => 0.5, refresh: { auto: false, attempts: 3, backoffMs: 100 } })
      const old = (await tokenStore.get())!
      p.clock.advance(3600 - 30)
      const before = p.count('access_token')
      p.failNetwork(3)
      // The token still has 30 s: the user keeps working while renewal is retried later.
      expect(await client.getAccessToken()).toBe(old.accessToken)
      expect(p.count('access_token')).toBe(before)
      expect(timers.delays).toEqual([75, 150]) // backoff between the 3 attempts: 100 then 200, jittered
      expect(await tokenStore.get()).toBe(old)
      expect(client.getSnapshot()).toMatchObject({ status: 'signed_in', tokens: old, refreshing: false })
      expect(client.getSnapshot().error?.code).toBe('network_error')
      expect(events).toEqual(['signed_in', 'refresh_start', 'refresh_failure'])
      const token = await client.getAccessToken()
      expect(token).not.toBe(old.accessToken)
      expect(p.count('access_token')).toBe(before + 1)
      expect(client.getSnapshot().error).toBeUndefined()
      expect(events.slice(3)).toEqual(['refresh_start', 'refresh_success'])
    })

    it('a network failure on the first attempts is retried within the same refresh', async () => {
      const timers = immediateTimers()
      const { client, events } = await signedIn(p, { timers, refresh: { auto: false, attempts: 3, backoffMs: 10 } })
      const before = p.count('access_token')
      p.failNetwork(2)
      await client.refresh()
      expect(p.count('access_token')).toBe(before + 1)
      expect(timers.delays).toHaveLength(2)
      expect(events).toEqual(['signed_in', 'refresh_start', 'refresh_success'])
    })

    it('with attempts: 1 a network failure is reported at once as network_error, retryable', async () => {
      const { client, tokenStore } = await signedIn(p, { refresh: { auto: false, attempts: 1 } })
      const old = (await tokenStore.get())!
      p.failNetwork(1)
      const err = await authError(client.refresh())
      expect(err.code).toBe('network_error')
      expect(err.retryable).toBe(true)
      expect(err.needsUser).toBe(false)
      expect(await tokenStore.get()).toBe(old)
      await expect(client.refresh()).resolves.toHaveProperty('accessToken')
    })

    it('an expired token and a network failure: getAccessToken rejects network_error and keeps the tokens', async () => {
      const { client, tokenStore } = await signedIn(p, { refresh: { auto: false, attempts: 1 } })
      const old = (await tokenStore.get())!
      p.clock.advance(3601)
      p.failNetwork(1)
      const err = await authError(client.getAccessToken())
      expect(err.code).toBe('network_error')
      expect(await tokenStore.get()).toBe(old)
      expect(client.getSnapshot().status).toBe('signed_in')
      expect(await client.getAccessToken()).not.toBe(old.accessToken)
    })

    it('5xx on every attempt keeps the tokens; each attempt reached the provider', async () => {
      const timers = immediateTimers()
      const { client, tokenStore, events } = await signedIn(p, { timers, refresh: { auto: false, attempts: 3, backoffMs: 10 } })
      const old = (await tokenStore.get())!
      const before = p.count('access_token')
      p.fault('access_token', answer('{"error":"server_error"}', 503), 3)
      const err = await authError(client.refresh())
      expect(err.code).toBe('server_error')
      expect(err.retryable).toBe(true)
      expect(p.count('access_token')).toBe(before + 3)
      expect(await tokenStore.get()).toBe(old)
      expect(client.getSnapshot().status).toBe('signed_in')
      expect(events).toEqual(['signed_in', 'refresh_start', 'refresh_failure'])
      await expect(client.refresh()).resolves.toHaveProperty('accessToken')
    })

    it('a 5xx then success within one refresh', async () => {
      const timers = immediateTimers()
      const { client, events } = await signedIn(p, { timers, refresh: { auto: false, attempts: 2, backoffMs: 10 } })
      p.fault('access_token', answer('upstream timeout', 504, 'text/plain'))
      await client.refresh()
      expect(events).toEqual(['signed_in', 'refresh_start', 'refresh_success'])
    })

    it('a refresh token revoked at the provider: invalid_grant ends the session, events in order', async () => {
      const { client, tokenStore, events } = await signedIn(p)
      const old = (await tokenStore.get())!
      await client.oidc.revoke(old.refreshToken!, 'refresh_token')
      p.clock.advance(3600 - 30)
      const seen: AuthEvent[] = []
      client.on((e) => seen.push(e))
      const err = await authError(client.getAccessToken())
      expect(err.code).toBe('invalid_grant')
      expect(err.error).toBe('invalid_grant')
      expect(err.needsUser).toBe(true)
      expect(err.retryable).toBe(false)
      expect(await tokenStore.get()).toBeUndefined()
      expect(client.getSnapshot()).toEqual({ status: 'session_ended', refreshing: false, error: err })
      expect(events).toEqual(['signed_in', 'refresh_start', 'refresh_failure', 'session_ended'])
      expect(seen.find((e) => e.type === 'session_ended')).toEqual({ type: 'session_ended', error: err })
      const after = await authError(client.getAccessToken())
      expect(after.code).toBe('login_required')
    })

    it('a provider that never answers: the refresh gives up after timeoutMs as a retryable network_error and keeps the tokens', async () => {
      const shared = new MemoryTokenStore()
      const a = await signedIn(p, { tokenStore: shared })
      const before = a.client.getSnapshot().tokens!
      // Same session, a client with a 1 ms budget (metadata handed over: no discovery request).
      const impatient = makeClient(p, { tokenStore: shared, timeoutMs: 1, metadata: await a.client.oidc.metadata(), refresh: { auto: false, attempts: 1 } })
      p.fault('access_token', () => new Promise<Response>(() => {}))
      const err = await authError(impatient.client.refresh())
      expect(err).toMatchObject({ code: 'network_error', retryable: true })
      expect(impatient.client.getSnapshot()).toMatchObject({ status: 'signed_in', tokens: before })
      expect(await shared.get()).toBe(before)
      expect((await a.client.refresh()).refreshToken).not.toBe(before.refreshToken)
    })

    it.each(['stall', 'reset'] as const)('a token answer whose body %ss mid-way is a retryable network_error, retried within the refresh', async (cut) => {
      const cuts = await cutBodies(p)
      try {
        const timers = immediateTimers()
        // Headers come at once; only the body stops: 300 ms is the whole budget for it.
        const { client, tokenStore, events } = await signedIn(p, { timers, fetch: cuts.fetch, timeoutMs: 300, refresh: { auto: false, attempts: 2, backoffMs: 10 } })
        const old = (await tokenStore.get())!
        cuts.arm('access_token', cut, 2)
        const err = await authError(client.refresh())
        expect(err).toMatchObject({ code: 'network_error', retryable: true })
        expect(timers.delays).toHaveLength(1)
        expect(await tokenStore.get()).toBe(old)
        expect(events).toEqual(['signed_in', 'refresh_start', 'refresh_failure'])
        await expect(client.refresh()).resolves.toHaveProperty('accessToken')
      } finally {
        await cuts.close()
      }
    })

    it.each([
      ['a 503', () => answer('{"error":"server_error"}', 503)],
      ['HTML with 200', () => answer('<html><body>Maintenance</body></html>', 200, 'text/html')],
      ['truncated JSON', () => answer('{"access_token":"abc","token_', 200)],
      ['an invalid_client', () => answer('{"error":"invalid_client"}', 401)],
    ])('while the access token is valid, %s on refresh hands out the held token and a retry is scheduled', async (_name, fault) => {
      const timers = manualTimers()
      const { client, tokenStore } = await signedIn(p, { timers: timers.timers, random: () => 0.5, refresh: { auto: true, attempts: 1, backoffMs: 1000 } })
      const old = (await tokenStore.get())!
      p.clock.advance(3600 - 30)
      p.fault('access_token', fault())
      expect(await client.getAccessToken()).toBe(old.accessToken)
      expect(client.getSnapshot()).toMatchObject({ status: 'signed_in', tokens: old })
      expect(client.getSnapshot().error?.needsUser).toBe(false)
      // The retry timer, not the caller, tries again; then renewal succeeds.
      expect([...timers.pending.values()].map((t) => t.ms)).toEqual([1500])
      timers.runAll()
      await vi.waitFor(() => expect(client.getSnapshot().tokens).not.toBe(old))
      expect(client.getSnapshot().error).toBeUndefined()
    })

    it.each(['stall', 'reset'] as const)('while the access token is valid, a %s body on refresh hands out the held token', async (cut) => {
      const cuts = await cutBodies(p)
      try {
        const { client, tokenStore } = await signedIn(p, { fetch: cuts.fetch, timeoutMs: 300, refresh: { auto: false, attempts: 1 } })
        const old = (await tokenStore.get())!
        p.clock.advance(3600 - 30)
        cuts.arm('access_token', cut)
        expect(await client.getAccessToken()).toBe(old.accessToken)
        expect(client.getSnapshot().error?.code).toBe('network_error')
      } finally {
        await cuts.close()
      }
    })

    it('network errors and 5xx never end the session, however many', async () => {
      const timers = immediateTimers()
      const { client, tokenStore } = await signedIn(p, { timers, refresh: { auto: false, attempts: 2, backoffMs: 10 } })
      const old = (await tokenStore.get())!
      for (let i = 0; i < 3; i++) {
        p.failNetwork(1)
        p.fault('access_token', answer('', 500, 'text/plain'))
        await authError(client.refresh())
      }
      expect(await tokenStore.get()).toBe(old)
      expect(client.getSnapshot().status).toBe('signed_in')
    })
  })

  describe('snapshot', () => {
    it('keeps its identity until its content changes', async () => {
      const { client, tokenStore, notifications } = await signedIn(p)
      const signedInSnapshot = client.getSnapshot()
      const n = notifications()
      expect(client.getSnapshot()).toBe(signedInSnapshot)
      await client.getAccessToken()
      await client.syncFromStore() // the store holds the same tokens
      await client.refreshIfDue() // not due
      expect(client.getSnapshot()).toBe(signedInSnapshot)
      expect(notifications()).toBe(n)

      const seen: unknown[] = []
      client.subscribe(() => seen.push(client.getSnapshot()))
      await client.refresh()
      expect(seen).toHaveLength(2) // refreshing, then the new tokens
      expect(seen[0]).toMatchObject({ status: 'signed_in', refreshing: true, tokens: signedInSnapshot.tokens })
      const refreshed = client.getSnapshot()
      expect(refreshed).not.toBe(signedInSnapshot)
      expect(refreshed).toMatchObject({ status: 'signed_in', refreshing: false, tokens: await tokenStore.get() })
      await client.getAccessToken()
      expect(client.getSnapshot()).toBe(refreshed)
    })

    it('syncFromStore adopts tokens another tab wrote, without a request', async () => {
      const shared = new MemoryTokenStore()
      const a = await signedIn(p, { tokenStore: shared })
      const b = makeClient(p, { tokenStore: shared })
      await b.client.load()
      expect(b.client.getSnapshot().tokens).toBe(await shared.get())
      await a.client.refresh()
      const before = p.count('access_token')
      await b.client.syncFromStore()
      expect(b.client.getSnapshot().tokens).toBe(await shared.get())
      expect(p.count('access_token')).toBe(before)
    })
  })

  describe('scheduled refresh (refresh.auto)', () => {
    it('fires before expiry on the injected timers and reschedules', async () => {
      const t = manualTimers()
      const { client, tokenStore } = await signedIn(p, { timers: t.timers, random: () => 0, refresh: { auto: true } })
      const first = (await tokenStore.get())!
      expect([...t.pending.values()].map((x) => x.ms)).toEqual([3540_000]) // 60 s before a 3600 s expiry
      const before = p.count('access_token')
      p.clock.advance(3540)
      const done = nextEvent(client, 'refresh_success')
      t.runAll()
      await done
      expect(p.count('access_token')).toBe(before + 1)
      expect(p.clock.now).toBeLessThan(first.expiresAt!)
      expect((await tokenStore.get())!.accessToken).not.toBe(first.accessToken)
      expect([...t.pending.values()].map((x) => x.ms)).toEqual([3540_000])
      client.dispose()
      expect(t.pending.size).toBe(0)
    })

    it('spreads clients with jitter of at most 5 s (a tenth of a short life)', async () => {
      const t = manualTimers()
      await signedIn(p, { timers: t.timers, random: () => 0.999, refresh: { auto: true } })
      const [ms] = [...t.pending.values()].map((x) => x.ms)
      expect(ms).toBeGreaterThan(3535_000)
      expect(ms).toBeLessThan(3540_000)
      const s = manualTimers()
      await signedIn(p, { issuer: p.issuer('short'), timers: s.timers, random: () => 0.999, refresh: { auto: true } })
      const [short] = [...s.pending.values()].map((x) => x.ms)
      expect(short).toBeGreaterThan(4000) // 10 s life: margin 5 s, jitter under 1 s
      expect(short).toBeLessThan(5000)
    })

    it('after a failed scheduled refresh a retry is scheduled, and it recovers', async () => {
      const t = manualTimers()
      const { client, tokenStore } = await signedIn(p, { timers: t.timers, random: () => 0, refresh: { auto: true, attempts: 1, backoffMs: 1000 } })
      const old = (await tokenStore.get())!
      p.clock.advance(3540)
      p.fault('access_token', answer('', 503, 'text/plain'))
      const failed = nextEvent(client, 'refresh_failure')
      t.runAll()
      await failed
      expect(await tokenStore.get()).toBe(old)
      expect([...t.pending.values()].map((x) => x.ms)).toEqual([1000]) // backoff, not the expiry timer
      const done = nextEvent(client, 'refresh_success')
      t.runAll()
      await done
      expect((await tokenStore.get())!.accessToken).not.toBe(old.accessToken)
    })

    it('a token born expired (lifetime 0) is not renewed on a timer, so no request loop starts', async () => {
      const t = manualTimers()
      const a = await signedIn(p, { issuer: p.issuer('zero'), refresh: { auto: true }, timers: t.timers })
      expect(a.client.getSnapshot().tokens!.expiresAt).toBe(a.client.getSnapshot().tokens!.receivedAt)
      expect(t.pending.size).toBe(0)
    })

    it('stops on session_ended and on sign-out', async () => {
      const t = manualTimers()
      const { client, tokenStore } = await signedIn(p, { timers: t.timers, refresh: { auto: true } })
      await client.oidc.revoke((await tokenStore.get())!.refreshToken!, 'refresh_token')
      const ended = nextEvent(client, 'session_ended')
      t.runAll()
      await ended
      expect(t.pending.size).toBe(0)
      const other = await signedIn(p, { timers: t.timers, refresh: { auto: true } })
      expect(t.pending.size).toBe(1)
      await other.client.signOut()
      expect(t.pending.size).toBe(0)
    })
  })

  describe('across tabs (lock option and a shared token store)', () => {
    it('a token another tab already rotated is adopted from storage: no request', async () => {
      const shared = new MemoryTokenStore()
      const { lock, names } = sharedLock()
      const a = await signedIn(p, { tokenStore: shared, lock })
      const b = makeClient(p, { tokenStore: shared, lock })
      await b.client.load()
      const started = b.client.getSnapshot().tokens!
      await a.client.refresh() // the other tab rotates
      const rotated = (await shared.get())!
      expect(rotated.refreshToken).not.toBe(started.refreshToken)
      const seen: AuthEvent[] = []
      b.client.on((e) => seen.push(e))
      const before = p.count('access_token')
      const tokens = await b.client.refresh()
      expect(p.count('access_token')).toBe(before)
      expect(tokens).toBe(rotated)
      expect(b.client.getSnapshot().tokens).toBe(rotated)
      expect(seen).toEqual([{ type: 'refresh_start' }, { type: 'refresh_success', tokens: rotated, source: 'storage' }])
      expect(names.at(-1)).toBe(`realmauth:refresh:${p.issuer()}:demo-spa`)
      // The adopted refresh token is the live one.
      await expect(b.client.refresh()).resolves.toHaveProperty('accessToken')
    })

    it('two tabs refreshing at once under the lock make one request, and the grant survives', async () => {
      const shared = new MemoryTokenStore()
      const { lock } = sharedLock()
      const a = await signedIn(p, { tokenStore: shared, lock })
      const b = makeClient(p, { tokenStore: shared, lock })
      await b.client.load()
      p.clock.advance(3600 - 30)
      const before = p.count('access_token')
      const [ta, tb] = await Promise.all([a.client.getAccessToken(), b.client.getAccessToken()])
      expect(p.count('access_token')).toBe(before + 1)
      expect(ta).toBe(tb)
      expect(a.client.getSnapshot().tokens).toBe(b.client.getSnapshot().tokens)
      await expect(a.client.refresh()).resolves.toHaveProperty('accessToken')
      expect(b.client.getSnapshot().status).toBe('signed_in')
    })

    it('without a lock, two tabs sending the same refresh token trip reuse detection (why the lock exists)', async () => {
      const shared = new MemoryTokenStore()
      const a = await signedIn(p, { tokenStore: shared })
      const b = makeClient(p, { tokenStore: shared })
      await b.client.load()
      // One refresh wins; the other is a reuse, so the provider revokes the whole grant. The
      // losing tab may still adopt the winner's (now revoked) tokens from storage.
      await Promise.allSettled([a.client.refresh(), b.client.refresh()])
      // Either way the session is over: even a tab whose refresh got through is done.
      for (const tab of [a, b]) {
        // invalid_grant from the provider, or login_required once the other tab has cleared storage.
        if (tab.client.getSnapshot().status === 'signed_in') expect(['invalid_grant', 'login_required']).toContain((await authError(tab.client.refresh())).code)
        expect(tab.client.getSnapshot().status).toBe('session_ended')
      }
      expect(await shared.get()).toBeUndefined()
    })

    it('signed out in another tab: the refresh makes no request and ends the session', async () => {
      const shared = new MemoryTokenStore()
      const { lock } = sharedLock()
      const a = await signedIn(p, { tokenStore: shared, lock })
      await shared.remove()
      const before = p.count('access_token')
      const err = await authError(a.client.refresh())
      expect(err.code).toBe('login_required')
      expect(p.count('access_token')).toBe(before)
      expect(a.client.getSnapshot().status).toBe('session_ended')
    })

    it('a refresh refused while another tab signed in afresh adopts that tab\'s tokens instead of ending the session', async () => {
      const shared = new MemoryTokenStore()
      const a = await signedIn(p, { tokenStore: shared })
      const fresh = (await signedIn(p)).client.getSnapshot().tokens!
      await a.client.oidc.revoke(a.client.getSnapshot().tokens!.refreshToken!, 'refresh_token')
      // The other tab's sign-in lands in the shared store while this tab's refresh is in flight.
      p.fault('access_token', async (req, provider) => {
        await shared.set(fresh)
        return provider.fetch(req)
      })
      const tokens = await a.client.refresh()
      expect(tokens.refreshToken).toBe(fresh.refreshToken)
      expect(a.client.getSnapshot().status).toBe('signed_in')
      expect(await shared.get()).toBe(fresh)
      expect(a.events).toContain('refresh_success')
      expect(a.events).not.toContain('session_ended')
    })

    it('without a lock, refreshes one after the other still adopt from storage', async () => {
      const shared = new MemoryTokenStore()
      const a = await signedIn(p, { tokenStore: shared })
      const b = makeClient(p, { tokenStore: shared })
      await b.client.load()
      await a.client.refresh()
      const before = p.count('access_token')
      await b.client.refresh()
      expect(p.count('access_token')).toBe(before)
      expect(b.client.getSnapshot().tokens).toBe(await shared.get())
      expect(decodeJwt(b.client.getSnapshot().tokens!.accessToken).payload.sub).toBe('demo')
    })
  })
})
