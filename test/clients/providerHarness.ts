/**
 * The provider for client tests, reached two ways: in process through msw, and over real
 * HTTP on a loopback port. Both share a clock the test moves, count requests per endpoint,
 * and can answer the next request to an endpoint with a fault instead.
 */
import { setupServer } from 'msw/node'
import { createProvider, type Provider, type ProviderConfig } from '@realmauth/server'
import { providerHandlers } from '@realmauth/server/msw'
import { listen } from '@realmauth/server/node'

export type ClientMode = 'msw' | 'http'
export const CLIENT_MODES: ClientMode[] = ['msw', 'http']

/** Replaces the provider's answer for one request. */
export type Fault = (request: Request, provider: Provider) => Response | Promise<Response>

export interface TestClock {
  now: number
  advance(seconds: number): void
}

export interface ProviderUnderTest {
  mode: ClientMode
  provider: Provider
  origin: string
  issuer(realm?: string): string
  clock: TestClock
  /** Requests seen per endpoint path suffix (`access_token`, `connect/jwk_uri`, ...). */
  count(endpoint: string): number
  /** Answers the next `times` requests whose path ends with `endpoint` with `fault`. */
  fault(endpoint: string, fault: Fault, times?: number): void
  /**
   * The fetch clients use. `failNetwork(n)` makes its next n calls reject as fetch does
   * when no HTTP answer comes back.
   */
  fetch: typeof fetch
  failNetwork(times?: number): void
  close(): Promise<void>
}

/** Optional hooks of {@link startProvider}. */
export interface ProviderOptions {
  /**
   * Sees every request before it is counted and answered, and may replace it. The browser
   * soak uses it to move the clock to the simulated time a page sends with its requests.
   */
  onRequest?: (request: Request) => Request | Promise<Request>
}

export function testClock(start = Date.UTC(2026, 5, 1)): TestClock {
  return {
    now: start,
    advance(seconds: number) {
      this.now += seconds * 1000
    },
  }
}

export async function startProvider(mode: ClientMode, config: ProviderConfig, clock = testClock(), options: ProviderOptions = {}): Promise<ProviderUnderTest> {
  const provider = createProvider({ ...config, clock: () => clock.now })
  await provider.ready
  const counts = new Map<string, number>()
  const faults: { endpoint: string; fault: Fault; left: number }[] = []
  const wrapped: Provider = {
    ...provider,
    async fetch(request) {
      if (options.onRequest) request = await options.onRequest(request)
      const path = new URL(request.url).pathname
      for (const key of ['access_token', 'connect/jwk_uri', '.well-known/openid-configuration', 'token/revoke', 'userinfo', 'introspect', 'device/code', 'authorize']) {
        if (path.endsWith(key)) counts.set(key, (counts.get(key) ?? 0) + 1)
      }
      const i = faults.findIndex((f) => path.endsWith(f.endpoint))
      if (i !== -1) {
        const f = faults[i]!
        if (--f.left === 0) faults.splice(i, 1)
        return f.fault(request, provider)
      }
      return provider.fetch(request)
    },
  }
  let origin: string
  let close: () => Promise<void>
  if (mode === 'msw') {
    origin = 'https://idp.example.test'
    const server = setupServer(...providerHandlers(wrapped, origin))
    server.listen({ onUnhandledRequest: 'error' })
    close = async () => server.close()
  } else {
    const running = await listen(wrapped, { port: 0, host: '127.0.0.1' })
    origin = `http://127.0.0.1:${running.port}`
    close = () => running.close()
  }
  let networkFailures = 0
  const clientFetch: typeof fetch = async (input, init) => {
    if (networkFailures > 0) {
      networkFailures--
      throw new TypeError('fetch failed')
    }
    return fetch(input, init)
  }
  return {
    mode,
    provider,
    origin,
    issuer: (realm = 'alpha') => provider.issuer(realm, origin),
    clock,
    count: (endpoint) => counts.get(endpoint) ?? 0,
    fault: (endpoint, fault, times = 1) => faults.push({ endpoint, fault, left: times }),
    fetch: clientFetch,
    failNetwork: (times = 1) => {
      networkFailures += times
    },
    close,
  }
}

/** Signs the demo user in at the provider as a browser would and returns the callback URL. */
export async function signInAtProvider(p: Pick<ProviderUnderTest, 'origin'>, signInUrl: URL, user = { username: 'demo', password: 'Ch4ng3-it!' }): Promise<string> {
  const cookies = new Map<string, string>()
  const send = async (url: string, body?: Record<string, string>) => {
    const headers = new Headers()
    if (cookies.size) headers.set('cookie', [...cookies].map(([k, v]) => `${k}=${v}`).join('; '))
    if (body) headers.set('content-type', 'application/x-www-form-urlencoded')
    const res = await fetch(url, { method: body ? 'POST' : 'GET', headers, redirect: 'manual', ...(body && { body: new URLSearchParams(body).toString() }) })
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';')
      const eq = pair!.indexOf('=')
      cookies.set(pair!.slice(0, eq), pair!.slice(eq + 1))
    }
    return res
  }
  let res = await send(signInUrl.href)
  for (let i = 0; i < 6; i++) {
    if (res.status === 302) {
      const location = new URL(res.headers.get('location')!, p.origin)
      if (location.origin !== new URL(p.origin).origin) return location.href
      res = await send(location.href)
      continue
    }
    const html = await res.text()
    const action = new URL((/<form[^>]*action="([^"]*)"/.exec(html)?.[1] ?? '').replace(/&#38;/g, '&'), p.origin).href
    const fields: Record<string, string> = {}
    for (const m of html.matchAll(/<input type="hidden" name="([^"]*)" value="([^"]*)">/g)) {
      fields[m[1]!] = m[2]!.replace(/&#(\d+);/g, (_, n: string) => String.fromCharCode(Number(n)))
    }
    if (html.includes('id="password"')) res = await send(action, { ...fields, ...user })
    else if (html.includes('id="allow"')) res = await send(action, { ...fields, decision: 'allow' })
    else throw new Error(`unexpected provider page (${res.status}): ${html.slice(0, 300)}`)
  }
  throw new Error('sign-in did not return to the client')
}
