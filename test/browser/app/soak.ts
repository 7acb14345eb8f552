// The page test/browser/soak.test.ts drives: one @realmauth/browser session (IndexedDB, Web
// Locks, BroadcastChannel as in an app) on a simulated clock. Its timers are a queue the loop
// below fires as it moves the clock; its fetch tells the provider the simulated time and
// fails at random. The whole simulated day runs inside the page; nothing sleeps.
import { createBrowserClient, type BrowserClient } from '@realmauth/browser'
import { CLOCK_HEADER, CLOCK_PARAM } from './soakClock.js'
import { prng, simulatedTimers } from '../../clients/simulation.js'

export interface SoakOptions {
  hours: number
  seed: number
  callEveryMs: number
  failureRate: number
  /** Every this many API calls, one goes to the app's API, which checks the token at the provider. */
  apiEvery: number
}

export interface SoakResult {
  simulatedMs: number
  apiCalls: number
  realApiCalls: number
  expiredHandedOut: number
  unavailable: number
  signOuts: number
  refreshes: number
  failures: number
  networkFailures: number
  status: string
}

export interface SoakPage {
  ready: boolean
  /** Creates the client at simulated time `now` and starts a sign-in; returns its URL. */
  start(now: number): Promise<string>
  /** Finishes the sign-in, then lives through `options.hours` simulated hours. */
  run(callback: string, options: SoakOptions): Promise<SoakResult>
}

declare global {
  interface Window {
    soak: SoakPage
  }
}

const config = JSON.parse(document.getElementById('config')!.textContent!) as { issuer: string; clientId: string; redirectUri: string; providerOrigin: string }

let now = 0
let random: () => number = Math.random
let storm = false
let failureRate = 0
let networkFailures = 0

const { timers, nextDue, runDue } = simulatedTimers(() => now)

/** The network: the provider hears the simulated time; during the storm some requests never leave. */
const simulatedFetch: typeof fetch = (input, init) => {
  if (input instanceof Request) {
    // The app's own API (authFetch): same origin, told the time in a header.
    const request = new Request(input, init)
    request.headers.set(CLOCK_HEADER, String(now))
    return fetch(request)
  }
  const url = new URL(String(input))
  if (url.origin !== config.providerOrigin) return fetch(input, init)
  if (storm && random() < failureRate) {
    networkFailures++
    return Promise.reject(new TypeError('Failed to fetch'))
  }
  url.searchParams.set(CLOCK_PARAM, String(now))
  return fetch(url.href, init)
}

/** One turn of the event loop: every promise job queued so far has run. */
const macrotask = () =>
  new Promise<void>((resolve) => {
    const channel = new MessageChannel()
    channel.port1.onmessage = () => {
      channel.port1.close()
      resolve()
    }
    channel.port2.postMessage(null)
  })

const expOf = (jwt: string) => (JSON.parse(atob(jwt.split('.')[1]!.replace(/-/g, '+').replace(/_/g, '/'))) as { exp: number }).exp * 1000

let client: BrowserClient

window.soak = {
  ready: true,
  async start(at) {
    now = at
    client = createBrowserClient({
      issuer: config.issuer,
      clientId: config.clientId,
      redirectUri: config.redirectUri,
      scope: 'openid profile',
      idTokenSigningAlg: 'ES256',
      clock: () => now,
      timers,
      random: () => random(),
      fetch: simulatedFetch,
      // One attempt per refresh: retries come from the scheduler's backoff on the simulated clock.
      refresh: { attempts: 1, backoffMs: 500, maxBackoffMs: 4000 },
    })
    await client.auth.load()
    return (await client.auth.signInUrl()).href
  },

  async run(callback, options) {
    random = prng(options.seed)
    failureRate = options.failureRate
    await client.handleRedirectCallback(callback)
    const tally = { apiCalls: 0, realApiCalls: 0, expiredHandedOut: 0, unavailable: 0, signOuts: 0, refreshes: 0, failures: 0 }
    // A refresh the scheduler started: the loop waits for its end before moving the clock on.
    let inflight: { done: Promise<void>; end: () => void } | undefined
    client.auth.on((e) => {
      if (e.type === 'refresh_start') {
        let end!: () => void
        inflight = { done: new Promise<void>((resolve) => (end = resolve)), end }
      }
      if (e.type === 'refresh_success' || e.type === 'refresh_failure' || e.type === 'session_ended') inflight?.end()
      if (e.type === 'session_ended' || e.type === 'signed_out') tally.signOuts++
      if (e.type === 'refresh_success') tally.refreshes++
      if (e.type === 'refresh_failure') tally.failures++
    })
    const settle = async () => {
      await macrotask() // a timer that fired has started its refresh by now
      while (inflight) {
        const current = inflight
        await current.done
        if (inflight === current) inflight = undefined
      }
    }
    storm = true
    const start = now
    const end = now + options.hours * 3600_000
    let nextCall = now + options.callEveryMs
    while (now < end) {
      // Jump to whatever happens next: a timer (scheduled refresh, retry backoff) or an API call.
      now = Math.min(nextDue(), nextCall)
      if (runDue() > 0) await settle()
      if (now < nextCall) continue
      nextCall += options.callEveryMs
      tally.apiCalls++
      try {
        const token = await client.getAccessToken()
        if (expOf(token) <= now) tally.expiredHandedOut++
        if (tally.apiCalls % options.apiEvery === 0) {
          // Now and then a real call: the app's API asks the provider whether the token is good.
          tally.realApiCalls++
          await client.authFetch('/api/hello')
        }
      } catch {
        tally.unavailable++
      }
    }
    storm = false
    return { ...tally, simulatedMs: now - start, networkFailures, status: client.getSnapshot().status }
  },
}
