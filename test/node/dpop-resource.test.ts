/**
 * DPoP at a resource server (RFC 9449 section 7): `verify` with the request's proof. Bound
 * tokens come from the provider's token factory with `cnf.jkt` of a key made by core's
 * `createDPoP`, so the proofs are the ones the SDK's clients send.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SignJWT, exportJWK, generateKeyPair } from 'jose'
import { createDPoP, type DPoP } from '@realmauth/core'
import { AccessTokenError, createAccessTokenVerifier, dpopNonces, type AccessTokenVerifierOptions } from '@realmauth/node'
import { demoConfig } from '@realmauth/server'
import { CLIENT_MODES, startProvider, type ProviderUnderTest } from '../clients/providerHarness.js'

const API = 'https://api.example.com/orders'

async function refused(promise: Promise<unknown>, code: 'invalid_token' | 'invalid_dpop_proof', description: RegExp): Promise<AccessTokenError> {
  const err = await promise.then(
    (claims) => {
      throw new Error(`expected ${code}, got ${JSON.stringify(claims)}`)
    },
    (e: unknown) => e,
  )
  expect(err).toBeInstanceOf(AccessTokenError)
  const e = err as AccessTokenError
  expect({ code: e.code, status: e.status }).toEqual({ code, status: 401 })
  expect(e.message).toMatch(description)
  // RFC 9449 7.1: the challenge names the DPoP scheme and the algorithms it takes.
  expect(e.wwwAuthenticate).toMatch(new RegExp(`^DPoP realm="[^"]+", error="${code}", error_description="[^"]+", algs="[A-Za-z0-9 ]+"$`))
  return e
}

describe.each(CLIENT_MODES)('DPoP at a resource server (%s)', (mode) => {
  let p: ProviderUnderTest
  let dpop: DPoP
  let other: DPoP
  beforeAll(async () => {
    p = await startProvider(mode, demoConfig())
    dpop = createDPoP()
    other = createDPoP()
  })
  afterAll(() => p.close())

  const now = () => p.clock.now
  const make = (extra: Partial<AccessTokenVerifierOptions> = {}) => createAccessTokenVerifier({ issuer: p.issuer(), audience: { any: true }, fetch: p.fetch, clock: now, ...extra })
  async function boundToken(key: DPoP = dpop): Promise<string> {
    const t = Math.floor(now() / 1000)
    return p.provider.signJwt(
      { iss: p.issuer(), sub: 'demo', client_id: 'demo-spa', scope: 'read', iat: t, exp: t + 300, jti: crypto.randomUUID(), cnf: { jkt: await key.thumbprint() } },
      { typ: 'at+jwt' },
    )
  }
  const request = (proof: string | string[] | undefined, method = 'GET', url = API) => ({ dpop: { proof, method, url } })

  it('accepts a bound token with a fresh proof by its key, and returns cnf', async () => {
    const token = await boundToken()
    const claims = await make().verify(`DPoP ${token}`, request(await dpop.proof('GET', `${API}?page=2#x`, now(), token), 'GET', `${API}?page=2`))
    expect(claims.cnf).toEqual({ jkt: await dpop.thumbprint() })
    expect(claims.sub).toBe('demo')
  })

  it('matches htu and the request URL after RFC 3986 normalisation: case, default port, percent-encoding of unreserved characters', async () => {
    const verifier = make()
    const cases: [htu: string, url: string][] = [
      ['HTTPS://API.Example.COM:443/orders', API],
      ['https://api.example.com/%6Frders/%7euser', 'https://api.example.com/orders/~user'],
      ['https://api.example.com/a%2fb', 'https://api.example.com/a%2Fb'],
    ]
    for (const [htu, url] of cases) {
      const token = await boundToken()
      await expect(verifier.verify(`DPoP ${token}`, request(await dpop.proof('GET', htu, now(), token), 'GET', url))).resolves.toMatchObject({ sub: 'demo' })
    }
    // An encoded slash is not a slash: another path, another resource.
    const token = await boundToken()
    await refused(verifier.verify(`DPoP ${token}`, request(await dpop.proof('GET', 'https://api.example.com/a%2Fb', now(), token), 'GET', 'https://api.example.com/a/b')), 'invalid_dpop_proof', /another URL/)
  })

  it('refuses a bound token sent as a Bearer token, with or without a proof', async () => {
    const token = await boundToken()
    await refused(make().verify(`Bearer ${token}`), 'invalid_token', /DPoP-bound access token was sent as a Bearer token/)
    await refused(make().verify(token, request(await dpop.proof('GET', API, now(), token))), 'invalid_token', /Bearer/)
  })

  it('refuses a proof by another key, and a replayed proof', async () => {
    const verifier = make()
    const token = await boundToken()
    await refused(verifier.verify(`DPoP ${token}`, request(await other.proof('GET', API, now(), token))), 'invalid_dpop_proof', /another key/)
    const proof = await dpop.proof('GET', API, now(), token)
    await verifier.verify(`DPoP ${token}`, request(proof))
    await refused(verifier.verify(`DPoP ${token}`, request(proof)), 'invalid_dpop_proof', /used before/)
  })

  it.each([
    ['another method', async (t: string) => request(await dpop.proof('POST', API, now(), t)), /another HTTP method/],
    ['another URL', async (t: string) => request(await dpop.proof('GET', 'https://api.example.com/admin', now(), t)), /another URL/],
    ['another origin', async (t: string) => request(await dpop.proof('GET', 'https://evil.example/orders', now(), t)), /another URL/],
    ['no ath', async () => request(await dpop.proof('GET', API, now())), /ath/],
    ['the ath of another token', async () => request(await dpop.proof('GET', API, now(), 'another-token')), /ath/],
    ['iat 2 minutes old', async (t: string) => request(await dpop.proof('GET', API, now() - 120_000, t)), /too old/],
    ['iat two minutes ahead', async (t: string) => request(await dpop.proof('GET', API, now() + 120_000, t)), /future/],
    ['no proof', async () => request(undefined), /exactly one DPoP proof/],
    ['two proofs', async (t: string) => request([await dpop.proof('GET', API, now(), t), await dpop.proof('GET', API, now(), t)]), /exactly one/],
    ['two proofs joined by Node', async (t: string) => request(`${await dpop.proof('GET', API, now(), t)}, ${await dpop.proof('GET', API, now(), t)}`), /exactly one/],
    ['garbage', async () => request('not.a.jwt'), /malformed/],
  ])('refuses a proof with %s', async (_name, build, description) => {
    const token = await boundToken()
    await refused(make().verify(`DPoP ${token}`, await build(token)), 'invalid_dpop_proof', description)
  })

  describe('forged proofs', () => {
    async function forged(header: Record<string, unknown>, sign: (jwt: SignJWT) => Promise<string>, token: string) {
      const jwt = new SignJWT({ jti: crypto.randomUUID(), htm: 'GET', htu: API, iat: Math.floor(now() / 1000), ath: await ath(token) }).setProtectedHeader(header as never)
      return sign(jwt)
    }
    const ath = async (token: string) => Buffer.from(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(token))).toString('base64url')

    it('refuses typ JWT, HS256 and alg none', async () => {
      const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true })
      const jwk = await exportJWK(publicKey)
      const token = await boundToken()
      const wrongTyp = await forged({ alg: 'ES256', typ: 'JWT', jwk }, (j) => j.sign(privateKey), token)
      await refused(make().verify(`DPoP ${token}`, request(wrongTyp)), 'invalid_dpop_proof', /typ/)
      const hs = await forged({ alg: 'HS256', typ: 'dpop+jwt', jwk: { kty: 'oct', k: 'c2VjcmV0' } }, (j) => j.sign(new TextEncoder().encode('secret')), token)
      await refused(make().verify(`DPoP ${token}`, request(hs)), 'invalid_dpop_proof', /algorithm/)
      const [h, b] = wrongTyp.split('.')
      const none = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'dpop+jwt', jwk })).toString('base64url')}.${b}.`
      expect(h).toBeTruthy()
      await refused(make().verify(`DPoP ${token}`, request(none)), 'invalid_dpop_proof', /algorithm|malformed/)
    })

    it('refuses a proof whose header carries the private key', async () => {
      const { privateKey } = await generateKeyPair('ES256', { extractable: true })
      const token = await boundToken()
      const leaky = await forged({ alg: 'ES256', typ: 'dpop+jwt', jwk: await exportJWK(privateKey) }, (j) => j.sign(privateKey), token)
      await refused(make().verify(`DPoP ${token}`, request(leaky)), 'invalid_dpop_proof', /malformed/)
    })
  })

  it('refuses the DPoP scheme for a token that is not bound', async () => {
    const t = Math.floor(now() / 1000)
    const token = await p.provider.signJwt({ iss: p.issuer(), sub: 'demo', client_id: 'demo-spa', scope: 'read', iat: t, exp: t + 300 }, { typ: 'at+jwt' })
    await refused(make().verify(`DPoP ${token}`, request(await dpop.proof('GET', API, now(), token))), 'invalid_token', /not DPoP-bound/)
    // ...while the same token as a Bearer is fine, unless the resource asks for DPoP only.
    await expect(make().verify(`Bearer ${token}`)).resolves.toMatchObject({ sub: 'demo' })
    await refused(make({ dpop: { required: true } }).verify(`Bearer ${token}`), 'invalid_token', /only DPoP-bound/)
  })

  it('with server nonces: a proof without one, or with a stale one, is use_dpop_nonce carrying the nonce to retry with', async () => {
    const nonces = dpopNonces({ clock: now, periodSeconds: 300 })
    const verifier = make({ dpop: { nonces } })
    const client = createDPoP()
    const token = await boundToken(client)
    const first = await verifier.verify(`DPoP ${token}`, request(await client.proof('GET', API, now(), token))).catch((e: unknown) => e as AccessTokenError)
    expect(first).toBeInstanceOf(AccessTokenError)
    expect({ code: (first as AccessTokenError).code, status: (first as AccessTokenError).status }).toEqual({ code: 'use_dpop_nonce', status: 401 })
    expect((first as AccessTokenError).wwwAuthenticate).toMatch(/^DPoP realm="[^"]+", error="use_dpop_nonce"/)
    const nonce = (first as AccessTokenError).dpopNonce!
    expect(nonce).toBe(nonces.current())
    // The client keeps the nonce from the DPoP-Nonce header and retries: accepted.
    client.observe(API, new Response(null, { headers: { 'DPoP-Nonce': nonce } }))
    await expect(verifier.verify(`DPoP ${token}`, request(await client.proof('GET', API, now(), token)))).resolves.toMatchObject({ sub: 'demo' })
    // Two periods later the nonce is stale: challenged again with a new one.
    const saved = p.clock.now
    try {
      p.clock.now += 600_000
      const later = await boundToken(client)
      const stale = await verifier.verify(`DPoP ${later}`, request(await client.proof('GET', API, now(), later))).catch((e: unknown) => e as AccessTokenError)
      expect((stale as AccessTokenError).code).toBe('use_dpop_nonce')
      expect((stale as AccessTokenError).message).toMatch(/stale/)
      expect((stale as AccessTokenError).dpopNonce).not.toBe(nonce)
    } finally {
      p.clock.now = saved
    }
  })

  it('a proof is accepted for maxAge seconds after its iat, and a shared replay cache sees every instance', async () => {
    const seen = new Set<string>()
    const replay = { add: (key: string) => (seen.has(key) ? false : (seen.add(key), true)) }
    const token = await boundToken()
    const proof = await dpop.proof('GET', API, now() - 100_000, token)
    await expect(make({ dpop: { maxAge: 120, replay } }).verify(`DPoP ${token}`, request(proof))).resolves.toBeTruthy()
    await refused(make({ dpop: { maxAge: 120, replay } }).verify(`DPoP ${token}`, request(proof)), 'invalid_dpop_proof', /used before/)
  })
})
