/**
 * The runtime-agnostic OAuth 2.0 / OpenID Connect client under the browser and Node packages:
 * fetch and WebCrypto only, no DOM, no Node APIs. Apps usually import `@realmauth/browser`,
 * `@realmauth/react` or `@realmauth/node` instead, which re-export what they need from here.
 *
 * @packageDocumentation
 * @module @realmauth/core
 */
export { AuthError, type AuthErrorCode, type AuthErrorOptions } from './AuthError.js'
export { AuthClient, type AuthClientOptions, type ProfileLoader, type AuthSnapshot, type AuthStatus, type AuthEvent, type RefreshPolicy, type Timers } from './AuthClient.js'
export { OidcClient, type OidcClientOptions, type AuthorizationRequest, type ClientAuthentication, type SignInOptions } from './OidcClient.js'
export { fetchUserInfo, type UserInfo } from './fetchUserInfo.js'
export { userinfoProfile, getUserInfo } from './userinfoProfile.js'
export { tokenGrant } from './tokenGrant.js'
export { decryptJwt, type JweDecrypt } from './decryptJwt.js'
export { discover, type ServerMetadata, type DiscoveryOptions } from './discovery.js'
export { createDPoP, type DPoP, type DPoPKeyStore, type DPoPOptions } from './DPoP.js'
export { realmIssuer } from './realmIssuer.js'
export type { RetryPolicy } from './retry.js'
export { MemoryTokenStore, type TokenSet, type TokenStore, type IdTokenClaims, type StandardClaims } from './TokenSet.js'
export { MemoryTransactionStore, type Transaction, type TransactionStore } from './Transaction.js'
export type { HttpOptions } from './http.js'
export { ClientSecretBasic, ClientSecretPost, PrivateKeyJwt, None } from 'oauth4webapi'
export { JourneyClient, type JourneyClientOptions, type JourneyResult, type JourneyStep, type JourneySuccess } from './journey/JourneyClient.js'
export {
  BaseCallback,
  ChoiceCallback,
  ConfirmationCallback,
  GenericCallback,
  HiddenValueCallback,
  NameCallback,
  PasswordCallback,
  TextOutputCallback,
  toJourneyCallback,
  type JourneyCallback,
  type RawCallback,
} from './journey/JourneyCallback.js'
