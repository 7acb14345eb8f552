import type { AuthError } from '@realmauth/react'

/** What went wrong, in a sentence a user can act on; the code stays visible for developers. */
export function describeError(error: AuthError): string {
  const detail = error.error_description ?? error.error
  switch (error.code) {
    case 'popup_blocked':
      return 'Your browser blocked the sign-in window. Allow pop-ups for this site, or use “Sign in”.'
    case 'popup_closed':
      return 'The sign-in window was closed before you finished. Nothing changed; try again when ready.'
    case 'authorization_error':
    case 'access_denied':
      return `The provider did not sign you in${detail ? `: ${detail}` : ''}.`
    case 'invalid_grant':
    case 'login_required':
      return 'Your session ended at the provider (signed out elsewhere, or the refresh token was revoked). Sign in again.'
    case 'network_error':
      return 'The provider cannot be reached. The tokens you have still work; renewal is retried in the background.'
    case 'server_error':
      return `The provider is having trouble${error.status ? ` (HTTP ${error.status})` : ''}. Your tokens are kept and renewal is retried.`
    case 'transaction_not_found':
      return 'This sign-in answer was already used or is too old. Start the sign-in again.'
    case 'state_mismatch':
    case 'iss_mismatch':
      return 'This sign-in answer does not belong to a sign-in started here, so it was refused.'
    case 'id_token_invalid':
      return "The provider's ID token failed validation, so it was not used."
    case 'invalid_dpop_proof':
      return "The provider refused this browser's DPoP proof: check the computer's clock."
    default:
      return error.message
  }
}
