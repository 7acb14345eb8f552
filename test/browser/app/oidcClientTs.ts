// The page test/browser/interop-oidc-client-ts.test.ts drives: oidc-client-ts 3, unchanged,
// configured as its README and docs tell SPA developers to, against the reference provider on
// another loopback origin. The package is not a dependency of any published workspace: it is a
// devDependency of `bench`, which npm hoists to the root node_modules, where esbuild finds it
// from this folder.
//
// Every path is `/<client_id>/<route>`: the first segment names the client the page's
// UserManager is for (its callbacks must be handled by a manager with the same client_id), the
// second what the page does on load (callback, silent, popup, signed-out, or nothing). Clients
// named `spa-dpop…` turn on the library's DPoP (its key in IndexedDB, the code bound with
// dpop_jkt); `spa-dpop` alone leaves userinfo off, the workaround its issue #2182 gives.
import { IndexedDbDPoPStore, UserManager, type User } from 'oidc-client-ts'

const config = JSON.parse(document.getElementById('config')!.textContent!) as { authority: string }
const [clientId = 'spa', route = ''] = location.pathname.split('/').slice(1)
const base = `${location.origin}/${clientId}`
const dpop = clientId.startsWith('spa-dpop')

// The library's defaults otherwise: user and state in sessionStorage, automaticSilentRenew on
// (refresh token when there is one, else the iframe), renewal 60 seconds before expiry.
const manager = new UserManager({
  authority: config.authority,
  client_id: clientId,
  redirect_uri: `${base}/callback`,
  silent_redirect_uri: `${base}/silent`,
  popup_redirect_uri: `${base}/popup`,
  post_logout_redirect_uri: `${base}/signed-out`,
  response_type: 'code',
  scope: 'openid profile email',
  // AM (and the provider, decision 0054) puts only protocol claims in the ID token: name and
  // email come from userinfo, which oidc-client-ts reads only when asked.
  loadUserInfo: clientId !== 'spa-dpop',
  ...(dpop && { dpop: { store: new IndexedDbDPoPStore(), bind_authorization_code: true } }),
})

/** What the library emitted, in order, for the test to read. */
const events: string[] = []
manager.events.addUserLoaded(() => void events.push('userLoaded'))
manager.events.addAccessTokenExpiring(() => void events.push('accessTokenExpiring'))
manager.events.addSilentRenewError((e) => void events.push(`silentRenewError:${e.message}`))
manager.events.addUserSignedOut(() => void events.push('userSignedOut'))

/** The parts of a User the test checks. */
function summary(user: User | null) {
  if (!user) return null
  return {
    profile: user.profile,
    expires_in: user.expires_in,
    access_token: user.access_token,
    refresh_token: user.refresh_token,
    id_token: user.id_token,
    scope: user.scope,
    token_type: user.token_type,
    session_state: user.session_state,
  }
}

/** What a call returned, or the error it threw (with an OAuth `error` when there is one), as data. */
async function settle<T>(run: () => Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: string; message: string }> {
  try {
    return { ok: true, value: await run() }
  } catch (e) {
    const error = (e as { error?: string }).error
    return { ok: false, error: error ?? 'thrown', message: e instanceof Error ? e.message : String(e) }
  }
}

/** The outcome of the route this page was loaded for (a redirect callback), if any. */
let landed: unknown
if (route === 'callback') {
  landed = await settle(async () => summary(await manager.signinRedirectCallback()))
  history.replaceState(null, '', `${base}/`)
} else if (route === 'signed-out') {
  landed = await settle(async () => ({ state: (await manager.signoutRedirectCallback()).userState ?? null }))
} else if (route === 'silent') {
  // In the library's hidden iframe: hands the URL to the opener's frame and stops.
  await manager.signinSilentCallback()
} else if (route === 'popup') {
  await manager.signinPopupCallback()
}

const ots = {
  landed: () => landed,
  events: () => events,
  metadata: () => settle(() => manager.metadataService.getMetadata()),
  signinRedirect: () => void manager.signinRedirect(),
  user: async () => summary(await manager.getUser()),
  signinSilent: () => settle(async () => summary(await manager.signinSilent())),
  signinPopup: () => settle(async () => summary(await manager.signinPopup())),
  querySessionStatus: () => settle(() => manager.querySessionStatus()),
  revokeTokens: () => settle(() => manager.revokeTokens()),
  signoutRedirect: () => void manager.signoutRedirect({ state: 'bye' }),
  /** Userinfo with the stored access token, as the app calls an API: a DPoP proof when the token is DPoP-bound. */
  userinfo: async () => {
    const user = (await manager.getUser())!
    const url = (await manager.metadataService.getUserInfoEndpoint())
    const headers: Record<string, string> = { authorization: `${user.token_type} ${user.access_token}` }
    if (dpop) headers.dpop = (await manager.dpopProof(url, user, 'GET'))!
    const res = await fetch(url, { headers })
    return { status: res.status, body: (await res.json()) as Record<string, unknown> }
  },
  stored: () => Object.keys(sessionStorage).filter((k) => k.startsWith('oidc.user:')),
}

declare global {
  interface Window {
    ots: typeof ots
  }
}
window.ots = ots
document.body.dataset.ready = 'true'
