import type { AuthError, AuthSnapshot } from '@realmauth/browser'

/** What failed and what to do about it, in words for the page: the provider's description when it sent one. */
export function problem(error: unknown): string {
  if (!(error instanceof Error)) return String(error)
  const { code, error_description: description } = error as Partial<AuthError>
  const detail = description && !error.message.includes(description) ? ` ${description}` : ''
  return code ? `${code}: ${error.message}${detail}` : error.message
}

/**
 * Shows the client's state on the page. `callbackError` is this page's failed sign-in callback:
 * it stays on screen (re-renders must not hide it), so the user sees why they are signed out.
 */
export function render(doc: Document, snapshot: AuthSnapshot, callbackError: unknown, now = Date.now()): void {
  const $ = (id: string) => doc.getElementById(id)!
  const { status, user, tokens, error } = snapshot
  $('status').textContent = status
  const shown = callbackError ?? error
  $('error').hidden = shown === undefined
  $('error').textContent = shown === undefined ? '' : `${callbackError ? 'Sign-in failed' : 'Error'}: ${problem(shown)}`
  $('signed-in').hidden = status !== 'signed_in'
  $('signed-out').hidden = status === 'signed_in' || status === 'loading'
  $('claims').textContent = user ? JSON.stringify(user, null, 2) : ''
  $('life').textContent = tokens?.expiresAt ? String(Math.max(0, Math.round((tokens.expiresAt - now) / 1000))) : '?'
}
