/**
 * Config validation, in process: an invalid config is refused at `createProvider` with a
 * `ConfigError` whose `field` (and message) name the offending path.
 */
import { readFileSync } from 'node:fs'
import { beforeAll, describe, expect, it } from 'vitest'
import { ConfigError, DEMO, createProvider, demoConfig, generateSigningKey, type ClientConfig, type ProviderConfig, type RealmConfig, type SigningJwk } from '@realmauth/server'

/** A config of one realm whose client list ends with `client` (so it is `clients[1]`). */
function withClient(client: Partial<ClientConfig> | unknown): ProviderConfig {
  return {
    realms: [
      {
        name: 'alpha',
        clients: [{ client_id: 'ok', client_secret: 's', grant_types: ['client_credentials'] }, client as ClientConfig],
      },
    ],
  }
}

function withRealm(realm: Partial<RealmConfig> | unknown): ProviderConfig {
  return { realms: [realm as RealmConfig] }
}

/** Runs createProvider and returns the ConfigError it throws (failing if it throws anything else or nothing). */
function refused(config: unknown): ConfigError {
  try {
    createProvider(config as ProviderConfig)
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError)
    return error as ConfigError
  }
  throw new Error(`config was accepted: ${JSON.stringify(config)}`)
}

/** One key pair for every config expected to pass, so no test waits on RSA key generation. */
let keys: SigningJwk[]
beforeAll(async () => {
  keys = [(await generateSigningKey('RS256')).privateJwk, (await generateSigningKey('ES256')).privateJwk]
})

function expectAccepted(config: ProviderConfig): void {
  expect(() => createProvider({ ...config, keys })).not.toThrow()
}

function expectRefused(config: unknown, field: string): ConfigError {
  const error = refused(config)
  expect(error.field).toBe(field)
  expect(error.message).toContain(field)
  expect(error.name).toBe('ConfigError')
  return error
}

