/**
 * The issuer of an AM / Identity Cloud realm from the tenant's base URL, as AM builds it:
 * `{base}/oauth2/realms/root/realms/{realm}`; sub-realms nest, and `/` is the root realm.
 *
 * @example
 * ```ts
 * realmIssuer('https://openam-acme.forgeblocks.com/am', 'alpha')
 * // 'https://openam-acme.forgeblocks.com/am/oauth2/realms/root/realms/alpha'
 * realmIssuer('http://localhost:9000', 'alpha/beta')
 * // 'http://localhost:9000/oauth2/realms/root/realms/alpha/realms/beta'
 * ```
 */
export function realmIssuer(baseUrl: string, realm: string): string {
  const base = baseUrl.replace(/\/+$/, '').replace(/\/oauth2$/, '')
  const names = realm.split('/').filter(Boolean)
  if (names[0] === 'root') names.shift()
  return names.length === 0 ? `${base}/oauth2` : `${base}/oauth2/realms/root${names.map((n) => `/realms/${n}`).join('')}`
}
