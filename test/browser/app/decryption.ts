// A SPA whose ID tokens and userinfo the provider encrypts to a key it keeps in IndexedDB.
import { createBrowserClient, getUserInfo, indexedDbDecryption, AuthError } from '@realmauth/browser'

declare global {
  interface Window {
    sealed: DecryptionApp
  }
}

interface DecryptionApp {
  client: ReturnType<typeof createBrowserClient>
  keys: ReturnType<typeof indexedDbDecryption>
  lastError?: { code: string; message: string }
  userinfo(): ReturnType<typeof getUserInfo>
  /** The stored pair's private key, as the page sees it. */
  privateKey(): Promise<{ extractable: boolean; exported: string }>
}

const config = JSON.parse(document.getElementById('config')!.textContent!) as { issuer: string; clientId: string; origin: string }
const keys = indexedDbDecryption({ issuer: config.issuer, clientId: config.clientId })
const app = { keys, userinfo: () => getUserInfo(app.client.auth) } as DecryptionApp
window.sealed = app
app.client = createBrowserClient({
  issuer: config.issuer,
  clientId: config.clientId,
  redirectUri: `${config.origin}/callback`,
  scope: 'openid profile email',
  refresh: { auto: false },
  decrypt: keys.decrypt,
  // The provider encrypts this client's userinfo: anything less is refused.
  userinfoEncrypted: true,
})
// signInThroughPages starts the sign-in through `window.app.client`, as in the main test app.
;(window as unknown as { app: { client: typeof app.client } }).app = { client: app.client }
app.privateKey = async () => {
  const db = await new Promise<IDBDatabase>((resolve, reject) => {
    const req = indexedDB.open('realmauth')
    req.onsuccess = () => resolve(req.result)
    req.onerror = () => reject(req.error)
  })
  const pair = await new Promise<CryptoKeyPair>((resolve) => {
    const req = db.transaction('keyval').objectStore('keyval').get(`decryption:${config.issuer}:${config.clientId}`)
    req.onsuccess = () => resolve(req.result as CryptoKeyPair)
  })
  const exported = await crypto.subtle.exportKey('jwk', pair.privateKey).then(() => 'exported', (err: Error) => err.name)
  return { extractable: pair.privateKey.extractable, exported }
}

void (async () => {
  await app.client.auth.load()
  if (app.client.isRedirectCallback()) {
    try {
      await app.client.handleRedirectCallback()
    } catch (err) {
      app.lastError = err instanceof AuthError ? { code: err.code, message: err.message } : { code: 'unknown', message: String(err) }
    }
  }
  document.body.dataset.ready = 'true'
})()
