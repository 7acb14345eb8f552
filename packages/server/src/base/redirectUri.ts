import { LOOPBACK_HOSTS } from './http.js'

/** A loopback URI whose port is an AM wildcard pattern (seed 004): `localhost:*`, `[::1]:*443`, `127.0.0.1:80*`. */
const PORT_PATTERN = /^(https?:\/\/(?:localhost|127\.0\.0\.1|\[::1\])):([0-9]*\*[0-9*]*)(\/.*)?$/i

/**
 * Splits a registered redirect URI into the URI without its port pattern and the pattern as a
 * RegExp (`*` is any run of digits); `port` is absent when the URI has no `*` in its port.
 * A run of `*` is one `*`, and a pattern is at most five digits, as a port is: a registered
 * `:***…*1` was a `[0-9]*` per star, and matching a port against it backtracked for hours
 * (every way of sharing five digits among the stars), or overflowed the stack. A longer one is
 * no pattern, so its URI, with `*` in the port, is refused as not a URI.
 */
export function splitPortPattern(uri: string): { uri: string; port?: RegExp } {
  const m = PORT_PATTERN.exec(uri)
  if (!m) return { uri }
  const glob = m[2]!.replace(/\*+/g, '*')
  if (glob.length - glob.split('*').length + 1 > 5) return { uri }
  return { uri: m[1]! + (m[3] ?? '/'), port: new RegExp(`^${glob.replaceAll('*', '[0-9]*')}$`) }
}

/**
 * Whether `given` is on the loopback host and scheme of `registered` at a port it allows: the
 * registered pattern's when it has one, else any port (RFC 8252 section 7.3). Only for clients
 * that allow wildcard ports; paths are the caller's to compare.
 */
export function loopbackPortMatches(registered: string, given: URL): boolean {
  const { uri, port } = splitPortPattern(registered)
  const r = new URL(uri)
  if (!LOOPBACK_HOSTS.has(r.hostname) || r.protocol !== given.protocol || r.hostname !== given.hostname) return false
  return port === undefined || port.test(given.port || (given.protocol === 'https:' ? '443' : '80'))
}

/** AM's redirect URI match: exact, or a loopback one on an allowed port when the client allows wildcard ports. */
export function redirectMatches(registered: string, given: string, wildcardPorts: boolean): boolean {
  if (registered === given) return true
  if (!wildcardPorts || !URL.canParse(given) || given.includes('#')) return false
  const g = new URL(given)
  const r = new URL(splitPortPattern(registered).uri)
  return (
    loopbackPortMatches(registered, g) && g.username === '' && g.password === '' && g.pathname === r.pathname && g.search === r.search
  )
}
