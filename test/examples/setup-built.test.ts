/** `npm start` and `npm test` build the packages only when a source is newer than what was built. */
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, expect, it } from 'vitest'
// @ts-expect-error plain .mjs script without types
import { BUILT, built } from '../../scripts/setup.mjs'

const OUTPUTS = BUILT as Record<string, string[]>
const dirs: string[] = []
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })))

/** A checkout whose sources date from `sources` and whose dist/ files from `outputs` (seconds). */
function checkout(sources: number, outputs: number): string {
  const root = mkdtempSync(join(tmpdir(), 'realmauth-setup-'))
  dirs.push(root)
  const file = (path: string, at: number) => {
    mkdirSync(join(root, path, '..'), { recursive: true })
    writeFileSync(join(root, path), '')
    utimesSync(join(root, path), at, at)
  }
  for (const f of ['tsconfig.base.json', 'package-lock.json']) file(f, sources)
  for (const [pkg, outs] of Object.entries(OUTPUTS)) {
    for (const f of ['src/index.ts', 'src/deep/nested.ts', 'package.json', 'tsup.config.ts', 'tsconfig.json']) file(`packages/${pkg}/${f}`, sources)
    for (const f of outs) file(`packages/${pkg}/dist/${f}`, outputs)
  }
  return `${root}/`
}

it('skips the build when every output is newer than every input', () => {
  expect(built(checkout(1000, 2000))).toBe(true)
})

it('builds when a source file, however deep, or a shared setting changed since', () => {
  const root = checkout(1000, 2000)
  utimesSync(`${root}packages/node/src/deep/nested.ts`, 3000, 3000)
  expect(built(root)).toBe(false)
  const other = checkout(1000, 2000)
  utimesSync(`${other}tsconfig.base.json`, 3000, 3000)
  expect(built(other)).toBe(false)
})

it('builds when a build stopped half way left an output missing', () => {
  const root = checkout(1000, 2000)
  rmSync(`${root}packages/server/dist/index.d.cts`)
  expect(built(root)).toBe(false)
})
