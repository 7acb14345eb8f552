export { createNodeClient, type NodeClient, type NodeClientOptions, type DeviceAuthorization, type TokenInfo } from './NodeClient.js'
export { clientAuthentication, type ClientAuthOptions } from './clientAuthentication.js'
export { AuthError, realmIssuer, type AuthErrorCode, type TokenSet, type Transaction } from '@realmauth/core'
export { createAccessTokenVerifier, verifyAccessToken, AccessTokenError, type AccessTokenVerifier, type AccessTokenVerifierOptions, type AccessTokenClaims, type IntrospectionOptions } from './verifyAccessToken.js'
