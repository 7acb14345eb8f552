import type { ClientConfig } from '../model/index.js'
import { resolveClient } from '../config/resolveConfig.js'
import { Validator } from '../config/Validator.js'
import type { Context } from '../services/context.js'
import { randomToken, secretKey } from '../base/crypto.js'
import { FOREVER_MS, registeredClientId, type RegisteredClientPayload } from '../records/index.js'
import { OAuthError, ConfigError } from '../base/errors.js'
import { json, readJsonObject, type Reply } from '../base/http.js'

/**
 * `register` (RFC 7591), when the realm allows open registration. Implied consent cannot
 * be self-granted (AM refuses it too); the provider picks the id and the secret.
 */
export async function register(ctx: Context): Promise<Reply> {
  const settings = ctx.realm.settings
  if (!settings.allowDynamicRegistration) {
    throw new OAuthError('access_denied', 'Dynamic client registration is not enabled for this realm', 403)
  }
  const requested = (await readJsonObject(ctx.request, ctx.rt.config.maxBodyBytes, 'invalid_client_metadata')) as unknown as ClientConfig
  const isPublic = requested.token_endpoint_auth_method === 'none'
  const withKeys = requested.jwks !== undefined || requested.jwks_uri !== undefined
  const config: ClientConfig = {
    ...requested,
    client_id: randomToken(16),
    implied_consent: false,
    ...(isPublic || withKeys ? {} : { client_secret: randomToken(32) }),
  }
  if (isPublic || withKeys) delete config.client_secret
  let client
  try {
    client = resolveClient(new Validator(), 'client', config, ctx.realm.settings.lifetimes)
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error
    const code = error.field.includes('redirect_uris') ? 'invalid_redirect_uri' : 'invalid_client_metadata'
    throw new OAuthError(code, error.message.replace('Invalid provider config at client.', ''))
  }
  // Echo what was asked for, minus what was not granted: a self-chosen secret, implied consent.
  // The answer is built before the client is kept: nothing is registered that was not answered.
  const { client_secret: _secret, implied_consent: _consent, ...echo } = requested
  const answer = json(
    {
      ...echo,
      client_id: client.id,
      ...(client.secret !== undefined && { client_secret: client.secret, client_secret_expires_at: 0 }),
      client_id_issued_at: ctx.nowSec,
      token_endpoint_auth_method: client.authMethod,
      grant_types: [...client.grantTypes],
      response_types: [...client.responseTypes],
      redirect_uris: client.redirectUris,
      scope: [...client.allowedScopes].join(' '),
    },
    201,
  )
  // A quota, not a transaction: concurrent registrations at the limit may pass it by a few.
  const prefix = registeredClientId(ctx.realm.path, '')
  if ((await ctx.rt.store.count('Client', prefix)) >= settings.registrationLimit) {
    throw new OAuthError('access_denied', `This realm has reached its limit of ${settings.registrationLimit} registered clients`, 403)
  }
  const { client_secret: secret, ...kept } = config
  const payload: RegisteredClientPayload = {
    realm: ctx.realm.path,
    config: kept as Record<string, unknown>,
    version: 1,
    ...(secret !== undefined && { secretDigest: await secretKey(secret) }),
  }
  // Kept in the store like every other record: every instance knows the client, a restart keeps it.
  if (!(await ctx.rt.store.insert('Client', registeredClientId(ctx.realm.path, client.id), payload, FOREVER_MS))) {
    throw new OAuthError('temporarily_unavailable', 'A client with this id exists; register again', 503, { 'retry-after': '0' })
  }
  return answer
}
