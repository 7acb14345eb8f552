/**
 * The JWT bearer grant (RFC 7523 section 2.1) in all three harness modes: a client trades a
 * JWT it signed with its registered key (a JWKS, or AM's "Client JWT Bearer Public Key" as an
 * X.509 PEM) for an access token for the user in `sub`, and every hostile assertion is
 * `invalid_grant`. A `jti` is spent in the store, so a second instance refuses it too.
 */
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SignJWT, exportJWK, generateKeyPair, importPKCS8, type CryptoKey } from 'jose'
import { createProvider, type ClientConfig, type ProviderConfig } from '@realmauth/server'
import { listen, type RunningProvider } from '@realmauth/server/node'
import { SqliteStore } from '@realmauth/server/sqlite'
import { MODES, basic, startHarness, type Harness } from './harness.js'
import { expectError, expectTokens, post } from './tokenKit.js'
import { claims } from './flows.js'

const GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer'
const CLIENT_ASSERTION = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'

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

const certKey = await importPKCS8(CERT_KEY_PEM, 'ES256')
const rsa = await generateKeyPair('RS256', { extractable: true })
const stranger = await generateKeyPair('ES256')

const CLIENTS: ClientConfig[] = [
  // AM's seed-004 shape: a secret for client authentication, the certificate for the grant's JWTs.
  { client_id: 'cert-svc', client_secret: 'cert-secret', public_key_pem: CERT_PEM, grant_types: [GRANT], scope: 'openid profile read' },
  { client_id: 'jwks-svc', token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [{ ...(await exportJWK(rsa.publicKey)), kid: 'rsa-1' }] }, grant_types: [GRANT], scope: 'read' },
  { client_id: 'no-grant', client_secret: 'no-grant-secret', public_key_pem: CERT_PEM, grant_types: ['client_credentials'], scope: 'read' },
]
const CONFIG: ProviderConfig = {
  realms: [{ name: 'alpha', clients: CLIENTS, users: [{ username: 'alice', password: 'Alice-pw-1', sub: 'alice-id', name: 'Alice' }] }],
}
const CERT_AUTH = { authorization: basic('cert-svc', 'cert-secret') }

interface Claims {
  iss?: string
  sub?: string
  aud?: string
  exp?: number
  iat?: number
  nbf?: number
  jti?: string
}

/** An assertion in the provider's time: `now` seconds, `key` ES256 unless it is `rsa`. */
async function assertion(key: CryptoKey, payload: Claims, alg = 'ES256', kid?: string): Promise<string> {
  return new SignJWT(payload as Record<string, unknown>).setProtectedHeader({ alg, ...(kid !== undefined && { kid }) }).sign(key)
}

function good(h: Harness, over: Claims = {}): Claims {
  const now = Math.floor(h.now() / 1000)
  return { iss: 'cert-svc', sub: 'alice', aud: `${h.issuer()}/access_token`, iat: now, exp: now + 60, jti: randomUUID(), ...over }
}

