/**
 * What can go wrong finishing a sign-in or renewing it, as a user of the SDK sees it.
 *
 * Callback negatives: the authorization response is checked (state, RFC 9207 iss, error
 * responses, repeated parameters, replays) before any code is exchanged.
 *
 * Token endpoint answers that are not a token response: each gets its typed AuthError
 * (code, protocol error, retryable, needsUser), whether it answers a code exchange or a
 * refresh. Nothing is stored when anything fails.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AuthClient, type AuthErrorCode } from '@realmauth/core'
import { DEMO, demoConfig } from '@realmauth/server'
import { CLIENT_MODES, signInAtProvider, startProvider, type Fault, type ProviderUnderTest } from './providerHarness.js'
import { answer, authError, callbackFor, editTokenResponse, makeClient, signedIn, withTestKeys } from './coreKit.js'

describe.each(CLIENT_MODES)('sign-in callback (%s)', (mode) => {
  let p: ProviderUnderTest
  beforeAll(async () => {
    p = await startProvider(mode, withTestKeys(demoConfig()))
  })
  afterAll(() => p.close())

  /** A client with a real callback URL waiting, and what must stay untouched. */
  async function pending() {
    const made = makeClient(p)
    await made.client.load()
    const callback = new URL(await callbackFor(p, made.client))
    return { ...made, callback, before: made.client.getSnapshot(), exchanges: p.count('access_token') }
  }

  async function expectNothingStored(made: Awaited<ReturnType<typeof pending>>) {
    expect(await made.tokenStore.get()).toBeUndefined()
    expect(made.client.getSnapshot()).toBe(made.before)
    expect(made.client.getSnapshot().status).toBe('signed_out')
    expect(made.events).toEqual([])
    expect(p.count('access_token')).toBe(made.exchanges) // the code was never sent
  }

  const withParams = (url: URL, edit: (params: URLSearchParams) => void) => {
    const out = new URL(url)
    edit(out.searchParams)
    return out
  }

  it('control: the untouched callback signs in', async () => {
    const made = await pending()
    expect(made.callback.searchParams.get('iss')).toBe(p.issuer())
    const { tokens } = await made.client.handleCallback(made.callback)
    expect(tokens.claims?.sub).toBe('demo')
    expect(await made.tokenStore.get()).toBe(tokens)
    expect(made.events).toEqual(['signed_in'])
  })

  it("OidcClient: another sign-in's transaction is state_mismatch and no code is exchanged", async () => {
    const { client } = makeClient(p)
    const first = await client.oidc.signInUrl({ redirectUri: DEMO.spa.redirect_uri, scope: 'openid' })
    const second = await client.oidc.signInUrl({ redirectUri: DEMO.spa.redirect_uri, scope: 'openid' })
    const callback = new URL(await signInAtProvider(p, first.url))
    const exchanges = p.count('access_token')
    const err = await authError(client.oidc.handleCallback(callback, second.transaction))
    expect(err.code).toBe('state_mismatch')
    expect(err.needsUser).toBe(false)
    expect(p.count('access_token')).toBe(exchanges)
    // The right transaction still works: the failed check used nothing up.
    await expect(client.oidc.handleCallback(callback, first.transaction)).resolves.toHaveProperty('accessToken')
  })

  it('AuthClient: an unknown state is transaction_not_found', async () => {
    const made = await pending()
    const err = await authError(made.client.handleCallback(withParams(made.callback, (q) => q.set('state', 'forged-state'))))
    expect(err.code).toBe('transaction_not_found')
    await expectNothingStored(made)
  })

  it('AuthClient: a callback without state is state_mismatch', async () => {
    const made = await pending()
    const err = await authError(made.client.handleCallback(withParams(made.callback, (q) => q.delete('state'))))
    expect(err.code).toBe('state_mismatch')
    await expectNothingStored(made)
  })

  it('a wrong iss is iss_mismatch', async () => {
    const made = await pending()
    const err = await authError(made.client.handleCallback(withParams(made.callback, (q) => q.set('iss', 'https://evil.example.test/oauth2'))))
    expect(err.code).toBe('iss_mismatch')
    await expectNothingStored(made)
  })

  it("another realm's iss is iss_mismatch", async () => {
    const made = await pending()
    const err = await authError(made.client.handleCallback(withParams(made.callback, (q) => q.set('iss', p.issuer() + '/realms/beta'))))
    expect(err.code).toBe('iss_mismatch')
    await expectNothingStored(made)
  })

  it('a missing iss is iss_mismatch (the provider advertises RFC 9207)', async () => {
    const made = await pending()
    const err = await authError(made.client.handleCallback(withParams(made.callback, (q) => q.delete('iss'))))
    expect(err.code).toBe('iss_mismatch')
    await expectNothingStored(made)
  })

  it('an error callback (access_denied) is authorization_error with error set', async () => {
    const made = await pending()
    const denied = withParams(made.callback, (q) => {
      q.delete('code')
      q.set('error', 'access_denied')
      q.set('error_description', 'The user said no')
    })
    const err = await authError(made.client.handleCallback(denied))
    expect(err.code).toBe('authorization_error')
    expect(err.error).toBe('access_denied')
    expect(err.error_description).toBe('The user said no')
    expect(err.needsUser).toBe(true)
    expect(err.retryable).toBe(false)
    await expectNothingStored(made)
  })

  it("the provider's own error callback (prompt=none without a session) is authorization_error", async () => {
    const made = makeClient(p)
    await made.client.load()
    const before = made.client.getSnapshot()
    const url = await made.client.signInUrl({ prompt: 'none' })
    const res = await fetch(url, { redirect: 'manual' })
    expect(res.status).toBe(302)
    const callback = new URL(res.headers.get('location')!)
    expect(callback.searchParams.get('error')).toBe('login_required')
    const err = await authError(made.client.handleCallback(callback))
    expect(err.code).toBe('authorization_error')
    expect(err.error).toBe('login_required')
    expect(err.needsUser).toBe(true)
    expect(await made.tokenStore.get()).toBeUndefined()
    expect(made.client.getSnapshot()).toBe(before)
  })

  it('an error callback with a wrong state is state handling first: transaction_not_found', async () => {
    const made = await pending()
    const forged = withParams(made.callback, (q) => {
      q.delete('code')
      q.set('error', 'access_denied')
      q.set('state', 'forged-state')
    })
    const err = await authError(made.client.handleCallback(forged))
    expect(err.code).toBe('transaction_not_found')
    await expectNothingStored(made)
  })

  it('the same callback twice: the second is transaction_not_found and changes nothing', async () => {
    const made = await pending()
    const { tokens } = await made.client.handleCallback(made.callback)
    const after = made.client.getSnapshot()
    const exchanges = p.count('access_token')
    const err = await authError(made.client.handleCallback(made.callback))
    expect(err.code).toBe('transaction_not_found')
    expect(await made.tokenStore.get()).toBe(tokens)
    expect(made.client.getSnapshot()).toBe(after)
    expect(p.count('access_token')).toBe(exchanges)
    expect(made.events).toEqual(['signed_in'])
  })

  it('a callback older than the 10-minute transaction lifetime is transaction_not_found', async () => {
    const made = await pending()
    p.clock.advance(601)
    const err = await authError(made.client.handleCallback(made.callback))
    expect(err.code).toBe('transaction_not_found')
    await expectNothingStored(made)
  })

  it.each(['state', 'code', 'iss'])('a repeated %s parameter is invalid_response', async (name) => {
    const made = await pending()
    const doubled = withParams(made.callback, (q) => q.append(name, name === 'iss' ? 'https://evil.example.test/oauth2' : 'second-value'))
    const err = await authError(made.client.handleCallback(doubled))
    expect(err.code).toBe('invalid_response')
    await expectNothingStored(made)
  })

  it('a callback with neither code nor error is invalid_response', async () => {
    const made = await pending()
    const err = await authError(made.client.handleCallback(withParams(made.callback, (q) => q.delete('code'))))
    expect(err.code).toBe('invalid_response')
    await expectNothingStored(made)
  })

  it('an id_token injected into the callback (hybrid response) is invalid_response', async () => {
    const made = await pending()
    const err = await authError(made.client.handleCallback(withParams(made.callback, (q) => q.set('id_token', 'eyJhbGciOiJub25lIn0.e30.'))))
    expect(err.code).toBe('invalid_response')
    await expectNothingStored(made)
  })

  it('a repeated state with the same value twice is still invalid_response', async () => {
    const made = await pending()
    const doubled = withParams(made.callback, (q) => q.append('state', q.get('state')!))
    const err = await authError(made.client.handleCallback(doubled))
    expect(err.code).toBe('invalid_response')
    await expectNothingStored(made)
  })

  it('a failed check uses the transaction up: the genuine callback afterwards is transaction_not_found', async () => {
    // Documented: the transaction is taken before anything is checked, so a forged callback
    // that reached the app cannot be followed by a second guess.
    const made = await pending()
    await authError(made.client.handleCallback(withParams(made.callback, (q) => q.set('iss', 'https://evil.example.test'))))
    const err = await authError(made.client.handleCallback(made.callback))
    expect(err.code).toBe('transaction_not_found')
    await expectNothingStored(made)
  })

  it('a callback for a client in another tab (separate transaction store) is transaction_not_found', async () => {
    const made = await pending()
    const otherTab = new AuthClient({ issuer: p.issuer(), clientId: DEMO.spa.client_id, redirectUri: DEMO.spa.redirect_uri, fetch: p.fetch, clock: () => p.clock.now, refresh: { auto: false } })
    const err = await authError(otherTab.handleCallback(made.callback))
    expect(err.code).toBe('transaction_not_found')
    // The tab that started it still finishes it.
    await expect(made.client.handleCallback(made.callback)).resolves.toHaveProperty('tokens')
  })
})

