/**
 * Pushed authorization requests (RFC 9126), in all three harness modes: the `par` endpoint
 * (client authentication as at the token endpoint, the request checked as `authorize` checks
 * it), `request_uri` at `authorize` through the sign-in page to a code, single use, expiry,
 * another client's request_uri, clients and realms that require PAR, and DPoP at `par`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ProviderConfig } from '@realmauth/server'
import { Browser, MODES, basic, form, parseForm, startHarness, type Harness } from './harness.js'
import { claims, pkce } from './flows.js'
import { ALICE, HYBRID, SPA, WEB, authorizeConfig, authorizeUrl, drive } from './authorizeKit.js'
import { expectError, providerNow } from './tokenKit.js'
import { proof, proofKey, type ProofKey } from './dpopKit.js'

type Json = Record<string, unknown>

const PAR_ONLY = { client_id: 'par-only', client_secret: 'par-only-secret', redirect_uri: 'https://par-only.example/cb' }
const POSTER = { client_id: 'poster', client_secret: 'poster-secret', redirect_uri: 'https://poster.example/cb' }
const CLOCK = { client_id: 'clock', client_secret: 'clock-secret' }
const PARRED = { client_id: 'parred-app', client_secret: 'parred-secret', redirect_uri: 'https://parred.example/cb' }
const URN = /^urn:ietf:params:oauth:request_uri:[A-Za-z0-9_-]{22,}$/

/** authorize's config plus a client that must push, a client_secret_post one, and a realm where every client must push. */
function parConfig(): ProviderConfig {
  const config = authorizeConfig()
  config.realms[0]!.clients!.push(
    {
      client_id: PAR_ONLY.client_id,
      client_secret: PAR_ONLY.client_secret,
      redirect_uris: [PAR_ONLY.redirect_uri],
      scope: 'openid profile',
      implied_consent: true,
      require_pushed_authorization_requests: true,
    },
    {
      client_id: POSTER.client_id,
      client_secret: POSTER.client_secret,
      token_endpoint_auth_method: 'client_secret_post',
      redirect_uris: [POSTER.redirect_uri],
      scope: 'openid',
      implied_consent: true,
    },
    { client_id: CLOCK.client_id, client_secret: CLOCK.client_secret, grant_types: ['client_credentials'] },
  )
  config.realms.push({
    name: 'parred',
    allow_implied_consent: true,
    require_pushed_authorization_requests: true,
    par_lifetime: 90,
    users: [ALICE],
    clients: [{ client_id: PARRED.client_id, client_secret: PARRED.client_secret, redirect_uris: [PARRED.redirect_uri], scope: 'openid', implied_consent: true }],
  })
  return config
}

/** The page a refused request shows: HTML, 400, never a redirect, naming the error. */
async function expectErrorPage(res: Response, mentions: RegExp): Promise<void> {
  const html = await res.text()
  expect(res.status, html).toBe(400)
  expect(res.headers.get('location')).toBeNull()
  expect(res.headers.get('content-type')).toMatch(/^text\/html/)
  expect(html).toMatch(mentions)
}

