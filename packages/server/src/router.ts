import type { Endpoint } from './endpoints/Endpoint.js'
import type { HealthCheck } from './endpoints/health.js'

export type Route =
  | { kind: 'oauth2' | 'json'; endpoint: string; realmPath: string }
  | { kind: 'login'; realmPath: string }
  | { kind: 'landing' }
  | { kind: 'health'; check: HealthCheck }
  | { kind: 'not_found' }

/**
 * Maps a path to an endpoint and a realm in the three forms AM answers:
 * `/oauth2/realms/root/realms/alpha/authorize`, `/oauth2/authorize?realm=/alpha` and
 * `/oauth2/alpha/authorize`; AM's REST endpoints in the long form only,
 * `/json/realms/root/realms/alpha/authenticate`. A `realm` query parameter wins over the path.
 * `{basePath}/` is the landing page; `{basePath}/json/health/live`, `…/ready` and
 * `{basePath}/isAlive.jsp` are AM's probes, outside any realm. `endpoints` are the endpoint table's rows.
 */
export function route(url: URL, basePath: string, endpoints: readonly Pick<Endpoint, 'path' | 'under'>[]): Route {
  let path = url.pathname
  if (!path.startsWith(basePath + '/')) return { kind: 'not_found' }
  path = path.slice(basePath.length)
  const queryRealm = realmFromQuery(url)
  if (path === '/') return { kind: 'landing' }
  if (path === '/login') return { kind: 'login', realmPath: queryRealm ?? '/' }
  if (path === '/json/health/live' || path === '/json/health/ready') return { kind: 'health', check: path === '/json/health/live' ? 'live' : 'ready' }
  if (path === '/isAlive.jsp') return { kind: 'health', check: 'isAlive' }
  if (path.startsWith('/json/')) {
    // ForgeRock's SDK calls `sessions/` with a trailing slash; `serverinfo/*` is two segments.
    const m = /^\/json((?:\/realms\/[^/]+)*)\/([^/]+(?:\/[^/]+)?)\/?$/.exec(path)
    const fromPath = m ? realmFromRealmsPath(m[1]!) : undefined
    if (!m || fromPath === undefined || !endpoints.some((e) => e.under === 'json' && e.path === m[2])) return { kind: 'not_found' }
    return { kind: 'json', endpoint: m[2]!, realmPath: queryRealm ?? fromPath }
  }
  if (!path.startsWith('/oauth2/')) return { kind: 'not_found' }
  const rest = path.slice('/oauth2'.length)
  // `rest` starts with `/`: a match is `/{path}` at its end, without a string built per candidate.
  const endpoint = oauth2Paths(endpoints).find((e) => rest.endsWith(e) && rest[rest.length - e.length - 1] === '/')
  if (!endpoint) return { kind: 'not_found' }
  const prefix = rest.slice(0, rest.length - endpoint.length - 1)
  const fromPath = prefix.startsWith('/realms/') ? realmFromRealmsPath(prefix) : shortForm(prefix)
  if (fromPath === undefined) return { kind: 'not_found' }
  return { kind: 'oauth2', endpoint, realmPath: queryRealm ?? fromPath }
}

/** The `oauth2` endpoints' paths per endpoint table, longest first, so that suffix matching finds `token/revoke` before any `revoke`. */
const OAUTH2_PATHS = new WeakMap<readonly object[], string[]>()

function oauth2Paths(endpoints: readonly Pick<Endpoint, 'path' | 'under'>[]): string[] {
  let paths = OAUTH2_PATHS.get(endpoints)
  if (!paths) {
    paths = endpoints.filter((e) => e.under === undefined).map((e) => e.path).sort((a, b) => b.length - a.length)
    OAUTH2_PATHS.set(endpoints, paths)
  }
  return paths
}

/** The last prefix read and its realm: a server's requests mostly name the same realm. */
let lastPrefix = ''
let lastRealm: string | undefined = '/'

/** `/realms/root/realms/alpha/realms/beta` → `/alpha/beta`. */
function realmFromRealmsPath(prefix: string): string | undefined {
  if (prefix !== lastPrefix) {
    lastRealm = parseRealmsPath(prefix)
    lastPrefix = prefix
  }
  return lastRealm
}

function parseRealmsPath(prefix: string): string | undefined {
  if (prefix === '') return '/'
  const parts = prefix.split('/').slice(1)
  if (parts.length % 2 !== 0 || parts[0] !== 'realms' || parts[1] !== 'root') return undefined
  const names: string[] = []
  for (let i = 2; i < parts.length; i += 2) {
    if (parts[i] !== 'realms' || !parts[i + 1]) return undefined
    names.push(parts[i + 1]!)
  }
  return '/' + names.join('/')
}

/** `/alpha/beta` (Identity Cloud's short form) → `/alpha/beta`. */
function shortForm(prefix: string): string | undefined {
  if (prefix === '') return '/'
  const names = prefix.split('/').slice(1)
  return names.some((n) => n === '' || n === 'realms') ? undefined : '/' + names.join('/')
}

function realmFromQuery(url: URL): string | undefined {
  // Most requests have no query: no URLSearchParams made for them.
  if (url.search === '') return undefined
  const values = url.searchParams.getAll('realm')
  if (values.length === 0) return undefined
  // `realm=/`, `realm=alpha`, `realm=/alpha/` and `realm=/root/alpha` all name the same realms.
  const names = values[0]!.split('/').filter(Boolean)
  if (names[0] === 'root') names.shift()
  return '/' + names.join('/')
}
