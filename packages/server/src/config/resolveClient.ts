import { ConfigError } from '../base/errors.js'
import {
  AUTH_METHODS,
  CLIENT_JWT_ALGS,
  GRANT_TYPES,
  JWT_BEARER_GRANT,
  RESPONSE_TYPES,
  ENCRYPTION_ALGS,
  ENCRYPTION_ENCS,
  SIGNING_ALGS,
  STANDARD_SCOPES,
  TLS_CLIENT_AUTH_FIELDS,
  normalizeResponseType,
  type ClaimDescription,
  type Client,
  type ClientConfig,
  type Encryption,
  type Lifetimes,
  type ResolvedLifetimes,
} from '../model/index.js'
import { encryptionJwk } from '../keys/index.js'
import { Validator } from './Validator.js'
import { splitPortPattern } from '../base/redirectUri.js'
import { LOOPBACK_HOSTS } from '../base/http.js'
import { canonicalIp, parseDn } from '../base/x509.js'

/** A config object's known fields, each `true`: a missing or extra one is a type error. */
export type Fields<T> = Record<keyof Required<T>, true>

export const LIFETIME_FIELDS: Fields<Lifetimes> = {
  access_token_lifetime: true, refresh_token_lifetime: true, authorization_code_lifetime: true, id_token_lifetime: true,
}
const CLIENT_FIELDS: Fields<ClientConfig> = {
  ...LIFETIME_FIELDS, client_id: true, client_secret: true, client_name: true, description: true, policy_uri: true,
  logo_uri: true, redirect_uris: true, post_logout_redirect_uris: true, grant_types: true, response_types: true,
  token_endpoint_auth_method: true, scope: true, default_scopes: true, implied_consent: true, jwks: true, jwks_uri: true,
  public_key_pem: true, id_token_signed_response_alg: true, allow_wildcard_ports: true, subject_type: true,
  default_max_age: true, require_pkce: true, dpop_bound_access_tokens: true, require_pushed_authorization_requests: true,
  request_uris: true, request_object_signing_alg: true, default_acr_values: true,
  registration_access_token: true, claims: true,
  id_token_encrypted_response_alg: true, id_token_encrypted_response_enc: true, userinfo_signed_response_alg: true,
  userinfo_encrypted_response_alg: true, userinfo_encrypted_response_enc: true, introspection_signed_response_alg: true,
  introspection_encrypted_response_alg: true, introspection_encrypted_response_enc: true,
  tls_client_auth_subject_dn: true, tls_client_auth_san_dns: true, tls_client_auth_san_uri: true, tls_client_auth_san_ip: true,
  tls_client_auth_san_email: true, tls_client_certificate_bound_access_tokens: true,
}

/** A realm's or a client's token lifetimes, each falling back to `base`. */
export function resolveLifetimes(v: Validator, at: string, l: Lifetimes, base: ResolvedLifetimes): ResolvedLifetimes {
  return {
    accessToken: v.optNumber(`${at}.access_token_lifetime`, l.access_token_lifetime, 0) ?? base.accessToken,
    refreshToken: v.optNumber(`${at}.refresh_token_lifetime`, l.refresh_token_lifetime, -1) ?? base.refreshToken,
    code: v.optNumber(`${at}.authorization_code_lifetime`, l.authorization_code_lifetime, 1) ?? base.code,
    idToken: v.optNumber(`${at}.id_token_lifetime`, l.id_token_lifetime, 1) ?? base.idToken,
  }
}

