/**
 * The error reference cannot go stale: every code of the three public error-code unions has
 * a row in docs/errors.md, in that union's section, and no row names a code that is gone.
 * The unions are read as text so that a new code needs no other change to be checked.
 */
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const root = join(dirname(fileURLToPath(import.meta.url)), '../..')
const read = (path: string) => readFileSync(join(root, path), 'utf8')

const UNIONS = [
  { name: 'AuthErrorCode', file: 'packages/core/src/AuthError.ts' },
  { name: 'AccessTokenErrorCode', file: 'packages/node/src/AccessTokenError.ts' },
  { name: 'OAuthErrorCode', file: 'packages/server/src/base/errors.ts' },
]

/** The string literals of `export type NAME = 'a' | 'b' ...`, comments between members allowed. */
function unionCodes(source: string, name: string): string[] {
  const start = source.indexOf(`export type ${name} =`)
  if (start < 0) throw new Error(`export type ${name} not found`)
  const body = source.slice(start).split('\n')
  const lines: string[] = [body[0]!]
  for (const line of body.slice(1)) {
    if (!/^\s*(\||\/\*\*|\*)/.test(line)) break
    lines.push(line)
  }
  const code = lines.join('\n').replace(/\/\*\*[\s\S]*?\*\//g, '')
  return [...code.matchAll(/'([a-z_]+)'/g)].map((m) => m[1]!)
}

/** The codes of the table rows (`| \`code\` | ...`) in the section whose heading names `name`. */
function documentedCodes(markdown: string, name: string): string[] {
  const sections = markdown.split(/^## /m)
  const section = sections.find((s) => s.split('\n')[0]!.includes(`\`${name}\``))
  if (!section) throw new Error(`docs/errors.md has no section for ${name}`)
  return [...section.matchAll(/^\| `([a-z_]+)` \|/gm)].map((m) => m[1]!)
}

describe('docs/errors.md', () => {
  const markdown = read('docs/errors.md')

  for (const { name, file } of UNIONS) {
    it(`documents exactly the codes of ${name}`, () => {
      const codes = unionCodes(read(file), name)
      expect(codes.length).toBeGreaterThan(3)
      expect(documentedCodes(markdown, name).sort()).toEqual([...new Set(codes)].sort())
    })
  }
})
