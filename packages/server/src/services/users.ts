import type { Context } from './context.js'
import { constantTimeEqual } from '../base/crypto.js'
import type { User } from '../model/index.js'

/** Checks a user's password in constant time; unknown users cost the same comparison. */
export async function verifyPassword(ctx: Context, username: string, password: string): Promise<User | undefined> {
  const user = ctx.realm.users.get(username)
  const ok = constantTimeEqual(user?.password ?? '\0no such user', password)
  return user && ok ? user : undefined
}
