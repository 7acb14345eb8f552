/**
 * A server-rendered web app: a confidential client (client_secret_basic) whose secret and
 * tokens never reach the browser. The browser holds only this app's own session cookie.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { randomBytes } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import { AuthError, createNodeClient, type TokenSet, type Transaction } from '@realmauth/node'

interface Session {
  transaction?: Transaction
  tokens?: TokenSet
}

const MAX_SESSIONS = 10_000

export interface WebAppOptions {
  issuer: string
  clientId: string
  clientSecret: string
  /** The origin this app is reached at; `/callback` under it must be registered. */
  origin: string
  port: number
  fetch?: typeof fetch
}

export async function startWebApp(options: WebAppOptions): Promise<{ url: string; server: Server }> {
  const client = await createNodeClient({
    issuer: options.issuer,
    clientId: options.clientId,
    auth: { method: 'client_secret_basic', clientSecret: options.clientSecret },
    redirectUri: `${options.origin}/callback`,
    scope: 'openid profile email',
    ...(options.fetch && { fetch: options.fetch }),
  })
  const sessions = new Map<string, Session>()

  /** The request's session; a visit without one gets a throwaway, so only a sign-in keeps anything in memory. */
  function session(req: IncomingMessage): Session {
    const id = sidOf(req)
    return (id && sessions.get(id)) || {}
  }
  const sidOf = (req: IncomingMessage) => /(?:^|;\s*)sid=([A-Za-z0-9_-]+)/.exec(req.headers.cookie ?? '')?.[1]
  /**
   * Keeps `s` under a new id and drops the old one: at the start of a sign-in, and again once it
   * succeeds, so an id someone planted in the browser before never becomes a signed-in session.
   */
  function keep(req: IncomingMessage, res: ServerResponse, s: Session): void {
    const old = sidOf(req)
    if (old) sessions.delete(old)
    const fresh = randomBytes(24).toString('base64url')
    sessions.set(fresh, s)
    // In memory, so bounded: the oldest go first (a real app keeps sessions in a store with expiry).
    if (sessions.size > MAX_SESSIONS) sessions.delete(sessions.keys().next().value!)
    res.setHeader('set-cookie', `sid=${fresh}; Path=/; HttpOnly; SameSite=Lax`)
  }
  const page = (res: ServerResponse, body: string, status = 200) =>
    res.writeHead(status, { 'content-type': 'text/html; charset=utf-8' }).end(`<!doctype html><title>realmauth web app</title><body style="font:16px system-ui;max-width:40rem;margin:2rem auto">${body}</body>`)
  const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)

  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', options.origin)
    const s = session(req)
    try {
      switch (url.pathname) {
        case '/': {
          const claims = s.tokens?.claims
          return page(res, claims
            ? `<h1>Hello ${escape(String(claims.name ?? claims.sub))}</h1><p id="user">${escape(String(claims.sub))}</p>
               <p>Access token expires at ${new Date(s.tokens!.expiresAt ?? 0).toISOString()}</p>
               <p><a href="/refresh" id="refresh">Refresh tokens</a> · <a href="/logout" id="logout">Sign out</a></p>`
            : `<h1>Signed out</h1><p><a href="/login" id="login">Sign in</a></p>`)
        }
        case '/login': {
          const { url: authorize, transaction } = await client.signInUrl()
          s.transaction = transaction
          keep(req, res, s)
          return res.writeHead(302, { location: authorize.href }).end()
        }
        case '/callback': {
          const transaction = s.transaction
          delete s.transaction
          if (!transaction) return page(res, '<p>No sign-in in progress. <a href="/login">Start again</a></p>', 400)
          s.tokens = await client.handleCallback(url, transaction)
          keep(req, res, s)
          return res.writeHead(302, { location: '/' }).end()
        }
        case '/refresh': {
          if (s.tokens?.refreshToken) {
            s.tokens = await client.refresh(s.tokens.refreshToken, s.tokens.claims ? { previousClaims: s.tokens.claims } : {})
          }
          return res.writeHead(302, { location: '/' }).end()
        }
        case '/logout': {
          const tokens = s.tokens
          delete s.tokens
          if (tokens?.refreshToken) await client.revoke(tokens.refreshToken, 'refresh_token').catch(() => {})
          const end = await client.endSessionUrl({ ...(tokens?.idToken && { idTokenHint: tokens.idToken }), postLogoutRedirectUri: `${options.origin}/` })
          return res.writeHead(302, { location: end?.href ?? '/' }).end()
        }
        default:
          return page(res, '<p>Not found</p>', 404)
      }
    } catch (err) {
      // Sign-in or refresh refused: the session keeps nothing from the failed attempt.
      const reason = err instanceof AuthError ? `${err.code}: ${err.message}` : 'unexpected error'
      if (err instanceof AuthError && err.needsUser) delete s.tokens
      return page(res, `<p id="error">${escape(reason)}</p><p><a href="/login">Sign in again</a></p>`, 400)
    }
  })
  await new Promise<void>((resolve) => server.listen(options.port, '127.0.0.1', resolve))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server }
}
