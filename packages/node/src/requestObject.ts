import type { OidcClientOptions } from '@realmauth/core'
import { AuthError } from '@realmauth/core'
import { SignJWT } from 'jose'
import { importPrivateKey, type ClientAuthOptions } from './clientAuthentication.js'

/** Seconds a request object is good for: it is used at once, by the browser or by `par`. */
const LIFETIME = 60

/**
 * The signer of RFC 9101 request objects for a `private_key_jwt` client: the same key and
 * `kid` as its client assertions, `typ` `oauth-authz-req+jwt`, `iss` and `client_id` the
 * client, `aud` the issuer, a one-minute `exp` by `clock`. `max_age` goes in as a number,
 * as OIDC Core's claims do. It returns what stands for the parameters (section 5): the
 * signed object, with `client_id` beside it; a key that cannot sign is a `configuration_error`.
 */
export async function requestObjectSigner(
  auth: ClientAuthOptions,
  clientId: string,
  clock: () => number = Date.now,
): Promise<NonNullable<OidcClientOptions['signRequestObject']>> {
  if (auth?.method !== 'private_key_jwt') {
    throw new AuthError('configuration_error', "requestObject needs auth { method: 'private_key_jwt', privateKey }: request objects are signed with the client's key")
  }
  const { key, kid } = await importPrivateKey(auth.privateKey, auth.alg, auth.kid)
  const alg = auth.alg ?? algOf(key)
  return async (params, as) => {
    const now = Math.floor(clock() / 1000)
    const claims: Record<string, unknown> = Object.fromEntries(params)
    if (params.has('max_age')) claims.max_age = Number(params.get('max_age'))
    let request: string
    try {
      request = await new SignJWT({ ...claims, client_id: clientId })
        .setProtectedHeader({ alg, kid, typ: 'oauth-authz-req+jwt' })
        .setIssuer(clientId)
        .setAudience(as.issuer)
        .setIssuedAt(now)
        .setNotBefore(now)
        .setExpirationTime(now + LIFETIME)
        .setJti(crypto.randomUUID())
        .sign(key)
    } catch (cause) {
      throw new AuthError('configuration_error', `The request object could not be signed: ${(cause as Error).message}`, { cause })
    }
    return new URLSearchParams({ client_id: clientId, request })
  }
}

/** The JWS `alg` a WebCrypto signing key makes. */
function algOf(key: CryptoKey): string {
  const algorithm = key.algorithm as { name: string; hash?: { name: string }; namedCurve?: string }
  const bits = algorithm.hash?.name.replace('SHA-', '')
  switch (algorithm.name) {
    case 'RSASSA-PKCS1-v1_5':
      return `RS${bits}`
    case 'RSA-PSS':
      return `PS${bits}`
    case 'ECDSA':
      return { 'P-256': 'ES256', 'P-384': 'ES384', 'P-521': 'ES512' }[algorithm.namedCurve ?? ''] ?? 'ES256'
    default:
      return 'EdDSA'
  }
}
