#!/usr/bin/env node
import { readFile } from 'node:fs/promises'
import { parseArgs } from 'node:util'
import { createProvider, type Provider } from './createProvider.js'
import { DEMO, demoConfig } from './demoConfig.js'
import { listen } from './node.js'
import { withDevClock, withDevKeys } from './devHooks.js'
import type { ProviderConfig } from './config/config.js'
import { ConfigError } from './base/errors.js'
import { resolveConfig } from './config/resolveConfig.js'
import { KeyRing, KeySet, keyStatuses } from './keys/index.js'
import { SIGNING_ALGS } from './model/index.js'
import { DEFAULT_STORE, openStore, type OpenStore } from './cliStore.js'

const USAGE = `Usage: realmauth-server [--config file.json] [--store file.db|:memory:|postgres://…] [--port N] [--host H]
                        [--tls-cert server.pem --tls-key server.key [--tls-client-ca ca.pem]] [--dev-clock] [--dev-keys]
       realmauth-server keys list|rotate [--alg RS256|ES256] [--ahead seconds]|retire <kid> [--store …] [--config file.json]

Serves the realmauth reference OAuth 2.0 / OpenID Connect provider.
With no --config it serves the demo realm 'alpha' with demo clients and a demo user.

  --store      where codes, tokens, grants, consents, sessions and device codes are kept:
               an SQLite file (default ${DEFAULT_STORE}, its directory created), so they
               survive a restart. :memory: keeps everything in memory, gone when the
               process ends. postgres://user:password@host:port/db (or postgresql://)
               keeps them in PostgreSQL (table realmauth_entries, created if missing), so
               several instances can serve one address.
               Signing keys (those "keys" in --config does not provide) are kept in the
               store too, private parts sealed under REALMAUTH_KEY_SECRET (or
               "key_encryption_secret" in --config; 16+ characters, the same for every
               instance). PostgreSQL needs it; for an SQLite file without it, a secret is
               generated beside the file (provider.key-secret, mode 0600).
  keys         manages the signing keys in --store while instances run; they see the
               change within "key_refresh_seconds" (default 5):
                 list           every key: kid, algorithm, status, when it signs
                 rotate         a new key, published now, signing after --ahead seconds
                                (default "key_publish_ahead_seconds", 600); --alg RS256
                 retire <kid>   stops publishing a key that does not sign
  --host       the address to listen on (default 127.0.0.1).
               Issuers are {origin}/oauth2/…: set "origin" in --config (for example
               https://auth.example.com) whenever clients reach the provider through a
               proxy or by a name. Without it the origin is http://localhost:PORT on
               loopback, else the address the connection reached; a Host header naming
               anything else is ignored, so no request can choose the issuer.
  --tls-cert, --tls-key
               serve HTTPS with this certificate (PEM, chain after it) and private key
               (PEM). Clients may present a TLS client certificate (RFC 8705); browsers
               that present none still connect.
  --tls-client-ca
               the CA (PEM) that issues the certificates of tls_client_auth clients.
               Without it no client certificate counts as CA-issued;
               self_signed_tls_client_auth and certificate-bound tokens still work.
  --dev-clock  lets tests move the provider's clock forward:
               POST /__realmauth/clock {"advance": seconds}. Never use it in production.
  --dev-keys   lets tests rotate and retire signing keys: POST /__realmauth/keys
               {"rotate": "RS256"|"ES256"} or {"retire": kid}; the new key signs at once.
               Written to the store first, like the keys subcommand. Never use it in production.
               Both take Content-Type: application/json bodies only.`

