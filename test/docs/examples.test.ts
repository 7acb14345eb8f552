/**
 * Docs as code: every TSDoc `@example` of a public export compiles against the packages'
 * sources, and internals carry none (typedoc does not show them, so nobody would notice one
 * going stale). One TypeScript program checks them all at once.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'
import { expect, it } from 'vitest'

const root = join(dirname(fileURLToPath(import.meta.url)), '../..')

/** Entry point of each import path an app can use. */
const ENTRIES: Record<string, string> = {
  '@realmauth/core': 'packages/core/src/index.ts',
  '@realmauth/browser': 'packages/browser/src/index.ts',
  '@realmauth/node': 'packages/node/src/index.ts',
  '@realmauth/react': 'packages/react/src/index.ts',
  '@realmauth/server': 'packages/server/src/index.ts',
  '@realmauth/server/node': 'packages/server/src/node.ts',
  '@realmauth/server/msw': 'packages/server/src/msw.ts',
  '@realmauth/server/sqlite': 'packages/server/src/sqlite.ts',
  '@realmauth/server/postgres': 'packages/server/src/postgres.ts',
  '@realmauth/server/testing': 'packages/server/src/testing.ts',
  '@realmauth/node/express': 'packages/node/src/express.ts',
  '@realmauth/node/fastify': 'packages/node/src/fastify.ts',
  '@realmauth/node/hono': 'packages/node/src/hono.ts',
  '@realmauth/react/testing': 'packages/react/src/testing.tsx',
}

/**
 * What examples may take as given, as a reader would: the values the surrounding prose
 * talks about. Everything else an example uses must be imported or declared in it.
 */
const SCENE = `
import type { JSX } from 'react'
declare const issuer: string
declare const redirectUri: string
declare const callbackUrl: string
declare const pem: string
declare const body: BodyInit
declare let pair: CryptoKeyPair | undefined
declare const tokens: TokenSet
declare const client: NodeClient & AuthClient
declare const auth: BrowserClient
declare const verifier: AccessTokenVerifier
declare const channel: BroadcastChannel
declare const session: { tokens?: TokenSet }
type Session = { tx?: Record<string, Transaction> }
type Req = import('node:http').IncomingMessage & { url: string; session: Session; auth?: AccessTokenClaims }
type Res = import('node:http').ServerResponse
declare const req: Req
declare const res: Res
declare const app: { use(handler: (req: Req, res: Res, next: (err?: unknown) => void) => Promise<void>): void }
declare function allowAdmin(sub: string | undefined): void
declare function showOfflineBanner(): void
declare const config: ProviderConfig
declare const realms: RealmConfig[]
declare const clients: ClientConfig[]
declare const keys: SigningJwk[]
declare const clock: { now: number }
declare const provider: Provider
declare const claims: Record<string, unknown>
declare const page: import('playwright-core').Page
declare function writeFile(path: string, data: string, options?: { mode?: number }): Promise<void>
declare function loadKeys(): Promise<SigningJwk[]>
declare function writeKeys(jwks: SigningJwk[]): Promise<void>
declare const redis: { set(key: string, value: string, options: object): Promise<string | null> }
declare const root: HTMLElement
declare function navigate(to: string, options?: { replace?: boolean }): void
declare function render(what: AuthSnapshot | JSX.Element): void
declare const screen: { getByText(text: string): HTMLElement }
declare function act(change: () => void): void
declare function expect(actual: unknown): { toBeTruthy(): void; toEqual(expected: unknown): void }
declare function Profile(): JSX.Element
declare function useQuery<T>(options: { queryKey: unknown[]; enabled?: boolean; queryFn: () => Promise<T> }): { data: T | undefined }
declare function getOrders(token: string): Promise<string[]>
declare function Spinner(): JSX.Element
declare function OrderList(props: { orders: string[] | undefined }): JSX.Element
declare function App(): JSX.Element
declare function Admin(): JSX.Element
declare function Orders(): JSX.Element
declare function Route(props: { path: string; element?: JSX.Element; component?: import('react').ComponentType }): JSX.Element
declare function createRoot(element: HTMLElement): { render(node: JSX.Element): void }
declare function readFileSync(path: string, encoding: 'utf8'): string
`

interface Example {
  where: string
  code: string
  tsx: boolean
  /** A page's code block is a module a reader copies whole; a TSDoc example is a function body. */
  module?: boolean
}

