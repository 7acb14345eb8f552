// min+gzip size of a typical SPA flow (sign in, callback, get a token, sign out) built with
// esbuild from the published entry points, the way an app bundles them, next to the same flow
// written against other browser OIDC SDKs and against oauth4webapi + idb-keyval alone (the floor).
// Writes the table to stdout and its section for bench/results.md (run.mjs assembles it).
import { build } from 'esbuild'
import { gzipSync } from 'node:zlib'
import { here, installedVersion, machineLine, writeSection } from './common.mjs'

export { installedVersion }

export const SPA_FLOW = `
import { createBrowserClient } from '@realmauth/browser'
const auth = createBrowserClient({ issuer: 'https://idp.example.com/oauth2/realms/root/realms/alpha', clientId: 'spa' })
document.getElementById('in').onclick = () => auth.signIn()
document.getElementById('out').onclick = () => auth.signOut()
if (auth.isRedirectCallback()) await auth.handleRedirectCallback()
const res = await auth.authFetch('/api/me')
console.log(await auth.getAccessToken(), auth.getUser(), res.status)
`

/** SPA_FLOW with one more import: `names` added to the import, `option` to the client's options, `use` appended. */
const spaWith = (names, option = '', use = '') =>
  SPA_FLOW.replace("import { createBrowserClient } from '@realmauth/browser'", `import { createBrowserClient, ${names} } from '@realmauth/browser'`)
    .replace("clientId: 'spa' }", `clientId: 'spa'${option ? `, ${option}` : ''} }`) + use

/** The same flow with DPoP-bound tokens: the key in IndexedDB, proofs on every request. */
export const SPA_FLOW_DPOP = spaWith('indexedDbDPoP', 'dpop: indexedDbDPoP')
/** The same flow with the user's profile from userinfo (AM's default ID tokens carry none). */
export const SPA_FLOW_USERINFO = spaWith('userinfoProfile', 'profile: userinfoProfile')
/** The same flow with a popup sign-in button. */
export const SPA_FLOW_POPUP = spaWith('signInPopup', '', "document.getElementById('popup').onclick = () => signInPopup(auth)\n")
/** The same flow with an AM journey on the app's own page, then the session turned into tokens. */
export const SPA_FLOW_JOURNEY = spaWith('createJourneyClient, signInWithSession', '', `
const journeys = createJourneyClient(auth)
let step = await journeys.start('Login')
while (step.type === 'step') { for (const cb of step.callbacks) if ('setValue' in cb) cb.setValue(prompt(cb.kind)); step = await journeys.next(step) }
if (step.type === 'success') await signInWithSession(auth, step)
`)
/** What React's AuthProvider and useAuth use of the browser client: the userinfo profile and the popup. */
export const SPA_FLOW_REACT_BASE = spaWith('userinfoProfile, signInPopup', 'profile: userinfoProfile', "document.getElementById('popup').onclick = () => signInPopup(auth)\n")

/** The same flow on @realmauth/core alone: memory stores, no IndexedDB, no tabs. */
export const CORE_FLOW = `
import { AuthClient } from '@realmauth/core'
const auth = new AuthClient({ issuer: 'https://idp.example.com/oauth2/realms/root/realms/alpha', clientId: 'spa', redirectUri: location.origin + '/callback' })
document.getElementById('in').onclick = async () => location.assign(await auth.signInUrl())
document.getElementById('out').onclick = async () => { const { endSessionUrl } = await auth.signOut(); if (endSessionUrl) location.assign(endSessionUrl) }
if (location.search.includes('code=')) await auth.handleCallback(location.href)
const res = await auth.authFetch('/api/me')
console.log(await auth.getAccessToken(), auth.getSnapshot().user, res.status)
`

