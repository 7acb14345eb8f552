/**
 * The Node client against JWT-secured answers (issue 16), in process through msw and over
 * real HTTP: encrypted ID tokens, signed-then-encrypted userinfo and RFC 9701 introspection
 * are decrypted with a PEM, JWK or KeyObject key and verified; hostile answers are refused.
 */
import { generateKeyPairSync } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CompactEncrypt, compactDecrypt, decodeJwt, importJWK, type JWK } from 'jose'
import { createNodeClient, type DecryptionKey } from '@realmauth/node'
import { demoConfig, type ClientConfig, type ProviderConfig } from '@realmauth/server'
import { CLIENT_MODES, signInAtProvider, startProvider, type ProviderUnderTest } from './providerHarness.js'

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 })
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' })
const stranger = generateKeyPairSync('ec', { namedCurve: 'P-256' })
const publicJwk = (k: typeof rsa.publicKey, kid: string) => ({ ...(k.export({ format: 'jwk' }) as JWK), kid, use: 'enc' })
const RP = { client_id: 'rp-sealed', client_secret: 'rp-sealed-secret', redirect_uri: 'http://localhost:3300/cb' }

function config(): ProviderConfig {
  const base = demoConfig()
  const sealed: ClientConfig = {
    client_id: RP.client_id,
    client_secret: RP.client_secret,
    redirect_uris: [RP.redirect_uri],
    grant_types: ['authorization_code', 'refresh_token', 'client_credentials'],
    scope: 'openid profile email read',
    implied_consent: true,
    jwks: { keys: [publicJwk(rsa.publicKey, 'rsa-enc'), publicJwk(ec.publicKey, 'ec-enc')] },
    id_token_encrypted_response_alg: 'RSA-OAEP-256',
    id_token_encrypted_response_enc: 'A256GCM',
    userinfo_signed_response_alg: 'ES256',
    userinfo_encrypted_response_alg: 'ECDH-ES',
    introspection_encrypted_response_alg: 'ECDH-ES+A128KW',
    introspection_encrypted_response_enc: 'A128GCM',
  }
  // Same keys, less sealed: ID tokens encrypted but userinfo only signed; and nothing encrypted at all.
  const signedUserinfo: ClientConfig = { ...sealed, client_id: 'rp-signed-userinfo', userinfo_encrypted_response_alg: undefined }
  const plain: ClientConfig = { ...sealed, client_id: 'rp-plain', id_token_encrypted_response_alg: undefined, id_token_encrypted_response_enc: undefined, userinfo_encrypted_response_alg: undefined }
  base.realms[0]!.clients!.push(sealed, signedUserinfo, plain)
  return base
}

/** The three shapes a key may take. */
const KEYS: Record<string, DecryptionKey[]> = {
  PEM: [rsa.privateKey.export({ format: 'pem', type: 'pkcs8' }) as string, ec.privateKey.export({ format: 'pem', type: 'sec1' }) as string],
  JWK: [rsa.privateKey.export({ format: 'jwk' }) as JWK, ec.privateKey.export({ format: 'jwk' }) as JWK],
  KeyObject: [rsa.privateKey, ec.privateKey],
}

async function encryptTo(key: typeof rsa.publicKey, plaintext: string, alg = 'ECDH-ES', enc = 'A128GCM', cty: string | undefined = 'JWT'): Promise<string> {
  return new CompactEncrypt(new TextEncoder().encode(plaintext))
    .setProtectedHeader({ alg, enc, ...(cty !== undefined && { cty }) })
    .encrypt(await importJWK(key.export({ format: 'jwk' }) as JWK, alg))
}
const unsigned = (claims: Record<string, unknown>) =>
  `${Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.`

