import { createPrivateKey, KeyObject } from 'node:crypto'
import { AuthError, type JweDecrypt } from '@realmauth/core'
import { compactDecrypt, type JWK } from 'jose'

/**
 * A client's private decryption key: PEM (PKCS#8, PKCS#1 or SEC1), a private JWK, a `KeyObject` or a `CryptoKey`.
 *
 * @example
 * ```ts
 * const decryptionKey: DecryptionKey = process.env.ENC_KEY_PEM!
 * ```
 */
export type DecryptionKey = string | JWK | KeyObject | CryptoKey

/** What the provider encrypts with (its discovery's `*_encryption_*_values_supported`); nothing else is decrypted. */
const KEY_MANAGEMENT = ['RSA-OAEP-256', 'ECDH-ES', 'ECDH-ES+A128KW', 'ECDH-ES+A256KW']
const CONTENT_ENCRYPTION = ['A128GCM', 'A256GCM', 'A128CBC-HS256', 'A256CBC-HS512']

/**
 * The `decrypt` of a Node client: jose's compact JWE decryption, limited to the algorithms
 * above, with the key of `input` that fits the JWE's `alg` (RSA for RSA-OAEP-256, EC for
 * ECDH-ES). A key that is not private is refused at once.
 */
export function nodeDecrypter(input: DecryptionKey | readonly DecryptionKey[]): JweDecrypt {
  const keys = (Array.isArray(input) ? input : [input]).map(privateKey)
  return async (jwe) => {
    try {
      const { plaintext } = await compactDecrypt(
        jwe,
        ({ alg }) => {
          const kind = alg === 'RSA-OAEP-256' ? 'rsa' : 'ec'
          const key = keys.find((k) => keyKind(k) === kind)
          if (!key) throw new Error(`no decryption key for ${alg}`)
          return key as CryptoKey
        },
        { keyManagementAlgorithms: KEY_MANAGEMENT, contentEncryptionAlgorithms: CONTENT_ENCRYPTION },
      )
      return new TextDecoder().decode(plaintext)
    } catch (cause) {
      throw new AuthError('invalid_response', `JWE: ${(cause as Error).message}`, { cause })
    }
  }
}

function privateKey(input: DecryptionKey): KeyObject | CryptoKey {
  let key: KeyObject | CryptoKey
  try {
    key = isCryptoKey(input) ? input : input instanceof KeyObject ? input : typeof input === 'string' ? createPrivateKey(input) : createPrivateKey({ key: input, format: 'jwk' })
  } catch (cause) {
    throw new AuthError('configuration_error', `decryptionKey cannot be used: ${(cause as Error).message}`, { cause })
  }
  if (key.type !== 'private') throw new AuthError('configuration_error', 'decryptionKey must be a private key')
  return key
}

function keyKind(key: KeyObject | CryptoKey): string | undefined {
  if (key instanceof KeyObject) return key.asymmetricKeyType
  return key.algorithm.name === 'RSA-OAEP' ? 'rsa' : key.algorithm.name === 'ECDH' ? 'ec' : undefined
}

function isCryptoKey(input: DecryptionKey): input is CryptoKey {
  return typeof input === 'object' && 'type' in input && 'algorithm' in input && 'usages' in input
}
