import { get, update } from 'idb-keyval'
import { decryptJwt, type JweDecrypt } from '@realmauth/core'
import { database } from './idbStores.js'

/** The client's decryption key: what to pass as `decrypt`, and the public half to register. */
export interface DecryptionKeys {
  /** The `decrypt` option of `createBrowserClient`. */
  decrypt: JweDecrypt
  /**
   * The public key as a JWK (`use: 'enc'`, `kid` its RFC 7638 thumbprint), for the client's
   * `jwks` with `id_token_encrypted_response_alg` / `userinfo_encrypted_response_alg` set
   * to an ECDH-ES algorithm. The key is generated on first use.
   */
  publicJwk(): Promise<JsonWebKey & { kid: string; use: 'enc' }>
}

/**
 * A P-256 ECDH key pair kept in IndexedDB, one per issuer and client, for ID tokens and
 * userinfo the provider encrypts to this app. The private key is generated non-extractable:
 * IndexedDB keeps the handle, no script can read its bytes. Generated once; when two tabs
 * generate at the same time, the first one stored wins and both use it. Without IndexedDB
 * (server rendering) the key lives in memory.
 *
 * @example
 * ```ts
 * const keys = indexedDbDecryption({ issuer, clientId: 'spa' })
 * const auth = createBrowserClient({ issuer, clientId: 'spa', decrypt: keys.decrypt })
 * console.log(JSON.stringify({ keys: [await keys.publicJwk()] })) // the client's jwks
 * ```
 */
export function indexedDbDecryption(client: { issuer: string; clientId: string }): DecryptionKeys {
  const name = `decryption:${client.issuer}:${client.clientId}`
  let pair: Promise<CryptoKeyPair> | undefined
  const keyPair = () => {
    pair ??= load(name).catch((err: unknown) => {
      pair = undefined
      throw err
    })
    return pair
  }
  return {
    decrypt: async (jwe) => decryptJwt((await keyPair()).privateKey)(jwe),
    async publicJwk() {
      const { crv, kty, x, y } = await crypto.subtle.exportKey('jwk', (await keyPair()).publicKey)
      const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(JSON.stringify({ crv, kty, x, y })))
      const kid = btoa(String.fromCharCode(...new Uint8Array(digest))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
      return { kty: kty!, crv: crv!, x: x!, y: y!, kid, use: 'enc' }
    },
  }
}

async function load(name: string): Promise<CryptoKeyPair> {
  const generate = () => crypto.subtle.generateKey({ name: 'ECDH', namedCurve: 'P-256' }, false, ['deriveBits']) as Promise<CryptoKeyPair>
  if (typeof indexedDB === 'undefined') return generate()
  const stored = await get<CryptoKeyPair>(name, database())
  if (stored) return stored
  const fresh = await generate()
  // update() reads and writes in one transaction: a pair another tab stored meanwhile is kept.
  await update<CryptoKeyPair>(name, (current) => current ?? fresh, database())
  return (await get<CryptoKeyPair>(name, database()))!
}
