/**
 * DPoP and PAR in Chromium: the SPA signs in through a pushed request, its tokens are bound
 * to a non-extractable key kept in IndexedDB, and a resource server on loopback checks
 * proofs with @realmauth/node's verifier.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { BrowserContext, Page } from 'playwright-core'
import { calculateJwkThumbprint, type JWK } from 'jose'
import { createDPoP } from '@realmauth/core'
import { openApp, signInThroughPages, startE2E, type E2E } from './e2eHarness.js'

const LIFE = 120

const open = (e: E2E, context: BrowserContext) => openApp(e, context)
const signIn = signInThroughPages

const payload = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>
const tokens = (page: Page) => page.evaluate(() => ({ ...window.app.client.getSnapshot().tokens!, error: window.app.lastError }))

/** The key pair in IndexedDB, as the page sees it: whether the private half exports, and the public JWK. */
const storedKey = (page: Page) =>
  page.evaluate(async () => {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const req = indexedDB.open('realmauth')
      req.onsuccess = () => resolve(req.result)
      req.onerror = () => reject(req.error)
    })
    const keys = await new Promise<IDBValidKey[]>((resolve) => {
      const req = db.transaction('keyval').objectStore('keyval').getAllKeys()
      req.onsuccess = () => resolve(req.result)
    })
    const name = keys.map(String).find((k) => k.startsWith('dpop:'))
    if (!name) return undefined
    const pair = await new Promise<CryptoKeyPair>((resolve) => {
      const req = db.transaction('keyval').objectStore('keyval').get(name)
      req.onsuccess = () => resolve(req.result as CryptoKeyPair)
    })
    const exported = await crypto.subtle.exportKey('jwk', pair.privateKey).then(
      () => 'exported',
      (err: Error) => err.name,
    )
    return { extractable: pair.privateKey.extractable, exported, publicJwk: await crypto.subtle.exportKey('jwk', pair.publicKey) }
  })

describe('DPoP and PAR in Chromium', () => {
  let e: E2E
  beforeAll(async () => {
    e = await startE2E({ access_token_lifetime: LIFE }, { dpop: true })
  })
  afterAll(() => e?.close())

  it('signs in through a pushed request; tokens are bound to a non-extractable key in IndexedDB that survives a reload', async () => {
    const context = await e.browser.newContext()
    const page = await open(e, context)
    const visited = await signIn(page)
    const first = new URL(visited[0]!)
    expect([...first.searchParams.keys()].sort()).toEqual(['client_id', 'request_uri'])

    const t = await tokens(page)
    expect(t.error).toBeUndefined()
    expect(t.tokenType).toBe('dpop')
    const key = await storedKey(page)
    expect(key).toMatchObject({ extractable: false, exported: 'InvalidAccessError' })
    const jkt = await calculateJwkThumbprint(key!.publicJwk as JWK)
    expect(payload(t.accessToken).cnf).toEqual({ jkt })

    // The API sees a DPoP token and a proof by that key.
    const proofs: string[] = []
    page.on('request', (r) => {
      if (r.url().endsWith('/api/dpop')) proofs.push(r.headers()['dpop'] ?? '')
    })
    expect(await page.evaluate(async () => (await window.app.client.authFetch('/api/dpop')).json())).toEqual({ hello: 'demo', jkt })
    expect(proofs).toHaveLength(1)

    // A reload keeps the key: the bound refresh token still works, and the new token has the same binding.
    await page.reload()
    await page.waitForFunction(() => document.body.dataset.ready === 'true')
    e.advanceProvider(LIFE)
    await page.evaluate((ms) => void (window.app.offsetMs += ms), LIFE * 1000)
    const before = e.grants.refresh_token ?? 0
    expect(await page.evaluate(async () => (await window.app.client.authFetch('/api/dpop')).status)).toBe(200)
    expect((e.grants.refresh_token ?? 0) - before).toBe(1)
    const renewed = await tokens(page)
    expect(renewed.accessToken).not.toBe(t.accessToken)
    expect(payload(renewed.accessToken).cnf).toEqual({ jkt })

    // The pushed request was spent by the sign-in: its URL starts nothing now.
    const reused = await page.goto(first.href)
    expect(reused!.status()).toBe(400)
    expect(await reused!.text()).toContain('invalid_request_uri')

    // Sign-out drops the key with the tokens: the next session gets a new one.
    await page.goto(e.appOrigin + '/')
    await page.waitForFunction(() => document.body.dataset.ready === 'true')
    await page.evaluate(() => window.app.client.signOut({ redirect: false }))
    expect(await storedKey(page)).toBeUndefined()
    await context.close()
  })

  it('a stolen token fails as a Bearer token, with another key, and with a replayed proof', async () => {
    const context = await e.browser.newContext()
    const page = await open(e, context)
    await signIn(page)
    const proofs: string[] = []
    page.on('request', (r) => {
      if (r.url().endsWith('/api/dpop')) proofs.push(r.headers()['dpop'] ?? '')
    })
    expect(await page.evaluate(async () => (await window.app.client.authFetch('/api/dpop')).status)).toBe(200)
    const { accessToken } = await tokens(page)
    const api = `${e.appOrigin}/api/dpop`

    const asBearer = await fetch(api, { headers: { authorization: `Bearer ${accessToken}` } })
    expect(asBearer.status).toBe(401)
    expect(asBearer.headers.get('www-authenticate')).toMatch(/error="invalid_token"/)

    const otherKey = await fetch(api, { headers: { authorization: `DPoP ${accessToken}`, dpop: await createDPoP().proof('GET', api, Date.now(), accessToken) } })
    expect(otherKey.status).toBe(401)
    expect(otherKey.headers.get('www-authenticate')).toMatch(/error="invalid_dpop_proof"/)

    const replayed = await fetch(api, { headers: { authorization: `DPoP ${accessToken}`, dpop: proofs[0]! } })
    expect(replayed.status).toBe(401)
    expect(replayed.headers.get('www-authenticate')).toMatch(/used before/)
    await context.close()
  })
})

describe('DPoP nonces in Chromium', () => {
  let e: E2E
  beforeAll(async () => {
    e = await startE2E({ access_token_lifetime: LIFE, dpop_nonce: true }, { dpop: true })
  })
  afterAll(() => e?.close())

  it('answers the provider\'s nonce challenge once per exchange and reuses the nonce for the refresh', async () => {
    const context = await e.browser.newContext()
    const page = await open(e, context)
    await signIn(page)
    expect(await tokens(page)).toMatchObject({ tokenType: 'dpop', error: undefined })
    expect(e.grants.authorization_code).toBe(2)
    e.advanceProvider(LIFE)
    await page.evaluate((ms) => void (window.app.offsetMs += ms), LIFE * 1000)
    expect(await page.evaluate(async () => (await window.app.client.authFetch('/api/dpop')).status)).toBe(200)
    expect(e.grants.refresh_token).toBe(1)

    // An API that challenges again after the nonce it asked for: one retry, then a typed error.
    const before = e.nonceChallenges()
    const outcome = await page.evaluate(() =>
      window.app.client.authFetch('/api/nonce-always').then(
        (res) => ({ status: res.status, code: undefined as string | undefined }),
        (err: { code?: string }) => ({ status: 0, code: err.code }),
      ),
    )
    expect(outcome).toEqual({ status: 0, code: 'use_dpop_nonce' })
    expect(e.nonceChallenges() - before).toBe(2)
    await context.close()
  })
})
