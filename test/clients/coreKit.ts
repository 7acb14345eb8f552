/**
 * Helpers shared by the `@realmauth/core` client tests: a demo-spa AuthClient wired to the
 * provider under test, sign-in, token-response faults built from the provider's real answer,
 * and assertions on the typed AuthError.
 */
import { expect } from 'vitest'
import { AuthClient, AuthError, MemoryTokenStore, type AuthClientOptions, type AuthEvent, type Timers } from '@realmauth/core'
import { DEMO, type Provider, type ProviderConfig } from '@realmauth/server'
import { signInAtProvider, type Fault, type ProviderUnderTest } from './providerHarness.js'

export type Claims = Record<string, unknown>

/** An AuthClient for the demo SPA, with its own token store, no auto refresh unless asked. */
export function makeClient(p: ProviderUnderTest, extra: Partial<AuthClientOptions> = {}) {
  const tokenStore = extra.tokenStore ?? new MemoryTokenStore()
  const client = new AuthClient({
    issuer: p.issuer(),
    clientId: DEMO.spa.client_id,
    redirectUri: DEMO.spa.redirect_uri,
    scope: 'openid profile email',
    fetch: p.fetch,
    clock: () => p.clock.now,
    refresh: { auto: false },
    ...extra,
    tokenStore,
  })
  const events: AuthEvent['type'][] = []
  client.on((e) => events.push(e.type))
  let notified = 0
  client.subscribe(() => notified++)
  return { client, tokenStore, events, notifications: () => notified }
}

/** Starts a sign-in and signs the demo user in at the provider; returns the callback URL. */
export async function callbackFor(p: ProviderUnderTest, client: AuthClient): Promise<string> {
  return signInAtProvider(p, await client.signInUrl())
}

/** A client with the demo user signed in. */
export async function signedIn(p: ProviderUnderTest, extra: Partial<AuthClientOptions> = {}) {
  const made = makeClient(p, extra)
  await made.client.handleCallback(await callbackFor(p, made.client))
  return made
}

/** Awaits a rejection and checks it is an AuthError. */
export async function authError(promise: Promise<unknown>): Promise<AuthError> {
  const outcome = await promise.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  )
  if (outcome.ok) throw new Error(`expected an AuthError, got ${JSON.stringify(outcome.value)?.slice(0, 200)}`)
  expect(outcome.error).toBeInstanceOf(AuthError)
  return outcome.error as AuthError
}

export function decodeJwt(jwt: string): { header: Claims; payload: Claims; signature: string } {
  const [h, b, s] = jwt.split('.')
  return {
    header: JSON.parse(Buffer.from(h!, 'base64url').toString()) as Claims,
    payload: JSON.parse(Buffer.from(b!, 'base64url').toString()) as Claims,
    signature: s ?? '',
  }
}

export const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')

/**
 * A fault that lets the provider answer, then edits the JSON body (the ID token, a field)
 * before the client sees it.
 */
export function editTokenResponse(edit: (body: Claims, provider: Provider) => void | Promise<void>): Fault {
  return async (request, provider) => {
    const res = await provider.fetch(request)
    const body = (await res.json()) as Claims
    await edit(body, provider)
    return Response.json(body, { status: res.status, headers: { 'cache-control': 'no-store' } })
  }
}

/** A fault that replaces the response's ID token with `make(realClaims)`. */
export function replaceIdToken(make: (claims: Claims, provider: Provider, real: string) => string | Promise<string>): Fault {
  return editTokenResponse(async (body, provider) => {
    const real = body.id_token as string
    body.id_token = await make(decodeJwt(real).payload, provider, real)
  })
}

/** A fixed answer for the next request(s). */
export const answer = (body: string, status = 200, contentType = 'application/json'): Fault => () =>
  new Response(body, { status, headers: { 'content-type': contentType } })

/** Timers that record callbacks; the test runs them. */
export function manualTimers() {
  const pending = new Map<number, { fn: () => void; ms: number }>()
  let next = 1
  const timers: Timers = {
    setTimeout(fn, ms) {
      pending.set(next, { fn, ms })
      return next++
    },
    clearTimeout(handle) {
      pending.delete(handle as number)
    },
  }
  return {
    timers,
    pending,
    /** Runs every pending callback once (the ones they schedule stay pending). */
    runAll() {
      const due = [...pending.entries()]
      for (const [id] of due) pending.delete(id)
      for (const [, t] of due) t.fn()
      return due.map(([, t]) => t.ms)
    },
  }
}

/** Timers whose callbacks run on the next microtask: backoff between attempts costs no time. */
export function immediateTimers(): Timers & { delays: number[] } {
  const delays: number[] = []
  return {
    delays,
    setTimeout(fn, ms) {
      delays.push(ms)
      queueMicrotask(fn)
      return delays.length
    },
    clearTimeout() {},
  }
}

/**
 * A fetch that sends requests for `publicOrigin` to the provider under test, as a load
 * balancer in front of AM would (msw mode: the same origin; http mode: the loopback port).
 */
