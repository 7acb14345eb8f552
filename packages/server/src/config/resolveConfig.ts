import type { ProviderConfig } from './config.js'
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
  type Realm,
  type RealmConfig,
  type RealmSettings,
  type ResolvedConfig,
  type ResolvedLifetimes,
  type User,
  type UserConfig,
  SUPPORTED_CLAIMS,
} from '../model/index.js'
import { MIN_SECRET_LENGTH, encryptionJwk, signingJwkAlg } from '../keys/index.js'
import { base32Decode } from '../base/totp.js'
import { resolveJourneys } from './resolveJourneys.js'
import { Validator } from './Validator.js'
import { splitPortPattern } from '../base/redirectUri.js'
import { LOOPBACK_HOSTS } from '../base/http.js'
import { canonicalIp, parseDn } from '../base/x509.js'

type Fields<T> = Record<keyof Required<T>, true>

const LIFETIME_FIELDS: Fields<Lifetimes> = {
  access_token_lifetime: true, refresh_token_lifetime: true, authorization_code_lifetime: true, id_token_lifetime: true,
}
const PROVIDER_FIELDS: Fields<ProviderConfig> = {
  base_path: true, origin: true, realms: true, keys: true, cookie_name: true, max_body_bytes: true, clock: true,
  fetch: true, store: true, store_timeout_ms: true, max_client_assertion_lifetime: true, key_encryption_secret: true,
  pairwise_subject_salt: true, key_refresh_seconds: true, key_rotation_seconds: true, key_publish_ahead_seconds: true,
  request_uri_timeout_ms: true,
}
const REALM_FIELDS: Fields<RealmConfig> = {
  ...LIFETIME_FIELDS, name: true, device_code_lifetime: true, device_poll_interval: true, issue_refresh_tokens: true,
  issue_refresh_tokens_on_refresh: true, refresh_token_reuse_detection: true, access_token_signing_alg: true,
  allow_implied_consent: true, authorization_response_iss: true, allow_dynamic_registration: true,
  registration_limit: true, require_pushed_authorization_requests: true, par_lifetime: true, dpop_nonce: true,
  journeys: true, cors_origins: true, clients: true, users: true, always_return_claims_in_id_tokens: true,
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
const USER_FIELDS: Fields<UserConfig> = {
  username: true, password: true, sub: true, name: true, given_name: true, family_name: true, middle_name: true,
  nickname: true, preferred_username: true, profile: true, picture: true, website: true, gender: true,
  birthdate: true, zoneinfo: true, locale: true, updated_at: true, email: true, email_verified: true, claims: true,
  phone_number: true, phone_number_verified: true, address: true, totp_secret: true,
}

const DEFAULT_LIFETIMES: ResolvedLifetimes = { accessToken: 3600, refreshToken: 604800, code: 120, idToken: 3600 }

/** Validates a provider config and fills in AM's defaults; throws {@link ConfigError}. */
export function resolveConfig(config: ProviderConfig): ResolvedConfig {
  const v = new Validator()
  if (typeof config !== 'object' || config === null) throw new ConfigError('(root)', 'must be an object')
  v.fields('', config, PROVIDER_FIELDS)
  const basePath = config.base_path === '' ? '' : (v.optString('base_path', config.base_path) ?? '')
  if (basePath !== '' && !/^(\/[A-Za-z0-9._~-]+)+$/.test(basePath)) {
    throw new ConfigError('base_path', "must be '' or a path such as '/am' with no trailing slash")
  }
  const origin = v.optString('origin', config.origin)
  if (origin !== undefined && (!URL.canParse(origin) || new URL(origin).origin !== origin)) {
    throw new ConfigError('origin', 'must be an origin such as http://localhost:9000')
  }
  if (!Array.isArray(config.realms) || config.realms.length === 0) {
    throw new ConfigError('realms', 'must be a non-empty array')
  }
  const realms = new Map<string, Realm>()
  config.realms.forEach((r, i) => {
    const realm = resolveRealm(v, `realms[${i}]`, r)
    if (realms.has(realm.path)) throw new ConfigError(`realms[${i}].name`, `realm '${realm.path}' is defined twice`)
    realms.set(realm.path, realm)
  })
  if (config.keys !== undefined && !Array.isArray(config.keys)) throw new ConfigError('keys', 'must be an array of JWKs')
  config.keys?.forEach((jwk, i) => signingJwkAlg(jwk, `keys[${i}]`))
  const keyEncryptionSecret = v.optString('key_encryption_secret', config.key_encryption_secret)
  if (keyEncryptionSecret !== undefined && keyEncryptionSecret.length < MIN_SECRET_LENGTH) {
    throw new ConfigError('key_encryption_secret', `must be at least ${MIN_SECRET_LENGTH} characters`)
  }
  const maxBodyBytes = v.optNumber('max_body_bytes', config.max_body_bytes, 1024) ?? 65536
  const cookieName = v.optString('cookie_name', config.cookie_name) ?? 'iPlanetDirectoryPro'
  // It names the cookie and the header a cookieless client sends the SSO token in (and CORS allows).
  if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(cookieName)) {
    throw new ConfigError('cookie_name', "must be an HTTP token (letters, digits and !#$%&'*+-.^_`|~): it names the session cookie and a request header")
  }
  return {
    basePath,
    ...(origin !== undefined && { origin }),
    cookieName,
    maxBodyBytes,
    storeTimeoutMs: v.optNumber('store_timeout_ms', config.store_timeout_ms, 1) ?? 5000,
    maxClientAssertionLifetime: v.optNumber('max_client_assertion_lifetime', config.max_client_assertion_lifetime, 1) ?? 300,
    requestUriTimeoutMs: v.optNumber('request_uri_timeout_ms', config.request_uri_timeout_ms, 1) ?? 5000,
    realms,
    ...(keyEncryptionSecret !== undefined && { keyEncryptionSecret }),
    ...(config.pairwise_subject_salt !== undefined && { pairwiseSubjectSalt: v.string('pairwise_subject_salt', config.pairwise_subject_salt) }),
    keyRefreshMs: (v.optNumber('key_refresh_seconds', config.key_refresh_seconds, 1) ?? 5) * 1000,
    keyRotationMs: (v.optNumber('key_rotation_seconds', config.key_rotation_seconds, 0) ?? 0) * 1000,
    keyPublishAheadMs: (v.optNumber('key_publish_ahead_seconds', config.key_publish_ahead_seconds, 0) ?? 600) * 1000,
  }
}

