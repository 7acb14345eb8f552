/**
 * A provider on a loopback port for your app's tests, with users and clients made up for you.
 * See the testing guide.
 *
 * @packageDocumentation
 * @module @realmauth/server/testing
 */
import { createHash, randomBytes } from 'node:crypto'
import type { ClientConfig, ProviderConfig, UserConfig } from './config/config.js'
import { createProvider, type Provider } from './createProvider.js'
import { listen } from './node.js'

/**
 * Options of {@link startTestProvider}.
 *
 * @example
 * ```ts
 * const options: TestProviderOptions = { users: [{ username: 'ada', password: 'pw', claims: { groups: ['admins'] } }] }
 * ```
 */
export interface TestProviderOptions {
  /** Default `alpha`. */
  realm?: string
  /** Default: {@link TEST_USER}. A user's `claims` go into their tokens and userinfo. */
  users?: UserConfig[]
  /** More clients beside {@link TEST_CLIENT}. */
  clients?: ClientConfig[]
  /** Serve over HTTP on a free loopback port (for a browser, Playwright or another process). Default false: in process. */
  http?: boolean
  /** Milliseconds since the epoch, for tests that move time. Default `Date.now`. */
  clock?: () => number
}

/**
 * The headless sign-in's answer: real tokens, signed by the provider and valid at its endpoints.
 *
 * @example
 * ```ts
 * const idp = await startTestProvider()
 * const { accessToken, idToken }: TestTokens = await idp.signIn('demo')
 * ```
 */
export interface TestTokens {
  accessToken: string
  tokenType: string
  /** Seconds. */
  expiresIn: number
  scope: string
  idToken?: string
  refreshToken?: string
}

/**
 * A provider for one test, from {@link startTestProvider}.
 *
 * @example
 * ```ts
 * const idp = await startTestProvider()
 * const tokens = await idp.signIn('demo')
 * await idp.close()
 * ```
 */
export interface TestProvider {
  provider: Provider
  /** The realm's issuer, for the client or API under test. */
  issuer: string
  /** `http://localhost:PORT` over HTTP; `http://localhost` in process. */
  origin: string
  /** Reaches the provider: in process, pass it as the client's `fetch`; over HTTP it is the global one. */
  fetch: typeof fetch
  /**
   * Signs a user in without a browser, as AM's zero-page login and `prompt=none` would: a
   * session from the username and password, then the code flow with PKCE through
   * {@link TEST_CLIENT} (or `clientId`, a public client with `implied_consent`).
   */
  signIn(user: string | { username: string; password: string }, options?: { scope?: string; clientId?: string; redirectUri?: string }): Promise<TestTokens>
  /** Stops the HTTP server; nothing to do in process. */
  close(): Promise<void>
}

/**
 * The user every test provider has unless `users` says otherwise.
 *
 * @example
 * ```ts
 * await page.fill('#username', TEST_USER.username)
 * ```
 */
export const TEST_USER = {
  username: 'demo',
  password: 'Ch4ng3-it!',
  name: 'Demo User',
  email: 'demo@example.com',
  email_verified: true,
} as const satisfies UserConfig

/**
 * The public client every test provider has: code flow with PKCE, no consent page,
 * redirects to any `http://localhost` port.
 *
 * @example
 * ```ts
 * const idp = await startTestProvider({ http: true })
 * createBrowserClient({ issuer: idp.issuer, clientId: TEST_CLIENT.client_id, redirectUri: 'http://localhost:5173/callback' })
 * ```
 */
export const TEST_CLIENT = {
  client_id: 'test-app',
  redirect_uri: 'http://localhost/callback',
} as const

/**
 * Starts a provider for one test: in process by default, or on a loopback port with
 * `http: true`. Its users' custom `claims` (`groups`, `roles`...) flow into their access
 * tokens, ID tokens and userinfo.
 *
 * @example
 * ```ts
 * const idp = await startTestProvider({ users: [{ username: 'ada', password: 'pw', claims: { roles: ['admin'] } }] })
 * const { accessToken } = await idp.signIn('ada')
 * const claims = await createAccessTokenVerifier({ issuer: idp.issuer, audience: TEST_CLIENT.client_id, fetch: idp.fetch }).verify(accessToken)
 * claims.roles // ['admin']
 * await idp.close()
 * ```
 */
