import * as oauth from 'oauth4webapi'
import { AuthError, toAuthError, tokenEndpointError, type AuthErrorCode } from './AuthError.js'
import { clockToleranceOption } from './clockToleranceOption.js'
import type { JweDecrypt } from './decryptJwt.js'
import { discover, type ServerMetadata } from './discovery.js'
import type { DPoP } from './DPoP.js'
import { defined } from './defined.js'
import { allowsPlainHttp, withRequestOptions, type RequestOptions as HttpRequestOptions } from './http.js'
import type { IdTokenClaims, TokenSet } from './TokenSet.js'
import type { Transaction } from './Transaction.js'

type RequestOptions = HttpRequestOptions & { headers?: Record<string, string> }

/** How the client proves itself at the token endpoint; public clients use {@link oauth.None}. */
export type ClientAuthentication = oauth.ClientAuth

/**
 * The options every realmauth client shares, declared once: `AuthClient`, the browser and
 * Node clients and React's `AuthProvider` extend them.
 */
export interface OidcClientOptions {
  /** The issuer URL; see `realmIssuer()` for AM realms. */
  issuer: string
  clientId: string
  /** Where the provider sends the user back after sign-in, unless a sign-in names another. */
  redirectUri?: string
  /** Scope of a sign-in that names none. Default `openid profile`. */
  scope?: string
  /** Default: none (a public client). */
  clientAuth?: ClientAuthentication
  fetch?: typeof fetch
  /** Milliseconds since the epoch; default `Date.now`. */
  clock?: () => number
  /**
   * Seconds of clock difference tolerated when checking `exp`, `iat`, `nbf`. Default 30. A
   * number 0 or more, else `configuration_error` at construction (`clockTolerance: 60`).
   */
  clockTolerance?: number
  /** Algorithm the provider signs this client's ID tokens with. Default RS256. */
  idTokenSigningAlg?: string
  /** Metadata to use instead of discovery (tests, or providers without discovery). */
  metadata?: ServerMetadata
  /** Milliseconds a request to the provider may take; default 30000 (a retryable `network_error` after). */
  timeoutMs?: number
  /**
   * Sender-constrain tokens with DPoP (RFC 9449): proofs on token and resource requests,
   * and the authorization code bound to the key with `dpop_jkt`. A prover from `createDPoP()`,
   * or a function making one for this issuer and client (browser: `indexedDbDPoP`).
   */
  dpop?: DPoP | ((client: { issuer: string; clientId: string }) => DPoP)
  /**
   * Pushed authorization requests (RFC 9126). Default: used when the provider advertises a
   * `pushed_authorization_request_endpoint`; `true` fails without one; `false` never pushes.
   */
  par?: boolean
  /**
   * Signs a sign-in's parameters into a request object (RFC 9101) and returns what the
   * authorization URL, or the pushed request, carries instead: `client_id` and `request`
   * (section 5). A failure to sign should be a `configuration_error`. `@realmauth/node` sets
   * it from its `requestObject` option; core itself holds no keys.
   */
  signRequestObject?: (params: URLSearchParams, as: ServerMetadata) => Promise<URLSearchParams>
  /**
   * Decrypts ID tokens and userinfo answers the provider encrypts to this client
   * (`id_token_encrypted_response_alg`, `userinfo_encrypted_response_alg`): `decryptJwt(key)`,
   * imported only by apps that need it. What is inside must still be a JWT signed by the issuer.
   * With a key, an ID token must arrive encrypted: a plain signed one is `id_token_invalid`, so
   * that nothing on the way (or a provider setting switched off) downgrades it unnoticed.
   */
  decrypt?: JweDecrypt
  /**
   * Userinfo must arrive encrypted (`userinfo_encrypted_response_alg` registered): a plain JSON
   * or merely signed answer is `userinfo_invalid`. Needs `decrypt`. Default `false`.
   */
  userinfoEncrypted?: boolean
}

/** Parameters of an authorization request. */
export interface AuthorizationRequest {
  redirectUri: string
  scope: string
  prompt?: string
  loginHint?: string
  maxAge?: number
  /** More parameters (`acr_values`, `ui_locales`, ...). Cannot replace the security parameters. */
  extraParams?: Record<string, string>
  /** Kept with the transaction and handed back by the callback, e.g. the path to return to. */
  appState?: unknown
}

