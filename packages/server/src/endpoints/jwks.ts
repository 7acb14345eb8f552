import type { Context } from '../services/context.js'
import { json, type Reply } from '../base/http.js'

/** `connect/jwk_uri`: every public key that may have signed a live token. */
export async function jwks(ctx: Context): Promise<Reply> {
  return json(ctx.rt.keys.jwks(), 200, { 'cache-control': 'public, max-age=300' })
}
