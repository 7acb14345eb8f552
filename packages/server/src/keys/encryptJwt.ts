import { CompactEncrypt, importJWK, type JWK } from 'jose'
import type { Encryption, EncryptionAlg } from '../model/index.js'

/** The curves ECDH-ES takes from an EC key; X25519 is left out (not in every browser's WebCrypto). */
const EC_CURVES = ['P-256', 'P-384', 'P-521']

/**
 * The key of a client's JWK Set that `alg` encrypts to: RSA for RSA-OAEP-256, EC for
 * ECDH-ES, not marked for signing only, not bound to another algorithm. A key naming `alg`
 * wins over one naming none.
 */
export function encryptionJwk(jwks: { keys: readonly unknown[] }, alg: EncryptionAlg): JWK | undefined {
  const kty = alg === 'RSA-OAEP-256' ? 'RSA' : 'EC'
  const usable = jwks.keys.filter((k): k is JWK => {
    if (typeof k !== 'object' || k === null) return false
    const jwk = k as JWK
    if (jwk.kty !== kty || (kty === 'EC' && !EC_CURVES.includes(jwk.crv ?? ''))) return false
    if (jwk.use !== undefined && jwk.use !== 'enc') return false
    if (jwk.key_ops !== undefined && !jwk.key_ops.some((op) => op === 'encrypt' || op === 'wrapKey' || op === 'deriveKey')) return false
    return jwk.alg === undefined || jwk.alg === alg
  })
  return usable.find((k) => k.alg === alg) ?? usable[0]
}

/**
 * Compact JWE of `plaintext` to `jwk`. `cty: 'JWT'` marks a nested (signed, then encrypted)
 * JWT (RFC 7519 section 5.2); the `kid` tells the client which of its keys to use.
 */
export async function encryptJwt(plaintext: string, jwk: JWK, encryption: Encryption, cty?: string): Promise<string> {
  const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...publicJwk } = jwk
  const key = await importJWK({ ...publicJwk, alg: encryption.alg }, encryption.alg)
  return new CompactEncrypt(new TextEncoder().encode(plaintext))
    .setProtectedHeader({
      alg: encryption.alg,
      enc: encryption.enc,
      ...(cty !== undefined && { cty }),
      ...(jwk.kid !== undefined && { kid: jwk.kid }),
    })
    .encrypt(key)
}
