/**
 * Soak: a session with 30 s access tokens lives through a simulated day while the network
 * fails at random. Time is the shared test clock; timers are a queue the loop fires as the
 * clock passes them. Nothing sleeps.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AuthClient } from '@realmauth/core'
import { DEMO, demoConfig, type ProviderConfig } from '@realmauth/server'
import { CLIENT_MODES, signInAtProvider, startProvider, type ProviderUnderTest } from './providerHarness.js'
import { withTestKeys } from './coreKit.js'
import { prng, simulatedTimers } from './simulation.js'

const LIFE = 30
const CALL_EVERY_MS = 7000

function config(): ProviderConfig {
  const base = demoConfig()
  const realm = base.realms[0]!
  realm.access_token_lifetime = LIFE
  // ES256 keeps thousands of refreshes cheap; the policy under test does not depend on the algorithm.
  realm.access_token_signing_alg = 'ES256'
  realm.clients!.find((c) => c.client_id === DEMO.spa.client_id)!.id_token_signed_response_alg = 'ES256'
  return base
}

const clockTimers = (p: ProviderUnderTest) => simulatedTimers(() => p.clock.now)

/** Lets promise chains (fetch through msw or loopback) settle. */
const settle = async (p: ProviderUnderTest) => {
  for (let i = 0; i < (p.mode === 'http' ? 40 : 12); i++) await new Promise((resolve) => setImmediate(resolve))
}

describe.each(CLIENT_MODES)('soak (%s)', (mode) => {
  let p: ProviderUnderTest
  beforeAll(async () => {
    p = await startProvider(mode, withTestKeys(config()))
  })
  afterAll(() => p.close())

  // A simulated day in process; two simulated hours over real HTTP keep the run short.
  const simulated = Number(process.env.SOAK_HOURS ?? (mode === 'msw' ? 24 : 2)) * 3600

  it(`keeps a 30 s-token session alive for ${simulated / 3600} h with 15% of requests failing: no expired token handed out, no sign-out`, { timeout: 120_000 }, async () => {
    const random = prng(20261122)
    const { timers, runDue, nextDue } = clockTimers(p)
    let storm = false
    const flaky: typeof fetch = (input, init) => (storm && random() < 0.15 ? Promise.reject(new TypeError('fetch failed')) : p.fetch(input, init))
    const client = new AuthClient({
      issuer: p.issuer(),
      clientId: DEMO.spa.client_id,
      redirectUri: DEMO.spa.redirect_uri,
      scope: 'openid profile',
      fetch: flaky,
      clock: () => p.clock.now,
      idTokenSigningAlg: 'ES256',
      random,
      timers,
      // One attempt per refresh: retries come from the scheduler's backoff on the test clock.
      refresh: { attempts: 1, backoffMs: 500, maxBackoffMs: 4000 },
    })
    const callback = await signInAtProvider(p, await client.signInUrl())
    await client.handleCallback(callback)
    storm = true
    let signOuts = 0
    let refreshes = 0
    let failures = 0
    client.on((e) => {
      if (e.type === 'session_ended' || e.type === 'signed_out') signOuts++
      if (e.type === 'refresh_success') refreshes++
      if (e.type === 'refresh_failure') failures++
    })

    let apiCalls = 0
    let expiredHandedOut = 0
    let unavailable = 0
    const end = p.clock.now + simulated * 1000
    let nextCall = p.clock.now + CALL_EVERY_MS
    while (p.clock.now < end) {
      // Jump to whatever happens next: a timer (scheduled refresh, retry backoff) or an API call.
      p.clock.now = Math.min(nextDue(), nextCall)
      // A timer that ran started a refresh or a retry: let its requests finish.
      if (runDue() > 0) await settle(p)
      if (p.clock.now < nextCall) continue
      nextCall += CALL_EVERY_MS
      // An API call every few seconds: the token it gets must be valid at the provider's clock.
      apiCalls++
      try {
        const token = await client.getAccessToken()
        const exp = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()).exp as number
        if (exp * 1000 <= p.clock.now) expiredHandedOut++
      } catch {
        unavailable++
      }
    }
    expect({ signOuts, expiredHandedOut, unavailable }).toEqual({ signOuts: 0, expiredHandedOut: 0, unavailable: 0 })
    expect(client.getSnapshot().status).toBe('signed_in')
    // About one refresh per 15 s (half the life) and failures that the backoff absorbed.
    expect(refreshes).toBeGreaterThan(simulated / 30)
    expect(failures).toBeGreaterThan(0)
    expect(apiCalls).toBeGreaterThanOrEqual(Math.floor(simulated / (CALL_EVERY_MS / 1000)))
    client.dispose()
  })
})
