/**
 * Serves the test SPA and the provider on two loopback ports and drives Debian's Chromium
 * with playwright-core. The provider's clock and each page's clock move together on demand.
 */
import { createServer, type Server } from 'node:http'
import { createServer as createTcpServer } from 'node:net'
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import { chromium, type Browser } from 'playwright-core'
import { createProvider, type Provider, type RealmConfig } from '@realmauth/server'
import { listen, type RunningProvider } from '@realmauth/server/node'

const root = fileURLToPath(new URL('../../', import.meta.url))
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
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
  /** Whether the API saw a valid token on its last call. */
  close(): Promise<void>
}

export async function startE2E(realm: Partial<RealmConfig> = {}): Promise<E2E> {
  const bundle = await build({
    entryPoints: [`${root}test/browser/app/main.ts`],
    bundle: true,
    write: false,
    format: 'esm',
    target: 'es2022',
    alias: {
      '@realmauth/browser': `${root}packages/browser/src/index.ts`,
      '@realmauth/core': `${root}packages/core/src/index.ts`,
    },
  })
  const script = bundle.outputFiles[0]!.text
  let providerOffsetMs = 0
  let provider!: Provider
  let config = {}

  const app: Server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://app')
    if (url.pathname === '/app.js') {
      res.writeHead(200, { 'content-type': 'text/javascript' }).end(script)
    } else if (url.pathname === '/api/hello') {
      // A protected resource: asks the provider's tokeninfo, as an AM resource server would.
      const info = await provider.fetch(new Request(`${issuer}/tokeninfo`, { headers: { authorization: req.headers.authorization ?? '' } }))
      const body = (await info.json()) as { sub?: string }
      res.writeHead(info.status === 200 ? 200 : 401, { 'content-type': 'application/json' }).end(JSON.stringify(info.status === 200 ? { hello: body.sub } : { error: 'invalid_token' }))
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
  const counting: Provider = {
    ...provider,
    async fetch(request) {
      if (request.method === 'POST' && new URL(request.url).pathname.endsWith('/access_token')) {
        const grant = new URLSearchParams(await request.clone().text()).get('grant_type') ?? '?'
        grants[grant] = (grants[grant] ?? 0) + 1
      }
      return provider.fetch(request)
    },
  }
  const running: RunningProvider = await listen(counting, { port: 0, host: '127.0.0.1' })
  const issuer = provider.issuer('alpha', `http://127.0.0.1:${running.port}`)
  // Each page starts on the provider's clock; the test then moves both together.
  config = { issuer, clientId: 'spa', origin: appOrigin }

  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS })
  return {
    appOrigin,
    issuer,
    provider,
    browser,
    grants,
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

/** A loopback port nobody listens on right now, for servers that must know theirs up front. */
export async function freePort(): Promise<number> {
  const server = createTcpServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}
