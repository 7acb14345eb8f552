/**
 * The Chromium the browser tests drive: `CHROMIUM_PATH` when set, else a system Chromium on
 * `PATH`, else the headless build inside the `@sparticuz/chromium` package (a devDependency),
 * so that a machine with nothing but Node and npm runs the browser tests too.
 *
 * It is also the browser project's vitest globalSetup: it resolves the binary once, before any
 * worker starts (the package unpacks itself into the temp folder, which parallel workers would
 * race on), and hands the path to the workers in `CHROMIUM_PATH`.
 */
import { accessSync, constants } from 'node:fs'
import { delimiter, join } from 'node:path'

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
  return { path: await packaged.executablePath(), from: '@sparticuz/chromium' }
}

export default async function setup(): Promise<void> {
  process.env.CHROMIUM_PATH = (await findChromium()).path
}
