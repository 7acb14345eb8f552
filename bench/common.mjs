// Helpers shared by the bench scripts: where a script leaves its section of results.md, the
// machine line, installed versions, and number formatting.
import { createRequire } from 'node:module'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { join } from 'node:path'
import os from 'node:os'

export const here = fileURLToPath(new URL('.', import.meta.url))

/**
 * Each script writes its part of results.md here; run.mjs puts them together in a fixed
 * order. `*.tmp` under bench/results/ is git-ignored, so only results.md is committed.
 */
export const SECTIONS_DIR = join(here, 'results')

/** Writes one script's markdown (starting with its `## ` heading) for run.mjs to assemble. */
export function writeSection(name, lines) {
  mkdirSync(SECTIONS_DIR, { recursive: true })
  writeFileSync(join(SECTIONS_DIR, `${name}.tmp`), `${lines.join('\n').replace(/\n*$/, '')}\n`)
}

const require = createRequire(join(here, 'package.json'))

/** The installed version of `pkg`, read from its package.json as module resolution finds it. */
export function installedVersion(pkg) {
  for (const dir of require.resolve.paths(pkg) ?? []) {
    const file = join(dir, pkg, 'package.json')
    if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')).version
  }
  return undefined
}

/** `pkg version`, or `pkg (not installed)`. */
export const named = (pkg) => `${pkg} ${installedVersion(pkg) ?? '(not installed)'}`

export function machine() {
  const cpus = os.cpus()
  return {
    date: new Date().toISOString().slice(0, 10),
    cpu: cpus[0]?.model?.trim() ?? 'unknown CPU',
    cores: cpus.length,
    node: process.version,
    platform: `${os.platform()}-${os.arch()}`,
  }
}

export function machineLine() {
  const m = machine()
  return `${m.date}, Node ${m.node}, ${m.cpu} (${m.cores} cores), ${m.platform}`
}

/** 12,345 */
/** Calls per second of `fn`, awaited one after another for `seconds`. */
export async function rate(fn, seconds) {
  let count = 0
  const end = performance.now() + seconds * 1000
  while (performance.now() < end) {
    await fn()
    count++
  }
  return count / seconds
}

export const fmt = (n) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '-')
export const mean = (a) => a.reduce((x, y) => x + y, 0) / a.length
export function median(a) {
  const s = [...a].sort((x, y) => x - y)
  const m = s.length >> 1
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2
}
/** `met` / `missed`, or `not measured` when the figure is missing. */
export const verdict = (ok) => (ok === undefined ? 'not measured' : ok ? 'met' : 'missed')

/** Prints lines to stdout as they will appear in results.md. */
export function print(lines) {
  console.log(`\n${lines.join('\n')}`)
}
