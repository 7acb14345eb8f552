import type { ClientConfig, Client } from '../model/index.js'
import { authorizationToken, invalidToken } from '../services/accessTokens.js'
import { clientInformation, findRegistered, resolveRegistration, takesSecret } from '../services/clients.js'
import type { Context } from '../services/context.js'
import { constantTimeEqual, randomToken, secretKey } from '../base/crypto.js'
import { OAuthError } from '../base/errors.js'
import { json, queryParams, readJsonObject, type Reply } from '../base/http.js'
import { FOREVER_MS, registeredClientId, type RegisteredClientPayload } from '../records/index.js'
import type { StoreEntry } from '../store/Store.js'

/** Fields of a client information response a client must not send back in an update (RFC 7592 section 2.2). */
const SERVER_FIELDS = ['registration_access_token', 'registration_client_uri', 'client_secret_expires_at', 'client_id_issued_at']
/** How long an update's version marker is kept: far longer than a read-modify-write takes. */
const VERSION_MARKER_LIFETIME_MS = 86_400_000
/** Updates retried when another instance changed the record meanwhile, before answering 503. */
const ATTEMPTS = 3

/**
 * RFC 7592 at AM's URI, `register?client_id=…` with `Authorization: Bearer` and the client's
 * `registration_access_token`: `GET` reads the registration, `PUT` replaces it whole,
 * `DELETE` removes it. A configured client (one with `registration_access_token` in the
 * config) may read itself; it is changed in the config, so `PUT` and `DELETE` are 403.
 */
export async function clientConfiguration(ctx: Context): Promise<Reply> {
  const { client, entry, token } = await authorized(ctx)
  const method = ctx.request.method
  if (method === 'GET') return json({ ...clientInformation(ctx, client, entry?.payload.config ?? {}), registration_access_token: token })
  if (entry === undefined) {
    throw new OAuthError('access_denied', `Client '${client.id}' comes from the provider config: change it there (decisions/0062)`, 403)
  }
  if (method === 'DELETE') {
    await remove(ctx, client.id)
    return { status: 204, headers: { 'cache-control': 'no-store' }, body: null }
  }
  return update(ctx, client, token)
}

/**
 * The client the request's token is for. A wrong token, an unknown client and a client with
 * no token all answer 401 `invalid_token` (RFC 7592 section 2.1) after one digest comparison,
 * so the answer does not tell which client ids exist.
 */
async function authorized(ctx: Context): Promise<{ client: Client; entry?: StoreEntry<RegisteredClientPayload>; token: string }> {
  const presented = authorizationToken(ctx.request)
  if (presented === undefined) {
    throw new OAuthError('invalid_request', 'The registration_access_token is required as a Bearer token', 401, { 'www-authenticate': `Bearer realm="${ctx.realm.path}"` })
  }
  if (presented.scheme !== 'Bearer') throw invalidToken('The registration_access_token is a Bearer token', ctx.realm.path)
  const id = queryParams(ctx.url).get('client_id')
  if (id === undefined) throw new OAuthError('invalid_request', 'client_id is required in the query')
  const configured = ctx.realm.clients.get(id)
  const registered = configured ? undefined : await findRegistered(ctx, id)
  const client = configured ?? registered?.client
  const expected = client?.registrationTokenDigest ?? (client?.registrationAccessToken === undefined ? undefined : await secretKey(client.registrationAccessToken))
  const ok = constantTimeEqual(expected ?? '\0no token', await secretKey(presented.token))
  if (!client || expected === undefined || !ok) {
    throw invalidToken('The registration access token is invalid, or the client does not exist', ctx.realm.path)
  }
  return { client, ...(registered && { entry: registered.entry }), token: presented.token }
}

/**
 * RFC 7592 section 2.2: the request is the whole new metadata; what it leaves out is gone.
 * The id, the secret and the token stay the provider's: a client gets a new secret only when
 * it becomes one that takes a secret, and loses it when it no longer does.
 */
