import type { Context } from '../services/context.js'
import { secretKey } from '../base/crypto.js'
import { OAuthError } from '../base/errors.js'
import { Params } from '../base/http.js'
import type { PushedRequestPayload } from '../records/index.js'
import type { Target } from './request.js'

/**
 * The prefix of every `request_uri` the `par` endpoint hands out (RFC 9126 section 2.2).
 */
export const PAR_URN = 'urn:ietf:params:oauth:request_uri:'

/**
 * RFC 9126 section 4: `client_id` and a `request_uri` from `par` stand for the pushed
 * parameters; every other parameter of the request is ignored. Unknown, expired, spent and
 * other clients' request URIs are refused on a page: no redirect URI can be trusted then.
 */
export async function pushedRequest(ctx: Context, query: Params): Promise<{ params: Params; pushed: string }> {
  const requestUri = query.get('request_uri')!
  const clientId = query.get('client_id')
  if (clientId === undefined) throw new OAuthError('invalid_request', 'client_id is required with request_uri')
  const id = await secretKey(requestUri)
  const entry = await ctx.rt.store.find<PushedRequestPayload>('PushedAuthorizationRequest', id)
  const usable = entry !== undefined && !entry.consumed && entry.payload.expiresAt > ctx.nowSec
  if (!usable || entry.payload.realm !== ctx.realm.path || entry.payload.clientId !== clientId) {
    throw new OAuthError('invalid_request_uri', 'The request_uri is unknown, expired, already used, or was pushed by another client')
  }
  return { params: Params.fromEntries(entry.payload.params), pushed: id }
}

/**
 * Marks a pushed request used once an authorization response is sent for it; false when
 * another response was sent for it first. One whose `request_uri` expired while the user
 * signed in is still answered: the sign-in started in time.
 */
export async function spendPushed(ctx: Context, target: Target): Promise<boolean> {
  if (target.pushed === undefined) return true
  const before = await ctx.rt.store.consume('PushedAuthorizationRequest', target.pushed)
  return before === undefined || !before.consumed
}
