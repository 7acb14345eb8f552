// What `npm start` and `npm test` run first, so that a fresh clone needs nothing but Node and
// npm: installs the locked dependencies when node_modules is missing or older than
// package-lock.json, then builds the packages the CLI, the demo and the tests run from dist/.
// Plain Node with no dependencies: it runs before any are installed.
// Usage: node scripts/setup.mjs [--no-build]
import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const lock = `${root}package-lock.json`
// Written after an install this script ran: a checkout that rewrites the same lock needs none.
const stamp = `${root}node_modules/.realmauth-installed`
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm'

function run(args) {
  const done = spawnSync(npm, args, { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] })
  if (done.status !== 0) {
    console.error(`\`npm ${args.join(' ')}\` failed (exit ${done.status ?? done.signal}); fix the error above and run again.`)
    process.exit(done.status || 1)
  }
}

const lockHash = () => createHash('sha256').update(readFileSync(lock)).digest('hex')

/** node_modules matches package-lock.json: npm's own hidden lockfile is newer, or our stamp has its hash. */
export function installed() {
  const hidden = `${root}node_modules/.package-lock.json`
  if (existsSync(hidden) && statSync(hidden).mtimeMs >= statSync(lock).mtimeMs) return true
  return existsSync(stamp) && readFileSync(stamp, 'utf8').trim() === lockHash()
}

/** What `npm run build:run` builds, and the outputs a finished build of each leaves (types last). */
export const BUILT = {
  core: ['index.js', 'index.cjs', 'index.d.ts', 'index.d.cts'],
  server: ['index.js', 'index.cjs', 'index.d.ts', 'index.d.cts', 'cli.js'],
  node: ['index.js', 'index.cjs', 'index.d.ts', 'index.d.cts'],
}

/** The newest modification time of a file or of any file under a directory. */
function newest(path) {
  const stat = statSync(path)
  if (!stat.isDirectory()) return stat.mtimeMs
  return Math.max(0, ...readdirSync(path).map((name) => newest(`${path}/${name}`)))
}

/**
 * Every package's outputs exist and are newer than its sources and build settings, so a second
 * `npm start` starts in a second instead of rebuilding. A build stopped half way (tsup empties
 * dist/ first, types come last) lacks an output, so it is built again.
 */
export function built(at = root) {
  const shared = Math.max(...['tsconfig.base.json', 'package-lock.json'].map((f) => newest(`${at}${f}`)))
  return Object.entries(BUILT).every(([pkg, outputs]) => {
    const dir = `${at}packages/${pkg}/`
    if (!outputs.every((f) => existsSync(`${dir}dist/${f}`))) return false
    const inputs = Math.max(shared, ...['src', 'package.json', 'tsup.config.ts', 'tsconfig.json'].map((f) => newest(`${dir}${f}`)))
    return Math.min(...outputs.map((f) => statSync(`${dir}dist/${f}`).mtimeMs)) > inputs
  })
}

/** Installs when needed (npm ci, which also builds through the root `prepare` script), else builds what is out of date. */
export function setup({ build = true } = {}) {
  if (!installed()) {
    console.log('Installing dependencies (npm ci)…')
    run(['ci', '--no-audit', '--no-fund'])
    writeFileSync(stamp, `${lockHash()}\n`)
    return
  }
  if (build && !built()) {
    console.log('Building the packages (dist/ is missing or older than src/)…')
    run(['run', 'build:run', '--silent'])
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) setup({ build: !process.argv.includes('--no-build') })
