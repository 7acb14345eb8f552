export { createBrowserClient, type BrowserClient, type BrowserClientOptions, type SignInOptions } from './createBrowserClient.js'
export { IndexedDbTokenStore, IndexedDbTransactionStore } from './idbStores.js'
export { AuthError, realmIssuer, type AuthErrorCode, type AuthSnapshot, type AuthStatus, type TokenSet, type IdTokenClaims } from '@realmauth/core'
