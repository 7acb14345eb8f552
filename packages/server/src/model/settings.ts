import type { SigningAlg } from './protocol.js'

/** Token lifetimes in seconds, set per realm and overridable per client. */
export interface Lifetimes {
  /** Access token lifetime; default 3600. 0 makes issued access tokens invalid at once. */
  access_token_lifetime?: number
  /** Refresh token lifetime; default 604800; -1 never expires. */
  refresh_token_lifetime?: number
  /** Authorization code lifetime; default 120. */
  authorization_code_lifetime?: number
  /** ID token lifetime; default 3600. */
  id_token_lifetime?: number
}

export interface ResolvedLifetimes {
  accessToken: number
  refreshToken: number
  code: number
  idToken: number
}

export interface RealmSettings {
  lifetimes: ResolvedLifetimes
  deviceCodeLifetime: number
  devicePollInterval: number
  issueRefreshTokens: boolean
  rotateRefreshTokens: boolean
  reuseDetection: 'all' | 'public' | 'none'
  accessTokenAlg: SigningAlg
  allowImpliedConsent: boolean
  responseIss: boolean
  allowDynamicRegistration: boolean
  registrationLimit: number
  /** RFC 9126 `require_pushed_authorization_requests` for every client of the realm. */
  requirePar: boolean
  /** Seconds a pushed request's `request_uri` lives. */
  parLifetime: number
  /** DPoP proofs must carry a nonce the provider issued (RFC 9449 sections 8 and 9). */
  dpopNonce: boolean
  /** AM's "Always Return Claims in ID Tokens": scope claims in every ID token, not only where no access token is issued. */
  alwaysReturnClaims: boolean
}
