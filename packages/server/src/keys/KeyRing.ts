import { base64url, base64urlDecode } from '../base/crypto.js'
import { ConfigError } from '../base/errors.js'
import type { SigningJwk } from '../model/index.js'
import { FOREVER_MS, KEY_RING_ID, KEY_RING_MARKER_LIFETIME_MS, type KeyRingPayload, type RecordKind, type StoredPayload, type StoredSigningKey } from '../records/index.js'
import { importSigningJwk, storableJwk, type SigningKey } from './signingKey.js'

/**
 * The two store operations the ring needs (any `Store` has them); named here so that `keys/`
 * does not import `store/`, its neighbour on the same floor (decisions/0012).
 */
export interface RingStore {
  find(kind: RecordKind, id: string): Promise<{ payload: StoredPayload } | undefined>
  commit(tx: { unless: { kind: RecordKind; id: string }; writes: { kind: RecordKind; id: string; payload: StoredPayload; expiresAt: number }[] }): Promise<string>
}

/** What a change of the ring writes; the version is the ring's own. */
export interface RingContent {
  salt: string
  keys: StoredSigningKey[]
}

/** Shortest `key_encryption_secret` accepted: 128 bits of base64 or hex, roughly. */
export const MIN_SECRET_LENGTH = 16

/**
 * The signing keys kept in a store, shared by every provider instance on it
 * (decisions/0031). Private JWKs are sealed with AES-256-GCM under a key derived (HKDF-SHA-256,
 * the ring's own salt) from `secret`; the store never sees them in clear.
 */
export class KeyRing {
  private sealing?: { salt: string; key: Promise<CryptoKey> }

  constructor(
    private readonly store: RingStore,
    private readonly secret: string,
    private readonly now: () => number,
  ) {
    if (typeof secret !== 'string' || secret.length < MIN_SECRET_LENGTH) {
      throw new ConfigError('key_encryption_secret', `must be a string of at least ${MIN_SECRET_LENGTH} characters`)
    }
  }

  /** The ring as stored now; undefined before the first key was written. */
  async read(): Promise<KeyRingPayload | undefined> {
    return (await this.store.find('SigningKeys', KEY_RING_ID))?.payload as KeyRingPayload | undefined
  }

  /**
   * Read-modify-write: `change` gets the ring as stored (undefined when there is none) and
   * returns the next one, or undefined for no change. The result is written only if nobody
   * wrote in between; otherwise `change` runs again on what they wrote. Returns the ring as
   * stored afterwards.
   */
  async update(change: (ring: KeyRingPayload | undefined) => Promise<RingContent | undefined>): Promise<KeyRingPayload | undefined> {
    for (let attempt = 0; attempt < 20; attempt++) {
      const current = await this.read()
      const next = await change(current)
      if (!next) return current
      const version = (current?.version ?? 0) + 1
      const marker = { kind: 'SigningKeys' as const, id: `v${version}` }
      const written: KeyRingPayload = { ...next, version }
      const outcome = await this.store.commit({
        unless: marker,
        writes: [
          { ...marker, payload: {}, expiresAt: this.now() + KEY_RING_MARKER_LIFETIME_MS },
          { kind: 'SigningKeys', id: KEY_RING_ID, payload: written, expiresAt: FOREVER_MS },
        ],
      })
      if (outcome === 'committed') return written
    }
    throw new Error('The signing keys in the store kept changing while this change was being written; try again')
  }

  /** A new ring's salt. */
  static newSalt(): string {
    return base64url(crypto.getRandomValues(new Uint8Array(16)))
  }

  /** The stored form of `key`: public half in clear, private JWK sealed, bound to its kid. */
  async seal(key: SigningKey, salt: string, signsFrom: number): Promise<StoredSigningKey> {
    const iv = crypto.getRandomValues(new Uint8Array(12))
    const plain = new TextEncoder().encode(JSON.stringify(storableJwk(key)))
    const cipher = await crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData: new TextEncoder().encode(key.kid) }, await this.key(salt), plain)
    const sealed = new Uint8Array(12 + cipher.byteLength)
    sealed.set(iv)
    sealed.set(new Uint8Array(cipher), 12)
    return { kid: key.kid, alg: key.alg, publicJwk: key.publicJwk, sealed: base64url(sealed), createdAt: this.now(), signsFrom }
  }

  /** The usable key of a stored one; a secret that does not open it is a {@link ConfigError}. */
  async open(stored: StoredSigningKey, salt: string): Promise<SigningKey> {
    let jwk: SigningJwk
    try {
      const sealed = base64urlDecode(stored.sealed)
      const plain = await crypto.subtle.decrypt(
        { name: 'AES-GCM', iv: sealed.slice(0, 12), additionalData: new TextEncoder().encode(stored.kid) },
        await this.key(salt),
        sealed.slice(12),
      )
      jwk = JSON.parse(new TextDecoder().decode(plain)) as SigningJwk
    } catch {
      throw new ConfigError('key_encryption_secret', `does not open signing key ${stored.kid} in the store: it is not the secret the keys were written with`)
    }
    return importSigningJwk(jwk, `stored signing key ${stored.kid}`)
  }

  private key(salt: string): Promise<CryptoKey> {
    if (this.sealing?.salt !== salt) {
      const key = crypto.subtle
        .importKey('raw', new TextEncoder().encode(this.secret), 'HKDF', false, ['deriveKey'])
        .then((material) =>
          crypto.subtle.deriveKey(
            { name: 'HKDF', hash: 'SHA-256', salt: base64urlDecode(salt), info: new TextEncoder().encode('realmauth signing keys') },
            material,
            { name: 'AES-GCM', length: 256 },
            false,
            ['encrypt', 'decrypt'],
          ),
        )
      this.sealing = { salt, key }
    }
    return this.sealing.key
  }
}