/** What one sign-in may change of the client's defaults (the redirect URI stays the client's). */
export type SignInOptions = Omit<Partial<AuthorizationRequest>, 'redirectUri'>

/**
 * The protocol: one issuer, one client. Builds requests, validates every response (ID-token
 * signature and claims included) and turns it into a {@link TokenSet}. It keeps no tokens;
 * `AuthClient` and the Node clients do.
 *
 * @example
 * ```ts
 * const oidc = new OidcClient({ issuer, clientId: 'web', clientAuth: ClientSecretBasic('s3cret') })
 * const { url, transaction } = await oidc.signInUrl({ redirectUri })
 * // ...redirect, then on the callback:
 * const tokens = await oidc.handleCallback(new URL(req.url, 'https://app.example.com'), transaction)
 * ```
 */
export class OidcClient {
  readonly issuer: string
  readonly clientId: string
  readonly #clientAuth: ClientAuthentication
  /** The DPoP prover, when tokens are sender-constrained. */
  readonly dpop: DPoP | undefined
  /** The options as given: the ones read where they are used, not copied to a field each. */
  readonly #options: OidcClientOptions
  readonly #now: () => number
  readonly #client: oauth.Client
  #metadataPromise: Promise<ServerMetadata> | undefined
  /** JWKS cache oauth4webapi fills; it refetches on an unknown `kid` at most once a minute. @internal */
  readonly jwks: oauth.JWKSCacheInput = {}
  /** Userinfo answers must be JWEs (the `userinfoEncrypted` option). */
  readonly userinfoEncrypted: boolean

