/// <reference types="vite/client" />
import { createBrowserClient } from '@realmauth/browser'
import { render as show } from './view.js'

const issuer = import.meta.env.VITE_ISSUER ?? 'http://localhost:9000/oauth2/realms/root/realms/alpha'
const auth = createBrowserClient({ issuer, clientId: 'demo-spa', scope: 'openid profile email' })
const $ = (id: string) => document.getElementById(id)!
let refreshes = 0

auth.auth.on((event) => {
  if (event.type === 'refresh_success') $('refreshes').textContent = String(++refreshes)
})

let callbackError: unknown
const render = () => show(document, auth.getSnapshot(), callbackError)
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
    callbackError = err
  }
  history.replaceState(null, '', '/')
}
render()
