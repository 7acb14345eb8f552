/** A user of a realm: credentials and OIDC standard claims. */
export interface UserConfig {
  username: string
  password: string
  /** Overrides `sub`; default the username, as AM does. */
  sub?: string
  name?: string
  given_name?: string
  family_name?: string
  middle_name?: string
  nickname?: string
  preferred_username?: string
  profile?: string
  picture?: string
  website?: string
  gender?: string
  birthdate?: string
  zoneinfo?: string
  locale?: string
  updated_at?: number
  email?: string
  email_verified?: boolean
  phone_number?: string
  phone_number_verified?: boolean
  address?: Record<string, string>
  /** Base32 TOTP secret (RFC 6238) for journeys' `OneTimePassword` nodes. */
  totp_secret?: string
  /**
   * Claims of your own (`groups`, `roles`, `department`...): JSON values put in this user's
   * access tokens, ID tokens and userinfo answers whatever the scope, as an AM access-token
   * modification script would. Names of standard or token claims are refused.
   */
  claims?: Record<string, unknown>
}

export interface User extends Omit<UserConfig, 'password'> {
  password: string
  sub: string
}
