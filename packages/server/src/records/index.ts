/**
 * Every record the provider keeps in its store: the kind, the payload's shape and how
 * long it lives. A new kind of record starts here, so that the store contract, the endpoints
 * that write it and the ones that read it agree on one definition.
 */

/**
 * What the provider keeps. Each kind is keyed by an id that is, for bearer secrets, the
 * SHA-256 of the secret, never the secret itself.
 */
export type RecordKind =
  | 'AuthorizationCode'
  | 'AccessToken'
  | 'RevokedAccessToken'
  | 'RefreshToken'
  | 'DeviceCode'
  | 'Session'
  | 'Interaction'
  | 'Consent'
  | 'ReplayDetection'
  | 'Grant'
  | 'Client'
  | 'PushedAuthorizationRequest'
  | 'Journey'
  | 'Lockout'
  | 'SigningKeys'

/**
 * A client made by `register` (RFC 7591), under {@link registeredClientId}: stored like every
 * other record, so every instance knows it and a restart keeps it. The secret is kept as its
 * SHA-256 only; the config never carries it.
 */
export interface RegisteredClientPayload {
  [key: string]: unknown
  realm: string
  /** The client's metadata as registered, without `client_secret`. */
  config: Record<string, unknown>
  /** base64url SHA-256 of the client secret, for confidential clients. */
  secretDigest?: string
  /** base64url SHA-256 of its `registration_access_token` (RFC 7592); absent in records older than it. */
  registrationTokenDigest?: string
  /** Seconds since the epoch when the id was issued (`client_id_issued_at`). */
  issuedAt?: number
  /** Bumped by every change of the record: what a cached resolution is checked against. */
  version: number
}

/** Store id of a registered client: unique per realm, and a prefix per realm for counting. */
export function registeredClientId(realmPath: string, clientId: string): string {
  return `${realmPath} ${clientId}`
}

/** A stored payload. `grantId` ties it to a grant for the store's `revokeByGrantId`. */
export interface StoredPayload {
  grantId?: string
  userCode?: string
  [key: string]: unknown
}

/** What `authorize` stores under the SHA-256 of a code; it lives the client's `authorization_code_lifetime`. */
export interface CodePayload {
  [key: string]: unknown
  grantId: string
  clientId: string
  /** Path of the realm that issued it: a code is only good in its own realm. */
  realm: string
  username: string
  authTime: number
  /** The journey's `acr` and methods, for the ID token. */
  acr?: string
  amr?: string[]
  scope: string[]
  redirectUri: string
  /** Whether the authorization request named `redirect_uri` (then the token request must too). */
  redirectUriGiven: boolean
  nonce?: string
  codeChallenge?: string
  /** RFC 9449 section 10: the DPoP key (`dpop_jkt`, or the proof at `par`) the code exchange must prove. */
  dpopJkt?: string
}

/** `device/code` keeps this under the SHA-256 of the device code, until {@link DEVICE_RECORD_GRACE_S} after it expires. */
export interface DeviceCodePayload {
  [key: string]: unknown
  clientId: string
  /** Path of the realm that issued it: a device code is only good in its own realm. */
  realm: string
  scope: string[]
  /** Normalised: eight letters, no dash. */
  userCode: string
  status: 'pending' | 'approved' | 'denied'
  interval: number
  /** Milliseconds since the epoch of the last poll, 0 before the first. */
  lastPoll: number
  /** Seconds since the epoch; the store keeps the record a while longer to answer `expired_token`. */
  expiresAt: number
  username?: string
  authTime?: number
}

/** Seconds a device code record outlives the code, so late polls hear `expired_token`. */
export const DEVICE_RECORD_GRACE_S = 600

/** Kept under the SHA-256 of a refresh token, for the lifetime of the token. */
export interface RefreshTokenPayload {
  [key: string]: unknown
  grantId: string
  clientId: string
  /** Path of the realm that issued it: a token is only good in its own realm. */
  realm: string
  jti: string
  grantScope: string[]
  grantType: string
  username?: string
  authTime?: number
  redirectUri?: string
  /** The DPoP key a public client's refresh token is bound to: refreshing needs a proof by it. */
  jkt?: string
  /** RFC 8705 section 4: the certificate (`x5t#S256`) a public client's refresh token is bound to. */
  x5t?: string
}

/** A never-expiring refresh token still needs a finite store expiry. */
export const FOREVER_MS = 8.64e15

/**
 * What the provider knows of an access token. Read from the token's own claims, except for a
 * token that cannot say it itself ({@link accessTokenNeedsRecord}): that one is kept under its
 * `jti` for its lifetime (decisions/0068).
 */
export interface AccessTokenPayload {
  [key: string]: unknown
  grantId: string
  clientId: string
  sub: string
  username?: string
  scope: string[]
  grantType: string
  exp: number
  iat: number
  refreshTokenId?: string
  /** `cnf.jkt`: the token is DPoP-bound and is only good with a proof by that key. */
  jkt?: string
  /** `cnf.x5t#S256`: the token is good only over a connection presenting that TLS client certificate (RFC 8705). */
  x5t?: string
}

/**
 * Whether an access token is kept in the store, which the rest of them are not (decisions/0068):
 * a token of a user for a pairwise client, whose `sub` does not name the user, and a token
 * outliving a grant tombstone ({@link TOMBSTONE_LIFETIME_MS}), which only the sweep of its
 * grant's rows can then revoke. Decided alike when the token is issued and when it is checked.
 */
export function accessTokenNeedsRecord(lifetimeS: number, pairwiseUser: boolean): boolean {
  return pairwiseUser || lifetimeS * 1000 > TOMBSTONE_LIFETIME_MS
}

