/**
 * Shared by authorize.test.ts and end-session.test.ts: a provider config made for the
 * authorization endpoint, and a driver that walks `authorize` as a browser would while
 * recording which pages the user saw.
 */
import { createHash, generateKeyPairSync } from 'node:crypto'
import { createLocalJWKSet, jwtVerify, type JWTPayload, type ProtectedHeaderParameters } from 'jose'
import type { ProviderConfig, SigningJwk } from '@realmauth/server'
import { Browser, parseForm, type Harness } from './harness.js'

export const ALICE = { username: 'alice', password: 'Wonder-land-1' }
export const BOB = { username: 'bob', password: 'Bu1lder-bob' }
/** Users of `alpha` whose saved consent no other test touches. */
export const CAROL = { username: 'carol', password: 'C4rol-pass' }
export const DAVE = { username: 'dave', password: 'D4ve-pass' }

export const WEB = {
  client_id: 'web',
  client_secret: 'web-secret',
  redirect_uri: 'https://app.example/cb',
  post_logout_redirect_uri: 'https://app.example/bye',
}
export const HYBRID = {
  client_id: 'hybrid',
  client_secret: 'hybrid-secret',
  redirect_uri: 'https://hybrid.example/cb',
  post_logout_redirect_uri: 'https://hybrid.example/bye',
}
export const ES = { client_id: 'es', client_secret: 'es-secret', redirect_uri: 'https://es.example/cb' }
export const SPA = { client_id: 'spa', redirect_uri: 'http://localhost:8080/cb' }
export const STRICT = { client_id: 'strict', redirect_uri: 'http://localhost:7000/cb' }
/** Seed 004's wildcard-port syntax, verbatim. */
export const PORTS = { client_id: 'ports', redirect_uris: ['http://localhost:*/', 'https://[::1]:*443/', 'http://127.0.0.1:80*/'] }
export const AGED = { client_id: 'aged', client_secret: 'aged-secret', redirect_uri: 'https://aged.example/cb' }
/** Seed 004's defaults: no response_types given, so all seven; the implicit grant, so tokens from authorize. */
export const IMPLICIT = { client_id: 'implicit', redirect_uri: 'https://implicit.example/cb' }
/** The implicit grant, but response_types narrowed to code. */
export const NARROW = { client_id: 'narrow', redirect_uri: 'https://narrow.example/cb' }
export const SINGLE = { client_id: 'single', client_secret: 'single-secret', redirect_uri: 'https://single.example/cb' }
export const BETA = { client_id: 'beta-app', client_secret: 'beta-secret', redirect_uri: 'https://beta.example/cb' }
export const ROOT = { client_id: 'root-app', client_secret: 'root-secret', redirect_uri: 'https://root.example/cb' }
export const GAMMA = { client_id: 'gamma-app', client_secret: 'gamma-secret', redirect_uri: 'https://gamma.example/cb' }

/**
 * Signing keys made once per test file: every harness of the file shares them, so none
 * spends its start-up generating an RSA key.
 */
