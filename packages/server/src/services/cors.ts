import { loopbackPortMatches, splitPortPattern } from '../base/redirectUri.js'
import type { Realm } from '../model/index.js'
import type { HttpRequest, Reply } from '../base/http.js'


/**
 * Credentialed CORS for the endpoints a single-page app calls with fetch, as AM's CORS filter
 * is set up for SPAs: the exact origin, never `*`, with credentials. An origin is allowed when
 * one of the realm's clients registered a redirect URI there (any port on loopback for clients
 * that allow wildcard ports) or the realm lists it in `cors_origins`.
 */
export function corsHeaders(realm: Realm, request: HttpRequest): Record<string, string> {
  const origin = request.headers.get('origin')
  if (!origin || !isAllowedOrigin(realm, origin)) return {}
  return {
    'access-control-allow-origin': origin,
    'access-control-allow-credentials': 'true',
    'access-control-expose-headers': 'www-authenticate, dpop-nonce',
    vary: 'origin',
  }
}

/**
 * The answer to a CORS preflight: the request headers AM's clients send cross-origin are allowed.
 * ForgeRock's SDK sends `accept-api-version`, `x-requested-with` and `x-requested-platform` on
 * every call; the zero-page login sends `x-openam-username` and `x-openam-password`; and a client
 * that keeps no cookies sends the SSO token in a header named like the session cookie
 * (`cookieName`, AM's `iPlanetDirectoryPro`).
 */
export function preflight(cors: Record<string, string>, methods: readonly string[], cookieName: string): Reply {
  if (!cors['access-control-allow-origin']) return { status: 204, headers: {}, body: null }
  const allowed = ['authorization', 'content-type', 'dpop', 'accept-api-version', 'x-requested-with', 'x-requested-platform', 'x-openam-username', 'x-openam-password', cookieName.toLowerCase()]
  return {
    status: 204,
    body: null,
    headers: {
      ...cors,
      'access-control-allow-methods': methods.join(', '),
      'access-control-allow-headers': allowed.join(', '),
      'access-control-max-age': '600',
    },
  }
}

function isAllowedOrigin(realm: Realm, origin: string): boolean {
  let parsed: URL
  try {
    parsed = new URL(origin)
  } catch {
    return false
  }
  if (realm.corsOrigins.includes(parsed.origin)) return true
  for (const client of realm.clients.values()) {
    for (const uri of [...client.redirectUris, ...client.postLogoutRedirectUris]) {
      if (client.allowWildcardPorts && loopbackPortMatches(uri, parsed)) return true
      if (splitPortPattern(uri).port === undefined && new URL(uri).origin === parsed.origin) return true
    }
  }
  return false
}
