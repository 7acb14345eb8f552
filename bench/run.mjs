// `npm run bench`: runs every benchmark, each in its own Node process (a fresh heap and JIT,
// and nothing one leaves running can skew the next), then writes bench/results.md from the
// sections they wrote, with the date, machine and versions of this run on top.
//
//   node run.mjs                       all of them
//   node run.mjs provider-throughput   only some (results.md then holds only those)
import { spawn } from 'node:child_process'
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import os from 'node:os'
import { SECTIONS_DIR, here, machine, named } from './common.mjs'

/** In results.md order; `section` is the file the script writes, `limit` a kill deadline. */
const SCRIPTS = [
  { name: 'id-token-validation', section: '10-id-token-validation', title: 'ID-token validation (client)', limit: 60 },
  { name: 'verify-access-token', section: '20-verify-access-token', title: 'Access-token verification (resource server)', limit: 60 },
  { name: 'provider-throughput', section: '30-provider-throughput', title: 'Provider throughput over loopback', limit: 240 },
  { name: 'store-scaling', section: '35-store-scaling', title: 'Store scaling', limit: 900 },
  { name: 'refresh-contention', section: '40-refresh-contention', title: 'Refresh under contention', limit: 60 },
  { name: 'bundle-size', section: '50-bundle-size', title: 'Bundle size', limit: 120 },
]

const PACKAGES = [
  '@realmauth/core', '@realmauth/node', '@realmauth/server', '@realmauth/browser', '@realmauth/react',
  'oidc-provider-9', 'oidc-provider', 'openid-client', 'oauth4webapi', 'jose', 'oidc-client-ts', 'react-oidc-context',
  '@auth0/auth0-spa-js', '@azure/msal-browser', '@okta/okta-auth-js', '@forgerock/javascript-sdk', 'idb-keyval',
  'autocannon', 'esbuild',
]

const wanted = process.argv.slice(2)
const scripts = wanted.length ? SCRIPTS.filter((s) => wanted.includes(s.name)) : SCRIPTS
if (scripts.length !== (wanted.length || SCRIPTS.length)) {
  console.error(`unknown benchmark; known: ${SCRIPTS.map((s) => s.name).join(', ')}`)
  process.exit(2)
}

// Sections from an earlier run must not pass for this run's.
mkdirSync(SECTIONS_DIR, { recursive: true })
for (const file of readdirSync(SECTIONS_DIR, { withFileTypes: true }).filter((f) => f.name.endsWith('.tmp'))) {
  rmSync(join(SECTIONS_DIR, file.name))
}

let current
const stopCurrent = () => current?.kill('SIGTERM')
process.on('SIGINT', () => { stopCurrent(); process.exit(130) })
process.on('SIGTERM', () => { stopCurrent(); process.exit(143) })

/** Runs `node name.mjs`, output passed through; resolves with why it failed, if it did. */
function run(script) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(here, `${script.name}.mjs`)], { cwd: here, stdio: 'inherit' })
    current = child
    const timer = setTimeout(() => {
      child.kill('SIGTERM')
      setTimeout(() => child.kill('SIGKILL'), 3000).unref()
    }, script.limit * 1000)
    child.on('exit', (code, signal) => {
      clearTimeout(timer)
      current = undefined
      resolve(code === 0 ? undefined : signal ? `stopped by ${signal}${signal === 'SIGTERM' ? ` (over its ${script.limit} s limit?)` : ''}` : `exited with code ${code}`)
    })
  })
}

const m = machine()
const load = os.loadavg().map((l) => l.toFixed(2)).join(', ')
const started = performance.now()
const failures = []
const durations = []
for (const script of scripts) {
  console.log(`\n=== ${script.name}`)
  const t = performance.now()
  const failure = await run(script)
  durations.push(`${script.name} ${((performance.now() - t) / 1000).toFixed(0)} s`)
  if (failure) failures.push({ script, failure })
}
const total = ((performance.now() - started) / 1000).toFixed(0)

const sections = scripts.map((script) => {
  try {
    return readFileSync(join(SECTIONS_DIR, `${script.section}.tmp`), 'utf8').trimEnd()
  } catch {
    const why = failures.find((f) => f.script === script)?.failure ?? 'it wrote no results'
    return `## ${script.title}\n\nNot measured in this run: \`node bench/${script.name}.mjs\` ${why}; its output above says why.`
  }
})

const results = [
  '# Benchmark results',
  '',
  `Written by \`npm run bench\` (bench/run.mjs) on ${m.date}: Node ${m.node}, ${m.cpu}, ${m.cores} cores, ${m.platform}. Load average when it started: ${load}.`,
  `Benchmarks took ${total} s (${durations.join(', ')}), after building the packages.`,
  '',
  'Ratios measured in the same run are what to read: absolute rates move with whatever else runs on the machine, and on a shared 2-core machine that can be a lot.',
  '',
  `Versions: ${PACKAGES.map(named).join(', ')}.`,
  '',
  ...scripts.map((s) => `- [${s.title}](#${s.title.toLowerCase().replace(/[^a-z0-9 -]/g, '').replace(/ /g, '-')}) (\`bench/${s.name}.mjs\`)`),
  '',
  'The provider throughput section replaces the numbers `packages/server/bench/throughput.mjs` printed (client_credentials against the signing limit and a bare node:http ceiling), with oidc-provider beside them.',
  '',
  sections.join('\n\n'),
  '',
].join('\n')
writeFileSync(join(here, 'results.md'), results)
console.log(`\nbench/results.md written (${total} s).`)
if (failures.length) {
  console.error(`Failed: ${failures.map((f) => `${f.script.name} (${f.failure})`).join(', ')}`)
  process.exit(1)
}