export function viaOrigin(fetchImpl: typeof fetch, publicOrigin: string, actualOrigin: string): typeof fetch {
  // oauth4webapi calls fetch(url, init): rewriting the URL string is enough.
  return (input, init) => {
    if (input instanceof Request) return fetchImpl(input, init)
    const url = new URL(String(input))
    if (url.origin !== new URL(publicOrigin).origin) return fetchImpl(input, init)
    return fetchImpl(new URL(url.pathname + url.search, actualOrigin).href, init)
  }
}

/**
 * Fixed signing keys for the providers of these tests: generating an RSA key costs about
 * 200 ms per start. Test fixtures only, public like DEMO.jwt.
 */
export const TEST_SIGNING_KEYS = [
  {
    kty: 'RSA',
    n: 'tOEMf_j9gq9YLGLfyQpjpibsSsjDw4ygydrasy3r6PxmKgWF1D6ZGpvQ5t59JBwfbNLf4NTwWnvyoqlEErm6OUALaNh-JgRGSryjvv3Zkf3ycgciLfT55MRrP2tLmrYUldVA3bKJ1dnu72Diz__phDYD3AGUUfZRwkGqdzi9jzRgSj0TkXVgriJoqc5WKyfF8xtdm6WAbdaq2RmRPlpwx1ml10huPHUAdyPLZy8ltQpfP2fgez15L2THYlZyrMvMmJmxqQDuNy-TtN3Gcb_so-ouSYkss1CM_ZyDA23a_69j-Nmd79N9D_3uG3OxiddYIbgDLpjjcegARCE6l8xZ3w',
    e: 'AQAB',
    d: 'MdVvJDLtZXv5xwDWtwTtv3Ep2NDHXrD3-6UYbBVS0bX4T8uFu5wjgnk7bOAPiktVPR48IC2KquNLThVkc-RHsk461oAPAVpcI2slkhFOSDK3AUOF3zOHRcf35FkjU1SnB0DhxjLSVuDcO4dt9fCD3bEkDxFAU_SRQfvlg0NWtoU430K-qcJutYz0J04-Ml1eoEDL35hJ1VuLOwBZn2RcTvsS3xFkRScZs-kLHWbqfmbnmAnt9eyNPEIQZBLh3VNk2wWkaBbrfxWit19zomXx6HzIntQhfKxYQ1qHjxmzByBmNFBEMXzLNTrpGj909J30qlsT8oXoebrzVtY0wYSzAQ',
    p: '46uhsvVN9KaiCiLixmfoV62j7cEqf3jVyulrEg5YmyIzZ4sTletGRu1G12Of1bKUENHDA_doMFsC_gfNXNvf1f7gRij0iA80taXqnU3s4lP8LHuMbPysLwSBSZFSgjQ-W7USAt-7c1ckFcu6pEmLsQ4oP1qKoOLNJMMmcnxh5i8',
    q: 'y2Lk5_m2yM-k-zhIYOjasgUMpUVhk4kPYoJKDNvf3jfRCPUmKnUXJgsg6JR88G4yKpnbrInPHWBbtYfb6iUCKeQYemQZR1U4bn2fLwMFrh64y4lMQVjByZ4ZmFv4m9EteAjvEgVN9i8uB6ZfHfrzneJzxeds0FhismsuHLnZi1E',
    dp: 'ysiDlQdjMQb-izK5dGj2jKnPuiP0e2egXUR8pq96gmr7CD3a6wyNIv2SvKQyqD-QHE8JeU3zUiauSp-ebhg1jcCf-D3gWBPbKfQnPYc79_dAREqjMCv6HULQ-TrkF6763-ouqbqnlrtGG9fDXTNYphJrDMrTcSux9w2PACgDduc',
    dq: 'W4mO7Lj_AzIxVr_mE3e5thV_s4KegABX5EYvfcoX37PPaPCs1L8ORBkOHp91--Acw_-rVuRPSzFrFTCoUaGGb8QxICSdG_XHCDORyV7a15sMIM8SevavgUaezmvWYIqspDGhJ8Mra3mgheDjPmML8itRX-jgmISvJw4GGveqaYE',
    qi: 'qz1HoFWyg7dY-7xvLgsIDmLsw68B4UEK0NcsvmD0uaoCpgvKkNBfe9OPdqiwao9JCQdNLgBT6k5_8VkaXsB5FrOkTngZVDlhEh882hDtzuxdh1QqF1v5krdo2GqeatCMLTaGBwnAIHHTR2GQJqtKLg0OyYEWMe972i_cIX-Sqfk',
    alg: 'RS256',
    kid: 'client-tests-rs256',
  },
  {
    kty: 'EC',
    crv: 'P-256',
    x: 'egKOycJnDrHhrczeBrdZp-zr_IVnqF-0n2-P_GbZOgI',
    y: '6HP72RmEuu16XpG5xpktZESkUpEHJsTvPZvv-XeLLRU',
    d: 'j3QvWkNDpi7uFYjB0eWljr9ubrXR7J4lSe_EkNR81Es',
    alg: 'ES256',
    kid: 'client-tests-es256',
  },
]

/** `config` with {@link TEST_SIGNING_KEYS}. */
export function withTestKeys(config: ProviderConfig): ProviderConfig {
  return { ...config, keys: TEST_SIGNING_KEYS }
}
