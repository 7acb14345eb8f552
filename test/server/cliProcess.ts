/**
 * The built CLI (packages/server/dist/cli.js) as a child process on a loopback port, for the
 * tests that restart it on the same store.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'

export const CLI = fileURLToPath(new URL('../../packages/server/dist/cli.js', import.meta.url))

export interface Cli {
  origin: string
  port: number
  issuer: string
  stdout: () => string
  /** SIGTERM, then the exit code once the process is gone. */
  stop(): Promise<number | string>
  /** SIGKILL (`kill -9`): no shutdown of any kind. */
  kill(): Promise<number | string>
}

/**
 * Starts the CLI with `args` in `cwd` and resolves once its output matches `ready` (by
 * default the store line, printed after it listens); bounded by the test's timeout.
 */
export function startCli(args: string[], cwd: string, ready = /Store: .*\n/): Promise<Cli> {
  const env = { ...process.env }
  delete env.PORT
  const child: ChildProcess = spawn(process.execPath, [CLI, '--host', '127.0.0.1', ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  let err = ''
  const exit = new Promise<number | string>((resolve) => child.once('close', (code, signal) => resolve(code ?? signal ?? -1)))
  return new Promise((resolve, reject) => {
    child.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString()))
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString()
      const m = /listening on http:\/\/localhost:(\d+)\n/.exec(out)
      if (!m || !ready.test(out)) return
      const origin = `http://127.0.0.1:${m[1]}`
      resolve({
        origin,
        port: Number(m[1]),
        issuer: `${origin}/oauth2/realms/root/realms/alpha`,
        stdout: () => out,
        stop: () => {
          child.kill('SIGTERM')
          return exit
        },
        kill: () => {
          child.kill('SIGKILL')
          return exit
        },
      })
    })
    void exit.then((code) => reject(new Error(`CLI exited with ${code}: ${err}`)))
  })
}
