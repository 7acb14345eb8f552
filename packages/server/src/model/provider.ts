import type { Realm } from './realm.js'

/** The provider's config once checked and filled with defaults: what every request reads. */
export interface ResolvedConfig {
  basePath: string
  origin?: string
  cookieName: string
  maxBodyBytes: number
  realms: Map<string, Realm>
}
