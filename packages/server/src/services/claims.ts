import type { Context } from './context.js'
import { base64url, sha256 } from '../base/crypto.js'
import type { Client, User } from '../model/index.js'

/** OIDC Core 5.4: the claims each standard scope releases. */
export const SCOPE_CLAIMS: Record<string, readonly string[]> = {
  profile: [
    'name', 'family_name', 'given_name', 'middle_name', 'nickname', 'preferred_username', 'profile',
    'picture', 'website', 'gender', 'birthdate', 'zoneinfo', 'locale', 'updated_at',
  ],
  email: ['email', 'email_verified'],
  address: ['address'],
  phone: ['phone_number', 'phone_number_verified'],
}

export const SUPPORTED_CLAIMS = ['sub', 'iss', 'aud', 'exp', 'iat', 'auth_time', 'nonce', 'azp', 'at_hash', 'c_hash', 'acr', 'amr', 'realm', ...Object.values(SCOPE_CLAIMS).flat()]

/** The `sub` this client sees: the user's, or a per-sector pairwise one (OIDC Core 8.1). */
export async function subjectFor(ctx: Context, client: Client, user: User): Promise<string> {
  if (client.subjectType === 'public') return user.sub
  const sector = client.redirectUris[0] ? new URL(client.redirectUris[0]).host : client.id
  // Salted with private key material so nobody can recompute the mapping from a username.
  const salt = String(ctx.rt.keys.signingKey('RS256').privateJwk.d)
  return base64url(await sha256(`${sector}\n${user.sub}\n${ctx.realm.path}\n${salt}`))
}

/** The user's claims released by `scopes`, and their custom claims, without `sub`. */
export function claimsFor(user: User, scopes: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = { ...user.claims }
  for (const scope of scopes) {
    for (const claim of SCOPE_CLAIMS[scope] ?? []) {
      const value = user[claim as keyof User]
      if (value !== undefined) out[claim] = value
    }
  }
  return out
}
