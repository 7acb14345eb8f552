/**
 * Our SDKs against a provider nobody here wrote: node-oidc-provider 9 (panva's, OpenID
 * certified), over real HTTP on loopback, driven only through the public APIs the package
 * READMEs document. Its defaults differ from AM's: opaque access tokens unless a resource
 * indicator asks for a JWT one, refresh tokens only with `offline_access` and
 * `prompt=consent`, `iss` in every authorization response, PAR offered, its own device and
 * logout confirmation pages, and `devInteractions` sign-in pages that take any login.
 */
import { generateKeyPairSync } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AuthClient, AuthError, OidcClient, createDPoP, userinfoProfile } from '@realmauth/core'
import { AccessTokenError, createAccessTokenVerifier, createNodeClient, type NodeClientOptions } from '@realmauth/node'
import type { ProviderContext } from 'oidc-provider-9'
import { OP_USER, startOidcProvider9, type OidcProvider9 } from '../support/oidcProvider9.js'

const SECRET = 'a-secret-long-enough-for-oidc-provider-0123456789'
const REDIRECT = 'http://127.0.0.1:1/cb'
const LOGGED_OUT = 'http://127.0.0.1:1/bye'
/** The API (RFC 8707 resource) whose access tokens are RFC 9068 JWTs. */
const API = 'https://api.interop.test'
const USER = OP_USER.sub
const ODD_SECRET = `a:b+c/d%20e f=g&h~${SECRET}`

const clientKey = generateKeyPairSync('ec', { namedCurve: 'P-256' })
/** The key `rp-jose`'s ID tokens are encrypted to. */
const encryptionKey = generateKeyPairSync('rsa', { modulusLength: 2048 })
const clientJwks = (...keys: object[]) => ({ keys: [{ ...clientKey.publicKey.export({ format: 'jwk' }), kid: 'client-key', alg: 'ES256', use: 'sig' }, ...keys] })

let op: OidcProvider9
let issuer: string

beforeAll(async () => {
  const common = { redirect_uris: [] as string[], response_types: [] as string[] }
  op = await startOidcProvider9({
    clients: [
      { ...common, client_id: 'svc-basic', client_secret: SECRET, token_endpoint_auth_method: 'client_secret_basic', grant_types: ['client_credentials'] },
      { ...common, client_id: 'svc-post', client_secret: SECRET, token_endpoint_auth_method: 'client_secret_post', grant_types: ['client_credentials'] },
      {
        ...common,
        client_id: 'svc-jwt',
        token_endpoint_auth_method: 'private_key_jwt',
        token_endpoint_auth_signing_alg: 'ES256',
        grant_types: ['client_credentials'],
        jwks: clientJwks(),
      },
      {
        client_id: 'web',
        client_secret: SECRET,
        token_endpoint_auth_method: 'client_secret_basic',
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        redirect_uris: [REDIRECT],
        post_logout_redirect_uris: [LOGGED_OUT],
      },
      {
        client_id: 'spa',
        token_endpoint_auth_method: 'none',
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        redirect_uris: [REDIRECT],
        post_logout_redirect_uris: [LOGGED_OUT],
      },
      {
        // Sender-constrained, and its DPoP proofs must carry the provider's nonce.
        client_id: 'spa-dpop',
        token_endpoint_auth_method: 'none',
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        redirect_uris: [REDIRECT],
        dpop_bound_access_tokens: true,
      },
      {
        // Everything JOSE: signed request objects, encrypted ID tokens, signed userinfo and introspection.
        client_id: 'rp-jose',
        token_endpoint_auth_method: 'private_key_jwt',
        token_endpoint_auth_signing_alg: 'ES256',
        request_object_signing_alg: 'ES256',
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        redirect_uris: [REDIRECT],
        id_token_encrypted_response_alg: 'RSA-OAEP-256',
        id_token_encrypted_response_enc: 'A256GCM',
        userinfo_signed_response_alg: 'RS256',
        introspection_signed_response_alg: 'RS256',
        jwks: clientJwks({ ...encryptionKey.publicKey.export({ format: 'jwk' }), kid: 'client-enc', alg: 'RSA-OAEP-256', use: 'enc' }),
      },
      // RFC 6749 2.3.1: id and secret are form-encoded before Basic; these characters show it was done on both sides.
      { ...common, client_id: 'svc:odd id', client_secret: ODD_SECRET, token_endpoint_auth_method: 'client_secret_basic', grant_types: ['client_credentials'] },
      { ...common, client_id: 'cli', token_endpoint_auth_method: 'none', grant_types: ['urn:ietf:params:oauth:grant-type:device_code', 'refresh_token'] },
    ],
    features: {
      requestObjects: { enabled: true },
      encryption: { enabled: true },
      jwtUserinfo: { enabled: true },
      jwtIntrospection: { enabled: true },
      clientCredentials: { enabled: true },
      // Any authenticated client may introspect and revoke, as resource servers here do.
      introspection: { enabled: true, allowedPolicy: () => true },
      revocation: { enabled: true, allowedPolicy: () => true },
      deviceFlow: { enabled: true },
      dPoP: { enabled: true, nonceSecret: Buffer.alloc(32, 7), requireNonce: (ctx: ProviderContext) => ctx.oidc.client?.clientId === 'spa-dpop' },
      rpInitiatedLogout: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => undefined,
        useGrantedResource: () => true,
        getResourceServerInfo: () => ({ scope: 'read', audience: API, accessTokenFormat: 'jwt', accessTokenTTL: 300 }),
      },
    },
  })
  issuer = op.issuer
})

