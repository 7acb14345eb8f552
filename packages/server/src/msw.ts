/**
 * msw handlers that answer a provider's requests in process, for tests and demos.
 *
 * @packageDocumentation
 * @module @realmauth/server/msw
 */
import { http, type HttpHandler } from 'msw'
import type { Provider } from './createProvider.js'

/**
 * msw request handlers that answer every request to `origin` with the provider, in
 * process: no port, no network.
 *
 * @example
 * ```ts
 * import { setupServer } from 'msw/node'
 * const provider = createProvider(demoConfig())
 * const server = setupServer(...providerHandlers(provider, 'https://idp.test'))
 * server.listen({ onUnhandledRequest: 'error' })
 * ```
 */
export function providerHandlers(provider: Provider, origin: string): HttpHandler[] {
  const base = new URL(origin).origin
  return [http.all(`${base}/*`, ({ request }) => provider.fetch(request))]
}
