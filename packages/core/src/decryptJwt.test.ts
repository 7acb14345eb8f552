import { describe, expect, it } from 'vitest'
import { CompactEncrypt, importJWK, type JWK } from 'jose'
import { AuthError } from './AuthError.js'
import { decryptJwt } from './decryptJwt.js'

const ENCS = ['A128GCM', 'A256GCM', 'A128CBC-HS256', 'A256CBC-HS512'] as const
const rsa = (await crypto.subtle.generateKey(
  { name: 'RSA-OAEP', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' }, false, ['decrypt', 'encrypt'],
)) as CryptoKeyPair
const ec = async (namedCurve: string) => (await crypto.subtle.generateKey({ name: 'ECDH', namedCurve }, false, ['deriveBits'])) as CryptoKeyPair

async function encrypt(publicKey: CryptoKey, alg: string, enc: string, plaintext = 'a.b.c', extra: Record<string, unknown> = {}): Promise<string> {
  const jwk = (await crypto.subtle.exportKey('jwk', publicKey)) as JWK
  const { alg: _alg, key_ops: _ops, ...material } = jwk
  return new CompactEncrypt(new TextEncoder().encode(plaintext)).setProtectedHeader({ alg, enc, ...extra }).encrypt(await importJWK(material, alg))
}

async function refusal(promise: Promise<unknown>): Promise<AuthError> {
  const error = await promise.then(() => undefined, (e: unknown) => e)
  expect(error).toBeInstanceOf(AuthError)
  return error as AuthError
}

describe('decryptJwt against JWEs jose makes', () => {
  for (const enc of ENCS) {
    it(`RSA-OAEP-256 with ${enc}, from a non-extractable key`, async () => {
      expect(await decryptJwt(rsa.privateKey)(await encrypt(rsa.publicKey, 'RSA-OAEP-256', enc, 'header.payload.sig'))).toBe('header.payload.sig')
    })
  }
  for (const curve of ['P-256', 'P-384', 'P-521']) {
    for (const alg of ['ECDH-ES', 'ECDH-ES+A128KW', 'ECDH-ES+A256KW']) {
      it(`${alg} on ${curve}, with A256GCM and A128CBC-HS256`, async () => {
        const pair = await ec(curve)
        const decrypt = decryptJwt([rsa.privateKey, pair.privateKey])
        expect(await decrypt(await encrypt(pair.publicKey, alg, 'A256GCM'))).toBe('a.b.c')
        expect(await decrypt(await encrypt(pair.publicKey, alg, 'A128CBC-HS256', '{"sub":"alice"}'))).toBe('{"sub":"alice"}')
      })
    }
  }
  it('takes apu and apv into the key derivation', async () => {
    const pair = await ec('P-256')
    const jwe = await new CompactEncrypt(new TextEncoder().encode('x.y.z'))
      .setProtectedHeader({ alg: 'ECDH-ES', enc: 'A128GCM' })
      .setKeyManagementParameters({ apu: new TextEncoder().encode('Alice'), apv: new TextEncoder().encode('Bob') })
      .encrypt(await importJWK((await crypto.subtle.exportKey('jwk', pair.publicKey)) as JWK, 'ECDH-ES'))
    expect(await decryptJwt(pair.privateKey)(jwe)).toBe('x.y.z')
  })
})

describe('decryptJwt refuses', () => {
  it('a JWE to another key', async () => {
    const other = (await crypto.subtle.generateKey(
      { name: 'RSA-OAEP', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' }, false, ['encrypt', 'decrypt'],
    )) as CryptoKeyPair
    expect((await refusal(decryptJwt(rsa.privateKey)(await encrypt(other.publicKey, 'RSA-OAEP-256', 'A128GCM')))).code).toBe('invalid_response')
    const pair = await ec('P-256')
    const stranger = await ec('P-256')
    await refusal(decryptJwt(pair.privateKey)(await encrypt(stranger.publicKey, 'ECDH-ES', 'A128CBC-HS256')))
  })

  it('algorithms it was not made for: RSA-OAEP with SHA-1, dir, an RSA JWE to an EC key, an unknown enc', async () => {
    const sha1 = (await crypto.subtle.generateKey(
      { name: 'RSA-OAEP', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-1' }, false, ['encrypt', 'decrypt'],
    )) as CryptoKeyPair
    expect((await refusal(decryptJwt(sha1.privateKey)(await encrypt(sha1.publicKey, 'RSA-OAEP', 'A128GCM')))).message).toMatch(/alg RSA-OAEP/)
    const dir = await new CompactEncrypt(new TextEncoder().encode('a.b.c')).setProtectedHeader({ alg: 'dir', enc: 'A128GCM' }).encrypt(new Uint8Array(16))
    await refusal(decryptJwt(rsa.privateKey)(dir))
    const pair = await ec('P-256')
    await refusal(decryptJwt(pair.privateKey)(await encrypt(rsa.publicKey, 'RSA-OAEP-256', 'A128GCM')))
    await refusal(decryptJwt(rsa.privateKey)(await encrypt(rsa.publicKey, 'RSA-OAEP-256', 'A192GCM')))
  })

  it('a tampered ciphertext, tag or header, and what is not a compact JWE', async () => {
    for (const enc of ['A256GCM', 'A128CBC-HS256']) {
      const parts = (await encrypt(rsa.publicKey, 'RSA-OAEP-256', enc)).split('.')
      const flip = (s: string) => (s[0] === 'A' ? 'B' : 'A') + s.slice(1)
      for (const i of [3, 4]) await refusal(decryptJwt(rsa.privateKey)(parts.map((p, j) => (j === i ? flip(p) : p)).join('.')))
      await refusal(decryptJwt(rsa.privateKey)([btoa(JSON.stringify({ alg: 'RSA-OAEP-256', enc, kid: 'x' })).replace(/=/g, ''), ...parts.slice(1)].join('.')))
    }
    await refusal(decryptJwt(rsa.privateKey)('a.b.c'))
    const parts = (await encrypt(rsa.publicKey, 'RSA-OAEP-256', 'A128GCM')).split('.')
    const zipped = btoa(JSON.stringify({ alg: 'RSA-OAEP-256', enc: 'A128GCM', zip: 'DEF' })).replace(/=/g, '')
    expect((await refusal(decryptJwt(rsa.privateKey)([zipped, ...parts.slice(1)].join('.')))).message).toMatch(/zip/)
  })
})
