/**
 * Requests that try to make the provider say or keep something it should not: a JSON body
 * nested 30,000 deep at `register`, and a `Host` header or request target naming another server.
 */
import { request as httpRequest } from 'node:http'
import { connect } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createProvider, type ProviderConfig } from '@realmauth/server'
import { listen, type RunningProvider } from '@realmauth/server/node'
import { MODES, startHarness, type Harness } from './harness.js'
import { expectError } from './tokenKit.js'

const CONFIG: ProviderConfig = {
  realms: [{ name: 'alpha', allow_dynamic_registration: true, clients: [] }],
}

for (const mode of MODES) {
  describe(`hostile JSON at register (${mode})`, () => {
    let h: Harness
    beforeAll(async () => {
      h = await startHarness(mode, CONFIG)
    })
    afterAll(() => h.close())

    const register = (body: string) =>
      h.fetch(`${h.issuer()}/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body })

    it('refuses a body nested 30,000 deep with 400 and registers nothing', async () => {
      const depth = 30_000
      const deep = `{"client_name":"deep","redirect_uris":["https://app.example/cb"],"x":${'['.repeat(depth)}${']'.repeat(depth)}}`
      const body = await expectError(await register(deep), 400, 'invalid_client_metadata')
      expect(body.error_description).toMatch(/nested deeper/)
      // The same metadata without the nesting registers: the refusal was about the body alone.
      const ok = await register('{"client_name":"flat","redirect_uris":["https://app.example/cb"]}')
      expect(ok.status).toBe(201)
    })

    it('counts nesting only outside strings, so brackets in values are fine', async () => {
      const res = await register(JSON.stringify({ client_name: '['.repeat(100) + '{'.repeat(100), redirect_uris: ['https://app.example/cb'] }))
      expect(res.status).toBe(201)
    })
  })
}

describe('Host header over HTTP without a configured origin', () => {
  let running: RunningProvider
  beforeAll(async () => {
    running = await listen(createProvider(CONFIG), { host: '127.0.0.1' })
  })
  afterAll(() => running.close())

  function discoveryWithHost(host: string): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      const req = httpRequest(
        { host: '127.0.0.1', port: running.port, path: '/oauth2/realms/root/realms/alpha/.well-known/openid-configuration', headers: { host } },
        (res) => {
          let text = ''
          res.on('data', (c: Buffer) => (text += c.toString()))
          res.on('end', () => resolve(JSON.parse(text) as Record<string, unknown>))
        },
      )
      req.on('error', reject)
      req.end()
    })
  }

  it('never puts a foreign Host into the issuer or the endpoints', async () => {
    for (const host of ['evil.example', `evil.example:${running.port}`, 'localhost.evil.example', `127.0.0.1.evil.example:${running.port}`, 'localhost:1']) {
      const meta = await discoveryWithHost(host)
      expect(meta.issuer, host).toBe(`http://127.0.0.1:${running.port}/oauth2/realms/root/realms/alpha`)
      expect(JSON.stringify(meta), host).not.toContain('evil')
    }
  })

  /** Sends one raw request line, as no fetch client would: the target in absolute or `//` form. */
  function rawDiscovery(target: string): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      let text = ''
      const socket = connect(running.port, '127.0.0.1', () => socket.write(`GET ${target} HTTP/1.1\r\nHost: 127.0.0.1:${running.port}\r\nConnection: close\r\n\r\n`))
      socket.on('data', (c: Buffer) => (text += c.toString()))
      socket.on('end', () => resolve(JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4)) as Record<string, unknown>))
      socket.on('error', reject)
    })
  }

  it('never takes the origin from an absolute-form or // request target either', async () => {
    const path = '/oauth2/realms/root/realms/alpha/.well-known/openid-configuration'
    for (const target of [`http://evil.example${path}`, `https://evil.example:${running.port}${path}`, `//evil.example${path}`, `/\\evil.example${path}`]) {
      const meta = await rawDiscovery(target)
      expect(JSON.stringify(meta), target).not.toContain('evil')
    }
    expect((await rawDiscovery(`http://evil.example${path}`)).issuer).toBe(`http://127.0.0.1:${running.port}/oauth2/realms/root/realms/alpha`)
  })

  it('keeps the loopback name the user typed for the port it listens on', async () => {
    expect((await discoveryWithHost(`localhost:${running.port}`)).issuer).toBe(`http://localhost:${running.port}/oauth2/realms/root/realms/alpha`)
  })
})