afterAll(() => op.close())

/**
 * A user's browser, as far as these flows need one, with a cookie jar of its own: what it
 * returns follows redirects and submits each page's first POST form (hidden inputs, plus
 * `fields` the page names), and stops at the first redirect to `stopAt`, or at a page with no
 * form or a text field not in `fields`.
 */
function browser() {
  const jar: { name: string; value: string; path: string }[] = []
  return (start: string | URL, stopAt: string, fields?: Record<string, string>) => browse(jar, start, stopAt, fields)
}

async function browse(jar: { name: string; value: string; path: string }[], start: string | URL, stopAt: string, fields: Record<string, string> = { login: USER, password: 'any' }): Promise<URL> {
  let url = new URL(start)
  let init: RequestInit = {}
  for (let step = 0; step < 20; step++) {
    const cookie = jar.filter((c) => url.pathname.startsWith(c.path)).map((c) => `${c.name}=${c.value}`).join('; ')
    const res = await fetch(url, { ...init, redirect: 'manual', headers: { ...(init.headers as Record<string, string>), ...(cookie && { cookie }) } })
    for (const set of res.headers.getSetCookie()) {
      const [pair, ...attrs] = set.split(';')
      const [name, value] = [pair!.slice(0, pair!.indexOf('=')), pair!.slice(pair!.indexOf('=') + 1)]
      const path = attrs.map((a) => a.trim()).find((a) => a.toLowerCase().startsWith('path='))?.slice(5) ?? '/'
      const i = jar.findIndex((c) => c.name === name && c.path === path)
      if (i >= 0) jar.splice(i, 1)
      if (value) jar.push({ name, value, path })
    }
    const location = res.headers.get('location')
    if (location) {
      url = new URL(location, url)
      if (url.href.startsWith(stopAt)) return url
      init = {}
      continue
    }
    const html = await res.text()
    const form = /<form\b[^>]*method="post"[^>]*>([\s\S]*?)<\/form>/i.exec(html)
    // A page with nothing to submit, or asking for what we were not given (a user code after a refusal), is the end.
    const unknown = [...(form?.[1] ?? '').matchAll(/<input\b[^>]*type="text"[^>]*name="([^"]*)"/g)].some((m) => !(m[1]! in fields))
    if (!form || unknown) return url
    const action = /action="([^"]*)"/.exec(form[0])![1]!.replaceAll('&amp;', '&')
    const body = new URLSearchParams()
    for (const input of form[1]!.matchAll(/<input\b[^>]*type="hidden"[^>]*>/g)) {
      const name = /name="([^"]*)"/.exec(input[0])?.[1]
      if (name) body.set(name, /value="([^"]*)"/.exec(input[0])?.[1] ?? '')
    }
    // Buttons may sit outside their form (`form="..."`), so the page, not the form, names them.
    for (const [name, value] of Object.entries(fields)) if (html.includes(`name="${name}"`)) body.set(name, value)
    url = new URL(action, url)
    init = { method: 'POST', body: body.toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } }
  }
  throw new Error(`browse: no end after 20 steps at ${url.href}`)
}