/** The pages whose TypeScript blocks readers copy: READMEs and guides. */
const PAGES = ['README.md', 'examples/README.md', 'test/README.md', ...readdirSync(join(root, 'packages')).map((p) => `packages/${p}/README.md`), ...readdirSync(join(root, 'docs/guides')).map((g) => `docs/guides/${g}`)]

/** Every ```ts / ```tsx block of the pages, unless the line before it says `<!-- not compiled: why -->`. */
function pageExamples(): Example[] {
  const out: Example[] = []
  for (const page of PAGES) {
    if (!existsSync(join(root, page))) continue
    const text = readFileSync(join(root, page), 'utf8')
    for (const m of text.matchAll(/(<!-- not compiled[^>]*-->\n)?```(tsx?)\n([\s\S]*?)```/g)) {
      if (m[1]) continue
      const line = text.slice(0, m.index).split('\n').length
      out.push({ where: `${page}:${line}`, code: m[3]!, tsx: m[2] === 'tsx', module: true })
    }
  }
  return out
}

const config = ts.getParsedCommandLineOfConfigFile(join(root, 'tsconfig.json'), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} })!
const options: ts.CompilerOptions = { ...config.options, noEmit: true, noUnusedLocals: false }

function publicDeclarations(program: ts.Program): Set<ts.Node> {
  const checker = program.getTypeChecker()
  const out = new Set<ts.Node>()
  for (const entry of Object.values(ENTRIES)) {
    const file = program.getSourceFile(join(root, entry))!
    const module = checker.getSymbolAtLocation(file)
    for (let symbol of module ? checker.getExportsOfModule(module) : []) {
      if (symbol.flags & ts.SymbolFlags.Alias) symbol = checker.getAliasedSymbol(symbol)
      for (const declaration of symbol.declarations ?? []) out.add(declaration)
    }
  }
  return out
}

/** Public itself, or a member of something public (a class's method, an interface's property). */
function isPublic(node: ts.Node, declarations: Set<ts.Node>): boolean {
  for (let n: ts.Node | undefined = node; n && !ts.isSourceFile(n); n = n.parent) {
    if (declarations.has(n)) return true
    // A `const x = ...` is exported as its declaration, not the statement the comment sits on.
    if (ts.isVariableStatement(n) && n.declarationList.declarations.some((d) => declarations.has(d))) return true
    // An entry's file comment sits on its first re-export.
    if (ts.isExportDeclaration(n)) return true
  }
  return false
}

function collect(): { examples: Example[]; internal: string[] } {
  const program = ts.createProgram(Object.values(ENTRIES).map((e) => join(root, e)), options)
  const declarations = publicDeclarations(program)
  const examples: Example[] = []
  const internal: string[] = []
  for (const file of program.getSourceFiles()) {
    const path = relative(root, file.fileName)
    if (!/^packages\/[a-z]+\/src\//.test(path) || path.endsWith('.test.ts')) continue
    const visit = (node: ts.Node) => {
      for (const tag of ts.getJSDocTags(node)) {
        if (tag.tagName.text !== 'example' || tag.parent !== (node as { jsDoc?: ts.Node[] }).jsDoc?.at(-1)) continue
        const where = `${path}:${file.getLineAndCharacterOfPosition(tag.getStart()).line + 1}`
        const text = typeof tag.comment === 'string' ? tag.comment : ts.getTextOfJSDocComment(tag.comment) ?? ''
        const fence = /```(tsx?)\n([\s\S]*?)```/.exec(text)
        if (!isPublic(node, declarations)) internal.push(where)
        else if (!fence) internal.push(`${where} (no \`\`\`ts fence)`)
        else examples.push({ where, code: fence[2]!, tsx: fence[1] === 'tsx' || path.endsWith('.tsx') })
      }
      ts.forEachChild(node, visit)
    }
    visit(file)
  }
  return { examples, internal }
}

/** Every public name, imported from the first entry that exports it. */
function publicNames(): [string, string[]][] {
  const program = ts.createProgram(Object.values(ENTRIES).map((e) => join(root, e)), options)
  const checker = program.getTypeChecker()
  const seen = new Set<string>()
  return Object.entries(ENTRIES).map(([specifier, entry]) => {
    const module = checker.getSymbolAtLocation(program.getSourceFile(join(root, entry))!)
    const names = (module ? checker.getExportsOfModule(module) : []).map((s) => s.name).filter((n) => !seen.has(n))
    for (const n of names) seen.add(n)
    return [specifier, names]
  })
}

/** The public names an example does not import itself, imported for it. */
function prelude(names: [string, string[]][], imports: string[], declared = new Set<string>()): string {
  const own = new Set([...declared, ...imports.flatMap((l) => (/\{([^}]*)\}/.exec(l)?.[1] ?? '').split(',').map((n) => n.replace(/^\s*type\s+/, '').split(/\s+as\s+/).at(-1)!.trim()))])
  return names
    .map(([specifier, list]) => list.filter((n) => !own.has(n)))
    .map((list, i) => (list.length ? `import { ${list.join(', ')} } from '${names[i]![0]}'` : ''))
    .join('\n')
}

