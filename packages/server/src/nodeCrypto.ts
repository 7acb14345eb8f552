// node:crypto for the node adapter: installed when a provider is first served through
// node:http, so the runtime-neutral provider (msw, service workers) never imports it. Results
// are those of WebCrypto; only the cost differs (decision 0071).
import { createHash, createPrivateKey, createPublicKey, sign, verify, type JsonWebKeyInput, type KeyObject } from 'node:crypto'
import { useNativeCrypto, type NativeCrypto } from './base/crypto.js'

/**
 * Node's view of each key, made once from the JWK the provider imported (its CryptoKey for
 * signing is not extractable, and `KeyObject.from` on such a key is deprecated from Node 24).
 */
const KEY_OBJECTS = new WeakMap<Record<string, unknown>, KeyObject>()

function keyObject(jwk: Record<string, unknown>, make: (input: JsonWebKeyInput) => KeyObject): KeyObject {
  let object = KEY_OBJECTS.get(jwk)
  if (!object) KEY_OBJECTS.set(jwk, (object = make({ key: jwk, format: 'jwk' })))
  return object
}

/** Makes every provider of this process hash, sign ES256 and verify with node:crypto. */
export function installNodeCrypto(): void {
  useNativeCrypto(NODE_CRYPTO)
}

const NODE_CRYPTO: NativeCrypto = {
  sha256: (data) => {
    const digest = createHash('sha256').update(data).digest()
    return new Uint8Array(digest.buffer, digest.byteOffset, digest.byteLength)
  },
  // ES256 on the main thread costs half the CPU of WebCrypto's job (about 30 us against 65).
  // RS256 (about 280 us) stays on libuv's pool, beside the main thread whenever a second core
  // is free, but through node:crypto's callback form: WebCrypto's job for the same signature
  // cost 10-25% more on one core, its algorithm normalising and key checks per call included.
  sign: (alg, jwk, data) => {
    const key = keyObject(jwk, createPrivateKey)
    return alg === 'ES256'
      ? sign('sha256', Buffer.from(data), { key, dsaEncoding: 'ieee-p1363' })
      : new Promise((resolve, reject) => sign('sha256', Buffer.from(data), key, (error, signature) => (error ? reject(error) : resolve(signature))))
  },
  verify: (alg, jwk, data, signature) => {
    const key = keyObject(jwk, createPublicKey)
    return verify('sha256', Buffer.from(data), alg === 'ES256' ? { key, dsaEncoding: 'ieee-p1363' } : key, signature)
  },
}