const node = (opts: Omit<NodeClientOptions, 'issuer'>) => createNodeClient({ issuer, ...opts })
const decode = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>

describe('@realmauth/node against node-oidc-provider 9', () => {
  it.each([
    ['svc-basic', { method: 'client_secret_basic', clientSecret: SECRET }],
    ['svc-post', { method: 'client_secret_post', clientSecret: SECRET }],
    ['svc-jwt', { method: 'private_key_jwt', privateKey: clientKey.privateKey, kid: 'client-key' }],
    ['svc:odd id', { method: 'client_secret_basic', clientSecret: ODD_SECRET }],
  ] as const)('client credentials as %s: an opaque token its introspection calls active, revoked then inactive', async (clientId, auth) => {
    const client = await node({ clientId, auth: auth as NodeClientOptions['auth'] })
    const tokens = await client.clientCredentials({ scope: 'read' })
    expect(tokens.tokenType).toBe('bearer')
    expect(tokens.accessToken.split('.')).toHaveLength(1) // opaque: no resource indicator
    expect(await client.getToken({ scope: 'read' })).toEqual(expect.any(String))

    const active = await client.introspect(tokens.accessToken, 'access_token')
    expect(active).toMatchObject({ active: true, client_id: clientId, scope: 'read', token_type: 'Bearer' })

    await client.revoke(tokens.accessToken, 'access_token')
    expect(await client.introspect(tokens.accessToken)).toEqual({ active: false })
  })

  it('a JWT access token for a resource verifies at the API, and a token for no resource is refused there', async () => {
    const client = await node({ clientId: 'svc-basic', auth: { method: 'client_secret_basic', clientSecret: SECRET } })
    const verifier = createAccessTokenVerifier({ issuer, audience: API })
    const jwt = await client.getToken({ scope: 'read', resource: API })
    const claims = await verifier.verify(`Bearer ${jwt}`, { requiredScopes: ['read'] })
    expect(claims).toMatchObject({ iss: issuer, aud: API, client_id: 'svc-basic', scopes: ['read'] })

    const refused = await verifier.verify(`Bearer ${jwt}`, { requiredScopes: ['write'] }).catch((e: unknown) => e)
    expect(refused).toBeInstanceOf(AccessTokenError)
    expect((refused as AccessTokenError).code).toBe('insufficient_scope')
  })

  it('oidc-provider neither introspects nor revokes its JWT access tokens: typed errors that say so', async () => {
    const client = await node({ clientId: 'svc-basic', auth: { method: 'client_secret_basic', clientSecret: SECRET } })
    const jwt = await client.getToken({ scope: 'read', resource: API })
    // RFC 7009 2.2.1 allows this answer to a revocation.
    expect(await client.revoke(jwt).catch((e: unknown) => e)).toMatchObject({ code: 'oauth_error', error: 'unsupported_token_type', status: 400 })

    // A resource server asking to introspect JWTs too has a setting this provider cannot honour.
    const verifier = createAccessTokenVerifier({ issuer, audience: API, introspection: { clientId: 'svc-basic', clientSecret: SECRET, introspectJwts: true } })
    const error = await verifier.verify(jwt).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(AuthError)
    expect(error).toMatchObject({ code: 'configuration_error', error: 'unsupported_token_type' })
    expect((error as AuthError).message).toContain('leave introspection.introspectJwts off for this provider')
  })

  it('an opaque access token verifies by introspection', async () => {
    const client = await node({ clientId: 'svc-post', auth: { method: 'client_secret_post', clientSecret: SECRET } })
    const opaque = await client.getToken({ scope: 'read' })
    const verifier = createAccessTokenVerifier({ issuer, audience: { any: true }, introspection: { clientId: 'svc-basic', clientSecret: SECRET } })
    // oidc-provider introspects another client's token for any authenticated client by default.
    const claims = await verifier.verify(opaque, { requiredScopes: ['read'] })
    expect(claims).toMatchObject({ iss: issuer, client_id: 'svc-post', scopes: ['read'] })
    expect(claims.sub).toBeUndefined()
  })

  it('DPoP: a bound JWT access token, presented with a proof, verifies at the API; as Bearer it is refused', async () => {
    const verifier = createAccessTokenVerifier({ issuer, audience: API })
    const seen: string[] = []
    // The API, reached through the client's fetch; the provider over HTTP for everything else.
    const api: typeof fetch = async (input, init) => {
      const request = new Request(input, init)
      if (!request.url.startsWith(API)) return fetch(request)
      try {
        const claims = await verifier.verify(request.headers.get('authorization'), { dpop: { proof: request.headers.get('dpop'), method: request.method, url: request.url } })
        seen.push(claims.cnf!.jkt!)
        return Response.json({ ok: true })
      } catch (err) {
        const e = err as AccessTokenError
        return Response.json({ error: e.code }, { status: e.status!, headers: { 'www-authenticate': e.wwwAuthenticate } })
      }
    }
    const dpop = createDPoP()
    const client = await node({ clientId: 'svc-basic', auth: { method: 'client_secret_basic', clientSecret: SECRET }, dpop, fetch: api })
    const tokens = await client.clientCredentials({ scope: 'read', resource: API })
    expect(tokens.tokenType).toBe('dpop')
    expect(decode(tokens.accessToken).cnf).toEqual({ jkt: await dpop.thumbprint() })

    expect((await client.fetch(`${API}/orders`, undefined, { tokens })).status).toBe(200)
    expect(seen).toEqual([await dpop.thumbprint()])
    const asBearer = await verifier.verify(`Bearer ${tokens.accessToken}`).catch((e: unknown) => e)
    expect((asBearer as AccessTokenError).code).toBe('invalid_token')
  })

  it('device flow: the user approves on the provider\'s pages before the first poll; tokens come back validated', async () => {
    const waits: number[] = []
    const client = await node({ clientId: 'cli', auth: { method: 'none' }, scope: 'openid profile offline_access', sleep: async (ms) => void waits.push(ms) })
    const device = await client.deviceAuthorization()
    expect(device).toMatchObject({ userCode: expect.any(String), verificationUri: `${issuer}/device`, interval: 5 })

    const browse = browser()
    const end = await browse(device.verificationUriComplete!, REDIRECT)
    expect(end.pathname).toMatch(/^\/device/)

    const tokens = await client.pollDeviceToken(device)
    expect(waits).toEqual([5000]) // one interval, then the answer
    expect(tokens.claims).toMatchObject({ iss: issuer, aud: 'cli', sub: USER })
    expect(tokens.refreshToken).toEqual(expect.any(String))
  })

  it('device flow: a user who approves while the CLI waits: authorization_pending, then tokens', async () => {
    let approve: (() => Promise<unknown>) | undefined
    const waits: number[] = []
    // The CLI's wait between polls is when the user gets to the page: the second one approves.
    const sleep = async (ms: number) => {
      waits.push(ms)
      if (waits.length === 2) await approve!()
    }
    const polls: number[] = []
    const client = await node({ clientId: 'cli', auth: { method: 'none' }, scope: 'openid', sleep })
    const device = await client.deviceAuthorization()
    const browse = browser()
    approve = () => browse(device.verificationUriComplete!, REDIRECT)
    const tokens = await client.pollDeviceToken(device, { onPoll: (n) => polls.push(n) })
    expect(polls).toEqual([1, 2]) // oidc-provider 9 never answers slow_down
    expect(waits).toEqual([5000, 5000])
    expect(tokens.claims).toMatchObject({ sub: USER, aud: 'cli' })
  })

  it('device flow: a user who cancels ends the poll with access_denied', async () => {
    const client = await node({ clientId: 'cli', auth: { method: 'none' }, sleep: async () => {} })
    const device = await client.deviceAuthorization({ scope: 'openid' })
    const browse = browser()
    // The confirmation page's other button: abort.
    await browse(device.verificationUriComplete!, REDIRECT, { abort: 'yes' })
    const error = await client.pollDeviceToken(device).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(AuthError)
    expect((error as AuthError).error).toBe('access_denied')
  })
})

