import type { ProviderConfig } from './config/config.js'
import type { ClientCertificate, Realm } from './model/index.js'
import { certificateDer, x5tS256 } from './base/x509.js'
import { resolveConfig } from './config/resolveConfig.js'
import { issuerFor, type Context, type PresentedCertificate, type Runtime } from './services/context.js'
import { ConfigError, OAuthError } from './base/errors.js'
import { randomToken } from './base/crypto.js'
import { KEY_RING_ID, SESSION_LIFETIME_S } from './records/index.js'
import { errorResponse, fromRequest, json, requireMethod, toResponse, type HttpRequest, type Reply } from './base/http.js'
import { registerDirectHandler, type DirectHandler } from './directHandler.js'
import { KeyRing, KeySet, signJwt } from './keys/index.js'
import { route } from './router.js'
import { MemoryStore } from './store/MemoryStore.js'
import type { Store } from './store/Store.js'
import { guardStore, StoreUnavailableError } from './store/guardStore.js'
import { restCsrfFilter } from './services/restCsrfFilter.js'
import { corsHeaders, preflight } from './services/cors.js'
import { ENDPOINTS } from './endpoints/table.js'
import { landing } from './endpoints/landing.js'
import { health, IS_ALIVE_METHODS } from './endpoints/health.js'
import { login } from './endpoints/login.js'
import { amErrorOf } from './endpoints/amError.js'
import { serverInfoOf } from './endpoints/serverInfo.js'

const BY_ROUTE = new Map(ENDPOINTS.map((e) => [`${e.under ?? 'oauth2'} ${e.path}`, e]))

/**
 * The reference provider: one function from `Request` to `Response`.
 *
 * @example
 * ```ts
 * const provider = createProvider(demoConfig())
 * const res = await provider.fetch(new Request('http://localhost/oauth2/realms/root/realms/alpha/.well-known/openid-configuration'))
 * ```
 */
export interface Provider {
  /**
   * Answers one HTTP request; never throws, never answers 5xx for bad input. An adapter that
   * terminates TLS passes the client certificate it received (RFC 8705); so can a test.
   *
   * @example
   * ```ts
   * const clientPem = readFileSync('client.pem', 'utf8')
   * const res = await provider.fetch(new Request(provider.issuer('alpha') + '/userinfo'), { clientCertificate: { certificate: clientPem, chainVerified: true } })
   * ```
   */
  fetch(request: Request, options?: FetchOptions): Promise<Response>
  /** The issuer URL of a realm (`alpha`, `alpha/beta`, `/`) at an origin. */
  issuer(realm: string, origin?: string): string
  /** Resolves when the signing keys are ready (created or read from the store); `fetch` waits for it on its own. */
  readonly ready: Promise<void>
  /** The store in use, for tests that inspect or seed it. */
  readonly store: Store
  /** The largest request body accepted, in bytes; adapters read no more than one byte past it. */
  readonly maxBodyBytes: number
  /**
   * Token factory for tests: signs any claims with the provider's own key, so a client test
   * can present a wrong `aud`, a stale `exp` or a missing `nonce` that really met the provider.
   *
   * @example
   * ```ts
   * const bad = await provider.signJwt({ ...claims, aud: 'someone-else' })
   * ```
   */
  signJwt(
    payload: Record<string, unknown>,
    options?: { alg?: 'RS256' | 'ES256'; typ?: string; /** More header fields (`crit`, `jku`, ...): `alg`, `kid` and `typ` stay the provider's. */ header?: Record<string, unknown> },
  ): Promise<string>
  /** The public keys the provider publishes at `connect/jwk_uri`. */
  jwks(): Promise<{ keys: Record<string, unknown>[] }>
  /**
   * Key rotation: a new key signs from now on; the previous one stays published, so tokens
   * it signed verify until they expire. Returns the new `kid`. With `key_encryption_secret`
   * it is written to the store first, and every instance on the store signs with it within
   * `key_refresh_seconds`; otherwise it lives in this process's memory.
   *
   * @example
   * ```ts
   * const kid = await provider.rotateSigningKey('RS256')
   * ```
   */
  rotateSigningKey(alg?: 'RS256' | 'ES256'): Promise<string>
  /** Stops publishing a retired key (never the one signing now); its tokens stop verifying. */
  retireSigningKey(kid: string): Promise<boolean>
}

/** Options of {@link Provider.fetch}: what the connection, not the request, carries. */
export interface FetchOptions {
  /** The TLS client certificate of the connection, when one was presented. */
  clientCertificate?: ClientCertificate
}