/** Checks one client's metadata; also used by dynamic registration. */
export function resolveClient(v: Validator, at: string, c: ClientConfig, realmLifetimes: ResolvedLifetimes): Client {
  v.object(at, c)
  if (Object.hasOwn(c, 'client_session_uri')) v.refuse(`${at}.client_session_uri`, CLIENT_SESSION_URI_REFUSED)
  v.fields(at, c, CLIENT_FIELDS)
  const id = v.string(`${at}.client_id`, c.client_id)
  if (!/^[\x21-\x7e]+$/.test(id)) throw new ConfigError(`${at}.client_id`, 'must be printable ASCII without spaces')
  const secret = v.optString(`${at}.client_secret`, c.client_secret)
  const wildcardPorts = v.optBool(`${at}.allow_wildcard_ports`, c.allow_wildcard_ports) ?? false
  const uris = (field: string, list: unknown, portPatterns = false) =>
    v.optArray(`${at}.${field}`, list).map((u, i) => {
      const written = v.string(`${at}.${field}[${i}]`, u)
      const { uri, port } = splitPortPattern(written)
      if (port !== undefined && !(portPatterns && wildcardPorts)) {
        throw new ConfigError(`${at}.${field}[${i}]`, portPatterns ? 'a wildcard port needs allow_wildcard_ports' : 'wildcard ports are for redirect_uris only')
      }
      if (!URL.canParse(uri) || uri.includes('#') || /^(javascript|data|vbscript):$/.test(new URL(uri).protocol)) {
        throw new ConfigError(`${at}.${field}[${i}]`, 'must be an absolute URI without a fragment, and not javascript:, data: or vbscript:')
      }
      return written
    })
  const redirectUris = uris('redirect_uris', c.redirect_uris, true)
  const postLogoutRedirectUris = uris('post_logout_redirect_uris', c.post_logout_redirect_uris)
  const grantTypes = v.optArray(`${at}.grant_types`, c.grant_types ?? ['authorization_code']).map((g, i) =>
    v.oneOf(`${at}.grant_types[${i}]`, g, GRANT_TYPES),
  )
  const responseTypes = v.optArray(`${at}.response_types`, c.response_types ?? RESPONSE_TYPES).map((rt, i) => {
    const normalized = normalizeResponseType(v.string(`${at}.response_types[${i}]`, rt))
    if (!normalized) throw new ConfigError(`${at}.response_types[${i}]`, `must be one of ${RESPONSE_TYPES.join(', ')}`)
    return normalized
  })
  const jwksUri = v.optString(`${at}.jwks_uri`, c.jwks_uri)
  if (jwksUri !== undefined && !URL.canParse(jwksUri)) throw new ConfigError(`${at}.jwks_uri`, 'must be an absolute URL')
  if (c.jwks !== undefined && (typeof c.jwks !== 'object' || !Array.isArray(c.jwks?.keys))) {
    throw new ConfigError(`${at}.jwks`, 'must be a JWK Set: { "keys": [...] }')
  }
  const publicKeyPem = v.optString(`${at}.public_key_pem`, c.public_key_pem)
  const hasKeys = c.jwks !== undefined || jwksUri !== undefined || publicKeyPem !== undefined
  const chosenMethod = v.optOneOf(`${at}.token_endpoint_auth_method`, c.token_endpoint_auth_method, AUTH_METHODS)
  const authMethod = chosenMethod ?? (secret !== undefined ? 'client_secret_basic' : hasKeys ? 'private_key_jwt' : 'none')
  if ((authMethod === 'client_secret_basic' || authMethod === 'client_secret_post') && secret === undefined) {
    throw new ConfigError(`${at}.client_secret`, `is required with token_endpoint_auth_method ${authMethod}`)
  }
  if (authMethod === 'private_key_jwt' && !hasKeys) {
    throw new ConfigError(`${at}.jwks`, 'private_key_jwt needs jwks, jwks_uri or public_key_pem')
  }
  const tlsSubject = resolveTlsSubject(v, at, c, authMethod)
  if (authMethod === 'self_signed_tls_client_auth' && c.jwks === undefined && publicKeyPem === undefined) {
    throw new ConfigError(`${at}.jwks`, 'self_signed_tls_client_auth needs the client certificate\'s key in jwks (a JWK, or its x5c) or its certificate in public_key_pem; jwks_uri is not read for it')
  }
  if (authMethod === 'none' && secret !== undefined) {
    throw new ConfigError(`${at}.client_secret`, "a public client (token_endpoint_auth_method 'none') has no secret")
  }
  const requestUris = uris('request_uris', c.request_uris)
  requestUris.forEach((u, i) => {
    const { protocol, hostname } = new URL(u)
    if (protocol !== 'https:' && !(protocol === 'http:' && LOOPBACK_HOSTS.has(hostname))) {
      throw new ConfigError(`${at}.request_uris[${i}]`, 'must be https, or http on a loopback host')
    }
  })
  const requestObjectAlg = v.optOneOf(`${at}.request_object_signing_alg`, c.request_object_signing_alg, CLIENT_JWT_ALGS)
  if ((requestUris.length > 0 || requestObjectAlg !== undefined) && !hasKeys) {
    throw new ConfigError(`${at}.jwks`, 'request objects are verified with the client\'s keys: set jwks, jwks_uri or public_key_pem')
  }
  if (grantTypes.includes(JWT_BEARER_GRANT) && !hasKeys) {
    throw new ConfigError(`${at}.grant_types`, `${JWT_BEARER_GRANT} needs jwks, jwks_uri or public_key_pem to verify the assertions with`)
  }
  const isPublic = authMethod === 'none'
  if (isPublic && grantTypes.includes('client_credentials')) {
    throw new ConfigError(`${at}.grant_types`, 'client_credentials needs a confidential client')
  }
  const needsRedirect = grantTypes.includes('authorization_code') || grantTypes.includes('implicit')
  if (needsRedirect && redirectUris.length === 0) {
    throw new ConfigError(`${at}.redirect_uris`, 'is required for the authorization_code and implicit grants')
  }
  const allowed = (v.optString(`${at}.scope`, c.scope) ?? STANDARD_SCOPES.join(' ')).split(' ').filter(Boolean)
  const defaultScopes = v.optArray(`${at}.default_scopes`, c.default_scopes ?? allowed).map((s, i) => {
    const scope = v.string(`${at}.default_scopes[${i}]`, s)
    if (!allowed.includes(scope)) throw new ConfigError(`${at}.default_scopes[${i}]`, `'${scope}' is not in the client's scope`)
    return scope
  })
  const encryption = (of: 'id_token' | 'userinfo' | 'introspection'): Encryption | undefined => {
    const algField = `${at}.${of}_encrypted_response_alg`
    const alg = v.optOneOf(algField, c[`${of}_encrypted_response_alg`], ENCRYPTION_ALGS)
    const enc = v.optOneOf(`${at}.${of}_encrypted_response_enc`, c[`${of}_encrypted_response_enc`], ENCRYPTION_ENCS)
    if (alg === undefined) {
      if (enc !== undefined) throw new ConfigError(`${at}.${of}_encrypted_response_enc`, `needs ${of}_encrypted_response_alg`)
      return undefined
    }
    if (c.jwks === undefined && jwksUri === undefined) throw new ConfigError(algField, "needs the client's public keys in jwks or jwks_uri")
    // A jwks_uri is read when first needed; keys given here are checked now.
    if (c.jwks !== undefined && jwksUri === undefined && !encryptionJwk(c.jwks, alg)) {
      throw new ConfigError(`${at}.jwks`, `has no key for ${alg} encryption (${alg === 'RSA-OAEP-256' ? 'RSA' : 'EC P-256, P-384 or P-521'}, use 'enc' or none)`)
    }
    // OpenID Connect Registration 2: the default enc.
    return { alg, enc: enc ?? 'A128CBC-HS256' }
  }
  const idTokenEncryption = encryption('id_token')
  const userinfoEncryption = encryption('userinfo')
  const introspectionEncryption = encryption('introspection')
  const userinfoAlg = v.optOneOf(`${at}.userinfo_signed_response_alg`, c.userinfo_signed_response_alg, SIGNING_ALGS)
  const client: Client = {
    id,
    name: v.optString(`${at}.client_name`, c.client_name) ?? id,
    redirectUris,
    postLogoutRedirectUris,
    grantTypes: new Set(grantTypes),
    responseTypes: new Set(responseTypes),
    authMethod,
    eitherSecretMethod: chosenMethod === undefined && authMethod === 'client_secret_basic',
    isPublic,
    allowedScopes: new Set(allowed),
    defaultScopes,
    impliedConsent: v.optBool(`${at}.implied_consent`, c.implied_consent) ?? false,
    idTokenAlg: v.optOneOf(`${at}.id_token_signed_response_alg`, c.id_token_signed_response_alg, SIGNING_ALGS) ?? 'RS256',
    introspectionAlg: v.optOneOf(`${at}.introspection_signed_response_alg`, c.introspection_signed_response_alg, SIGNING_ALGS) ?? 'RS256',
    allowWildcardPorts: wildcardPorts,
    subjectType: v.optOneOf(`${at}.subject_type`, c.subject_type, ['public', 'pairwise'] as const) ?? 'public',
    requirePkce: isPublic || (v.optBool(`${at}.require_pkce`, c.require_pkce) ?? false),
    dpopBound: v.optBool(`${at}.dpop_bound_access_tokens`, c.dpop_bound_access_tokens) ?? false,
    requirePar: v.optBool(`${at}.require_pushed_authorization_requests`, c.require_pushed_authorization_requests) ?? false,
    requestUris,
    defaultAcrValues: v.optArray(`${at}.default_acr_values`, c.default_acr_values).map((a, i) => v.string(`${at}.default_acr_values[${i}]`, a)),
    certificateBound: v.optBool(`${at}.tls_client_certificate_bound_access_tokens`, c.tls_client_certificate_bound_access_tokens) ?? false,
    claimDescriptions: resolveClaimDescriptions(v, `${at}.claims`, c.claims),
    lifetimes: resolveLifetimes(v, at, c, realmLifetimes),
  }
  if (tlsSubject) client.tlsSubject = tlsSubject
  if (client.certificateBound && grantTypes.includes('implicit')) {
    // authorize answers a browser, which presents no client certificate: its tokens could not be bound.
    throw new ConfigError(`${at}.tls_client_certificate_bound_access_tokens`, 'cannot bind the tokens of the implicit grant: remove implicit from grant_types')
  }
  const description = v.optString(`${at}.description`, c.description)
  // Links the consent page shows: a registered client chooses them, so `javascript:` and the like are refused.
  const webUrl = (field: 'policy_uri' | 'logo_uri') => {
    const url = v.optString(`${at}.${field}`, c[field])
    if (url !== undefined && !(URL.canParse(url) && /^https?:$/.test(new URL(url).protocol))) {
      throw new ConfigError(`${at}.${field}`, 'must be an absolute http or https URL')
    }
    return url
  }
  const policyUri = webUrl('policy_uri')
  const logoUri = webUrl('logo_uri')
  const defaultMaxAge = v.optNumber(`${at}.default_max_age`, c.default_max_age, 0)
  const registrationToken = v.optString(`${at}.registration_access_token`, c.registration_access_token)
  if (registrationToken !== undefined && !/^[A-Za-z0-9\-._~+/]{16,}=*$/.test(registrationToken)) {
    throw new ConfigError(`${at}.registration_access_token`, 'must be at least 16 characters a Bearer header can carry (letters, digits, -._~+/)')
  }
  if (secret !== undefined) client.secret = secret
  if (registrationToken !== undefined) client.registrationAccessToken = registrationToken
  if (description !== undefined) client.description = description
  if (policyUri !== undefined) client.policyUri = policyUri
  if (logoUri !== undefined) client.logoUri = logoUri
  if (c.jwks !== undefined) client.jwks = c.jwks
  if (jwksUri !== undefined) client.jwksUri = jwksUri
  if (publicKeyPem !== undefined) client.publicKeyPem = publicKeyPem
  if (defaultMaxAge !== undefined) client.defaultMaxAge = defaultMaxAge
  if (requestObjectAlg !== undefined) client.requestObjectAlg = requestObjectAlg
  if (idTokenEncryption) client.idTokenEncryption = idTokenEncryption
  if (userinfoAlg !== undefined) client.userinfoAlg = userinfoAlg
  if (userinfoEncryption) client.userinfoEncryption = userinfoEncryption
  if (introspectionEncryption) client.introspectionEncryption = introspectionEncryption
  return client
}

