// A request's timeout timer (core `withRequestOptions`) keeps a Node process alive while the
// request is pending; it is cleared when the exchange ends, so it never holds a finished process.
// Unref'ing it would change one thing: where nothing else holds the process (an injected fetch,
// msw in Node, a test double), a hung request would end the process with the call unsettled,
// no result and no error; over a real socket the socket holds the process anyway.
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { expect, it } from 'vitest'

const root = fileURLToPath(new URL('../../', import.meta.url))

it('a process whose only pending work is a request nobody answers gets network_error after timeoutMs, not a silent exit', async () => {
  // The fetch holds no handle, as msw's interception of a handler that never answers.
  const script = `
    import { discover } from ${JSON.stringify(`${root}packages/core/src/index.ts`)}
    const hang = (_url, init) => new Promise((_, reject) => init.signal.addEventListener('abort', () => reject(init.signal.reason)))
    discover('https://idp.example/oauth2', { fetch: hang, timeoutMs: 50 }).then(
      () => console.log('resolved'),
      (error) => console.log('rejected', error.code, error.retryable),
    )
    process.on('exit', () => console.log('exit'))
  `
  const child = spawn(`${root}node_modules/.bin/tsx`, ['--input-type=module', '-e', script], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()))
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()))
  const code = await new Promise((resolve) => child.once('close', resolve))
  expect({ code, out }).toEqual({ code: 0, out: 'rejected network_error true\nexit\n' })
})
