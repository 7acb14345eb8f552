/**
 * Serves the test SPA and the provider on two loopback ports and drives Chromium (see
 * test/support/chromium.ts) with playwright-core. The provider's clock and each page's clock
 * move together on demand.
 */
import { createServer, type Server } from 'node:http'
import { createServer as createTcpServer } from 'node:net'
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core'
import { createProvider, type Provider, type RealmConfig } from '@realmauth/server'
import { listen, type RunningProvider } from '@realmauth/server/node'
import { createAccessTokenVerifier, type AccessTokenError, type AccessTokenVerifier } from '@realmauth/node'
import { findChromium } from '../support/chromium.js'

const root = fileURLToPath(new URL('../../', import.meta.url))
// The browser project's globalSetup has found it already; a run without that setup looks itself.
export const CHROMIUM = process.env.CHROMIUM_PATH ?? (await findChromium()).path
export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-dev-shm-usage']

export interface E2E {
  appOrigin: string
  issuer: string
  provider: Provider
  browser: Browser
  /** Seconds the provider's clock is ahead of the wall clock. */
  advanceProvider(seconds: number): void
  /** Token-endpoint requests by grant type since start. */
  grants: Record<string, number>
  /** Requests `/api/nonce-always` answered with a nonce challenge. */
  nonceChallenges(): number
  close(): Promise<void>
}

export async function startE2E(realm: Partial<RealmConfig> = {}, page: { dpop?: boolean } = {}): Promise<E2E> {
  const script = await bundleTestApp('test/browser/app/main.ts')
  let providerOffsetMs = 0
  let provider!: Provider
  let config = {}
  let verifier: AccessTokenVerifier
  let nonceChallenges = 0

  const app: Server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://app')
    if (url.pathname === '/app.js') {
      res.writeHead(200, { 'content-type': 'text/javascript' }).end(script)
    } else if (url.pathname === '/api/hello') {
      // A protected resource: asks the provider's tokeninfo, as an AM resource server would.
      const info = await provider.fetch(new Request(`${issuer}/tokeninfo`, { headers: { authorization: req.headers.authorization ?? '' } }))
      const body = (await info.json()) as { sub?: string }
      res.writeHead(info.status === 200 ? 200 : 401, { 'content-type': 'application/json' }).end(JSON.stringify(info.status === 200 ? { hello: body.sub } : { error: 'invalid_token' }))
    } else if (url.pathname === '/api/dpop') {
      // A resource server that checks DPoP proofs, as @realmauth/node's users would run it.
      try {
        const claims = await verifier.verify(req.headers.authorization, { dpop: { proof: req.headers.dpop, method: req.method ?? 'GET', url: appOrigin + url.pathname + url.search } })
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ hello: claims.sub, jkt: claims.cnf?.jkt ?? null }))
      } catch (err) {
        const e = err as AccessTokenError
        res.writeHead(e.status ?? 500, { 'content-type': 'application/json', 'www-authenticate': e.wwwAuthenticate ?? '' }).end(JSON.stringify({ error: e.code }))
      }
    } else if (url.pathname === '/api/nonce-always') {
      // An API whose every answer is a new DPoP nonce challenge: a client must give up after one retry.
      nonceChallenges++
      res.writeHead(401, { 'www-authenticate': 'DPoP error="use_dpop_nonce"', 'dpop-nonce': `n-${nonceChallenges}` }).end()
    } else if (url.pathname === '/favicon.ico') {
      res.writeHead(404).end()
    } else {
      res.writeHead(200, { 'content-type': 'text/html' }).end(
        `<!doctype html><html><body><p id="user"></p><script type="application/json" id="config">${JSON.stringify({ ...config, offsetMs: providerOffsetMs })}</script><script type="module" src="/app.js"></script></body></html>`,
      )
    }
  })
  await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve))
  const appOrigin = `http://127.0.0.1:${(app.address() as AddressInfo).port}`

  const grants: Record<string, number> = {}
  provider = createProvider({
    clock: () => Date.now() + providerOffsetMs,
    realms: [
      {
        name: 'alpha',
        allow_implied_consent: true,
        ...realm,
        clients: [
          {
            client_id: 'spa',
            token_endpoint_auth_method: 'none',
            redirect_uris: [`${appOrigin}/callback`],
            post_logout_redirect_uris: [`${appOrigin}/`],
            grant_types: ['authorization_code', 'refresh_token'],
            scope: 'openid profile email',
            implied_consent: true,
          },
          { client_id: 'rs', client_secret: 'rs-secret', grant_types: ['client_credentials'], scope: 'am-introspect-all-tokens' },
        ],
        users: [{ username: 'demo', password: 'Ch4ng3-it!', name: 'Demo User', email: 'demo@example.com' }],
      },
    ],
  })
  const running: RunningProvider = await listen(countingGrants(provider, grants), { port: 0, host: '127.0.0.1' })
  const issuer = provider.issuer('alpha', `http://127.0.0.1:${running.port}`)
  // Each page starts on the provider's clock; the test then moves both together.
  config = { issuer, clientId: 'spa', origin: appOrigin, ...page }
  verifier = createAccessTokenVerifier({ issuer, audience: { any: true }, fetch: (input, init) => provider.fetch(new Request(input, init)), clock: () => Date.now() + providerOffsetMs })

  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS })
  return {
    appOrigin,
    issuer,
    provider,
    browser,
    grants,
    nonceChallenges: () => nonceChallenges,
    advanceProvider: (seconds) => {
      providerOffsetMs += seconds * 1000
    },
    close: async () => {
      await browser.close()
      await running.close()
      await new Promise((resolve) => app.close(resolve))
    },
  }
}