export async function startTestProvider(options: TestProviderOptions = {}): Promise<TestProvider> {
  const users = options.users ?? [TEST_USER]
  const config: ProviderConfig = {
    realms: [
      {
        name: options.realm ?? 'alpha',
        // AM's realm default is off; a test provider signs in without a consent page.
        allow_implied_consent: true,
        clients: [
          {
            client_id: TEST_CLIENT.client_id,
            token_endpoint_auth_method: 'none',
            redirect_uris: [TEST_CLIENT.redirect_uri],
            grant_types: ['authorization_code', 'refresh_token'],
            scope: 'openid profile email address phone offline_access',
            allow_wildcard_ports: true,
            implied_consent: true,
          },
          ...(options.clients ?? []),
        ],
        users,
      },
    ],
    ...(options.clock && { clock: options.clock }),
  }
  const provider = createProvider(config)
  const running = options.http ? await listen(provider) : undefined
  const origin = running?.url ?? 'http://localhost'
  const fetchImpl: typeof fetch = running ? (input, init) => fetch(input, init) : (input, init) => provider.fetch(new Request(input, init))
  const issuer = provider.issuer(options.realm ?? 'alpha', origin)

  async function signIn(user: string | { username: string; password: string }, signInOptions: { scope?: string; clientId?: string; redirectUri?: string } = {}): Promise<TestTokens> {
    const credentials = typeof user === 'string' ? users.find((u) => u.username === user) : user
    if (!credentials) throw new Error(`signIn('${String(user)}'): no such user; users are ${users.map((u) => u.username).join(', ')}`)
    const realmPath = new URL(issuer).pathname.replace(/^.*\/oauth2/, '')
    const login = await fetchImpl(`${origin}/json${realmPath}/authenticate`, {
      method: 'POST',
      headers: { 'x-openam-username': credentials.username, 'x-openam-password': credentials.password, 'content-type': 'application/json' },
    })
    if (login.status !== 200) throw new Error(`signIn('${credentials.username}'): the provider refused the password (HTTP ${login.status})`)
    const cookie = login.headers.getSetCookie()[0]!.split(';')[0]!
    const verifier = randomBytes(32).toString('base64url')
    const redirectUri = signInOptions.redirectUri ?? TEST_CLIENT.redirect_uri
    const clientId = signInOptions.clientId ?? TEST_CLIENT.client_id
    const query = new URLSearchParams({
      client_id: clientId,
      redirect_uri: redirectUri,
      response_type: 'code',
      scope: signInOptions.scope ?? 'openid profile email',
      state: randomBytes(8).toString('base64url'),
      nonce: randomBytes(8).toString('base64url'),
      prompt: 'none',
      code_challenge: createHash('sha256').update(verifier).digest('base64url'),
      code_challenge_method: 'S256',
    })
    const authorized = await fetchImpl(`${issuer}/authorize?${query}`, { headers: { cookie }, redirect: 'manual' })
    const location = authorized.headers.get('location')
    const params = location ? new URL(location).searchParams : new URLSearchParams()
    const code = params.get('code')
    if (!code) {
      throw new Error(`signIn('${credentials.username}'): authorize answered ${authorized.status} ${params.get('error') ?? ''} ${params.get('error_description') ?? ''}`.trim())
    }
    const exchanged = await fetchImpl(`${issuer}/access_token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: redirectUri, client_id: clientId, code_verifier: verifier }),
    })
    const body = (await exchanged.json()) as Record<string, unknown>
    if (exchanged.status !== 200) throw new Error(`signIn('${credentials.username}'): the code exchange answered ${exchanged.status} ${JSON.stringify(body)}`)
    return {
      accessToken: body.access_token as string,
      tokenType: body.token_type as string,
      expiresIn: body.expires_in as number,
      scope: body.scope as string,
      ...(typeof body.id_token === 'string' && { idToken: body.id_token }),
      ...(typeof body.refresh_token === 'string' && { refreshToken: body.refresh_token }),
    }
  }

  return { provider, issuer, origin, fetch: fetchImpl, signIn, close: async () => running?.close() }
}
