// Refresh under contention: 1000 callers ask for a token at the same moment, just after the
// access token expired. How many requests reach the token endpoint, how many callers get a
// token, and is the session still alive afterwards? realmauth's AuthClient beside
// oidc-client-ts's UserManager, both against the realmauth provider in process, whose realm
// rotates refresh tokens with reuse detection for this public client (its default, RFC 9700).
import { AuthClient, MemoryTokenStore } from '@realmauth/core'
import { createProvider } from '@realmauth/server'
import { InMemoryWebStorage, User, UserManager, WebStorageStateStore } from 'oidc-client-ts'
import { machineLine, named, print, verdict, writeSection } from './common.mjs'

const CALLERS = 1000
const origin = 'https://idp.bench.test'
const clientId = 'spa'
const redirectUri = 'https://app.bench.test/callback'

/** A fresh provider per SDK, so one SDK's revoked grant cannot affect the other's run. */
async function setUp() {
  const provider = createProvider({
    realms: [
      {
        name: 'bench',
        clients: [
          {
            client_id: clientId,
            token_endpoint_auth_method: 'none',
            redirect_uris: [redirectUri],
            // password only to sign the user in without a browser; the calls measured refresh.
            grant_types: ['password', 'refresh_token'],
            scope: 'openid profile',
          },
        ],
        users: [{ username: 'bench', password: 'bench-password', name: 'Bench User' }],
      },
    ],
  })
  await provider.ready
  const issuer = provider.issuer('bench', origin)
  const metadata = await (await provider.fetch(new Request(`${issuer}/.well-known/openid-configuration`))).json()
  let tokenRequests = 0
  const fetch = async (input, init) => {
    const request = new Request(input, init)
    if (request.method === 'POST' && request.url === metadata.token_endpoint) tokenRequests++
    return provider.fetch(request)
  }
  const res = await provider.fetch(new Request(metadata.token_endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'password', client_id: clientId, username: 'bench', password: 'bench-password', scope: 'openid profile' }),
  }))
  const signedIn = await res.json()
  if (!signedIn.refresh_token) throw new Error(`sign-in failed: ${JSON.stringify(signedIn)}`)
  const claims = JSON.parse(Buffer.from(signedIn.id_token.split('.')[1], 'base64url'))
  return { issuer, metadata, fetch, signedIn, claims, requests: () => tokenRequests }
}

async function callers(fn, count = CALLERS) {
  const results = await Promise.allSettled(Array.from({ length: count }, fn))
  const failed = results.filter((r) => r.status === 'rejected')
  const errors = [...new Set(failed.map((r) => r.reason?.code ?? r.reason?.error ?? r.reason?.message))]
  return { ok: results.length - failed.length, errors }
}

async function realmauth() {
  const { issuer, metadata, fetch, signedIn, claims, requests } = await setUp()
  const now = Date.now()
  const tokenStore = new MemoryTokenStore()
  // Signed in an hour ago; the access token expired a second ago.
  await tokenStore.set({
    accessToken: signedIn.access_token, tokenType: 'bearer', refreshToken: signedIn.refresh_token, idToken: signedIn.id_token,
    claims, scope: signedIn.scope, receivedAt: now - 3_600_000, expiresAt: now - 1000,
  })
  const client = new AuthClient({ issuer, clientId, redirectUri, metadata, fetch, tokenStore, refresh: { auto: false } })
  const result = await callers(() => client.getAccessToken())
  const sent = requests()
  const after = await client.getAccessToken({ forceRefresh: true }).then(() => 'alive (a further refresh succeeds)', (e) => `ended (${e.code})`)
  client.dispose()
  return { sdk: named('@realmauth/core'), call: '`AuthClient.getAccessToken()`', count: CALLERS, sent, ...result, after, ours: true }
}

async function oidcClientTs(count = CALLERS) {
  const { issuer, metadata, fetch, signedIn, claims, requests } = await setUp()
  const manager = new UserManager({
    authority: issuer, client_id: clientId, redirect_uri: redirectUri, scope: 'openid profile', metadata,
    userStore: new WebStorageStateStore({ store: new InMemoryWebStorage() }),
    automaticSilentRenew: false, monitorSession: false,
  })
  await manager.storeUser(new User({
    access_token: signedIn.access_token, token_type: 'Bearer', refresh_token: signedIn.refresh_token, id_token: signedIn.id_token,
    scope: signedIn.scope, profile: claims, expires_at: Math.floor(Date.now() / 1000) - 1,
  }))
  // oidc-client-ts has no fetch option: its requests go through the global fetch, swapped
  // for the in-process provider for this run only.
  const globalFetch = globalThis.fetch
  globalThis.fetch = fetch
  try {
    // It has no "give me a valid token" call: an app reads getUser(), and when the user is
    // expired renews with signinSilent(), which uses the refresh token when there is one
    // (what automaticSilentRenew calls as well).
    const result = await callers(async () => {
      const user = await manager.getUser()
      return user?.expired ? (await manager.signinSilent()).access_token : user?.access_token
    }, count)
    const sent = requests()
    const after = await manager.signinSilent().then(() => 'alive (a further refresh succeeds)', (e) => `ended (${e.error ?? e.message})`)
    return { sdk: named('oidc-client-ts'), call: '`getUser()`, then `signinSilent()` when `user.expired`', count, sent, ...result, after }
  } finally {
    globalThis.fetch = globalFetch
    // Unloads the user, and with it the expiry timers a successful renewal starts.
    await manager.removeUser()
  }
}

// The last row is the control: the same oidc-client-ts set-up with a single caller, to show
// that its refresh works here when nothing races it.
const rows = [await realmauth(), await oidcClientTs(), await oidcClientTs(1)]
const ours = rows[0]
const lines = [
  '## Refresh under contention',
  '',
  `${CALLERS} concurrent token requests from one signed-in client whose access token expired a second before; the realmauth provider in process, public client, refresh-token rotation with reuse detection (the provider's default for public clients). ${machineLine()}.`,
  '',
  '| SDK | what each caller calls | callers | token-endpoint requests | callers that got a token | errors seen | session afterwards |',
  '|---|---|---:|---:|---:|---|---|',
  ...rows.map((r) => `| ${r.ours ? `**${r.sdk}**` : r.sdk} | ${r.call} | ${r.count}${r.count === 1 ? ' (control)' : ''} | ${r.sent} | ${r.ok} | ${r.errors.join(', ') || '-'} | ${r.after} |`),
  '',
  '| target | measured | |',
  '|---|---|---|',
  `| realmauth: one token-endpoint request however many callers ask | ${ours.sent} | ${verdict(ours.sent === 1 && ours.ok === CALLERS)} |`,
]
print(lines)
writeSection('40-refresh-contention', lines)
