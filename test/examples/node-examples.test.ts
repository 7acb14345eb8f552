import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest'
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { DEMO, createProvider, demoConfig } from '@realmauth/server'
import { listen } from '@realmauth/server/node'
import { createOrdersService, startOrdersApi } from '../../examples/node-service/service.js'
import { deviceSignIn } from '../../examples/cli-device/deviceSignIn.js'
import { startProvider, testClock, type ProviderUnderTest } from '../clients/providerHarness.js'

let p: ProviderUnderTest
beforeAll(async () => {
  // The examples run on the real clock, as users' services do.
  p = await startProvider('http', demoConfig(), testClock(Date.now()))
})
afterAll(() => p.close())

describe('examples/node-service', () => {
  it('calls the protected API three times with one private_key_jwt token request, bound to the service\'s key with DPoP', async () => {
    const api = await startOrdersApi({ issuer: p.issuer(), audience: DEMO.jwt.client_id })
    try {
      const service = await createOrdersService({ issuer: p.issuer(), clientId: DEMO.jwt.client_id, privateKey: DEMO.jwt.privateJwk })
      const before = p.count('access_token')
      for (let i = 0; i < 3; i++) expect(await service.listOrders(api.url)).toEqual({ orders: [{ id: 1, item: 'tea' }], caller: DEMO.jwt.client_id, bound: true })
      expect(p.count('access_token') - before).toBe(1)
      const anonymous = await fetch(api.url)
      expect(anonymous.status).toBe(401)
      expect(anonymous.headers.get('www-authenticate')).toMatch(/^Bearer realm=/)
    } finally {
      api.server.close()
    }
  })
})

describe('examples/cli-device', () => {
  it('prints the code, shows progress, and signs in once the user approves on the provider page', async () => {
    let printed = ''
    const approve = async () => {
      const code = /enter the code (\S+)/.exec(printed)![1]!
      const login = await fetch(`${p.origin}/json/realms/root/realms/alpha/authenticate`, {
        method: 'POST',
        headers: { 'x-openam-username': DEMO.user.username, 'x-openam-password': DEMO.user.password },
      })
      const cookie = login.headers.getSetCookie()[0]!.split(';')[0]!
      const confirm = await (await fetch(`${p.issuer()}/device/user?user_code=${code}`, { headers: { cookie } })).text()
      const csrf = /name="csrf" value="([^"]+)"/.exec(confirm)![1]!
      await fetch(`${p.issuer()}/device/user`, {
        method: 'POST',
        headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ user_code: code, csrf, decision: 'allow' }).toString(),
      })
    }
    let polls = 0
    const tokens = await deviceSignIn({
      issuer: p.issuer(),
      clientId: DEMO.device.client_id,
      write: (text) => (printed += text),
      clock: () => p.clock.now,
      // Polling waits by moving the shared clock; the user approves after the second poll.
      sleep: async (ms) => {
        p.clock.advance(ms / 1000)
        if (++polls === 3) await approve()
      },
    })
    expect(tokens.claims?.sub).toBe(DEMO.user.username)
    expect(printed).toContain(`open ${p.issuer()}/device/user`)
    expect(printed).toMatch(/waiting for you to approve… \(2\)/)
    expect(printed).toContain('Signed in as demo.')
  })
})

describe('examples/node-service/main.ts', () => {
  it('runs as its README says, `npx tsx …`, with the tsx the repository installs', async () => {
    const root = fileURLToPath(new URL('../../', import.meta.url))
    // Its own process signs on the wall clock, so the provider runs on the wall clock too.
    const provider = createProvider(demoConfig())
    const running = await listen(provider, { port: 0, host: '127.0.0.1' })
    onTestFinished(() => running.close())
    const issuer = provider.issuer('alpha', `http://127.0.0.1:${running.port}`)
    const child = spawn(`${root}node_modules/.bin/tsx`, ['examples/node-service/main.ts'], { cwd: root, env: { ...process.env, ISSUER: issuer }, stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    child.stdout!.on('data', (c: Buffer) => (out += c.toString()))
    child.stderr!.on('data', (c: Buffer) => (out += c.toString()))
    const code = await new Promise((resolve) => child.once('close', resolve))
    expect({ code, out }).toMatchObject({ code: 0, out: expect.stringContaining('Three calls, one token request') })
  })
})
