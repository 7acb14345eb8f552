import { AuthError, toAuthError } from './AuthError.js'
import { defined } from './defined.js'
import { OidcClient, type AuthorizationRequest, type OidcClientOptions } from './OidcClient.js'
import { retry, retryDelay, retryPolicy, type RetryPolicy } from './retry.js'
import { MemoryTokenStore, dueForRenewal, renewalMargin, secondsLeft, type IdTokenClaims, type TokenSet, type TokenStore } from './TokenSet.js'
import { MemoryTransactionStore, type TransactionStore } from './Transaction.js'

/** `loading` until the token store was read: server renders and first paints see it. */
export type AuthStatus = 'loading' | 'signed_out' | 'signed_in' | 'session_ended'

/**
 * What subscribers see. A new object whenever something in it changes, the same object
 * otherwise, so `useSyncExternalStore` and selectors compare by identity.
 */
export interface AuthSnapshot {
  status: AuthStatus
  tokens?: TokenSet
  /**
   * Claims of the validated ID token, with the profile the `profile` option loaded at
   * sign-in merged over them (same `sub`).
   */
  user?: IdTokenClaims
  /** A refresh is in flight. */
  refreshing: boolean
  /** The last failure, cleared by the next success. */
  error?: AuthError
}

/** What {@link AuthClient.on} reports. */
export type AuthEvent =
  | { type: 'refresh_start' }
  | { type: 'refresh_success'; tokens: TokenSet; source: 'provider' | 'storage' }
  | { type: 'refresh_failure'; error: AuthError }
  | { type: 'signed_in'; tokens: TokenSet }
  | { type: 'signed_out' }
  | { type: 'session_ended'; error: AuthError }

/** When and how tokens are renewed; failed attempts are retried as {@link RetryPolicy} says. */
export interface RefreshPolicy extends RetryPolicy {
  /** Renew this many seconds before expiry, but never earlier than half the token's life. Default 60. */
  marginSeconds?: number
  /** Renew up to this many seconds earlier still, at random, so clients do not move in step. Default 5, at most a tenth of the life. */
  jitterSeconds?: number
  /** Renew on a timer before expiry, not only when a token is asked for. Default true. */
  auto?: boolean
}

/** Timer functions; inject fakes or use `vi.useFakeTimers()`. */
export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown
  clearTimeout(handle: unknown): void
}

/** Options of {@link AuthClient}. */
export interface AuthClientOptions extends OidcClientOptions {
  /** Default: in memory. */
  tokenStore?: TokenStore
  /** Default: in memory. */
  transactionStore?: TransactionStore
  refresh?: RefreshPolicy
  /** A number in [0, 1); default `Math.random`. Only spreads timings, never secrets. */
  random?: () => number
  timers?: Timers
  /**
   * Runs `fn` while holding the lock `name` across everything sharing the token store (Web
   * Locks in a browser). Inside it the store is re-read, so a refresh token another tab
   * already rotated is not sent again. Default: no cross-context lock.
   */
  lock?: <T>(name: string, fn: () => Promise<T>) => Promise<T>
  /**
   * Loads the user's profile once a sign-in's tokens are validated, before anything is
   * stored: `userinfoProfile` reads userinfo (its `sub` checked against the ID token's), for
   * providers that, like AM by default, put only protocol claims in the ID token. It is
   * kept with the tokens as {@link TokenSet.profile}; a failure fails the sign-in and
   * stores nothing. Default (or `false`): none, the ID token's claims are the user.
   */
  profile?: ProfileLoader | false
  /**
   * Origins `authFetch` may send the access token to, besides the issuer's (and, in
   * `@realmauth/browser`, the page's own): `['https://api.example.com']`. A request to any
   * other origin is refused with `configuration_error` before anything is sent, so a URL
   * the app did not choose (a link, a redirect target, an API's JSON) cannot carry the
   * token away. Each entry is an origin: scheme, host and port, no path; anything else is
   * refused at construction with `configuration_error`.
   */
  apiOrigins?: string[]
}

/**
 * What the `profile` option takes: given the client and a sign-in's validated tokens, the
 * profile claims to merge over the ID token's. Its `sub`, if any, must be the ID token's.
 *
 * @example
 * ```ts
 * const fromApi: ProfileLoader = async (oidc, tokens) => (await oidc.fetchWithToken(tokens, 'https://api.example.com/me')).json()
 * ```
 */