/**
 * `provider` counting its token requests into `grants` by grant type, to serve in its place: a
 * test sees which grant a client used (a refresh token or the iframe, say) without reading its
 * requests.
 *
 * @example
 * ```ts
 * const grants: Record<string, number> = {}
 * const running = await listen(countingGrants(provider, grants), { port: 0, host: '127.0.0.1' })
 * // … after a renewal: expect(grants.refresh_token).toBe(1)
 * ```
 */
export function countingGrants(provider: Provider, grants: Record<string, number>): Provider {
  return {
    ...provider,
    async fetch(request) {
      if (request.method === 'POST' && new URL(request.url).pathname.endsWith('/access_token')) {
        const grant = new URLSearchParams(await request.clone().text()).get('grant_type') ?? '?'
        grants[grant] = (grants[grant] ?? 0) + 1
      }
      return provider.fetch(request)
    },
  }
}

/** Opens the test SPA at `path` in `context` and waits until it has loaded its state. */
export async function openApp(e: Pick<E2E, 'appOrigin'>, context: BrowserContext, path = '/'): Promise<Page> {
  const page = await context.newPage()
  await page.goto(e.appOrigin + path)
  await page.waitForFunction(() => document.body.dataset.ready === 'true')
  return page
}

/**
 * Signs in through the provider's real pages, as a person would; returns the authorization
 * URLs the browser visited (with PAR: `client_id` and `request_uri` only).
 */
export async function signInThroughPages(page: Page): Promise<string[]> {
  const authorize: string[] = []
  const onRequest = (r: { url(): string }) => {
    if (new URL(r.url()).pathname.endsWith('/authorize')) authorize.push(r.url())
  }
  page.on('request', onRequest)
  await page.evaluate(() => void window.app.client.signIn())
  await page.waitForURL((url) => url.pathname.endsWith('/login'))
  await page.fill('#username', 'demo')
  await page.fill('#password', 'Ch4ng3-it!')
  await page.click('#sign-in')
  await page.waitForURL((url) => url.pathname === '/callback')
  await page.waitForFunction(() => document.body.dataset.ready === 'true')
  page.off('request', onRequest)
  return authorize
}

/** A test page's script: `entry` (repository-relative or absolute) with the client packages from source. */
async function bundleTestApp(entry: string): Promise<string> {
  const bundle = await build({
    entryPoints: [entry.startsWith('/') ? entry : `${root}${entry}`],
    bundle: true,
    write: false,
    format: 'esm',
    target: 'es2022',
    alias: {
      '@realmauth/browser': `${root}packages/browser/src/index.ts`,
      '@realmauth/core': `${root}packages/core/src/index.ts`,
    },
  })
  return bundle.outputFiles[0]!.text
}

/** A loopback port nobody listens on right now, for servers that must know theirs up front. */
export async function freePort(): Promise<number> {
  const server = createTcpServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}

/** A page server for one test entry: see {@link serveTestPage}. */
export interface TestPageServer {
  origin: string
  close(): Promise<void>
}

/**
 * Serves a single-page test app on a loopback port: every path answers an HTML page whose
 * `<script id="config">` holds `config()` as JSON (read per request, so it may name servers
 * started afterwards) and which runs `entry` bundled with esbuild (the client packages from
 * source). `route` may answer a path first, an API the page calls.
 *
 * @example
 * ```ts
 * const app = await serveTestPage('test/browser/app/hostile.ts', { config: () => ({ issuer }) })
 * await page.goto(app.origin + '/')
 * ```
 */
export async function serveTestPage(
  entry: string,
  options: { config: () => unknown; route?: (request: Request) => Promise<Response | undefined> },
): Promise<TestPageServer> {
  const script = await bundleTestApp(entry)
  const server: Server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', origin)
      const headers = new Headers()
      for (const [name, value] of Object.entries(req.headers)) if (typeof value === 'string') headers.set(name, value)
      const routed = await options.route?.(new Request(url, { method: req.method ?? 'GET', headers }))
      if (routed) {
        res.writeHead(routed.status, Object.fromEntries(routed.headers)).end(Buffer.from(await routed.arrayBuffer()))
      } else if (url.pathname === '/app.js') {
        res.writeHead(200, { 'content-type': 'text/javascript' }).end(script)
      } else if (url.pathname === '/favicon.ico') {
        res.writeHead(404).end()
      } else {
        const config = JSON.stringify(options.config()).replace(/</g, '\\u003c')
        res.writeHead(200, { 'content-type': 'text/html' }).end(`<!doctype html><html><body><script type="application/json" id="config">${config}</script><script type="module" src="/app.js"></script></body></html>`)
      }
    })().catch((error: unknown) => res.destroy(error as Error))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    origin,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections() // a browser's keep-alive connections would hold close() open
      }),
  }
}
