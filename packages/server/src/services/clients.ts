import type { Context } from './context.js'
import { resolveClient } from '../config/resolveClient.js'
import { Validator } from '../config/Validator.js'
import { isCertificateMethod } from './mtls.js'
import { ConfigError, OAuthError } from '../base/errors.js'
import { INTROSPECT_ALL, JWT_BEARER_GRANT, type Client, type ClientConfig } from '../model/index.js'
import { registeredClientId, type RegisteredClientPayload } from '../records/index.js'
import type { StoreEntry } from '../store/Store.js'

/** Resolved registered clients kept per process: bounded, so registrations cannot grow memory. */
const CACHE_SIZE = 500
const cache = new Map<string, { version: number; client: Client }>()

/**
 * The client `id` of this request's realm: one from the config, or one `register` made (from
 * the store, so a client registered on one instance works on every other, and after a restart).
 */
export async function findClient(ctx: Context, id: string): Promise<Client | undefined> {
  const configured = ctx.realm.clients.get(id)
  if (configured) return configured
  return (await findRegistered(ctx, id))?.client
}

/** A client `register` made, with its stored record (what client management rewrites). */
export async function findRegistered(ctx: Context, id: string): Promise<{ client: Client; entry: StoreEntry<RegisteredClientPayload> } | undefined> {
  const key = registeredClientId(ctx.realm.path, id)
  const entry = await ctx.rt.store.find<RegisteredClientPayload>('Client', key)
  if (!entry || entry.payload.realm !== ctx.realm.path) return undefined
  // Checked against the record's version: one changed (or deleted and made again) by another instance is resolved afresh.
  const version = entry.payload.version
  const hit = cache.get(key)
  if (hit && hit.version === version) {
    cache.delete(key)
    cache.set(key, hit)
    return { client: hit.client, entry }
  }
  const client = toClient(ctx, entry.payload)
  cache.set(key, { version, client })
  if (cache.size > CACHE_SIZE) cache.delete(cache.keys().next().value!)
  return { client, entry }
}

/** A registered client from its stored record; the secret is compared by digest. */
function toClient(ctx: Context, payload: RegisteredClientPayload): Client {
  const config = payload.config as unknown as ClientConfig
  const kept = {
    ...(payload.registrationTokenDigest !== undefined && { registrationTokenDigest: payload.registrationTokenDigest }),
    ...(payload.issuedAt !== undefined && { issuedAt: payload.issuedAt }),
  }
  if (payload.secretDigest === undefined) return { ...resolveClient(new Validator(), 'client', config, ctx.realm.settings.lifetimes), ...kept }
  // The config was checked with its secret at registration; this stand-in only satisfies that check again.
  const { secret: _none, ...client } = resolveClient(new Validator(), 'client', { ...config, client_secret: 'digest-only' }, ctx.realm.settings.lifetimes)
  return { ...client, secretDigest: payload.secretDigest, ...kept }
}

/**
 * Whether registering `requested` issues a secret: not to a public client, nor to one that
 * authenticates with its keys (AM generates the secret and ignores one that was asked for).
 */
export function takesSecret(requested: ClientConfig): boolean {
  // A client with keys, or known by its TLS certificate (RFC 8705), gets no secret it would never use.
  const method = String(requested.token_endpoint_auth_method)
  return method !== 'none' && !isCertificateMethod(method) && requested.jwks === undefined && requested.jwks_uri === undefined
}

/**
 * Checks metadata sent to `register` as the config checks a client, answering RFC 7591's errors.
 * The JWT bearer grant is for configured clients only: its assertions name any user of the realm
 * in `sub`, verified by the client's own key, so a client anyone may register with a key of its
 * choosing would get tokens for every user (RFC 7591 section 5: metadata is self-asserted); AM's
 * `am-introspect-all-tokens` scope, which reads every client's tokens, likewise. The
 * URLs the provider fetches for a registered client are https on a public-looking host.
 */
export function resolveRegistration(ctx: Context, config: ClientConfig): Client {
  let client: Client
  try {
    client = resolveClient(new Validator(), 'client', config, ctx.realm.settings.lifetimes)
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error
    const code = error.field.includes('redirect_uris') ? 'invalid_redirect_uri' : 'invalid_client_metadata'
    throw new OAuthError(code, error.message.replace('Invalid provider config at client.', ''))
  }
  if (client.grantTypes.has(JWT_BEARER_GRANT)) {
    throw new OAuthError('invalid_client_metadata', `grant_types: ${JWT_BEARER_GRANT} acts for any user of the realm; only a client in the provider's config may have it`)
  }
  if (client.allowedScopes.has(INTROSPECT_ALL)) {
    throw new OAuthError('invalid_client_metadata', `scope: ${INTROSPECT_ALL} reads every client's tokens; only a client in the provider's config may have it`)
  }
  const fetched: [string, string | undefined][] = [['jwks_uri', client.jwksUri], ...client.requestUris.map((u, i): [string, string] => [`request_uris[${i}]`, u])]
  for (const [field, uri] of fetched) {
    if (uri !== undefined && !isOutsideUrl(uri)) {
      throw new OAuthError('invalid_client_metadata', `${field}: the provider fetches it, so a registered client's must be https on a host name, not an IP address or localhost`)
    }
  }
  return client
}

/**
 * Whether a URL a registered client gave may be fetched by the provider: https on a host name.
 * Loopback and IP literals would have the provider probe its own machine and network for anyone
 * (cloud metadata, databases), its error answers telling what is listening. Names that resolve
 * to such addresses are not caught; configured clients, which the operator chose, may use any.
 */
function isOutsideUrl(uri: string): boolean {
  const { protocol, hostname } = new URL(uri)
  // `localhost.` is `localhost` to the resolver (a fully qualified name); URL keeps the dot.
  const host = hostname.replace(/\.$/, '')
  const ip = /^\d+\.\d+\.\d+\.\d+$/.test(host) || host.startsWith('[')
  return protocol === 'https:' && !ip && host !== 'localhost' && !host.endsWith('.localhost')
}

/**
 * A client's information response (RFC 7591 section 3.2.1, RFC 7592 section 3): the metadata
 * as asked for (`echo`, never a self-chosen secret or token), then what the provider made of
 * it, and the URI that reads, updates and deletes it.
 */
export function clientInformation(ctx: Context, client: Client, echo: Record<string, unknown>): Record<string, unknown> {
  const { client_secret: _secret, implied_consent: _consent, registration_access_token: _token, ...asked } = echo
  return {
    ...asked,
    client_id: client.id,
    client_name: client.name,
    ...(client.issuedAt !== undefined && { client_id_issued_at: client.issuedAt }),
    token_endpoint_auth_method: client.authMethod,
    grant_types: [...client.grantTypes],
    response_types: [...client.responseTypes],
    redirect_uris: client.redirectUris,
    scope: [...client.allowedScopes].join(' '),
    registration_client_uri: `${ctx.issuer}/register?client_id=${encodeURIComponent(client.id)}`,
  }
}
