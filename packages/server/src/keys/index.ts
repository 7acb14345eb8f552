/**
 * The provider's signing keys in one place: generation, import, rotation, retirement, and
 * their ring in the store (decisions/0031). WebCrypto only, so browser bundles can use it.
 */
export { KeySet, keyStatuses, type KeySetOptions, type KeyStatus } from './KeySet.js'
export { KeyRing, MIN_SECRET_LENGTH, type RingStore } from './KeyRing.js'
export { generateSigningKey, signJwt, signingJwkAlg, thumbprint, verifyOwnJwt, type SigningKey } from './signingKey.js'
export { encryptJwt, encryptionJwk } from './encryptJwt.js'