async function update(ctx: Context, client: Client, token: string): Promise<Reply> {
  const requested = (await readJsonObject(ctx.request, ctx.rt.config.maxBodyBytes, 'invalid_client_metadata')) as unknown as ClientConfig
  const sent = SERVER_FIELDS.filter((f) => Object.hasOwn(requested, f))
  if (sent.length > 0) throw new OAuthError('invalid_client_metadata', `${sent.join(', ')} must not be sent in an update (RFC 7592 section 2.2)`)
  if (requested.client_id !== client.id) throw new OAuthError('invalid_client_metadata', `client_id must be sent, and be '${client.id}'`)
  if (requested.client_secret !== undefined && !constantTimeEqual(client.secretDigest ?? '\0no secret', await secretKey(String(requested.client_secret)))) {
    throw new OAuthError('invalid_client_metadata', 'client_secret, when sent, must be the one issued: a client does not choose its secret')
  }
  const { client_secret: _secret, registration_access_token: _token, ...rest } = requested
  const config: ClientConfig = { ...rest, client_id: client.id, implied_consent: false }
  const key = registeredClientId(ctx.realm.path, client.id)
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const current = await findRegistered(ctx, client.id)
    if (!current || current.client.registrationTokenDigest !== client.registrationTokenDigest) throw invalidToken('The client does not exist', ctx.realm.path)
    const old = current.entry.payload
    const newSecret = takesSecret(requested) && old.secretDigest === undefined ? randomToken(32) : undefined
    const secret = takesSecret(requested) ? (newSecret ?? 'digest-only') : undefined
    // Checked with a stand-in for a kept secret, as a stored client is resolved (services/clients.ts).
    const resolved = resolveRegistration(ctx, { ...config, ...(secret !== undefined && { client_secret: secret }) })
    const { secretDigest: _old, ...unchanged } = old
    const secretDigest = newSecret !== undefined ? await secretKey(newSecret) : secret !== undefined ? old.secretDigest : undefined
    const payload: RegisteredClientPayload = {
      ...unchanged,
      config: config as unknown as Record<string, unknown>,
      version: old.version + 1,
      ...(secretDigest !== undefined && { secretDigest }),
    }
    if (await bumpVersion(ctx, key, payload)) {
      return json({
        ...clientInformation(ctx, { ...resolved, ...(old.issuedAt !== undefined && { issuedAt: old.issuedAt }) }, requested as unknown as Record<string, unknown>),
        ...(newSecret !== undefined && { client_secret: newSecret, client_secret_expires_at: 0 }),
        registration_access_token: token,
      })
    }
  }
  throw new OAuthError('temporarily_unavailable', 'The client was changed meanwhile; send the update again', 503, { 'retry-after': '1' })
}

/**
 * Writes `payload` only if no other write has taken its version since the record was read: the marker `v{version}` is taken in the same transaction, so of
 * writers racing from one version exactly one lands, and an instance never caches a record
 * under a version another one holds.
 */
async function bumpVersion(ctx: Context, key: string, payload: RegisteredClientPayload): Promise<boolean> {
  const marker = `client ${key} v${payload.version}`
  const outcome = await ctx.rt.store.commit({
    unless: { kind: 'ReplayDetection', id: marker },
    writes: [
      { kind: 'Client', id: key, payload, expiresAt: FOREVER_MS },
      { kind: 'ReplayDetection', id: marker, payload: {}, expiresAt: ctx.rt.now() + VERSION_MARKER_LIFETIME_MS },
    ],
  })
  return outcome === 'committed'
}

/**
 * RFC 7592 section 2.3. The version is bumped first, so an update racing the removal finds
 * its version taken and the record gone, and cannot write the client back.
 */
async function remove(ctx: Context, id: string): Promise<void> {
  const key = registeredClientId(ctx.realm.path, id)
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const current = await findRegistered(ctx, id)
    if (!current) return
    const old = current.entry.payload
    if (await bumpVersion(ctx, key, { ...old, version: old.version + 1 })) {
      await ctx.rt.store.destroy('Client', key)
      return
    }
  }
  throw new OAuthError('temporarily_unavailable', 'The client was changed meanwhile; send the delete again', 503, { 'retry-after': '1' })
}
