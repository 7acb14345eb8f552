import {
  createLocalJWKSet,
  createRemoteJWKSet,
  customFetch,
  decodeJwt,
  decodeProtectedHeader,
  errors,
  importSPKI,
  importX509,
  jwtVerify,
  type JWTVerifyGetKey,
  type RemoteJWKSet,
} from 'jose'
import type { Context } from './context.js'
import { findClient } from './clients.js'
import { certificateMismatch, isCertificateMethod } from './mtls.js'
import { base64Decode, constantTimeEqual, secretKey } from '../base/crypto.js'
import { OAuthError } from '../base/errors.js'
import { formDecode, readForm, type Params } from '../base/http.js'
import { CLIENT_JWT_ALGS, type Client } from '../model/index.js'

const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'
export const ASSERTION_ALGS: string[] = [...CLIENT_JWT_ALGS]
const keyResolvers = new WeakMap<Client, JWTVerifyGetKey>()
const CLOCK_TOLERANCE_S = 5
const remoteSets = new WeakMap<Client, RemoteJWKSet>()

export interface ClientAuthOptions {
  /** Whether a public client (`none`) may call this endpoint; token endpoint yes, introspection no. */
  allowPublic: boolean
}

/**
 * The prologue of every back-channel endpoint (`access_token`, `par`, `device/code`,
 * `introspect`, `token/revoke`): reads the form body, runs `before` on it (for checks whose
 * errors come ahead of `invalid_client`, such as an unsupported `grant_type`), then
 * authenticates the client.
 */
export async function clientRequest<T = undefined>(
  ctx: Context,
  options: ClientAuthOptions,
  before?: (params: Params) => T,
): Promise<{ params: Params; client: Client; checked: T }> {
  const params = await readForm(ctx.request, ctx.rt.config.maxBodyBytes)
  const checked = before?.(params) as T
  const client = await authenticateClient(ctx, params, options)
  return { params, client, checked }
}

/**
 * Authenticates the client of a back-channel request with the one method it registered; a
 * request naming only `client_id` is a public client's or, with the connection's certificate,
 * an RFC 8705 client's.
 * Failures are `invalid_client`: 401 with a `Basic` challenge when a Basic header was
 * sent, 400 otherwise.
 */
export async function authenticateClient(ctx: Context, params: Params, options: ClientAuthOptions): Promise<Client> {
  const authorization = ctx.request.headers.get('authorization')
  const basic = authorization !== null && /^basic(?: |$)/i.test(authorization)
  const methods = [
    basic && 'client_secret_basic',
    params.has('client_assertion') || params.has('client_assertion_type') ? 'private_key_jwt' : false,
    params.has('client_secret') && 'client_secret_post',
  ].filter(Boolean)
  if (methods.length > 1) {
    throw new OAuthError('invalid_request', `Only one client authentication method may be used, got ${methods.join(', ')}`)
  }
  const fail = (description: string) =>
    new OAuthError(
      'invalid_client',
      description,
      basic ? 401 : 400,
      basic ? { 'www-authenticate': `Basic realm="${ctx.realm.path}"` } : {},
    )

  if (basic) {
    const { id, secret } = decodeBasic(authorization!.slice(6).trim(), fail)
    const bodyId = params.get('client_id')
    if (bodyId !== undefined && bodyId !== id) throw new OAuthError('invalid_request', 'client_id does not match the Authorization header')
    return checkSecret(ctx, id, secret, 'client_secret_basic', fail)
  }
  if (methods[0] === 'private_key_jwt') return verifyAssertion(ctx, params, fail)
  const id = params.get('client_id')
  if (id === undefined) throw fail('Client authentication is required')
  if (methods[0] === 'client_secret_post') return checkSecret(ctx, id, params.get('client_secret')!, 'client_secret_post', fail)

  const client = await findClient(ctx, id)
  if (!client) throw fail('Unknown client')
  if (isCertificateMethod(client.authMethod)) {
    const mismatch = await certificateMismatch(ctx, client)
    if (mismatch !== undefined) throw fail(mismatch)
    return client
  }
  if (client.authMethod !== 'none') throw fail(`This client must authenticate with ${client.authMethod}`)
  if (!options.allowPublic) throw fail('A public client cannot use this endpoint')
  return client
}

