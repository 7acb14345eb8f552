/**
 * The provider's signing keys in one place: generation, import, rotation, retirement and
 * their persistence. Node-only persistence (the key file) is `./keyFile.js`, kept out of this
 * index so that browser bundles never reach `node:fs`.
 */
export { KeySet, persistSigningKeys, type PersistedSigningKeys, type SigningKeyPersistence } from './KeySet.js'
export { generateSigningKey, signJwt, signingJwkAlg, thumbprint, verifyOwnJwt, type SigningKey } from './signingKey.js'