/**
 * Creates the provider. The config is validated at once: an invalid one throws
 * {@link ConfigError} naming the field.
 *
 * @example
 * ```ts
 * const provider = createProvider({
 *   realms: [{ name: 'alpha', clients: [{ client_id: 'svc', client_secret: 's3cret', grant_types: ['client_credentials'] }] }],
 * })
 * const res = await provider.fetch(new Request('http://localhost/oauth2/realms/root/realms/alpha/access_token', {
 *   method: 'POST',
 *   headers: { authorization: 'Basic ' + btoa('svc:s3cret'), 'content-type': 'application/x-www-form-urlencoded' },
 *   body: 'grant_type=client_credentials',
 * }))
 * ```
 */
export function createProvider(config: ProviderConfig): Provider {
  const resolved = resolveConfig(config)
  const now = config.clock ?? Date.now
  const store = config.store ?? new MemoryStore({ now })
  const rt = { config: resolved, store: guardStore(store, resolved.storeTimeoutMs), now, fetch: config.fetch ?? ((...a) => fetch(...a)) } as Omit<Runtime, 'keys'> as Runtime
  const loadKeys = async () => {
    rt.keys = await KeySet.create({
      ...(config.keys && { configured: config.keys }),
      ring: await keyRing(config, resolved, rt.store, now),
      now,
      refreshMs: resolved.keyRefreshMs,
      rotationMs: resolved.keyRotationMs,
      publishAheadMs: resolved.keyPublishAheadMs,
      retireAfterMs: longestTokenLifetimeMs(resolved.realms) + resolved.keyRefreshMs,
      log: (message) => console.error('[realmauth-server]', message),
    })
  }
  const ready = loadKeys()
  // Surfaces a bad key at start; fetch reports it again per request.
  ready.catch(() => {})
  let loaded = ready
  /**
   * The keys, loaded again after a store that was unavailable at start (a bad key or secret
   * stays an error). A request does not wait for the periodic re-read of the ring (it takes
   * effect from the next one), so key refreshes never reorder requests; the test API does.
   */
  const keys = async (wait = true): Promise<KeySet> => {
    await loaded.catch((error: unknown) => {
      if (!(error instanceof StoreUnavailableError)) throw error
      loaded = loadKeys()
      return loaded
    })
    const fresh = rt.keys.fresh()
    if (wait) await fresh
    return rt.keys
  }

  async function handle(request: HttpRequest, url: URL, options?: FetchOptions): Promise<Reply> {
    const r = route(url, resolved.basePath, ENDPOINTS)
    if (r.kind === 'health') {
      requireMethod(request, ...(r.check === 'isAlive' ? IS_ALIVE_METHODS : ['GET']))
      // Before the keys: a live process answers live even while its store is down.
      return health(r.check, request.method, async () => {
        await keys(false)
        await rt.store.find('Grant', 'health-check')
      })
    }
    await keys(false)
    if (r.kind === 'not_found') return notFound(url, resolved.basePath, `No endpoint at ${url.pathname}`)
    if (r.kind === 'landing') {
      requireMethod(request, 'GET')
      return landing(rt, url.origin)
    }
    const realm = resolved.realms.get(r.realmPath)
    if (!realm) {
      // AM's root realm always exists, and serverinfo's answer is the server's: agents ask it at the root.
      if (r.kind === 'json' && r.realmPath === '/' && r.endpoint.startsWith('serverinfo/') && request.method === 'GET') {
        return serverInfoOf(rt.config, url, '/')
      }
      return notFound(url, resolved.basePath, `Realm '${r.realmPath}' does not exist`)
    }
    const ctx: Context = {
      rt,
      request,
      url,
      realm,
      issuer: issuerFor(rt, realm, url.origin),
      nowSec: Math.floor(now() / 1000),
    }
    if (options?.clientCertificate) ctx.clientCertificate = await presentedCertificate(options.clientCertificate)
    if (r.kind === 'login') return login(ctx)
    const endpoint = BY_ROUTE.get(`${r.kind} ${r.endpoint}`)!
    const run = async () => {
      requireMethod(request, ...endpoint.methods)
      if (endpoint.under === 'json') restCsrfFilter(request, rt.config.cookieName)
      return endpoint.handler(ctx)
    }
    const answer = endpoint.under === 'json' ? () => run().catch(amErrorOf) : run
    if (!endpoint.cors) return answer()
    const cors = corsHeaders(realm, request)
    if (request.method === 'OPTIONS') return preflight(cors, endpoint.methods, rt.config.cookieName)
    return withHeaders(await answer().catch(toReply), cors)
  }

  const direct: DirectHandler = (request, url, options) => handle(request, url, options).catch(toReply)
  // Thin on purpose: msw and in-process callers run exactly the handlers node:http runs.
  const fetchRequest = async (request: Request, options?: FetchOptions) => toResponse(await direct(fromRequest(request), new URL(request.url), options))
  registerDirectHandler(fetchRequest, direct)

  return {
    fetch: fetchRequest,
    issuer(realmName: string, origin = resolved.origin ?? 'http://localhost') {
      const realm = findRealm(resolved.realms, realmName)
      return issuerFor(rt, realm, origin)
    },
    ready,
    store,
    maxBodyBytes: resolved.maxBodyBytes,
    async signJwt(payload, options = {}) {
      return signJwt((await keys()).signingKey(options.alg ?? 'RS256'), payload, options.typ, options.header)
    },
    async jwks() {
      return (await keys()).jwks()
    },
    async rotateSigningKey(alg = 'RS256') {
      return (await (await keys()).rotate(alg)).kid
    },
    async retireSigningKey(kid) {
      return (await keys()).retire(kid)
    },
  }
}

