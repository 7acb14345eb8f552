import type { ClientConfig } from '../model/index.js'
import type { Context } from '../services/context.js'
import { clientInformation, resolveRegistration, takesSecret } from '../services/clients.js'
import { randomToken, secretKey } from '../base/crypto.js'
import { FOREVER_MS, registeredClientId, type RegisteredClientPayload } from '../records/index.js'
import { OAuthError } from '../base/errors.js'
import { json, readJsonObject, type Reply } from '../base/http.js'
import { clientConfiguration } from './clientConfiguration.js'

/**
 * `register`: `POST` registers a client (RFC 7591) when the realm allows open registration;
 * `GET`, `PUT` and `DELETE` with `?client_id=` and the `registration_access_token` read,
 * replace and delete it (RFC 7592, at the URI AM gives: {@link clientConfiguration}).
 */
export function register(ctx: Context): Promise<Reply> {
  return ctx.request.method === 'POST' ? create(ctx) : clientConfiguration(ctx)
}

/**
 * Implied consent cannot be self-granted (AM refuses it too); the provider picks the id, the
 * secret and the registration access token.
 */
async function create(ctx: Context): Promise<Reply> {
  const settings = ctx.realm.settings
  if (!settings.allowDynamicRegistration) {
    throw new OAuthError('access_denied', 'Dynamic client registration is not enabled for this realm', 403)
  }
  const requested = (await readJsonObject(ctx.request, ctx.rt.config.maxBodyBytes, 'invalid_client_metadata')) as unknown as ClientConfig
  const { client_secret: _asked, registration_access_token: _token, ...config } = {
    ...requested,
    client_id: randomToken(16),
    implied_consent: false,
  } satisfies ClientConfig
  const secret = takesSecret(requested) ? randomToken(32) : undefined
  const client = resolveRegistration(ctx, { ...config, ...(secret !== undefined && { client_secret: secret }) })
  const registrationToken = randomToken(32)
  const issuedAt = ctx.nowSec
  // The answer is built before the client is kept: nothing is registered that was not answered.
  const answer = json(
    {
      ...clientInformation(ctx, { ...client, issuedAt }, requested as unknown as Record<string, unknown>),
      ...(secret !== undefined && { client_secret: secret, client_secret_expires_at: 0 }),
      registration_access_token: registrationToken,
    },
    201,
  )
  // A quota, not a transaction: concurrent registrations at the limit may pass it by a few.
  const prefix = registeredClientId(ctx.realm.path, '')
  if ((await ctx.rt.store.count('Client', prefix)) >= settings.registrationLimit) {
    throw new OAuthError('access_denied', `This realm has reached its limit of ${settings.registrationLimit} registered clients`, 403)
  }
  const payload: RegisteredClientPayload = {
    realm: ctx.realm.path,
    config: config as Record<string, unknown>,
    version: 1,
    issuedAt,
    registrationTokenDigest: await secretKey(registrationToken),
    ...(secret !== undefined && { secretDigest: await secretKey(secret) }),
  }
  // Kept in the store like every other record: every instance knows the client, a restart keeps it.
  if (!(await ctx.rt.store.insert('Client', registeredClientId(ctx.realm.path, client.id), payload, FOREVER_MS))) {
    throw new OAuthError('temporarily_unavailable', 'A client with this id exists; register again', 503, { 'retry-after': '0' })
  }
  return answer
}
