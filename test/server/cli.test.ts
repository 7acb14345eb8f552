/** The `realmauth-server` command as a developer runs it (the built packages/server/dist/cli.js). */
import { spawn, type ChildProcess } from 'node:child_process'
import { createServer as createHttpServer, get as httpGet } from 'node:http'
import type { AddressInfo } from 'node:net'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { DEMO, type ProviderConfig } from '@realmauth/server'

const CLI = fileURLToPath(new URL('../../packages/server/dist/cli.js', import.meta.url))
const dir = mkdtempSync(join(tmpdir(), 'realmauth-cli-'))

interface Run {
  child: ChildProcess
  stdout: () => string
  stderr: () => string
  /** Resolves with the exit code (or the signal's name). */
  exit: Promise<number | string>
}

function run(args: string[]): Run {
  // PORT is unset so a developer's environment cannot change what the CLI defaults to.
  const env = { ...process.env }
  delete env.PORT
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env })
  let out = ''
  let err = ''
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()))
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()))
  // 'close', not 'exit': only then has everything the child wrote to its pipes arrived.
  const exit = new Promise<number | string>((resolve) => child.once('close', (code, signal) => resolve(code ?? signal ?? -1)))
  return { child, stdout: () => out, stderr: () => err, exit }
}

/** Waits until stdout matches `pattern` (the CLI prints everything once it is listening). */
function waitFor(r: Run, pattern: RegExp): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    const check = () => {
      const m = pattern.exec(r.stdout())
      if (m) {
        r.child.stdout!.off('data', check)
        resolve(m)
      }
    }
    r.child.stdout!.on('data', check)
    void r.exit.then((code) => reject(new Error(`CLI exited with ${code} before printing ${pattern}: ${r.stderr()}`)))
    check()
  })
}

function configFile(name: string, content: unknown): string {
  const file = join(dir, name)
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content))
  return file
}

/** GET over 127.0.0.1 with `Host: localhost:port`, as a browser on this machine would send it. */
function getAsLocalhost(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpGet({ host: '127.0.0.1', port, path, headers: { host: `localhost:${port}` } }, (res) => {
      let body = ''
      res.on('data', (c: Buffer) => (body += c.toString()))
      res.on('end', () => resolve({ status: res.statusCode!, body }))
    })
    req.on('error', reject)
  })
}

/** The printed localhost URL, reached by its address (the CLI listens on 127.0.0.1 only). */
const loopback = (url: string) => url.replace('//localhost:', '//127.0.0.1:')

