import * as oauth from 'oauth4webapi'
import { AuthError, toAuthError } from './AuthError.js'
import { withRequestOptions, type HttpOptions } from './http.js'

/** The provider's metadata (OIDC Discovery / RFC 8414), as oauth4webapi types it. */
export type ServerMetadata = oauth.AuthorizationServer

/** Options of {@link discover}. */
export interface DiscoveryOptions extends HttpOptions {}

/**
 * Fetches and checks an issuer's discovery document.
 *
 * The `issuer` in the document must be the one asked for. AM tenants behind a load
 * balancer often publish it with the default port spelled out (`https://tenant:443/am/...`):
 * that one difference is accepted, and the returned metadata keeps the document's spelling,
 * because that is what the provider puts in `iss`. Any other difference is refused with
 * `issuer_mismatch`.
 *
 * @example
 * ```ts
 * const metadata = await discover(realmIssuer('https://tenant.example.com/am', 'alpha'))
 * metadata.token_endpoint // 'https://tenant.example.com/am/oauth2/realms/root/realms/alpha/access_token'
 * ```
 */
export async function discover(issuer: string, options: DiscoveryOptions = {}): Promise<ServerMetadata> {
  let asked: URL
  try {
    asked = new URL(issuer)
  } catch (cause) {
    throw new AuthError('configuration_error', `Issuer '${issuer}' is not a URL`, { cause })
  }
  // The body is read, and checked, within the request's timeout.
  return withRequestOptions(issuer, options, async (opts) => {
    let response: Response
    try {
      response = await oauth.discoveryRequest(asked, { ...opts, algorithm: 'oidc' })
    } catch (err) {
      throw toAuthError(err, 'Discovery')
    }
    try {
      return await oauth.processDiscoveryResponse(asked, response)
    } catch (err) {
      // oauth4webapi compares the issuers as URLs, so `https://t:443/x` and `https://t/x` are
      // equal, and returns the document's spelling, which is what `iss` carries. A string issuer
      // it refused (another one, empty), or a TypeError (its `new URL()` of a non-URL issuer), is
      // a document for someone else.
      const stated = (err as { cause?: { body?: { issuer?: unknown } } }).cause?.body?.issuer
      if (typeof stated === 'string' || err instanceof TypeError) {
        throw new AuthError('issuer_mismatch', `Discovery for ${issuer} answered for issuer '${String(stated ?? '(not a URL)')}'`, { cause: err })
      }
      const error = toAuthError(err, 'Discovery')
      if (error.code === 'network_error' || error.code === 'server_error') throw error
      // oauth4webapi only says the answer is not metadata: the usual cause is an issuer missing its realm path.
      const url = response.url || `${asked.href.replace(/\/$/, '')}/.well-known/openid-configuration`
      throw new AuthError(
        'discovery_failed',
        `Discovery failed: ${url} answered HTTP ${response.status}, not OpenID Provider metadata. Check the issuer '${issuer}': ` +
          `an AM realm's issuer is {base}/oauth2/realms/root/realms/{realm}; build it with realmIssuer(baseUrl, realm). (${error.message})`,
        { status: response.status, cause: err },
      )
    }
  })
}
