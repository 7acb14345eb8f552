import type { Context } from './context.js'
import { base64url, sha256 } from '../base/crypto.js'
import { splitPortPattern } from '../base/redirectUri.js'
import { SCOPE_CLAIMS, type Client, type User } from '../model/index.js'

/** The `sub` this client sees: the user's, or a per-sector pairwise one (OIDC Core 8.1). */
export async function subjectFor(ctx: Context, client: Client, user: User): Promise<string> {
  if (client.subjectType === 'public') return user.sub
  const sector = client.redirectUris[0] ? new URL(splitPortPattern(client.redirectUris[0]).uri).host : client.id
  // Salted with a secret so nobody can recompute the mapping from a username, and a stable
  // one: a subject that changed with every key rotation would be a new user to the client.
  const salt = ctx.rt.config.pairwiseSubjectSalt ?? ctx.rt.config.keyEncryptionSecret ?? String(ctx.rt.keys.signingKey('RS256').privateJwk.d)
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