  constructor(options: OidcClientOptions) {
    if (!options.issuer || !options.clientId) {
      throw new AuthError('configuration_error', 'issuer and clientId are required')
    }
    if (options.userinfoEncrypted && !options.decrypt) {
      throw new AuthError('configuration_error', 'userinfoEncrypted needs a decryption key (decrypt, or decryptionKey in @realmauth/node)')
    }
    this.issuer = options.issuer
    this.clientId = options.clientId
    this.#clientAuth = options.clientAuth ?? oauth.None()
    this.dpop = typeof options.dpop === 'function' ? options.dpop({ issuer: options.issuer, clientId: options.clientId }) : options.dpop
    this.#options = options
    this.#now = options.clock ?? Date.now
    this.userinfoEncrypted = options.userinfoEncrypted ?? false
    this.#client = {
      client_id: options.clientId,
      [oauth.clockTolerance]: clockToleranceOption(options.clockTolerance, 30),
      id_token_signed_response_alg: options.idTokenSigningAlg ?? 'RS256',
    }
    if (options.metadata) this.#metadataPromise = Promise.resolve(options.metadata)
  }

  /** The provider's metadata, discovered once; a failed discovery is retried on the next call. */
  metadata(): Promise<ServerMetadata> {
    this.#metadataPromise ??= discover(this.issuer, this.http()).catch((err: unknown) => {
      this.#metadataPromise = undefined
      throw err
    })
    return this.#metadataPromise
  }

  /**
   * Starts a sign-in: the authorization URL with S256 PKCE, `state` and `nonce` from the
   * CSPRNG, and the transaction to keep until the callback. With PAR the parameters are
   * pushed first and the URL carries only `client_id` and `request_uri`. `redirectUri` and
   * `scope` default to the client's.
   */
  async signInUrl(options: Partial<AuthorizationRequest> = {}): Promise<{ url: URL; transaction: Transaction }> {
    const redirectUri = options.redirectUri ?? this.#options.redirectUri
    if (!redirectUri) throw new AuthError('configuration_error', 'redirectUri is required to sign in')
    const as = await this.metadata()
    // Checked before anything is pushed or kept: the browser is sent there.
    const url = navigable(as.authorization_endpoint, 'authorization_endpoint')
    const push = this.#options.par ?? as.pushed_authorization_request_endpoint !== undefined
    if (push && !as.pushed_authorization_request_endpoint) {
      throw new AuthError('configuration_error', 'par is true but the provider advertises no pushed_authorization_request_endpoint')
    }
    const codeVerifier = oauth.generateRandomCodeVerifier()
    const state = oauth.generateRandomState()
    const nonce = oauth.generateRandomNonce()
    // The parameters the protocol's security rests on: extraParams cannot set any of them.
    const security = {
      client_id: this.clientId,
      redirect_uri: redirectUri,
      response_type: 'code',
      scope: options.scope ?? this.#options.scope ?? 'openid profile',
      state,
      nonce,
      code_challenge: await oauth.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
    }
    for (const k of Object.keys(options.extraParams ?? {})) {
      if (Object.hasOwn(security, k)) throw new AuthError('configuration_error', `extraParams cannot set '${k}'`)
    }
    let params = new URLSearchParams({
      ...options.extraParams,
      ...security,
      ...defined({
        prompt: options.prompt,
        login_hint: options.loginHint,
        max_age: options.maxAge?.toString(),
        // RFC 9449 10: the code is only redeemable with this key, so a stolen code is useless.
        dpop_jkt: await this.dpop?.thumbprint(),
      }),
    })
    if (this.#options.signRequestObject) params = await this.#options.signRequestObject(params, as)
    // Pushed, the parameters stay between client and provider: the URL names them by reference.
    if (push) params = new URLSearchParams({ client_id: this.clientId, request_uri: (await this.#pushed(as, params)).request_uri })
    for (const [k, v] of params) url.searchParams.set(k, v)
    const transaction: Transaction = defined({
      state,
      codeVerifier,
      nonce,
      issuer: as.issuer,
      redirectUri,
      createdAt: this.#now(),
      maxAge: options.maxAge,
      appState: options.appState,
    })
    return { url, transaction }
  }

  async #pushed(as: ServerMetadata, params: URLSearchParams): Promise<oauth.PushedAuthorizationResponse> {
    try {
      return await this.request(as.pushed_authorization_request_endpoint, async (opts) => {
        const res = await oauth.pushedAuthorizationRequest(as, this.oauthClient(), this.#clientAuth, params, opts)
        return oauth.processPushedAuthorizationResponse(as, this.#client, res)
      })
    } catch (err) {
      throw toAuthError(err, 'Pushed authorization request')
    }
  }

  /**
   * Checks an authorization response against its transaction (`state`, RFC 9207 `iss`,
   * error responses) and exchanges the code. A repeated `state`, `iss`, `error` or `code` is
   * oauth4webapi's `invalid_response`, before any request.
   */
  async handleCallback(callbackUrl: URL, transaction: Transaction): Promise<TokenSet> {
    const as = await this.metadata()
    const params = callbackUrl.searchParams
    if (transaction.issuer !== as.issuer) {
      throw new AuthError('iss_mismatch', `The sign-in was started at ${transaction.issuer}, not at ${as.issuer}`)
    }
    if (params.get('state') !== transaction.state) {
      throw new AuthError('state_mismatch', 'The callback state does not match the sign-in that was started')
    }
    const iss = params.get('iss')
    if (iss !== null ? iss !== as.issuer : as.authorization_response_iss_parameter_supported === true) {
      throw new AuthError('iss_mismatch', `The callback came from issuer ${iss ?? '(none)'}, expected ${as.issuer}`)
    }
    let checked: URLSearchParams
    try {
      checked = oauth.validateAuthResponse(as, this.#client, params, transaction.state)
    } catch (err) {
      throw toAuthError(err, 'Sign-in callback')
    }
    return this.tokenRequest('Code exchange', async (_as, opts, jwe) => {
      const res = await oauth.authorizationCodeGrantRequest(
        as, this.#client, this.#clientAuth, checked, transaction.redirectUri, transaction.codeVerifier, opts,
      )
      return [res, await oauth.processAuthorizationCodeResponse(as, this.#client, res, {
        ...jwe,
        expectedNonce: transaction.nonce,
        requireIdToken: true,
        maxAge: transaction.maxAge,
      })]
    })
  }

  /**
   * Refreshes. An ID token in the answer is validated and must name the same `sub` as
   * before (OIDC Core 12.2).
   */
  async refresh(refreshToken: string, options: { previousClaims?: IdTokenClaims; scope?: string } = {}): Promise<TokenSet> {
    const as = await this.metadata()
    const tokens = await this.tokenRequest('Refresh', async (_as, opts, jwe) => {
      const res = await oauth.refreshTokenGrantRequest(as, this.#client, this.#clientAuth, refreshToken, {
        ...opts,
        additionalParameters: defined({ scope: options.scope }),
      })
      return [res, await oauth.processRefreshTokenResponse(as, this.#client, res, jwe)]
    })
    const previous = options.previousClaims
    if (tokens.claims && previous && tokens.claims.sub !== previous.sub) {
      throw new AuthError('id_token_invalid', 'The refreshed ID token is for another subject')
    }
    return tokens
  }

  /** RFC 7009. Unknown tokens are fine; errors are typed. */
  async revoke(token: string, hint?: 'refresh_token' | 'access_token'): Promise<void> {
    const as = await this.metadata()
    try {
      await this.request(as.revocation_endpoint, async (opts) => {
        const res = await oauth.revocationRequest(as, this.#client, this.#clientAuth, token, {
          ...opts,
          additionalParameters: defined({ token_type_hint: hint }),
        })
        await oauth.processRevocationResponse(res)
      })
    } catch (err) {
      throw toAuthError(err, 'Revocation')
    }
  }

  /**
   * `fetch` to a resource server with an access token: `Authorization: DPoP` and a proof for
   * DPoP tokens, `Bearer` otherwise. A `use_dpop_nonce` challenge is answered once; a
   * second is an `AuthError` with code `use_dpop_nonce`. Other answers are returned as they are.
   */
  async fetchWithToken(tokens: Pick<TokenSet, 'accessToken' | 'tokenType'>, input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
    const request = new Request(input, init)
    const fetchImpl = this.#options.fetch ?? fetch
    if (tokens.tokenType === 'dpop' && this.dpop) return this.dpop.fetch(request, tokens.accessToken, this.#now, fetchImpl)
    request.headers.set('authorization', `Bearer ${tokens.accessToken}`)
    return fetchImpl(request)
  }

  /**
   * RP-initiated logout URL (`connect/endSession` on AM), or undefined when the provider has
   * none; an endpoint that is not https (http on loopback) is `discovery_failed`. Give a
   * registered `postLogoutRedirectUri`: without one AM answers 204 No Content, and the browser
   * is left on an empty page.
   */
  async endSessionUrl(options: { idTokenHint?: string; postLogoutRedirectUri?: string; state?: string } = {}): Promise<URL | undefined> {
    const as = await this.metadata()
    if (!as.end_session_endpoint) return undefined
    const url = navigable(as.end_session_endpoint, 'end_session_endpoint')
    const params = defined({ client_id: this.clientId, id_token_hint: options.idTokenHint, post_logout_redirect_uri: options.postLogoutRedirectUri, state: options.state })
    for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v)
    return url
  }

  /**
   * Verifies the signature of the JWT oauth4webapi took from `response` (ID token, userinfo,
   * introspection) against the issuer's JWKS, cached and refetched on an unknown `kid`;
   * `none` and HS* are refused.
   */
  async verifySignature(response: Response): Promise<void> {
    await this.#verifySignature(await this.metadata(), response)
  }

  #verifySignature(as: ServerMetadata, response: Response): Promise<void> {
    return this.request(as.jwks_uri, (opts) => oauth.validateApplicationLevelSignature(as, response, { ...opts, [oauth.jwksCache]: this.jwks }))
  }

  /**
   * oauth4webapi's option decrypting a JWE with the `decrypt` option (none without it); a
   * failure is `code`. `seen` collects each JWE's plaintext, for the ID token kept as a hint.
   */
  jweOptions(code: AuthErrorCode, during: string, seen?: Map<string, string>): { [oauth.jweDecrypt]?: oauth.JweDecryptFunction } {
    const decrypt = this.#options.decrypt
    if (!decrypt) return {}
    return {
      [oauth.jweDecrypt]: async (jwe) => {
        try {
          const jwt = await decrypt(jwe)
          seen?.set(jwe, jwt)
          return jwt
        } catch (err) {
          throw new AuthError(code, `${during}: ${(err as Error).message}`, { cause: err })
        }
      },
    }
  }

  /**
   * Runs `send` with request options for oauth4webapi calls to `url` (the issuer's when
   * undefined): the injected fetch, loopback http, and each request's timeout, which ends
   * when `send` settles (read the body inside it).
   */
  request<T>(url: string | undefined, send: (opts: HttpRequestOptions) => Promise<T>): Promise<T> {
    return withRequestOptions(url ?? this.issuer, this.#options, send)
  }

  /** The injected fetch, for callers that make their own requests to the provider. */
  http(): { fetch?: typeof fetch; timeoutMs?: number } {
    return defined({ fetch: this.#options.fetch, timeoutMs: this.#options.timeoutMs })
  }

  /** The oauth4webapi client metadata, with the clock synchronised to the injected one. */
  oauthClient(): oauth.Client {
    // oauth4webapi reads Date.now(); its clockSkew makes it see the injected clock instead.
    this.#client[oauth.clockSkew] = Math.floor(this.#now() / 1000) - Math.floor(Date.now() / 1000)
    return this.#client
  }

  get auth(): ClientAuthentication {
    return this.#clientAuth
  }

  /**
   * Runs one token-endpoint request and validates its answer (ID-token signature and claims
   * included) into a {@link TokenSet}; `tokenGrant` and the flows here share it.
   *
   * @internal
   */
  async tokenRequest(
    during: string,
    run: (as: ServerMetadata, opts: RequestOptions, jwe: ReturnType<OidcClient['jweOptions']>) => Promise<[Response, oauth.TokenEndpointResponse]>,
  ): Promise<TokenSet> {
    const as = await this.metadata()
    this.oauthClient()
    const receivedAt = this.#now()
    let response: Response
    let body: oauth.TokenEndpointResponse
    const endpoint = as.token_endpoint ?? this.issuer
    const decrypted = this.#options.decrypt ? new Map<string, string>() : undefined
    const jwe = this.jweOptions('id_token_invalid', during, decrypted)
    try {
      ;[response, body] = await this.withProof('POST', endpoint, undefined, (headers) => this.request(endpoint, (opts) => run(as, { ...opts, headers }, jwe)))
      this.dpop?.observe(endpoint, response)
      if (body.id_token !== undefined) {
        // A key means ID tokens come encrypted; a plain JWS here is a downgrade, however well signed.
        if (decrypted && !decrypted.has(body.id_token)) {
          throw new AuthError('id_token_invalid', `${during}: the ID token is not encrypted, but this client holds a decryption key for it`)
        }
        await this.#verifySignature(as, response)
      }
    } catch (err) {
      throw await tokenEndpointError(err, during)
    }
    const claims = oauth.getValidatedIdTokenClaims(body)
    // What oauth4webapi leaves to the caller: `azp` on single-audience tokens, and an `iat` from
    // the future (it only requires a numeric one).
    if (claims?.azp !== undefined && claims.azp !== this.clientId) {
      throw new AuthError('id_token_invalid', `ID token azp '${String(claims.azp)}' is not this client`)
    }
    if (claims && claims.iat > receivedAt / 1000 + this.#client[oauth.clockTolerance]!) {
      throw new AuthError('id_token_invalid', 'ID token iat is in the future')
    }
    // Kept signed, not encrypted: the provider cannot read a JWE to the client as an `id_token_hint`.
    const idToken = body.id_token && (decrypted?.get(body.id_token) ?? body.id_token)
    return defined({
      accessToken: body.access_token,
      tokenType: body.token_type,
      receivedAt,
      expiresAt: body.expires_in === undefined ? undefined : receivedAt + body.expires_in * 1000,
      refreshToken: body.refresh_token,
      idToken,
      claims,
      scope: body.scope,
    })
  }

  /** Runs `send` with a DPoP proof header when tokens are sender-constrained (see {@link DPoP.request}). @internal */
  withProof<T>(method: string, url: string, accessToken: string | undefined, send: (headers: Record<string, string>) => Promise<T>): Promise<T> {
    return this.dpop ? this.dpop.request(method, url, this.#now, accessToken, send) : send({})
  }
}

/**
 * An endpoint of the provider's metadata that the browser is sent to: `https:` (`http:` on
 * loopback only, as for requests). Anything else, `javascript:` above all, would run the
 * metadata's author's script in the app's origin once handed to `location.assign`.
 */
function navigable(endpoint: string | undefined, name: string): URL {
  if (!endpoint) throw new AuthError('discovery_failed', `The provider has no ${name}`)
  const url = URL.canParse(endpoint) ? new URL(endpoint) : undefined
  if (!url || !(url.protocol === 'https:' || allowsPlainHttp(endpoint))) {
    throw new AuthError('discovery_failed', `The provider's ${name} is not an https URL: ${endpoint}`)
  }
  return url
}