// Each test runs its own processes on their own ports, so they run side by side.
describe.concurrent('realmauth-server CLI', () => {
  it('with no config serves the demo realm and prints the issuer, clients and demo credentials', async () => {
    const r = run(['--port', '0'])
    try {
      await waitFor(r, /Demo user: .*\n/)
      const out = r.stdout()
      const url = /listening on (http:\/\/localhost:(\d+))\n/.exec(out)
      expect(url, out).not.toBeNull()
      expect(Number(url![2])).toBeGreaterThan(0)
      const issuer = `${url![1]}/oauth2/realms/root/realms/alpha`
      expect(out).toContain(`Realm alpha\n  issuer: ${issuer}\n`)
      expect(out).toContain(`client ${DEMO.spa.client_id} (none; authorization_code, refresh_token)`)
      expect(out).toContain(`client ${DEMO.web.client_id} (client_secret_basic; authorization_code, refresh_token, secret ${DEMO.web.client_secret})`)
      expect(out).toContain(`client ${DEMO.m2m.client_id} (client_secret_basic; client_credentials, secret ${DEMO.m2m.client_secret})`)
      expect(out).toContain(`client ${DEMO.jwt.client_id} (private_key_jwt; client_credentials)`)
      expect(out).toContain(`client ${DEMO.device.client_id} (none; urn:ietf:params:oauth:grant-type:device_code, refresh_token)`)
      expect(out).toContain(`Demo user: ${DEMO.user.username} / ${DEMO.user.password}`)
      // The printed issuer is the one discovery answers with.
      const discovery = await getAsLocalhost(Number(url![2]), '/oauth2/realms/root/realms/alpha/.well-known/openid-configuration')
      expect(discovery.status).toBe(200)
      expect((JSON.parse(discovery.body) as { issuer: string }).issuer).toBe(issuer)
      // The printed credentials work.
      const token = await fetch(`${loopback(issuer)}/access_token`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: 'Basic ' + btoa(`${DEMO.m2m.client_id}:${DEMO.m2m.client_secret}`),
        },
        body: 'grant_type=client_credentials',
      })
      expect(token.status).toBe(200)
      // Without --dev-clock nobody can move the clock.
      const clock = await fetch(`${loopback(url![1]!)}/__realmauth/clock`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ advance: 3600 }),
      })
      expect(clock.status).toBe(404)
    } finally {
      r.child.kill('SIGTERM')
    }
    expect(await r.exit).toBe(0)
  })

  it('stops on SIGTERM, even with a keep-alive connection open, and frees the port', async () => {
    const r = run(['--port', '0', '--host', '127.0.0.1'])
    const [, url] = await waitFor(r, /listening on (http:\/\/\S+)\n/)
    const base = loopback(url!)
    const res = await fetch(`${base}/oauth2/realms/root/realms/alpha/connect/jwk_uri`, { headers: { connection: 'keep-alive' } })
    expect(res.status).toBe(200)
    await res.arrayBuffer()
    r.child.kill('SIGTERM')
    expect(await r.exit).toBe(0)
    await expect(fetch(`${base}/oauth2/realms/root/realms/alpha/connect/jwk_uri`)).rejects.toThrow()
  })

  it('stops on SIGINT too', async () => {
    const r = run(['--port', '0'])
    await waitFor(r, /listening on /)
    r.child.kill('SIGINT')
    expect(await r.exit).toBe(0)
  })

  it('with --config serves that config and prints no secrets', async () => {
    const config: ProviderConfig = {
      base_path: '/am',
      realms: [
        {
          name: 'bravo',
          clients: [
            { client_id: 'svc', client_secret: 'top-secret', grant_types: ['client_credentials'] },
            { client_id: 'signed', jwks_uri: 'https://keys.example/jwks.json', grant_types: ['client_credentials'] },
          ],
        },
      ],
    }
    const r = run(['--config', configFile('good.json', config), '--port', '0', '--dev-clock'])
    try {
      await waitFor(r, /client signed .*\n/)
      const out = r.stdout()
      expect(out).toMatch(/issuer: http:\/\/localhost:\d+\/am\/oauth2\/realms\/root\/realms\/bravo\n/)
      expect(out).toContain('client svc (client_secret_basic; client_credentials)')
      expect(out).toContain('client signed (private_key_jwt; client_credentials)')
      expect(out).not.toContain('top-secret')
      expect(out).not.toContain('Demo user')
      const port = /listening on http:\/\/localhost:(\d+)/.exec(out)![1]
      const res = await fetch(`http://127.0.0.1:${port}/am/oauth2/bravo/.well-known/openid-configuration`)
      expect(res.status).toBe(200)
      // A clock moved back is refused (sent as JSON: any other body is read as nothing, refused alike).
      const clock = await fetch(`http://127.0.0.1:${port}/__realmauth/clock`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ advance: -1 }) })
      expect([clock.status, await clock.json()]).toEqual([400, { error: 'invalid_request', error_description: 'POST {"advance": seconds >= 0} as application/json' }])
    } finally {
      r.child.kill('SIGTERM')
    }
    expect(await r.exit).toBe(0)
  })

  it('exits non-zero naming the field when the config is invalid', async () => {
    const bad = configFile('bad.json', {
      realms: [{ name: 'alpha', clients: [{ client_id: 'web', client_secret: 's', redirect_uris: ['/callback'] }] }],
    })
    const r = run(['--config', bad, '--port', '0'])
    const badKey = run(['--config', configFile('badkey.json', { realms: [{ name: 'alpha' }], keys: [{ kty: 'EC', crv: 'P-256', x: 'AAAA', y: 'AAAA', d: 'AAAA' }] }), '--port', '0'])
    // AM's Claim(s) with an entry the consent page could not use: that entry is named.
    const web = { client_id: 'web', client_secret: 's', redirect_uris: ['https://web.example/cb'], claims: ['name|Full name', 'name|fr|'] }
    const claims = run(['--config', configFile('claims.json', { realms: [{ name: 'alpha', clients: [web] }] }), '--port', '0'])
    expect(await r.exit).toBe(2)
    expect(r.stderr()).toContain('realms[0].clients[0].redirect_uris[0]')
    expect(r.stdout()).not.toContain('listening')
    expect(await badKey.exit).toBe(2)
    expect(badKey.stderr()).toContain('keys[0]')
    expect(await claims.exit).toBe(2)
    expect(claims.stderr()).toContain('realms[0].clients[0].claims[1]: has an empty description')
    // A typo in a journey node (lockout_seconds) stops the start too, rather than leaving the default in force.
    const retry = { type: 'RetryLimit', limit: 3, lockoutSeconds: 600, outcomes: { retry: 'done', reject: 'done' } }
    const typo = run(['--config', configFile('typo.json', { realms: [{ name: 'alpha', journeys: { Guarded: { entry: 'retry', nodes: { retry, done: { type: 'Success' } } } } }] }), '--port', '0'])
    expect(await typo.exit).toBe(2)
    expect(typo.stderr()).toContain('realms[0].journeys.Guarded.nodes.retry.lockoutSeconds')
    expect(typo.stdout()).not.toContain('listening')
  })

  it('exits non-zero when the config file is missing or not JSON', async () => {
    const missing = run(['--config', join(dir, 'nope.json'), '--port', '0'])
    const notJson = run(['--config', configFile('broken.json', '{ realms: '), '--port', '0'])
    expect(await missing.exit).toBe(2)
    expect(missing.stderr()).toMatch(/Cannot read config .*nope\.json/)
    expect(await notJson.exit).toBe(2)
    expect(notJson.stderr()).toContain('Cannot read config')
  })

  it('prints usage with --help and refuses bad arguments', async () => {
    const [help, short, port, range, unknown] = [['--help'], ['-h'], ['--port', 'eighty'], ['--port', '70000'], ['--verbose']].map(run) as [Run, Run, Run, Run, Run]
    expect(await help.exit).toBe(0)
    expect(help.stdout()).toMatch(/^Usage: realmauth-server /)
    expect(help.stdout()).toContain('--config')
    expect(help.stdout()).toContain('--dev-clock')
    expect(await short.exit).toBe(0)
    expect(short.stdout()).toContain('Usage:')
    expect(await port.exit).toBe(2)
    expect(port.stderr()).toContain('--port')
    expect(await range.exit).toBe(2)
    expect(await unknown.exit).toBe(2)
    expect(unknown.stderr()).toContain('Usage:')
  })

  it('names the port and the flag, in one line and no stack, when the port is in use', async () => {
    const taken = createHttpServer()
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve))
    const { port } = taken.address() as AddressInfo
    try {
      const r = run(['--port', String(port), '--store', ':memory:'])
      expect(await r.exit).toBe(2)
      expect(r.stderr()).toBe(`realmauth-server: port ${port} on 127.0.0.1 is in use; stop what is using it, or choose another port with --port N\n`)
    } finally {
      taken.close()
    }
  })

  it('runs as `npx realmauth-server` from the bin npm links at install time', async () => {
    const bin = fileURLToPath(new URL('../../node_modules/.bin/realmauth-server', import.meta.url))
    const child = spawn(bin, ['--help'], { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    child.stdout!.on('data', (c: Buffer) => (out += c.toString()))
    expect(await new Promise((resolve) => child.once('close', resolve))).toBe(0)
    expect(out).toMatch(/^Usage: realmauth-server /)
  })
})
