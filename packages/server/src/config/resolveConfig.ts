import type { ProviderConfig } from './config.js'
import { ConfigError } from '../base/errors.js'
import {
  SIGNING_ALGS,
  type Client,
  type ClientConfig,
  type Realm,
  type RealmConfig,
  type RealmSettings,
  type ResolvedConfig,
  type ResolvedLifetimes,
  type User,
  type UserConfig,
  SUPPORTED_CLAIMS,
} from '../model/index.js'
import { MIN_SECRET_LENGTH, signingJwkAlg } from '../keys/index.js'
import { base32Decode } from '../base/totp.js'
import { resolveJourneys } from './resolveJourneys.js'
import { Validator } from './Validator.js'
import { LIFETIME_FIELDS, resolveClient, resolveLifetimes, type Fields } from './resolveClient.js'

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
    // At least 1: strict clients (openid-client) refuse `interval: 0` in the device answer (decision 0080).
    devicePollInterval: v.optNumber(`${at}.device_poll_interval`, r.device_poll_interval, 1) ?? 5,
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
