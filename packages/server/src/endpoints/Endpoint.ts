import type { Context } from '../services/context.js'
import type { Realm } from '../model/index.js'
import type { Reply } from '../base/http.js'

/**
 * One endpoint under an issuer or in AM's REST tree: everything the router, the method check,
 * CORS and discovery need to know about it, in one row of the endpoint table.
 */
export interface Endpoint {
  /** The path after the issuer, such as `token/revoke`, or after the realm in AM's REST tree. */
  path: string
  /**
   * `json`: AM's REST tree, `{basePath}/json/realms/root/realms/{realm}/{path}`, whose errors
   * are AM's `{ code, reason, message }`. Absent: under the issuer, `{basePath}/oauth2/…`.
   */
  under?: 'json'
  /** Other methods are refused with 405 before the handler runs. */
  methods: readonly ('GET' | 'POST' | 'PUT' | 'DELETE')[]
  handler: (ctx: Context) => Promise<Reply>
  /** Called with fetch from browser pages: preflights are answered, responses carry CORS headers. */
  cors: boolean
  /** Its field in the discovery document; absent for endpoints discovery does not name. */
  discovery?: string
  /** Whether discovery names it in this realm; always when absent. */
  published?: (realm: Realm) => boolean
}