/** A Node service: client-credentials tokens for outgoing calls, JWT access tokens verified on incoming ones. */
export const NODE_FLOW = `
import { createNodeClient, createAccessTokenVerifier } from '@realmauth/node'
const issuer = 'https://idp.example.com/oauth2/realms/root/realms/alpha'
const client = await createNodeClient({ issuer, clientId: 'orders', auth: { method: 'client_secret_basic', clientSecret: process.env.SECRET } })
const verifier = createAccessTokenVerifier({ issuer, audience: 'orders' })
export async function handle(req) {
  const claims = await verifier.verify(req.headers.authorization)
  const res = await client.fetch('https://stock.example.com/items')
  return { sub: claims.sub, status: res.status }
}
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

/** Bytes of `source` bundled for browsers (or Node), minified, then gzipped at level 9. */
export async function minGzip(source, external = [], platform = 'browser') {
  const result = await build({
    stdin: { contents: source, resolveDir: here, loader: 'js' },
    bundle: true,
    minify: true,
    format: 'esm',
    platform,
    target: 'es2022',
    write: false,
    external,
    // Without this, esbuild picks up the root tsconfig.json, whose `paths` map @realmauth/* to
    // packages/*/src: the published entry points (dist, through package.json exports) are measured.
    tsconfigRaw: {},
    define: { 'process.env.NODE_ENV': '"production"' },
    logLevel: 'silent',
  })
  const code = result.outputFiles[0].contents
  return { min: code.length, gzip: gzipSync(code, { level: 9 }).length, text: result.outputFiles[0].text }
}

const ISSUER = 'https://idp.example.com/oauth2/realms/root/realms/alpha'

// Every flow below does what SPA_FLOW does: redirect sign-in (authorization code + PKCE),
// callback handling, get an access token, call an API with it, show the user, sign out.

export const OIDC_CLIENT_TS_FLOW = `
import { UserManager } from 'oidc-client-ts'
const mgr = new UserManager({ authority: '${ISSUER}', client_id: 'spa', redirect_uri: location.origin + '/callback', post_logout_redirect_uri: location.origin, scope: 'openid profile' })
document.getElementById('in').onclick = () => mgr.signinRedirect()
document.getElementById('out').onclick = () => mgr.signoutRedirect()
if (new URLSearchParams(location.search).has('code')) await mgr.signinCallback()
const user = await mgr.getUser()
const res = await fetch('/api/me', { headers: { Authorization: 'Bearer ' + user?.access_token } })
console.log(user?.access_token, user?.profile, res.status)
`

export const REACT_OIDC_CONTEXT_FLOW = `
import { createRoot } from 'react-dom/client'
import { jsx } from 'react/jsx-runtime'
import { AuthProvider, useAuth } from 'react-oidc-context'
function App() {
  const auth = useAuth()
  return auth.isAuthenticated
    ? jsx('button', { onClick: () => auth.signoutRedirect(), children: auth.user.profile.sub, onMouseOver: () => auth.user.access_token })
    : jsx('button', { onClick: () => auth.signinRedirect(), children: 'Sign in' })
}
createRoot(document.getElementById('root')).render(
  jsx(AuthProvider, { authority: '${ISSUER}', client_id: 'spa', redirect_uri: location.origin + '/callback', children: jsx(App, {}) }))