/**
 * Where generated keys are kept: the store's ring, sealed under `key_encryption_secret`; without
 * one, a ring of this process alone, in memory. A store that holds keys is then refused rather
 * than silently ignored: instances on it would sign with keys nobody else publishes.
 */
async function keyRing(config: ProviderConfig, resolved: ReturnType<typeof resolveConfig>, store: Store, now: () => number): Promise<KeyRing> {
  if (resolved.keyEncryptionSecret !== undefined) return new KeyRing(store, resolved.keyEncryptionSecret, now)
  const configuredAlgs = new Set((config.keys ?? []).map((k) => (k.kty === 'EC' ? 'ES256' : 'RS256')))
  if (configuredAlgs.size < 2 && (await store.find('SigningKeys', KEY_RING_ID))) {
    throw new ConfigError('key_encryption_secret', 'is needed: the store holds signing keys, sealed with it (set it, or REALMAUTH_KEY_SECRET for the CLI, to the secret they were written with)')
  }
  return new KeyRing(new MemoryStore({ now }), randomToken(32), now)
}

/**
 * How long a key stays published after it stopped signing: the longest access or ID token
 * lifetime, and at least a session's, since an ID token is a logout `id_token_hint` for as
 * long as the session it came with.
 */
function longestTokenLifetimeMs(realms: Map<string, Realm>): number {
  let longest = SESSION_LIFETIME_S
  for (const realm of realms.values()) {
    for (const l of [realm.settings.lifetimes, ...[...realm.clients.values()].map((c) => c.lifetimes)]) longest = Math.max(longest, l.accessToken, l.idToken)
  }
  return longest * 1000
}

async function presentedCertificate(given: ClientCertificate): Promise<PresentedCertificate> {
  try {
    const der = certificateDer(given.certificate)
    if (der.length === 0) throw new TypeError('it is empty')
    return { der, chainVerified: given.chainVerified === true, thumbprint: await x5tS256(der) }
  } catch (cause) {
    throw new OAuthError('invalid_request', `The TLS client certificate cannot be read: ${(cause as Error).message}`)
  }
}

function findRealm(realms: Map<string, Realm>, name: string): Realm {
  const realm = realms.get('/' + name.split('/').filter(Boolean).join('/'))
  if (!realm) throw new Error(`No realm '${name}' in this provider`)
  return realm
}

function toReply(error: unknown): Reply {
  if (error instanceof OAuthError) return errorResponse(error)
  if (error instanceof StoreUnavailableError) {
    // Nothing was lost (a commit either landed or did not): the client may simply try again.
    console.error('[realmauth-server] store unavailable:', error.message, error.cause ?? '')
    return json({ error: 'temporarily_unavailable', error_description: 'The provider cannot reach its store; try again shortly' }, 503, { 'retry-after': '5' })
  }
  // Reaching here is a provider bug; the client still gets the RFC's JSON shape.
  console.error('[realmauth-server] unexpected error', error)
  return json({ error: 'server_error', error_description: 'The provider failed unexpectedly' }, 500)
}

function withHeaders(reply: Reply, headers: Record<string, string>): Reply {
  Object.assign(reply.headers, headers)
  return reply
}

/** A 404: under `json/` in AM's `{ code, reason, message }`, as every other error there (decision 0082); else OAuth's shape. */
function notFound(url: URL, basePath: string, message: string): Reply {
  const error = new OAuthError('not_found', message, 404)
  if (url.pathname.startsWith(`${basePath}/json/`)) return amErrorOf(error)
  throw error
}