const UTF8 = new TextDecoder('utf-8', { fatal: true })

/**
 * RFC 6749 section 2.3.1: both parts are form-encoded before joining with `:`. Encoding a
 * character that needs none still works; a raw `:` in the secret, or a broken escape,
 * shows the client did not encode and fails.
 */
function decodeBasic(value: string, fail: (d: string) => OAuthError): { id: string; secret: string } {
  let decoded: string
  try {
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(value)) throw new Error()
    decoded = UTF8.decode(base64Decode(value))
  } catch {
    throw fail('The Basic credentials are not valid base64')
  }
  const colon = decoded.indexOf(':')
  if (colon === -1) throw fail('The Basic credentials have no ":" separator')
  const rawSecret = decoded.slice(colon + 1)
  if (rawSecret.includes(':')) throw fail('The client secret is not form-encoded (RFC 6749 section 2.3.1)')
  try {
    return { id: formDecode(decoded.slice(0, colon)), secret: formDecode(rawSecret) }
  } catch {
    throw fail('The Basic credentials are not form-encoded (RFC 6749 section 2.3.1)')
  }
}

async function checkSecret(
  ctx: Context,
  id: string,
  secret: string,
  method: 'client_secret_basic' | 'client_secret_post',
  fail: (d: string) => OAuthError,
): Promise<Client> {
  const client = await findClient(ctx, id)
  // An unknown or public client still costs one comparison, so timing does not tell which ids exist.
  const ok = client?.secretDigest !== undefined
    ? constantTimeEqual(client.secretDigest, await secretKey(secret))
    : constantTimeEqual(client?.secret ?? '\0no such client', secret)
  if (!client || (client.secret === undefined && client.secretDigest === undefined) || !ok) throw fail('Client authentication failed')
  if (client.authMethod !== method && !client.eitherSecretMethod) throw fail(`This client must authenticate with ${client.authMethod}`)
  return client
}

async function verifyAssertion(ctx: Context, params: Params, fail: (d: string) => OAuthError): Promise<Client> {
  if (params.get('client_assertion_type') !== JWT_BEARER) throw fail(`client_assertion_type must be ${JWT_BEARER}`)
  const assertion = params.get('client_assertion')
  if (!assertion) throw fail('client_assertion is missing')
  const claimedId = unverifiedSubject(assertion) ?? params.get('client_id')
  const client = claimedId === undefined ? undefined : await findClient(ctx, claimedId)
  if (!client) throw fail('Unknown client')
  if (client.authMethod !== 'private_key_jwt') throw fail(`This client must authenticate with ${client.authMethod}`)
  const bodyId = params.get('client_id')
  if (bodyId !== undefined && bodyId !== client.id) throw new OAuthError('invalid_request', 'client_id does not match the assertion')
  try {
    await verifyClientJwt(ctx, client, assertion, client.id)
  } catch (cause) {
    throw fail(`client_assertion ${(cause as Error).message}`)
  }
  return client
}

/**
 * Verifies a JWT the client signed with its registered key (`jwks`, `jwks_uri` or
 * `public_key_pem`): a `client_assertion` (RFC 7523 section 3, `sub` the client) or a JWT
 * bearer grant's `assertion` (section 2.1, `sub` a user). `iss` is the client, `aud` this
 * issuer or the endpoint, `exp` and `jti` are required, and the `jti` is spent, in the store,
 * so that no instance takes the JWT twice. Throws an Error whose message completes
 * "the assertion ...".
 */
