import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import { EmbeddedJWK, base64url, calculateJwkThumbprint, errors, jwtVerify } from 'jose'

/**
 * Seconds a proof's `iat` may be from this server's clock: ahead always, behind by default
 * (`maxAge`). The provider's check (@realmauth/server dpop.ts) uses the same name and value,
 * so a proof one accepts the other does too; see there for why a minute.
 */
export const DPOP_IAT_WINDOW_SECONDS = 60
/** Longest `jti` accepted, as at the provider (see there). */
export const DPOP_JTI_MAX_LENGTH = 256

/**
 * Remembers DPoP proof `jti`s until they are too old to be accepted anyway. The default
 * lives in one process; several instances behind one address need a shared one (Redis
 * `SET key 1 NX PXAT expiresAt` is the whole implementation).
 *
 * @example
 * ```ts
 * const replay: DPoPReplayCache = { add: async (key, expiresAt) => (await redis.set(key, '1', { NX: true, PXAT: expiresAt })) === 'OK' }
 * ```
 */
export interface DPoPReplayCache {
  /** Stores `key` until `expiresAt` (ms); false when it was already there. */
  add(key: string, expiresAt: number): boolean | Promise<boolean>
}

/**
 * The request a proof must match.
 *
 * @example
 * ```ts
 * const request: DPoPRequest = { proof: req.headers.dpop as string, method: req.method!, url: `https://api.example.com${req.url}` }
 * ```
 */
export interface DPoPRequest {
  /** The proof, the request's `DPoP` header. */
  proof: string
  method: string
  /** The URL the client sent the request to (behind a proxy: the public one). */
  url: string | URL
}

export interface DPoPCheck {
  accessToken: string
  /** The token's `cnf.jkt`. */
  jkt: string
  now: number
  /** Seconds a proof stays acceptable after its `iat`. */
  maxAge: number
  algorithms: string[]
  replay: DPoPReplayCache
  nonces?: DPoPNonces
}

/**
 * Server-issued DPoP nonces (RFC 9449 section 9): a proof must carry one that `isValid`
 * accepts, or the request is answered `use_dpop_nonce` with `current()` to retry with.
 *
 * @example
 * ```ts
 * const verifier = createAccessTokenVerifier({ issuer, audience: 'orders-api', dpop: { nonces: dpopNonces() } })
 * ```
 */
export interface DPoPNonces {
  current(): string
  isValid(nonce: string): boolean
}

/**
 * Stateless nonces: an HMAC of the current time window, accepted for this window and the
 * previous one. Instances given the same `secret` agree without sharing state.
 *
 * @example
 * ```ts
 * const nonces = dpopNonces({ secret: Buffer.from(process.env.DPOP_NONCE_SECRET!, 'base64'), periodSeconds: 300 })
 * ```
 */
export function dpopNonces(options: { secret?: Uint8Array; periodSeconds?: number; clock?: () => number } = {}): DPoPNonces {
  const secret = options.secret ?? randomBytes(32)
  const period = (options.periodSeconds ?? 300) * 1000
  const clock = options.clock ?? Date.now
  const at = (window: number) => createHmac('sha256', secret).update(`dpop-nonce:${window}`).digest('base64url')
  return {
    current: () => at(Math.floor(clock() / period)),
    isValid(nonce) {
      const window = Math.floor(clock() / period)
      const given = Buffer.from(nonce)
      return [window, window - 1].some((w) => {
        const expected = Buffer.from(at(w))
        return expected.length === given.length && timingSafeEqual(expected, given)
      })
    },
  }
}

/**
 * RFC 9449 section 4.3 and 7.1 at a resource server: the proof is a `dpop+jwt` signed by
 * the public key in its header, for this method and URL, recent, never seen before, for
 * this access token (`ath`), and by the key the token is bound to. Returns a reason on failure.
 */