const HTML = '<!doctype html><html><body><h1>502 Bad Gateway</h1></body></html>'
const oauthError = (status: number, error: string, headers: Record<string, string> = {}): Fault => () =>
  Response.json({ error, error_description: `${error} from the test` }, { status, headers })

interface Case {
  name: string
  fault: Fault
  code: AuthErrorCode
  error?: string
  status?: number
  retryable: boolean
  needsUser: boolean
  /** The provider answered (and rotated the refresh token) before the answer was spoiled. */
  reachesProvider?: boolean
}

const CASES: Case[] = [
  { name: 'HTML with 200', fault: answer(HTML, 200, 'text/html'), code: 'invalid_response', retryable: false, needsUser: false },
  { name: 'HTML with 502 (a proxy page)', fault: answer(HTML, 502, 'text/html'), code: 'server_error', status: 502, retryable: true, needsUser: false },
  { name: 'truncated JSON', fault: answer('{"access_token":"eyJhbGciOi', 200), code: 'invalid_response', retryable: false, needsUser: false },
  { name: 'an empty body', fault: answer('', 200), code: 'invalid_response', retryable: false, needsUser: false },
  { name: 'a JSON array', fault: answer('[]', 200), code: 'invalid_response', retryable: false, needsUser: false },
  // oauth4webapi reads an OAuth error body only from 4xx answers: a 5xx is server_error whatever it says.
  { name: '500 with a server_error body', fault: oauthError(500, 'server_error'), code: 'server_error', status: 500, retryable: true, needsUser: false },
  { name: '503 with a temporarily_unavailable body', fault: oauthError(503, 'temporarily_unavailable'), code: 'server_error', status: 503, retryable: true, needsUser: false },
  { name: '400 temporarily_unavailable', fault: oauthError(400, 'temporarily_unavailable'), code: 'server_error', error: 'temporarily_unavailable', status: 400, retryable: true, needsUser: false },
  { name: 'HTML with 400', fault: answer(HTML, 400, 'text/html'), code: 'invalid_response', status: 400, retryable: false, needsUser: false },
  { name: '500 with an empty body', fault: answer('', 500, 'text/plain'), code: 'server_error', status: 500, retryable: true, needsUser: false },
  { name: '400 invalid_grant', fault: oauthError(400, 'invalid_grant'), code: 'invalid_grant', error: 'invalid_grant', status: 400, retryable: false, needsUser: true },
  { name: '400 invalid_request', fault: oauthError(400, 'invalid_request'), code: 'oauth_error', error: 'invalid_request', status: 400, retryable: false, needsUser: false },
  // An object lookup would find Object.prototype's: the code must still be a string code.
  { name: "400 with error 'constructor'", fault: oauthError(400, 'constructor'), code: 'oauth_error', error: 'constructor', status: 400, retryable: false, needsUser: false },
  { name: '401 invalid_client', fault: oauthError(401, 'invalid_client'), code: 'invalid_client', error: 'invalid_client', status: 401, retryable: false, needsUser: false },
  { name: 'no access_token', fault: editTokenResponse((b) => void delete b.access_token), code: 'invalid_response', retryable: false, needsUser: false, reachesProvider: true },
  { name: 'no token_type', fault: editTokenResponse((b) => void delete b.token_type), code: 'invalid_response', retryable: false, needsUser: false, reachesProvider: true },
  { name: 'an access_token that is not a string', fault: editTokenResponse((b) => void (b.access_token = 42)), code: 'invalid_response', retryable: false, needsUser: false, reachesProvider: true },
  { name: 'an expires_in that is not a number', fault: editTokenResponse((b) => void (b.expires_in = 'soon')), code: 'invalid_response', retryable: false, needsUser: false, reachesProvider: true },
  { name: 'an unknown token_type', fault: editTokenResponse((b) => void (b.token_type = 'MAC')), code: 'invalid_response', retryable: false, needsUser: false, reachesProvider: true },
]

