/** Multi-step flows shared by the provider tests: PKCE, sign-in, consent, code exchange. */
import { createHash, randomBytes } from 'node:crypto'
import { DEMO } from '@realmauth/server'
import { Browser, basic, form, parseForm, type Harness } from './harness.js'

export function pkce(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url')
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') }
}

/** Decodes a JWT's payload without checking it (tests check signatures separately). */
export function claims(jwt: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>
}

export interface AuthorizeResult {
  /** The final redirect to the client. */
  location: URL
  /** Response parameters from the query or the fragment. */
  params: URLSearchParams
  browser: Browser
}

/**
 * Drives `authorize` as a user: follows the redirect to the sign-in page, signs in, allows
 * the consent page if one appears, and returns the redirect back to the client.
 */
export async function authorizeAsUser(
  h: Harness,
  query: Record<string, string>,
  options: { browser?: Browser; username?: string; password?: string; realm?: string; decision?: 'allow' | 'deny' } = {},
): Promise<AuthorizeResult> {
  const browser = options.browser ?? new Browser(h)
  const url = `${h.issuer(options.realm)}/authorize?${new URLSearchParams(query)}`
  let res = await browser.get(url)
  for (let step = 0; step < 6; step++) {
    if (res.status === 302) {
      const location = new URL(res.headers.get('location')!)
      if (!location.href.startsWith(h.origin)) {
        const params = new URLSearchParams(location.hash ? location.hash.slice(1) : location.search)
        return { location, params, browser }
      }
      res = await browser.get(location.href)
      continue
    }
    const html = await res.text()
    if (res.status !== 200) throw new Error(`authorize answered ${res.status}: ${html}`)
    const page = parseForm(html)
    if (html.includes('id="password"')) {
      res = await browser.post(new URL(page.action, h.origin).href, {
        ...page.fields,
        username: options.username ?? DEMO.user.username,
        password: options.password ?? DEMO.user.password,
      })
    } else if (html.includes('id="allow"')) {
      res = await browser.post(new URL(page.action, h.origin).href, { ...page.fields, decision: options.decision ?? 'allow' })
    } else {
      throw new Error(`unexpected page: ${html}`)
    }
  }
  throw new Error('authorize did not return to the client')
}

/** Signs in the demo user through the demo SPA client and exchanges the code. */
export async function spaTokens(h: Harness, extra: Record<string, string> = {}) {
  const { verifier, challenge } = pkce()
  const { params, browser } = await authorizeAsUser(h, {
    client_id: DEMO.spa.client_id,
    redirect_uri: DEMO.spa.redirect_uri,
    response_type: 'code',
    scope: 'openid profile email',
    state: 'st-1',
    nonce: 'n-1',
    code_challenge: challenge,
    code_challenge_method: 'S256',
    ...extra,
  })
  const code = params.get('code')!
  const res = await h.fetch(
    `${h.issuer()}/access_token`,
    form({ grant_type: 'authorization_code', code, redirect_uri: DEMO.spa.redirect_uri, client_id: DEMO.spa.client_id, code_verifier: verifier }),
  )
  const body = (await res.json()) as Record<string, string>
  if (res.status !== 200) throw new Error(`code exchange failed: ${JSON.stringify(body)}`)
  return { ...body, code, verifier, browser } as {
    access_token: string
    refresh_token: string
    id_token: string
    expires_in: number
    code: string
    verifier: string
    browser: Browser
  }
}

export const m2mAuth = { authorization: basic(DEMO.m2m.client_id, DEMO.m2m.client_secret) }
export const webAuth = { authorization: basic(DEMO.web.client_id, DEMO.web.client_secret) }

/** POSTs a form to an endpoint under the issuer with optional extra headers. */
export function postForm(h: Harness, endpoint: string, fields: Record<string, string>, headers: Record<string, string> = {}) {
  const init = form(fields)
  return h.fetch(`${h.issuer()}/${endpoint}`, { ...init, headers: { ...(init.headers as Record<string, string>), ...headers } })
}
