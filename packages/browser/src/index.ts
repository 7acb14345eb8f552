/**
 * Sign-in for single-page apps: redirect or popup, tokens and DPoP keys kept in IndexedDB,
 * `authFetch` for API calls. See the SPA guide.
 *
 * @packageDocumentation
 * @module @realmauth/browser
 */
export { createBrowserClient, type BrowserClient, type BrowserClientOptions } from './createBrowserClient.js'
export { signInPopup, type PopupSignInOptions } from './signInPopup.js'
export { indexedDbDecryption, type DecryptionKeys } from './indexedDbDecryption.js'
export { IndexedDbDPoPKeyStore, IndexedDbTokenStore, IndexedDbTransactionStore, indexedDbDPoP } from './idbStores.js'
export { userinfoProfile, getUserInfo, type UserInfo, type ProfileLoader } from '@realmauth/core'
export { AuthError, realmIssuer, type AuthErrorCode, createDPoP, type DPoP, type AuthSnapshot, type AuthStatus, type TokenSet, type IdTokenClaims, type SignInOptions } from '@realmauth/core'
export { createJourneyClient, signInWithSession } from './signInWithSession.js'
export type { JourneyCallback, JourneyClient, JourneyResult, JourneyStep, JourneySuccess } from '@realmauth/core'