`

export const AUTH0_FLOW = `
import { createAuth0Client } from '@auth0/auth0-spa-js'
const auth0 = await createAuth0Client({ domain: 'idp.example.com', clientId: 'spa', authorizationParams: { redirect_uri: location.origin + '/callback' } })
document.getElementById('in').onclick = () => auth0.loginWithRedirect()
document.getElementById('out').onclick = () => auth0.logout({ logoutParams: { returnTo: location.origin } })
if (location.search.includes('code=') && location.search.includes('state=')) await auth0.handleRedirectCallback()
const token = await auth0.getTokenSilently()
const res = await fetch('/api/me', { headers: { Authorization: 'Bearer ' + token } })
console.log(token, await auth0.getUser(), res.status)
`

export const MSAL_FLOW = `
import { PublicClientApplication } from '@azure/msal-browser'
const msal = new PublicClientApplication({ auth: { clientId: 'spa', authority: '${ISSUER}', knownAuthorities: ['idp.example.com'], redirectUri: location.origin + '/callback' } })
await msal.initialize()
const result = await msal.handleRedirectPromise()
document.getElementById('in').onclick = () => msal.loginRedirect({ scopes: ['openid', 'profile'] })
document.getElementById('out').onclick = () => msal.logoutRedirect()
const account = result?.account ?? msal.getAllAccounts()[0]
const { accessToken } = await msal.acquireTokenSilent({ scopes: ['openid', 'profile'], account })
const res = await fetch('/api/me', { headers: { Authorization: 'Bearer ' + accessToken } })
console.log(accessToken, account?.idTokenClaims, res.status)
`

export const OKTA_FLOW = `
import { OktaAuth } from '@okta/okta-auth-js'
const okta = new OktaAuth({ issuer: '${ISSUER}', clientId: 'spa', redirectUri: location.origin + '/callback', pkce: true })
document.getElementById('in').onclick = () => okta.signInWithRedirect()
document.getElementById('out').onclick = () => okta.signOut()
if (okta.isLoginRedirect()) await okta.handleLoginRedirect()
const token = okta.getAccessToken()
const res = await fetch('/api/me', { headers: { Authorization: 'Bearer ' + token } })
console.log(token, okta.tokenManager.getTokensSync().idToken?.claims, res.status)
`

// @forgerock/javascript-sdk 4.x: Config, TokenManager and FRUser are named exports of the main entry.
export const FORGEROCK_FLOW = `
import { Config, TokenManager, FRUser } from '@forgerock/javascript-sdk'
Config.set({ clientId: 'spa', redirectUri: location.origin + '/callback', scope: 'openid profile', realmPath: 'alpha', serverConfig: { baseUrl: 'https://idp.example.com/am/', timeout: 5000 } })
document.getElementById('in').onclick = () => TokenManager.getTokens({ login: 'redirect', forceRenew: true })
document.getElementById('out').onclick = () => FRUser.logout()
const q = new URLSearchParams(location.search)
if (q.has('code') && q.has('state')) await TokenManager.getTokens({ query: { code: q.get('code'), state: q.get('state') } })
const tokens = await TokenManager.getTokens()
const res = await fetch('/api/me', { headers: { Authorization: 'Bearer ' + tokens?.accessToken } })
console.log(tokens?.accessToken, tokens?.idToken, res.status)
`

// The floor: the same protocol steps written directly on oauth4webapi + idb-keyval, with none of
// an SDK's conveniences (no events, no timers, no multi-tab, minimal error handling):
// discovery, PKCE, auth response validation, code grant + processing + ID token signature
// validation, refresh, revocation, and IndexedDB get/set/del for the transaction and tokens.
export const FLOOR_FLOW = `
import * as oauth from 'oauth4webapi'
import { createStore, get, set, del } from 'idb-keyval'
const issuer = new URL('${ISSUER}')
const client = { client_id: 'spa' }
const clientAuth = oauth.None()
const redirectUri = location.origin + '/callback'
const db = createStore('auth', 'kv')
const as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer))
const jwks = {}
async function tokens(response, process) {
  const body = await process(response)
  if (body.id_token) await oauth.validateApplicationLevelSignature(as, response, { [oauth.jwksCache]: jwks })
  const ts = { ...body, claims: oauth.getValidatedIdTokenClaims(body), expiresAt: Date.now() + (body.expires_in ?? 0) * 1000 }
  await set('tokens', ts, db)
  return ts
}
async function signIn() {
  const codeVerifier = oauth.generateRandomCodeVerifier()
  const state = oauth.generateRandomState()
  const nonce = oauth.generateRandomNonce()
  await set('tx', { codeVerifier, state, nonce }, db)
  const url = new URL(as.authorization_endpoint)
  url.search = new URLSearchParams({ client_id: client.client_id, redirect_uri: redirectUri, response_type: 'code', scope: 'openid profile',
    state, nonce, code_challenge: await oauth.calculatePKCECodeChallenge(codeVerifier), code_challenge_method: 'S256' })
  location.assign(url)
}
async function handleCallback() {
  const tx = await get('tx', db)
  await del('tx', db)
  const params = oauth.validateAuthResponse(as, client, new URL(location.href), tx.state)
  const response = await oauth.authorizationCodeGrantRequest(as, client, clientAuth, params, redirectUri, tx.codeVerifier)
  history.replaceState(null, '', redirectUri)
  return tokens(response, (r) => oauth.processAuthorizationCodeResponse(as, client, r, { expectedNonce: tx.nonce, requireIdToken: true }))
}
async function getAccessToken() {
  let ts = await get('tokens', db)
  if (ts && ts.expiresAt < Date.now() + 30000 && ts.refresh_token) {
    const response = await oauth.refreshTokenGrantRequest(as, client, clientAuth, ts.refresh_token)
    ts = await tokens(response, (r) => oauth.processRefreshTokenResponse(as, client, r))
  }
  return ts?.access_token
}
async function signOut() {
  const ts = await get('tokens', db)
  await del('tokens', db)
  if (ts?.refresh_token) await oauth.processRevocationResponse(await oauth.revocationRequest(as, client, clientAuth, ts.refresh_token))
  const url = new URL(as.end_session_endpoint)
  url.search = new URLSearchParams({ client_id: client.client_id, post_logout_redirect_uri: location.origin, ...(ts?.id_token && { id_token_hint: ts.id_token }) })
  location.assign(url)
}
document.getElementById('in').onclick = () => signIn()
document.getElementById('out').onclick = () => signOut()
if (new URLSearchParams(location.search).has('code')) await handleCallback()
const token = await getAccessToken()
const res = await fetch('/api/me', { headers: { Authorization: 'Bearer ' + token } })
console.log(token, (await get('tokens', db))?.claims, res.status)
`

const kb = (n) => (n / 1024).toFixed(2)
const BUILD_TIMEOUT_MS = 20_000
/** minGzip, bounded in time; a failure comes back as `{ error }` with esbuild's first message. */
async function measure(source, platform = 'browser') {
  let timer
  try {
    return await Promise.race([
      minGzip(source, [], platform),
      new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`build took over ${BUILD_TIMEOUT_MS / 1000} s`)), BUILD_TIMEOUT_MS) }),
    ])
  } catch (err) {
    const first = err.errors?.[0]
    const why = first ? `${first.text}${first.notes?.[0] ? ` (${first.notes[0].text})` : ''}` : String(err.message).split('\n')[0]
    return { error: why.replace(/\|/g, '/').replace(/\s+/g, ' ').slice(0, 200) }
  } finally {
    clearTimeout(timer)
  }
}

/**
 * Rows of the table. `packages` are the packages whose versions the row names. A row that
 * `extends` another shows what it adds to that row's app (the same app with one import more);
 * one with a `base` is a React adapter, shown as app - React alone - base. `budget` is the
 * entry's size budget in KB min+gzip: today's size with a little headroom, so a regression
 * shows as `over` (decision 0070); `target` is issue 17's goal where it set one, reported
 * met or missed on its own. `hidden` rows are measured only as a base.
 * `marker` is a string only that feature's code contains: absent from the typical flow's
 * bundle, present in the row's, it shows the feature costs nothing unless imported.
 * `ratioTo` names the row its ratio is taken against (default @realmauth/browser).
 */
const SDKS = [
  { id: 'realmauth', name: '@realmauth/browser, typical flow', packages: ['@realmauth/browser'], source: SPA_FLOW, budget: 15.8, target: 11.5 },
  { id: 'realmauth-dpop', name: '+ DPoP (`dpop: indexedDbDPoP`)', packages: ['@realmauth/browser'], source: SPA_FLOW_DPOP, extends: 'realmauth', budget: 1.25, marker: 'dpop+jwt' },
  { id: 'realmauth-userinfo', name: '+ profile from userinfo (`profile: userinfoProfile`)', packages: ['@realmauth/browser'], source: SPA_FLOW_USERINFO, extends: 'realmauth', budget: 0.9, marker: 'without iss or aud' },
  { id: 'realmauth-popup', name: '+ popup sign-in (`signInPopup`)', packages: ['@realmauth/browser'], source: SPA_FLOW_POPUP, extends: 'realmauth', budget: 0.5, marker: 'realmauth-sign-in' },
  { id: 'realmauth-journeys', name: '+ journeys (`createJourneyClient`, `signInWithSession`)', packages: ['@realmauth/browser'], source: SPA_FLOW_JOURNEY, extends: 'realmauth', budget: 1.7, marker: 'protocol=1.0,resource=2.1' },
  { id: 'realmauth-react-base', name: 'what AuthProvider uses', packages: ['@realmauth/browser'], source: SPA_FLOW_REACT_BASE, hidden: true },
  { id: 'realmauth-react', name: '@realmauth/react on top of the browser client with profile and popup (React excluded)', packages: ['@realmauth/react'], source: REACT_FLOW, base: 'realmauth-react-base', ratioTo: 'realmauth-react', budget: 0.65, target: 1 },
  { id: 'realmauth-core', name: '@realmauth/core alone (AuthClient, memory stores)', packages: ['@realmauth/core'], source: CORE_FLOW, budget: 14.4 },
  { id: 'realmauth-node', name: '@realmauth/node service (client credentials + JWT verification; platform node)', packages: ['@realmauth/node'], source: NODE_FLOW, platform: 'node', ratioTo: 'none', budget: 33.6 },
  { id: 'oidc-client-ts', name: 'oidc-client-ts', packages: ['oidc-client-ts'], source: OIDC_CLIENT_TS_FLOW },
  { id: 'react-oidc-context', name: 'react-oidc-context on top of oidc-client-ts (React excluded)', packages: ['react-oidc-context'], source: REACT_OIDC_CONTEXT_FLOW, base: 'oidc-client-ts', ratioTo: 'realmauth-react' },
  { id: 'auth0', name: '@auth0/auth0-spa-js', packages: ['@auth0/auth0-spa-js'], source: AUTH0_FLOW },
  { id: 'msal', name: '@azure/msal-browser', packages: ['@azure/msal-browser'], source: MSAL_FLOW },
  { id: 'okta', name: '@okta/okta-auth-js', packages: ['@okta/okta-auth-js'], source: OKTA_FLOW },
  { id: 'forgerock', name: '@forgerock/javascript-sdk (no ID-token signature check)', packages: ['@forgerock/javascript-sdk'], source: FORGEROCK_FLOW },
  { id: 'floor', name: 'floor: oauth4webapi + idb-keyval by hand', packages: ['oauth4webapi', 'idb-keyval'], source: FLOOR_FLOW },
]

/** Measures every row; never throws for one SDK's failure. */
export async function measureAll() {
  const results = new Map()
  let reactAlone
  for (const sdk of SDKS) {
    const missing = sdk.packages.filter((p) => installedVersion(p) === undefined)
    const version = missing.length ? '-' : sdk.packages.map((p) => (sdk.packages.length > 1 ? `${p} ${installedVersion(p)}` : installedVersion(p))).join(' + ')
    // `whole`: the app as built; `size`: what the row shows.
    let whole
    let size
    if (missing.length) {
      size = whole = { error: `not installed in the bench workspace (${missing.join(', ')})` }
    } else {
      whole = await measure(sdk.source, sdk.platform)
      const under = sdk.extends ?? sdk.base
      const base = under && results.get(under).whole
      if (sdk.base) reactAlone ??= await measure(REACT_ALONE)
      size = whole.error ? whole
        : base?.error ? { error: `${under} not measured` }
        : sdk.base && reactAlone.error ? { error: `React alone: ${reactAlone.error}` }
        : !base ? whole
        : { min: whole.min - base.min - (sdk.base ? reactAlone.min : 0), gzip: whole.gzip - base.gzip - (sdk.base ? reactAlone.gzip : 0) }
    }
    results.set(sdk.id, { ...sdk, version, whole, size })
  }
  return results
}

/** The table (with each entry's budget and target) and the issue's targets, as markdown lines. */
export function report(results) {
  const lines = ['| SDK | version | min KB | min+gzip KB | budget KB | | target KB | | ratio to @realmauth/browser |', '|---|---|---:|---:|---:|---|---:|---|---:|']
  const verdict = (ok) => (ok === undefined ? 'not measured' : ok ? 'met' : 'missed')
  /** `limit` (KB) and whether the row's size is within it, as two cells; empty without a limit. */
  const against = (r, limit, words) =>
    limit === undefined ? '| ' : `${limit.toFixed(2)} | ${r.size.error ? 'not measured' : r.size.gzip <= limit * 1024 ? words[0] : words[1]}`
  for (const r of results.values()) {
    if (r.hidden) continue
    const limits = `${against(r, r.budget, ['within', 'over'])} | ${against(r, r.target, ['met', 'missed'])}`
    if (r.size.error) {
      lines.push(`| ${r.name} | ${r.version} | not measured: ${r.size.error} | | ${limits} | |`)
      continue
    }
    const base = r.ratioTo === 'none' ? undefined : results.get(r.ratioTo ?? 'realmauth').size
    const ratio = !base || base.error || base.gzip <= 0 ? '-' : `${(r.size.gzip / base.gzip).toFixed(2)}x${r.ratioTo && r.ratioTo !== 'realmauth' ? ' (vs @realmauth/react on top)' : ''}`
    lines.push(`| ${r.name} | ${r.version} | ${kb(r.size.min)} | ${kb(r.size.gzip)} | ${limits} | ${ratio} |`)
  }
  const size = (id) => results.get(id).size
  const ours = size('realmauth')
  const oidc = size('oidc-client-ts')
  const react = size('realmauth-react')
  const floor = size('floor')
  const anchor = (id, label) => `${label} ${size(id).error ? '-' : kb(size(id).gzip)}`
  const anchors = [anchor('floor', 'floor'), anchor('forgerock', 'ForgeRock SDK'), anchor('oidc-client-ts', 'oidc-client-ts'), anchor('auth0', 'auth0-spa-js')].join(', ')
  const extras = ['realmauth-dpop', 'realmauth-userinfo', 'realmauth-popup', 'realmauth-journeys']
  const targets = [
    ['typical SPA flow at most 11.5 KB min+gzip (issue 17)', ours.error ? '-' : `${kb(ours.gzip)} KB (${anchors})`, verdict(ours.error ? undefined : ours.gzip <= 11.5 * 1024)],
    ['DPoP, userinfo, popup and journeys cost only when imported (their code absent from the typical flow\'s bundle)',
      extras.map((id) => `${id.slice(10)} +${size(id).error ? '?' : kb(size(id).gzip)}`).join(', '),
      verdict(extras.some((id) => size(id).error) || ours.error ? undefined
        : extras.every((id) => { const r = results.get(id); return !results.get('realmauth').whole.text.includes(r.marker) && r.whole.text.includes(r.marker) }))],
    ['@realmauth/react at most 1 KB on top', react.error ? '-' : `${kb(react.gzip)} KB`, verdict(react.error ? undefined : react.gzip <= 1024)],
    ['lighter than oidc-client-ts, which validates as much', ours.error || oidc.error ? '-' : `${(ours.gzip / oidc.gzip).toFixed(2)}x`, verdict(ours.error || oidc.error ? undefined : ours.gzip < oidc.gzip)],
  ]
  lines.push('', '| target | measured (min+gzip) | |', '|---|---|---|')
  for (const [t, m, v] of targets) lines.push(`| ${t} | ${m} | ${v} |`)
  return lines
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const started = performance.now()
  const results = await measureAll()
  const about = machineLine()
  const title = 'Typical SPA flow (redirect sign-in with PKCE, callback, access token, API call, sign out); esbuild --minify, platform browser, format esm, NODE_ENV=production; gzip -9. KB = 1024 bytes.'
  const table = report(results)
  // Imported when run, not at the top: run as the entry, bundle-attribution.mjs imports this module.
  const { attribute, attributionTable } = await import('./bundle-attribution.mjs')
  const where = ["Where the typical flow's bytes come from (`node bench/bundle-attribution.mjs`; gzip shares scaled to the whole):", '', ...attributionTable(await attribute(SPA_FLOW), { topFiles: 8 })]
  console.log(`\n${title}\n${about}\n`)
  console.log([...table, '', ...where].join('\n'))
  writeSection('50-bundle-size', ['## Bundle size', '', title, '', about, '', ...table, '', ...where])
  console.log(`\n(${((performance.now() - started) / 1000).toFixed(1)} s)`)
  // A build that timed out may leave esbuild's service busy; don't wait for it.
  process.exit(0)
}
