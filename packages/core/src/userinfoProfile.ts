import { AuthError } from './AuthError.js'
import type { AuthClient, ProfileLoader } from './AuthClient.js'
import { fetchUserInfo, type UserInfo } from './fetchUserInfo.js'

/**
 * The `profile` option that takes the signed-in user's profile from userinfo, its `sub`
 * checked against the ID token's (`userinfo_subject_mismatch` otherwise, and nothing is
 * stored). AM, by default, puts only protocol claims (`sub`, `iss`, `aud`, `auth_time`...)
 * in a code-flow ID token and the scope's claims (`name`, `email`...) at userinfo: with this
 * option the user is the same whichever it does. Costs its bytes only where it is imported.
 *
 * @example
 * ```ts
 * const client = new AuthClient({ issuer, clientId: 'spa', redirectUri, scope: 'openid profile email', profile: userinfoProfile })
 * client.getSnapshot().user?.email
 * ```
 */
export const userinfoProfile: ProfileLoader = (oidc, tokens) => fetchUserInfo(oidc, tokens.accessToken, tokens.claims?.sub ?? '', tokens.tokenType)

/**
 * The signed-in user's userinfo claims, read now with a fresh access token; their `sub`
 * must be the ID token's.
 *
 * @example
 * ```ts
 * const info = await getUserInfo(client)
 * info.email
 * ```
 */
export async function getUserInfo(client: AuthClient): Promise<UserInfo> {
  const token = await client.getAccessToken()
  const current = client.getSnapshot().tokens
  const sub = current?.claims?.sub
  if (!sub) throw new AuthError('login_required', 'No ID token: sign in with the openid scope')
  return fetchUserInfo(client.oidc, token, sub, current.accessToken === token ? current.tokenType : 'bearer')
}
