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

export function preflight(cors: Record<string, string>, methods: readonly string[]): Reply {
  if (!cors['access-control-allow-origin']) return { status: 204, headers: {}, body: null }
  return {
    status: 204,
    body: null,
    headers: {
      ...cors,
      'access-control-allow-methods': methods.join(', '),
      // ForgeRock's SDK sends the last three on every call to AM.
      'access-control-allow-headers': 'authorization, content-type, dpop, accept-api-version, x-requested-with, x-requested-platform',
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