/**
 * AM's "Claim(s)" entries: `claim`, `claim|description` or `claim|locale|description` (a
 * description may hold `|` itself, as AM splits at most twice). A bare claim is accepted and
 * adds no words. An empty description, which AM takes as "hide", is refused: a claim the
 * user releases is always shown (decisions/0067).
 */
function resolveClaimDescriptions(v: Validator, at: string, claims: unknown): ClaimDescription[] {
  const seen = new Set<string>()
  return v.optArray(at, claims).flatMap((entry, i): ClaimDescription[] => {
    const [claim = '', ...rest] = v.string(`${at}[${i}]`, entry).split('|')
    if (!/^\S+$/.test(claim)) v.refuse(`${at}[${i}]`, "must start with a claim name, such as 'name' or 'email'")
    if (rest.length === 0) return []
    const locale = rest.length > 1 ? rest.shift()!.replaceAll('_', '-').toLowerCase() : undefined
    const description = rest.join('|').trim()
    if (locale !== undefined && !/^[a-z]{2,8}(-[a-z0-9]{1,8})*$/.test(locale)) {
      v.refuse(`${at}[${i}]`, "has a locale that is not a language tag such as 'en', 'en_GB' or 'fr-CA'")
    }
    if (description === '') v.refuse(`${at}[${i}]`, `has an empty description: write '${claim}' alone to show the claim by its name`)
    const key = `${claim}|${locale ?? ''}`
    if (seen.has(key)) v.refuse(`${at}[${i}]`, `describes '${claim}' ${locale === undefined ? 'without a locale' : `for '${locale}'`} a second time`)
    seen.add(key)
    return [{ claim, ...(locale !== undefined && { locale }), description }]
  })
}

