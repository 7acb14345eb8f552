import { createContext } from 'react'
import type { AuthError } from '@realmauth/browser'
import type { ClientHolder } from './clientHolder.js'

/**
 * What {@link AuthProvider} shares with the hooks: a way to reach the client (not the client,
 * see {@link ClientHolder}) and how the sign-in callback went. The token state itself stays
 * in the client.
 *
 * @internal
 */
export interface AuthContextValue {
  holder: ClientHolder
  /** Bumped when the client was replaced, so consumers read the new one. */
  generation: number
  skipRedirectCallback: boolean
  /** The callback on this page was handled (or failed): the URL no longer means "wait". */
  redirectSettled: boolean
  redirectError: AuthError | undefined
}

export const AuthContext = /* @__PURE__ */ createContext<AuthContextValue | null>(null)
