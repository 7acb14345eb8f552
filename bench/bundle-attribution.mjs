// Where the typical SPA flow's bytes come from: the bundle bundle-size.mjs measures, built
// the same way with a source map, each output character charged to the source file it came
// from (esbuild follows the packages' own source maps back to their src/ files).
//
//   node bench/bundle-attribution.mjs          the typical flow, by package then by file
//   node bench/bundle-attribution.mjs dpop     another flow of bundle-size.mjs (dpop, userinfo, popup, journeys, core, floor)
//   node bench/bundle-attribution.mjs --declarations   also by function, class member or const
//
// Minified bytes per part are exact. Gzip does not add up by part (a part compresses against
// the rest), so each part's gzipped bytes are its text gzipped alone, scaled so the parts sum
// to the whole bundle's gzipped size: a share, not a leave-one-out saving.
import { build } from 'esbuild'
import { readFile } from 'node:fs/promises'
import { gzipSync } from 'node:zlib'
import { here } from './common.mjs'

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'

/** Source-map `mappings` as [generated line][] of [column, source index, source line] (-1: no source). */
function decodeMappings(mappings) {
  const lines = []
  let source = 0
  let sourceLine = 0
  for (const line of mappings.split(';')) {
    const segments = []
    let column = 0
    for (const segment of line.split(',')) {
      if (!segment) continue
      const fields = []
      let value = 0
      let shift = 0
      for (const ch of segment) {
        const digit = B64.indexOf(ch)
        value += (digit & 31) << shift
        if (digit & 32) {
          shift += 5
        } else {
          fields.push(value & 1 ? -(value >>> 1) : value >>> 1)
          value = 0
          shift = 0
        }
      }
      column += fields[0]
      if (fields.length > 1) {
        source += fields[1]
        sourceLine += fields[2]
      }
      segments.push([column, fields.length > 1 ? source : -1, sourceLine])
    }
    lines.push(segments)
  }
  return lines
}

/**
 * For each line of a source file, the declaration it belongs to: the nearest top-level
 * function, class, const or let above it, with the class member when inside a class.
 */
function declarationsOf(content) {
  const out = []
  let top = '(top level)'
  let member = ''
  for (const line of content.split('\n')) {
    const t = /^(?:export\s+)?(?:default\s+)?(?:declare\s+)?(?:abstract\s+)?(?:async\s+)?(?:function\*?|class|const|let|var|enum)\s+([\w$]+)/.exec(line)
    if (t) {
      top = t[1]
      member = ''
    } else if (/^\S/.test(line) && !/^[}\])]/.test(line) && !line.startsWith('//') && !line.startsWith('/*') && !line.startsWith(' *')) {
      top = '(top level)'
      member = ''
    }
    const m = /^ {2}(?:(?:static|async|get|set|private|protected|public|readonly|override)\s+)*(#?[\w$]+)\s*(?:[(<=:]|\?)/.exec(line)
    if (m && !/^(if|for|while|return|const|let|await|throw|switch|try|else)$/.test(m[1])) member = `.${m[1]}`
    out.push(top + member)
  }
  return out
}

/** The package a source path belongs to. */
export function partOf(path) {
  if (path === undefined) return '(esbuild glue)'
  if (/<stdin>|%3Cstdin%3E/.test(path)) return 'app'
  const dep = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(path)
  if (dep && !dep[1].startsWith('@realmauth/')) return dep[1]
  const ours = /(?:packages|@realmauth)\/([^/]+)\//.exec(path)
  return ours ? ours[1] : path
}

/** A readable name for a source path: the package and the file within it. */
function fileOf(path) {
  if (path === undefined) return '(esbuild glue)'
  if (/<stdin>|%3Cstdin%3E/.test(path)) return 'app'
  const m = /(?:node_modules\/((?:@[^/]+\/)?[^/]+)|packages\/([^/]+))\/(.*)$/.exec(path)
  return m ? `${m[1] ?? m[2]}/${m[3].replace(/^(src|dist|build)\//, '')}` : path
}

/**
 * Dependencies charged to their built JavaScript: oauth4webapi's source map names a
 * `src/index.ts` it does not ship, so its declarations could not be told apart.
 */
