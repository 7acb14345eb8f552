/**
 * Client authentication at the token endpoint, in all three harness modes:
 * client_secret_basic with RFC 6749 section 2.3.1 form-encoding, client_secret_post,
 * private_key_jwt (RFC 7523) with keys registered as a JWKS, a JWKS URI and a PEM
 * (X.509 certificate or SPKI), and the rules that bind a client to its one method.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { generateKeyPairSync, randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SignJWT, exportJWK, generateKeyPair, importPKCS8, type CryptoKey, type JWK } from 'jose'
import type { ClientConfig, ProviderConfig } from '@realmauth/server'
import { MODES, basic, startHarness, type Harness, type Mode } from './harness.js'
import { expectError, expectTokens, post, providerNow } from './tokenKit.js'

const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'

/** A secret with every character RFC 6749 2.3.1 encoding is about: `%`, `+`, `:`, `@`, space, non-ASCII. */
const ODD_SECRET = 'p%41+x:y@z w€é'
const ODD_ID = 'urn:svc@corp'

/** Self-signed EC P-256 test certificate (CN=realmauth-test-client) and its key; test fixture only. */
const CERT_PEM = `-----BEGIN CERTIFICATE-----
MIIBlzCCAT2gAwIBAgIUca6OsvK/urdWSUMV0IK4EbAUNFIwCgYIKoZIzj0EAwIw
IDEeMBwGA1UEAwwVcmVhbG1hdXRoLXRlc3QtY2xpZW50MCAXDTI2MTEyMjAzMjMx
NFoYDzIxMjYxMDI5MDMyMzE0WjAgMR4wHAYDVQQDDBVyZWFsbWF1dGgtdGVzdC1j
bGllbnQwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAAS7oFPf3kt/C51utV1aLJ2P
GB4+hKTMHuNt0blk93hLbj15YWL6otwspASf232Mhuh5koRTtlnkeshU/w6onJp5
o1MwUTAdBgNVHQ4EFgQUbc84ISAM+vl94rJNQ3MX/O0KhLswHwYDVR0jBBgwFoAU
bc84ISAM+vl94rJNQ3MX/O0KhLswDwYDVR0TAQH/BAUwAwEB/zAKBggqhkjOPQQD
AgNIADBFAiAcWh7ALP0au5HvOzVmKsTIDdJcc1iV6AxEu2oUbxZBnQIhAOiDMibN
fQbV+YXNU19KasvT/VQY1s6MEXBUnwuz6h2G
-----END CERTIFICATE-----`
const CERT_KEY_PEM = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgQpXAm8TIkysdbzZF
Iov/7v5gLu4T7fzjtoftQiDNfkGhRANCAAS7oFPf3kt/C51utV1aLJ2PGB4+hKTM
HuNt0blk93hLbj15YWL6otwspASf232Mhuh5koRTtlnkeshU/w6onJp5
-----END PRIVATE KEY-----`

const rsa = await generateKeyPair('RS256', { extractable: true })
const ec = await generateKeyPair('ES256', { extractable: true })
const uriKey = await generateKeyPair('ES256', { extractable: true })
const stranger = await generateKeyPair('RS256', { extractable: true })
const certKey = await importPKCS8(CERT_KEY_PEM, 'ES256')
const spki = generateKeyPairSync('rsa', { modulusLength: 2048 })
const SPKI_PEM = spki.publicKey.export({ type: 'spki', format: 'pem' }).toString()

const publicJwk = async (key: CryptoKey, kid: string): Promise<JWK> => ({ ...(await exportJWK(key)), kid, use: 'sig' })
const JWKS = { keys: [await publicJwk(rsa.publicKey, 'rsa-1'), await publicJwk(ec.publicKey, 'ec-1')] }
const URI_JWKS = { keys: [await publicJwk(uriKey.publicKey, 'uri-1')] }

/** The client's JWKS URI, served from loopback; counts fetches so a test can see it was used. */
let jwksHits = 0
const jwksServer: Server = createServer((req, res) => {
  jwksHits++
  if (req.url === '/jwks') {
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(JSON.stringify(URI_JWKS))
  } else {
    res.writeHead(500, { 'content-type': 'text/plain' })
    res.end('broken')
  }
})
await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve))
const jwksBase = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}`
afterAll(() => new Promise<void>((resolve) => jwksServer.close(() => resolve())))