describe.each(MODES)('JWT bearer grant (%s)', (mode) => {
  let h: Harness
  beforeAll(async () => {
    h = await startHarness(mode, CONFIG)
  })
  afterAll(() => h.close())

  const exchange = (jwt: string, extra: Record<string, string> = {}, headers: Record<string, string> = CERT_AUTH) =>
    post(h, 'alpha', 'access_token', { grant_type: GRANT, assertion: jwt, ...extra }, headers)

  it('trades an assertion verified with the X.509 PEM for an access token for the user, with no refresh or ID token', async () => {
    const body = await expectTokens(await exchange(await assertion(certKey, good(h)), { scope: 'openid read' }))
    expect(body.scope).toBe('openid read')
    expect(body.refresh_token).toBeUndefined()
    expect(body.id_token).toBeUndefined()
    const token = claims(body.access_token)
    // AM's access tokens name the user by username; userinfo by their subject.
    expect(token.sub).toBe('alice')
    expect(token.client_id).toBe('cert-svc')
    // The token is the user's: userinfo answers with their profile.
    const info = await h.fetch(`${h.issuer()}/userinfo`, { headers: { authorization: `Bearer ${body.access_token}` } })
    expect(info.status).toBe(200)
    expect(((await info.json()) as { sub: string }).sub).toBe('alice-id')
  })

  it('takes the user by their configured sub, and the issuer as aud', async () => {
    const jwt = await assertion(certKey, good(h, { sub: 'alice-id', aud: h.issuer() }))
    expect(claims((await expectTokens(await exchange(jwt, { scope: 'read' }))).access_token).sub).toBe('alice')
  })

  it('verifies with the client JWKS; the client authenticates with its own private_key_jwt assertion', async () => {
    const now = Math.floor(h.now() / 1000)
    const aud = `${h.issuer()}/access_token`
    const grant = await assertion(rsa.privateKey, { iss: 'jwks-svc', sub: 'alice', aud, exp: now + 60, jti: randomUUID() }, 'RS256', 'rsa-1')
    const auth = await assertion(rsa.privateKey, { iss: 'jwks-svc', sub: 'jwks-svc', aud, exp: now + 60, jti: randomUUID() }, 'RS256', 'rsa-1')
    const res = await exchange(grant, { client_assertion_type: CLIENT_ASSERTION, client_assertion: auth }, {})
    expect((await expectTokens(res)).scope).toBe('read')
  })

  it('refuses a replayed jti', async () => {
    const jwt = await assertion(certKey, good(h))
    await expectTokens(await exchange(jwt, { scope: 'read' }))
    const body = await expectError(await exchange(jwt, { scope: 'read' }), 400, 'invalid_grant')
    expect(body.error_description).toMatch(/already used/)
  })

  const hostile: [string, (h: Harness) => Promise<string>, RegExp][] = [
    ['expired', async (h) => assertion(certKey, good(h, { exp: Math.floor(h.now() / 1000) - 60 })), /exp/],
    ['good for longer than max_client_assertion_lifetime', async (h) => assertion(certKey, good(h, { exp: Math.floor(h.now() / 1000) + 3600 })), /too far ahead/],
    ['without exp', async (h) => assertion(certKey, { ...good(h), exp: undefined }), /exp/],
    ['not yet valid (nbf)', async (h) => assertion(certKey, good(h, { nbf: Math.floor(h.now() / 1000) + 600 })), /nbf/],
    ['issued in the future (iat)', async (h) => assertion(certKey, good(h, { iat: Math.floor(h.now() / 1000) + 600 })), /iat/],
    ['without jti', async (h) => assertion(certKey, { ...good(h), jti: undefined }), /jti/],
    ['for another audience', async (h) => assertion(certKey, good(h, { aud: 'https://elsewhere.example/token' })), /aud/],
    ['for a user the realm does not have', async (h) => assertion(certKey, good(h, { sub: 'mallory' })), /not a user/],
    ['signed with a key the client did not register', async (h) => assertion(stranger.privateKey, good(h)), /signature/],
    ['issued by another client', async (h) => assertion(certKey, good(h, { iss: 'no-grant' })), /iss/],
    ['unsigned (alg none)', async (h) => `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify(good(h))).toString('base64url')}.`, /valid/],
    ['not a JWT', async () => 'not-a-jwt', /valid/],
  ]
  it.each(hostile)('refuses an assertion %s with invalid_grant', async (_name, make, description) => {
    const body = await expectError(await exchange(await make(h)), 400, 'invalid_grant')
    expect(body.error_description).toMatch(description)
  })

  it('limits scopes to the client’s, and needs the grant in the client’s grant_types', async () => {
    await expectError(await exchange(await assertion(certKey, good(h)), { scope: 'admin' }), 400, 'invalid_scope')
    const other = await exchange(await assertion(certKey, good(h, { iss: 'no-grant' })), {}, { authorization: basic('no-grant', 'no-grant-secret') })
    await expectError(other, 400, 'unauthorized_client')
    await expectError(await post(h, 'alpha', 'access_token', { grant_type: GRANT }, CERT_AUTH), 400, 'invalid_request')
  })

  it('an unauthenticated client is refused before the assertion is looked at', async () => {
    await expectError(await exchange(await assertion(certKey, good(h)), {}, { authorization: basic('cert-svc', 'wrong') }), 401, 'invalid_client')
  })

  it('discovery advertises the grant', async () => {
    const res = await h.fetch(`${h.issuer()}/.well-known/openid-configuration`)
    expect(((await res.json()) as { grant_types_supported: string[] }).grant_types_supported).toContain(GRANT)
  })
})

describe('JWT bearer grant config', () => {
  it('a client with the grant and no key to verify its assertions is refused at start', () => {
    const bad: ProviderConfig = { realms: [{ name: 'alpha', clients: [{ client_id: 'c', client_secret: 's', grant_types: [GRANT] }] }] }
    expect(() => createProvider(bad)).toThrow(/clients\[0\]\.grant_types.*jwks, jwks_uri or public_key_pem/)
  })
})

describe('JWT bearer grant across two instances on one SQLite file', () => {
  const path = join(mkdtempSync(join(tmpdir(), 'realmauth-jwt-bearer-')), 'provider.db')
  const running: RunningProvider[] = []
  const stores: SqliteStore[] = []
  afterAll(async () => {
    for (const r of running) await r.close()
    for (const s of stores) s.close()
  })

  it('an assertion spent on one instance is refused on the other', async () => {
    const instance = async () => {
      const store = new SqliteStore({ path })
      stores.push(store)
      // One issuer behind a balancer: both instances answer for the same origin.
      const server = await listen(createProvider({ ...CONFIG, origin: 'https://idp.example', store }))
      running.push(server)
      return server.url
    }
    const [a, b] = [await instance(), await instance()]
    const now = Math.floor(Date.now() / 1000)
    const issuerOf = (origin: string) => `${origin}/oauth2/realms/root/realms/alpha`
    const jwt = await assertion(certKey, { iss: 'cert-svc', sub: 'alice', aud: issuerOf('https://idp.example'), exp: now + 60, jti: randomUUID() })
    const send = (origin: string) =>
      fetch(`${issuerOf(origin)}/access_token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...CERT_AUTH },
        body: new URLSearchParams({ grant_type: GRANT, assertion: jwt, scope: 'read' }).toString(),
      })
    expect((await send(a)).status).toBe(200)
    const replay = await send(b)
    expect(replay.status).toBe(400)
    expect(((await replay.json()) as { error_description: string }).error_description).toMatch(/already used/)
  })
})