describe.each(MODES)('pushed authorization requests (%s)', (mode) => {
  let h: Harness
  let iss: string
  beforeAll(async () => {
    h = await startHarness(mode, parConfig())
    iss = h.issuer('alpha')
  })
  afterAll(() => h.close())

  function push(fields: Record<string, string>, headers: Record<string, string> = {}, url = `${iss}/par`): Promise<Response> {
    const init = form(fields)
    return h.fetch(url, { ...init, headers: { ...(init.headers as Record<string, string>), ...headers } })
  }

  const hybridAuth = { authorization: basic(HYBRID.client_id, HYBRID.client_secret) }
  const hybridRequest = (extra: Record<string, string> = {}) => ({
    response_type: 'code',
    redirect_uri: HYBRID.redirect_uri,
    scope: 'openid profile',
    state: 'pushed-state',
    nonce: 'pushed-nonce',
    ...extra,
  })

  async function pushed(res: Response): Promise<{ request_uri: string; expires_in: number }> {
    const text = await res.text()
    expect(res.status, text).toBe(201)
    expect(res.headers.get('content-type')).toMatch(/^application\/json/)
    expect(res.headers.get('cache-control')).toBe('no-store')
    const body = JSON.parse(text) as { request_uri: string; expires_in: number }
    expect(body.request_uri).toMatch(URN)
    return body
  }

  async function exchange(code: string, client: { client_id: string; client_secret: string; redirect_uri: string }, options: { dpop?: string; realm?: string } = {}) {
    const init = form({ grant_type: 'authorization_code', code, redirect_uri: client.redirect_uri })
    return h.fetch(`${h.issuer(options.realm ?? 'alpha')}/access_token`, {
      ...init,
      headers: {
        ...(init.headers as Record<string, string>),
        authorization: basic(client.client_id, client.client_secret),
        ...(options.dpop !== undefined && { dpop: options.dpop }),
      },
    })
  }

  /** The redirect of a refused request that goes back to the client. */
  function clientError(res: Response, redirectUri: string): URLSearchParams {
    expect(res.status).toBe(302)
    const location = new URL(res.headers.get('location')!)
    expect(`${location.origin}${location.pathname}`).toBe(redirectUri)
    return location.searchParams
  }

  it('is listed in discovery, with the realm requirement', async () => {
    const alpha = (await (await h.fetch(`${iss}/.well-known/openid-configuration`)).json()) as Json
    expect(alpha).toMatchObject({ pushed_authorization_request_endpoint: `${iss}/par`, require_pushed_authorization_requests: false })
    const parred = (await (await h.fetch(`${h.issuer('parred')}/.well-known/openid-configuration`)).json()) as Json
    expect(parred).toMatchObject({ pushed_authorization_request_endpoint: `${h.issuer('parred')}/par`, require_pushed_authorization_requests: true })
  })

  it('answers 201 with a request_uri, signs the user in with it and issues a code for the pushed parameters', async () => {
    const body = await pushed(await push(hybridRequest(), hybridAuth))
    expect(body.expires_in).toBe(60)
    const out = await drive(h, authorizeUrl(iss, { client_id: HYBRID.client_id, request_uri: body.request_uri }))
    expect(out.pages).toEqual(['login'])
    expect(`${out.location!.origin}${out.location!.pathname}`).toBe(HYBRID.redirect_uri)
    expect(out.params.get('state')).toBe('pushed-state')
    expect(out.params.get('iss')).toBe(iss)
    const res = await exchange(out.params.get('code')!, HYBRID)
    const tokens = (await res.json()) as Json
    expect(res.status, JSON.stringify(tokens)).toBe(200)
    expect(claims(tokens.id_token as string).nonce).toBe('pushed-nonce')
    // Spent: the same request_uri again is refused, with or without a session.
    await expectErrorPage(await out.browser.get(authorizeUrl(iss, { client_id: HYBRID.client_id, request_uri: body.request_uri })), /invalid_request_uri/)
    await expectErrorPage(await h.fetch(authorizeUrl(iss, { client_id: HYBRID.client_id, request_uri: body.request_uri })), /invalid_request_uri/)
  })

  it('uses the pushed parameters only: others in the authorization request are ignored', async () => {
    const { request_uri } = await pushed(
      await push({ response_type: 'code', redirect_uri: WEB.redirect_uri, scope: 'openid', state: 'kept' }, { authorization: basic(WEB.client_id, WEB.client_secret) }),
    )
    const out = await drive(
      h,
      authorizeUrl(iss, { client_id: WEB.client_id, request_uri, redirect_uri: 'https://app.example/other', state: 'ignored', response_type: 'token', scope: 'openid profile email' }),
    )
    expect(`${out.location!.origin}${out.location!.pathname}`).toBe(WEB.redirect_uri)
    expect(out.params.get('state')).toBe('kept')
    expect(out.params.get('code')).toBeTruthy()
    expect(out.params.has('access_token')).toBe(false)
  })

  it('takes client_secret_post and public clients (with PKCE), as the token endpoint does', async () => {
    const post = await pushed(await push({ client_id: POSTER.client_id, client_secret: POSTER.client_secret, response_type: 'code', redirect_uri: POSTER.redirect_uri, scope: 'openid' }))
    const viaPost = await drive(h, authorizeUrl(iss, { client_id: POSTER.client_id, request_uri: post.request_uri }))
    expect(viaPost.params.get('code')).toBeTruthy()

    const { verifier, challenge } = pkce()
    const spa = await pushed(
      await push({ client_id: SPA.client_id, response_type: 'code', redirect_uri: SPA.redirect_uri, scope: 'openid', code_challenge: challenge, code_challenge_method: 'S256' }),
    )
    const out = await drive(h, authorizeUrl(iss, { client_id: SPA.client_id, request_uri: spa.request_uri }))
    const res = await h.fetch(
      `${iss}/access_token`,
      form({ grant_type: 'authorization_code', code: out.params.get('code')!, redirect_uri: SPA.redirect_uri, client_id: SPA.client_id, code_verifier: verifier }),
    )
    expect(res.status, await res.clone().text()).toBe(200)
    // Client secrets are checked, never kept with the pushed request.
    if (h.provider) {
      const store = h.provider.store
      const id = (await import('node:crypto')).createHash('sha256').update(post.request_uri).digest('base64url')
      const entry = await store.find<{ params: [string, string][] }>('PushedAuthorizationRequest', id)
      expect(entry!.payload.params.map(([k]) => k)).not.toContain('client_secret')
    }
  })

  it('checks the pushed request as authorize would, answering JSON errors with the RFC status', async () => {
    const cases: [string, Record<string, string>, Record<string, string>, number, string][] = [
      ['unregistered redirect_uri', hybridRequest({ redirect_uri: 'https://evil.example/cb' }), hybridAuth, 400, 'invalid_request'],
      ['unknown response_type', hybridRequest({ response_type: 'code bogus' }), hybridAuth, 400, 'unsupported_response_type'],
      ['a scope the client may not have', hybridRequest({ scope: 'openid address' }), hybridAuth, 400, 'invalid_scope'],
      ['no response_type', hybridRequest({ response_type: '' }), hybridAuth, 400, 'invalid_request'],
      ['plain PKCE', hybridRequest({ code_challenge: 'x'.repeat(43), code_challenge_method: 'plain' }), hybridAuth, 400, 'invalid_request'],
      ['a request_uri inside', hybridRequest({ request_uri: 'urn:ietf:params:oauth:request_uri:abc' }), hybridAuth, 400, 'invalid_request'],
      ['a request object', hybridRequest({ request: 'eyJhbGciOiJub25lIn0.e30.' }), hybridAuth, 400, 'invalid_request_object'],
      ['a malformed dpop_jkt', hybridRequest({ dpop_jkt: 'short' }), hybridAuth, 400, 'invalid_request'],
      ['a public client without PKCE', { client_id: SPA.client_id, response_type: 'code', redirect_uri: SPA.redirect_uri, scope: 'openid' }, {}, 400, 'invalid_request'],
      ['a public client the SPA may not use', { client_id: SPA.client_id, response_type: 'token', redirect_uri: SPA.redirect_uri, scope: 'openid' }, {}, 400, 'unauthorized_client'],
      ['a wrong secret (Basic)', hybridRequest(), { authorization: basic(HYBRID.client_id, 'wrong') }, 401, 'invalid_client'],
      ['no client authentication', { ...hybridRequest(), client_id: HYBRID.client_id }, {}, 400, 'invalid_client'],
      ['an unknown client', { ...hybridRequest(), client_id: 'nobody' }, {}, 400, 'invalid_client'],
      ['a body client_id other than the Basic one', { ...hybridRequest(), client_id: WEB.client_id }, hybridAuth, 400, 'invalid_request'],
    ]
    for (const [name, fields, headers, status, error] of cases) {
      const res = await push(fields, headers)
      await expectError(res, status, error).catch((e: Error) => {
        throw new Error(`${name}: ${e.message}`)
      })
      if (status === 401) expect(res.headers.get('www-authenticate'), name).toMatch(/^Basic realm="/)
    }
    const get = await h.fetch(`${iss}/par?${new URLSearchParams(hybridRequest())}`, { headers: hybridAuth })
    await expectError(get, 405, 'invalid_request')
  })

  it('answers at the three realm URL forms', async () => {
    for (const url of [`${h.origin}/oauth2/par?realm=/alpha`, `${h.origin}/oauth2/alpha/par`]) {
      const { request_uri } = await pushed(await push(hybridRequest(), hybridAuth, url))
      const out = await drive(h, authorizeUrl(iss, { client_id: HYBRID.client_id, request_uri }))
      expect(out.params.get('code'), url).toBeTruthy()
    }
    // A request_uri is good in the realm it was pushed to only.
    const { request_uri } = await pushed(await push(hybridRequest(), hybridAuth))
    await expectErrorPage(await h.fetch(authorizeUrl(h.issuer('alpha/beta'), { client_id: HYBRID.client_id, request_uri })), /invalid_request_uri/)
  })

  it("refuses another client's request_uri, and one without client_id, on a page", async () => {
    const { request_uri } = await pushed(await push(hybridRequest(), hybridAuth))
    await expectErrorPage(await h.fetch(authorizeUrl(iss, { client_id: WEB.client_id, request_uri })), /invalid_request_uri/)
    await expectErrorPage(await h.fetch(authorizeUrl(iss, { request_uri })), /client_id is required/)
    await expectErrorPage(await h.fetch(authorizeUrl(iss, { client_id: HYBRID.client_id, request_uri: `${request_uri}x` })), /invalid_request_uri/)
    // None of that used it up.
    const out = await drive(h, authorizeUrl(iss, { client_id: HYBRID.client_id, request_uri }))
    expect(out.params.get('code')).toBeTruthy()
  })

  it('is spent by an error response too', async () => {
    const { request_uri } = await pushed(await push(hybridRequest({ prompt: 'none' }), hybridAuth))
    const url = authorizeUrl(iss, { client_id: HYBRID.client_id, request_uri })
    expect(clientError(await h.fetch(url), HYBRID.redirect_uri).get('error')).toBe('login_required')
    await expectErrorPage(await h.fetch(url), /invalid_request_uri/)
  })

  it('survives a reload before sign-in and a sign-in that outlasts it, and still answers only once', async () => {
    const { request_uri } = await pushed(await push(hybridRequest(), hybridAuth))
    const url = authorizeUrl(iss, { client_id: HYBRID.client_id, request_uri })
    const browser = new Browser(h)
    const first = await browser.get(url)
    const second = await browser.get(url)
    for (const res of [first, second]) expect(new URL(res.headers.get('location')!).pathname).toBe('/login')
    await h.advance(61)
    // Too late to start with it now.
    await expectErrorPage(await h.fetch(url), /invalid_request_uri/)
    // The sign-in that started in time finishes.
    const page = parseForm(await (await browser.get(second.headers.get('location')!)).text())
    const signedIn = await browser.post(new URL(page.action, h.origin).href, { ...page.fields, ...ALICE })
    const answer = await browser.get(signedIn.headers.get('location')!)
    expect(clientError(answer, HYBRID.redirect_uri).get('code')).toBeTruthy()
    // The other tab's sign-in for the same request_uri gets no second answer.
    const otherTab = new URL(first.headers.get('location')!).searchParams.get('goto')!
    await expectErrorPage(await browser.get(otherTab), /invalid_request_uri/)
  })

  it('expires: a request_uri past expires_in is an error page', async () => {
    const { request_uri, expires_in } = await pushed(await push(hybridRequest(), hybridAuth))
    await h.advance(expires_in + 1)
    await expectErrorPage(await h.fetch(authorizeUrl(iss, { client_id: HYBRID.client_id, request_uri })), /invalid_request_uri/)
  })

  it('enforces require_pushed_authorization_requests of a client and of a realm', async () => {
    const direct = { client_id: PAR_ONLY.client_id, redirect_uri: PAR_ONLY.redirect_uri, response_type: 'code', scope: 'openid', state: 's' }
    const refused = clientError(await h.fetch(authorizeUrl(iss, direct)), PAR_ONLY.redirect_uri)
    expect(refused.get('error')).toBe('invalid_request')
    expect(refused.get('state')).toBe('s')
    await expectErrorPage(await h.fetch(authorizeUrl(iss, { ...direct, redirect_uri: 'https://evil.example/cb' })), /redirect_uri/)
    const { client_id: _id, ...fields } = direct
    const { request_uri } = await pushed(await push(fields, { authorization: basic(PAR_ONLY.client_id, PAR_ONLY.client_secret) }))
    expect((await drive(h, authorizeUrl(iss, { client_id: PAR_ONLY.client_id, request_uri }))).params.get('code')).toBeTruthy()

    const parred = h.issuer('parred')
    const realmRefused = clientError(
      await h.fetch(authorizeUrl(parred, { client_id: PARRED.client_id, redirect_uri: PARRED.redirect_uri, response_type: 'code', scope: 'openid' })),
      PARRED.redirect_uri,
    )
    expect(realmRefused.get('error')).toBe('invalid_request')
    const body = await pushed(
      await push({ response_type: 'code', redirect_uri: PARRED.redirect_uri, scope: 'openid' }, { authorization: basic(PARRED.client_id, PARRED.client_secret) }, `${parred}/par`),
    )
    expect(body.expires_in).toBe(90)
    const out = await drive(h, authorizeUrl(parred, { client_id: PARRED.client_id, request_uri: body.request_uri }))
    expect((await exchange(out.params.get('code')!, PARRED, { realm: 'parred' })).status).toBe(200)
  })

  describe('with DPoP', () => {
    let key: ProofKey
    let other: ProofKey
    beforeAll(async () => {
      ;[key, other] = await Promise.all([proofKey(), proofKey()])
    })
    const now = () => providerNow(h, 'alpha', basic(CLOCK.client_id, CLOCK.client_secret))

    async function codeFrom(request_uri: string): Promise<string> {
      const out = await drive(h, authorizeUrl(iss, { client_id: HYBRID.client_id, request_uri }))
      return out.params.get('code')!
    }

    it('binds the code to the key of a proof sent to par', async () => {
      const par = `${iss}/par`
      const { request_uri } = await pushed(await push(hybridRequest(), { ...hybridAuth, dpop: await proof(key, { htu: par, iat: await now() }) }))
      const code = await codeFrom(request_uri)
      const token = `${iss}/access_token`
      await expectError(await exchange(code, HYBRID), 400, 'invalid_grant')
      await expectError(await exchange(code, HYBRID, { dpop: await proof(other, { htu: token, iat: await now() }) }), 400, 'invalid_grant')
      const res = await exchange(code, HYBRID, { dpop: await proof(key, { htu: token, iat: await now() }) })
      const body = (await res.json()) as Json
      expect(res.status, JSON.stringify(body)).toBe(200)
      expect(body.token_type).toBe('DPoP')
      expect(claims(body.access_token as string).cnf).toEqual({ jkt: key.jkt })
    })

    it('binds it by a pushed dpop_jkt too, and refuses a dpop_jkt that is not the proof key', async () => {
      const par = `${iss}/par`
      const viaParam = await pushed(await push(hybridRequest({ dpop_jkt: key.jkt }), hybridAuth))
      const code = await codeFrom(viaParam.request_uri)
      await expectError(await exchange(code, HYBRID, { dpop: await proof(other, { htu: `${iss}/access_token`, iat: await now() }) }), 400, 'invalid_grant')
      const both = await push(hybridRequest({ dpop_jkt: key.jkt }), { ...hybridAuth, dpop: await proof(key, { htu: par, iat: await now() }) })
      await pushed(both)
      const mismatch = await push(hybridRequest({ dpop_jkt: other.jkt }), { ...hybridAuth, dpop: await proof(key, { htu: par, iat: await now() }) })
      await expectError(mismatch, 400, 'invalid_request')
      const badProof = await push(hybridRequest(), { ...hybridAuth, dpop: await proof(key, { htu: `${iss}/access_token`, iat: await now() }) })
      await expectError(badProof, 400, 'invalid_dpop_proof')
    })
  })
})