async function main(): Promise<void> {
  if (process.argv[2] === 'keys') return keysCommand(process.argv.slice(3))
  let args
  try {
    args = parseArgs({
      options: {
        config: { type: 'string', short: 'c' },
        port: { type: 'string', short: 'p', default: process.env.PORT ?? '9000' },
        host: { type: 'string', short: 'H', default: '127.0.0.1' },
        store: { type: 'string', short: 's' },
        help: { type: 'boolean', short: 'h' },
        'dev-clock': { type: 'boolean' },
        'dev-keys': { type: 'boolean' },
        'tls-cert': { type: 'string' },
        'tls-key': { type: 'string' },
        'tls-client-ca': { type: 'string' },
      },
    }).values
  } catch (error) {
    fail(`${(error as Error).message}\n\n${USAGE}`)
  }
  if (args.help) {
    console.log(USAGE)
    return
  }
  const port = Number(args.port)
  if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`--port must be 0-65535, got '${args.port}'`)
  let config: ProviderConfig
  if (args.config) {
    try {
      config = JSON.parse(await readFile(args.config, 'utf8')) as ProviderConfig
    } catch (error) {
      fail(`Cannot read config ${args.config}: ${(error as Error).message}`)
    }
  } else {
    config = demoConfig()
  }
  const tls = await readTls(args['tls-cert'], args['tls-key'], args['tls-client-ca'])
  if (args.store === '') fail(`--store needs a file, :memory: or a postgres:// URL\n\n${USAGE}`)
  let offsetMs = 0
  if (args['dev-clock']) config.clock = () => Date.now() + offsetMs
  let provider: Provider
  let store: OpenStore | undefined
  let storeLine: string
  try {
    // A config that cannot work is refused before anything is written to disk.
    resolveConfig(config)
    ;({ store, line: storeLine } = await openStore(config, args.store))
    provider = createProvider(config)
    await provider.ready
  } catch (error) {
    await store?.close()
    fail(error instanceof ConfigError ? error.message : `Cannot start: ${(error as Error).message}`)
  }
  if (args['dev-clock']) provider = withDevClock(provider, (seconds) => (offsetMs += seconds * 1000))
  if (args['dev-keys']) provider = withDevKeys(provider)
  let running
  try {
    running = await listen(provider, { port, host: args.host, ...(tls && { tls }) })
  } catch (error) {
    await store?.close()
    // The one start-up failure a user fixes with a flag: say which, not a stack.
    if ((error as { code?: string }).code === 'EADDRINUSE') fail(`port ${port} on ${args.host} is in use; stop what is using it, or choose another port with --port N`)
    throw error
  }
  // Before the first line is printed: whoever waits for it may signal at once.
  const stop = () => {
    void running
      .close()
      .then(() => store?.close())
      .catch(() => {})
      .then(() => process.exit(0))
  }
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
  console.log(`realmauth-server listening on ${running.url}`)
  for (const realm of config.realms) {
    console.log(`\nRealm ${realm.name}\n  issuer: ${provider.issuer(realm.name, running.url)}`)
    for (const c of realm.clients ?? []) {
      const method = c.token_endpoint_auth_method ?? (c.client_secret ? 'client_secret_basic' : c.jwks || c.jwks_uri || c.public_key_pem ? 'private_key_jwt' : 'none')
      const secret = !args.config && c.client_secret ? `, secret ${c.client_secret}` : ''
      console.log(`  client ${c.client_id} (${method}; ${(c.grant_types ?? ['authorization_code']).join(', ')}${secret})`)
    }
  }
  console.log(`\n${storeLine}`)
  if (!args.config) console.log(`\nDemo user: ${DEMO.user.username} / ${DEMO.user.password}`)
}

/**
 * `realmauth-server keys …`: lists, rotates or retires the signing keys in a store, next to
 * the instances serving from it (they read the change within their refresh period).
 */
