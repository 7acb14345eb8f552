/**
 * Encrypted ID tokens and userinfo in Chromium (issue 16): the SPA's decryption key is a
 * non-extractable ECDH key in IndexedDB, its public half registered as the client's `jwks`;
 * the provider encrypts to it over real HTTP, and the page decrypts with WebCrypto.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { chromium, type Browser, type Page } from 'playwright-core'
import { createProvider, type ClientConfig } from '@realmauth/server'
import { listen, type RunningProvider } from '@realmauth/server/node'
import { CHROMIUM, CHROMIUM_ARGS, freePort, serveTestPage, signInThroughPages, type TestPageServer } from './e2eHarness.js'

describe('encrypted ID tokens and userinfo in Chromium', () => {
  let browser: Browser
  let app: TestPageServer
  let running: RunningProvider | undefined
  let issuer: string
  let port: number
  let clientId = 'spa'
  /** A key the page does not hold: what the provider encrypts to for `spa-other`. */
  let strangerJwk: object
  beforeAll(async () => {
    port = await freePort()
    issuer = `http://127.0.0.1:${port}/oauth2/realms/root/realms/alpha`
    app = await serveTestPage('test/browser/app/decryption.ts', { config: () => ({ issuer, clientId, origin: app.origin }) })
    const stranger = (await crypto.subtle.generateKey({ name: 'ECDH', namedCurve: 'P-256' }, true, ['deriveBits'])) as CryptoKeyPair
    const { kty, crv, x, y } = await crypto.subtle.exportKey('jwk', stranger.publicKey)
    strangerJwk = { kty, crv, x, y, use: 'enc' }
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS })
  })
  afterAll(async () => {
    await browser?.close()
    await running?.close()
    await app?.close()
  })

  const spa = (id: string): ClientConfig => ({
    client_id: id, token_endpoint_auth_method: 'none', redirect_uris: [`${app.origin}/callback`],
    grant_types: ['authorization_code', 'refresh_token'], scope: 'openid profile email', implied_consent: true,
  })

  async function startProvider(jwk: object, sealed: Partial<ClientConfig>) {
    const provider = createProvider({
      realms: [{
        name: 'alpha',
        allow_implied_consent: true,
        clients: [
          { ...spa('spa'), jwks: { keys: [jwk as Record<string, unknown>] }, ...sealed },
          { ...spa('spa-other'), jwks: { keys: [strangerJwk as Record<string, unknown>] }, ...sealed },
          // Registered without encryption, while the page holds a key: the ID token comes signed only.
          { ...spa('spa-plain'), jwks: { keys: [jwk as Record<string, unknown>] } },
        ],
        users: [{ username: 'demo', password: 'Ch4ng3-it!', name: 'Demo User', email: 'demo@example.com' }],
      }],
    })
    running = await listen(provider, { port, host: '127.0.0.1' })
    expect(provider.issuer('alpha', `http://127.0.0.1:${running.port}`)).toBe(issuer)
  }

  it('generates the key once, non-extractable, and decrypts what the provider encrypts to its public half', async () => {
    const page: Page = await (await browser.newContext()).newPage()
    await page.goto(app.origin + '/')
    await page.waitForFunction(() => document.body.dataset.ready === 'true')
    const jwk = await page.evaluate(() => window.sealed.keys.publicJwk())
    expect(jwk).toMatchObject({ kty: 'EC', crv: 'P-256', use: 'enc' })
    expect(jwk).not.toHaveProperty('d')
    await page.reload()
    await page.waitForFunction(() => document.body.dataset.ready === 'true')
    expect(await page.evaluate(() => window.sealed.keys.publicJwk())).toEqual(jwk)
    expect(await page.evaluate(() => window.sealed.privateKey())).toEqual({ extractable: false, exported: 'InvalidAccessError' })

    await startProvider(jwk, {
      id_token_encrypted_response_alg: 'ECDH-ES', id_token_encrypted_response_enc: 'A256GCM',
      userinfo_signed_response_alg: 'ES256', userinfo_encrypted_response_alg: 'ECDH-ES+A128KW',
    })
    const seen: string[] = []
    page.on('response', async (r) => {
      if (r.url().endsWith('/access_token')) seen.push(((await r.json()) as { id_token: string }).id_token)
    })
    await signInThroughPages(page)
    const state = await page.evaluate(() => ({ error: window.sealed.lastError, snapshot: window.sealed.client.getSnapshot() }))
    expect(state.error).toBeUndefined()
    expect(state.snapshot.status).toBe('signed_in')
    expect(state.snapshot.user).toMatchObject({ sub: 'demo', aud: 'spa' })
    expect(seen[0]!.split('.')).toHaveLength(5)
    // Kept signed, not encrypted: usable as the logout hint.
    expect(state.snapshot.tokens!.idToken!.split('.')).toHaveLength(3)
    const info = await page.evaluate(() => window.sealed.userinfo())
    expect(info).toMatchObject({ sub: 'demo', email: 'demo@example.com', aud: 'spa' })
  })
  /** Signs in as `id` in a fresh context; what the callback page ended with. */
  async function signInAs(id: string) {
    clientId = id
    const page: Page = await (await browser.newContext()).newPage()
    await page.goto(app.origin + '/')
    await page.waitForFunction(() => document.body.dataset.ready === 'true')
    await signInThroughPages(page)
    return page.evaluate(() => ({ error: window.sealed.lastError, status: window.sealed.client.getSnapshot().status }))
  }
  it('refuses an ID token encrypted to a key it does not hold, with a typed error and no session', async () => {
    const state = await signInAs('spa-other')
    expect(state.error?.code).toBe('id_token_invalid')
    expect(state.status).not.toBe('signed_in')
  })
  it('refuses an ID token that arrives unencrypted while the page holds a key for it, with a typed error and no session', async () => {
    const state = await signInAs('spa-plain')
    expect(state.error).toMatchObject({ code: 'id_token_invalid', message: expect.stringMatching(/not encrypted/) })
    expect(state.status).not.toBe('signed_in')
  })
})