describe('config validation', () => {
  it('accepts the demo config and a minimal one', async () => {
    await expect(createProvider(demoConfig()).ready).resolves.toBeUndefined()
    await expect(createProvider({ realms: [{ name: '/' }] }).ready).resolves.toBeUndefined()
  })

  it('refuses a config that is not an object or has no realms', () => {
    expectRefused(null, '(root)')
    expectRefused('alpha', '(root)')
    expectRefused({}, 'realms')
    expectRefused({ realms: [] }, 'realms')
    expectRefused({ realms: 'alpha' }, 'realms')
  })

  it('names the redirect URI that is not an absolute URI without a fragment', () => {
    for (const uri of ['/callback', 'not a uri', 'https://app.example/cb#x', '', 42, 'javascript:alert(1)', 'data:text/html,x']) {
      const error = expectRefused(
        withClient({ client_id: 'web', client_secret: 's', redirect_uris: ['https://app.example/cb', uri] }),
        'realms[0].clients[1].redirect_uris[1]',
      )
      expect(error.message).toMatch(/^Invalid provider config at realms\[0\]\.clients\[1\]\.redirect_uris\[1\]: /)
    }
    expectRefused(withClient({ client_id: 'web', client_secret: 's', redirect_uris: ['x'] }), 'realms[0].clients[1].redirect_uris[0]')
    expectRefused(withClient({ client_id: 'web', client_secret: 's', redirect_uris: 'https://app.example/cb' }), 'realms[0].clients[1].redirect_uris')
    expectRefused(
      withClient({ client_id: 'web', client_secret: 's', redirect_uris: ['https://app.example/cb'], post_logout_redirect_uris: ['/'] }),
      'realms[0].clients[1].post_logout_redirect_uris[0]',
    )
    // Native apps' private-use schemes are fine.
    expectAccepted(withClient({ client_id: 'app', redirect_uris: ['com.example.app:/callback'] }))
  })

  it('takes wildcard ports in redirect_uris only on loopback hosts of clients that allow them', () => {
    const ports = { client_id: 'p', token_endpoint_auth_method: 'none' as const, allow_wildcard_ports: true }
    expectAccepted(withClient({ ...ports, redirect_uris: ['http://localhost:*/', 'https://[::1]:*443/', 'http://127.0.0.1:80*/'] }))
    expectRefused(withClient({ ...ports, redirect_uris: ['https://app.example:*/'] }), 'realms[0].clients[1].redirect_uris[0]')
    expectRefused(withClient({ ...ports, allow_wildcard_ports: false, redirect_uris: ['http://localhost:*/'] }), 'realms[0].clients[1].redirect_uris[0]')
    expectRefused(withClient({ ...ports, redirect_uris: ['http://localhost:*/'], post_logout_redirect_uris: ['http://localhost:*/'] }), 'realms[0].clients[1].post_logout_redirect_uris[0]')
  })

  it('needs redirect URIs for the authorization_code and implicit grants', () => {
    expectRefused(withClient({ client_id: 'web', client_secret: 's' }), 'realms[0].clients[1].redirect_uris')
    expectRefused(withClient({ client_id: 'web', client_secret: 's', grant_types: ['implicit'], redirect_uris: [] }), 'realms[0].clients[1].redirect_uris')
  })

  it('needs a secret for client_secret_basic and client_secret_post, and none for a public client', () => {
    for (const method of ['client_secret_basic', 'client_secret_post'] as const) {
      const error = expectRefused(
        withClient({ client_id: 'svc', token_endpoint_auth_method: method, grant_types: ['client_credentials'] }),
        'realms[0].clients[1].client_secret',
      )
      expect(error.message).toContain(method)
    }
    expectRefused(withClient({ client_id: 'svc', client_secret: '', grant_types: ['client_credentials'] }), 'realms[0].clients[1].client_secret')
    expectRefused(
      withClient({ client_id: 'spa', token_endpoint_auth_method: 'none', client_secret: 's', redirect_uris: ['http://localhost/cb'] }),
      'realms[0].clients[1].client_secret',
    )
    expectRefused(withClient({ client_id: 'svc', token_endpoint_auth_method: 'private_key_jwt', grant_types: ['client_credentials'] }), 'realms[0].clients[1].jwks')
    expectRefused(withClient({ client_id: 'svc', client_secret: 's', token_endpoint_auth_method: 'magic' }), 'realms[0].clients[1].token_endpoint_auth_method')
  })

  it('refuses client_credentials for a public client', () => {
    const error = expectRefused(
      withClient({ client_id: 'spa', token_endpoint_auth_method: 'none', grant_types: ['client_credentials'] }),
      'realms[0].clients[1].grant_types',
    )
    expect(error.message).toContain('confidential')
    // With no secret and no keys a client is public: the same refusal.
    expectRefused(withClient({ client_id: 'svc', grant_types: ['client_credentials'] }), 'realms[0].clients[1].grant_types')
  })

  it('refuses duplicate client ids, usernames and realms', () => {
    const error = expectRefused(withClient({ client_id: 'ok', client_secret: 't', grant_types: ['client_credentials'] }), 'realms[0].clients[1].client_id')
    expect(error.message).toContain("'ok'")
    expectRefused(
      withRealm({ name: 'alpha', users: [{ username: 'demo', password: 'a' }, { username: 'demo', password: 'b' }] }),
      'realms[0].users[1].username',
    )
    expectRefused({ realms: [{ name: 'alpha' }, { name: '/alpha/' }] }, 'realms[1].name')
    expectRefused({ realms: [{ name: '/' }, { name: '/' }] }, 'realms[1].name')
  })

  it('refuses bad client fields', () => {
    expectRefused(withClient({ client_secret: 's' }), 'realms[0].clients[1].client_id')
    expectRefused(withClient({ client_id: 'has space', client_secret: 's', grant_types: ['client_credentials'] }), 'realms[0].clients[1].client_id')
    expectRefused(withClient('svc'), 'realms[0].clients[1]')
    expectRefused(withClient({ client_id: 'svc', client_secret: 's', grant_types: ['client_credentials', 'telepathy'] }), 'realms[0].clients[1].grant_types[1]')
    expectRefused(
      withClient({ client_id: 'web', client_secret: 's', redirect_uris: ['https://a.example/cb'], response_types: ['code', 'code code'] }),
      'realms[0].clients[1].response_types[1]',
    )
    expectRefused(
      withClient({ client_id: 'svc', client_secret: 's', grant_types: ['client_credentials'], scope: 'read', default_scopes: ['write'] }),
      'realms[0].clients[1].default_scopes[0]',
    )
    expectRefused(withClient({ client_id: 'svc', client_secret: 's', grant_types: ['client_credentials'], subject_type: 'secret' }), 'realms[0].clients[1].subject_type')
    expectRefused(
      withClient({ client_id: 'svc', client_secret: 's', grant_types: ['client_credentials'], id_token_signed_response_alg: 'none' }),
      'realms[0].clients[1].id_token_signed_response_alg',
    )
    expectRefused(withClient({ client_id: 'svc', client_secret: 's', grant_types: ['client_credentials'], implied_consent: 'yes' }), 'realms[0].clients[1].implied_consent')
    expectRefused(withClient({ client_id: 'svc', jwks: { keys: 'none' }, grant_types: ['client_credentials'] }), 'realms[0].clients[1].jwks')
    expectRefused(withClient({ client_id: 'svc', jwks_uri: 'keys.json', grant_types: ['client_credentials'] }), 'realms[0].clients[1].jwks_uri')
  })

  it('refuses a bad base_path or origin', () => {
    for (const base_path of ['am', '/am/', '/', '/a m', '//am', '/am?x']) {
      const error = expectRefused({ ...demoConfig(), base_path }, 'base_path')
      expect(error.message).toContain('/am')
    }
    expectRefused({ ...demoConfig(), base_path: 7 }, 'base_path')
    for (const base_path of ['', '/am', '/openam', '/identity/am']) expectAccepted({ ...demoConfig(), base_path })
    for (const origin of ['localhost:9000', 'http://localhost:9000/', 'http://localhost:9000/am']) expectRefused({ ...demoConfig(), origin }, 'origin')
  })

  it('refuses lifetimes that are not integers in range, naming realm or client', () => {
    expectRefused(withRealm({ name: 'alpha', access_token_lifetime: -1 }), 'realms[0].access_token_lifetime')
    expectRefused(withRealm({ name: 'alpha', access_token_lifetime: 1.5 }), 'realms[0].access_token_lifetime')
    expectRefused(withRealm({ name: 'alpha', access_token_lifetime: '3600' }), 'realms[0].access_token_lifetime')
    expectRefused(withRealm({ name: 'alpha', refresh_token_lifetime: -2 }), 'realms[0].refresh_token_lifetime')
    expectRefused(withRealm({ name: 'alpha', authorization_code_lifetime: 0 }), 'realms[0].authorization_code_lifetime')
    expectRefused(withRealm({ name: 'alpha', id_token_lifetime: 0 }), 'realms[0].id_token_lifetime')
    expectRefused(withRealm({ name: 'alpha', device_code_lifetime: 0 }), 'realms[0].device_code_lifetime')
    expectRefused(withRealm({ name: 'alpha', device_poll_interval: -5 }), 'realms[0].device_poll_interval')
    // An interval of 0 is an answer openid-client refuses ("must be a positive number"), so it is refused here.
    expectRefused(withRealm({ name: 'alpha', device_poll_interval: 0 }), 'realms[0].device_poll_interval')
    expectRefused(
      withClient({ client_id: 'svc', client_secret: 's', grant_types: ['client_credentials'], access_token_lifetime: Number.NaN }),
      'realms[0].clients[1].access_token_lifetime',
    )
    expectRefused(
      withClient({ client_id: 'svc', client_secret: 's', grant_types: ['client_credentials'], refresh_token_lifetime: Infinity }),
      'realms[0].clients[1].refresh_token_lifetime',
    )
    // The documented edge values are accepted: 0 ("not valid") and -1 ("never expires").
    expectAccepted(withRealm({ name: 'alpha', access_token_lifetime: 0, refresh_token_lifetime: -1 }))
  })

  it('refuses bad realm names and realm settings', () => {
    for (const name of ['root', 'realms', 'al pha', 'alpha/realms', 'root/alpha', 'al%70ha']) {
      const error = expectRefused(withRealm({ name }), 'realms[0].name')
      expect(error.message).toContain("'alpha'")
    }
    expectRefused(withRealm({ name: '' }), 'realms[0].name')
    expectRefused(withRealm({}), 'realms[0].name')
    expectRefused({ realms: [{ name: 'alpha' }, 'beta'] }, 'realms[1]')
    expectRefused(withRealm({ name: 'alpha', access_token_signing_alg: 'HS256' }), 'realms[0].access_token_signing_alg')
    expectRefused(withRealm({ name: 'alpha', refresh_token_reuse_detection: 'sometimes' }), 'realms[0].refresh_token_reuse_detection')
    expectRefused(withRealm({ name: 'alpha', allow_dynamic_registration: 'true' }), 'realms[0].allow_dynamic_registration')
    expectRefused(withRealm({ name: 'alpha', clients: {} }), 'realms[0].clients')
    expectRefused(withRealm({ name: 'alpha', users: [{ username: 'demo' }] }), 'realms[0].users[0].password')
    expectRefused(withRealm({ name: 'alpha', users: [{ username: 'demo', password: 'p', email_verified: 'yes' }] }), 'realms[0].users[0].email_verified')
    expectRefused(withRealm({ name: 'alpha', users: [{ username: 'demo', password: 'p', address: 'Bristol' }] }), 'realms[0].users[0].address')
    for (const name of ['/', 'alpha', '/alpha', 'alpha/beta', 'alpha.1_b-c']) expectAccepted(withRealm({ name }))
  })

  it('refuses DPoP and PAR settings of the wrong type, naming realm or client', () => {
    const svc = { client_id: 'svc', client_secret: 's', grant_types: ['client_credentials'] }
    expectRefused(withClient({ ...svc, dpop_bound_access_tokens: 'yes' }), 'realms[0].clients[1].dpop_bound_access_tokens')
    expectRefused(withClient({ ...svc, require_pushed_authorization_requests: 1 }), 'realms[0].clients[1].require_pushed_authorization_requests')
    expectRefused(withRealm({ name: 'alpha', dpop_nonce: 'on' }), 'realms[0].dpop_nonce')
    expectRefused(withRealm({ name: 'alpha', always_return_claims_in_id_tokens: 'yes' }), 'realms[0].always_return_claims_in_id_tokens')
    expectRefused(withRealm({ name: 'alpha', require_pushed_authorization_requests: null }), 'realms[0].require_pushed_authorization_requests')
    for (const lifetime of [0, -1, 1.5, '60']) expectRefused(withRealm({ name: 'alpha', par_lifetime: lifetime }), 'realms[0].par_lifetime')
    expectAccepted({
      realms: [
        {
          name: 'alpha',
          dpop_nonce: true,
          require_pushed_authorization_requests: true,
          par_lifetime: 1,
          clients: [{ ...svc, dpop_bound_access_tokens: true, require_pushed_authorization_requests: false }],
        },
      ],
    })
  })

  it('accepts, as written, every config file the README shows', () => {
    const readme = readFileSync(new URL('../../packages/server/README.md', import.meta.url), 'utf8')
    const files = [...readme.matchAll(/```json\n([\s\S]*?)```/g)].map((m) => JSON.parse(m[1]!) as Record<string, unknown>).filter((j) => 'realms' in j)
    expect(files.length).toBeGreaterThan(0)
    for (const file of files) expect(() => createProvider(file as unknown as ProviderConfig)).not.toThrow()
  })

  it('refuses a field it does not know at every level, so a typo is never silent', () => {
    const svc = { client_id: 'svc', client_secret: 's', grant_types: ['client_credentials'] }
    // The likeliest meant setting is named: the same letters, or two edits away at most.
    expect(expectRefused({ ...demoConfig(), basepath: '/am' }, 'basepath').message).toBe('Invalid provider config at basepath: is not a known setting; did you mean base_path?')
    expect(expectRefused(withRealm({ name: 'alpha', allow_implicit_consent: true }), 'realms[0].allow_implicit_consent').message).toMatch(/is not a known setting$/)
    expect(expectRefused(withClient({ ...svc, redirect_uri: 'https://a.example/cb' }), 'realms[0].clients[1].redirect_uri').message).toMatch(/did you mean redirect_uris\?$/)
    expect(expectRefused(withRealm({ name: 'alpha', users: [{ username: 'u', password: 'p', mail: 'u@example.com' }] }), 'realms[0].users[0].mail').message).toMatch(/did you mean email\?$/)
    expect(expectRefused(withRealm({ name: 'alpha', acces_token_lifetime: 60 }), 'realms[0].acces_token_lifetime').message).toMatch(/did you mean access_token_lifetime\?$/)
    expectRefused(
      withRealm({ name: 'alpha', journeys: { Login: { entry: 'ok', nodes: { ok: { type: 'Success' } }, acr: ['x'] } } }),
      'realms[0].journeys.Login.acr',
    )
  })

  it("takes AM's Claim(s) entries and refuses a bad one, naming the entry", () => {
    const svc = { client_id: 'svc', client_secret: 's', grant_types: ['client_credentials'] }
    expectAccepted(withClient({ ...svc, claims: ['name', 'name|Full name', 'name|en_GB|Full name', 'name|fr-CA|Nom | complet', 'email|de|E-Mail'] }))
    expect(expectRefused(withClient({ ...svc, claims: 'name|Full name' }), 'realms[0].clients[1].claims').message).toContain('must be an array')
    expectRefused(withClient({ ...svc, claims: ['name', 7] }), 'realms[0].clients[1].claims[1]')
    const problems: [string, string][] = [
      ['|Full name', 'must start with a claim name'],
      ['full name|Full name', 'must start with a claim name'],
      ['name|en GB|Full name', 'has a locale that is not a language tag'],
      ['name|', 'has an empty description'],
      ['name|en| ', 'has an empty description'],
      ['name|en|Name again', "describes 'name' for 'en' a second time"],
    ]
    for (const [entry, problem] of problems) {
      const error = expectRefused(withClient({ ...svc, claims: ['name|en|Full name', entry] }), 'realms[0].clients[1].claims[1]')
      expect(error.message).toContain(problem)
    }
    // en_GB and en-GB are one locale.
    expectRefused(withClient({ ...svc, claims: ['name|en_GB|Full name', 'name|en-gb|Name'] }), 'realms[0].clients[1].claims[1]')
  })

  it('refuses other top-level fields of the wrong shape', () => {
    expectRefused({ ...demoConfig(), cookie_name: '' }, 'cookie_name')
    // It names a header too (the SSO token of cookieless clients, allowed by CORS): a token, no spaces or separators.
    for (const name of ['my session', 'sso;x', 'sso:x', 'séance']) expectRefused({ ...demoConfig(), cookie_name: name }, 'cookie_name')
    expectRefused({ ...demoConfig(), max_body_bytes: 10 }, 'max_body_bytes')
  })

  it('refuses bad signing keys, naming the key', async () => {
    expectRefused({ ...demoConfig(), keys: {} }, 'keys')
    const [rsa, ec] = keys as [SigningJwk, SigningJwk]
    const { d: _d, ...publicOnly } = rsa
    expectRefused({ ...demoConfig(), keys: [rsa, publicOnly] }, 'keys[1].d')
    expectRefused({ ...demoConfig(), keys: [{ kty: 'oct', k: 'c2VjcmV0' }] }, 'keys[0]')
    expectRefused({ ...demoConfig(), keys: [{ ...ec, alg: 'RS256' }] }, 'keys[0]')
    expectRefused({ ...demoConfig(), keys: [{ ...rsa, alg: 'HS256' }] }, 'keys[0]')
    expectRefused({ ...demoConfig(), keys: ['key'] }, 'keys[0]')
    // Key material that only WebCrypto can judge is refused when the keys are imported.
    const broken = createProvider({ ...demoConfig(), keys: [{ ...ec, x: 'AAAA' }] })
    const error = await broken.ready.then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(error).toBeInstanceOf(ConfigError)
    expect((error as ConfigError).field).toBe('keys[0]')
    // Good configured keys are accepted.
    await expect(createProvider({ ...demoConfig(), keys: [rsa, ec] }).ready).resolves.toBeUndefined()
  })

  it('leaves the caller’s config object untouched', () => {
    const config = { ...demoConfig(), keys }
    const before = JSON.stringify(config)
    createProvider(config)
    expect(JSON.stringify(config)).toBe(before)
    expect(config.realms[0]!.clients!.find((c) => c.client_id === DEMO.spa.client_id)).toBeDefined()
  })
})
