import { fromRequest, toResponse, type HttpRequest, type Reply } from './base/http.js'
import type { FetchOptions } from './createProvider.js'

/** The provider's handlers below `fetch`: a request shape in, plain data out, never throwing. */
export type DirectHandler = (request: HttpRequest, url: URL, options?: FetchOptions) => Promise<Reply>

/**
 * Keyed by a provider's own `fetch`, so a wrapper that replaces `fetch` (`{ ...provider, fetch }`,
 * as tests and the CLI's dev hooks do) has no direct handler, and adapters go through its `fetch`.
 */
const HANDLERS = new WeakMap<object, DirectHandler>()

export function registerDirectHandler(fetch: object, handler: DirectHandler): void {
  HANDLERS.set(fetch, handler)
}

/** The handlers behind `provider.fetch`, when `fetch` is still the provider's own. */
export function directHandler(provider: { fetch: object }): DirectHandler | undefined {
  return HANDLERS.get(provider.fetch)
}

/**
 * A provider that answers some requests itself (`handle` gives a reply) and passes the rest
 * to `provider`'s handlers, the same way over `fetch` and over node:http, so a hook such as
 * the CLI's `--dev-clock` does not take the node adapter off its direct path.
 */
export function intercept<P extends { fetch(request: Request, options?: FetchOptions): Promise<Response> }>(
  provider: P,
  handle: (request: HttpRequest, url: URL) => Promise<Reply | undefined>,
): P {
  const inner = directHandler(provider)
  if (!inner) throw new TypeError('intercept needs a provider whose fetch is its own')
  const direct: DirectHandler = async (request, url, options) => (await handle(request, url)) ?? inner(request, url, options)
  const fetch = async (request: Request, options?: FetchOptions) => toResponse(await direct(fromRequest(request), new URL(request.url), options))
  registerDirectHandler(fetch, direct)
  return { ...provider, fetch }
}
