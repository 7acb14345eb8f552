import { SignJWT } from 'jose'
import type * as oauth from 'oauth4webapi'
import { AuthError } from '@realmauth/core'
import { importPrivateKey, type ClientAuthOptions, type PrivateKeyInput } from './clientAuthentication.js'

/**
 * Options of `NodeClient.jwtBearer` (RFC 7523 section 2.1): an assertion made elsewhere, or the
 * user it is for, signed here with `privateKey` (default: the key of `private_key_jwt`).
 *
 * @example
 * ```ts
 * const forUser: JwtBearerOptions = { subject: 'demo', scope: 'profile', privateKey: process.env.CLIENT_KEY_PEM! }
 * ```
 */
export type JwtBearerOptions = { scope?: string } & (
  | { assertion: string }
  | {
      /** The user the token is for: the assertion's `sub` (AM: the username). */
      subject: string
      privateKey?: PrivateKeyInput
      /** Default: from the JWK, else its RFC 7638 thumbprint. */
      kid?: string
      /** Default: from the key (RS256, ES256, ES384, ES512, EdDSA). */
      alg?: string
      /** `aud`: the token endpoint (default, as AM documents it) or the issuer. */
      audience?: 'token_endpoint' | 'issuer'
      /** Seconds until `exp`. Default 60: the provider spends the `jti` until then, and bounds it. */
      lifetimeSeconds?: number
    }
)

/** The signed assertion the options describe, issued by `clientId` at `nowMs`. */
export async function jwtBearerAssertion(
  options: JwtBearerOptions,
  as: oauth.AuthorizationServer,
  clientId: string,
  auth: ClientAuthOptions,
  nowMs: number,
): Promise<string> {
  if ('assertion' in options) return options.assertion
  const fromAuth = auth.method === 'private_key_jwt' ? auth : undefined
  const privateKey = options.privateKey ?? fromAuth?.privateKey
  if (privateKey === undefined) {
    throw new AuthError('configuration_error', 'A JWT bearer assertion needs a key: pass privateKey, or authenticate the client with private_key_jwt')
  }
  const sameKey = options.privateKey === undefined
  const { key, kid, alg } = await importPrivateKey(privateKey, options.alg ?? (sameKey ? fromAuth?.alg : undefined), options.kid ?? (sameKey ? fromAuth?.kid : undefined))
  const now = Math.floor(nowMs / 1000)
  const audience = options.audience === 'issuer' || !as.token_endpoint ? as.issuer : as.token_endpoint
  return new SignJWT({})
    .setProtectedHeader({ alg, kid, typ: 'JWT' })
    .setIssuer(clientId)
    .setSubject(options.subject)
    .setAudience(audience)
    .setIssuedAt(now)
    .setExpirationTime(now + (options.lifetimeSeconds ?? 60))
    .setJti(crypto.randomUUID())
    .sign(key)
}
