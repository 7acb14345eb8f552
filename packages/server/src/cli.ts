#!/usr/bin/env node
import { mkdirSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { createProvider, type Provider } from './createProvider.js'
import { DEMO, demoConfig } from './demoConfig.js'
import { listen } from './node.js'
import type { ProviderConfig } from './config/config.js'
import { ConfigError } from './base/errors.js'
import { resolveConfig } from './config/resolveConfig.js'
import { keyFileFor, keyFilePersistence, signingKeyFile } from './keys/keyFile.js'
import { persistSigningKeys, signingJwkAlg } from './keys/index.js'
import { SqliteStore, SqliteUnavailableError } from './store/SqliteStore.js'
import { PostgresStore } from './store/PostgresStore.js'

const DEFAULT_STORE = '.realmauth/provider.db'
const SIGNING_ALGS = ['RS256', 'ES256'] as const

const USAGE = `Usage: realmauth-server [--config file.json] [--store file.db|:memory:|postgres://…] [--port N] [--host H] [--dev-clock] [--dev-keys]

Serves the realmauth reference OAuth 2.0 / OpenID Connect provider.
With no --config it serves the demo realm 'alpha' with demo clients and a demo user.

  --store      where codes, tokens, grants, consents, sessions and device codes are kept:
               an SQLite file (default ${DEFAULT_STORE}, its directory created), so they
               survive a restart; generated signing keys go beside it (provider.keys.json).
               :memory: keeps everything in memory, gone when the process ends.
               postgres://user:password@host:port/db (or postgresql://) keeps them in
               PostgreSQL (table realmauth_entries, created if missing), so several
               instances can serve one address; they must sign with the same keys,
               so give each the same "keys" in its --config (none are generated).
  --host       the address to listen on (default 127.0.0.1).
               Issuers are {origin}/oauth2/…: set "origin" in --config (for example
               https://auth.example.com) whenever clients reach the provider through a
               proxy or by a name. Without it the origin is http://localhost:PORT on
               loopback, else the address the connection reached; a Host header naming
               anything else is ignored, so no request can choose the issuer.
  --dev-clock  lets tests move the provider's clock forward:
               POST /__realmauth/clock {"advance": seconds}. Never use it in production.
  --dev-keys   lets tests rotate and retire signing keys: POST /__realmauth/keys
               {"rotate": "RS256"|"ES256"} or {"retire": kid}. With a --store file the
               change is written to the key file first, so it survives a restart.
               Never use it in production.`

async function main(): Promise<void> {
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
    running = await listen(provider, { port, host: args.host })
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
 * Sets `config.store` and, for a file, adds the persisted signing keys for every algorithm
 * the config brings no key of. Returns the store to close on exit and a line describing it.
 */
async function openStore(config: ProviderConfig, option: string | undefined): Promise<{ store?: OpenStore; line: string }> {
  if (option === ':memory:') return { line: 'Store: memory (nothing survives a restart)' }
  if (option !== undefined && /^postgres(ql)?:\/\//i.test(option)) {
    const store = await PostgresStore.open(option, config.clock && { now: config.clock })
    config.store = store
    // Keys are not kept in the database: instances share them only through their configs.
    const keys = config.keys?.length
      ? '  signing keys: from the config'
      : '  signing keys: generated by this process (configure "keys" so that several instances share them)'
    return { store, line: `Store: PostgreSQL ${redactPassword(option)}\n${keys}` }
  }
  const path = resolve(option ?? DEFAULT_STORE)
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 })
  let store: SqliteStore
  try {
    store = new SqliteStore({ path, ...(config.clock && { now: config.clock }) })
  } catch (error) {
    // better-sqlite3 is an optional dependency: without it the default still starts, in memory.
    if (option !== undefined || !(error instanceof SqliteUnavailableError)) throw error
    console.error(`realmauth-server: ${(error as Error).message}\nrealmauth-server: keeping everything in memory; pass --store :memory: to say so`)
    return { line: 'Store: memory (better-sqlite3 is missing; nothing survives a restart)' }
  }
  try {
    const configured = new Set((config.keys ?? []).map((jwk, i) => signingJwkAlg(jwk, `keys[${i}]`)))
    const keyFile = keyFileFor(path)
    // Configured keys sign; the file supplies (and keeps) a key for each algorithm they lack.
    const persisted =
      configured.size < SIGNING_ALGS.length
        ? (await signingKeyFile(keyFile)).filter((jwk, i) => !configured.has(signingJwkAlg(jwk, `${keyFile} keys[${i}]`)))
        : []
    // Rotations of the algorithms the file supplies are written back to it; the configured
    // algorithms' keys belong to the config, and rotating them is refused.
    config.keys = persistSigningKeys(
      [...(config.keys ?? []), ...persisted],
      keyFilePersistence(keyFile, SIGNING_ALGS.filter((alg) => !configured.has(alg))),
    )
    config.store = store
    return { store, line: `Store: ${path}${persisted.length > 0 ? `\n  signing keys: ${keyFile}` : ''}` }
  } catch (error) {
    store.close()
    throw error
  }
}

/** What the CLI closes on exit. */
interface OpenStore {
  close(): unknown
}

/** The connection string as printed: its password replaced by `***`. */
function redactPassword(url: string): string {
  try {
    const parsed = new URL(url)
    if (parsed.password) parsed.password = '***'
    return parsed.toString()
  } catch {
    return 'postgres://…'
  }
}

/** Answers `POST /__realmauth/clock` by moving the clock; everything else goes to the provider. */
function withDevClock(provider: Provider, advance: (seconds: number) => number): Provider {
  return {
    ...provider,
    async fetch(request) {
      if (new URL(request.url).pathname !== '/__realmauth/clock') return provider.fetch(request)
      const body = (await request.json().catch(() => ({}))) as { advance?: unknown }
      if (request.method !== 'POST' || typeof body.advance !== 'number' || !(body.advance >= 0)) {
        return Response.json({ error: 'invalid_request', error_description: 'POST {"advance": seconds >= 0}' }, { status: 400 })
      }
      return Response.json({ offset_ms: advance(body.advance) })
    },
  }
}

/** Answers `POST /__realmauth/keys` by rotating or retiring a signing key; everything else goes to the provider. */
function withDevKeys(provider: Provider): Provider {
  return {
    ...provider,
    async fetch(request) {
      if (new URL(request.url).pathname !== '/__realmauth/keys') return provider.fetch(request)
      const body = (await request.json().catch(() => ({}))) as { rotate?: unknown; retire?: unknown }
      const rotate = SIGNING_ALGS.find((alg) => alg === body.rotate)
      if (request.method !== 'POST' || (rotate === undefined) === (typeof body.retire !== 'string')) {
        return Response.json({ error: 'invalid_request', error_description: 'POST {"rotate": "RS256"|"ES256"} or {"retire": kid}' }, { status: 400 })
      }
      try {
        if (rotate) return Response.json({ kid: await provider.rotateSigningKey(rotate) })
        return Response.json({ retired: await provider.retireSigningKey(body.retire as string) })
      } catch (error) {
        // A configured key, or a key file that cannot be written: nothing changed.
        return Response.json({ error: 'invalid_request', error_description: (error as Error).message }, { status: 409 })
      }
    },
  }
}

function fail(message: string): never {
  console.error(`realmauth-server: ${message}`)
  process.exit(2)
}

void main()
