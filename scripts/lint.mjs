// `npm run lint`: what a package's users would trip over before its code runs. Every
// published package is checked with publint, strict (its warnings fail too), as npm would
// pack it: the exports map, each file's format against its extension, types first, the
// files shipped. Needs a build of every package (`npm run lint` builds first).
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { publint } from 'publint'
import { formatMessage } from 'publint/utils'

export const PACKAGES = ['core', 'browser', 'node', 'react', 'server']

/** publint's warnings and errors for `packages/{name}`, each a line naming the package. */
export async function lintPackage(name) {
  const pkgDir = fileURLToPath(new URL(`../packages/${name}/`, import.meta.url))
  const pkg = JSON.parse(readFileSync(`${pkgDir}package.json`, 'utf8'))
  const { messages } = await publint({ pkgDir, strict: true, pack: 'npm' })
  return messages.filter((m) => m.type !== 'suggestion').map((m) => `${pkg.name}: ${m.type}: ${formatMessage(m, pkg)}`)
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  let failed = 0
  for (const name of PACKAGES) {
    const problems = await lintPackage(name)
    for (const line of problems) console.error(line)
    failed += problems.length
    if (problems.length === 0) console.log(`@realmauth/${name}: publint clean`)
  }
  process.exitCode = failed === 0 ? 0 : 1
}
