import { clientRequest } from '../services/clientAuth.js'
import type { Context } from '../services/context.js'
import { randomToken, secretKey } from '../base/crypto.js'
import { dpopNonceHeaders, dpopProofHeader, verifyDPoPProof } from '../services/dpop.js'
import { OAuthError } from '../base/errors.js'
import { Params, json, type Reply } from '../base/http.js'
import { PAR_URN } from '../authorization/pushed.js'
import { validateAuthorizationRequest } from '../authorization/request.js'
import { requestObjectParams } from '../authorization/requestObject.js'
import { INTERACTION_LIFETIME_MS, type PushedRequestPayload } from '../records/index.js'

/** Client credentials: checked here, never kept with the pushed request. */
const CREDENTIALS = new Set(['client_secret', 'client_assertion', 'client_assertion_type'])

/**
 * `par` (RFC 9126): the client authenticates as at `access_token` and pushes an authorization
 * request (plain, or as a signed request object in `request`), checked as `authorize` checks
 * one, in exchange for a single-use `request_uri`. A
 * DPoP proof (RFC 9449 section 10.1) binds the code that comes of it to the proof's key.
 */
export async function par(ctx: Context): Promise<Reply> {
  const { params: form, client } = await clientRequest(ctx, { allowPublic: true })
  if (form.has('request_uri')) throw new OAuthError('invalid_request', 'request_uri cannot be pushed (RFC 9126 section 2.1)')
  // client_id is the authenticated one (a different one in the body was refused already):
  // with client_secret_basic it may come from the header alone, and authorize needs it.
  let params = new Params()
  params.add('client_id', client.id)
  for (const [name, value] of form.entries()) if (name !== 'client_id' && !CREDENTIALS.has(name)) params.add(name, value)
  // RFC 9126 section 3: a request object may be pushed; what is kept is its checked parameters.
  if (params.has('request')) params = await requestObjectParams(ctx, params, client)
  await validateAuthorizationRequest(ctx, params)

  const proofHeader = dpopProofHeader(ctx.request, 'token')
  if (proofHeader !== undefined) {
    // Nonces are not asked for here: the realm's dpop_nonce covers access_token and the resources.
    const proof = await verifyDPoPProof(ctx, proofHeader, { where: 'token', requireNonce: false })
    const given = params.get('dpop_jkt')
    if (given !== undefined && given !== proof.jkt) {
      throw new OAuthError('invalid_request', 'dpop_jkt does not match the key of the DPoP proof (RFC 9449 section 10.1)')
    }
    if (given === undefined) params.add('dpop_jkt', proof.jkt)
  }

  const requestUri = `${PAR_URN}${randomToken(32)}`
  const lifetime = ctx.realm.settings.parLifetime
  const expiresAt = ctx.nowSec + lifetime
  const payload: PushedRequestPayload = { realm: ctx.realm.path, clientId: client.id, params: params.entries(), expiresAt }
  await ctx.rt.store.upsert('PushedAuthorizationRequest', await secretKey(requestUri), payload, expiresAt * 1000 + INTERACTION_LIFETIME_MS)
  return json({ request_uri: requestUri, expires_in: lifetime }, 201, await dpopNonceHeaders(ctx))
}
