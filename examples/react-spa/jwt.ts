/** The payload of a JWT, for display only: the SDK has verified the tokens it uses. */
export function decodeJwt(token: string | undefined): Record<string, unknown> | undefined {
  const payload = token?.split('.')[1]
  if (!payload) return undefined
  try {
    const bytes = Uint8Array.from(atob(payload.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0))
    return JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown>
  } catch {
    return undefined // an opaque token
  }
}

/** A short, stable label for a token: enough to see two tabs hold the same one. */
export const fingerprint = (token: string | undefined): string => (token ? `…${token.slice(-8)}` : '-')