export type ProfileLoader = (oidc: OidcClient, tokens: TokenSet) => Promise<Record<string, unknown>>

/** Tokens living less than this are not renewed on a timer. */
const MIN_SCHEDULED_LIFE_MS = 2000

/** How long a sign-in may take between the redirect out and the callback. */
const TRANSACTION_LIFETIME_MS = 10 * 60_000

/**
 * The signed-in state of one user of one client, and the policy that keeps its tokens
 * fresh: renewal before expiry, one request however many callers ask at once, retries with
 * backoff on network errors and 5xx with the old tokens kept, and a clear `session_ended`
 * only when the provider refuses the refresh token.
 *
 * @example
 * ```ts
 * const client = new AuthClient({ issuer, clientId: 'spa', redirectUri: location.origin + '/callback' })
 * client.subscribe(() => render(client.getSnapshot()))
 * location.assign(await client.signInUrl())
 * // on /callback:
 * await client.handleCallback(location.href)
 * const token = await client.getAccessToken()
 * ```
 */
export class AuthClient {
  readonly oidc: OidcClient
  readonly #options: AuthClientOptions
  readonly #tokenStore: TokenStore
  readonly #transactionStore: TransactionStore
  readonly #now: () => number
  readonly #random: () => number
  readonly #timers: Timers
  readonly #policy: Required<RefreshPolicy>
  #snapshot: AuthSnapshot = { status: 'loading', refreshing: false }
  readonly #listeners = new Set<() => void>()
  readonly #eventListeners = new Set<(event: AuthEvent) => void>()
  #loading: Promise<void> | undefined
  #inflight: Promise<TokenSet> | undefined
  #timer: unknown
  #failures = 0
  /** Where `authFetch` may send the token (see {@link AuthClientOptions.apiOrigins}). */
  readonly #apiOrigins: Set<string>

