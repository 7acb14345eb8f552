// min+gzip size of a typical SPA flow (sign in, callback, get a token, sign out) built with
// esbuild from the published entry points, the way an app bundles them.
import { build } from 'esbuild'
import { gzipSync } from 'node:zlib'
import { fileURLToPath } from 'node:url'

const here = fileURLToPath(new URL('.', import.meta.url))

export const SPA_FLOW = `
import { createBrowserClient } from '@realmauth/browser'
const auth = createBrowserClient({ issuer: 'https://idp.example.com/oauth2/realms/root/realms/alpha', clientId: 'spa' })
document.getElementById('in').onclick = () => auth.signInRedirect()
document.getElementById('out').onclick = () => auth.signOut()
if (auth.isRedirectCallback()) await auth.handleRedirectCallback()
const res = await auth.authFetch('/api/me')
console.log(await auth.getAccessToken(), auth.getUser(), res.status)
`

export const REACT_FLOW = `
import { createRoot } from 'react-dom/client'
import { jsx } from 'react/jsx-runtime'
import { AuthProvider, useAuth } from '@realmauth/react'
function App() {
  const { isAuthenticated, user, signIn, signOut, getAccessToken } = useAuth()
  return isAuthenticated
    ? jsx('button', { onClick: () => signOut(), children: user.sub, onMouseOver: () => getAccessToken() })
    : jsx('button', { onClick: () => signIn(), children: 'Sign in' })
}
createRoot(document.getElementById('root')).render(
  jsx(AuthProvider, { issuer: 'https://idp.example.com/oauth2/realms/root/realms/alpha', clientId: 'spa', children: jsx(App, {}) }))
`

export const REACT_ALONE = `
import { createRoot } from 'react-dom/client'
import { jsx } from 'react/jsx-runtime'
createRoot(document.getElementById('root')).render(jsx('button', { children: 'Sign in' }))
`

/** Bytes of `source` bundled for browsers, minified, then gzipped at level 9. */
export async function minGzip(source, external = []) {
  const result = await build({
    stdin: { contents: source, resolveDir: here, loader: 'js' },
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    external,
    define: { 'process.env.NODE_ENV': '"production"' },
    logLevel: 'silent',
  })
  const code = result.outputFiles[0].contents
  return { min: code.length, gzip: gzipSync(code, { level: 9 }).length }
}

const kb = (n) => (n / 1024).toFixed(2)

if (import.meta.url === `file://${process.argv[1]}`) {
  const spa = await minGzip(SPA_FLOW)
  const rows = [['@realmauth/browser (SPA flow)', spa, 'at most 9 KB']]
  try {
    const withReact = await minGzip(REACT_FLOW)
    const reactAlone = await minGzip(REACT_ALONE)
    rows.push(['@realmauth/react on top (React itself excluded)', { min: withReact.min - reactAlone.min - spa.min, gzip: withReact.gzip - reactAlone.gzip - spa.gzip }, 'at most 1.5 KB more'])
  } catch (err) {
    rows.push([`@realmauth/react: not measured (${err.message.split('\n')[0]})`, { min: 0, gzip: 0 }, ''])
  }
  console.log('\nBundle size of a typical SPA flow, esbuild --minify, gzip -9\n')
  console.log('| bundle | min | min+gzip | target |')
  console.log('|---|---:|---:|---|')
  for (const [name, size, target] of rows) console.log(`| ${name} | ${kb(size.min)} KB | ${kb(size.gzip)} KB | ${target} |`)
}
