import type { Context } from './context.js'
import { remoteJwks } from './clientAuth.js'
import { OAuthError } from '../base/errors.js'
import { encryptJwt, encryptionJwk, signJwt } from '../keys/index.js'
import type { Client, Encryption, SigningAlg } from '../model/index.js'

/**
 * Encrypts `plaintext` to the client's public key for `encryption`: from `jwks`, or from
 * `jwks_uri` (cached; fetched again once when it holds no key for the algorithm, as after a
 * rotation). A client with no usable key gets a typed error, never a 500.
 */
export async function encryptToClient(ctx: Context, client: Client, plaintext: string, encryption: Encryption, cty?: string): Promise<string> {
  let jwk = client.jwks && encryptionJwk(client.jwks, encryption.alg)
  if (!jwk && client.jwksUri) {
    const remote = remoteJwks(ctx, client)
    try {
      if (!remote.fresh) await remote.reload()
      jwk = encryptionJwk(remote.jwks() ?? { keys: [] }, encryption.alg)
      if (!jwk && !remote.coolingDown) {
        await remote.reload()
        jwk = encryptionJwk(remote.jwks() ?? { keys: [] }, encryption.alg)
      }
    } catch (cause) {
      throw new OAuthError('invalid_client', `The client's jwks_uri cannot be read: ${(cause as Error).message}`)
    }
  }
  if (!jwk) throw new OAuthError('invalid_client', `The client has no public key for ${encryption.alg} encryption`)
  try {
    return await encryptJwt(plaintext, jwk, encryption, cty)
  } catch (cause) {
    throw new OAuthError('invalid_client', `The client's ${encryption.alg} key cannot be used: ${(cause as Error).message}`)
  }
}

/**
 * A JWT-secured answer (userinfo as OIDC Core 5.3.2 says, introspection as RFC 9701 does):
 * signed when `alg` is given, then encrypted to the client when `encryption` is; encrypted
 * without signing, the plaintext is the JSON claims.
 */
export async function securedJwt(
  ctx: Context,
  client: Client,
  claims: Record<string, unknown>,
  options: { alg?: SigningAlg; encryption?: Encryption; typ?: string },
): Promise<string> {
  const signed = options.alg === undefined ? undefined : await signJwt(ctx.rt.keys.signingKey(options.alg), claims, options.typ)
  if (!options.encryption) return signed!
  return encryptToClient(ctx, client, signed ?? JSON.stringify(claims), options.encryption, signed === undefined ? undefined : 'JWT')
}