describe.each(CLIENT_MODES)('token endpoint errors (%s)', (mode) => {
  let p: ProviderUnderTest
  beforeAll(async () => {
    p = await startProvider(mode, withTestKeys(demoConfig()))
  })
  afterAll(() => p.close())

  function expectError(err: Awaited<ReturnType<typeof authError>>, c: Case) {
    expect(err.code).toBe(c.code)
    expect(err.retryable).toBe(c.retryable)
    expect(err.needsUser).toBe(c.needsUser)
    if (c.error !== undefined) {
      expect(err.error).toBe(c.error)
      expect(err.error_description).toBe(`${c.error} from the test`)
    }
    if (c.status !== undefined) expect(err.status).toBe(c.status)
  }

  describe('code exchange', () => {
    it.each(CASES)('$name: $code, nothing stored', async (c) => {
      const { client, tokenStore, events } = makeClient(p)
      await client.load()
      const before = client.getSnapshot()
      const callback = await callbackFor(p, client)
      p.fault('access_token', c.fault)
      expectError(await authError(client.handleCallback(callback)), c)
      expect(await tokenStore.get()).toBeUndefined()
      expect(client.getSnapshot()).toBe(before)
      expect(events).toEqual([])
    })

    it('a network failure is network_error, retryable, nothing stored', async () => {
      const { client, tokenStore } = makeClient(p)
      await client.load()
      const callback = await callbackFor(p, client)
      const exchanges = p.count('access_token')
      p.failNetwork(1)
      const err = await authError(client.handleCallback(callback))
      expect(err.code).toBe('network_error')
      expect(err.retryable).toBe(true)
      expect(err.cause).toBeInstanceOf(TypeError)
      expect(p.count('access_token')).toBe(exchanges)
      expect(await tokenStore.get()).toBeUndefined()
    })

    it("the provider's own invalid_grant for a code redeemed twice needs the user", async () => {
      const { client } = makeClient(p)
      const { url, transaction } = await client.oidc.signInUrl({ redirectUri: DEMO.spa.redirect_uri, scope: 'openid' })
      const callback = new URL(await signInAtProvider(p, url))
      await client.oidc.handleCallback(callback, transaction)
      const err = await authError(client.oidc.handleCallback(callback, transaction))
      expect(err.code).toBe('invalid_grant')
      expect(err.error).toBe('invalid_grant')
      expect(err.status).toBe(400)
      expect(err.needsUser).toBe(true)
    })

    it("the provider's own answer to a wrong PKCE verifier is invalid_grant", async () => {
      const { client } = makeClient(p)
      const { url, transaction } = await client.oidc.signInUrl({ redirectUri: DEMO.spa.redirect_uri, scope: 'openid' })
      const callback = new URL(await signInAtProvider(p, url))
      const err = await authError(client.oidc.handleCallback(callback, { ...transaction, codeVerifier: 'x'.repeat(43) }))
      expect(err.code).toBe('invalid_grant')
    })
  })

  describe('refresh', () => {
    // One of each kind: the classification itself is the code exchange's matrix above.
    const kinds = ['HTML with 200', 'HTML with 502 (a proxy page)', 'truncated JSON', '500 with a server_error body', '400 invalid_grant', '401 invalid_client', 'no access_token', 'an unknown token_type']
    it.each(CASES.filter((c) => kinds.includes(c.name)))('$name: $code, the tokens are kept', async (c) => {
      const { client, tokenStore, events } = await signedIn(p, { refresh: { auto: false, attempts: 1 } })
      const stored = await tokenStore.get()
      p.fault('access_token', c.fault)
      expectError(await authError(client.refresh()), c)
      if (c.code === 'invalid_grant') {
        // Only the provider refusing the refresh token ends the session.
        expect(await tokenStore.get()).toBeUndefined()
        expect(client.getSnapshot().status).toBe('session_ended')
        expect(events).toEqual(['signed_in', 'refresh_start', 'refresh_failure', 'session_ended'])
        return
      }
      expect(await tokenStore.get()).toBe(stored)
      expect(client.getSnapshot().tokens).toBe(stored)
      expect(client.getSnapshot().status).toBe('signed_in')
      expect(client.getSnapshot().error?.code).toBe(c.code)
      expect(events).toEqual(['signed_in', 'refresh_start', 'refresh_failure'])
      if (c.reachesProvider) {
        // The provider rotated the refresh token before the answer was spoiled; the old one
        // is kept (nothing unvalidated is stored), so the next refresh presents a rotated-out
        // token and reuse detection ends the session, cleanly.
        const err = await authError(client.refresh())
        expect(err.code).toBe('invalid_grant')
        expect(client.getSnapshot().status).toBe('session_ended')
        expect(await tokenStore.get()).toBeUndefined()
        return
      }
      // The refresh token was never spent: the next refresh works.
      const next = await client.refresh()
      expect(next.refreshToken).not.toBe(stored!.refreshToken)
      expect(client.getSnapshot().error).toBeUndefined()
      expect(client.getSnapshot().status).toBe('signed_in')
    })
  })
})
