import type { ProviderConfig } from './config/config.js'

/**
 * The demo realm's fixed names and credentials, for examples and tests that sign in.
 *
 * @example
 * ```ts
 * await page.fill('#username', DEMO.user.username)
 * ```
 */
export const DEMO = {
  realm: 'alpha',
  user: { username: 'demo', password: 'Ch4ng3-it!' },
  spa: { client_id: 'demo-spa', redirect_uri: 'http://localhost:5173/callback' },
  web: { client_id: 'demo-web', client_secret: 'demo-web-secret', redirect_uri: 'http://localhost:3000/callback' },
  m2m: { client_id: 'demo-m2m', client_secret: 'demo-m2m-secret' },
  jwt: {
    client_id: 'demo-jwt',
    /** Demo only: this private key is public knowledge, so the demo client is too. */
    privateJwk: {
      kty: 'EC',
      crv: 'P-256',
      x: 'NWAIkAj_fF_XZwOyDZ6Se1nkvpPDGSdp0K9Ku9elqAE',
      y: 'LLo4Nq3duWud-VV1xdkYjn0Ep2ApoEAEM6l8kjqo0kE',
      d: 'z9fxCWtBWArwNQmrEdUHBLawPmqgDgEPYPJRx9RGZAk',
      kid: 'demo-jwt-1',
      alg: 'ES256',
    },
  },
  device: { client_id: 'demo-cli' },
} as const

/**
 * The demo realm `alpha`: a public SPA client, a confidential web client
 * (`client_secret_basic`), an M2M client, a `private_key_jwt` client (its key pair is
 * {@link DEMO}`.jwt.privateJwk`), a device-flow CLI client and one user.
 *
 * @example
 * ```ts
 * const provider = createProvider(demoConfig())
 * ```
 */
export function demoConfig(options: { spaOrigins?: string[] } = {}): ProviderConfig {
  const { d: _private, ...jwtPublicKey } = DEMO.jwt.privateJwk
  const spaRedirects = [...new Set([DEMO.spa.redirect_uri, ...(options.spaOrigins ?? []).map((o) => `${o}/callback`)])]
  return {
    realms: [
      {
        name: DEMO.realm,
        // AM skips consent only when realm and client both allow it; the demo SPA signs in at one click.
        allow_implied_consent: true,
        clients: [
          {
            client_id: DEMO.spa.client_id,
            client_name: 'Demo single-page app',
            description: 'The React example that ships with realmauth.',
            token_endpoint_auth_method: 'none',
            redirect_uris: spaRedirects,
            post_logout_redirect_uris: spaRedirects.map((u) => u.replace(/\/callback$/, '/')),
            grant_types: ['authorization_code', 'refresh_token'],
            scope: 'openid profile email',
            allow_wildcard_ports: true,
            implied_consent: true,
          },
          {
            client_id: DEMO.web.client_id,
            client_secret: DEMO.web.client_secret,
            client_name: 'Demo web app',
            redirect_uris: [DEMO.web.redirect_uri],
            post_logout_redirect_uris: ['http://localhost:3000/'],
            grant_types: ['authorization_code', 'refresh_token'],
            scope: 'openid profile email address phone',
          },
          {
            client_id: DEMO.m2m.client_id,
            client_secret: DEMO.m2m.client_secret,
            client_name: 'Demo service',
            grant_types: ['client_credentials'],
            scope: 'read write am-introspect-all-tokens',
            default_scopes: ['read'],
          },
          {
            client_id: DEMO.jwt.client_id,
            client_name: 'Demo private_key_jwt service',
            token_endpoint_auth_method: 'private_key_jwt',
            jwks: { keys: [jwtPublicKey] },
            grant_types: ['client_credentials'],
            scope: 'read write',
          },
          {
            client_id: DEMO.device.client_id,
            client_name: 'Demo command-line tool',
            token_endpoint_auth_method: 'none',
            grant_types: ['urn:ietf:params:oauth:grant-type:device_code', 'refresh_token'],
            scope: 'openid profile offline_access',
          },
        ],
        users: [
          {
            username: DEMO.user.username,
            password: DEMO.user.password,
            name: 'Demo User',
            given_name: 'Demo',
            family_name: 'User',
            preferred_username: 'demo',
            email: 'demo@example.com',
            email_verified: true,
            phone_number: '+1 555 0100',
            address: { street_address: '1 Demo Way', locality: 'Bristol', country: 'GB' },
          },
        ],
      },
    ],
  }
}