const builtNotSource = {
  name: 'built-not-source',
  setup(b) {
    b.onLoad({ filter: /node_modules[\\/].*\.m?js$/ }, async (args) => ({
      contents: (await readFile(args.path, 'utf8')).replace(/\/\/# sourceMappingURL=\S+\s*$/, ''),
      loader: 'js',
    }))
  },
}

/**
 * Builds `source` as bundle-size.mjs does and charges every output character to its source.
 * Returns the whole bundle's sizes and, per part and per file, minified bytes and gzip share.
 */
export async function attribute(source) {
  const result = await build({
    stdin: { contents: source, resolveDir: here, loader: 'js', sourcefile: '<stdin>' },
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    outfile: 'out.js',
    sourcemap: 'external',
    tsconfigRaw: {},
    plugins: [builtNotSource],
    define: { 'process.env.NODE_ENV': '"production"' },
    logLevel: 'silent',
  })
  const js = result.outputFiles.find((f) => f.path.endsWith('.js')).text
  const map = JSON.parse(result.outputFiles.find((f) => f.path.endsWith('.map')).text)
  const declarations = map.sources.map((_, i) => declarationsOf(map.sourcesContent?.[i] ?? ''))
  const texts = new Map()
  const charge = (index, line, text) => {
    const key = `${index}\t${index < 0 ? '' : declarations[index][line] ?? ''}`
    texts.set(key, (texts.get(key) ?? '') + text)
  }
  const decoded = decodeMappings(map.mappings)
  js.split('\n').forEach((line, i) => {
    const segments = decoded[i] ?? []
    if (!segments.length) return charge(-1, 0, `${line}\n`)
    if (segments[0][0] > 0) charge(-1, 0, line.slice(0, segments[0][0]))
    segments.forEach(([column, index, sourceLine], j) =>
      charge(index, sourceLine, line.slice(column, j + 1 < segments.length ? segments[j + 1][0] : undefined) + (j + 1 === segments.length ? '\n' : '')))
  })
  const total = { min: Buffer.byteLength(js), gzip: gzipSync(js, { level: 9 }).length }
  const measured = [...texts].map(([key, text]) => {
    const [index, declaration] = key.split('\t')
    const path = map.sources[Number(index)]
    return { part: partOf(path), file: fileOf(path), declaration: `${fileOf(path)} ${declaration}`, text }
  })
  const group = (key) => {
    const rows = new Map()
    for (const m of measured) {
      const row = rows.get(m[key]) ?? { name: m[key], text: '' }
      row.text += m.text
      rows.set(m[key], row)
    }
    const out = [...rows.values()].map((r) => ({ name: r.name, min: Buffer.byteLength(r.text), alone: gzipSync(r.text, { level: 9 }).length }))
    const sumAlone = out.reduce((s, r) => s + r.alone, 0)
    for (const r of out) r.gzip = (r.alone * total.gzip) / sumAlone
    return out.sort((a, b) => b.gzip - a.gzip)
  }
  return { total, parts: group('part'), files: group('file'), declarations: group('declaration') }
}

const kb = (n) => (n / 1024).toFixed(2)

/** The attribution as markdown lines: by package, then the files of our packages. */
export function attributionTable({ total, parts, files }, { topFiles = 15 } = {}) {
  const lines = ['| part | min KB | min+gzip KB (share) | share |', '|---|---:|---:|---:|']
  for (const p of parts) lines.push(`| ${p.name} | ${kb(p.min)} | ${kb(p.gzip)} | ${((100 * p.gzip) / total.gzip).toFixed(0)}% |`)
  lines.push(`| **whole bundle** | **${kb(total.min)}** | **${kb(total.gzip)}** | |`)
  const ours = files.filter((f) => /^(core|browser)\//.test(f.name)).slice(0, topFiles)
  if (ours.length) {
    lines.push('', '| file (core, browser) | min KB | min+gzip KB (share) |', '|---|---:|---:|')
    for (const f of ours) lines.push(`| ${f.name} | ${kb(f.min)} | ${kb(f.gzip)} |`)
  }
  return lines
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2)
  const byDeclaration = args.includes('--declarations')
  const name = args.find((a) => !a.startsWith('--')) ?? 'typical'
  // Imported only when run: bundle-size.mjs imports this module when it runs, and a static
  // import each way would leave one waiting on the other's top-level await.
  const flows = await import('./bundle-size.mjs')
  const FLOWS = { typical: flows.SPA_FLOW, dpop: flows.SPA_FLOW_DPOP, userinfo: flows.SPA_FLOW_USERINFO, popup: flows.SPA_FLOW_POPUP, journeys: flows.SPA_FLOW_JOURNEY, core: flows.CORE_FLOW, floor: flows.FLOOR_FLOW }
  const source = FLOWS[name]
  if (!source) {
    console.error(`unknown flow '${name}'; known: ${Object.keys(FLOWS).join(', ')}`)
    process.exit(2)
  }
  const attribution = await attribute(source)
  console.log(`\nWhere the ${name} flow's bytes come from (esbuild --minify, gzip -9; gzip shares scaled to the whole):\n`)
  console.log(attributionTable(attribution, { topFiles: 40 }).join('\n'))
  if (byDeclaration) {
    console.log('\n| declaration | min KB | min+gzip KB (share) |\n|---|---:|---:|')
    for (const d of attribution.declarations) console.log(`| ${d.name} | ${kb(d.min)} | ${kb(d.gzip)} |`)
  }
  process.exit(0)
}
