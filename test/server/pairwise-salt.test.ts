/**
 * A pairwise client's `sub` is the same user's for as long as the provider's salt is: key
 * rotation must not turn every user of a pairwise client into a new one.
 */
import { describe, expect, it } from 'vitest'
import { createProvider, type ProviderConfig } from '@realmauth/server'
import { basic } from './harness.js'
import { claims } from './flows.js'

const CONFIG: ProviderConfig = {
  pairwise_subject_salt: 'a-salt-only-this-provider-knows',
  realms: [
    {
      name: 'alpha',
      clients: [{ client_id: 'pw', client_secret: 'pw-secret', grant_types: ['password'], scope: 'openid', subject_type: 'pairwise', redirect_uris: ['https://app.example/cb'] }],
      users: [{ username: 'alice', password: 'Alice-pw-1' }],
    },
  ],
}

async function subjectOf(provider: ReturnType<typeof createProvider>): Promise<string> {
  const res = await provider.fetch(
    new Request(`${provider.issuer('alpha', 'http://idp.test')}/access_token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic('pw', 'pw-secret') },
      body: 'grant_type=password&username=alice&password=Alice-pw-1&scope=openid',
    }),
  )
  const body = (await res.json()) as { id_token: string }
  return claims(body.id_token).sub as string
}

describe('pairwise subjects', () => {
  it('stay the same across a signing key rotation, and differ from the username', async () => {
    const provider = createProvider(CONFIG)
    const before = await subjectOf(provider)
    expect(before).not.toBe('alice')
    await provider.rotateSigningKey('RS256')
    expect(await subjectOf(provider)).toBe(before)
    // Another provider with the same salt agrees: the mapping is the salt's, not the process's.
    expect(await subjectOf(createProvider(CONFIG))).toBe(before)
  })
})
