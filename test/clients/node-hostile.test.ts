/**
 * `@realmauth/node` against a hostile provider, in process (msw) and over HTTP: the shared
 * matrix (hostileCases.ts) through a confidential web app's sign-in and refresh
 * (`createNodeClient`, client_secret_basic, as examples/node-web uses it), and the
 * client-credentials cache. Each case is an AuthError with its stable code. The node client
 * keeps no tokens for a web app (the app's session does), so "nothing changed" is checked
 * where it shows: the app's session keeps what it had, a refused callback spends no code
 * (the genuine one still signs in), and the token cache keeps serving its token.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createNodeClient, type NodeClient, type TokenSet } from '@realmauth/node'
import { DEMO } from '@realmauth/server'
import { CLIENT_MODES, signInAtProvider, startProvider, type ProviderUnderTest } from './providerHarness.js'
import { authError } from './coreKit.js'
import { CALLBACK_CASES, ID_TOKEN_CASES, RESPONSE_CASES, callbackCode, editCallback, hostileConfig, idTokenFault, relayTo } from './hostileCases.js'

/** What examples/node-web keeps per user: tokens replace the old ones only when a call succeeds. */
interface Session {
  tokens?: TokenSet
}

describe.each(CLIENT_MODES)('@realmauth/node against a hostile provider (%s)', (mode) => {
  let p: ProviderUnderTest
  beforeAll(async () => {
    p = await startProvider(mode, hostileConfig())
  })
  afterAll(() => p.close())
  const nowSec = () => Math.floor(p.clock.now / 1000)

  const webApp = (realm = 'alpha') =>
    createNodeClient({
      issuer: p.issuer(realm),
      clientId: DEMO.web.client_id,
      auth: { method: 'client_secret_basic', clientSecret: DEMO.web.client_secret },
      redirectUri: DEMO.web.redirect_uri,
      scope: 'openid profile email',
      fetch: p.fetch,
      clock: () => p.clock.now,
    })

  /** The sign-in up to the callback: the transaction the app keeps, and where the provider sent the user. */
  async function pendingSignIn(client: NodeClient) {
    const { url, transaction } = await client.signInUrl()
    return { transaction, callback: await signInAtProvider(p, url) }
  }

  /** A signed-in user's session. */
  async function signedIn(client: NodeClient): Promise<Session & { tokens: TokenSet }> {
    const { transaction, callback } = await pendingSignIn(client)
    return { tokens: await client.handleCallback(callback, transaction) }
  }

  /** What the app's refresh route does: replace the session's tokens with the refreshed ones. */
  async function refreshSession(client: NodeClient, session: Session) {
    session.tokens = await client.refresh(session.tokens!.refreshToken!, { previousClaims: session.tokens!.claims! })
  }

  /** The access token still works at the provider: the user keeps calling APIs until it expires. */
  async function stillWorks(client: NodeClient, session: Session) {
    await expect(client.userinfo(session.tokens!.accessToken, 'demo')).resolves.toMatchObject({ sub: 'demo' })
  }

  describe('ID token in the code exchange', () => {
    it('control: the real answer re-signed by the provider signs in', async () => {
      const client = await webApp()
      const { transaction, callback } = await pendingSignIn(client)
      p.fault('access_token', idTokenFault({ name: 'control', make: ({ claims, provider }) => provider.signJwt(claims), reason: /./, in: ['exchange'] }, nowSec))
      await expect(client.handleCallback(callback, transaction)).resolves.toMatchObject({ claims: { sub: 'demo', aud: DEMO.web.client_id } })
    })

    it.each(ID_TOKEN_CASES.filter((c) => c.in.includes('exchange')))('refuses $name: id_token_invalid, no session', async (c) => {
      const client = await webApp()
      const { transaction, callback } = await pendingSignIn(client)
      const session: Session = {}
      const exchanges = p.count('access_token')
      p.fault('access_token', idTokenFault(c, nowSec))
      const err = await authError(client.handleCallback(callback, transaction).then((tokens) => (session.tokens = tokens)))
      expect(err.code).toBe('id_token_invalid')
      expect(err.message).toMatch(c.reason)
      expect(err.retryable).toBe(false)
      expect(err.needsUser).toBe(false)
      expect(p.count('access_token')).toBe(exchanges + 1) // the hostile answer is what it refused
      expect(session.tokens).toBeUndefined()
    })
  })

  describe('ID token in a refresh', () => {
    it.each(ID_TOKEN_CASES.filter((c) => c.in.includes('refresh')))('refuses $name: id_token_invalid, the session keeps its tokens', async (c) => {
      const client = await webApp()
      const session = await signedIn(client)
      const before = session.tokens
      p.fault('access_token', idTokenFault(c, nowSec))
      const err = await authError(refreshSession(client, session))
      expect(err.code).toBe('id_token_invalid')
      expect(err.message).toMatch(c.reason)
      expect(err.retryable).toBe(false)
      expect(err.needsUser).toBe(false)
      expect(session.tokens).toBe(before)
      await stillWorks(client, session)
    })
  })

  describe('callback', () => {
    it.each(CALLBACK_CASES)('$name: refused before the code is sent; the genuine callback still signs in', async (c) => {
      const client = await webApp()
      const { transaction, callback } = await pendingSignIn(client)
      const exchanges = p.count('access_token')
      const err = await authError(client.handleCallback(editCallback(callback, c, p.issuer('beta')), transaction))
      expect(err.code).toBe(callbackCode(c, 'transaction'))
      expect(err.retryable).toBe(false)
      expect(p.count('access_token')).toBe(exchanges)
      await expect(client.handleCallback(callback, transaction)).resolves.toMatchObject({ claims: { sub: 'demo' } })
    })

    it('mix-up: a sign-in started at beta and relayed to alpha comes back with alpha\'s iss: iss_mismatch, the code goes nowhere', async () => {
      const beta = await webApp('beta')
      const { url, transaction } = await beta.signInUrl()
      await fetch(url, { redirect: 'manual' }) // the user reaches beta, which relays to alpha
      const callback = new URL(await signInAtProvider(p, relayTo(transaction, p.issuer('alpha'), DEMO.web.client_id, 'openid profile email')))
      expect(callback.searchParams.get('iss')).toBe(p.issuer('alpha'))
      const exchanges = p.count('access_token')
      const err = await authError(beta.handleCallback(callback, transaction))
      expect(err.code).toBe('iss_mismatch')
      expect(p.count('access_token')).toBe(exchanges)
    })
  })

  describe('token responses of the wrong type', () => {
    it.each(RESPONSE_CASES)('code exchange, $name: $code, no session', async (c) => {
      const client = await webApp()
      const { transaction, callback } = await pendingSignIn(client)
      const session: Session = {}
      p.fault('access_token', c.fault)
      const err = await authError(client.handleCallback(callback, transaction).then((tokens) => (session.tokens = tokens)))
      expect(err.code).toBe(c.code)
      expect(err.retryable).toBe(c.retryable)
      expect(session.tokens).toBeUndefined()
    })

    it.each(RESPONSE_CASES)('refresh, $name: $code, the session keeps its tokens', async (c) => {
      const client = await webApp()
      const session = await signedIn(client)
      const before = session.tokens
      p.fault('access_token', c.fault)
      const err = await authError(refreshSession(client, session))
      expect(err.code).toBe(c.code)
      expect(err.retryable).toBe(c.retryable)
      expect(session.tokens).toBe(before)
      await stillWorks(client, session)
      if (c.reachesProvider) {
        // The provider rotated the refresh token before the answer was spoiled: the kept one is spent.
        await expect(refreshSession(client, session)).rejects.toMatchObject({ code: 'invalid_grant', needsUser: true })
      } else {
        await refreshSession(client, session)
        expect(session.tokens.refreshToken).not.toBe(before.refreshToken)
      }
    })

    it('a token response labelled text/plain that is valid JSON is accepted (oauth4webapi reads the type only when the body is not JSON)', async () => {
      // Documented, not defended against: the content type is no security boundary, the ID
      // token's signature and claims are, and they are checked in full.
      const client = await webApp()
      const { transaction, callback } = await pendingSignIn(client)
      p.fault('access_token', async (request, provider) => {
        const res = await provider.fetch(request)
        return new Response(await res.text(), { status: res.status, headers: { 'content-type': 'text/plain' } })
      })
      await expect(client.handleCallback(callback, transaction)).resolves.toMatchObject({ claims: { sub: 'demo' } })
    })

    it.each(RESPONSE_CASES)('client-credentials renewal, $name: $code, and the cache still serves its token through an outage', async (c) => {
      const client = await createNodeClient({
        issuer: p.issuer(),
        clientId: DEMO.m2m.client_id,
        auth: { method: 'client_secret_basic', clientSecret: DEMO.m2m.client_secret },
        fetch: p.fetch,
        clock: () => p.clock.now,
      })
      const cached = await client.getToken({ scope: 'read' })
      p.clock.advance(3600 - 30) // inside the renewal margin, still valid
      p.fault('access_token', c.fault)
      const err = await authError(client.getToken({ scope: 'read' }))
      expect(err.code).toBe(c.code)
      expect(err.retryable).toBe(c.retryable)
      // Nothing replaced or dropped the cached token: with the provider unreachable it is served.
      p.failNetwork(1)
      expect(await client.getToken({ scope: 'read' })).toBe(cached)
      const renewed = await client.getToken({ scope: 'read' })
      expect(renewed).not.toBe(cached)
    })
  })
})
