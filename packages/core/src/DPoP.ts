import * as oauth from 'oauth4webapi'
import { AuthError } from './AuthError.js'
import { defined } from './defined.js'

/**
 * Where a DPoP key pair lives between page loads or process restarts. A refresh token bound
 * to a key (RFC 9449 section 5) is worthless without that key, so the key must outlive the
 * tokens' store entry, and be dropped with it at sign-out.
 *
 * @example
 * ```ts
 * const memory: DPoPKeyStore = { get: async () => pair, set: async (p) => void (pair = p), remove: async () => void (pair = undefined) }
 * ```
 */
export interface DPoPKeyStore {
  get(): Promise<CryptoKeyPair | undefined>
  set(keyPair: CryptoKeyPair): Promise<void>
  remove(): Promise<void>
}

/**
 * Options of {@link createDPoP}.
 *
 * @example
 * ```ts
 * const options: DPoPOptions = { keyPair: await crypto.subtle.generateKey({ name: 'Ed25519' }, false, ['sign', 'verify']) as CryptoKeyPair }
 * ```
 */
export interface DPoPOptions {
  /** A key pair to prove with. Default: an ES256 pair generated on first use, private half non-extractable. */
  keyPair?: CryptoKeyPair
  /** Keeps the generated pair (IndexedDB in a browser). Default: in memory. */
  keyStore?: DPoPKeyStore
}

/**
 * A DPoP prover (RFC 9449): signs a proof per request with one key, and remembers the
 * nonces servers hand out, per origin. Give it to a client as its `dpop` option.
 *
 * @example
 * ```ts
 * const client = new AuthClient({ issuer, clientId: 'spa', redirectUri, dpop: createDPoP(), apiOrigins: ['https://api.example.com'] })
 * const res = await client.authFetch('https://api.example.com/orders') // Authorization: DPoP ..., DPoP: <proof>
 * ```
 */
export interface DPoP {
  /** RFC 7638 SHA-256 thumbprint of the public key, for `dpop_jkt` and `cnf.jkt`. */
  thumbprint(): Promise<string>
  /**
   * A proof for one request. `now` is the caller's clock in milliseconds; `accessToken`
   * adds `ath` for a resource request.
   */
  proof(method: string, url: string | URL, now: number, accessToken?: string): Promise<string>
  /** Keeps the `DPoP-Nonce` a response carries for its origin; true when there was one. */
  observe(url: string | URL, response: Response): boolean
  /** Deletes the key and nonces: the next proof uses a new key. Call at sign-out. */
  reset(): Promise<void>
  /** Drops the in-memory copy only: the next proof reads the key store again (another tab may have replaced the key). */
  forget(): void
  /**
   * Runs an oauth4webapi request (`send`) with a proof in its `dpop` header. The first
   * `use_dpop_nonce` answer carries the nonce to use: one retry with it; a second one is thrown.
   * Here rather than in the client so that apps without DPoP do not ship it.
   */
  request<T>(method: string, url: string, now: () => number, accessToken: string | undefined, send: (headers: Record<string, string>) => Promise<T>): Promise<T>
  /**
   * `fetch` to a resource server with a DPoP-bound token: `Authorization: DPoP` and a proof.
   * A `use_dpop_nonce` challenge is answered once; a second is an `AuthError` with code
   * `use_dpop_nonce`. Other answers are returned as they are.
   */
  fetch(request: Request, accessToken: string, now: () => number, fetchImpl: typeof fetch): Promise<Response>
}

interface Signer {
  key: CryptoKey
  header: string
  jkt: string
  params: AlgorithmIdentifier | RsaPssParams | EcdsaParams
}

/**
 * Creates a {@link DPoP} prover.
 *
 * @example
 * ```ts
 * const dpop = createDPoP() // ES256, key in memory, private half non-extractable
 * const proof = await dpop.proof('POST', 'https://as.example.com/token', Date.now())
 * ```
 */
