import type { Context } from '../services/context.js'
import type { DPoPProof } from '../services/dpop.js'
import { timeOrderedKey } from '../base/crypto.js'
import { OAuthError } from '../base/errors.js'
import type { Client } from '../model/index.js'
import type { RecordKind, StoredPayload } from '../records/index.js'
import type { StoreEntry } from '../store/Store.js'
import type { Params, Reply } from '../base/http.js'

/**
 * One grant: `proof` is the request's verified DPoP proof, when it carried one.
 */
export type Grant = (ctx: Context, client: Client, params: Params, proof: DPoPProof | undefined) => Promise<Reply>

/**
 * The prologue of the grants that redeem a secret the provider handed out (a code, a refresh
 * token, a device code): the parameter is required, the record is found by the secret's
 * store key ({@link timeOrderedKey}), and a record of another realm is as good as none (`invalid_grant` with `invalid`).
 */
export async function findRedeemed<P extends StoredPayload & { realm: string }>(
  ctx: Context,
  params: Params,
  param: string,
  kind: RecordKind,
  invalid: string,
): Promise<{ id: string; entry: StoreEntry<P> }> {
  const secret = params.get(param)
  if (secret === undefined) throw new OAuthError('invalid_request', `${param} is required`)
  const id = await timeOrderedKey(secret)
  const entry = await ctx.rt.store.find<P>(kind, id)
  if (!entry || entry.payload.realm !== ctx.realm.path) throw new OAuthError('invalid_grant', invalid)
  return { id, entry }
}
