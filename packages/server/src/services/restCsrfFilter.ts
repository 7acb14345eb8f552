import { OAuthError } from '../base/errors.js'
import { readCookie, type HttpRequest } from '../base/http.js'

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])

/**
 * AM's CSRF filter on `json/` ("Protect against CSRF attacks"): a request other than GET, HEAD
 * or OPTIONS that carries the session cookie must also send `X-Requested-With` or
 * `Accept-API-Version`, or it is 403. A page of another origin cannot add either header without
 * a CORS preflight, so a form it posts cannot end or use the visitor's session. Requests without
 * the cookie (a first `authenticate`, a token in a header) are not checked, as in AM.
 */
export function restCsrfFilter(request: HttpRequest, cookieName: string): void {
  if (SAFE_METHODS.has(request.method) || readCookie(request, cookieName) === undefined) return
  if (request.headers.get('x-requested-with') !== null || request.headers.get('accept-api-version') !== null) return
  throw new OAuthError('access_denied', 'A request with the session cookie must send X-Requested-With or Accept-API-Version (CSRF protection)', 403)
}
