/**
 * The Chromium the browser tests drive: `CHROMIUM_PATH` when set, else a system Chromium on
 * `PATH`, else the headless build inside the `@sparticuz/chromium` package (a devDependency),
 * so that a machine with nothing but Node and npm runs the browser tests too. That build
 * needs NSS and expat, which a machine without a system Chromium may lack; the package ships
 * them (for AWS Lambda, where it alone unpacks them), so a wrapper script adds them.
 *
 * It is also the browser project's vitest globalSetup: it resolves the binary once, before any
 * worker starts (the package unpacks itself into the temp folder, which parallel workers would
 * race on), and hands the path to the workers in `CHROMIUM_PATH`.
 */
import { spawnSync } from 'node:child_process'
import { accessSync, constants, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { delimiter, dirname, join } from 'node:path'
import { brotliDecompressSync } from 'node:zlib'

const SYSTEM_NAMES = ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable']

/** The first executable of `names` on `PATH`, if any. */
export function onPath(names: readonly string[], path = process.env.PATH ?? ''): string | undefined {
  for (const dir of path.split(delimiter).filter(Boolean)) {
    for (const name of names) {
      const candidate = join(dir, name)
      try {
        accessSync(candidate, constants.X_OK)
        return candidate
      } catch {
        // not here
      }
    }
  }
  return undefined
}

/** Where the Chromium to launch is, unpacking the packaged one when there is no other. */
export async function findChromium(): Promise<{ path: string; from: 'CHROMIUM_PATH' | 'PATH' | '@sparticuz/chromium' }> {
  if (process.env.CHROMIUM_PATH) return { path: process.env.CHROMIUM_PATH, from: 'CHROMIUM_PATH' }
  const system = onPath(SYSTEM_NAMES)
  if (system) return { path: system, from: 'PATH' }
  const { default: packaged } = await import('@sparticuz/chromium')
  return { path: withBundledLibraries(await packaged.executablePath()), from: '@sparticuz/chromium' }
}

/** A script that runs `chromium` with the package's own NSS and expat ahead of the system's. */
function withBundledLibraries(chromium: string): string {
  const libs = join(tmpdir(), 'al2023', 'lib')
  const wrapper = join(tmpdir(), 'realmauth-chromium')
  if (!existsSync(join(libs, 'libnss3.so'))) {
    // Beside build/cjs/index.cjs, the entry it resolves to (its package.json is not exported).
    const archive = join(dirname(createRequire(import.meta.url).resolve('@sparticuz/chromium')), '..', '..', 'bin', 'al2023.tar.br')
    mkdirSync(join(tmpdir(), 'al2023'), { recursive: true })
    const untar = spawnSync('tar', ['-x', '-C', join(tmpdir(), 'al2023')], { input: brotliDecompressSync(readFileSync(archive)) })
    if (untar.status !== 0) throw new Error(`Cannot unpack ${archive}: ${untar.stderr.toString()}`)
  }
  const script = `#!/bin/sh\nLD_LIBRARY_PATH='${libs}'\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH} exec '${chromium}' "$@"\n`
  // Rewritten only when different: another run may be starting a browser through it.
  if (!existsSync(wrapper) || readFileSync(wrapper, 'utf8') !== script) writeFileSync(wrapper, script, { mode: 0o755 })
  return wrapper
}

export default async function setup(): Promise<void> {
  process.env.CHROMIUM_PATH = (await findChromium()).path
}
