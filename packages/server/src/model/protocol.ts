/**
 * What the provider speaks: the grant types, response types, client authentication methods
 * and signing algorithms it supports. Discovery publishes these lists and the config is
 * checked against them, so adding a value here is adding it everywhere.
 */

export const GRANT_TYPES = [
  'authorization_code',
  'implicit',
  'password',
  'client_credentials',
  'refresh_token',
  'urn:ietf:params:oauth:grant-type:device_code',
  'urn:ietf:params:oauth:grant-type:jwt-bearer',
] as const
export const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code'
/** RFC 7523 section 2.1: a JWT the client signed, naming the user in `sub`. */
export const JWT_BEARER_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer'
/** AM's scope that lets a resource server's client introspect tokens of every client. */
export const INTROSPECT_ALL = 'am-introspect-all-tokens'
export const RESPONSE_TYPES = [
  'code',
  'token',
  'id_token',
  'code token',
  'id_token token',
  'code id_token',
  'code id_token token',
] as const
export const AUTH_METHODS = [
  'client_secret_basic',
  'client_secret_post',
  'private_key_jwt',
  'tls_client_auth',
  'self_signed_tls_client_auth',
  'none',
] as const
/** RFC 8705 section 2.1.2: the one certificate field a `tls_client_auth` client is known by. */
export const TLS_CLIENT_AUTH_FIELDS = [
  'tls_client_auth_subject_dn',
  'tls_client_auth_san_dns',
  'tls_client_auth_san_uri',
  'tls_client_auth_san_ip',
  'tls_client_auth_san_email',
] as const
export const SIGNING_ALGS = ['RS256', 'ES256'] as const
/**
 * What a client may sign its JWTs with (client assertions, request objects). `Ed25519` is the
 * fully-specified name (RFC 9864) that newer clients send instead of `EdDSA`. Never `none`.
 */
export const CLIENT_JWT_ALGS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'] as const
/** Key management algorithms of JWTs encrypted to a client's key (ID tokens, userinfo, introspection). */
export const ENCRYPTION_ALGS = ['RSA-OAEP-256', 'ECDH-ES', 'ECDH-ES+A128KW', 'ECDH-ES+A256KW'] as const
/** Content encryption of those JWTs; A128CBC-HS256 is OpenID's default `enc`. */
export const ENCRYPTION_ENCS = ['A128GCM', 'A256GCM', 'A128CBC-HS256', 'A256CBC-HS512'] as const
export const STANDARD_SCOPES = ['openid', 'profile', 'email', 'address', 'phone']

export type AuthMethod = (typeof AUTH_METHODS)[number]
export type SigningAlg = (typeof SIGNING_ALGS)[number]
export type EncryptionAlg = (typeof ENCRYPTION_ALGS)[number]
export type EncryptionEnc = (typeof ENCRYPTION_ENCS)[number]

/** Response types compare as sets of words: `token code` is `code token`. */
export function normalizeResponseType(value: string): string | undefined {
  const words = value.split(' ').filter(Boolean)
  const order = ['code', 'id_token', 'token']
  if (words.some((w) => !order.includes(w)) || new Set(words).size !== words.length) return undefined
  return RESPONSE_TYPES.find((rt) => {
    const rtWords = rt.split(' ')
    return rtWords.length === words.length && words.every((w) => rtWords.includes(w))
  })
}

/** A private signing key as a JWK with `kid`, for RS256 or ES256. */
export type SigningJwk = Record<string, unknown> & { kid?: string; alg?: string }

/** OIDC Core 5.4: the claims each standard scope releases. */
export const SCOPE_CLAIMS: Record<string, readonly string[]> = {
  profile: [
    'name', 'family_name', 'given_name', 'middle_name', 'nickname', 'preferred_username', 'profile',
    'picture', 'website', 'gender', 'birthdate', 'zoneinfo', 'locale', 'updated_at',
  ],
  email: ['email', 'email_verified'],
  address: ['address'],
  phone: ['phone_number', 'phone_number_verified'],
}

export const SUPPORTED_CLAIMS = ['sub', 'iss', 'aud', 'exp', 'iat', 'auth_time', 'nonce', 'azp', 'at_hash', 'c_hash', 'acr', 'amr', 'realm', ...Object.values(SCOPE_CLAIMS).flat()]