export async function checkDPoPProof(request: DPoPRequest, check: DPoPCheck): Promise<string | { nonce: string } | undefined> {
  let payload: Record<string, unknown>
  let jwk: Record<string, unknown>
  try {
    const result = await jwtVerify(request.proof, EmbeddedJWK, { typ: 'dpop+jwt', algorithms: check.algorithms })
    payload = result.payload as Record<string, unknown>
    jwk = result.protectedHeader.jwk as Record<string, unknown>
  } catch (err) {
    if (err instanceof errors.JOSEAlgNotAllowed) return 'The DPoP proof uses an algorithm that is not allowed'
    if (err instanceof errors.JWTClaimValidationFailed && err.claim === 'typ') return "The DPoP proof's typ is not dpop+jwt"
    if (err instanceof errors.JWSSignatureVerificationFailed) return "The DPoP proof's signature is not valid"
    return 'The DPoP proof is malformed'
  }
  if (typeof payload.jti !== 'string' || payload.jti.length === 0 || payload.jti.length > DPOP_JTI_MAX_LENGTH) return 'The DPoP proof has no valid jti'
  if (payload.htm !== request.method.toUpperCase()) return 'The DPoP proof is for another HTTP method'
  if (typeof payload.htu !== 'string' || !sameTarget(payload.htu, request.url)) return 'The DPoP proof is for another URL'
  const nowSec = check.now / 1000
  if (typeof payload.iat !== 'number') return 'The DPoP proof has no iat'
  if (payload.iat > nowSec + DPOP_IAT_WINDOW_SECONDS) return 'The DPoP proof is from the future'
  if (payload.iat < nowSec - check.maxAge) return 'The DPoP proof is too old'
  const ath = base64url.encode(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(check.accessToken))))
  if (payload.ath !== ath) return 'The DPoP proof is not for this access token (ath)'
  if ((await calculateJwkThumbprint(jwk as Parameters<typeof calculateJwkThumbprint>[0], 'sha256')) !== check.jkt) {
    return 'The DPoP proof is signed by another key than the one the token is bound to'
  }
  if (check.nonces && (typeof payload.nonce !== 'string' || !check.nonces.isValid(payload.nonce))) {
    return { nonce: payload.nonce === undefined ? 'The DPoP proof carries no nonce' : 'The DPoP proof carries a stale nonce' }
  }
  const until = (payload.iat + check.maxAge + 1) * 1000
  if (!(await check.replay.add(`${check.jkt}:${payload.jti}`, until))) return 'The DPoP proof was used before'
  return undefined
}

/**
 * RFC 9449 4.3 step 9: compare without query and fragment, after RFC 3986 6.2.2 and 6.2.3
 * normalisation: scheme, host and default port by the URL parser, and in the path, the case
 * of percent-encodings and unreserved characters encoded or not (`%7e` is `~`, `%2f` is `%2F`,
 * neither is `/`).
 */
function sameTarget(htu: string, url: string | URL): boolean {
  if (!URL.canParse(htu)) return false
  const a = new URL(htu)
  const b = new URL(url)
  return a.origin === b.origin && normalisedPath(a.pathname) === normalisedPath(b.pathname)
}

function normalisedPath(path: string): string {
  if (!path.includes('%')) return path
  return path.replace(/%[0-9A-Fa-f]{2}/g, (escape) => {
    const char = String.fromCharCode(parseInt(escape.slice(1), 16))
    return /^[A-Za-z0-9\-._~]$/.test(char) ? char : escape.toUpperCase()
  })
}

/**
 * A replay cache in this process, bounded: past `limit` entries the oldest go first, which can
 * only shorten how long a jti is remembered, so keep proofs' `maxAge` short.
 *
 * @example
 * ```ts
 * const verifier = createAccessTokenVerifier({ issuer, audience: 'orders-api', dpop: { replay: memoryReplayCache(100_000, Date.now) } })
 * ```
 */
export function memoryReplayCache(limit = 100_000, clock: () => number = Date.now): DPoPReplayCache {
  const seen = new Map<string, number>()
  return {
    add(key, expiresAt) {
      const now = clock()
      const known = seen.get(key)
      if (known !== undefined && known > now) return false
      seen.delete(key)
      seen.set(key, expiresAt)
      // Insertion order is roughly expiry order: sweep expired ones from the front.
      for (const [k, until] of seen) {
        if (until > now && seen.size <= limit) break
        seen.delete(k)
      }
      return true
    },
  }
}