const KEYS: SigningJwk[] = [
  { ...(generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' }) as SigningJwk), alg: 'RS256' },
  { ...(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' }) as SigningJwk), alg: 'ES256' },
]

const ALL_RESPONSE_TYPES = ['code', 'token', 'id_token', 'code token', 'id_token token', 'code id_token', 'code id_token token']
const FRONT = ['authorization_code', 'implicit', 'refresh_token']

/** Realm `alpha` (with sub-realm `alpha/beta`), the root realm and `gamma` (no iss, no implied consent). */
export function authorizeConfig(basePath?: string): ProviderConfig {
  const users = [
    {
      ...ALICE,
      name: 'Alice Liddell',
      given_name: 'Alice',
      family_name: 'Liddell',
      email: 'alice@example.com',
      email_verified: true,
    },
  ]
  return {
    ...(basePath !== undefined && { base_path: basePath }),
    keys: KEYS,
    realms: [
      {
        name: 'alpha',
        allow_implied_consent: true,
        users: [...users, CAROL, DAVE],
        clients: [
          {
            client_id: WEB.client_id,
            client_secret: WEB.client_secret,
            client_name: 'Tea Party Web',
            description: 'Schedules tea parties for the March Hare.',
            policy_uri: 'https://app.example/privacy',
            redirect_uris: [WEB.redirect_uri, 'https://app.example/other'],
            post_logout_redirect_uris: [WEB.post_logout_redirect_uri],
            grant_types: FRONT,
            response_types: ALL_RESPONSE_TYPES,
            scope: 'openid profile email',
          },
          {
            client_id: HYBRID.client_id,
            client_secret: HYBRID.client_secret,
            client_name: 'Hybrid app',
            redirect_uris: [HYBRID.redirect_uri],
            post_logout_redirect_uris: [HYBRID.post_logout_redirect_uri],
            grant_types: FRONT,
            response_types: ALL_RESPONSE_TYPES,
            scope: 'openid profile email',
            implied_consent: true,
          },
          {
            client_id: ES.client_id,
            client_secret: ES.client_secret,
            redirect_uris: [ES.redirect_uri],
            grant_types: FRONT,
            response_types: ALL_RESPONSE_TYPES,
            scope: 'openid profile',
            implied_consent: true,
            id_token_signed_response_alg: 'ES256',
          },
          {
            client_id: SPA.client_id,
            token_endpoint_auth_method: 'none',
            redirect_uris: [SPA.redirect_uri, 'http://127.0.0.1/cb', 'http://[::1]:9/cb'],
            grant_types: ['authorization_code', 'refresh_token'],
            scope: 'openid profile',
            implied_consent: true,
            allow_wildcard_ports: true,
          },
          {
            client_id: PORTS.client_id,
            token_endpoint_auth_method: 'none',
            redirect_uris: PORTS.redirect_uris,
            scope: 'openid profile',
            implied_consent: true,
            allow_wildcard_ports: true,
          },
          {
            client_id: STRICT.client_id,
            token_endpoint_auth_method: 'none',
            redirect_uris: [STRICT.redirect_uri],
            scope: 'openid profile',
            implied_consent: true,
          },
          {
            client_id: AGED.client_id,
            client_secret: AGED.client_secret,
            redirect_uris: [AGED.redirect_uri],
            scope: 'openid profile',
            implied_consent: true,
            default_max_age: 600,
          },
          {
            client_id: IMPLICIT.client_id,
            client_secret: 'implicit-secret',
            redirect_uris: [IMPLICIT.redirect_uri],
            grant_types: ['implicit'],
            scope: 'openid profile',
            implied_consent: true,
          },
          {
            client_id: NARROW.client_id,
            client_secret: 'narrow-secret',
            redirect_uris: [NARROW.redirect_uri],
            grant_types: ['authorization_code', 'implicit'],
            response_types: ['code'],
            scope: 'openid profile',
            implied_consent: true,
          },
          {
            client_id: SINGLE.client_id,
            client_secret: SINGLE.client_secret,
            redirect_uris: [SINGLE.redirect_uri],
            scope: 'openid profile read',
            implied_consent: true,
          },
        ],
      },
      {
        name: 'alpha/beta',
        allow_implied_consent: true,
        users: [{ ...BOB, name: 'Bob' }],
        clients: [
          {
            client_id: BETA.client_id,
            client_secret: BETA.client_secret,
            redirect_uris: [BETA.redirect_uri],
            scope: 'openid profile',
            implied_consent: true,
          },
        ],
      },
      {
        name: '/',
        allow_implied_consent: true,
        users,
        clients: [
          {
            client_id: ROOT.client_id,
            client_secret: ROOT.client_secret,
            redirect_uris: [ROOT.redirect_uri],
            scope: 'openid',
            implied_consent: true,
          },
        ],
      },
      {
        name: 'gamma',
        authorization_response_iss: false,
        // allow_implied_consent left at AM's default: off.
        users,
        clients: [
          {
            client_id: GAMMA.client_id,
            client_secret: GAMMA.client_secret,
            redirect_uris: [GAMMA.redirect_uri],
            scope: 'openid profile',
            implied_consent: true,
          },
        ],
      },
    ],
  }
}

export function authorizeUrl(issuer: string, query: Record<string, string>): string {
  return `${issuer}/authorize?${new URLSearchParams(query)}`
}

export interface Outcome {
  /** The provider's last response: the redirect to the client, or the form_post page (body read). */
  response: Response
  /** The redirect to the client (absent for form_post). */
  location?: URL
  /** Response parameters: from the query, the fragment, or the form_post form. */
  params: URLSearchParams
  /** Which provider pages the user went through, in order. */
  pages: ('login' | 'consent')[]
  /** The form_post page's HTML, when the response mode was form_post. */
  formPost?: { action: string; html: string }
  browser: Browser
}

export interface DriveOptions {
  browser?: Browser
  user?: { username: string; password: string }
  decision?: 'allow' | 'deny'
  saveConsent?: boolean
}

/**
 * Walks `url` as a user: follows redirects inside the provider, signs in, answers the
 * consent page, and stops at the first response that leaves for the client.
 */
export async function drive(h: Harness, url: string, options: DriveOptions = {}): Promise<Outcome> {
  const browser = options.browser ?? new Browser(h)
  const user = options.user ?? ALICE
  const pages: Outcome['pages'] = []
  let res = await browser.get(url)
  for (let step = 0; step < 8; step++) {
    if (res.status === 302) {
      const location = new URL(res.headers.get('location')!)
      if (location.origin !== new URL(h.origin).origin) {
        const params = new URLSearchParams(location.hash ? location.hash.slice(1) : location.search)
        return { response: res, location, params, pages, browser }
      }
      res = await browser.get(location.href)
      continue
    }
    const html = await res.text()
    if (res.status !== 200) throw new Error(`provider answered ${res.status}: ${html}`)
    const form = parseForm(html)
    if (html.includes('document.forms[0].submit()')) {
      return { response: res, params: new URLSearchParams(form.fields), pages, formPost: { action: form.action, html }, browser }
    }
    if (html.includes('id="password"')) {
      pages.push('login')
      res = await browser.post(new URL(form.action, h.origin).href, { ...form.fields, ...user })
    } else if (html.includes('id="allow"')) {
      pages.push('consent')
      res = await browser.post(new URL(form.action, h.origin).href, {
        ...form.fields,
        decision: options.decision ?? 'allow',
        ...(options.saveConsent && { save_consent: 'on' }),
      })
    } else {
      throw new Error(`unexpected page: ${html}`)
    }
  }
  throw new Error('authorize did not return to the client')
}

/** Left half of SHA-256, base64url: `at_hash` and `c_hash` for RS256 and ES256 (OIDC Core 3.3.2.11). */
export function halfHash(value: string): string {
  return createHash('sha256').update(value).digest().subarray(0, 16).toString('base64url')
}

/** Verifies a JWT against the provider's published keys (at the token's own iat: the harness clock is not the wall clock). */
export async function verifyIdToken(
  h: Harness,
  issuer: string,
  token: string,
  audience: string,
): Promise<{ payload: JWTPayload; protectedHeader: ProtectedHeaderParameters }> {
  const res = await h.fetch(`${issuer}/connect/jwk_uri`)
  if (res.status !== 200) throw new Error(`jwk_uri answered ${res.status}`)
  const jwks = createLocalJWKSet((await res.json()) as { keys: [] })
  const iat = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()).iat as number
  return jwtVerify(token, jwks, { issuer, audience, currentDate: new Date(iat * 1000) })
}

/** A browser already signed in as `user` in the realm of `issuer` (through the sign-in page). */
export async function signedIn(h: Harness, issuer: string, clientId: string, redirectUri: string, user = ALICE): Promise<Browser> {
  const out = await drive(
    h,
    authorizeUrl(issuer, { client_id: clientId, redirect_uri: redirectUri, response_type: 'code', scope: 'openid' }),
    { user },
  )
  if (!out.params.get('code')) throw new Error(`sign-in failed: ${out.params}`)
  return out.browser
}
