/**
 * `@realmauth/server` required from CommonJS, as a Jest suite or an older Node service does:
 * its entries (`.`, `/node`, `/testing`) must be one module graph there as they are in ESM, or
 * an error thrown through one entry fails `instanceof` against the class another exports.
 */
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'

const root = fileURLToPath(new URL('../..', import.meta.url))

/** Runs `script` as a CommonJS program from the repository root, where the packages resolve by name. */
async function commonjs(script: string): Promise<unknown> {
  const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=commonjs', '-e', script], { cwd: root })
  return JSON.parse(stdout)
}

describe('@realmauth/server from CommonJS', () => {
  it('throws the ConfigError its main entry exports from /testing', async () => {
    const result = await commonjs(`
      const { ConfigError } = require('@realmauth/server')
      const { startTestProvider } = require('@realmauth/server/testing')
      startTestProvider({ realm: 'not a realm!' }).then(
        () => console.log(JSON.stringify({ refused: false })),
        (e) => console.log(JSON.stringify({ refused: true, isConfigError: e instanceof ConfigError, message: e.message })),
      )`)
    expect(result).toEqual({ refused: true, isConfigError: true, message: expect.stringContaining('realms[0].name') })
  })

  it('serves a provider made by the main entry through /node, and refuses bad input as OAuth JSON', async () => {
    const result = await commonjs(`
      const { createProvider, demoConfig, DEMO } = require('@realmauth/server')
      const { listen } = require('@realmauth/server/node')
      ;(async () => {
        const provider = createProvider(demoConfig())
        const server = await listen(provider, { port: 0 })
        const issuer = provider.issuer('alpha', server.url)
        const discovery = await fetch(issuer + '/.well-known/openid-configuration')
        const { token_endpoint } = await discovery.json()
        const refused = await fetch(token_endpoint, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=nonsense&client_id=' + DEMO.spa.client_id })
        console.log(JSON.stringify({ discovery: discovery.status, refused: refused.status, error: (await refused.json()).error }))
        await server.close()
      })()`)
    expect(result).toEqual({ discovery: 200, refused: 400, error: 'unsupported_grant_type' })
  })
})
