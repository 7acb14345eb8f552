import type { HttpRequest, Reply } from './base/http.js'

/** The provider's handlers below `fetch`: a request shape in, plain data out, never throwing. */
export type DirectHandler = (request: HttpRequest, url: URL) => Promise<Reply>

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