const CLIENTS: ClientConfig[] = [
  { client_id: 'basic-svc', client_secret: 'plain-secret-1', grant_types: ['client_credentials'], scope: 'read' },
  { client_id: 'only-basic', client_secret: 'basic-secret', token_endpoint_auth_method: 'client_secret_basic', grant_types: ['client_credentials'], scope: 'read' },
  { client_id: 'odd', client_secret: ODD_SECRET, grant_types: ['client_credentials'], scope: 'read' },
  { client_id: ODD_ID, client_secret: 's3cret', grant_types: ['client_credentials'], scope: 'read' },
  { client_id: 'post-svc', client_secret: 'post-secret', token_endpoint_auth_method: 'client_secret_post', grant_types: ['client_credentials'], scope: 'read' },
  { client_id: 'jwt-jwks', jwks: JWKS as ClientConfig['jwks'], grant_types: ['client_credentials'], scope: 'read' },
  { client_id: 'jwt-other', token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [await publicJwk(stranger.publicKey, 'stranger-1')] }, grant_types: ['client_credentials'], scope: 'read' },
  { client_id: 'jwt-uri', token_endpoint_auth_method: 'private_key_jwt', jwks_uri: `${jwksBase}/jwks`, grant_types: ['client_credentials'], scope: 'read' },
  { client_id: 'jwt-broken-uri', token_endpoint_auth_method: 'private_key_jwt', jwks_uri: `${jwksBase}/broken`, grant_types: ['client_credentials'], scope: 'read' },
  { client_id: 'jwt-cert', token_endpoint_auth_method: 'private_key_jwt', public_key_pem: CERT_PEM, grant_types: ['client_credentials'], scope: 'read' },
  { client_id: 'jwt-spki', token_endpoint_auth_method: 'private_key_jwt', public_key_pem: SPKI_PEM, grant_types: ['client_credentials'], scope: 'read' },
  // Holds a secret too, so an HS256 assertion keyed with it (client_secret_jwt) can be tried.
  { client_id: 'jwt-with-secret', client_secret: 'shared-secret-value-that-is-long-enough!', token_endpoint_auth_method: 'private_key_jwt', jwks: JWKS as ClientConfig['jwks'], grant_types: ['client_credentials'], scope: 'read' },
  { client_id: 'spa', token_endpoint_auth_method: 'none', redirect_uris: ['http://localhost:5173/cb'], grant_types: ['authorization_code'] },
]

function config(mode: Mode): ProviderConfig {
  return {
    realms: [{ name: 'alpha', clients: CLIENTS }, { name: 'beta', clients: CLIENTS.slice(0, 1) }],
    // msw intercepts every request of this process, so the in-process provider gets its
    // JWKS from an injected fetch; fetch mode and the CLI fetch the loopback URL for real.
    ...(mode === 'msw' && {
      fetch: (async (input: string | URL | Request) => {
        jwksHits++
        const url = String(input instanceof Request ? input.url : input)
        return url.endsWith('/jwks') ? Response.json(URI_JWKS) : new Response('broken', { status: 500 })
      }) as typeof fetch,
    }),
  }
}

/** RFC 6749 2.3.1 encoding, as the harness's `basic` does. */
const formEncode = (s: string) => encodeURIComponent(s).replace(/%20/g, '+')
const rawBasic = (decoded: string) => 'Basic ' + Buffer.from(decoded, 'utf8').toString('base64')
/** Percent-encodes every byte, including those that need no encoding. */
const encodeAll = (s: string) => [...Buffer.from(s, 'utf8')].map((b) => '%' + b.toString(16).toUpperCase().padStart(2, '0')).join('')
/** The secret encoded except for every occurrence of `raw`, which is left as is. */
const encodeExcept = (s: string, raw: string) => s.split(raw).map(formEncode).join(raw)

