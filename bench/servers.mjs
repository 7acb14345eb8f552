// One server for provider-throughput.mjs, run as a child process so that it and the load
// generator get a core each on a 2-core machine:
//
//   node servers.mjs realmauth RS256 | realmauth-cli RS256 | oidc-provider-9 ES256 | oidc-provider ES256 | bare
//
// realmauth is createProvider + listen with the in-memory store; realmauth-cli is the CLI as
// users start it (`npx realmauth-server --config …`, its default SQLite store in a fresh
// directory), run as this process's child, so it inherits this process's CPU affinity.
//
// It listens on a free loopback port, prepares what the load needs (refresh tokens, an
// access token to introspect) through its own token endpoint, sends that to the parent over
// IPC, and exits when the parent disconnects or tells it to, so no server outlives the bench.
import { createServer } from 'node:http'
import { generateKeyPairSync } from 'node:crypto'
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

export const CLIENT = { id: 'svc', secret: 'bench-secret' }
export const BASIC = `Basic ${Buffer.from(`${CLIENT.id}:${CLIENT.secret}`).toString('base64')}`
export const FORM = 'application/x-www-form-urlencoded'
/** The resource (RFC 8707) oidc-provider's JWT access tokens are for; also their `aud`. */
const RESOURCE = 'https://api.bench.test/'
/** A second resource with opaque tokens: the only kind oidc-provider can introspect. */
const OPAQUE_RESOURCE = 'https://opaque.bench.test/'
const LIFETIME = 3600

/** Paths the load generator calls, per server kind. */
const REALMAUTH_PATHS = { token: '/oauth2/realms/root/realms/bench/access_token', introspect: '/oauth2/realms/root/realms/bench/introspect' }
const OIDC_PROVIDER_PATHS = { token: '/token', introspect: '/token/introspection' }
export const PATHS = {
  realmauth: REALMAUTH_PATHS,
  'realmauth-cli': REALMAUTH_PATHS,
  'oidc-provider-9': OIDC_PROVIDER_PATHS,
  'oidc-provider': OIDC_PROVIDER_PATHS,
  bare: { token: '/token', introspect: '/token' },
}

/** What a token-sized answer looks like, for the bare server. */
export const BARE_BODY = JSON.stringify({ access_token: 'x'.repeat(700), token_type: 'Bearer', expires_in: LIFETIME })

/** The one realm both realmauth servers serve. */
function realmauthConfig(alg) {
  return {
    realms: [
      {
        name: 'bench',
        access_token_signing_alg: alg,
        // Rotation is the default (AM's "Issue Refresh Tokens on Refreshing Access Tokens");
        // stated here because the comparison configures oidc-provider to match it.
        issue_refresh_tokens_on_refresh: true,
        access_token_lifetime: LIFETIME,
        clients: [
          {
            client_id: CLIENT.id,
            client_secret: CLIENT.secret,
            token_endpoint_auth_method: 'client_secret_basic',
            // password only to mint the refresh-token pool below; the load never uses it.
            grant_types: ['client_credentials', 'refresh_token', 'password'],
            scope: 'read write',
          },
        ],
        users: [{ username: 'bench', password: 'bench-password' }],
      },
    ],
  }
}

/** The refresh-token pool and an access token to introspect, from a realmauth token endpoint. */
async function mintRealmauth(post, refreshTokens) {
  const minted = []
  for (let i = 0; i < refreshTokens; i++) {
    minted.push((await post(REALMAUTH_PATHS.token, 'grant_type=password&username=bench&password=bench-password&scope=read')).refresh_token)
  }
  const { access_token: accessToken } = await post(REALMAUTH_PATHS.token, 'grant_type=client_credentials&scope=read')
  return { refreshTokens: minted, introspect: accessToken }
}

async function realmauth(alg, refreshTokens) {
  const { createProvider } = await import('@realmauth/server')
  const { listen } = await import('@realmauth/server/node')
  const provider = createProvider(realmauthConfig(alg))
  const running = await listen(provider, { port: 0, host: '127.0.0.1' })
  const base = `http://127.0.0.1:${running.port}`
  // Minted in process (provider.fetch) with the same origin the load uses, so `iss` matches.
  const post = async (path, body) => {
    const res = await provider.fetch(new Request(base + path, { method: 'POST', headers: { authorization: BASIC, 'content-type': FORM }, body }))
    if (res.status !== 200) throw new Error(`${path} answered ${res.status}: ${await res.text()}`)
    return res.json()
  }
  return { port: running.port, ...(await mintRealmauth(post, refreshTokens)), close: () => running.close() }
}

