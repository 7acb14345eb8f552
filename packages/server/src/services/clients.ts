import type { Context } from './context.js'
import { resolveClient } from '../config/resolveConfig.js'
import { Validator } from '../config/Validator.js'
import type { Client, ClientConfig } from '../model/index.js'
import { registeredClientId, type RegisteredClientPayload } from '../records/index.js'

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
  const key = registeredClientId(ctx.realm.path, id)
  const entry = await ctx.rt.store.find<RegisteredClientPayload>('Client', key)
  if (!entry || entry.payload.realm !== ctx.realm.path) return undefined
  // Checked against the record's version: one changed by another instance is resolved afresh.
  const version = entry.payload.version
  const hit = cache.get(key)
  if (hit && hit.version === version) {
    cache.delete(key)
    cache.set(key, hit)
    return hit.client
  }
  const client = toClient(ctx, entry.payload)
  cache.set(key, { version, client })
  if (cache.size > CACHE_SIZE) cache.delete(cache.keys().next().value!)
  return client
}

/** A registered client from its stored record; the secret is compared by digest. */
function toClient(ctx: Context, payload: RegisteredClientPayload): Client {
  const config = payload.config as unknown as ClientConfig
  if (payload.secretDigest === undefined) return resolveClient(new Validator(), 'client', config, ctx.realm.settings.lifetimes)
  // The config was checked with its secret at registration; this stand-in only satisfies that check again.
  const { secret: _none, ...client } = resolveClient(new Validator(), 'client', { ...config, client_secret: 'digest-only' }, ctx.realm.settings.lifetimes)
  return { ...client, secretDigest: payload.secretDigest }
}
