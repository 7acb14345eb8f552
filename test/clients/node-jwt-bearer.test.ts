/**
 * The Node client's JWT bearer grant (RFC 7523 section 2.1) against the provider, over msw
 * and real HTTP: it signs the assertion with its private_key_jwt key or a key of its own, or
 * sends one made elsewhere; the provider's refusals arrive as typed errors.
 */
import { generateKeyPairSync } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SignJWT, importPKCS8 } from 'jose'
import { createNodeClient, type ClientAuthOptions } from '@realmauth/node'
import { DEMO, demoConfig, type ProviderConfig } from '@realmauth/server'
import { CLIENT_MODES, startProvider, type ProviderUnderTest } from './providerHarness.js'

const GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer'
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' })
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 })

function config(): ProviderConfig {
  const base = demoConfig()
  base.realms[0]!.clients!.push(
    { client_id: 'bearer-jwt', token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [{ ...ec.publicKey.export({ format: 'jwk' }), kid: 'ec-1' }] }, grant_types: [GRANT], scope: 'read profile' },
    // AM's seed-004 shape: a secret authenticates the client, a PEM ("Client JWT Bearer Public Key") verifies the grant.
    { client_id: 'bearer-pem', client_secret: 'pem-secret', public_key_pem: rsa.publicKey.export({ type: 'spki', format: 'pem' }).toString(), grant_types: [GRANT], scope: 'read' },
  )
  return base
}

const claims = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>

describe.each(CLIENT_MODES)('NodeClient.jwtBearer (%s)', (mode) => {
  let p: ProviderUnderTest
  beforeAll(async () => {
    p = await startProvider(mode, config())
  })
  afterAll(() => p.close())

  const make = (clientId: string, auth: ClientAuthOptions) => createNodeClient({ issuer: p.issuer(), clientId, auth, fetch: p.fetch, clock: () => p.clock.now })
  const ecAuth: ClientAuthOptions = { method: 'private_key_jwt', privateKey: ec.privateKey, kid: 'ec-1' }
  const pemAuth: ClientAuthOptions = { method: 'client_secret_basic', clientSecret: 'pem-secret' }

  it('signs the assertion with its private_key_jwt key and gets a token for the user, without a refresh token', async () => {
    const client = await make('bearer-jwt', ecAuth)
    const tokens = await client.jwtBearer({ subject: DEMO.user.username, scope: 'read' })
    expect(tokens.scope).toBe('read')
    expect(tokens.refreshToken).toBeUndefined()
    expect(claims(tokens.accessToken)).toMatchObject({ sub: DEMO.user.username, client_id: 'bearer-jwt', grant_type: GRANT })
  })

  it('signs with a key of its own (PEM) when the client authenticates with a secret', async () => {
    const client = await make('bearer-pem', pemAuth)
    const tokens = await client.jwtBearer({ subject: DEMO.user.username, privateKey: rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() })
    expect(claims(tokens.accessToken).sub).toBe(DEMO.user.username)
  })

  it('sends an assertion made elsewhere, once: the replay is invalid_grant', async () => {
    const client = await make('bearer-pem', pemAuth)
    const now = Math.floor(p.clock.now / 1000)
    const assertion = await new SignJWT({})
      .setProtectedHeader({ alg: 'RS256' })
      .setIssuer('bearer-pem')
      .setSubject(DEMO.user.username)
      .setAudience(p.issuer())
      .setExpirationTime(now + 60)
      .setJti('made-elsewhere-1')
      .sign(await importPKCS8(rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), 'RS256'))
    await expect(client.jwtBearer({ assertion })).resolves.toHaveProperty('accessToken')
    await expect(client.jwtBearer({ assertion })).rejects.toMatchObject({ code: 'invalid_grant', error: 'invalid_grant', retryable: false })
  })

  it('an unknown user, or a key the client did not register, is invalid_grant', async () => {
    const client = await make('bearer-jwt', ecAuth)
    await expect(client.jwtBearer({ subject: 'nobody' })).rejects.toMatchObject({ error: 'invalid_grant', error_description: expect.stringMatching(/not a user/) })
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' })
    await expect(client.jwtBearer({ subject: DEMO.user.username, privateKey: other.privateKey, kid: 'ec-1' })).rejects.toMatchObject({ error: 'invalid_grant' })
  })

  it('with no key to sign with, it is a configuration_error before any request', async () => {
    const client = await make('bearer-pem', pemAuth)
    const before = p.count('access_token')
    await expect(client.jwtBearer({ subject: DEMO.user.username })).rejects.toMatchObject({ code: 'configuration_error' })
    expect(p.count('access_token')).toBe(before)
  })
})
