import { createBrowserClient, userinfoProfile, type BrowserClient, type BrowserClientOptions } from '@realmauth/browser'

/**
 * Where {@link AuthProvider} keeps its client. Creating a holder is pure, because React may
 * call a state initializer twice (StrictMode) or render a provider it then throws away; the
 * client, whose creation opens a tab channel and adds listeners, exists only once something
 * asks for it.
 *
 * @internal
 */
export interface ClientHolder {
  get(): BrowserClient
  /** A mounted provider now uses the client. True when the one it rendered with was disposed. */
  retain(): boolean
  release(): void
}

/** A client the app made: the app owns it, so it is never disposed here. */
export function givenClient(client: BrowserClient): ClientHolder {
  return { get: () => client, retain: () => false, release() {} }
}

/** A client the provider made from options: created on first use, disposed when the provider leaves. */
export function ownedClient(options: BrowserClientOptions): ClientHolder {
  let client: BrowserClient | undefined
  let users = 0
  let disposed = false
  return {
    // The profile from userinfo unless the app says otherwise: AM puts it there, not in the ID token.
    get: () => (client ??= createBrowserClient({ ...options, profile: options.profile ?? userinfoProfile })),
    retain() {
      users++
      const stale = disposed
      disposed = false
      return stale
    },
    release() {
      users--
      // StrictMode (and <Activity>) run cleanups and then the effects again in the same task:
      // wait a microtask so a provider that comes straight back keeps its client.
      queueMicrotask(() => {
        if (users > 0 || !client) return
        client.dispose()
        client = undefined
        disposed = true
      })
    },
  }
}