const CLI = fileURLToPath(new URL('../packages/server/dist/cli.js', import.meta.url))

/**
 * The CLI in a fresh directory: with its defaults (an SQLite file under .realmauth/ there), or
 * on `store` (a file or a PostgreSQL URL, `--store`); `keys` for instances that must share them.
 */
export async function realmauthCli(alg, refreshTokens, { store, keys } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'realmauth-bench-'))
  const config = join(dir, 'config.json')
  writeFileSync(config, JSON.stringify({ ...realmauthConfig(alg), ...(keys && { keys }) }))
  const args = [CLI, '--config', config, '--port', '0', ...(store ? ['--store', store] : [])]
  const child = spawn(process.execPath, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  const port = await new Promise((resolve, reject) => {
    const onData = (d) => {
      output += d
      const m = /listening on http:\/\/[^:]+:(\d+)/.exec(output)
      if (m) resolve(Number(m[1]))
    }
    child.stdout.on('data', onData)
    child.stderr.on('data', onData)
    child.once('exit', (code) => reject(new Error(`realmauth-server exited with ${code}:\n${output}`)))
  })
  const close = async () => {
    if (child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve))
      child.kill('SIGTERM')
      await exited
    }
    rmSync(dir, { recursive: true, force: true })
  }
  const post = async (path, body) => {
    const res = await fetch(`http://127.0.0.1:${port}${path}`, { method: 'POST', headers: { authorization: BASIC, 'content-type': FORM }, body })
    if (res.status !== 200) throw new Error(`${path} answered ${res.status}: ${await res.text()}`)
    return res.json()
  }
  try {
    return { port, pid: child.pid, ...(await mintRealmauth(post, refreshTokens)), close }
  } catch (error) {
    await close()
    throw error
  }
}

/**
 * oidc-provider's store for this bench: its development adapter, less the LRU bound of 1000
 * entries, which a refresh-token pool plus rotation outgrows within a second (evicted
 * grants then fail the refresh). realmauth's MemoryStore is a Map with expiry sweeps, too.
 */
class MapAdapter {
  static storage = new Map()
  constructor(model) {
    this.model = model
  }
  key(id) {
    return `${this.model}:${id}`
  }
  async upsert(id, payload) {
    const key = this.key(id)
    if (payload.grantId) {
      const grant = MapAdapter.storage.get(`grant:${payload.grantId}`)
      if (grant) grant.push(key)
      else MapAdapter.storage.set(`grant:${payload.grantId}`, [key])
    }
    MapAdapter.storage.set(key, payload)
  }
  async find(id) {
    return MapAdapter.storage.get(this.key(id))
  }
  async findByUid() {
    return undefined
  }
  async findByUserCode() {
    return undefined
  }
  async consume(id) {
    MapAdapter.storage.get(this.key(id)).consumed = Math.floor(Date.now() / 1000)
  }
  async destroy(id) {
    MapAdapter.storage.delete(this.key(id))
  }
  async revokeByGrantId(grantId) {
    for (const key of MapAdapter.storage.get(`grant:${grantId}`) ?? []) MapAdapter.storage.delete(key)
    MapAdapter.storage.delete(`grant:${grantId}`)
  }
}