export async function verifyClientJwt(ctx: Context, client: Client, jwt: string, subject?: string): Promise<Record<string, unknown>> {
  const requested = `${ctx.url.origin}${ctx.url.pathname}`
  const audiences = [ctx.issuer, `${ctx.issuer}/access_token`, requested, ctx.url.href]
  let payload: Record<string, unknown>
  try {
    ;({ payload } = await jwtVerify(jwt, keyResolver(ctx, client), {
      issuer: client.id,
      ...(subject !== undefined && { subject }),
      audience: audiences,
      algorithms: ASSERTION_ALGS,
      currentDate: new Date(ctx.rt.now()),
      clockTolerance: CLOCK_TOLERANCE_S,
      requiredClaims: ['exp', 'jti', 'sub'],
    }))
  } catch (cause) {
    throw new Error(`is not valid: ${cause instanceof errors.JWKSNoMatchingKey ? noKeyFor(jwt) : (cause as Error).message}`)
  }
  const exp = payload.exp as number
  // The jti is remembered until exp: an assertion good for a year would be a year-long
  // credential, and a year of replay entries in the store.
  const limit = ctx.rt.config.maxClientAssertionLifetime
  if (exp - ctx.nowSec > limit) throw new Error(`expires too far ahead: exp may be at most ${limit} s from now`)
  if (typeof payload.iat === 'number' && payload.iat > ctx.nowSec + CLOCK_TOLERANCE_S) throw new Error('is issued in the future (iat)')
  if (typeof payload.jti !== 'string' || payload.jti === '') throw new Error('has no jti string')
  // One namespace per client for both uses: a jti spent as client authentication is spent as a grant too.
  const fresh = await ctx.rt.store.insert('ReplayDetection', await secretKey(`${client.id}\n${payload.jti}`), {}, (exp + CLOCK_TOLERANCE_S) * 1000)
  if (!fresh) throw new Error('was already used (jti replay)')
  return payload
}

/**
 * jose's "no applicable key found in the JSON Web Key Set" leaves a client guessing; the usual
 * cause is a `kid` that differs from the registered key's (a key loaded from PEM gets its
 * thumbprint as `kid`), so the answer names the header the keys were matched against.
 */
function noKeyFor(jwt: string): string {
  // jwtVerify parsed this header before it looked for a key.
  const header = decodeProtectedHeader(jwt)
  // Echoed only when it fits RFC 6749's error_description characters (no quote, no backslash).
  const kid = typeof header.kid !== 'string' ? 'no kid' : /^[\x20\x21\x23-\x5B\x5D-\x7E]{1,100}$/.test(header.kid) ? `kid ${header.kid}` : 'its kid'
  return `no key registered for the client matches its header (${kid}, alg ${String(header.alg)})`
}

function unverifiedSubject(jwt: string): string | undefined {
  try {
    const { sub } = decodeJwt(jwt)
    return typeof sub === 'string' ? sub : undefined
  } catch {
    return undefined
  }
}

/**
 * The client's `jwks_uri`, fetched and cached once for both of its uses: verifying its
 * assertions, and encrypting what is sent to it.
 */
export function remoteJwks(ctx: Context, client: Client): RemoteJWKSet {
  let set = remoteSets.get(client)
  if (!set) {
    set = createRemoteJWKSet(new URL(client.jwksUri!), {
      [customFetch]: (url: string, init: RequestInit) => ctx.rt.fetch(url, init),
      cooldownDuration: 60_000,
      timeoutDuration: 5_000,
    })
    remoteSets.set(client, set)
  }
  return set
}

/**
 * The client's public keys (`jwks`, `jwks_uri` or `public_key_pem`), one resolver per client:
 * client assertions and request objects are checked against the same keys.
 */
export function keyResolver(ctx: Context, client: Client): JWTVerifyGetKey {
  let resolver = keyResolvers.get(client)
  if (resolver) return resolver
  if (client.jwks) {
    resolver = createLocalJWKSet(client.jwks as Parameters<typeof createLocalJWKSet>[0])
  } else if (client.jwksUri) {
    resolver = remoteJwks(ctx, client)
  } else {
    const pem = client.publicKeyPem!
    const keys = new Map<string, Promise<CryptoKey>>()
    resolver = (header) => {
      const alg = header.alg
      let key = keys.get(alg)
      if (!key) {
        key = pem.includes('BEGIN CERTIFICATE') ? importX509(pem, alg) : importSPKI(pem, alg)
        keys.set(alg, key)
      }
      return key
    }
  }
  keyResolvers.set(client, resolver)
  return resolver
}