  constructor(options: AuthClientOptions) {
    this.#options = options
    this.oidc = new OidcClient(options)
    if (!URL.canParse(options.issuer)) throw new AuthError('configuration_error', `issuer must be a URL, got ${options.issuer}`)
    this.#apiOrigins = new Set([new URL(options.issuer).origin])
    for (const [i, origin] of (options.apiOrigins ?? []).entries()) {
      // An entry with a path or a typo would silently match nothing: refuse it at start instead.
      const url = typeof origin === 'string' && URL.canParse(origin) ? new URL(origin) : undefined
      if (!url || url.origin === 'null' || url.href !== `${url.origin}/`) {
        throw new AuthError('configuration_error', `apiOrigins[${i}] must be an origin such as https://api.example.com, got ${String(origin)}`)
      }
      this.#apiOrigins.add(url.origin)
    }
    this.#tokenStore = options.tokenStore ?? new MemoryTokenStore()
    this.#transactionStore = options.transactionStore ?? new MemoryTransactionStore()
    this.#now = options.clock ?? Date.now
    this.#random = options.random ?? Math.random
    // Called as methods of globalThis, so fake timers installed later are still the ones used.
    this.#timers = options.timers ?? globalThis
    const r = options.refresh ?? {}
    this.#policy = {
      marginSeconds: r.marginSeconds ?? 60,
      jitterSeconds: r.jitterSeconds ?? 5,
      ...retryPolicy(r),
      auto: r.auto ?? true,
    }
  }

  /** Calls `listener` after every change of {@link getSnapshot}; returns the unsubscribe. */
  subscribe = (listener: () => void): (() => void) => {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  getSnapshot = (): AuthSnapshot => this.#snapshot

  /** Listens to refresh and session events; returns the unsubscribe. */
  on(listener: (event: AuthEvent) => void): () => void {
    this.#eventListeners.add(listener)
    return () => this.#eventListeners.delete(listener)
  }

  /** Reads the token store once; every other method waits for it. */
  load(): Promise<void> {
    // Stored claims were validated (signature included) when received; no JWT is decoded again here.
    this.#loading ??= this.#tokenStore.get().then((tokens) => this.#adopt(tokens))
    return this.#loading
  }

  /**
   * Re-reads the token store, as after another tab changed it: no request is made.
   *
   * @example
   * ```ts
   * channel.onmessage = () => client.syncFromStore()
   * ```
   */
  async syncFromStore(): Promise<void> {
    await this.load()
    // Another context may have signed out and in again with a new DPoP key.
    this.oidc.dpop?.forget()
    this.#adopt(await this.#tokenStore.get())
  }

  /** Starts a sign-in: keeps the transaction and returns the URL to send the user to. */
  async signInUrl(request: Partial<AuthorizationRequest> = {}): Promise<URL> {
    return (await this.signInRequest(request)).url
  }

  /**
   * {@link signInUrl} with the `state` its callback must carry, for a caller that waits for
   * that one callback (a popup): with PAR the URL does not show it.
   *
   * @example
   * ```ts
   * const { url, state } = await client.signInRequest()
   * ```
   */
  async signInRequest(request: Partial<AuthorizationRequest> = {}): Promise<{ url: URL; state: string }> {
    const { url, transaction } = await this.oidc.signInUrl(request)
    await this.#transactionStore.set(transaction.state, transaction)
    return { url, state: transaction.state }
  }

  /**
   * Finishes a sign-in from the callback URL. The transaction is used up before anything is
   * checked, so a replayed callback fails with `transaction_not_found`; a failed check
   * stores nothing.
   */
  async handleCallback(callbackUrl: string | URL): Promise<{ tokens: TokenSet; appState?: unknown }> {
    await this.load()
    const url = new URL(callbackUrl)
    const state = url.searchParams.get('state')
    if (state === null) throw new AuthError('state_mismatch', 'The callback has no state')
    const transaction = await this.#transactionStore.take(state)
    if (!transaction || this.#now() - transaction.createdAt > TRANSACTION_LIFETIME_MS) {
      throw new AuthError('transaction_not_found', 'No sign-in in progress matches this callback (replayed, expired or not started here)')
    }
    let tokens = await this.oidc.handleCallback(url, transaction)
    const loadProfile = this.#options.profile
    if (loadProfile) {
      let profile: Record<string, unknown>
      try {
        profile = await loadProfile(this.oidc, tokens)
      } catch (err) {
        throw toAuthError(err, 'Profile')
      }
      // A profile for someone else must never be shown as this user's, whoever loaded it.
      if (profile?.sub !== undefined && profile.sub !== tokens.claims?.sub) {
        throw new AuthError('userinfo_subject_mismatch', 'The profile loaded is for another subject than the ID token')
      }
      tokens = { ...tokens, profile }
    }
    await this.#tokenStore.set(tokens)
    this.#failures = 0
    this.#adopt(tokens)
    this.#emit({ type: 'signed_in', tokens })
    return defined({ tokens, appState: transaction.appState })
  }

  /**
   * A valid access token, renewed first when it is within the refresh margin. When renewal
   * fails for any reason but a refused grant (network, 5xx, a malformed or cut-off answer)
   * and the current token is still valid, that token is returned and renewal is retried later.
   */
  async getAccessToken(options: { forceRefresh?: boolean } = {}): Promise<string> {
    await this.load()
    const tokens = this.#snapshot.tokens
    if (!tokens) throw new AuthError('login_required', 'Not signed in')
    if (!options.forceRefresh && !this.#dueForRefresh(tokens)) return tokens.accessToken
    if (!tokens.refreshToken) {
      if (secondsLeft(tokens, this.#now()) > 0) return tokens.accessToken
      throw new AuthError('login_required', 'The access token expired and there is no refresh token')
    }
    try {
      return (await this.refresh()).accessToken
    } catch (err) {
      const error = toAuthError(err, 'Refresh')
      const current = this.#snapshot.tokens
      // Whatever went wrong (outage, HTML, a cut-off body), a token that still works is better
      // than an error; the timer keeps retrying. Only a refused grant ends the session.
      if (!error.needsUser && !options.forceRefresh && current && secondsLeft(current, this.#now()) > 0) return current.accessToken
      throw error
    }
  }

  /** Renews now. Concurrent calls share one request. */
  refresh(): Promise<TokenSet> {
    this.#inflight ??= this.#runRefresh().finally(() => {
      this.#inflight = undefined
    })
    return this.#inflight
  }

  /** Checks expiry at once, as after a sleeping laptop wakes or a tab becomes visible. */
  async refreshIfDue(): Promise<void> {
    await this.load()
    const tokens = this.#snapshot.tokens
    if (tokens?.refreshToken && this.#dueForRefresh(tokens)) await this.refresh().catch(() => {})
    else this.#schedule()
  }

  /**
   * `fetch` to an API with the access token (`Bearer`, or `DPoP` with a proof for DPoP
   * tokens), on the issuer's origin or one of `apiOrigins` only (any other is a
   * `configuration_error`, nothing sent). On a 401 it renews the token once and retries once;
   * a `use_dpop_nonce` challenge is answered once with the nonce the API sent.
   *
   * @example
   * ```ts
   * const api = new AuthClient({ issuer, clientId: 'spa', redirectUri, apiOrigins: ['https://api.example.com'] })
   * const res = await api.authFetch('https://api.example.com/orders', { method: 'POST', body })
   * ```
   */
  async authFetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
    const request = new Request(input, init)
    const { origin } = new URL(request.url)
    if (!this.#apiOrigins.has(origin)) {
      throw new AuthError('configuration_error', `authFetch sends the access token only to the issuer's origin and apiOrigins, not to ${origin}`)
    }
    const send = async (forceRefresh: boolean) => {
      const accessToken = await this.getAccessToken({ forceRefresh })
      return this.oidc.fetchWithToken({ accessToken, tokenType: this.#snapshot.tokens?.tokenType ?? 'bearer' }, request.clone())
    }
    const response = await send(false)
    if (response.status !== 401) return response
    // The token may have been revoked or rotated elsewhere: renew once, retry once.
    void response.body?.cancel().catch(() => {})
    return send(true)
  }

  /**
   * Signs out here and at the provider: local tokens go first (the user asked), then the
   * refresh token is revoked, and the RP-initiated logout URL is returned for a redirect.
   */
  async signOut(options: { postLogoutRedirectUri?: string; state?: string } = {}): Promise<{ endSessionUrl?: URL; revoked: boolean }> {
    await this.load()
    const tokens = this.#snapshot.tokens
    await this.#tokenStore.remove()
    this.#adopt(undefined)
    this.#emit({ type: 'signed_out' })
    let revoked = false
    if (tokens?.refreshToken) {
      revoked = await this.oidc.revoke(tokens.refreshToken, 'refresh_token').then(
        () => true,
        () => false,
      )
    }
    // A new session gets a new DPoP key: nothing links it to this one.
    await this.oidc.dpop?.reset().catch(() => {})
    const endSessionUrl = await this.oidc
      .endSessionUrl({ idTokenHint: tokens?.idToken, postLogoutRedirectUri: options.postLogoutRedirectUri, state: options.state })
      .catch(() => undefined)
    return { revoked, ...(endSessionUrl && { endSessionUrl }) }
  }

  /** Stops timers; the client can be dropped afterwards. */
  dispose(): void {
    this.#clearTimer()
    this.#listeners.clear()
    this.#eventListeners.clear()
  }

  async #runRefresh(): Promise<TokenSet> {
    await this.load()
    const started = this.#snapshot.tokens
    if (!started?.refreshToken) throw new AuthError('login_required', 'There is no refresh token')
    this.#publish({ ...this.#snapshot, refreshing: true })
    this.#emit({ type: 'refresh_start' })
    try {
      const lock = this.#options.lock ?? ((_name, fn) => fn())
      const { tokens, source } = await lock(`realmauth:refresh:${this.oidc.issuer}:${this.oidc.clientId}`, () => this.#refreshLocked(started))
      this.#failures = 0
      this.#adopt(tokens)
      this.#emit({ type: 'refresh_success', tokens, source })
      return tokens
    } catch (err) {
      const error = toAuthError(err, 'Refresh')
      if (error.code === 'invalid_grant' || error.code === 'login_required') {
        // Another context may have signed in afresh meanwhile: its tokens win over ours.
        const stored = await this.#tokenStore.get().catch(() => undefined)
        if (stored?.refreshToken !== undefined && stored.refreshToken !== started.refreshToken) {
          this.#adopt(stored)
          this.#emit({ type: 'refresh_success', tokens: stored, source: 'storage' })
          return stored
        }
        if (stored) await this.#tokenStore.remove().catch(() => {})
        this.#clearTimer()
        this.#publish({ status: 'session_ended', refreshing: false, error })
        this.#emit({ type: 'refresh_failure', error })
        this.#emit({ type: 'session_ended', error })
      } else {
        this.#failures++
        this.#publish({ ...this.#snapshot, refreshing: false, error })
        if (this.#policy.auto && this.#snapshot.tokens?.refreshToken) this.#startTimer(retryDelay(this.#policy, this.#failures + 1, this.#random))
        this.#emit({ type: 'refresh_failure', error })
      }
      throw error
    }
  }

  async #refreshLocked(started: TokenSet): Promise<{ tokens: TokenSet; source: 'provider' | 'storage' }> {
    const stored = await this.#tokenStore.get()
    if (!stored) throw new AuthError('login_required', 'Signed out elsewhere')
    if (stored.refreshToken !== started.refreshToken) return { tokens: stored, source: 'storage' }
    return retry(
      'Refresh',
      async () => {
        const next = await this.oidc.refresh(started.refreshToken!, { previousClaims: started.claims })
        const tokens: TokenSet = defined({
          ...next,
          // Without rotation the provider sends no new refresh token: the old one stays good.
          refreshToken: next.refreshToken ?? started.refreshToken!,
          idToken: next.idToken ?? started.idToken,
          claims: next.claims ?? started.claims,
          profile: started.profile,
        })
        await this.#tokenStore.set(tokens)
        return { tokens, source: 'provider' as const }
      },
      this.#policy,
      (ms) => new Promise<void>((resolve) => this.#timers.setTimeout(resolve, ms)),
      this.#random,
    )
  }

  #dueForRefresh(tokens: TokenSet): boolean {
    return dueForRenewal(tokens, this.#now(), this.#policy.marginSeconds * 1000)
  }

  #adopt(tokens: TokenSet | undefined): void {
    if (tokens) {
      const same = this.#snapshot.tokens === tokens && this.#snapshot.status === 'signed_in' && !this.#snapshot.refreshing
      if (!same) {
        const { claims, profile } = tokens
        this.#publish({ status: 'signed_in', tokens, refreshing: false, ...(claims && { user: profile ? { ...claims, ...profile, sub: claims.sub } : claims }) })
      }
      this.#schedule()
    } else {
      this.#clearTimer()
      if (this.#snapshot.status !== 'signed_out' || this.#snapshot.tokens) {
        this.#publish({ status: 'signed_out', refreshing: false })
      }
    }
  }

  #schedule(): void {
    this.#clearTimer()
    const tokens = this.#snapshot.tokens
    if (!this.#policy.auto || !tokens?.refreshToken || tokens.expiresAt === undefined) return
    const life = tokens.expiresAt - tokens.receivedAt
    // A token born expired (AM's lifetime 0) would be renewed in a loop: leave it to callers.
    if (life < MIN_SCHEDULED_LIFE_MS) return
    const jitter = this.#random() * Math.min(this.#policy.jitterSeconds * 1000, life / 10)
    this.#startTimer(Math.max(0, tokens.expiresAt - renewalMargin(tokens, this.#policy.marginSeconds * 1000) - jitter - this.#now()))
  }

  /** Renews in `ms`, in place of any renewal planned before. */
  #startTimer(ms: number): void {
    this.#clearTimer()
    const handle = this.#timers.setTimeout(() => {
      this.#timer = undefined
      this.refresh().catch(() => {})
    }, ms)
    // A pending renewal should not keep a Node process alive on its own.
    ;(handle as { unref?: () => void } | undefined)?.unref?.()
    this.#timer = handle
  }

  #clearTimer(): void {
    if (this.#timer !== undefined) this.#timers.clearTimeout(this.#timer)
    this.#timer = undefined
  }

  /** Makes `snapshot` the one subscribers see, and tells them. */
  #publish(snapshot: AuthSnapshot): void {
    this.#snapshot = snapshot
    for (const listener of this.#listeners) listener()
  }

  #emit(event: AuthEvent): void {
    for (const listener of this.#eventListeners) listener(event)
  }
}