/** `pkg` is `oidc-provider` (8.8) or `oidc-provider-9` (9.x installed under that alias): the same API. */
async function oidcProvider(pkg, alg, refreshTokens) {
  const { default: Provider } = await import(pkg)
  // Its own keys, one per algorithm, as private JWKs (what its `jwks` option takes).
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' })
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' })
  const resourceServer = (format) => ({
    scope: 'read write',
    audience: CLIENT.id, // as realmauth, whose access tokens have the client as `aud`
    accessTokenTTL: LIFETIME,
    accessTokenFormat: format,
    ...(format === 'jwt' && { jwt: { sign: { alg } } }),
  })
  const provider = new Provider('http://127.0.0.1', {
    adapter: MapAdapter,
    clients: [
      {
        client_id: CLIENT.id,
        client_secret: CLIENT.secret,
        token_endpoint_auth_method: 'client_secret_basic',
        grant_types: ['client_credentials', 'refresh_token', 'authorization_code'],
        redirect_uris: ['https://client.bench.test/cb'],
        response_types: ['code'],
      },
    ],
    jwks: { keys: [{ ...rsa, kid: 'rs', alg: 'RS256', use: 'sig' }, { ...ec, kid: 'es', alg: 'ES256', use: 'sig' }] },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      // As realmauth: a client may introspect its own tokens (and a public one none).
      introspection: { enabled: true, allowedPolicy: (ctx, client, token) => token.clientId === client.clientId },
      // RFC 9068 JWT access tokens: in oidc-provider 8 the format is a property of the
      // resource server, so every token request resolves to one through defaultResource.
      resourceIndicators: {
        enabled: true,
        defaultResource: () => RESOURCE,
        useGrantedResource: () => true,
        getResourceServerInfo: (ctx, indicator) => resourceServer(indicator === OPAQUE_RESOURCE ? 'opaque' : 'jwt'),
      },
    },
    // Rotation on every use, as realmauth's default, instead of the 70%-of-lifetime policy.
    rotateRefreshToken: true,
    cookies: { keys: ['bench-cookie-key'] },
    findAccount: (ctx, sub) => ({ accountId: sub, claims: () => ({ sub }) }),
    ttl: { AccessToken: LIFETIME, ClientCredentials: LIFETIME, RefreshToken: 14 * 86400, Grant: 14 * 86400 },
  })
  const server = createServer(provider.callback())
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address()

  // Refresh tokens as an authorization-code exchange would leave them (a grant for the
  // resource, a refresh token on it), minted through its models: it has no password grant
  // and its sign-in needs interaction pages.
  const client = await provider.Client.find(CLIENT.id)
  const minted = []
  for (let i = 0; i < refreshTokens; i++) {
    const grant = new provider.Grant({ accountId: 'bench', clientId: CLIENT.id })
    grant.addResourceScope(RESOURCE, 'read')
    const grantId = await grant.save()
    const token = new provider.RefreshToken({
      accountId: 'bench', client, grantId, gty: 'authorization_code', scope: 'read', resource: RESOURCE, authTime: Math.floor(Date.now() / 1000),
    })
    minted.push(await token.save())
  }
  const post = async (body) => {
    const res = await fetch(`http://127.0.0.1:${port}/token`, { method: 'POST', headers: { authorization: BASIC, 'content-type': FORM }, body })
    if (res.status !== 200) throw new Error(`/token answered ${res.status}: ${await res.text()}`)
    return (await res.json()).access_token
  }
  const jwt = await post('grant_type=client_credentials&scope=read')
  const opaque = await post(`grant_type=client_credentials&scope=read&resource=${encodeURIComponent(OPAQUE_RESOURCE)}`)
  // What its introspection says about its own JWT access token, reported beside the table.
  const res = await fetch(`http://127.0.0.1:${port}${OIDC_PROVIDER_PATHS.introspect}`, {
    method: 'POST', headers: { authorization: BASIC, 'content-type': FORM }, body: `token=${jwt}`,
  })
  const jwtIntrospection = await res.json()
  return {
    port,
    refreshTokens: minted,
    introspect: opaque,
    jwtIntrospection,
    close: () => new Promise((resolve) => { server.close(resolve); server.closeAllConnections() }),
  }
}

async function bare() {
  const server = createServer((req, res) => {
    req.resume()
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end(BARE_BODY))
  })
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { port: server.address().port, refreshTokens: [], close: () => new Promise((resolve) => { server.close(resolve); server.closeAllConnections() }) }
}

if (process.send) {
  const [kind, alg, count] = process.argv.slice(2)
  const started =
    kind === 'realmauth' ? realmauth(alg, Number(count))
    : kind === 'realmauth-cli' ? realmauthCli(alg, Number(count))
    : kind.startsWith('oidc-provider') ? oidcProvider(kind, alg, Number(count))
    : bare()
  let running
  const stop = async () => {
    await running?.close().catch(() => {})
    process.exit(0)
  }
  // Parent gone (finished, crashed or killed): nothing may keep serving.
  process.on('disconnect', stop)
  process.on('message', (m) => m === 'stop' && stop())
  started.then(
    (r) => {
      running = r
      const { close: _close, ...ready } = r
      process.send({ ready })
    },
    (error) => {
      process.send({ error: String(error?.stack ?? error) })
      process.exit(1)
    },
  )
}