export function createDPoP(options: DPoPOptions = {}): DPoP {
  let signer: Promise<Signer> | undefined
  const nonces = new Map<string, string>()

  const load = () =>
    (signer ??= (async () => {
      let pair = options.keyPair ?? (await options.keyStore?.get())
      if (!pair) {
        // Non-extractable: script injected into the page can use the key while it runs, never carry it away.
        pair = (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify'])) as CryptoKeyPair
        await options.keyStore?.set(pair)
      }
      return toSigner(pair)
    })().catch((err: unknown) => {
      signer = undefined
      throw err instanceof AuthError ? err : new AuthError('configuration_error', `DPoP key unusable: ${(err as Error)?.message ?? err}`, { cause: err })
    }))

  const dpop: DPoP = {
    thumbprint: async () => (await load()).jkt,
    async proof(method, url, now, accessToken) {
      const s = await load()
      const u = new URL(url)
      const nonce = nonces.get(u.origin)
      const payload = defined({
        jti: randomId(),
        htm: method.toUpperCase(),
        // RFC 9449 4.2: the target URI without query and fragment.
        htu: u.origin + u.pathname,
        iat: Math.floor(now / 1000),
        nonce,
        ath: accessToken === undefined ? undefined : b64u(new Uint8Array(await crypto.subtle.digest('SHA-256', utf8(accessToken)))),
      })
      const input = `${s.header}.${b64u(utf8(JSON.stringify(payload)))}`
      const signature = new Uint8Array(await crypto.subtle.sign(s.params, s.key, utf8(input)))
      return `${input}.${b64u(signature)}`
    },
    observe(url, response) {
      const nonce = response.headers.get('dpop-nonce')
      // RFC 9449 8.1: NQCHAR only; anything else is not a nonce we will echo.
      if (nonce === null || !/^[\x21\x23-\x5B\x5D-\x7E]+$/.test(nonce)) return false
      nonces.set(new URL(url).origin, nonce)
      return true
    },
    async reset() {
      signer = undefined
      nonces.clear()
      await options.keyStore?.remove()
    },
    forget() {
      if (options.keyStore) signer = undefined
    },
    async request(method, url, now, accessToken, send) {
      for (let attempt = 0; ; attempt++) {
        try {
          return await send({ dpop: await dpop.proof(method, url, now(), accessToken) })
        } catch (err) {
          // Any answer may carry the server's current nonce; only a nonce challenge is retried.
          const response = (err as { response?: unknown }).response
          const fresh = response instanceof Response && dpop.observe(url, response)
          if (attempt > 0 || !fresh || !oauth.isDPoPNonceError(err)) throw err
        }
      }
    },
    async fetch(request, accessToken, now, fetchImpl) {
      for (let attempt = 0; ; attempt++) {
        const attemptRequest = request.clone()
        attemptRequest.headers.set('authorization', `DPoP ${accessToken}`)
        attemptRequest.headers.set('dpop', await dpop.proof(request.method, request.url, now(), accessToken))
        const response = await fetchImpl(attemptRequest)
        const fresh = dpop.observe(request.url, response)
        if (response.status !== 401 || !/\berror="?use_dpop_nonce"?/.test(response.headers.get('www-authenticate') ?? '')) return response
        void response.body?.cancel().catch(() => {})
        if (attempt > 0 || !fresh) {
          throw new AuthError('use_dpop_nonce', `${request.url} asked for a new DPoP nonce again`, { error: 'use_dpop_nonce', status: 401 })
        }
      }
    },
  }
  return dpop
}

async function toSigner(pair: CryptoKeyPair): Promise<Signer> {
  const { privateKey, publicKey } = pair
  const algorithm = privateKey?.algorithm as (KeyAlgorithm & { namedCurve?: string; hash?: { name: string } }) | undefined
  const jws = algorithm && jwsAlgorithm(algorithm)
  if (!jws || privateKey.type !== 'private' || publicKey?.type !== 'public') {
    throw new AuthError('configuration_error', 'DPoP needs a private/public CryptoKeyPair of ECDSA P-256/P-384, RSASSA-PKCS1-v1_5, RSA-PSS or Ed25519')
  }
  const full = (await crypto.subtle.exportKey('jwk', publicKey)) as Record<string, string>
  // RFC 7638: the required members only, in lexicographic order.
  const members = full.kty === 'EC' ? ['crv', 'kty', 'x', 'y'] : full.kty === 'RSA' ? ['e', 'kty', 'n'] : ['crv', 'kty', 'x']
  const jwk = Object.fromEntries(members.map((m) => [m, full[m]]))
  const jkt = b64u(new Uint8Array(await crypto.subtle.digest('SHA-256', utf8(JSON.stringify(jwk)))))
  const header = b64u(utf8(JSON.stringify({ typ: 'dpop+jwt', alg: jws.alg, jwk })))
  return { key: privateKey, header, jkt, params: jws.params }
}

function jwsAlgorithm(a: KeyAlgorithm & { namedCurve?: string; hash?: { name: string } }): { alg: string; params: Signer['params'] } | undefined {
  const bits = a.hash?.name.replace('SHA-', '')
  if (a.name === 'ECDSA' && (a.namedCurve === 'P-256' || a.namedCurve === 'P-384')) {
    const size = a.namedCurve.slice(2)
    return { alg: `ES${size}`, params: { name: 'ECDSA', hash: `SHA-${size}` } }
  }
  if (a.name === 'RSASSA-PKCS1-v1_5' && bits) return { alg: `RS${bits}`, params: { name: a.name } }
  if (a.name === 'RSA-PSS' && bits) return { alg: `PS${bits}`, params: { name: a.name, saltLength: Number(bits) / 8 } }
  if (a.name === 'Ed25519') return { alg: 'EdDSA', params: { name: 'Ed25519' } }
  return undefined
}

// Pure: an app without DPoP must not keep this one line either.
const encoder = /* @__PURE__ */ new TextEncoder()
const utf8 = (s: string) => encoder.encode(s)

function b64u(bytes: Uint8Array): string {
  let s = ''
  for (const b of bytes) s += String.fromCharCode(b)
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}

function randomId(): string {
  return b64u(crypto.getRandomValues(new Uint8Array(16)))
}