/**
 * Left under the `jti` of a revoked access token until the token expires: the deny-list that
 * revokes a token the store never held.
 */
export interface RevokedAccessTokenPayload {
  [key: string]: unknown
  revoked: true
}

/** A browser session (AM's SSO token behind the `iPlanetDirectoryPro` cookie). */
export interface SessionPayload {
  [key: string]: unknown
  username: string
  realm: string
  /** Seconds since the epoch of the sign-in. */
  authTime: number
  /** Ties forms (consent, device approval) to this session: a cross-site post lacks it. */
  csrf: string
  /** The journey's `acr` and the methods it used (`pwd`, `otp`), for the ID token. */
  acr?: string
  amr?: string[]
}

/** Seconds a browser session lasts. */
export const SESSION_LIFETIME_S = 8 * 3600

/**
 * How long a started sign-in may take; a pushed request's record outlives its `request_uri` by as much.
 */
export const INTERACTION_LIFETIME_MS = 10 * 60_000

/** A sign-in or consent in progress, under a random id, for {@link INTERACTION_LIFETIME_MS}. */
export interface InteractionPayload {
  [key: string]: unknown
  realm: string
  params: [string, string][]
  /** Milliseconds since the epoch: a sign-in after it satisfies `prompt=login` and `max_age`. */
  createdAt: number
  /** The session found not good enough (prompt=login, max_age): only a new sign-in satisfies the request. */
  staleSession?: string
  /** The pushed request's store id, when the parameters came from `par`. */
  pushed?: string
}

/**
 * What `par` keeps under the SHA-256 of the `request_uri` it hands out.
 */
export interface PushedRequestPayload {
  [key: string]: unknown
  realm: string
  clientId: string
  /** The validated authorization request parameters, client credentials removed. */
  params: [string, string][]
  /**
   * Seconds since the epoch until which the `request_uri` may start a sign-in. The record
   * stays for the sign-ins started in time, so that it is spent once however late they finish.
   */
  expiresAt: number
}

/** What the user allowed a client, under `realm\nusername\nclient_id`, for {@link CONSENT_LIFETIME_MS}. */
export interface ConsentPayload {
  [key: string]: unknown
  scopes: string[]
}

/** A saved consent is remembered for a year. */
export const CONSENT_LIFETIME_MS = 365 * 86_400_000

/**
 * Left under a grant id when the grant is revoked: tokens written for it afterwards are caught,
 * and every access token carrying its id (`authGrantId`) is inactive from then on.
 */
export interface GrantTombstonePayload {
  [key: string]: unknown
  revoked: true
}

/**
 * How long a revoked grant's tombstone is kept: longer than any code or unstored access token of
 * it lives (a longer-lived access token is stored, see {@link accessTokenNeedsRecord}).
 */
export const TOMBSTONE_LIFETIME_MS = 30 * 86_400_000

/** A journey between steps, under the SHA-256 of its single-use `authId`, for {@link JOURNEY_STEP_LIFETIME_S}. */
export interface JourneyPayload {
  [key: string]: unknown
  realm: string
  journey: string
  /** The node whose callbacks the client was sent. */
  node: string
  /** Steps answered so far. */
  step: number
  acr: string
  amr: string[]
  username?: string
  /** What HiddenValue nodes got back, by their `id`: AM's shared state for a later node. */
  hidden?: Record<string, string>
}

/** How long an `authId` stays good for its one step (AM's default tree timeout is 5 minutes). */
export const JOURNEY_STEP_LIFETIME_S = 300

/**
 * A user's lock under `realm\n<encoded username>`, and the `epoch` their failures count under: each failure
 * is a {@link LockoutFailurePayload} inserted at `realm\nusername\n<epoch>\n<random>`, so
 * concurrent failures each count (decisions/0044). Locking or a successful journey starts a
 * new epoch, which forgets the failures before it.
 */
export interface LockoutPayload {
  [key: string]: unknown
  /** Seconds since the epoch; 0 when not locked. */
  lockedUntil: number
  epoch: string
}

/** One failure a retry limit counted; it lives for the node's `lockout_seconds`. */
export interface LockoutFailurePayload {
  [key: string]: unknown
  /** Seconds since the epoch. */
  at: number
}
/**
 * One signing key as kept in the store: its public half in clear, its private JWK sealed
 * (AES-256-GCM under a key derived from `key_encryption_secret`, the `kid` as associated data).
 */
export interface StoredSigningKey {
  [key: string]: unknown
  kid: string
  alg: 'RS256' | 'ES256'
  publicJwk: Record<string, unknown>
  /** base64url of the 12-byte IV followed by the ciphertext of the private JWK. */
  sealed: string
  /** Milliseconds since the epoch: published from then on. */
  createdAt: number
  /** Milliseconds since the epoch: signs from then on, until a later key of its algorithm does. */
  signsFrom: number
}

/**
 * Every signing key of the provider, under {@link KEY_RING_ID}, kept forever. `version` grows by
 * one with each change; a change is written only together with the marker `v{version}`
 * (`Store.commit` with `unless`), so of writers racing from one version exactly one lands.
 */
export interface KeyRingPayload {
  [key: string]: unknown
  version: number
  /** base64url HKDF salt of the sealing key, chosen when the ring is created. */
  salt: string
  keys: StoredSigningKey[]
}

/** The id of the key ring among the `SigningKeys` records; its version markers are `v{n}`. */
export const KEY_RING_ID = 'ring'

/** How long a version marker is kept: far longer than a read-modify-write of the ring takes. */
export const KEY_RING_MARKER_LIFETIME_MS = 86_400_000
