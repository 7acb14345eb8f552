#!/usr/bin/env node
import { readFile } from 'node:fs/promises'
import { parseArgs } from 'node:util'
import { createProvider, type Provider } from './createProvider.js'
import { DEMO, demoConfig } from './demoConfig.js'
import { listen } from './node.js'
import { ConfigError } from './resolveConfig.js'
import type { ProviderConfig } from './config.js'

const USAGE = `Usage: realmauth-server [--config file.json] [--port N] [--host H] [--dev-clock]

Serves the realmauth reference OAuth 2.0 / OpenID Connect provider.
With no --config it serves the demo realm 'alpha' with demo clients and a demo user.

  --dev-clock  lets tests move the provider's clock forward:
               POST /__realmauth/clock {"advance": seconds}. Never use it in production.`

async function main(): Promise<void> {
  let args
  try {
    args = parseArgs({
      options: {
        config: { type: 'string', short: 'c' },
        port: { type: 'string', short: 'p', default: process.env.PORT ?? '9000' },
        host: { type: 'string', short: 'H', default: '127.0.0.1' },
        help: { type: 'boolean', short: 'h' },
        'dev-clock': { type: 'boolean' },
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
  let offsetMs = 0
  if (args['dev-clock']) config.clock = () => Date.now() + offsetMs
  let provider: Provider
  try {
    provider = createProvider(config)
    await provider.ready
  } catch (error) {
    fail(error instanceof ConfigError ? error.message : `Cannot start: ${(error as Error).message}`)
  }
  if (args['dev-clock']) provider = withDevClock(provider, (seconds) => (offsetMs += seconds * 1000))
  const running = await listen(provider, { port, host: args.host })
  // Before the first line is printed: whoever waits for it may signal at once.
  const stop = () => {
    void running.close().then(() => process.exit(0))
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
  if (!args.config) console.log(`\nDemo user: ${DEMO.user.username} / ${DEMO.user.password}`)
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

function fail(message: string): never {
  console.error(`realmauth-server: ${message}`)
  process.exit(2)
}

void main()
