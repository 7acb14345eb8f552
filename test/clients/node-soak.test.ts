/**
 * Soak of `@realmauth/node`'s token cache: a service with 30 s client-credentials tokens
 * calls `getToken()` from several callers at once every few seconds through a simulated day
 * while the network to the provider fails at random. The cache renews on demand (no timer),
 * so time is just the shared test clock moved from call to call. Nothing sleeps.
 *
 * (soak.test.ts soaks core's AuthClient, which the web app flow and the browser client use;
 * this is the other refresh policy in the packages, `createNodeClient().getToken()`.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AuthError } from '@realmauth/core'
import { createNodeClient } from '@realmauth/node'
import { DEMO, demoConfig, type ProviderConfig } from '@realmauth/server'
import { CLIENT_MODES, startProvider, type ProviderUnderTest } from './providerHarness.js'
import { withTestKeys } from './coreKit.js'
import { prng } from './simulation.js'

const LIFE = 30
const CALL_EVERY_MS = 7000
const CALLERS = 3
const FAILURE_RATE = 0.15
/** Attempts core's refresh policy makes before it gives up (RefreshPolicy.attempts' default). */
const ATTEMPTS = 3

function config(): ProviderConfig {
  const base = demoConfig()
  const realm = base.realms[0]!
  realm.access_token_lifetime = LIFE
  // ES256 keeps thousands of token requests cheap; the cache does not depend on the algorithm.
  realm.access_token_signing_alg = 'ES256'
  return base
}

const expOf = (jwt: string) => (JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString()) as { exp: number }).exp * 1000

describe.each(CLIENT_MODES)('node token cache soak (%s)', (mode) => {
  let p: ProviderUnderTest
  beforeAll(async () => {
    p = await startProvider(mode, withTestKeys(config()))
  })
  afterAll(() => p.close())

  // A simulated day in process; six simulated hours over real HTTP keep the run short.
  const simulated = Number(process.env.SOAK_HOURS ?? (mode === 'msw' ? 24 : 6)) * 3600

  it(`serves ${CALLERS} callers every ${CALL_EVERY_MS / 1000} s for ${simulated / 3600} h with ${FAILURE_RATE * 100}% of requests failing: never an expired token, never a failure while a valid one was cached, one request at a time`, { timeout: 120_000 }, async () => {
    const random = prng(20261122)
    let requestsThisStep = 0
    let failuresThisStep = 0
    let networkFailures = 0
    let storm = false
    const flaky: typeof fetch = (input, init) => {
      if (String(input instanceof Request ? input.url : input).endsWith('/access_token')) requestsThisStep++
      if (storm && random() < FAILURE_RATE) {
        failuresThisStep++
        networkFailures++
        return Promise.reject(new TypeError('fetch failed'))
      }
      return p.fetch(input, init)
    }
    const client = await createNodeClient({
      issuer: p.issuer(),
      clientId: DEMO.m2m.client_id,
      auth: { method: 'client_secret_basic', clientSecret: DEMO.m2m.client_secret },
      fetch: flaky,
      clock: () => p.clock.now,
      // Any wait between attempts passes on the test clock.
      sleep: async (ms) => void (p.clock.now += ms),
    })

    // Discovery and the first token before the storm, as a service starts while the network is up.
    const first = await client.getToken({ scope: 'read' })
    let cachedExp = expOf(first)
    storm = true

    const tally = { calls: 0, expiredHandedOut: 0, failedWithValidCached: 0, failedWithoutNetworkFailure: 0, failedAfterFewerAttempts: 0, otherErrors: 0, parallelRequests: 0 }
    /** Calls that failed after as many attempts as a refresh makes, every one refused by the network. */
    let unavoidable = 0
    const tokens = new Set<string>([first])
    const requestsBefore = p.count('access_token')
    const end = p.clock.now + simulated * 1000
    let nextCall = p.clock.now + CALL_EVERY_MS
    while (p.clock.now < end) {
      p.clock.now = nextCall
      nextCall += CALL_EVERY_MS
      requestsThisStep = 0
      failuresThisStep = 0
      const results = await Promise.allSettled(Array.from({ length: CALLERS }, () => client.getToken({ scope: 'read' })))
      // Several callers, one request at a time (retries follow each other, never overlap).
      if (requestsThisStep > 1 + failuresThisStep) tally.parallelRequests++
      for (const r of results) {
        tally.calls++
        if (r.status === 'fulfilled') {
          tokens.add(r.value)
          cachedExp = Math.max(cachedExp, expOf(r.value))
          if (expOf(r.value) <= p.clock.now) tally.expiredHandedOut++
          continue
        }
        const error = r.reason as unknown
        if (!(error instanceof AuthError) || error.code !== 'network_error' || !error.retryable) tally.otherErrors++
        else if (failuresThisStep === 0) tally.failedWithoutNetworkFailure++
        else if (cachedExp > p.clock.now) tally.failedWithValidCached++
        // The token has expired and the renewal failed: a call may fail only after the attempts a refresh makes.
        else if (failuresThisStep < ATTEMPTS) tally.failedAfterFewerAttempts++
        else unavoidable++
      }
    }
    expect(tally).toEqual({ calls: tally.calls, expiredHandedOut: 0, failedWithValidCached: 0, failedWithoutNetworkFailure: 0, failedAfterFewerAttempts: 0, otherErrors: 0, parallelRequests: 0 })
    expect(tally.calls).toBe(CALLERS * Math.ceil(simulated / (CALL_EVERY_MS / 1000)))
    // About one new token per half life, no more: each request that got through made one.
    expect(tokens.size - 1).toBe(p.count('access_token') - requestsBefore)
    expect(tokens.size).toBeGreaterThan(simulated / LIFE)
    expect(tokens.size).toBeLessThan((simulated / LIFE) * 1.5)
    expect(networkFailures).toBeGreaterThan(simulated / LIFE / 10)
    console.log(`[node soak ${mode}] ${simulated / 3600} h: ${tally.calls} calls, ${tokens.size} tokens, ${networkFailures} network failures, ${unavoidable} calls failed after ${ATTEMPTS} refused attempts`)
  })

  it('an expired cached token and one dropped request: getToken tries again before failing the caller', async () => {
    let drop = 0
    const waits: number[] = []
    const client = await createNodeClient({
      issuer: p.issuer(),
      clientId: DEMO.m2m.client_id,
      auth: { method: 'client_secret_basic', clientSecret: DEMO.m2m.client_secret },
      fetch: (input, init) => (drop-- > 0 ? Promise.reject(new TypeError('fetch failed')) : p.fetch(input, init)),
      clock: () => p.clock.now,
      sleep: async (ms) => {
        waits.push(ms)
        p.clock.now += ms
      },
    })
    const expired = await client.getToken({ scope: 'read' })
    p.clock.advance(LIFE + 1)
    drop = 1
    const renewed = await client.getToken({ scope: 'read' })
    expect(renewed).not.toBe(expired)
    expect(expOf(renewed)).toBeGreaterThan(p.clock.now)
    expect(waits).toHaveLength(1)
    // A provider that stays unreachable fails the call after the refresh policy's attempts, typed and retryable.
    p.clock.advance(LIFE + 1)
    drop = ATTEMPTS
    await expect(client.getToken({ scope: 'read' })).rejects.toMatchObject({ code: 'network_error', retryable: true })
  })
})
