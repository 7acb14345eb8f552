/**
 * @realmauth/server/testing: a provider per test, in process or on a port, whose users'
 * custom claims reach their tokens and userinfo, and a headless sign-in that returns
 * real tokens, checked here as an API and a client would check them.
 */
import { describe, expect, it } from 'vitest'
import { createLocalJWKSet, jwtVerify } from 'jose'
import { discover } from '@realmauth/core'
import { createAccessTokenVerifier } from '@realmauth/node'
import { ConfigError, createProvider } from '@realmauth/server'
import { TEST_CLIENT, TEST_USER, startTestProvider } from '@realmauth/server/testing'

const ADA = { username: 'ada', password: 'analytical-3ngine', name: 'Ada Lovelace', email: 'ada@example.com', claims: { groups: ['admins', 'staff'], roles: ['orders.admin'], level: 3 } }

describe.each([
  ['in process', false],
  ['over HTTP', true],
])('startTestProvider (%s)', (_mode, http) => {
  it("signs a user in without a browser; their custom claims are in the access token and userinfo", async () => {
    const idp = await startTestProvider({ users: [ADA], http })
    try {
      if (http) expect(idp.origin).toMatch(/^http:\/\/localhost:\d+$/)
      const tokens = await idp.signIn('ada')
      expect(tokens).toMatchObject({ tokenType: 'Bearer', scope: 'openid profile email' })

      const claims = await createAccessTokenVerifier({ issuer: idp.issuer, audience: TEST_CLIENT.client_id, fetch: idp.fetch }).verify(`Bearer ${tokens.accessToken}`)
      expect(claims).toMatchObject({ sub: 'ada', client_id: TEST_CLIENT.client_id, groups: ['admins', 'staff'], roles: ['orders.admin'], level: 3 })

      const { payload } = await jwtVerify(tokens.idToken!, createLocalJWKSet((await idp.provider.jwks()) as never), { issuer: idp.issuer, audience: TEST_CLIENT.client_id })
      expect(payload).toMatchObject({ sub: 'ada' })

      const metadata = await discover(idp.issuer, { fetch: idp.fetch })
      const userinfo = await idp.fetch(metadata.userinfo_endpoint!, { headers: { authorization: `Bearer ${tokens.accessToken}` } })
      expect(await userinfo.json()).toMatchObject({ sub: 'ada', name: 'Ada Lovelace', email: 'ada@example.com', roles: ['orders.admin'], groups: ['admins', 'staff'], level: 3 })
    } finally {
      await idp.close()
    }
  })
})

describe('startTestProvider', () => {
  it('has a default user and signs in by credentials too', async () => {
    const idp = await startTestProvider()
    const tokens = await idp.signIn({ username: TEST_USER.username, password: TEST_USER.password }, { scope: 'openid offline_access' })
    expect(tokens.refreshToken).toBeTruthy()
    expect(tokens.scope).toBe('openid offline_access')
  })

  it('says which users exist when asked for an unknown one, and when a password is wrong', async () => {
    const idp = await startTestProvider({ users: [ADA] })
    await expect(idp.signIn('bob')).rejects.toThrow("signIn('bob'): no such user; users are ada")
    await expect(idp.signIn({ username: 'ada', password: 'nope' })).rejects.toThrow(/refused the password \(HTTP 401\)/)
  })

  it('refuses a custom claim that would shadow a standard or token claim, naming the field', () => {
    const config = (claims: Record<string, unknown>) => ({ realms: [{ name: 'alpha', users: [{ username: 'u', password: 'p', claims }] }] })
    expect(() => createProvider(config({ sub: 'admin' }))).toThrow(ConfigError)
    expect(() => createProvider(config({ scope: 'admin' }))).toThrow(/realms\[0\]\.users\[0\]\.claims\.scope/)
    expect(() => createProvider(config({ groups: ['ok'] }))).not.toThrow()
  })
})
