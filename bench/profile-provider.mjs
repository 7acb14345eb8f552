// Where a provider's main thread spends its time under load: starts one server of
// servers.mjs with --cpu-prof, drives it with autocannon as provider-throughput.mjs does, and
// prints the top self-time frames. Not part of `npm run bench`; run it by hand:
//
//   node profile-provider.mjs realmauth ES256 client_credentials [seconds]
//   node profile-provider.mjs oidc-provider RS256 refresh_token
//
// Self time of a sampled frame is wall time on the main thread, so on a busy 2-core machine
// it includes time the thread waited for a core while in that frame.
import { fork } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import autocannon from 'autocannon'
import { BASIC, FORM, PATHS } from './servers.mjs'
import { here } from './common.mjs'

const [kind = 'realmauth', alg = 'ES256', grant = 'client_credentials', seconds = '4'] = process.argv.slice(2)
const dir = mkdtempSync(join(tmpdir(), 'realmauth-prof-'))
const child = fork(join(here, 'servers.mjs'), [kind, alg, '128'], { execArgv: ['--cpu-prof', `--cpu-prof-dir=${dir}`], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] })
process.on('exit', () => child.kill('SIGKILL'))
try {
  const { ready, error } = await new Promise((resolve) => child.once('message', resolve))
  if (error) throw new Error(error)
  const pool = [...ready.refreshTokens]
  const request =
    grant === 'client_credentials' ? { path: PATHS[kind].token, body: 'grant_type=client_credentials&scope=read' }
    : grant === 'introspection' ? { path: PATHS[kind].introspect, body: `token=${ready.introspect}` }
    : {
        path: PATHS[kind].token,
        setupRequest: (r) => ({ ...r, body: `grant_type=refresh_token&refresh_token=${pool.shift()}` }),
        onResponse: (status, body) => status === 200 && pool.push(JSON.parse(body).refresh_token),
      }
  const result = await autocannon({
    url: `http://127.0.0.1:${ready.port}`, connections: 32, duration: Number(seconds),
    requests: [{ method: 'POST', headers: { authorization: BASIC, 'content-type': FORM }, ...request }],
  })
  console.log(`${kind} ${alg} ${grant}: ${Math.round(result['2xx'] / result.duration)} req/s, ${result.non2xx + result.errors} failed\n`)
  // The profile is written when the child exits.
  const exited = new Promise((resolve) => child.once('exit', resolve))
  child.send('stop')
  await exited

  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'))
  const profile = JSON.parse(readFileSync(join(dir, file), 'utf8'))
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]))
  const self = new Map()
  let total = 0
  profile.samples.forEach((id, i) => {
    const { functionName, url, lineNumber } = nodes.get(id).callFrame
    const frame = `${functionName || '(anonymous)'} ${url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*?\/packages\//, 'packages/')}:${lineNumber + 1}`
    const dt = profile.timeDeltas[i] ?? 0
    self.set(frame, (self.get(frame) ?? 0) + dt)
    total += dt
  })
  console.log('self time  frame (whole child lifetime, start-up included)')
  for (const [frame, t] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 25)) {
    console.log(`${((100 * t) / total).toFixed(1).padStart(8)}%  ${frame}`)
  }
} finally {
  if (child.exitCode === null) child.kill('SIGKILL')
  rmSync(dir, { recursive: true, force: true })
}
