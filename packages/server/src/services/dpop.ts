import { EmbeddedJWK, calculateJwkThumbprint, decodeProtectedHeader, errors, jwtVerify, type JWK } from 'jose'
import { isProviderOrigin, type Context } from './context.js'
import { base64url, constantTimeEqual, secretKey, sha256 } from '../base/crypto.js'
import { OAuthError } from '../base/errors.js'
import type { HttpRequest } from '../base/http.js'

/**
 * Algorithms a DPoP proof may be signed with (discovery's `dpop_signing_alg_values_supported`):
 * the asymmetric JWS algorithms jose verifies through WebCrypto. Never `none` or an HMAC:
 * a proof must show possession of a private key the server never sees (RFC 9449 section 4.3).
 */
export const DPOP_ALGS = ['ES256', 'ES384', 'ES512', 'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'EdDSA', 'Ed25519']

/**
 * Seconds a proof's `iat` may be from the verifier's clock, either way (RFC 9449 section
 * 11.1 leaves it to the server). Clients sign just before sending, so a minute covers transit
 * and moderate clock skew, and bounds how long a `jti` must be remembered. The resource
 * server's check (@realmauth/node checkDPoPProof.ts) uses the same name and value; a test holds them equal.
 */
export const DPOP_IAT_WINDOW_SECONDS = 60
/**
 * Longest `jti` accepted. Generators send 22 to 43 characters (16 or 32 random bytes,
 * base64url; a UUID is 36); the cap bounds what a replay-cache entry costs. Same in node.
 */
export const DPOP_JTI_MAX_LENGTH = 256
/** Nonces rotate on this period; the current and the previous one are accepted. */
const NONCE_PERIOD_MS = 5 * 60_000
/** JWK members that carry private key material (RFC 7518 section 6, RFC 8037). */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k', 'priv']

/**
 * The proof of a request that passed every check: its key's RFC 7638 thumbprint.
 */
export interface DPoPProof {
  jkt: string
}

/**
 * Where a proof was presented: the authorization server answers 400 with a JSON error
 * (RFC 9449 section 5), a resource 401 with a `DPoP` challenge (section 7.1).
 */
export type DPoPEndpoint = 'token' | 'resource'

type DPoPErrorCode = 'invalid_dpop_proof' | 'use_dpop_nonce' | 'invalid_token'

/**
 * `DPoP error="…", error_description="…", algs="…"` for `WWW-Authenticate` (RFC 9449 section 7.1).
 */
export function dpopChallenge(error: DPoPErrorCode, description: string): string {
  // A header value must stay printable ASCII, and a quoted-string must not be closed early.
  const safe = description.replace(/[^\x20-\x7e]|["\\]/g, '?')
  return `DPoP error="${error}", error_description="${safe}", algs="${DPOP_ALGS.join(' ')}"`
}

/**
 * The error for a refused proof or token, shaped for where it was presented.
 */
export function dpopFailure(where: DPoPEndpoint, error: DPoPErrorCode, description: string, nonce?: string): OAuthError {
  const headers: Record<string, string> = nonce === undefined ? {} : { 'dpop-nonce': nonce }
  if (where === 'resource') {
    headers['www-authenticate'] = dpopChallenge(error, description)
    return new OAuthError(error, description, 401, headers)
  }
  return new OAuthError(error, description, 400, headers)
}

/**
 * The request's `DPoP` header, or undefined when there is none. Fetch joins repeated fields
 * with `", "`, which a compact JWS never contains, so two headers show as a comma.
 */
export function dpopProofHeader(request: HttpRequest, where: DPoPEndpoint): string | undefined {
  const value = request.headers.get('dpop')
  if (value === null) return undefined
  if (value.includes(',')) throw dpopFailure(where, 'invalid_dpop_proof', 'Exactly one DPoP header is allowed')
  return value.trim()
}

/**
 * Checks a DPoP proof as RFC 9449 section 4.3 lists: a `dpop+jwt` signed with an allowed
 * asymmetric algorithm by the public key in its `jwk` header, for this request's method and
 * URL, issued within a minute of the provider's clock, never seen before (its `jti` is kept
 * as long as the proof could be accepted), with `ath` for `accessToken` at a resource, and
 * with a current nonce when the realm asks for one. Key binding is the caller's to check.
 */
export async function verifyDPoPProof(
  ctx: Context,
  proof: string,
  options: { where: DPoPEndpoint; accessToken?: string; requireNonce: boolean },
): Promise<DPoPProof> {
  const fail = (description: string) => dpopFailure(options.where, 'invalid_dpop_proof', description)
  if (proof.split('.').length !== 3) throw fail('The DPoP proof is not a compact JWS')
  let header: Record<string, unknown>
  try {
    header = decodeProtectedHeader(proof) as Record<string, unknown>
  } catch {
    throw fail('The DPoP proof header is not valid base64url JSON')
  }
  // Media types compare case-insensitively, and RFC 7515 section 4.1.9 lets "application/" go.
  if (typeof header.typ !== 'string' || header.typ.toLowerCase().replace(/^application\//, '') !== 'dpop+jwt') {
    throw fail('The DPoP proof typ must be dpop+jwt')
  }
  if (typeof header.alg !== 'string' || !DPOP_ALGS.includes(header.alg)) {
    throw fail(`The DPoP proof alg must be one of ${DPOP_ALGS.join(', ')}`)
  }
  const jwk = header.jwk
  if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk)) throw fail('The DPoP proof has no jwk header')
  if (PRIVATE_MEMBERS.some((m) => Object.hasOwn(jwk, m))) throw fail('The DPoP proof jwk contains private key material')

  let payload: Record<string, unknown>
  try {
    ;({ payload } = await jwtVerify(proof, EmbeddedJWK, {
      algorithms: DPOP_ALGS,
      typ: 'dpop+jwt',
      currentDate: new Date(ctx.rt.now()),
      clockTolerance: DPOP_IAT_WINDOW_SECONDS,
    }))
  } catch (cause) {
    // Anything jose refuses (a key that does not fit alg, a short RSA key, crit, exp) is the proof's fault.
    if (cause instanceof errors.JWSSignatureVerificationFailed) throw fail('The DPoP proof signature does not verify with its jwk')
    throw fail(`The DPoP proof is not valid: ${cause instanceof Error ? cause.message : 'unreadable'}`)
  }
  const { jti, htm, htu, iat, ath, nonce } = payload
  if (typeof jti !== 'string' || jti === '' || jti.length > DPOP_JTI_MAX_LENGTH) throw fail('The DPoP proof needs a jti')
  if (htm !== ctx.request.method) throw fail(`The DPoP proof htm must be ${ctx.request.method}`)
  if (typeof htu !== 'string' || !htuMatches(ctx, htu)) {
    throw fail(`The DPoP proof htu must be ${ctx.url.origin}${ctx.url.pathname}, the URL this request was sent to`)
  }
  if (typeof iat !== 'number' || !Number.isFinite(iat)) throw fail('The DPoP proof needs a numeric iat')
  const now = ctx.rt.now() / 1000
  if (iat < now - DPOP_IAT_WINDOW_SECONDS) throw fail('The DPoP proof is too old (iat)')
  if (iat > now + DPOP_IAT_WINDOW_SECONDS) throw fail('The DPoP proof is issued in the future (iat)')
  if (options.accessToken !== undefined) {
    if (ath === undefined) throw fail('The DPoP proof needs ath, the hash of the access token')
    if (ath !== base64url(await sha256(options.accessToken))) throw fail('The DPoP proof ath does not match the access token')
  }
  if (options.requireNonce && !(typeof nonce === 'string' && (await nonceIsCurrent(ctx, nonce)))) {
    const description =
      nonce === undefined
        ? `${options.where === 'token' ? 'Authorization' : 'Resource'} server requires nonce in DPoP proof`
        : 'The DPoP proof nonce is stale; use the one in the DPoP-Nonce header'
    throw dpopFailure(options.where, 'use_dpop_nonce', description, await currentDPoPNonce(ctx))
  }
  let jkt: string
  try {
    jkt = await calculateJwkThumbprint(jwk as JWK, 'sha256')
  } catch {
    throw fail('The DPoP proof jwk has no thumbprint')
  }
  // Past iat + window the proof is refused as too old, so the record may go then.
  const fresh = await ctx.rt.store.insert('ReplayDetection', await secretKey(`dpop ${jkt}\n${jti}`), {}, Math.ceil((iat + DPOP_IAT_WINDOW_SECONDS + 1) * 1000))
  if (!fresh) throw fail('The DPoP proof was already used (jti replay)')
  return { jkt }
}

/**
 * RFC 9449 section 4.3 step 9: the URL the request was sent to, without query and fragment,
 * compared after URL normalisation (scheme and host lowercase, default port dropped, dot
 * segments resolved). Behind a proxy that is the configured public `origin`.
 */
function htuMatches(ctx: Context, htu: string): boolean {
  if (!URL.canParse(htu)) return false
  const u = new URL(htu)
  if (u.username !== '' || u.password !== '' || u.pathname !== ctx.url.pathname) return false
  return isProviderOrigin(ctx, u.origin)
}

/** HMAC keys per signing key: instances given the same keys issue and accept the same nonces. */
const nonceKeys = new WeakMap<object, Promise<CryptoKey>>()

async function nonceFor(ctx: Context, period: number): Promise<string> {
  const signing = ctx.rt.keys.signingKey('RS256')
  let key = nonceKeys.get(signing)
  if (!key) {
    key = sha256(`realmauth DPoP nonce\n${String(signing.privateJwk.d)}`).then((secret) =>
      crypto.subtle.importKey('raw', secret, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']),
    )
    nonceKeys.set(signing, key)
  }
  const mac = await crypto.subtle.sign('HMAC', await key, new TextEncoder().encode(`${ctx.realm.path}\n${period}`))
  return base64url(new Uint8Array(mac).subarray(0, 24))
}

/**
 * The nonce to hand out now (RFC 9449 section 8): an HMAC of the rotation period under a
 * secret derived from the provider's key, so nothing is stored and nobody else can mint one.
 */
export async function currentDPoPNonce(ctx: Context): Promise<string> {
  return nonceFor(ctx, Math.floor(ctx.rt.now() / NONCE_PERIOD_MS))
}

async function nonceIsCurrent(ctx: Context, nonce: string): Promise<boolean> {
  const period = Math.floor(ctx.rt.now() / NONCE_PERIOD_MS)
  for (const p of [period, period - 1]) if (constantTimeEqual(await nonceFor(ctx, p), nonce)) return true
  return false
}

/**
 * `DPoP-Nonce` for a response when the realm requires nonces, so clients keep the latest.
 */
export async function dpopNonceHeaders(ctx: Context): Promise<Record<string, string>> {
  return ctx.realm.settings.dpopNonce ? { 'dpop-nonce': await currentDPoPNonce(ctx) } : {}
}
