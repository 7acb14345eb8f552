import { useEffect, useState } from 'react'
import type { AuthError, TokenSet } from '@realmauth/browser'
import { useAuthSnapshot } from './useAuth.js'

/**
 * What {@link useAccessToken} returns.
 *
 * @example
 * ```tsx
 * const { token, loading, error }: AccessTokenState = useAccessToken()
 * ```
 */
export interface AccessTokenState {
  /** Undefined until fetched and whenever nobody is signed in. */
  token: string | undefined
  error: AuthError | Error | undefined
  /** A token is being fetched (or sign-in state is still unknown). */
  loading: boolean
}

interface Result {
  /** The tokens the answer belongs to, so a refresh makes it stale. */
  for: TokenSet | undefined
  token?: string
  error?: AuthError | Error
}

/**
 * A current access token as state, for rendering or for handing to a data library. Asked for
 * through the client (which renews it first when it is about to expire) whenever the user is
 * signed in and the stored tokens change, as after a refresh. While a refreshed one is fetched
 * the previous token stays visible and `loading` is true; after a sign-out it is gone.
 *
 * @example
 * ```tsx
 * function Orders() {
 *   const { token, loading, error } = useAccessToken()
 *   const orders = useQuery({ queryKey: ['orders', token], enabled: !!token, queryFn: () => getOrders(token!) })
 *   if (error) return <p>Could not get a token: {error.message}</p>
 *   return loading ? <Spinner /> : <OrderList orders={orders.data} />
 * }
 * ```
 */
export function useAccessToken(): AccessTokenState {
  const { client, snapshot, status } = useAuthSnapshot()
  const tokens = status === 'signed_in' ? snapshot.tokens : undefined
  const [result, setResult] = useState<Result>({ for: undefined })

  useEffect(() => {
    if (!tokens) {
      // Signed out: the next user must not see the last user's token while theirs loads.
      setResult((r) => (r.token === undefined && r.error === undefined ? r : { for: undefined }))
      return
    }
    let current = true
    client.getAccessToken().then(
      (token) => current && setResult({ for: tokens, token }),
      (error: AuthError | Error) => current && setResult({ for: tokens, error }),
    )
    return () => {
      current = false
    }
  }, [client, tokens])

  if (!tokens) return { token: undefined, error: undefined, loading: status === 'loading' }
  const fresh = result.for === tokens
  // A refreshed session may show its previous token while the new one loads; another user's may not.
  const sameUser = result.for?.claims?.sub === tokens.claims?.sub
  return { token: fresh || sameUser ? result.token : undefined, error: fresh ? result.error : undefined, loading: !fresh }
}