/** Names a block declares or imports at its top level. */
function declaredBy(code: string): Set<string> {
  const names = [...code.matchAll(/^(?:export\s+)?(?:default\s+)?(?:async\s+)?(?:const|let|var|function|class|type|interface)\s+(\w+)/gm)].map((m) => m[1]!)
  for (const m of code.matchAll(/^import\s+(?:type\s+)?(?:(\w+)\s*,?\s*)?(?:\{([^}]*)\})?/gm)) {
    if (m[1]) names.push(m[1])
    for (const n of (m[2] ?? '').split(',').filter((n) => n.trim())) names.push(n.replace(/^\s*type\s+/, '').split(/\s+as\s+/).at(-1)!.trim())
  }
  return new Set(names)
}

function compile(examples: Example[]): string[] {
  const names = publicNames()
  const files = new Map<string, { text: string; example: Example; offset: number }>()
  examples.forEach((example, i) => {
    const imports = example.code.split('\n').filter((l) => /^import\s/.test(l))
    const body = example.code.split('\n').filter((l) => !/^import\s/.test(l)).join('\n')
    // A page's block declares at top level what it needs; the scene gives only the rest.
    const scene = example.module ? SCENE.split('\n').filter((l) => !declaredBy(example.code).has(/^declare (?:const|let|function) (\w+)|^type (\w+)/.exec(l)?.slice(1).find(Boolean) ?? '')).join('\n') : SCENE
    const top = example.module
      ? `${prelude(names, imports, declaredBy(example.code))}\n${imports.join('\n')}\n${scene}\nexport {}\n`
      : `${prelude(names, imports)}\n${imports.join('\n')}\n${SCENE}\nexport async function example(): Promise<unknown> {\n`
    files.set(join(root, `test/docs/.example${i}.${example.tsx ? 'tsx' : 'ts'}`), {
      text: example.module ? `${top}${body}\n` : `${top}${body}\nreturn undefined\n}\n`,
      example,
      offset: top.split('\n').length - 1,
    })
  })
  const host = ts.createCompilerHost(options)
  const getSourceFile = host.getSourceFile.bind(host)
  host.getSourceFile = (name, language, ...rest) => {
    const virtual = files.get(name)
    return virtual ? ts.createSourceFile(name, virtual.text, language) : getSourceFile(name, language, ...rest)
  }
  const fileExists = host.fileExists.bind(host)
  host.fileExists = (name) => files.has(name) || fileExists(name)
  const program = ts.createProgram([...files.keys()], { ...options, jsx: ts.JsxEmit.ReactJSX }, host)
  const errors: string[] = []
  for (const [name, { example, offset }] of files) {
    const file = program.getSourceFile(name)!
    for (const d of [...program.getSyntacticDiagnostics(file), ...program.getSemanticDiagnostics(file)]) {
      const line = d.start === undefined ? 0 : file.getLineAndCharacterOfPosition(d.start).line - offset + 1
      errors.push(`${example.where} (example line ${line}): ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`)
    }
  }
  return errors
}

const { examples, internal } = collect()

it('documents no internals with @example', () => {
  expect(internal).toEqual([])
})

it(`compiles every @example of the public API (${examples.length})`, () => {
  expect(examples.length).toBeGreaterThan(40)
  expect(compile(examples)).toEqual([])
}, 60_000)

it('compiles every TypeScript block of the READMEs and guides', () => {
  const blocks = pageExamples()
  expect(blocks.length).toBeGreaterThan(20)
  expect(compile(blocks)).toEqual([])
}, 60_000)
