/**
 * A relying party nobody here wrote: panva's openid-client v6 (strict, RFC-following, OpenID
 * certified) drives every flow the provider offers but mutual TLS (mtls.test.ts) over real HTTP
 * on loopback, written as a user of openid-client would write it (decision 0080). Where openid-client refuses an answer, the provider is
 * fixed or the comment says which spec openid-client is stricter than.
 *
 * openid-client is a devDependency of the `bench` workspace; npm hoists it to the root
 * node_modules, so this file resolves it without a dependency of its own.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import * as client from 'openid-client'
import { SignJWT, calculateJwkThumbprint, compactDecrypt, createRemoteJWKSet, decodeJwt, exportJWK, generateKeyPair, importJWK, jwtVerify, type CryptoKey } from 'jose'
import { DEMO, demoConfig, type ClientConfig, type ProviderConfig } from '@realmauth/server'
import { Browser, parseForm, startHarness, type Harness } from './harness.js'
import { drive, type Outcome } from './authorizeKit.js'

const JWT_BEARER_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer'
/** A `client_secret_post` web app (DEMO.web is `client_secret_basic`). */
const POST = { client_id: 'rp-post', client_secret: 'rp-post-secret', redirect_uri: 'http://localhost:3000/post/callback' }
/** A web app that signs in with `private_key_jwt`; its key is made in `beforeAll`. */
const JWT_RP = { client_id: 'rp-jwt', redirect_uri: 'http://localhost:3000/jwt/callback', kid: 'rp-jwt-1' }
/** A web app that may take an ID token from authorize (hybrid and implicit). */
const FRONT = { client_id: 'rp-front', client_secret: 'rp-front-secret', redirect_uri: 'http://localhost:3000/front/callback' }
/** A web app that asks for JWT answers: ID tokens encrypted to its key, userinfo and introspection signed, then encrypted. */
const JOSE = { client_id: 'rp-jose', client_secret: 'rp-jose-secret', redirect_uri: 'http://localhost:3000/jose/callback', kid: 'rp-jose-enc' }
/** A web app whose userinfo is encrypted to it but not signed (OIDC Registration section 2 allows it). */
const JWE = { client_id: 'rp-jwe', client_secret: 'rp-jwe-secret', redirect_uri: 'http://localhost:3000/jwe/callback' }
/** A web app that sees the user under a pairwise subject. */
const PAIRWISE = { client_id: 'rp-pairwise', client_secret: 'rp-pairwise-secret', redirect_uri: 'http://localhost:3000/pairwise/callback' }
/** The public client of the sub-realm that wants DPoP nonces. */
const BETA_SPA = { client_id: 'beta-spa', redirect_uri: 'http://localhost:5173/beta/callback' }

/** A web app with a secret that signs users in by code; `extra` is what sets it apart. */
function secretClient(app: { client_id: string; client_secret: string; redirect_uri: string }, extra: Partial<ClientConfig>): ClientConfig {
  const { client_id, client_secret, redirect_uri } = app
  return { client_id, client_secret, redirect_uris: [redirect_uri], grant_types: ['authorization_code', 'refresh_token'], scope: 'openid profile email', ...extra }
}

function interopConfig(keys: { jwtRp: Record<string, unknown>; jose: Record<string, unknown> }): ProviderConfig {
  const config = demoConfig()
  // Identity Cloud's base path: every issuer openid-client discovers is /am/oauth2/realms/root/realms/….
  config.base_path = '/am'
  const alpha = config.realms[0]!
  alpha.clients!.push(
    secretClient(POST, { token_endpoint_auth_method: 'client_secret_post', grant_types: ['authorization_code', 'refresh_token', 'password'] }),
    {
      client_id: JWT_RP.client_id,
      token_endpoint_auth_method: 'private_key_jwt',
      jwks: { keys: [keys.jwtRp] },
      redirect_uris: [JWT_RP.redirect_uri],
      grant_types: ['authorization_code', 'refresh_token', JWT_BEARER_GRANT],
      scope: 'openid profile',
    },
    secretClient(FRONT, { grant_types: ['authorization_code', 'implicit'] }),
    secretClient(JOSE, {
      jwks: { keys: [keys.jose] },
      id_token_encrypted_response_alg: 'RSA-OAEP-256',
      userinfo_signed_response_alg: 'RS256',
      userinfo_encrypted_response_alg: 'RSA-OAEP-256',
      introspection_signed_response_alg: 'RS256',
      introspection_encrypted_response_alg: 'RSA-OAEP-256',
    }),
    secretClient(PAIRWISE, { subject_type: 'pairwise' }),
    secretClient(JWE, { jwks: { keys: [keys.jose] }, userinfo_encrypted_response_alg: 'RSA-OAEP-256' }),
  )
  config.realms.push(
    { name: '/' },
    {
      name: 'alpha/beta',
      dpop_nonce: true,
      allow_dynamic_registration: true,
      allow_implied_consent: true,
      clients: [
        {
          client_id: BETA_SPA.client_id,
          token_endpoint_auth_method: 'none',
          redirect_uris: [BETA_SPA.redirect_uri],
          grant_types: ['authorization_code', 'refresh_token'],
          scope: 'openid profile',
          implied_consent: true,
        },
      ],
      users: alpha.users,
    },
  )
  return config
}