async function keysCommand(argv: string[]): Promise<void> {
  // The kid right after `retire` is taken as it is: a base64url kid may start with '-', which
  // parseArgs would read as an option.
  const retiring = argv[0] === 'retire' && argv[1] !== undefined ? argv[1] : undefined
  const rest = retiring === undefined ? argv : [argv[0]!, ...argv.slice(2)]
  let parsed
  try {
    parsed = parseArgs({
      args: rest,
      allowPositionals: true,
      options: { store: { type: 'string', short: 's' }, config: { type: 'string', short: 'c' }, alg: { type: 'string', default: 'RS256' }, ahead: { type: 'string' } },
    })
  } catch (error) {
    fail(`${(error as Error).message}\n\n${USAGE}`)
  }
  const { values: args, positionals } = parsed
  const [action, positionalKid] = positionals
  const kid = retiring ?? positionalKid
  const alg = SIGNING_ALGS.find((a) => a === args.alg)
  if (!alg) fail(`--alg must be RS256 or ES256, got '${args.alg}'`)
  if (!(action === 'list' || action === 'rotate' || (action === 'retire' && kid))) fail(`keys needs list, rotate or retire <kid>\n\n${USAGE}`)
  if (args.store === ':memory:') fail('keys needs the --store the instances use, not :memory:')
  let config: ProviderConfig = { realms: [{ name: 'root' }] }
  if (args.config) config = JSON.parse(await readFile(args.config, 'utf8')) as ProviderConfig
  const aheadMs = 1000 * (args.ahead !== undefined ? Number(args.ahead) : (config.key_publish_ahead_seconds ?? 600))
  if (!(aheadMs >= 0)) fail(`--ahead must be a number of seconds, got '${args.ahead}'`)
  let store: OpenStore | undefined
  try {
    config.keys = undefined // the command manages the store's keys, whatever the config brings
    ;({ store } = await openStore(config, args.store))
    const ring = new KeyRing(config.store!, config.key_encryption_secret!, Date.now)
    if (action === 'list') {
      const stored = await ring.read()
      // Without the instances' token lifetimes a key that stopped signing shows as previous until an instance drops it.
      const statuses = keyStatuses(stored?.keys ?? [], Date.now(), Infinity)
      for (const k of stored?.keys ?? []) console.log(`${k.kid}  ${k.alg}  ${statuses.get(k.kid)}  signs from ${new Date(k.signsFrom).toISOString()}`)
      return
    }
    const set = await KeySet.create({ ring, now: Date.now, refreshMs: Infinity, rotationMs: 0, publishAheadMs: aheadMs, retireAfterMs: Infinity })
    if (action === 'rotate') {
      const key = await set.rotate(alg, aheadMs)
      console.log(`${key.kid}  ${alg}  published now, signs from ${new Date(Date.now() + aheadMs).toISOString()}`)
    } else if (await set.retire(kid!)) {
      console.log(`${kid} retired`)
    } else {
      fail(`${kid} is not a key that can be retired: unknown, or signing now (rotate first)`)
    }
  } catch (error) {
    fail(error instanceof ConfigError ? error.message : `Cannot change the keys: ${(error as Error).message}`)
  } finally {
    await store?.close()
  }
}

/** The PEM files of `--tls-cert`, `--tls-key` and `--tls-client-ca`; a partial set is refused. */
async function readTls(cert: string | undefined, key: string | undefined, clientCa: string | undefined): Promise<{ cert: string; key: string; clientCa?: string } | undefined> {
  if (cert === undefined && key === undefined) {
    if (clientCa !== undefined) fail('--tls-client-ca needs --tls-cert and --tls-key: client certificates are only asked for over HTTPS')
    return undefined
  }
  if (cert === undefined || key === undefined) fail(`${cert === undefined ? '--tls-key' : '--tls-cert'} needs ${cert === undefined ? '--tls-cert' : '--tls-key'}: HTTPS takes both the certificate and its private key`)
  const pem = async (flag: string, path: string, label: RegExp, what: string) => {
    let text: string
    try {
      text = await readFile(path, 'utf8')
    } catch (error) {
      fail(`Cannot read ${flag} ${path}: ${(error as Error).message}`)
    }
    if (!label.test(text)) fail(`${flag} ${path} is not a PEM ${what}`)
    return text
  }
  return {
    cert: await pem('--tls-cert', cert, /-----BEGIN CERTIFICATE-----/, 'certificate'),
    key: await pem('--tls-key', key, /-----BEGIN [A-Z ]*PRIVATE KEY-----/, 'private key'),
    ...(clientCa !== undefined && { clientCa: await pem('--tls-client-ca', clientCa, /-----BEGIN CERTIFICATE-----/, 'certificate') }),
  }
}

function fail(message: string): never {
  console.error(`realmauth-server: ${message}`)
  process.exit(2)
}

void main()
