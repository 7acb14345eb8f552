/** `npm start` (scripts/start.mjs) when it cannot start: one line saying what to change, no stack. */
import { spawn } from 'node:child_process'
import { createServer, type Server } from 'node:net'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'

const START = fileURLToPath(new URL('../../scripts/start.mjs', import.meta.url))
const held: Server[] = []

function start(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [START, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()))
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()))
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })))
}

/** A port on 127.0.0.1 that someone else is listening on. */
async function takenPort(): Promise<number> {
  const server = createServer()
  held.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return (server.address() as { port: number }).port
}

async function freePort(): Promise<number> {
  const port = await takenPort()
  await new Promise((resolve) => held.pop()!.close(resolve))
  return port
}

afterEach(async () => {
  await Promise.all(held.splice(0).map((s) => new Promise((resolve) => s.close(resolve))))
})

describe('npm start', () => {
  it('prints its usage with --help, naming every flag', async () => {
    const r = await start(['--help'])
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/^Usage: npm start /)
    for (const flag of ['--app', '--provider-port', '--app-port', '--no-build']) expect(r.stdout).toContain(flag)
  })

  it('names the provider port and its flag, in one line, when that port is in use', async () => {
    const [provider, app] = [await takenPort(), await freePort()]
    const r = await start(['--no-build', '--provider-port', String(provider), '--app-port', String(app)])
    expect(r.code).toBe(2)
    expect(r.stderr).toBe(`npm start: port ${provider} is in use; stop what is using it, or choose another port with --provider-port N\n`)
  })

  it('names the app port and its flag, in one line, when that port is in use', async () => {
    const [provider, app] = [await freePort(), await takenPort()]
    const r = await start(['--no-build', '--provider-port', String(provider), '--app-port', String(app)])
    expect(r.code).toBe(2)
    expect(r.stderr).toBe(`npm start: port ${app} is in use; stop what is using it, or choose another port with --app-port N\n`)
  })

  it('refuses an unknown flag with its usage', async () => {
    const r = await start(['--verbose'])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain("Unknown option '--verbose'")
    expect(r.stderr).toContain('Usage: npm start')
  })
})
