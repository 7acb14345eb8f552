// oidc-provider 9 ships no types (DefinitelyTyped's @types/oidc-provider is not installed):
// what the interop test uses of it, loosely typed, rather than an implicit any.
declare module 'oidc-provider-9' {
  import type { IncomingMessage, ServerResponse } from 'node:http'

  /** What a `features.*` policy or `findAccount` is handed: the request's context. */
  interface ProviderContext {
    oidc: { client?: { clientId: string } }
  }

  export default class Provider {
    constructor(issuer: string, configuration: Record<string, unknown>)
    /** The node:http request listener. */
    callback(): (req: IncomingMessage, res: ServerResponse) => void
  }
  export type { ProviderContext }
}
