import { describe, expect, it } from 'vitest'
import { EmbeddedJWK, base64url, calculateJwkThumbprint, decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose'
import { createDPoP, type DPoPKeyStore } from './DPoP.js'

const T = Date.UTC(2026, 10, 22, 12)

describe('createDPoP', () => {
  it('signs RFC 9449 proofs: dpop+jwt by the embedded public key, htm/htu/iat/jti, ath for a token', async () => {
    const dpop = createDPoP()
    const proof = await dpop.proof('post', 'https://as.example.com/token?x=1#frag', T, 'tok')
    const { payload, protectedHeader } = await jwtVerify(proof, EmbeddedJWK, { typ: 'dpop+jwt', currentDate: new Date(T) })
    expect(protectedHeader.alg).toBe('ES256')
    expect(Object.keys(protectedHeader.jwk!).sort()).toEqual(['crv', 'kty', 'x', 'y'])
    expect(payload).toMatchObject({ htm: 'POST', htu: 'https://as.example.com/token', iat: T / 1000 })
    const ath = base64url.encode(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode('tok'))))
    expect(payload.ath).toBe(ath)
    expect(await dpop.thumbprint()).toBe(await calculateJwkThumbprint(protectedHeader.jwk!))
    const again = await dpop.proof('POST', 'https://as.example.com/token', T)
    expect((await jwtVerify(again, EmbeddedJWK)).payload.jti).not.toBe(payload.jti)
  })

  it('generates the private key non-extractable and keeps the pair in its key store', async () => {
    let stored: CryptoKeyPair | undefined
    const keyStore: DPoPKeyStore = { get: async () => stored, set: async (p) => void (stored = p), remove: async () => void (stored = undefined) }
    const first = createDPoP({ keyStore })
    const jkt = await first.thumbprint()
    expect(stored?.privateKey.extractable).toBe(false)
    // A reload: a new prover over the same store proves with the same key.
    expect(await createDPoP({ keyStore }).thumbprint()).toBe(jkt)
    await first.reset()
    expect(stored).toBeUndefined()
    expect(await first.thumbprint()).not.toBe(jkt)
  })

  it('echoes the nonce an origin sent, only to that origin, and ignores malformed ones', async () => {
    const dpop = createDPoP()
    const nonce = (proof: string) => decodeJwt(proof).nonce
    expect(dpop.observe('https://as.example.com/token', new Response(null, { headers: { 'DPoP-Nonce': 'n-1' } }))).toBe(true)
    expect(nonce(await dpop.proof('POST', 'https://as.example.com/token', T))).toBe('n-1')
    expect(nonce(await dpop.proof('GET', 'https://api.example.com/x', T))).toBeUndefined()
    expect(dpop.observe('https://as.example.com/token', new Response(null, { headers: { 'DPoP-Nonce': 'a "quoted" one' } }))).toBe(false)
    expect(dpop.observe('https://as.example.com/token', new Response(null))).toBe(false)
    expect(nonce(await dpop.proof('POST', 'https://as.example.com/token', T))).toBe('n-1')
  })

  it('proves with a given RSA-PSS or Ed25519 pair, and refuses a key it cannot use', async () => {
    const pss = (await crypto.subtle.generateKey({ name: 'RSA-PSS', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' }, false, ['sign', 'verify'])) as CryptoKeyPair
    const proof = await createDPoP({ keyPair: pss }).proof('GET', 'https://api.example.com/', T)
    expect(decodeProtectedHeader(proof).alg).toBe('PS256')
    await expect(jwtVerify(proof, EmbeddedJWK, { currentDate: new Date(T) })).resolves.toBeTruthy()
    const ed = (await crypto.subtle.generateKey({ name: 'Ed25519' }, false, ['sign', 'verify'])) as CryptoKeyPair
    const edProof = await createDPoP({ keyPair: ed }).proof('GET', 'https://api.example.com/', T)
    await expect(jwtVerify(edProof, EmbeddedJWK, { currentDate: new Date(T) })).resolves.toMatchObject({ protectedHeader: { alg: 'EdDSA' } })
    const hmac = await crypto.subtle.generateKey({ name: 'HMAC', hash: 'SHA-256' }, false, ['sign'])
    await expect(createDPoP({ keyPair: { privateKey: hmac, publicKey: hmac } as CryptoKeyPair }).thumbprint()).rejects.toMatchObject({ code: 'configuration_error' })
  })
})
