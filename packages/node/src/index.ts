/**
 * Confidential clients and resource servers on Node: `createNodeClient`, and
 * `createAccessTokenVerifier` to check the access tokens your API receives.
 * See the Node service guide.
 *
 * @packageDocumentation
 * @module @realmauth/node
 */
export { createNodeClient } from './NodeClient.js'
export type { NodeClient, NodeClientOptions, DeviceAuthorization, TokenInfo, PresentedToken } from './NodeClientTypes.js'
export { clientAuthentication, type ClientAuthOptions, type PrivateKeyInput } from './clientAuthentication.js'
export type { JwtBearerOptions } from './jwtBearerAssertion.js'
export type { DecryptionKey } from './decryptionKey.js'
export { mtlsFetch, type ClientCertificateOptions } from './mtlsFetch.js'
export { AuthError, createDPoP, realmIssuer, type AuthErrorCode, type DPoP, type TokenSet, type Transaction } from '@realmauth/core'
export { createAccessTokenVerifier, verifyAccessToken } from './verifyAccessToken.js'
export { AccessTokenError, type AccessTokenErrorCode } from './AccessTokenError.js'
export type { AccessTokenVerifier, AccessTokenVerifierOptions, AccessTokenClaims, IntrospectionOptions, VerifyOptions } from './AccessTokenVerifier.js'
export { dpopNonces, memoryReplayCache, type DPoPNonces, type DPoPReplayCache, type DPoPRequest } from './checkDPoPProof.js'
export { signInWithJourney, tokensForSession, type JourneySignInOptions } from './journey.js'
export { JourneyClient, type JourneyCallback, type JourneyStep, type JourneyResult, type JourneySuccess } from '@realmauth/core'
export { accessGuard, type AccessGuardOptions, type GuardRequest, type GuardVerdict } from './accessGuard.js'
