/**
 * node-oidc-provider 9 (panva's certified OpenID provider) on a loopback port, for the
 * interop tests: our SDKs against a provider nobody here wrote. `oidc-provider-9` is the bench
 * workspace's devDependency alias of `oidc-provider@9` (bench/package.json); npm hoists it to
 * the root node_modules, so it resolves from the tests too.
 */
import { createServer } from 'node:http'
import { generateKeyPairSync } from 'node:crypto'
import Provider, { type ProviderContext } from 'oidc-provider-9'

/** The account every sign-in ends as: `devInteractions` takes any login and password. */
export const OP_USER = { sub: 'alice', name: 'Alice Liddell', email: 'alice@example.test' }

/** A running provider; `close` ends its connections too. */
export interface OidcProvider9 {
  issuer: string
  close(): Promise<void>
}

/**
 * Starts oidc-provider 9 at `http://127.0.0.1:<port>` with `configuration` (its own option
 * names) over these defaults: an RS256 signing key, the {@link OP_USER} account, the
 * `profile` and `email` claims, short lifetimes, and `devInteractions` (its sign-in and consent
 * pages). `features` are added to the default ones.
 *
 * @example
 * ```ts
 * const op = await startOidcProvider9({ clients: [{ client_id: 'spa', token_endpoint_auth_method: 'none', redirect_uris: [cb] }] })
 * const oidc = new OidcClient({ issuer: op.issuer, clientId: 'spa' })
 * ```
 */
export async function startOidcProvider9(configuration: { clients: object[]; features?: Record<string, unknown>; [option: string]: unknown }): Promise<OidcProvider9> {
  // The issuer names the port, so the server listens before the provider exists.
  let handler: ReturnType<Provider['callback']> | undefined
  const server = createServer((req, res) => handler!(req, res))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const issuer = `http://127.0.0.1:${(server.address() as { port: number }).port}`
  const signing = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' })
  const { features, ...rest } = configuration
  const provider = new Provider(issuer, {
    jwks: { keys: [{ ...signing, kid: 'op-rs256', alg: 'RS256', use: 'sig' }] },
    cookies: { keys: ['interop-cookie-key'] },
    findAccount: (_ctx: ProviderContext, sub: string) => ({ accountId: sub, claims: () => ({ ...OP_USER, sub }) }),
    claims: { openid: ['sub'], profile: ['name'], email: ['email'] },
    scopes: ['openid', 'offline_access', 'profile', 'email', 'read'],
    ttl: { AccessToken: 300, ClientCredentials: 300, DeviceCode: 300, Grant: 3600, IdToken: 300, Interaction: 300, RefreshToken: 3600, Session: 3600 },
    ...rest,
    features: { devInteractions: { enabled: true }, ...features },
  })
  handler = provider.callback()
  return {
    issuer,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections() // a browser's keep-alive connections would hold close() open
      }),
  }
}
