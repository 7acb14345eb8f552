// node:crypto for the node adapter: installed when a provider is first served through
// node:http, so the runtime-neutral provider (msw, service workers) never imports it. Results
// are those of WebCrypto; only the cost differs (decision 0071).
import { createHash, KeyObject, sign, verify } from 'node:crypto'
import { useNativeCrypto, type NativeCrypto } from './base/crypto.js'

/** Node's view of each CryptoKey, made once: the same key material, no copy per call. */
const KEY_OBJECTS = new WeakMap<CryptoKey, KeyObject>()

function keyObject(key: CryptoKey): KeyObject {
  let object = KEY_OBJECTS.get(key)
  if (!object) KEY_OBJECTS.set(key, (object = KeyObject.from(key)))
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
  sign: (alg, key, data) =>
    alg === 'ES256'
      ? sign('sha256', Buffer.from(data), { key: keyObject(key), dsaEncoding: 'ieee-p1363' })
      : new Promise((resolve, reject) => sign('sha256', Buffer.from(data), keyObject(key), (error, signature) => (error ? reject(error) : resolve(signature)))),
  verify: (alg, key, data, signature) =>
    verify('sha256', Buffer.from(data), alg === 'ES256' ? { key: keyObject(key), dsaEncoding: 'ieee-p1363' } : keyObject(key), signature),
}