describe.each(MODES)('client authentication (%s)', (mode) => {
  let h: Harness
  let now: number
  beforeAll(async () => {
    h = await startHarness(mode, config(mode))
  })
  afterAll(() => h.close())

  const cc = (headers: Record<string, string> = {}, fields: Record<string, string> = {}, realm = 'alpha') =>
    post(h, realm, 'access_token', { grant_type: 'client_credentials', ...fields }, headers)
  const tokenEndpoint = () => `${h.issuer()}/access_token`

  /** Refreshes the provider's clock reading before building assertions. */
  const clock = async () => (now = await providerNow(h, 'alpha', basic('basic-svc', 'plain-secret-1')))

  async function assertion(
    clientId: string,
    key: CryptoKey | Uint8Array | import('node:crypto').KeyObject,
    options: { alg?: string; kid?: string; claims?: Record<string, unknown>; omit?: string[] } = {},
  ): Promise<string> {
    const payload: Record<string, unknown> = {
      iss: clientId,
      sub: clientId,
      aud: tokenEndpoint(),
      iat: now,
      exp: now + 60,
      jti: randomUUID(),
      ...options.claims,
    }
    for (const claim of options.omit ?? []) delete payload[claim]
    return new SignJWT(payload)
      .setProtectedHeader({ alg: options.alg ?? 'RS256', ...(options.kid !== undefined && { kid: options.kid }) })
      .sign(key)
  }
  const withAssertion = (jwt: string, extra: Record<string, string> = {}) =>
    cc({}, { client_assertion_type: JWT_BEARER, client_assertion: jwt, ...extra })

  describe('client_secret_basic', () => {
    it('accepts the registered secret', async () => {
      await expectTokens(await cc({ authorization: basic('basic-svc', 'plain-secret-1') }))
    })

    it('decodes a form-encoded secret with % + : @ space and non-ASCII characters', async () => {
      await expectTokens(await cc({ authorization: basic('odd', ODD_SECRET) }))
      // Space as %20 rather than +.
      await expectTokens(await cc({ authorization: rawBasic(`odd:${encodeURIComponent(ODD_SECRET)}`) }))
    })

    it('accepts characters encoded that need no encoding', async () => {
      await expectTokens(await cc({ authorization: rawBasic(`${encodeAll('basic-svc')}:${encodeAll('plain-secret-1')}`) }))
      await expectTokens(await cc({ authorization: rawBasic(`${encodeAll('odd')}:${encodeAll(ODD_SECRET)}`) }))
    })

    it('accepts an @ left unencoded, since decoding leaves it as it is', async () => {
      await expectTokens(await cc({ authorization: rawBasic(`odd:${encodeExcept(ODD_SECRET, '@')}`) }))
    })

    it('refuses a secret whose %, + or : was not encoded, with 401 invalid_client', async () => {
      for (const raw of ['%', '+', ':']) {
        const res = await cc({ authorization: rawBasic(`odd:${encodeExcept(ODD_SECRET, raw)}`) })
        await expectError(res, 401, 'invalid_client')
      }
      // The secret sent with no encoding at all.
      await expectError(await cc({ authorization: rawBasic(`odd:${ODD_SECRET}`) }), 401, 'invalid_client')
    })

    it('decodes the client id too', async () => {
      await expectTokens(await cc({ authorization: basic(ODD_ID, 's3cret') }))
      await expectError(await cc({ authorization: rawBasic(`${ODD_ID}:s3cret`) }), 401, 'invalid_client')
    })

    it('answers 401 with a Basic challenge for a wrong secret or an unknown client', async () => {
      for (const authorization of [basic('basic-svc', 'wrong'), basic('basic-svc', 'plain-secret-1 '), basic('nobody', 'plain-secret-1'), basic('basic-svc', '')]) {
        const res = await cc({ authorization })
        expect(res.headers.get('www-authenticate')).toMatch(/^Basic realm="[^"]+"$/)
        await expectError(res, 401, 'invalid_client')
      }
    })

    it('answers 401 invalid_client for malformed Basic credentials', async () => {
      const bad = [
        'Basic !!!not-base64!!!',
        'Basic ' + Buffer.from('no-colon-here').toString('base64'),
        'Basic ' + Buffer.from([0x62, 0x3a, 0xff, 0xfe, 0xc3]).toString('base64'),
        rawBasic('basic-svc%zz:plain-secret-1'),
        rawBasic('basic-svc:plain-secret-1%'),
        'Basic ' + 'QUJD'.repeat(2000),
        'basic ' + Buffer.from('basic-svc:wrong').toString('base64'),
      ]
      for (const authorization of bad) {
        const res = await cc({ authorization })
        expect(res.headers.get('www-authenticate'), authorization).toMatch(/^Basic realm=/)
        await expectError(res, 401, 'invalid_client')
      }
    })

    it('accepts a client_id in the body that matches the header, and refuses one that does not', async () => {
      await expectTokens(await cc({ authorization: basic('basic-svc', 'plain-secret-1') }, { client_id: 'basic-svc' }))
      await expectError(await cc({ authorization: basic('basic-svc', 'plain-secret-1') }, { client_id: 'post-svc' }), 400, 'invalid_request')
    })

    it('does not accept a client of another realm', async () => {
      await expectTokens(await cc({ authorization: basic('basic-svc', 'plain-secret-1') }, {}, 'beta'))
      await expectError(await cc({ authorization: basic('odd', ODD_SECRET) }, {}, 'beta'), 401, 'invalid_client')
    })
  })

  describe('client_secret_post', () => {
    it('accepts client_id and client_secret in the body', async () => {
      await expectTokens(await cc({}, { client_id: 'post-svc', client_secret: 'post-secret' }))
    })

    it('answers 400 without a challenge for a wrong secret, an unknown client or a missing secret', async () => {
      const cases: Record<string, string>[] = [
        { client_id: 'post-svc', client_secret: 'wrong' },
        { client_id: 'nobody', client_secret: 'post-secret' },
        { client_id: 'post-svc' },
        { client_id: 'post-svc', client_secret: '' },
        { client_secret: 'post-secret' },
      ]
      for (const fields of cases) {
        const res = await cc({}, fields)
        expect(res.headers.get('www-authenticate')).toBeNull()
        await expectError(res, 400, 'invalid_client')
      }
    })

    it('answers 400 invalid_client when no authentication is sent at all', async () => {
      await expectError(await cc(), 400, 'invalid_client')
    })
  })

  describe('one method per client', () => {
    it('takes a plain secret client’s secret in the body too when its method was not set, as AM does', async () => {
      await expectTokens(await cc({}, { client_id: 'basic-svc', client_secret: 'plain-secret-1' }))
      await expectTokens(await cc({ authorization: basic('basic-svc', 'plain-secret-1') }))
      await expectError(await cc({}, { client_id: 'basic-svc', client_secret: 'plain-secret-2' }), 400, 'invalid_client')
    })

    it('refuses a client registered for client_secret_basic authenticating with client_secret_post', async () => {
      await expectError(await cc({}, { client_id: 'only-basic', client_secret: 'basic-secret' }), 400, 'invalid_client')
      await expectTokens(await cc({ authorization: basic('only-basic', 'basic-secret') }))
    })

    it('refuses a post client authenticating with client_secret_basic', async () => {
      const res = await cc({ authorization: basic('post-svc', 'post-secret') })
      expect(res.headers.get('www-authenticate')).toMatch(/^Basic /)
      await expectError(res, 401, 'invalid_client')
    })

    it('refuses a confidential client that sends only its client_id', async () => {
      await expectError(await cc({}, { client_id: 'basic-svc' }), 400, 'invalid_client')
      await expectError(await cc({}, { client_id: 'jwt-jwks' }), 400, 'invalid_client')
    })

    it('refuses a private_key_jwt client using its secret, and a secret client using an assertion', async () => {
      await expectError(await cc({ authorization: basic('jwt-with-secret', 'shared-secret-value-that-is-long-enough!') }), 401, 'invalid_client')
      await expectError(await cc({}, { client_id: 'jwt-with-secret', client_secret: 'shared-secret-value-that-is-long-enough!' }), 400, 'invalid_client')
      await clock()
      await expectError(await withAssertion(await assertion('basic-svc', rsa.privateKey, { kid: 'rsa-1' })), 400, 'invalid_client')
    })

    it('refuses a public client presenting a secret', async () => {
      await expectError(await cc({ authorization: basic('spa', '') }), 401, 'invalid_client')
      await expectError(await cc({}, { client_id: 'spa', client_secret: 'guess' }), 400, 'invalid_client')
    })

    it('refuses two methods at once with invalid_request', async () => {
      await clock()
      const jwt = await assertion('jwt-jwks', rsa.privateKey, { kid: 'rsa-1' })
      await expectError(
        await cc({ authorization: basic('basic-svc', 'plain-secret-1') }, { client_secret: 'plain-secret-1' }),
        400,
        'invalid_request',
      )
      await expectError(
        await cc({ authorization: basic('basic-svc', 'plain-secret-1') }, { client_assertion_type: JWT_BEARER, client_assertion: jwt }),
        400,
        'invalid_request',
      )
      await expectError(
        await cc({}, { client_id: 'post-svc', client_secret: 'post-secret', client_assertion_type: JWT_BEARER, client_assertion: jwt }),
        400,
        'invalid_request',
      )
    })
  })

  describe('private_key_jwt', () => {
    beforeAll(async () => {
      await clock()
    })

    it('accepts aud = the token endpoint, aud = the issuer, and an aud list naming either', async () => {
      await expectTokens(await withAssertion(await assertion('jwt-jwks', rsa.privateKey, { kid: 'rsa-1' })))
      await expectTokens(await withAssertion(await assertion('jwt-jwks', rsa.privateKey, { kid: 'rsa-1', claims: { aud: h.issuer() } })))
      await expectTokens(
        await withAssertion(await assertion('jwt-jwks', rsa.privateKey, { kid: 'rsa-1', claims: { aud: ['https://other.example', tokenEndpoint()] } })),
      )
    })

    it('accepts aud = the canonical token endpoint when posted to the ?realm= and short URL forms', async () => {
      for (const at of [`${h.origin}/oauth2/access_token?realm=/alpha`, `${h.origin}/oauth2/alpha/access_token`]) {
        const jwt = await assertion('jwt-jwks', rsa.privateKey, { kid: 'rsa-1' })
        const res = await h.fetch(at, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ grant_type: 'client_credentials', client_assertion_type: JWT_BEARER, client_assertion: jwt }).toString(),
        })
        await expectTokens(res)
      }
    })

    it('accepts any registered key of the set, with or without kid, and a matching client_id', async () => {
      await expectTokens(await withAssertion(await assertion('jwt-jwks', ec.privateKey, { alg: 'ES256', kid: 'ec-1' })))
      await expectTokens(await withAssertion(await assertion('jwt-jwks', ec.privateKey, { alg: 'ES256' })))
      await expectTokens(await withAssertion(await assertion('jwt-jwks', rsa.privateKey, { kid: 'rsa-1' }), { client_id: 'jwt-jwks' }))
      await expectError(await withAssertion(await assertion('jwt-jwks', rsa.privateKey, { kid: 'rsa-1' }), { client_id: 'jwt-other' }), 400, 'invalid_request')
    })

    it('refuses a wrong aud', async () => {
      for (const aud of [`${h.issuer()}/introspect`, h.issuer('beta'), `${h.issuer('beta')}/access_token`, 'https://evil.example/token', h.origin]) {
        await expectError(await withAssertion(await assertion('jwt-jwks', rsa.privateKey, { kid: 'rsa-1', claims: { aud } })), 400, 'invalid_client')
      }
      await expectError(await withAssertion(await assertion('jwt-jwks', rsa.privateKey, { kid: 'rsa-1', omit: ['aud'] })), 400, 'invalid_client')
    })

    it('refuses a wrong iss or sub', async () => {
      await expectError(await withAssertion(await assertion('jwt-jwks', rsa.privateKey, { kid: 'rsa-1', claims: { iss: 'jwt-other' } })), 400, 'invalid_client')
      // Signed by jwt-jwks's key but claiming to be jwt-other.
      await expectError(await withAssertion(await assertion('jwt-other', rsa.privateKey, { kid: 'rsa-1', claims: { iss: 'jwt-jwks' } })), 400, 'invalid_client')
      await expectError(await withAssertion(await assertion('jwt-other', rsa.privateKey, { kid: 'rsa-1' })), 400, 'invalid_client')
      await expectError(await withAssertion(await assertion('nobody', rsa.privateKey, { kid: 'rsa-1' })), 400, 'invalid_client')
      await expectError(await withAssertion(await assertion('jwt-jwks', rsa.privateKey, { kid: 'rsa-1', omit: ['sub'] })), 400, 'invalid_client')
    })

    it('refuses an expired or not yet valid assertion, and one without exp', async () => {
      await clock()
      await expectError(
        await withAssertion(await assertion('jwt-jwks', rsa.privateKey, { kid: 'rsa-1', claims: { iat: now - 120, exp: now - 60 } })),
        400,
        'invalid_client',
      )
      await expectError(
        await withAssertion(await assertion('jwt-jwks', rsa.privateKey, { kid: 'rsa-1', claims: { nbf: now + 120 } })),
        400,
        'invalid_client',
      )
      await expectError(await withAssertion(await assertion('jwt-jwks', rsa.privateKey, { kid: 'rsa-1', omit: ['exp'] })), 400, 'invalid_client')
      // A year-long assertion would be a year-long credential: five minutes ahead at most by default.
      const yearLong = await expectError(
        await withAssertion(await assertion('jwt-jwks', rsa.privateKey, { kid: 'rsa-1', claims: { exp: now + 365 * 86400 } })),
        400,
        'invalid_client',
      )
      expect(yearLong.error_description).toMatch(/at most 300 s/)
      await expectTokens(await withAssertion(await assertion('jwt-jwks', rsa.privateKey, { kid: 'rsa-1', claims: { exp: now + 300 } })))
      // One that was fine becomes expired when the provider's clock moves past it.
      const jwt = await assertion('jwt-jwks', rsa.privateKey, { kid: 'rsa-1' })
      await h.advance(120)
      await expectError(await withAssertion(jwt), 400, 'invalid_client')
      await clock()
    })

    it('refuses an assertion without jti, and a jti used before', async () => {
      await clock()
      await expectError(await withAssertion(await assertion('jwt-jwks', rsa.privateKey, { kid: 'rsa-1', omit: ['jti'] })), 400, 'invalid_client')
      const jwt = await assertion('jwt-jwks', rsa.privateKey, { kid: 'rsa-1' })
      await expectTokens(await withAssertion(jwt))
      await expectError(await withAssertion(jwt), 400, 'invalid_client')
      // A new assertion reusing the jti is a replay too.
      const jti = randomUUID()
      await expectTokens(await withAssertion(await assertion('jwt-jwks', rsa.privateKey, { kid: 'rsa-1', claims: { jti } })))
      await expectError(await withAssertion(await assertion('jwt-jwks', ec.privateKey, { alg: 'ES256', kid: 'ec-1', claims: { jti } })), 400, 'invalid_client')
    })

    it('refuses HS256 assertions, whatever they are keyed with, and alg none', async () => {
      const enc = new TextEncoder()
      const hmacKeys = [
        enc.encode('shared-secret-value-that-is-long-enough!'),
        enc.encode(JSON.stringify(JWKS.keys[0])),
        enc.encode(SPKI_PEM),
      ]
      for (const clientId of ['jwt-with-secret', 'jwt-jwks', 'jwt-spki']) {
        for (const key of hmacKeys) {
          await expectError(await withAssertion(await assertion(clientId, key, { alg: 'HS256' })), 400, 'invalid_client')
        }
      }
      const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')
      const body = Buffer.from(JSON.stringify({ iss: 'jwt-jwks', sub: 'jwt-jwks', aud: tokenEndpoint(), exp: now + 60, jti: randomUUID() })).toString('base64url')
      await expectError(await withAssertion(`${header}.${body}.`), 400, 'invalid_client')
      await expectError(await withAssertion(`${header}.${body}`), 400, 'invalid_client')
    })

    it('refuses a key that is not registered, also under a registered kid', async () => {
      await expectError(await withAssertion(await assertion('jwt-jwks', stranger.privateKey)), 400, 'invalid_client')
      await expectError(await withAssertion(await assertion('jwt-jwks', stranger.privateKey, { kid: 'rsa-1' })), 400, 'invalid_client')
      await expectError(await withAssertion(await assertion('jwt-cert', rsa.privateKey)), 400, 'invalid_client')
    })

    it('says which kid matched no registered key (a key loaded from PEM has its thumbprint as kid)', async () => {
      const body = await expectError(await withAssertion(await assertion('jwt-jwks', ec.privateKey, { alg: 'ES256', kid: 'ec-2' })), 400, 'invalid_client')
      expect(body.error_description).toBe('client_assertion is not valid: no key registered for the client matches its header (kid ec-2, alg ES256)')
      // A kid outside error_description's characters is not echoed.
      const odd = await expectError(await withAssertion(await assertion('jwt-jwks', ec.privateKey, { alg: 'ES256', kid: 'ec"2' })), 400, 'invalid_client')
      expect(odd.error_description).toBe('client_assertion is not valid: no key registered for the client matches its header (its kid, alg ES256)')
    })

    it('refuses a wrong client_assertion_type or a missing or garbled assertion', async () => {
      const jwt = await assertion('jwt-jwks', rsa.privateKey, { kid: 'rsa-1' })
      await expectError(await cc({}, { client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:saml2-bearer', client_assertion: jwt }), 400, 'invalid_client')
      await expectError(await cc({}, { client_assertion: jwt }), 400, 'invalid_client')
      await expectError(await cc({}, { client_assertion_type: JWT_BEARER, client_id: 'jwt-jwks' }), 400, 'invalid_client')
      for (const garbage of ['not-a-jwt', 'a.b.c', '..', `${jwt.split('.')[0]}.!!!.${jwt.split('.')[2]}`, jwt.slice(0, -4)]) {
        await expectError(await cc({}, { client_assertion_type: JWT_BEARER, client_assertion: garbage, client_id: 'jwt-jwks' }), 400, 'invalid_client')
      }
    })

    it('verifies with keys from the jwks_uri', async () => {
      const before = jwksHits
      await expectTokens(await withAssertion(await assertion('jwt-uri', uriKey.privateKey, { alg: 'ES256', kid: 'uri-1' })))
      await expectTokens(await withAssertion(await assertion('jwt-uri', uriKey.privateKey, { alg: 'ES256' })))
      expect(jwksHits).toBeGreaterThan(before)
      await expectError(await withAssertion(await assertion('jwt-uri', ec.privateKey, { alg: 'ES256', kid: 'uri-1' })), 400, 'invalid_client')
    })

    it('answers invalid_client, not a server error, when the jwks_uri fails', async () => {
      await expectError(await withAssertion(await assertion('jwt-broken-uri', uriKey.privateKey, { alg: 'ES256', kid: 'uri-1' })), 400, 'invalid_client')
    })

    it('verifies with an X.509 certificate', async () => {
      await expectTokens(await withAssertion(await assertion('jwt-cert', certKey, { alg: 'ES256' })))
      await expectError(await withAssertion(await assertion('jwt-cert', ec.privateKey, { alg: 'ES256' })), 400, 'invalid_client')
    })

    it('verifies with an SPKI public key, RS256 and PS256', async () => {
      await expectTokens(await withAssertion(await assertion('jwt-spki', spki.privateKey, { alg: 'RS256' })))
      await expectTokens(await withAssertion(await assertion('jwt-spki', spki.privateKey, { alg: 'PS256' })))
      await expectError(await withAssertion(await assertion('jwt-spki', stranger.privateKey, { alg: 'RS256' })), 400, 'invalid_client')
    })

    it('accepts exactly one of N concurrent uses of one assertion', async () => {
      await clock()
      const jwt = await assertion('jwt-jwks', ec.privateKey, { alg: 'ES256', kid: 'ec-1' })
      const responses = await Promise.all(Array.from({ length: 50 }, () => withAssertion(jwt)))
      const ok = responses.filter((r) => r.status === 200)
      expect(ok.length).toBe(1)
      await expectTokens(ok[0]!)
      for (const r of responses.filter((r) => r.status !== 200)) await expectError(r, 400, 'invalid_client')
    })
  })
})
