export { createBrowserClient, type BrowserClient, type BrowserClientOptions } from './createBrowserClient.js'
export { IndexedDbDPoPKeyStore, IndexedDbTokenStore, IndexedDbTransactionStore, indexedDbDPoP } from './idbStores.js'
export { AuthError, realmIssuer, type AuthErrorCode, createDPoP, type DPoP, type AuthSnapshot, type AuthStatus, type TokenSet, type IdTokenClaims, type SignInOptions } from '@realmauth/core'
