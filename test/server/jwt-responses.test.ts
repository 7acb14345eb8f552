/**
 * JWT-secured answers (issue 16): ID tokens encrypted to the client's key, signed and/or
 * encrypted userinfo (OIDC Core 5.3.2), RFC 9701 JWT introspection, in all three harness
 * modes; and the config refusing what it cannot honour.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { compactDecrypt, createLocalJWKSet, decodeProtectedHeader, exportJWK, generateKeyPair, jwtVerify, type CryptoKey, type JWK } from 'jose'
import { ConfigError, createProvider, type ClientConfig, type ProviderConfig } from '@realmauth/server'
import { MODES, basic, startHarness, type Harness } from './harness.js'
import { post } from './tokenKit.js'
import { authorizeAsUser } from './flows.js'

const USER = { username: 'alice', password: 'Alice-pw-1', name: 'Alice Liddell', email: 'alice@example.com', email_verified: true }
const SCOPE = 'openid profile email'

const rsa = await generateKeyPair('RSA-OAEP-256', { extractable: true })
const ec = await generateKeyPair('ECDH-ES', { extractable: true })
const publicJwk = async (key: CryptoKey, kid: string): Promise<JWK> => ({ ...(await exportJWK(key)), kid, use: 'enc' })
const jwks = { keys: [await publicJwk(rsa.publicKey, 'enc-rsa'), await publicJwk(ec.publicKey, 'enc-ec')] }
const privateKeys: Record<string, CryptoKey> = { 'enc-rsa': rsa.privateKey, 'enc-ec': ec.privateKey }

const pw = (client_id: string, extra: Partial<ClientConfig>): ClientConfig => ({
  client_id, client_secret: `${client_id}-secret`, grant_types: ['password'], scope: SCOPE, jwks, ...extra,
})
const CLIENTS: ClientConfig[] = [
  pw('plain', {}),
  pw('sealed', {
    id_token_encrypted_response_alg: 'RSA-OAEP-256', id_token_encrypted_response_enc: 'A256GCM',
    userinfo_signed_response_alg: 'ES256', userinfo_encrypted_response_alg: 'ECDH-ES', userinfo_encrypted_response_enc: 'A128GCM',
    introspection_signed_response_alg: 'ES256', introspection_encrypted_response_alg: 'ECDH-ES+A128KW', introspection_encrypted_response_enc: 'A256GCM',
  }),
  pw('signed', { userinfo_signed_response_alg: 'RS256' }),
  pw('encrypted-only', { userinfo_encrypted_response_alg: 'RSA-OAEP-256' }),
  pw('default-enc', { id_token_encrypted_response_alg: 'ECDH-ES+A256KW' }),
  {
    ...pw('hybrid', { id_token_encrypted_response_alg: 'ECDH-ES', id_token_encrypted_response_enc: 'A128GCM' }),
    grant_types: ['authorization_code', 'implicit'], redirect_uris: ['http://localhost:3200/cb'], implied_consent: true,
  },
]
const config = (): ProviderConfig => ({ realms: [{ name: 'alpha', allow_implied_consent: true, clients: CLIENTS, users: [USER] }] })

async function decrypt(jwe: string): Promise<{ plaintext: string; header: Record<string, unknown> }> {
  const header = decodeProtectedHeader(jwe) as Record<string, unknown>
  const { plaintext } = await compactDecrypt(jwe, privateKeys[header.kid as string]!)
  return { plaintext: new TextDecoder().decode(plaintext), header }
}

for (const mode of MODES) {
  describe(`JWT-secured answers (${mode})`, () => {
    let h: Harness
    let providerKeys: ReturnType<typeof createLocalJWKSet>
    beforeAll(async () => {
      h = await startHarness(mode, config())
      providerKeys = createLocalJWKSet((await (await h.fetch(`${h.issuer()}/connect/jwk_uri`)).json()) as { keys: JWK[] })
    })
    afterAll(() => h.close())

    const verify = (jwt: string, typ = 'JWT') => jwtVerify(jwt, providerKeys, { issuer: h.issuer(), typ, algorithms: ['RS256', 'ES256'], currentDate: new Date(h.now()) })
    async function tokens(clientId: string): Promise<{ access_token: string; id_token: string }> {
      const res = await post(h, 'alpha', 'access_token', { grant_type: 'password', username: USER.username, password: USER.password, scope: SCOPE }, {
        authorization: basic(clientId, `${clientId}-secret`),
      })
      expect(res.status).toBe(200)
      return (await res.json()) as { access_token: string; id_token: string }
    }
    const userinfo = (accessToken: string) => h.fetch(`${h.issuer()}/userinfo`, { headers: { authorization: `Bearer ${accessToken}` } })
    const introspect = (clientId: string, token: string, accept?: string) =>
      post(h, 'alpha', 'introspect', { token }, { authorization: basic(clientId, `${clientId}-secret`), ...(accept !== undefined && { accept }) })

    it('advertises the algorithms in discovery', async () => {
      const doc = (await (await h.fetch(`${h.issuer()}/.well-known/openid-configuration`)).json()) as Record<string, string[]>
      for (const field of ['id_token', 'userinfo', 'introspection']) {
        expect(doc[`${field}_encryption_alg_values_supported`]).toEqual(['RSA-OAEP-256', 'ECDH-ES', 'ECDH-ES+A128KW', 'ECDH-ES+A256KW'])
        expect(doc[`${field}_encryption_enc_values_supported`]).toEqual(['A128GCM', 'A256GCM', 'A128CBC-HS256', 'A256CBC-HS512'])
      }
      expect(doc.userinfo_signing_alg_values_supported).toEqual(['RS256', 'ES256'])
      expect(doc.introspection_signing_alg_values_supported).toEqual(['RS256', 'ES256'])
    })

    it('encrypts the ID token, signed inside, to the client key the algorithm names', async () => {
      const { id_token } = await tokens('sealed')
      expect(id_token.split('.')).toHaveLength(5)
      const { plaintext, header } = await decrypt(id_token)
      expect(header).toMatchObject({ alg: 'RSA-OAEP-256', enc: 'A256GCM', cty: 'JWT', kid: 'enc-rsa' })
      const { payload } = await verify(plaintext)
      expect(payload).toMatchObject({ sub: 'alice', aud: 'sealed' })
    })

    it("uses OpenID's default enc, A128CBC-HS256, when only the alg is set", async () => {
      const { id_token } = await tokens('default-enc')
      const { plaintext, header } = await decrypt(id_token)
      expect(header).toMatchObject({ alg: 'ECDH-ES+A256KW', enc: 'A128CBC-HS256', kid: 'enc-ec' })
      expect((await verify(plaintext)).payload.aud).toBe('default-enc')
    })

    it('encrypts the ID token authorize sends in the front channel too', async () => {
      const { params } = await authorizeAsUser(h, {
        client_id: 'hybrid', redirect_uri: 'http://localhost:3200/cb', response_type: 'code id_token', scope: SCOPE, state: 's', nonce: 'n-hybrid',
      }, { username: USER.username, password: USER.password })
      const { plaintext, header } = await decrypt(params.get('id_token')!)
      expect(header).toMatchObject({ alg: 'ECDH-ES', enc: 'A128GCM', cty: 'JWT' })
      expect((await verify(plaintext)).payload).toMatchObject({ aud: 'hybrid', nonce: 'n-hybrid', c_hash: expect.any(String) })
    })

    it('leaves the ID token and userinfo of a client without these settings as they were', async () => {
      const { id_token, access_token } = await tokens('plain')
      expect(id_token.split('.')).toHaveLength(3)
      const res = await userinfo(access_token)
      expect(res.headers.get('content-type')).toMatch(/^application\/json/)
      expect(await res.json()).toMatchObject({ sub: 'alice' })
    })

    it('answers userinfo as a signed JWT naming issuer and audience', async () => {
      const res = await userinfo((await tokens('signed')).access_token)
      expect(res.status).toBe(200)
      expect(res.headers.get('content-type')).toBe('application/jwt')
      const { payload, protectedHeader } = await verify(await res.text())
      expect(protectedHeader.alg).toBe('RS256')
      expect(payload).toMatchObject({ sub: 'alice', aud: 'signed', name: 'Alice Liddell' })
    })

    it('answers userinfo signed, then encrypted', async () => {
      const res = await userinfo((await tokens('sealed')).access_token)
      expect(res.headers.get('content-type')).toBe('application/jwt')
      const { plaintext, header } = await decrypt(await res.text())
      expect(header).toMatchObject({ alg: 'ECDH-ES', enc: 'A128GCM', cty: 'JWT', kid: 'enc-ec' })
      const { payload, protectedHeader } = await verify(plaintext)
      expect(protectedHeader.alg).toBe('ES256')
      expect(payload).toMatchObject({ sub: 'alice', aud: 'sealed' })
    })

    it('answers userinfo encrypted only as the JSON claims inside a JWE', async () => {
      const res = await userinfo((await tokens('encrypted-only')).access_token)
      expect(res.headers.get('content-type')).toBe('application/jwt')
      const { plaintext, header } = await decrypt(await res.text())
      expect(header.cty).toBeUndefined()
      expect(JSON.parse(plaintext)).toMatchObject({ sub: 'alice', iss: h.issuer(), aud: 'encrypted-only' })
    })

    it('answers introspection as an RFC 9701 JWT when asked, JSON otherwise', async () => {
      const { access_token } = await tokens('plain')
      const json = await introspect('plain', access_token)
      expect(json.headers.get('content-type')).toMatch(/^application\/json/)
      expect(await json.json()).toMatchObject({ active: true, client_id: 'plain' })
      const res = await introspect('plain', access_token, 'application/token-introspection+jwt')
      expect(res.headers.get('content-type')).toBe('application/token-introspection+jwt')
      const { payload, protectedHeader } = await verify(await res.text(), 'token-introspection+jwt')
      expect(protectedHeader.alg).toBe('RS256')
      expect(payload).toMatchObject({ aud: 'plain', token_introspection: { active: true, client_id: 'plain', sub: 'alice' } })
      expect(typeof payload.iat).toBe('number')
      const inactive = await introspect('plain', 'not-a-token', 'application/json;q=0.5, application/token-introspection+jwt')
      expect((await verify(await inactive.text(), 'token-introspection+jwt')).payload.token_introspection).toEqual({ active: false })
    })

    it('signs a JWT introspection answer as the client asked, then encrypts it', async () => {
      const { access_token } = await tokens('sealed')
      const res = await introspect('sealed', access_token, 'application/token-introspection+jwt')
      const { plaintext, header } = await decrypt(await res.text())
      expect(header).toMatchObject({ alg: 'ECDH-ES+A128KW', enc: 'A256GCM', cty: 'JWT' })
      const { payload, protectedHeader } = await verify(plaintext, 'token-introspection+jwt')
      expect(protectedHeader.alg).toBe('ES256')
      expect(payload.token_introspection).toMatchObject({ active: true, client_id: 'sealed' })
    })
  })
}

describe('JWT-secured answers: the config', () => {
  const withClient = (extra: Record<string, unknown>) => ({
    realms: [{ name: 'alpha', clients: [{ client_id: 'c', client_secret: 's', grant_types: ['password'], ...extra }] }],
  })
  function refusedAt(extra: Record<string, unknown>): string {
    try {
      createProvider(withClient(extra) as ProviderConfig)
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError)
      return (error as ConfigError).field
    }
    throw new Error(`accepted: ${JSON.stringify(extra)}`)
  }
  const at = 'realms[0].clients[0].'

  it('refuses algorithms it does not support, naming the field', () => {
    expect(refusedAt({ jwks, id_token_encrypted_response_alg: 'RSA1_5' })).toBe(`${at}id_token_encrypted_response_alg`)
    expect(refusedAt({ jwks, userinfo_encrypted_response_alg: 'RSA-OAEP-256', userinfo_encrypted_response_enc: 'A192GCM' })).toBe(`${at}userinfo_encrypted_response_enc`)
    expect(refusedAt({ userinfo_signed_response_alg: 'none' })).toBe(`${at}userinfo_signed_response_alg`)
    expect(refusedAt({ introspection_signed_response_alg: 'HS256' })).toBe(`${at}introspection_signed_response_alg`)
  })

  it('refuses encryption without a key to encrypt to', () => {
    expect(refusedAt({ id_token_encrypted_response_alg: 'RSA-OAEP-256' })).toBe(`${at}id_token_encrypted_response_alg`)
    expect(refusedAt({ jwks: { keys: [jwks.keys[1]] }, introspection_encrypted_response_alg: 'RSA-OAEP-256' })).toBe(`${at}jwks`)
    const signingOnly = { keys: [{ ...jwks.keys[0], use: 'sig' }] }
    expect(refusedAt({ jwks: signingOnly, userinfo_encrypted_response_alg: 'RSA-OAEP-256' })).toBe(`${at}jwks`)
    expect(refusedAt({ jwks, userinfo_encrypted_response_enc: 'A128GCM' })).toBe(`${at}userinfo_encrypted_response_enc`)
  })

  it("encrypts to a key read from the client's jwks_uri, and refuses with a typed error when it holds none", async () => {
    const served: Record<string, { keys: JWK[] }> = { 'https://rp.example/jwks': { keys: [jwks.keys[1]!] }, 'https://rp.example/rsa': { keys: [jwks.keys[0]!] } }
    const provider = createProvider({
      fetch: async (url: string | URL | Request) => (served[String(url)] ? Response.json(served[String(url)]) : new Response('no', { status: 404 })),
      realms: [{
        name: 'alpha', users: [USER],
        clients: [
          { client_id: 'c', client_secret: 's', grant_types: ['password'], scope: SCOPE, jwks_uri: 'https://rp.example/jwks', id_token_encrypted_response_alg: 'ECDH-ES' },
          { client_id: 'rsa', client_secret: 's', grant_types: ['password'], scope: SCOPE, jwks_uri: 'https://rp.example/rsa', id_token_encrypted_response_alg: 'ECDH-ES' },
          { client_id: 'gone', client_secret: 's', grant_types: ['password'], scope: SCOPE, jwks_uri: 'https://rp.example/gone', id_token_encrypted_response_alg: 'ECDH-ES' },
        ],
      }],
    } as ProviderConfig)
    const issuer = provider.issuer('alpha', 'https://idp.example')
    const grant = (clientId = 'c') => provider.fetch(new Request(`${issuer}/access_token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(clientId, 's') },
      body: new URLSearchParams({ grant_type: 'password', username: USER.username, password: USER.password, scope: SCOPE }),
    }))
    const ok = (await (await grant()).json()) as { id_token: string }
    expect((await decrypt(ok.id_token)).header).toMatchObject({ alg: 'ECDH-ES', kid: 'enc-ec' })
    for (const clientId of ['rsa', 'gone']) {
      const refused = await grant(clientId)
      expect(refused.status, clientId).toBe(400)
      expect(await refused.json(), clientId).toMatchObject({ error: 'invalid_client' })
    }
  })
})