/** Why `client_session_uri` is refused (decisions/0064). */
const CLIENT_SESSION_URI_REFUSED =
  "is not supported: OpenID Connect Session Management's check_session_iframe reads the provider's session cookie from inside an iframe on the app's page, " +
  'which browsers now block as a third-party cookie, so it would report signed-in users as signed out. ' +
  'Remove it; to follow the session, renew silently with prompt=none (the SDKs do) and sign out through connect/endSession'

/**
 * RFC 8705 section 2.1.2: a `tls_client_auth` client names exactly one certificate field;
 * other methods name none, since nothing would read it.
 */
function resolveTlsSubject(v: Validator, at: string, c: ClientConfig, authMethod: string): Client['tlsSubject'] {
  const given = TLS_CLIENT_AUTH_FIELDS.filter((f) => c[f] !== undefined)
  if (authMethod !== 'tls_client_auth') {
    if (given.length > 0) throw new ConfigError(`${at}.${given[0]}`, "is read only with token_endpoint_auth_method 'tls_client_auth'")
    return undefined
  }
  if (given.length !== 1) {
    throw new ConfigError(`${at}.${given[1] ?? 'tls_client_auth_subject_dn'}`, `tls_client_auth needs exactly one of ${TLS_CLIENT_AUTH_FIELDS.join(', ')}`)
  }
  const field = given[0]!
  const value = v.string(`${at}.${field}`, c[field])
  if (field === 'tls_client_auth_san_ip') {
    const ip = canonicalIp(value)
    if (ip === undefined) throw new ConfigError(`${at}.${field}`, 'must be an IPv4 or IPv6 address such as 10.0.0.7 or 2001:db8::7')
    return { field, value: ip }
  }
  if (field !== 'tls_client_auth_subject_dn') return { field, value }
  try {
    return { field, value, dn: parseDn(value) }
  } catch (error) {
    throw new ConfigError(`${at}.${field}`, (error as Error).message)
  }
}
