import type * as oauth from 'oauth4webapi'

/**
 * Claims of a validated ID token, with OpenID Connect Core 5.1's standard profile claims
 * typed so an app can render `user.name` without a cast; anything else the provider adds is
 * still there as JSON.
 *
 * @example
 * ```ts
 * function greeting(user: IdTokenClaims): string {
 *   return `Hello, ${user.given_name ?? user.name ?? user.sub}`
 * }
 * ```
 */
export type IdTokenClaims = oauth.IDToken & StandardClaims

/**
 * OpenID Connect Core 5.1's standard claims, as a provider sends them in the ID token or at userinfo.
 *
 * @example
 * ```ts
 * const profile: StandardClaims = { name: 'Demo User', email: 'demo@example.com', email_verified: true }
 * ```
 */
export interface StandardClaims {
  name?: string
  given_name?: string
  family_name?: string
  middle_name?: string
  nickname?: string
  preferred_username?: string
  profile?: string
  picture?: string
  website?: string
  email?: string
  email_verified?: boolean
  gender?: string
  birthdate?: string
  zoneinfo?: string
  locale?: string
  phone_number?: string
  phone_number_verified?: boolean
  address?: { formatted?: string; street_address?: string; locality?: string; region?: string; postal_code?: string; country?: string }
  updated_at?: number
}

/**
 * What a sign-in or refresh leaves behind: plain data, safe to structured-clone into
 * IndexedDB or JSON-serialise on a server.
 */
export interface TokenSet {
  accessToken: string
  /** Lowercase, as oauth4webapi normalises it: `bearer` or `dpop`. */
  tokenType: string
  /**
   * Milliseconds since the epoch by the client's clock at receipt plus `expires_in`: no
   * guess at the provider's clock. Absent when the provider sent no `expires_in`.
   */
  expiresAt?: number
  /** Milliseconds since the epoch when the response arrived. */
  receivedAt: number
  refreshToken?: string
  idToken?: string
  /** Validated claims of `idToken`. */
  claims?: IdTokenClaims
  /** Granted scope, when the provider said. */
  scope?: string
  /** The profile the client's `profile` option loaded at sign-in (userinfo claims), kept across refreshes. */
  profile?: Record<string, unknown>
}

/** Seconds the access token has left at `now` (ms), or Infinity when it has no expiry. */
export function secondsLeft(tokens: TokenSet, now: number): number {
  return tokens.expiresAt === undefined ? Infinity : (tokens.expiresAt - now) / 1000
}

/**
 * Whether `tokens` should be renewed at `now` (ms): within `marginMs` of expiry, but never
 * earlier than half the token's life, so a short-lived token is not renewed in a loop.
 */
export function dueForRenewal(tokens: TokenSet, now: number, marginMs: number): boolean {
  return tokens.expiresAt !== undefined && tokens.expiresAt - renewalMargin(tokens, marginMs) <= now
}

/** The margin {@link dueForRenewal} uses: `marginMs`, capped at half the token's life. */
export function renewalMargin(tokens: TokenSet, marginMs: number): number {
  return Math.min(marginMs, ((tokens.expiresAt ?? Infinity) - tokens.receivedAt) / 2)
}

/**
 * Where a client keeps its tokens. Browser storage, a server session or a database row:
 * anything that can hold one {@link TokenSet} per client.
 *
 * @example
 * ```ts
 * const store: TokenStore = {
 *   get: async () => session.tokens,
 *   set: async (tokens) => { session.tokens = tokens },
 *   remove: async () => { delete session.tokens },
 * }
 * ```
 */
export interface TokenStore {
  get(): Promise<TokenSet | undefined>
  set(tokens: TokenSet): Promise<void>
  remove(): Promise<void>
}

/**
 * A {@link TokenStore} in memory: gone with the process or the page.
 *
 * @example
 * ```ts
 * const client = new AuthClient({ issuer, clientId: 'spa', tokenStore: new MemoryTokenStore() })
 * ```
 */
export class MemoryTokenStore implements TokenStore {
  private tokens: TokenSet | undefined
  async get(): Promise<TokenSet | undefined> {
    return this.tokens
  }
  async set(tokens: TokenSet): Promise<void> {
    this.tokens = tokens
  }
  async remove(): Promise<void> {
    this.tokens = undefined
  }
}
