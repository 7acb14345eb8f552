/**
 * The error reference cannot go stale: every code of the three public error-code unions has
 * a row in docs/errors.md, in that union's section, and no row names a code that is gone.
 * The unions are read as text so that a new code needs no other change to be checked.
 *
 * A union can hold a code nothing raises, so the sources are read too: every listed code must
 * be raised somewhere in its packages, every code the provider answers with (through
 * `OAuthError` or a hand-built `{ error: '…' }` body) must be listed, and a provider row must
 * name each HTTP status the sources give that code as a number.
 */
import { readFileSync } from 'node:fs'
import { execFileSync } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const root = join(dirname(fileURLToPath(import.meta.url)), '../..')
const read = (path: string) => readFileSync(join(root, path), 'utf8')

const UNIONS = [
  { name: 'AuthErrorCode', file: 'packages/core/src/AuthError.ts', sources: ['core', 'browser', 'node', 'react'] },
  { name: 'AccessTokenErrorCode', file: 'packages/node/src/AccessTokenError.ts', sources: ['node'] },
  { name: 'OAuthErrorCode', file: 'packages/server/src/base/errors.ts', sources: ['server'] },
]

/** The packages' own source files (tests left out), by path. */
function sourcesOf(packages: string[]): Map<string, string> {
  const listed = execFileSync('git', ['ls-files', ...packages.map((p) => `packages/${p}/src`)], { cwd: root, encoding: 'utf8' })
  const files = listed.split('\n').filter((f) => /\.tsx?$/.test(f) && !/\.test\.tsx?$/.test(f))
  return new Map(files.map((f) => [f, read(f)]))
}

/** Where `export type NAME = 'a' | 'b' ...` sits in `source`, comments between members allowed. */
function unionSpan(source: string, name: string): { start: number; end: number } {
  const start = source.indexOf(`export type ${name} =`)
  if (start < 0) throw new Error(`export type ${name} not found`)
  const lines = source.slice(start).split('\n')
  let end = start + lines[0]!.length
  for (const line of lines.slice(1)) {
    if (!/^\s*(\||\/\*\*|\*)/.test(line)) break
    end += 1 + line.length
  }
  return { start, end }
}

/** The string literals of a union declaration. */
function unionCodes(source: string, name: string): string[] {
  const { start, end } = unionSpan(source, name)
  const code = source.slice(start, end).replace(/\/\*\*[\s\S]*?\*\//g, '')
  return [...code.matchAll(/'([a-z_]+)'/g)].map((m) => m[1]!)
}

/** The rows (`| \`code\` | meaning | ...`) of the section whose heading names `name`. */
function documentedRows(markdown: string, name: string): Map<string, string> {
  const sections = markdown.split(/^## /m)
  const section = sections.find((s) => s.split('\n')[0]!.includes(`\`${name}\``))
  if (!section) throw new Error(`docs/errors.md has no section for ${name}`)
  return new Map([...section.matchAll(/^\| `([a-z_]+)` \|(.*)$/gm)].map((m) => [m[1]!, m[2]!]))
}

/**
 * Whether `code` is raised in `source`: its literal appears other than in the union's own
 * declaration, a comparison (`=== 'x'`, `case 'x'`) or a set that classifies codes.
 */
function raises(source: string, code: string): boolean {
  const text = source
    .replace(/export type \w+Code =[^\n]*(\n\s*(\||\/\*\*|\*)[^\n]*)*/g, '')
    .replace(/new Set<\w+>\([^)]*\)/g, '')
    .replace(/(===|!==|case)\s*'[a-z_]+'/g, '')
  return text.includes(`'${code}'`)
}

/** The arguments of the call whose `(` is at `open`, as source text, split at top-level commas. */
function callArguments(source: string, open: number): string[] {
  const args: string[] = []
  let depth = 0
  let quote: string | undefined
  let current = ''
  for (let i = open; i < source.length; i++) {
    const c = source[i]!
    if (quote) {
      current += c
      if (c === '\\') current += source[++i]
      else if (c === quote) quote = undefined
      continue
    }
    if (c === "'" || c === '"' || c === '`') quote = c
    else if ('([{'.includes(c) && depth++ === 0) continue
    else if (')]}'.includes(c) && --depth === 0) return [...args, current.trim()]
    else if (c === ',' && depth === 1) {
      args.push(current.trim())
      current = ''
      continue
    }
    current += c
  }
  return args
}

/** Each code the provider answers with, and the HTTP statuses its sources give it (literal numbers only). */
function providerAnswers(sources: Map<string, string>): Map<string, Set<number>> {
  const found = new Map<string, Set<number>>()
  const add = (code: string, status: string) => {
    const statuses = found.get(code) ?? new Set<number>()
    for (const n of status.match(/\b[1-5]\d\d\b/g) ?? []) statuses.add(Number(n))
    found.set(code, statuses)
  }
  for (const source of sources.values()) {
    for (const m of source.matchAll(/new OAuthError\(/g)) {
      const [code, , status] = callArguments(source, m.index + m[0].length - 1)
      const literal = /^'([a-z_]+)'$/.exec(code ?? '')
      if (literal) add(literal[1]!, status ?? '400')
    }
    // Answers built by hand: `json({ error: 'x', … }, status)` and Node-level replies.
    for (const m of source.matchAll(/json\(\{ error: '([a-z_]+)'/g)) add(m[1]!, callArguments(source, m.index + 4)[1] ?? '200')
    for (const m of source.matchAll(/\{ error: '([a-z_]+)', error_description/g)) if (!found.has(m[1]!)) add(m[1]!, '')
  }
  return found
}

describe('docs/errors.md', () => {
  const markdown = read('docs/errors.md')

  for (const { name, file, sources } of UNIONS) {
    describe(name, () => {
      const rows = documentedRows(markdown, name)
      const codes = [...new Set(unionCodes(read(file), name))]
      const files = sourcesOf(sources)

      it('lists exactly the codes of the union', () => {
        expect(codes.length).toBeGreaterThan(3)
        expect([...rows.keys()].sort()).toEqual(codes.sort())
      })

      it('lists only codes the packages raise', () => {
        const silent = [...rows.keys()].filter((code) => ![...files.values()].some((source) => raises(source, code)))
        expect(silent).toEqual([])
      })
    })
  }

  it('lists every code the provider answers with, with each status its sources give it', () => {
    const rows = documentedRows(markdown, 'OAuthErrorCode')
    const answers = providerAnswers(sourcesOf(['server']))
    expect(answers.size).toBeGreaterThan(10)
    const missing: string[] = []
    for (const [code, statuses] of answers) {
      const row = rows.get(code)
      if (row === undefined) missing.push(code)
      else for (const status of statuses) if (!row.includes(String(status))) missing.push(`${code} ${status}`)
    }
    expect(missing).toEqual([])
  })
})
