import { createPrivateKey, KeyObject } from 'node:crypto'
import { AuthError, ClientSecretPost, PrivateKeyJwt, type ClientAuthentication } from '@realmauth/core'
import { calculateJwkThumbprint, type JWK } from 'jose'
import * as oauth from 'oauth4webapi'

/** How a confidential client authenticates at the token, introspection and revocation endpoints. */
export type ClientAuthOptions =
  /** RFC 6749 2.3.1: id and secret are form-encoded before base64, as AM decodes them. */
  | { method: 'client_secret_basic'; clientSecret: string }
  | { method: 'client_secret_post'; clientSecret: string }
  | {
      method: 'private_key_jwt'
      /** PEM (PKCS#8, PKCS#1 or SEC1), a private JWK, a `KeyObject` or a `CryptoKey`. */
      privateKey: PrivateKeyInput
      /** Default: from the JWK, else its RFC 7638 thumbprint. */
      kid?: string
      /** Default: from the key (RS256, ES256, ES384, ES512, EdDSA). */
      alg?: string
      /** `aud` of the assertion: AM wants the token endpoint (default); some servers the issuer. */
      audience?: 'token_endpoint' | 'issuer'
    }
  /**
   * RFC 8705: the client is known by the TLS client certificate it presents (set
   * `clientCertificate` on the client), CA-issued or self-signed as registered.
   */
  | { method: 'tls_client_auth' | 'self_signed_tls_client_auth' }
  | { method: 'none' }

/**
 * Turns {@link ClientAuthOptions} into the function oauth4webapi calls on each request.
 *
 * @example
 * ```ts
 * const auth = await clientAuthentication({ method: 'private_key_jwt', privateKey: readFileSync('key.pem', 'utf8') })
 * ```
 */
export async function clientAuthentication(options: ClientAuthOptions): Promise<ClientAuthentication> {
  if (typeof options !== 'object' || options === null) {
    throw new AuthError(
      'configuration_error',
      "No client authentication: pass `auth`, such as { method: 'client_secret_basic', clientSecret }, { method: 'private_key_jwt', privateKey } or { method: 'none' } for a public client",
    )
  }
  switch (options.method) {
    case 'client_secret_basic':
      return oauth.ClientSecretBasic(options.clientSecret)
    case 'client_secret_post':
      return ClientSecretPost(options.clientSecret)
    case 'private_key_jwt': {
      const { key, kid } = await importPrivateKey(options.privateKey, options.alg, options.kid)
      const toIssuer = options.audience === 'issuer'
      return (as, client, body, headers) =>
        PrivateKeyJwt(
          { key, kid },
          {
            [oauth.modifyAssertion]: (_header, payload) => {
              payload.aud = toIssuer || !as.token_endpoint ? as.issuer : as.token_endpoint
            },
          },
        )(as, client, body, headers)
    }
    case 'tls_client_auth':
    case 'self_signed_tls_client_auth':
      // Only client_id in the body: the certificate on the connection is the credential.
      return oauth.TlsClientAuth()
    case 'none':
      return oauth.None()
    default:
      throw new AuthError('configuration_error', `Unknown client authentication method '${(options as { method: string }).method}'`)
  }
}

/**
 * A private key in any of the forms users hold: PEM (PKCS#8, PKCS#1 or SEC1), a private JWK, a `KeyObject` or a `CryptoKey`.
 *
 * @example
 * ```ts
 * const key: PrivateKeyInput = readFileSync('client-key.pem', 'utf8')
 * ```
 */
export type PrivateKeyInput = string | JWK | KeyObject | CryptoKey

/** Imports any of the key forms users hold into a non-extractable signing CryptoKey with a `kid` and its JWS `alg`. */
export async function importPrivateKey(
  input: PrivateKeyInput,
  alg: string | undefined,
  kid: string | undefined,
): Promise<{ key: CryptoKey; kid: string; alg: string }> {
  let jwk: JWK
  try {
    if (typeof input === 'object' && 'type' in input && 'algorithm' in input && 'usages' in input) {
      // A CryptoKey: its algorithm is fixed already; the kid must come from the caller or its public part.
      if (kid === undefined) throw new Error('a CryptoKey needs an explicit kid')
      return { key: input, kid, alg: alg ?? cryptoKeyAlg(input) }
    }
    const keyObject = input instanceof KeyObject ? input : typeof input === 'string' ? createPrivateKey(input) : createPrivateKey({ key: input, format: 'jwk' })
    if (keyObject.type !== 'private') throw new Error('a private key is required')
    jwk = keyObject.export({ format: 'jwk' }) as JWK
  } catch (cause) {
    throw new AuthError('configuration_error', `private_key_jwt key cannot be used: ${(cause as Error).message}`, { cause })
  }
  const algorithm = alg ?? (typeof input === 'object' && 'alg' in input && typeof input.alg === 'string' ? input.alg : defaultAlg(jwk))
  const spec = subtleAlgorithm(algorithm, jwk)
  const key = await crypto.subtle.importKey('jwk', jwk as JsonWebKey, spec, false, ['sign'])
  const declared = typeof input === 'object' && 'kid' in input && typeof input.kid === 'string' ? input.kid : undefined
  const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...publicJwk } = jwk
  return { key, kid: kid ?? declared ?? (await calculateJwkThumbprint(publicJwk)), alg: algorithm }
}

/** The JWS `alg` a CryptoKey signs with, for a caller that did not name one. */
function cryptoKeyAlg(key: CryptoKey): string {
  const algorithm = key.algorithm as { name: string; hash?: { name: string }; namedCurve?: string }
  const bits = algorithm.hash?.name.slice(4) ?? '256'
  if (algorithm.name === 'RSASSA-PKCS1-v1_5') return `RS${bits}`
  if (algorithm.name === 'RSA-PSS') return `PS${bits}`
  if (algorithm.name === 'ECDSA') return { 'P-384': 'ES384', 'P-521': 'ES512' }[algorithm.namedCurve ?? ''] ?? 'ES256'
  return 'EdDSA'
}

function defaultAlg(jwk: JWK): string {
  if (jwk.kty === 'RSA') return 'RS256'
  if (jwk.kty === 'OKP') return 'EdDSA'
  return { 'P-256': 'ES256', 'P-384': 'ES384', 'P-521': 'ES512' }[jwk.crv ?? ''] ?? 'ES256'
}

function subtleAlgorithm(alg: string, jwk: JWK): RsaHashedImportParams | EcKeyImportParams | RsaPssParams | Algorithm {
  const hash = `SHA-${alg.slice(2)}`
  if (alg.startsWith('RS')) return { name: 'RSASSA-PKCS1-v1_5', hash }
  if (alg.startsWith('PS')) return { name: 'RSA-PSS', hash } as RsaHashedImportParams
  if (alg.startsWith('ES')) return { name: 'ECDSA', namedCurve: jwk.crv ?? 'P-256' }
  if (alg === 'EdDSA' || alg === 'Ed25519') return { name: 'Ed25519' }
  throw new AuthError('configuration_error', `Unsupported private_key_jwt algorithm '${alg}'`)
}
