export { createNodeClient, type NodeClient, type NodeClientOptions, type DeviceAuthorization, type TokenInfo, type PresentedToken } from './NodeClient.js'
export { clientAuthentication, type ClientAuthOptions } from './clientAuthentication.js'
export { AuthError, createDPoP, realmIssuer, type AuthErrorCode, type DPoP, type TokenSet, type Transaction } from '@realmauth/core'
export {
  createAccessTokenVerifier,
  verifyAccessToken,
  AccessTokenError,
  type AccessTokenErrorCode,
  type AccessTokenVerifier,
  type AccessTokenVerifierOptions,
  type AccessTokenClaims,
  type IntrospectionOptions,
  type VerifyOptions,
} from './verifyAccessToken.js'
export { dpopNonces, memoryReplayCache, type DPoPNonces, type DPoPReplayCache, type DPoPRequest } from './checkDPoPProof.js'
export { signInWithJourney, tokensForSession, type JourneySignInOptions } from './journey.js'
export { JourneyClient, type JourneyCallback, type JourneyStep, type JourneyResult, type JourneySuccess } from '@realmauth/core'
export { accessGuard, type AccessGuardOptions, type GuardRequest, type GuardVerdict } from './accessGuard.js'