describe.each(CLIENT_MODES)('@realmauth/node and JWT-secured answers (%s)', (mode) => {
  let p: ProviderUnderTest
  beforeAll(async () => {
    p = await startProvider(mode, config())
  })
  afterAll(() => p.close())

  const make = (decryptionKey: DecryptionKey | DecryptionKey[], extra: { introspectionJwt?: boolean; userinfoEncrypted?: boolean; clientId?: string } = {}) =>
    createNodeClient({
      issuer: p.issuer(),
      clientId: RP.client_id,
      auth: { method: 'client_secret_basic', clientSecret: RP.client_secret },
      redirectUri: RP.redirect_uri,
      fetch: p.fetch,
      clock: () => p.clock.now,
      decryptionKey,
      ...extra,
    })
  async function signIn(decryptionKey: DecryptionKey | DecryptionKey[], extra: Parameters<typeof make>[1] = {}) {
    const client = await make(decryptionKey, extra)
    const { url, transaction } = await client.signInUrl({ scope: 'openid profile email' })
    return { client, tokens: await client.handleCallback(await signInAtProvider(p, url), transaction) }
  }

  for (const [shape, keys] of Object.entries(KEYS)) {
    it(`decrypts and validates the ID token and userinfo with ${shape} keys, and keeps the signed ID token as the logout hint`, async () => {
      const { client, tokens } = await signIn(keys)
      expect(tokens.claims).toMatchObject({ sub: 'demo', aud: RP.client_id })
      expect(tokens.idToken!.split('.')).toHaveLength(3)
      const info = await client.userinfo(tokens.accessToken, 'demo')
      expect(info).toMatchObject({ sub: 'demo', email: 'demo@example.com', aud: RP.client_id })
      p.clock.advance(5)
      const refreshed = await client.refresh(tokens.refreshToken!, { previousClaims: tokens.claims! })
      expect(refreshed.claims?.sub).toBe('demo')
    })
  }

  it('with a decryption key, an ID token that arrives unencrypted is refused: a client registered without encryption, or a downgraded answer', async () => {
    const plain = await signIn(KEYS.PEM!, { clientId: 'rp-plain' }).then(() => undefined, (e: unknown) => e)
    expect(plain).toMatchObject({ name: 'AuthError', code: 'id_token_invalid', message: expect.stringMatching(/not encrypted/) })
    // The provider's own signature on it, just not sealed: still refused, since nothing says who stripped the JWE.
    p.fault('access_token', async (request, provider) => {
      const body = (await (await provider.fetch(request)).json()) as { id_token: string }
      const { plaintext } = await compactDecrypt(body.id_token, rsa.privateKey)
      return Response.json({ ...body, id_token: new TextDecoder().decode(plaintext) })
    })
    await expect(signIn(KEYS.KeyObject!)).rejects.toMatchObject({ code: 'id_token_invalid' })
  })

  it('with userinfoEncrypted, userinfo must arrive encrypted: signed only or plain JSON is refused, from the provider or a downgrade', async () => {
    const keyless = createNodeClient({ issuer: p.issuer(), clientId: RP.client_id, auth: { method: 'client_secret_basic', clientSecret: RP.client_secret }, fetch: p.fetch, userinfoEncrypted: true })
    await expect(keyless).rejects.toMatchObject({ code: 'configuration_error', message: expect.stringMatching(/userinfoEncrypted needs a decryption key/) })
    const { client, tokens } = await signIn(KEYS.JWK!, { userinfoEncrypted: true })
    await expect(client.userinfo(tokens.accessToken, 'demo')).resolves.toMatchObject({ sub: 'demo', aud: RP.client_id })
    // A client whose provider signs userinfo but does not encrypt it: accepted by default, refused when encryption is expected.
    const lax = await signIn(KEYS.JWK!, { clientId: 'rp-signed-userinfo' })
    await expect(lax.client.userinfo(lax.tokens.accessToken, 'demo')).resolves.toMatchObject({ sub: 'demo', aud: 'rp-signed-userinfo' })
    const strict = await signIn(KEYS.JWK!, { clientId: 'rp-signed-userinfo', userinfoEncrypted: true })
    await expect(strict.client.userinfo(strict.tokens.accessToken, 'demo')).rejects.toMatchObject({ code: 'userinfo_invalid', message: expect.stringMatching(/not encrypted/) })
    p.fault('userinfo', async () => Response.json({ sub: 'demo', email: 'demo@example.com' }))
    await expect(client.userinfo(tokens.accessToken, 'demo')).rejects.toMatchObject({ code: 'userinfo_invalid', message: expect.stringMatching(/not encrypted/) })
  })

  it('introspects with an RFC 9701 JWT, signed then encrypted, when asked', async () => {
    const client = await make(KEYS.KeyObject!, { introspectionJwt: true })
    const { accessToken } = await client.clientCredentials({ scope: 'read' })
    let contentType: string | null = null
    p.fault('introspect', async (request, provider) => {
      const res = await provider.fetch(request)
      contentType = res.headers.get('content-type')
      return res
    })
    await expect(client.introspect(accessToken)).resolves.toMatchObject({ active: true, client_id: RP.client_id, scope: 'read' })
    expect(contentType).toBe('application/token-introspection+jwt')
  })

  it('refuses an encrypted ID token it has no key for', async () => {
    await expect(signIn([KEYS.PEM![1]!])).rejects.toMatchObject({ code: 'id_token_invalid' })
  })

  it('refuses hostile encrypted ID tokens: unsigned, badly signed, for another audience, with an unexpected alg', async () => {
    type Provider = Parameters<Parameters<ProviderUnderTest['fault']>[1]>[1]
    const cases: Record<string, (signed: string, provider: Provider) => Promise<string>> = {
      unsigned: async (signed) => encryptTo(rsa.publicKey, unsigned(decodeJwt(signed)), 'RSA-OAEP-256', 'A256GCM'),
      'badly signed': async (signed) => encryptTo(rsa.publicKey, signed.slice(0, -4) + (signed.endsWith('AAAA') ? 'BBBB' : 'AAAA'), 'RSA-OAEP-256', 'A256GCM'),
      'another audience': async (signed, provider) => encryptTo(rsa.publicKey, await provider.signJwt({ ...decodeJwt(signed), aud: 'someone-else' }), 'RSA-OAEP-256', 'A256GCM'),
      'unexpected alg': async (signed) => encryptTo(rsa.publicKey, signed, 'RSA-OAEP', 'A256GCM'),
    }
    for (const [name, make] of Object.entries(cases)) {
      p.fault('access_token', async (request, provider) => {
        const body = (await (await provider.fetch(request)).json()) as { id_token: string }
        const { plaintext } = await compactDecrypt(body.id_token, rsa.privateKey)
        return Response.json({ ...body, id_token: await make(new TextDecoder().decode(plaintext), provider) })
      })
      await expect(signIn(KEYS.KeyObject!), name).rejects.toMatchObject({ code: 'id_token_invalid' })
    }
  })

  it('refuses hostile userinfo: unsigned inside the JWE, encrypted only, to another key, with an unexpected enc, for another audience', async () => {
    const { client, tokens } = await signIn(KEYS.JWK!)
    const claims = { sub: 'demo', iss: p.issuer(), aud: RP.client_id }
    const answers: Record<string, (provider: Parameters<Parameters<ProviderUnderTest['fault']>[1]>[1]) => Promise<string>> = {
      unsigned: async () => encryptTo(ec.publicKey, unsigned(claims)),
      'encrypted only': async () => encryptTo(ec.publicKey, JSON.stringify(claims), 'ECDH-ES', 'A128GCM', undefined),
      'another key': async (provider) => encryptTo(stranger.publicKey, await provider.signJwt(claims, { alg: 'ES256' })),
      'unexpected enc': async (provider) => encryptTo(ec.publicKey, await provider.signJwt(claims, { alg: 'ES256' }), 'ECDH-ES', 'A192GCM'),
      'another audience': async (provider) => encryptTo(ec.publicKey, await provider.signJwt({ ...claims, aud: 'someone-else' }, { alg: 'ES256' })),
      'plain unsigned': async () => unsigned(claims),
    }
    for (const [name, make] of Object.entries(answers)) {
      p.fault('userinfo', async (_request, provider) => new Response(await make(provider), { headers: { 'content-type': 'application/jwt' } }))
      await expect(client.userinfo(tokens.accessToken, 'demo'), name).rejects.toMatchObject({ code: 'userinfo_invalid' })
    }
  })

  it('refuses hostile introspection JWTs: unsigned, for another audience, without the token_introspection claim', async () => {
    const client = await make(KEYS.KeyObject!, { introspectionJwt: true })
    const { accessToken } = await client.clientCredentials({ scope: 'read' })
    const now = Math.floor(p.clock.now / 1000)
    const base = { iss: p.issuer(), aud: RP.client_id, iat: now, token_introspection: { active: true } }
    const answers: Record<string, (provider: Parameters<Parameters<ProviderUnderTest['fault']>[1]>[1]) => Promise<string>> = {
      unsigned: async () => unsigned(base),
      'another audience': async (provider) => provider.signJwt({ ...base, aud: 'someone-else' }, { typ: 'token-introspection+jwt' }),
      'no claim': async (provider) => provider.signJwt({ ...base, token_introspection: undefined }, { typ: 'token-introspection+jwt' }),
      'wrong typ': async (provider) => provider.signJwt(base),
      'to another key': async (provider) => encryptTo(stranger.publicKey, await provider.signJwt(base, { typ: 'token-introspection+jwt' }), 'ECDH-ES+A128KW'),
    }
    for (const [name, make] of Object.entries(answers)) {
      p.fault('introspect', async (_request, provider) => new Response(await make(provider), { headers: { 'content-type': 'application/token-introspection+jwt' } }))
      const error = await client.introspect(accessToken).then(() => undefined, (e: unknown) => e)
      expect(error, name).toMatchObject({ name: 'AuthError', code: 'invalid_response' })
    }
  })
})