describe('@realmauth/core against node-oidc-provider 9', () => {
  it('discovery names the endpoints and advertises PAR and RFC 9207 iss', async () => {
    const oidc = new OidcClient({ issuer, clientId: 'spa' })
    const as = await oidc.metadata()
    expect(as).toMatchObject({
      issuer,
      pushed_authorization_request_endpoint: `${issuer}/request`,
      authorization_response_iss_parameter_supported: true,
      end_session_endpoint: `${issuer}/session/end`,
    })
  })

  it('AuthClient (the browser client\'s core): PAR sign-in through its pages, validated ID token, userinfo, rotating refresh, sign-out URL', async () => {
    const auth = new AuthClient({ issuer, clientId: 'spa', redirectUri: REDIRECT, scope: 'openid profile email offline_access', refresh: { auto: false } })
    const url = await auth.signInUrl({ prompt: 'consent' })
    // Pushed: the address carries only the reference.
    expect([...url.searchParams.keys()].sort()).toEqual(['client_id', 'request_uri'])

    const browse = browser()
    const callback = await browse(url, REDIRECT)
    expect(callback.searchParams.get('iss')).toBe(issuer)
    await auth.handleCallback(callback.href)
    const signedIn = auth.getSnapshot()
    expect(signedIn.status).toBe('signed_in')
    expect(signedIn.user).toMatchObject({ iss: issuer, aud: 'spa', sub: USER })
    const first = signedIn.tokens!
    expect(first.refreshToken).toEqual(expect.any(String))

    expect(await auth.oidc.fetchWithToken(first, `${issuer}/me`).then((r) => r.json())).toMatchObject({ sub: USER, name: OP_USER.name, email: OP_USER.email })

    const refreshed = await auth.refresh()
    expect(refreshed.accessToken).not.toBe(first.accessToken)
    expect(refreshed.refreshToken).not.toBe(first.refreshToken) // a public client's refresh token rotates
    expect(refreshed.claims).toMatchObject({ sub: USER })

    const signOut = await auth.oidc.endSessionUrl({ idTokenHint: refreshed.idToken!, postLogoutRedirectUri: LOGGED_OUT, state: 'bye' })
    const back = await browse(signOut!, LOGGED_OUT, { logout: 'yes' })
    expect(back.searchParams.get('state')).toBe('bye')
  })

  it('a callback from another issuer, or without iss, is refused before the code is spent', async () => {
    const oidc = new OidcClient({ issuer, clientId: 'spa', redirectUri: REDIRECT })
    const { url, transaction } = await oidc.signInUrl()
    const browse = browser()
    const callback = await browse(url, REDIRECT)
    const forged = new URL(callback)
    forged.searchParams.set('iss', 'http://127.0.0.1:2')
    expect((await oidc.handleCallback(forged, transaction).catch((e: unknown) => e) as AuthError).code).toBe('iss_mismatch')
    forged.searchParams.delete('iss')
    expect((await oidc.handleCallback(forged, transaction).catch((e: unknown) => e) as AuthError).code).toBe('iss_mismatch')
    // The code was not spent by the refusals above.
    expect((await oidc.handleCallback(callback, transaction)).claims).toMatchObject({ sub: USER })
  })

  it('a confidential web app (node client): code flow with client_secret_basic, refresh, userinfo, revocation', async () => {
    const web = await node({ clientId: 'web', auth: { method: 'client_secret_basic', clientSecret: SECRET }, redirectUri: REDIRECT, scope: 'openid profile offline_access' })
    const { url, transaction } = await web.signInUrl({ prompt: 'consent' })
    const browse = browser()
    const tokens = await web.handleCallback(await browse(url, REDIRECT), transaction)
    expect(tokens.claims).toMatchObject({ sub: USER, aud: 'web' })
    expect(await web.userinfo(tokens.accessToken, USER)).toMatchObject({ sub: USER, name: OP_USER.name })

    const refreshed = await web.refresh(tokens.refreshToken!, { previousClaims: tokens.claims! })
    expect(refreshed.claims).toMatchObject({ sub: USER })
    const refreshToken = refreshed.refreshToken ?? tokens.refreshToken!
    await web.revoke(refreshToken, 'refresh_token')
    const ended = await web.refresh(refreshToken).catch((e: unknown) => e)
    expect((ended as AuthError).error).toBe('invalid_grant')
  })

  it('DPoP sign-in with the provider\'s nonces: a bound code, bound tokens, userinfo with a proof, rotation, sign-out revokes', async () => {
    const dpop = createDPoP()
    // What the provider answered, to see its nonce challenges answered.
    const answers: string[] = []
    const recording: typeof fetch = async (input, init) => {
      const res = await fetch(input, init)
      answers.push(`${res.status} ${new URL(new Request(input).url).pathname}${res.headers.has('dpop-nonce') ? ' nonce' : ''}`)
      return res
    }
    const auth = new AuthClient({ issuer, clientId: 'spa-dpop', redirectUri: REDIRECT, scope: 'openid profile offline_access', dpop, fetch: recording, refresh: { auto: false } })
    const url = await auth.signInUrl({ prompt: 'consent' })
    const browse = browser()
    const { tokens } = await auth.handleCallback((await browse(url, REDIRECT)).href)
    expect(tokens.tokenType).toBe('dpop')
    expect(tokens.claims).toMatchObject({ sub: USER })

    const me = await auth.authFetch(`${issuer}/me`)
    expect(me.status).toBe(200)
    expect(await me.json()).toMatchObject({ sub: USER, name: OP_USER.name })

    // The pushed request binds the code with dpop_jkt, no proof (RFC 9449 section 10); the code
    // exchange was refused once for want of the nonce, then answered with it.
    expect(answers.filter((a) => !a.startsWith('200 /.well-known'))).toEqual(['201 /request', '400 /token nonce', '200 /token', '200 /jwks', '200 /me'])

    // oidc-provider rotates no sender-constrained refresh token by default: the bound one stays good.
    const refreshed = await auth.refresh()
    expect(refreshed).toMatchObject({ tokenType: 'dpop', claims: { sub: USER }, refreshToken: tokens.refreshToken })
    expect((await auth.refresh()).accessToken).not.toBe(refreshed.accessToken)

    const out = await auth.signOut()
    expect(out.revoked).toBe(true)
    const oidc = new OidcClient({ issuer, clientId: 'spa-dpop', dpop })
    expect((await oidc.refresh(refreshed.refreshToken!).catch((e: unknown) => e) as AuthError).error).toBe('invalid_grant')
  })

  it('JOSE all the way: a signed request object pushed, an encrypted ID token, signed userinfo and introspection answers', async () => {
    const rp = await node({
      clientId: 'rp-jose',
      auth: { method: 'private_key_jwt', privateKey: clientKey.privateKey, kid: 'client-key' },
      redirectUri: REDIRECT,
      scope: 'openid profile',
      requestObject: true,
      decryptionKey: encryptionKey.privateKey,
      userinfoEncrypted: false,
      introspectionJwt: true,
    })
    const { url, transaction } = await rp.signInUrl()
    expect([...url.searchParams.keys()].sort()).toEqual(['client_id', 'request_uri'])
    const browse = browser()
    const tokens = await rp.handleCallback(await browse(url, REDIRECT), transaction)
    expect(tokens.claims).toMatchObject({ sub: USER, aud: 'rp-jose' })
    expect(tokens.idToken!.split('.')).toHaveLength(3) // kept signed, so it can be an id_token_hint

    expect(await rp.userinfo(tokens.accessToken, USER)).toMatchObject({ sub: USER, name: OP_USER.name })
    expect(await rp.introspect(tokens.accessToken)).toMatchObject({ active: true, client_id: 'rp-jose', sub: USER })
  })

  it('the user oidc-provider leaves out of its ID token comes from userinfo with `profile`; a revoked refresh token ends the session', async () => {
    const auth = new AuthClient({ issuer, clientId: 'spa', redirectUri: REDIRECT, scope: 'openid profile offline_access', profile: userinfoProfile, refresh: { auto: false } })
    const browse = browser()
    await auth.handleCallback((await browse(await auth.signInUrl({ prompt: 'consent' }), REDIRECT)).href)
    // Its ID tokens carry only protocol claims when an access token comes with them (OIDC Core 5.4).
    expect(decode(auth.getSnapshot().tokens!.idToken!).name).toBeUndefined()
    expect(auth.getSnapshot().user).toMatchObject({ sub: USER, name: OP_USER.name })

    await auth.oidc.revoke(auth.getSnapshot().tokens!.refreshToken!, 'refresh_token')
    expect(await auth.getAccessToken({ forceRefresh: true }).catch((e: unknown) => e)).toMatchObject({ code: 'invalid_grant' })
    expect(auth.getSnapshot().status).toBe('session_ended')
  })

  it('a user who cancels on the sign-in page comes back with access_denied, a typed error that needs the user', async () => {
    const web = await node({ clientId: 'web', auth: { method: 'client_secret_basic', clientSecret: SECRET }, redirectUri: REDIRECT })
    const { url, transaction } = await web.signInUrl()
    // The sign-in page's "Cancel" link, followed as a browser would.
    const start = await fetch(url, { redirect: 'manual' })
    const cookie = start.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ')
    const cancel = new URL(`${start.headers.get('location')!}/abort`, issuer)
    const abort = await fetch(cancel, { redirect: 'manual', headers: { cookie } })
    const resume = await fetch(new URL(abort.headers.get('location')!, issuer), { redirect: 'manual', headers: { cookie } })
    const callback = new URL(resume.headers.get('location')!)
    expect(callback.searchParams.get('iss')).toBe(issuer)
    expect(await web.handleCallback(callback, transaction).catch((e: unknown) => e)).toMatchObject({ code: 'authorization_error', error: 'access_denied', needsUser: true })
  })

  it('userinfo with a token the provider does not know is invalid_token', async () => {
    const web = await node({ clientId: 'web', auth: { method: 'client_secret_basic', clientSecret: SECRET } })
    expect(await web.userinfo('not-a-token', USER).catch((e: unknown) => e)).toMatchObject({ code: 'invalid_token', status: 401 })
  })

  it('a request object by value, when PAR is turned off, signs the user in as well', async () => {
    const rp = await node({ clientId: 'rp-jose', auth: { method: 'private_key_jwt', privateKey: clientKey.privateKey, kid: 'client-key' }, redirectUri: REDIRECT, requestObject: true, par: false, decryptionKey: encryptionKey.privateKey })
    const { url, transaction } = await rp.signInUrl()
    expect([...url.searchParams.keys()].sort()).toEqual(['client_id', 'request'])
    const browse = browser()
    expect((await rp.handleCallback(await browse(url, REDIRECT), transaction)).claims).toMatchObject({ sub: USER })
  })
})