function resolveLifetimes(v: Validator, at: string, l: Lifetimes, base: ResolvedLifetimes): ResolvedLifetimes {
  return {
    accessToken: v.optNumber(`${at}.access_token_lifetime`, l.access_token_lifetime, 0) ?? base.accessToken,
    refreshToken: v.optNumber(`${at}.refresh_token_lifetime`, l.refresh_token_lifetime, -1) ?? base.refreshToken,
    code: v.optNumber(`${at}.authorization_code_lifetime`, l.authorization_code_lifetime, 1) ?? base.code,
    idToken: v.optNumber(`${at}.id_token_lifetime`, l.id_token_lifetime, 1) ?? base.idToken,
  }
}

function resolveRealm(v: Validator, at: string, r: RealmConfig): Realm {
  v.object(at, r)
  v.fields(at, r, REALM_FIELDS)
  const name = v.string(`${at}.name`, r.name)
  const segments = name.split('/').filter(Boolean)
  if (segments.some((s) => !/^[A-Za-z0-9._-]+$/.test(s) || s === 'realms' || s === 'root')) {
    throw new ConfigError(`${at}.name`, "must be '/' or realm names such as 'alpha' or 'alpha/beta'")
  }
  const lifetimes = resolveLifetimes(v, at, r, DEFAULT_LIFETIMES)
  const settings: RealmSettings = {
    lifetimes,
    deviceCodeLifetime: v.optNumber(`${at}.device_code_lifetime`, r.device_code_lifetime, 1) ?? 300,
    devicePollInterval: v.optNumber(`${at}.device_poll_interval`, r.device_poll_interval, 0) ?? 5,
    issueRefreshTokens: v.optBool(`${at}.issue_refresh_tokens`, r.issue_refresh_tokens) ?? true,
    rotateRefreshTokens: v.optBool(`${at}.issue_refresh_tokens_on_refresh`, r.issue_refresh_tokens_on_refresh) ?? true,
    reuseDetection: v.optOneOf(`${at}.refresh_token_reuse_detection`, r.refresh_token_reuse_detection, ['all', 'public', 'none'] as const) ?? 'public',
    accessTokenAlg: v.optOneOf(`${at}.access_token_signing_alg`, r.access_token_signing_alg, SIGNING_ALGS) ?? 'RS256',
    allowImpliedConsent: v.optBool(`${at}.allow_implied_consent`, r.allow_implied_consent) ?? false,
    responseIss: v.optBool(`${at}.authorization_response_iss`, r.authorization_response_iss) ?? true,
    allowDynamicRegistration: v.optBool(`${at}.allow_dynamic_registration`, r.allow_dynamic_registration) ?? false,
    registrationLimit: v.optNumber(`${at}.registration_limit`, r.registration_limit, 0) ?? 1000,
    requirePar: v.optBool(`${at}.require_pushed_authorization_requests`, r.require_pushed_authorization_requests) ?? false,
    parLifetime: v.optNumber(`${at}.par_lifetime`, r.par_lifetime, 1) ?? 60,
    dpopNonce: v.optBool(`${at}.dpop_nonce`, r.dpop_nonce) ?? false,
    alwaysReturnClaims: v.optBool(`${at}.always_return_claims_in_id_tokens`, r.always_return_claims_in_id_tokens) ?? false,
  }
  const clients = new Map<string, Client>()
  v.optArray(`${at}.clients`, r.clients).forEach((c, i) => {
    const client = resolveClient(v, `${at}.clients[${i}]`, c as ClientConfig, lifetimes)
    if (clients.has(client.id)) throw new ConfigError(`${at}.clients[${i}].client_id`, `'${client.id}' is defined twice`)
    clients.set(client.id, client)
  })
  const users = new Map<string, User>()
  v.optArray(`${at}.users`, r.users).forEach((u, i) => {
    const user = resolveUser(v, `${at}.users[${i}]`, u as UserConfig)
    if (users.has(user.username)) throw new ConfigError(`${at}.users[${i}].username`, `'${user.username}' is defined twice`)
    users.set(user.username, user)
  })
  const journeys = resolveJourneys(v, `${at}.journeys`, r.journeys)
  const corsOrigins = v.optArray(`${at}.cors_origins`, r.cors_origins).map((o, i) => {
    const origin = v.string(`${at}.cors_origins[${i}]`, o)
    if (!URL.canParse(origin) || new URL(origin).origin !== origin) throw new ConfigError(`${at}.cors_origins[${i}]`, 'must be an origin such as https://app.example.com')
    return origin
  })
  return { path: '/' + segments.join('/'), segments, settings, clients, users, journeys, corsOrigins }
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
  const policyUri = v.optString(`${at}.policy_uri`, c.policy_uri)
  const logoUri = v.optString(`${at}.logo_uri`, c.logo_uri)
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

const USER_STRING_CLAIMS = [
  'sub', 'name', 'given_name', 'family_name', 'middle_name', 'nickname', 'preferred_username', 'profile',
  'picture', 'website', 'gender', 'birthdate', 'zoneinfo', 'locale', 'email', 'phone_number',
] as const

function resolveUser(v: Validator, at: string, u: UserConfig): User {
  v.object(at, u)
  v.fields(at, u, USER_FIELDS)
  const username = v.string(`${at}.username`, u.username)
  const password = v.string(`${at}.password`, u.password)
  for (const claim of USER_STRING_CLAIMS) v.optString(`${at}.${claim}`, u[claim])
  v.optBool(`${at}.email_verified`, u.email_verified)
  v.optBool(`${at}.phone_number_verified`, u.phone_number_verified)
  v.optNumber(`${at}.updated_at`, u.updated_at, 0)
  if (v.optString(`${at}.totp_secret`, u.totp_secret) !== undefined && !base32Decode(u.totp_secret!)) {
    throw new ConfigError(`${at}.totp_secret`, 'must be a base32 secret such as JBSWY3DPEHPK3PXP')
  }
  if (u.address !== undefined && (typeof u.address !== 'object' || u.address === null)) {
    throw new ConfigError(`${at}.address`, 'must be an object of address claims')
  }
  if (u.claims !== undefined) {
    v.object(`${at}.claims`, u.claims)
    for (const name of Object.keys(u.claims)) {
      if (RESERVED_CLAIMS.has(name)) throw new ConfigError(`${at}.claims.${name}`, 'is a standard or token claim: set it as a user field, or pick another name')
    }
  }
  return { ...u, username, password, sub: u.sub ?? username }
}

/** Claims the provider sets itself: a user's custom claim may not shadow one. */
const RESERVED_CLAIMS = new Set([
  ...SUPPORTED_CLAIMS, 'jti', 'nbf', 'scope', 'client_id', 'cnf', 'token_type', 'tokenName', 'tokenType', 'grant_type', 'authGrantId',
  'redirect_uri', 'refresh_token_id', 's_hash', 'sid', 'auditTrackingId', 'subname',
])
