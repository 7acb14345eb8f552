import type { Context } from './context.js'
import { constantTimeEqual, sha256 } from './crypto.js'
import type { User } from './resolveConfig.js'

/** Checks a user's password in constant time; unknown users cost the same digest. */
export async function verifyPassword(ctx: Context, username: string, password: string): Promise<User | undefined> {
  const user = ctx.realm.users.get(username)
  const ok = await constantTimeEqual(await sha256(user?.password ?? '\0no such user'), password)
  return user && ok ? user : undefined
}
