/// <reference types="vite/client" />
import { createBrowserClient, AuthError } from '@realmauth/browser'

const issuer = import.meta.env.VITE_ISSUER ?? 'http://localhost:9000/oauth2/realms/root/realms/alpha'
const auth = createBrowserClient({ issuer, clientId: 'demo-spa', scope: 'openid profile email' })
const $ = (id: string) => document.getElementById(id)!
let refreshes = 0

auth.auth.on((event) => {
  if (event.type === 'refresh_success') $('refreshes').textContent = String(++refreshes)
})

function render() {
  const { status, user, tokens, error } = auth.getSnapshot()
  $('status').textContent = error ? `${status} (${error.code}: ${error.message})` : status
  $('signed-in').hidden = status !== 'signed_in'
  $('signed-out').hidden = status === 'signed_in' || status === 'loading'
  $('claims').textContent = user ? JSON.stringify(user, null, 2) : ''
  $('life').textContent = tokens?.expiresAt ? String(Math.max(0, Math.round((tokens.expiresAt - Date.now()) / 1000))) : '?'
}
auth.subscribe(render)
setInterval(render, 1000)

$('sign-in').onclick = () => void auth.signIn()
$('sign-out').onclick = () => void auth.signOut()
$('call-api').onclick = async () => {
  const res = await auth.authFetch('/api/hello')
  $('api').textContent = `${res.status} ${JSON.stringify(await res.json(), null, 2)}`
}

if (auth.isRedirectCallback()) {
  try {
    await auth.handleRedirectCallback()
  } catch (err) {
    $('status').textContent = err instanceof AuthError ? `Sign-in failed: ${err.code}` : String(err)
  }
  history.replaceState(null, '', '/')
}
render()