interface Answer {
  endpoint: string
  status: number
  type: string | null
  error?: string
  parts?: number
}

describe('openid-client v6 against the provider over HTTP', () => {
  let h: Harness
  let jwtRpKey: CryptoKey
  let joseKey: CryptoKey
  /** openid-client refuses http: issuers unless told otherwise; loopback is where tests live. */
  const insecure = { execute: [client.allowInsecureRequests] }
  const discover = (clientId: string, metadata?: Partial<client.ClientMetadata> | string, auth?: client.ClientAuth, issuer = h.issuer()) =>
    client.discovery(new URL(issuer), clientId, metadata, auth, insecure)

  beforeAll(async () => {
    const signing = await generateKeyPair('ES256', { extractable: true })
    const encryption = await generateKeyPair('RSA-OAEP-256', { extractable: true })
    jwtRpKey = signing.privateKey
    joseKey = encryption.privateKey
    h = await startHarness(
      'http',
      interopConfig({
        jwtRp: { ...(await exportJWK(signing.publicKey)), kid: JWT_RP.kid, alg: 'ES256', use: 'sig' },
        jose: { ...(await exportJWK(encryption.publicKey)), kid: JOSE.kid, alg: 'RSA-OAEP-256', use: 'enc' },
      }),
    )
  })
  afterAll(() => h.close())

  type How = { par?: boolean; jar?: client.CryptoKey | client.PrivateKey; DPoP?: client.DPoPHandle }

  /**
   * An authorization request as openid-client's README builds it: PKCE S256, state and nonce,
   * scope `openid profile` unless `params` says otherwise; pushed (PAR) or signed (JAR) if asked.
   * Returns the URL and the checks the callback is held to.
   */
  async function authorizationRequest(config: client.Configuration, redirect_uri: string, params: Record<string, string> = {}, how: How = {}) {
    const code_verifier = client.randomPKCECodeVerifier()
    const state = client.randomState()
    const nonce = client.randomNonce()
    const parameters = {
      redirect_uri,
      scope: 'openid profile',
      code_challenge: await client.calculatePKCECodeChallenge(code_verifier),
      code_challenge_method: 'S256',
      state,
      nonce,
      ...params,
    }
    const url = how.par
      ? await client.buildAuthorizationUrlWithPAR(config, parameters, how.DPoP && { DPoP: how.DPoP })
      : how.jar
        ? await client.buildAuthorizationUrlWithJAR(config, parameters, how.jar)
        : client.buildAuthorizationUrl(config, parameters)
    return { url, checks: { pkceCodeVerifier: code_verifier, expectedState: state, expectedNonce: nonce } }
  }

  /** The code flow end to end: the request, the user signing in (and consenting), the code exchanged. */
  async function signIn(config: client.Configuration, redirect_uri: string, params: Record<string, string> = {}, how: How = {}) {
    const { url, checks } = await authorizationRequest(config, redirect_uri, params, how)
    const outcome = await drive(h, url.href, { user: DEMO.user })
    const tokens = await client.authorizationCodeGrant(config, callbackOf(outcome), { ...checks, idTokenExpected: true }, undefined, how.DPoP && { DPoP: how.DPoP })
    return { tokens, url, outcome, browser: outcome.browser }
  }

  /** The demo web app (client_secret_basic), discovered. */
  const demoWeb = () => discover(DEMO.web.client_id, DEMO.web.client_secret, client.ClientSecretBasic(DEMO.web.client_secret))

  /** What the app's callback receives: the redirect, or the browser's POST of the form_post page. */
  function callbackOf(outcome: Outcome): URL | Request {
    if (outcome.location) return outcome.location
    return new Request(outcome.formPost!.action, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: outcome.params })
  }

  /**
   * What openid-client was answered, request by request: the endpoint, status, content type, the
   * `error` (from the body, or a `WWW-Authenticate` challenge) and how many dot-separated parts a
   * JWT answer has (3 signed, 5 encrypted). `onAnswer` sees each one as it arrives.
   */
  function recordAnswers(config: client.Configuration, onAnswer: (answer: Answer) => void = () => {}) {
    const seen: Answer[] = []
    config[client.customFetch] = async (url, options) => {
      const res = await fetch(url, options as RequestInit)
      const body = await res.clone().text()
      const type = res.headers.get('content-type')
      const error = /error="([^"]+)"/.exec(res.headers.get('www-authenticate') ?? '')?.[1] ?? (res.status >= 400 ? /"error":"([^"]+)"/.exec(body)?.[1] : undefined)
      const answer: Answer = { endpoint: new URL(url).pathname.split('/').pop()!, status: res.status, type, ...(error && { error }), ...(type?.includes('jwt') && { parts: body.split('.').length }) }
      seen.push(answer)
      onAnswer(answer)
      return res
    }
    return seen
  }

  describe('discovery', () => {
    it('discovers a realm under /am and finds the issuer it asked for', async () => {
      const config = await discover(DEMO.web.client_id, DEMO.web.client_secret)
      const metadata = config.serverMetadata()
      expect(metadata.issuer).toBe(`${h.origin}/am/oauth2/realms/root/realms/alpha`)
      expect(metadata.token_endpoint).toBe(`${metadata.issuer}/access_token`)
      expect(config.serverMetadata().supportsPKCE()).toBe(true)
      expect(metadata.authorization_response_iss_parameter_supported).toBe(true)
    })

    it('refuses the short form /am/oauth2/alpha as an issuer: discovery there names the realm issuer (OIDC Discovery 4.3)', async () => {
      // One realm, one issuer: tokens carry the long form, so the short form's discovery does too, and
      // openid-client holds the discovered issuer to the URL it was given. Apps configure the realm issuer.
      await expect(discover(DEMO.web.client_id, DEMO.web.client_secret, undefined, `${h.origin}/am/oauth2/alpha`)).rejects.toMatchObject({
        code: 'OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED',
        cause: { expected: `${h.origin}/am/oauth2/alpha`, body: { issuer: h.issuer() } },
      })
    })

    it('discovers the root realm and a sub-realm by their own issuers', async () => {
      const root = await discover('any', undefined, client.None(), `${h.origin}/am/oauth2`)
      expect(root.serverMetadata().issuer).toBe(`${h.origin}/am/oauth2`)
      const beta = await discover('any', undefined, client.None(), h.issuer('alpha/beta'))
      expect(beta.serverMetadata().issuer).toBe(`${h.origin}/am/oauth2/realms/root/realms/alpha/realms/beta`)
    })
  })

  describe('authorization code flow', () => {
    it('signs a user in with client_secret_basic: the callback carries iss, the ID token its nonce', async () => {
      const config = await demoWeb()
      const { tokens, outcome } = await signIn(config, DEMO.web.redirect_uri)
      // RFC 9207: openid-client checks iss against the discovered issuer; here it was sent.
      expect(outcome.location!.searchParams.get('iss')).toBe(config.serverMetadata().issuer)
      expect(tokens.token_type).toBe('bearer')
      expect(tokens.refresh_token).toBeTypeOf('string')
      const idToken = tokens.claims()!
      expect(idToken).toMatchObject({ iss: config.serverMetadata().issuer, aud: DEMO.web.client_id, sub: DEMO.user.username })
    })

    it('refuses a callback whose iss names another issuer (mix-up)', async () => {
      const config = await demoWeb()
      const { url, checks } = await authorizationRequest(config, DEMO.web.redirect_uri)
      const location = (await drive(h, url.href, { user: DEMO.user })).location!
      location.searchParams.set('iss', h.issuer('alpha/beta'))
      await expect(client.authorizationCodeGrant(config, location, checks)).rejects.toMatchObject({
        code: 'OAUTH_INVALID_RESPONSE',
        cause: { message: 'unexpected "iss" (issuer) response parameter value' },
      })
    })

    it('pushes the request with client_secret_post (PAR): authorize sees only client_id and request_uri', async () => {
      const config = await discover(POST.client_id, POST.client_secret, client.ClientSecretPost(POST.client_secret))
      const { tokens, url } = await signIn(config, POST.redirect_uri, { scope: 'openid email' }, { par: true })
      expect([...url.searchParams.keys()].sort()).toEqual(['client_id', 'request_uri'])
      expect(tokens.scope?.split(' ').sort()).toEqual(['email', 'openid'])
    })

    it('authenticates with private_key_jwt for the code, the refresh and introspection', async () => {
      const config = await discover(JWT_RP.client_id, undefined, client.PrivateKeyJwt({ key: jwtRpKey, kid: JWT_RP.kid }))
      const { tokens } = await signIn(config, JWT_RP.redirect_uri)
      const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token!)
      expect(refreshed.access_token).not.toBe(tokens.access_token)
      const introspected = await client.tokenIntrospection(config, refreshed.access_token)
      expect(introspected).toMatchObject({ active: true, client_id: JWT_RP.client_id, sub: DEMO.user.username })
    })

    it('signs in the public SPA client with None', async () => {
      const config = await discover(DEMO.spa.client_id, undefined, client.None())
      const { tokens } = await signIn(config, DEMO.spa.redirect_uri)
      expect(tokens.claims()).toMatchObject({ aud: DEMO.spa.client_id, sub: DEMO.user.username })
    })
  })

  describe('client authentication failures', () => {
    it('a wrong Basic secret is a 401 challenge (RFC 6749 section 5.2), which openid-client raises as such', async () => {
      const config = await discover(DEMO.m2m.client_id, 'wrong', client.ClientSecretBasic('wrong'))
      const error = await client.clientCredentialsGrant(config).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(client.WWWAuthenticateChallengeError)
      expect(error).toMatchObject({ status: 401, cause: [{ scheme: 'basic', parameters: { realm: '/alpha' } }] })
      // The body still says why, for apps that read it.
      expect(await (error as client.WWWAuthenticateChallengeError).response.json()).toMatchObject({ error: 'invalid_client' })
    })

    it('a wrong secret in the body is invalid_client in the body', async () => {
      const config = await discover(POST.client_id, 'wrong', client.ClientSecretPost('wrong'))
      await expect(client.refreshTokenGrant(config, 'any')).rejects.toMatchObject({ status: 400, error: 'invalid_client' })
    })
  })

  describe('response modes, hybrid, implicit and request objects', () => {
    it('takes the code from a form_post callback (a Request, as a server framework hands it over)', async () => {
      const config = await demoWeb()
      const { tokens, outcome } = await signIn(config, DEMO.web.redirect_uri, { response_mode: 'form_post' })
      expect(outcome.formPost?.action).toBe(DEMO.web.redirect_uri)
      expect(tokens.claims()!.sub).toBe(DEMO.user.username)
    })

    it('runs the hybrid flow (code id_token): the front-channel ID token is checked, c_hash included', async () => {
      const config = await discover(FRONT.client_id, FRONT.client_secret, client.ClientSecretBasic(FRONT.client_secret), undefined)
      client.useCodeIdTokenResponseType(config)
      const { tokens, url, outcome } = await signIn(config, FRONT.redirect_uri)
      expect(url.searchParams.get('response_type')).toBe('code id_token')
      expect(outcome.location!.hash).toContain('id_token=')
      expect(tokens.claims()!.sub).toBe(DEMO.user.username)
    })

    it('runs the implicit flow for an ID token alone', async () => {
      const config = await discover(FRONT.client_id, FRONT.client_secret, client.ClientSecretBasic(FRONT.client_secret))
      client.useIdTokenResponseType(config)
      const nonce = client.randomNonce()
      const state = client.randomState()
      const url = client.buildAuthorizationUrl(config, { redirect_uri: FRONT.redirect_uri, scope: 'openid profile', nonce, state })
      const { location } = await drive(h, url.href, { user: DEMO.user })
      const idToken = await client.implicitAuthentication(config, location!, nonce, { expectedState: state })
      // OIDC Core 5.4: with no access token to call userinfo with, the scope claims come in the ID token.
      expect(idToken).toMatchObject({ sub: DEMO.user.username, name: 'Demo User', aud: FRONT.client_id })
    })

    it('signs the request object with the private_key_jwt client key (JAR)', async () => {
      const config = await discover(JWT_RP.client_id, undefined, client.PrivateKeyJwt({ key: jwtRpKey, kid: JWT_RP.kid }))
      const { tokens, url } = await signIn(config, JWT_RP.redirect_uri, {}, { jar: { key: jwtRpKey, kid: JWT_RP.kid } })
      expect([...url.searchParams.keys()].sort()).toEqual(['client_id', 'request'])
      expect(tokens.claims()!.sub).toBe(DEMO.user.username)
    })
  })

  describe('JWT answers for a client that asked for them', () => {
    async function joseConfig() {
      const config = await discover(
        JOSE.client_id,
        { client_secret: JOSE.client_secret, userinfo_signed_response_alg: 'RS256', introspection_signed_response_alg: 'RS256' },
        client.ClientSecretBasic(JOSE.client_secret),
      )
      client.enableDecryptingResponses(config, undefined, { key: joseKey, kid: JOSE.kid, alg: 'RSA-OAEP-256' })
      return config
    }

    it('decrypts the ID token, and decrypts and verifies userinfo and the introspection answer (RFC 9701)', async () => {
      const config = await joseConfig()
      const seen = recordAnswers(config)
      const { tokens } = await signIn(config, JOSE.redirect_uri, { scope: 'openid email' })
      expect(tokens.id_token!.split('.')).toHaveLength(5)
      const sub = tokens.claims()!.sub
      expect(await client.fetchUserInfo(config, tokens.access_token, sub)).toMatchObject({ sub, email: 'demo@example.com' })
      expect(await client.tokenIntrospection(config, tokens.access_token)).toMatchObject({ active: true, client_id: JOSE.client_id, sub })
      expect(seen.filter((a) => a.endpoint !== 'access_token').map((a) => `${a.endpoint} ${a.type} ${a.parts}`)).toEqual([
        'userinfo application/jwt 5',
        'introspect application/token-introspection+jwt 5',
      ])
    })

    it('is stricter than OIDC on encrypted-only userinfo: openid-client wants it signed inside, so the app decrypts it with jose', async () => {
      const config = await discover(JWE.client_id, JWE.client_secret, client.ClientSecretBasic(JWE.client_secret))
      client.enableDecryptingResponses(config, undefined, { key: joseKey, kid: JOSE.kid, alg: 'RSA-OAEP-256' })
      const { tokens } = await signIn(config, JWE.redirect_uri, { scope: 'openid email' })
      const sub = tokens.claims()!.sub
      // OIDC Dynamic Client Registration section 2: with userinfo_encrypted_response_alg alone, the answer is a
      // JWE of the claims; a nested (signed, then encrypted) JWT only when both are asked for. openid-client
      // accepts only the nested form.
      await expect(client.fetchUserInfo(config, tokens.access_token, sub)).rejects.toMatchObject({
        code: 'OAUTH_INVALID_RESPONSE',
        cause: { message: 'Invalid JWT' },
      })
      const res = await client.fetchProtectedResource(config, tokens.access_token, new URL(config.serverMetadata().userinfo_endpoint!), 'GET')
      expect(res.headers.get('content-type')).toBe('application/jwt')
      const { plaintext } = await compactDecrypt(await res.text(), joseKey)
      expect(JSON.parse(new TextDecoder().decode(plaintext))).toMatchObject({ sub, email: 'demo@example.com' })
    })
  })

  describe('a sub-realm that asks for DPoP nonces and registers clients', () => {
    const beta = () => h.issuer('alpha/beta')

    it('answers use_dpop_nonce, and openid-client retries with the nonce and keeps it for userinfo and refresh', async () => {
      const config = await discover(BETA_SPA.client_id, undefined, client.None(), beta())
      const seen = recordAnswers(config)
      const DPoP = client.getDPoPHandle(config, await client.randomDPoPKeyPair('ES256'))
      const { tokens } = await signIn(config, BETA_SPA.redirect_uri, {}, { DPoP })
      expect(tokens.token_type).toBe('dpop')
      expect(tokens.claims()!.iss).toBe(beta())
      const sub = tokens.claims()!.sub
      expect(await client.fetchUserInfo(config, tokens.access_token, sub, { DPoP })).toMatchObject({ sub })
      const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token!, undefined, { DPoP })
      expect(refreshed.token_type).toBe('dpop')
      // The first proof had no nonce: the token endpoint asked for one (400 use_dpop_nonce). openid-client keeps
      // a nonce per origin, and the provider's nonce is good at every endpoint of the realm, so userinfo took it.
      expect(seen.filter((a) => a.error === 'use_dpop_nonce').map((a) => `${a.endpoint} ${a.status}`)).toEqual(['access_token 400'])
    })

    it('registers clients (RFC 7591) and signs in with them', async () => {
      const redirect_uri = 'http://localhost:3000/dcr/callback'
      // The shortest registration: no method named, so RFC 7591's client_secret_basic is registered while
      // openid-client authenticates with client_secret_post by default. AM takes a plain secret client's
      // secret either way (seed 002), so the sign-in works.
      const plain = await client.dynamicClientRegistration(new URL(beta()), { redirect_uris: [redirect_uri] }, undefined, insecure)
      expect(plain.clientMetadata()).toMatchObject({ token_endpoint_auth_method: 'client_secret_basic', client_secret: expect.any(String) })
      expect((await signIn(plain, redirect_uri, { scope: 'openid' })).tokens.claims()!.aud).toBe(plain.clientMetadata().client_id)
      // A client that names its method is held to it: openid-client must be told to use Basic.
      const basic = await client.dynamicClientRegistration(
        new URL(beta()),
        { redirect_uris: [redirect_uri], token_endpoint_auth_method: 'client_secret_basic', scope: 'openid profile' },
        client.ClientSecretBasic(),
        insecure,
      )
      const { tokens } = await signIn(basic, redirect_uri)
      expect(tokens.claims()).toMatchObject({ aud: basic.clientMetadata().client_id, sub: DEMO.user.username })
    })
  })

  describe('after sign-in', () => {
    it('rotates the refresh token and refuses the rotated-out one', async () => {
      const config = await demoWeb()
      const { tokens } = await signIn(config, DEMO.web.redirect_uri)
      const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token!)
      expect(refreshed.refresh_token).toBeTypeOf('string')
      expect(refreshed.refresh_token).not.toBe(tokens.refresh_token)
      // OIDC Core 12.2: the refreshed ID token names the same user and client.
      expect(refreshed.claims()).toMatchObject({ sub: tokens.claims()!.sub, aud: DEMO.web.client_id })
      const reused = client.refreshTokenGrant(config, tokens.refresh_token!)
      await expect(reused).rejects.toMatchObject({ error: 'invalid_grant' })
    })

    it('honours max_age: the ID token carries auth_time, which openid-client checks', async () => {
      const config = await demoWeb()
      const { url, checks } = await authorizationRequest(config, DEMO.web.redirect_uri, { max_age: '300' })
      const { location } = await drive(h, url.href, { user: DEMO.user })
      const tokens = await client.authorizationCodeGrant(config, location!, { ...checks, maxAge: 300 })
      expect(tokens.claims()!.auth_time).toBeTypeOf('number')
      // A narrower scope on refresh (RFC 6749 section 6): the new access token has only it.
      const narrowed = await client.refreshTokenGrant(config, tokens.refresh_token!, { scope: 'openid' })
      expect(narrowed.scope).toBe('openid')
    })

    it('reads userinfo for the ID token subject, and refuses one for another subject', async () => {
      const config = await demoWeb()
      const { tokens } = await signIn(config, DEMO.web.redirect_uri, { scope: 'openid profile email' })
      const sub = tokens.claims()!.sub
      const userinfo = await client.fetchUserInfo(config, tokens.access_token, sub)
      expect(userinfo).toMatchObject({ sub, name: 'Demo User', email: 'demo@example.com' })
      await expect(client.fetchUserInfo(config, tokens.access_token, 'someone-else')).rejects.toMatchObject({
        code: 'OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED',
        cause: { message: expect.stringContaining('"sub"') },
      })
    })

    it('gives a pairwise client one subject in the ID token, the refreshed ID token and userinfo', async () => {
      const config = await discover(PAIRWISE.client_id, PAIRWISE.client_secret, client.ClientSecretBasic(PAIRWISE.client_secret))
      const { tokens } = await signIn(config, PAIRWISE.redirect_uri)
      const sub = tokens.claims()!.sub
      expect(sub).not.toBe(DEMO.user.username)
      expect((await client.fetchUserInfo(config, tokens.access_token, sub)).sub).toBe(sub)
      expect((await client.refreshTokenGrant(config, tokens.refresh_token!)).claims()!.sub).toBe(sub)
    })

    it('introspects, then revokes: a revoked refresh token ends its grant', async () => {
      const config = await demoWeb()
      const { tokens } = await signIn(config, DEMO.web.redirect_uri)
      expect(await client.tokenIntrospection(config, tokens.access_token)).toMatchObject({ active: true, client_id: DEMO.web.client_id, token_type: 'Bearer' })
      expect(await client.tokenIntrospection(config, tokens.refresh_token!)).toMatchObject({ active: true })
      await client.tokenRevocation(config, tokens.refresh_token!)
      expect(await client.tokenIntrospection(config, tokens.refresh_token!)).toEqual({ active: false })
      expect(await client.tokenIntrospection(config, tokens.access_token)).toEqual({ active: false })
      await expect(client.refreshTokenGrant(config, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' })
    })

    it('ends the session at the end-session URL it builds, back at the post-logout URI with state', async () => {
      const config = await demoWeb()
      const { tokens, browser } = await signIn(config, DEMO.web.redirect_uri)
      const state = client.randomState()
      const endSession = client.buildEndSessionUrl(config, { id_token_hint: tokens.id_token!, post_logout_redirect_uri: 'http://localhost:3000/', state })
      const res = await browser.get(endSession.href)
      expect(res.status).toBe(302)
      expect(res.headers.get('location')).toBe(`http://localhost:3000/?state=${state}`)
      // The session is gone: a silent sign-in comes back with login_required.
      const silent = await authorizationRequest(config, DEMO.web.redirect_uri, { prompt: 'none' })
      const back = await browser.get(silent.url.href)
      await expect(client.authorizationCodeGrant(config, new URL(back.headers.get('location')!), silent.checks)).rejects.toMatchObject({
        error: 'login_required',
      })
    })
  })

  describe('DPoP', () => {
    it('binds the SPA tokens to its key: token, refresh and userinfo carry proofs', async () => {
      const config = await discover(DEMO.spa.client_id, undefined, client.None())
      const keyPair = await client.randomDPoPKeyPair('ES256')
      const DPoP = client.getDPoPHandle(config, keyPair)
      const { tokens } = await signIn(config, DEMO.spa.redirect_uri, {}, { DPoP, par: true })
      expect(tokens.token_type).toBe('dpop')
      const jkt = await calculateJwkThumbprint(await exportJWK(keyPair.publicKey))
      expect(decodeJwt(tokens.access_token).cnf).toEqual({ jkt })
      const sub = tokens.claims()!.sub
      expect(await client.fetchUserInfo(config, tokens.access_token, sub, { DPoP })).toMatchObject({ sub })
      // Without its proof the bound token is no bearer token (RFC 9449 section 7.1).
      await expect(client.fetchUserInfo(config, tokens.access_token, sub)).rejects.toMatchObject({
        code: 'OAUTH_WWW_AUTHENTICATE_CHALLENGE',
        status: 401,
        cause: [{ scheme: 'dpop', parameters: { error: 'invalid_token' } }],
      })
      // AM's tokeninfo is a protected resource like any other API: openid-client sends the token and a proof.
      const info = await client.fetchProtectedResource(config, tokens.access_token, new URL(`${h.issuer()}/tokeninfo`), 'GET', undefined, undefined, { DPoP })
      expect(info.status).toBe(200)
      expect(await info.json()).toMatchObject({ client_id: DEMO.spa.client_id, cnf: { jkt } })
      const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token!, undefined, { DPoP })
      expect(decodeJwt(refreshed.access_token).cnf).toEqual({ jkt })
    })
  })

  describe('client credentials and the access token at a resource server', () => {
    it('gets a token with client_secret_basic and no ID token or refresh token', async () => {
      const config = await discover(DEMO.m2m.client_id, DEMO.m2m.client_secret, client.ClientSecretBasic(DEMO.m2m.client_secret))
      const tokens = await client.clientCredentialsGrant(config, { scope: 'read write' })
      expect(tokens).toMatchObject({ token_type: 'bearer', scope: 'read write' })
      expect(tokens.id_token).toBeUndefined()
      expect(tokens.refresh_token).toBeUndefined()
    })

    it('gets a token with private_key_jwt that a resource server verifies against the JWKS (RFC 9068)', async () => {
      const key = await importJWK(DEMO.jwt.privateJwk, 'ES256')
      const config = await discover(DEMO.jwt.client_id, undefined, client.PrivateKeyJwt({ key: key as CryptoKey, kid: DEMO.jwt.privateJwk.kid }))
      const tokens = await client.clientCredentialsGrant(config, { scope: 'read' })
      const metadata = config.serverMetadata()
      const { payload, protectedHeader } = await jwtVerify(tokens.access_token, createRemoteJWKSet(new URL(metadata.jwks_uri!)), {
        typ: 'at+jwt',
        issuer: metadata.issuer,
        audience: DEMO.jwt.client_id,
        requiredClaims: ['exp', 'iat', 'jti', 'client_id', 'sub'],
      })
      expect(protectedHeader.typ).toBe('at+jwt')
      expect(payload).toMatchObject({ client_id: DEMO.jwt.client_id, scope: 'read' })
      expect(payload.exp! - payload.iat!).toBe(tokens.expires_in)
    })
  })

  describe('grants openid-client has no function of its own for (genericGrantRequest)', () => {
    it('trades a username and password (resource owner password credentials)', async () => {
      const config = await discover(POST.client_id, POST.client_secret, client.ClientSecretPost(POST.client_secret))
      const tokens = await client.genericGrantRequest(config, 'password', { ...DEMO.user, scope: 'openid profile' })
      expect(tokens.claims()).toMatchObject({ sub: DEMO.user.username, aud: POST.client_id })
      expect(tokens.refresh_token).toBeTypeOf('string')
    })

    it('trades a JWT the client signed for its user (RFC 7523), authenticating with private_key_jwt', async () => {
      const config = await discover(JWT_RP.client_id, undefined, client.PrivateKeyJwt({ key: jwtRpKey, kid: JWT_RP.kid }))
      const assertion = await new SignJWT({ jti: client.randomState() })
        .setProtectedHeader({ alg: 'ES256', kid: JWT_RP.kid })
        .setIssuer(JWT_RP.client_id)
        .setSubject(DEMO.user.username)
        .setAudience(config.serverMetadata().token_endpoint!)
        .setIssuedAt()
        .setExpirationTime('2m')
        .sign(jwtRpKey)
      const tokens = await client.genericGrantRequest(config, JWT_BEARER_GRANT, { assertion, scope: 'profile' })
      expect(decodeJwt(tokens.access_token)).toMatchObject({ sub: DEMO.user.username, client_id: JWT_RP.client_id, scope: 'profile' })
    })
  })

  describe('device flow', () => {
    it('polls until the user approves on the device page', async () => {
      let answered!: (answer: Answer) => void
      const firstPoll = new Promise<Answer>((resolve) => (answered = resolve))
      const config = await discover(DEMO.device.client_id, undefined, client.None())
      // Tells the test when the first poll is answered, so the user approves between two polls.
      recordAnswers(config, (answer) => answer.endpoint === 'access_token' && answered(answer))
      const device = await client.initiateDeviceAuthorization(config, { scope: 'openid profile' })
      expect(device.interval).toBe(5)
      // openid-client waits `interval` seconds with setTimeout before each poll; only its timers are faked.
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
      try {
        const polling = client.pollDeviceAuthorizationGrant(config, device)
        await vi.advanceTimersByTimeAsync(device.interval! * 1000)
        expect(await firstPoll).toMatchObject({ status: 400, error: 'authorization_pending' })
        // The user's four round trips outlast openid-client's handling of the answer, so its next wait is set by now.
        await approveDevice(device.verification_uri_complete!)
        await vi.advanceTimersByTimeAsync(device.interval! * 1000)
        const tokens = await polling
        expect(tokens.claims()).toMatchObject({ aud: DEMO.device.client_id, sub: DEMO.user.username })
        expect(tokens.refresh_token).toBeTypeOf('string')
      } finally {
        vi.useRealTimers()
      }
    })
  })

  /** The user opens the verification URI, is sent to sign in, comes back to the code and allows the device. */
  async function approveDevice(verificationUri: string): Promise<void> {
    const browser = new Browser(h)
    const at = (res: Response) => new URL(res.headers.get('location')!, h.origin).href
    const login = parseForm(await (await browser.get(at(await browser.get(verificationUri)))).text())
    const signedIn = await browser.post(new URL(login.action, h.origin).href, { ...login.fields, username: DEMO.user.username, password: DEMO.user.password })
    const confirm = parseForm(await (await browser.get(at(signedIn))).text())
    const done = await browser.post(new URL(confirm.action, h.origin).href, { ...confirm.fields, decision: 'allow' })
    expect(await done.text()).toContain('Device connected')
  }
})
