/**
 * Client management (RFC 7592) as AM does it: `register` answers a `registration_access_token`
 * and `registration_client_uri` (`register?client_id=…`); with that Bearer token the client
 * reads, replaces (PUT) and deletes its registration. A configured client with a
 * `registration_access_token` reads itself. Every refusal is RFC 7592's: 401 `invalid_token`,
 * 403 for a configured client's PUT and DELETE, 400 for bad metadata. Over two instances on one
 * store, an update or delete on one is what the other sees at once.
 */
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createProvider, type ProviderConfig } from '@realmauth/server'
import { listen, type RunningProvider } from '@realmauth/server/node'
import { SqliteStore } from '@realmauth/server/sqlite'
import { PostgresStore } from '@realmauth/server/postgres'
import { MODES, basic, startHarness, type Harness } from './harness.js'
import { pgUrl } from '../support/postgres.js'

type Json = Record<string, unknown>
const STATIC_TOKEN = 'static-registration-token-0123456789'
const CONFIG: ProviderConfig = {
  realms: [
    {
      name: 'alpha',
      allow_dynamic_registration: true,
      clients: [
        { client_id: 'managed', client_secret: 'managed-secret', grant_types: ['client_credentials'], scope: 'read', registration_access_token: STATIC_TOKEN },
        { client_id: 'unmanaged', client_secret: 'unmanaged-secret', grant_types: ['client_credentials'], scope: 'read' },
      ],
    },
    { name: 'closed', clients: [{ client_id: 'managed', client_secret: 'closed-secret', grant_types: ['client_credentials'], scope: 'read', registration_access_token: STATIC_TOKEN }] },
  ],
}
const ROBOT = { client_name: 'Robot', grant_types: ['client_credentials'], scope: 'read write' }

/** Sends one client-management call; `token` as a Bearer token unless `authorization` says otherwise. */
function call(h: Pick<Harness, 'fetch'>, url: string, method: string, token?: string, body?: Json, authorization?: string): Promise<Response> {
  const headers: Record<string, string> = { ...(body && { 'content-type': 'application/json' }) }
  if (authorization !== undefined) headers.authorization = authorization
  else if (token !== undefined) headers.authorization = `Bearer ${token}`
  return h.fetch(url, { method, headers, ...(body && { body: JSON.stringify(body) }) })
}

async function registerAt(h: Pick<Harness, 'fetch'>, issuer: string, metadata: Json): Promise<Json> {
  const res = await call(h, `${issuer}/register`, 'POST', undefined, metadata)
  expect(res.status).toBe(201)
  return (await res.json()) as Json
}

async function clientCredentials(h: Pick<Harness, 'fetch'>, issuer: string, id: string, secret: string, scope = 'read'): Promise<number> {
  const res = await h.fetch(`${issuer}/access_token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(id, secret) },
    body: new URLSearchParams({ grant_type: 'client_credentials', scope }).toString(),
  })
  return res.status
}

async function expectRefusal(res: Response, status: number, error: string): Promise<Json> {
  const text = await res.text()
  expect(res.status, text).toBe(status)
  const body = JSON.parse(text) as Json
  expect(body.error, text).toBe(error)
  return body
}

describe.each(MODES)('client management (%s)', (mode) => {
  let h: Harness
  beforeAll(async () => {
    h = await startHarness(mode, CONFIG)
  })
  afterAll(() => h.close())

  it('registration answers a registration_access_token and AM’s registration_client_uri, which reads the client back', async () => {
    const client = await registerAt(h, h.issuer(), ROBOT)
    expect(client.registration_access_token).toMatch(/^[A-Za-z0-9_-]{40,}$/)
    expect(client.registration_client_uri).toBe(`${h.issuer()}/register?client_id=${client.client_id as string}`)
    const res = await call(h, client.registration_client_uri as string, 'GET', client.registration_access_token as string)
    expect(res.status).toBe(200)
    expect(res.headers.get('cache-control')).toBe('no-store')
    const read = (await res.json()) as Json
    expect(read).toMatchObject({
      client_id: client.client_id,
      client_name: 'Robot',
      grant_types: ['client_credentials'],
      scope: 'read write',
      token_endpoint_auth_method: 'client_secret_basic',
      client_id_issued_at: client.client_id_issued_at,
      registration_access_token: client.registration_access_token,
      registration_client_uri: client.registration_client_uri,
    })
    // The secret is the client's alone: the provider keeps only its digest and never answers it again.
    expect(read.client_secret).toBeUndefined()
  })

  it('a registration_access_token asked for at registration is ignored: the provider picks it', async () => {
    const chosen = 'chosen-by-the-client-0123456789'
    const client = await registerAt(h, h.issuer(), { ...ROBOT, registration_access_token: chosen })
    expect(client.registration_access_token).not.toBe(chosen)
    await expectRefusal(await call(h, client.registration_client_uri as string, 'GET', chosen), 401, 'invalid_token')
    expect((await call(h, client.registration_client_uri as string, 'GET', client.registration_access_token as string)).status).toBe(200)
  })

  it('PUT replaces the registration whole: what it leaves out is gone, the secret and token stay', async () => {
    const client = await registerAt(h, h.issuer(), { ...ROBOT, policy_uri: 'https://robot.example/policy' })
    const uri = client.registration_client_uri as string
    const token = client.registration_access_token as string
    const res = await call(h, uri, 'PUT', token, { client_id: client.client_id, client_secret: client.client_secret, client_name: 'Robot 2', grant_types: ['client_credentials'], scope: 'read' })
    expect(res.status).toBe(200)
    const updated = (await res.json()) as Json
    expect(updated).toMatchObject({ client_id: client.client_id, client_name: 'Robot 2', scope: 'read', registration_access_token: token })
    expect(updated.policy_uri).toBeUndefined()
    expect(updated.client_secret).toBeUndefined()
    // Behaviour follows at once: the old secret still works, for the narrower scope only.
    expect(await clientCredentials(h, h.issuer(), client.client_id as string, client.client_secret as string, 'read')).toBe(200)
    expect(await clientCredentials(h, h.issuer(), client.client_id as string, client.client_secret as string, 'write')).toBe(400)
    const read = (await (await call(h, uri, 'GET', token)).json()) as Json
    expect(read).toMatchObject({ client_name: 'Robot 2', scope: 'read' })
    expect(read.policy_uri).toBeUndefined()
  })

  it('PUT that turns a public client confidential issues a secret once; one turning it public drops it', async () => {
    const client = await registerAt(h, h.issuer(), { token_endpoint_auth_method: 'none', redirect_uris: ['http://127.0.0.1:8080/cb'] })
    expect(client.client_secret).toBeUndefined()
    const uri = client.registration_client_uri as string
    const token = client.registration_access_token as string
    const confidential = (await (await call(h, uri, 'PUT', token, { client_id: client.client_id, grant_types: ['client_credentials'], scope: 'read' })).json()) as Json
    expect(confidential.client_secret).toMatch(/^[A-Za-z0-9_-]{40,}$/)
    expect(await clientCredentials(h, h.issuer(), client.client_id as string, confidential.client_secret as string)).toBe(200)
    const publicAgain = await call(h, uri, 'PUT', token, { client_id: client.client_id, token_endpoint_auth_method: 'none', redirect_uris: ['http://127.0.0.1:8080/cb'] })
    expect(publicAgain.status).toBe(200)
    expect(await clientCredentials(h, h.issuer(), client.client_id as string, confidential.client_secret as string)).toBe(401)
  })

  it('refuses an update that changes the id, chooses a secret, sends server fields or bad metadata', async () => {
    const client = await registerAt(h, h.issuer(), ROBOT)
    const uri = client.registration_client_uri as string
    const token = client.registration_access_token as string
    const base = { client_id: client.client_id, grant_types: ['client_credentials'], scope: 'read' }
    await expectRefusal(await call(h, uri, 'PUT', token, { ...base, client_id: 'another' }), 400, 'invalid_client_metadata')
    await expectRefusal(await call(h, uri, 'PUT', token, { grant_types: ['client_credentials'] }), 400, 'invalid_client_metadata')
    await expectRefusal(await call(h, uri, 'PUT', token, { ...base, client_secret: 'my-own-choice' }), 400, 'invalid_client_metadata')
    for (const field of ['registration_access_token', 'registration_client_uri', 'client_id_issued_at', 'client_secret_expires_at']) {
      const body = await expectRefusal(await call(h, uri, 'PUT', token, { ...base, [field]: client[field] ?? 0 }), 400, 'invalid_client_metadata')
      expect(body.error_description).toContain(field)
    }
    await expectRefusal(await call(h, uri, 'PUT', token, { ...base, grant_types: ['authorization_code'], redirect_uris: ['javascript:alert(1)'] }), 400, 'invalid_redirect_uri')
    await expectRefusal(await call(h, uri, 'PUT', token, { ...base, grant_types: ['no_such_grant'] }), 400, 'invalid_client_metadata')
    await expectRefusal(await call(h, uri, 'PUT', token, { ...base, unknown_setting: true }), 400, 'invalid_client_metadata')
    const notJson = await h.fetch(uri, { method: 'PUT', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: '{' })
    await expectRefusal(notJson, 400, 'invalid_client_metadata')
    // Nothing of it landed: the client is as registered.
    expect(await clientCredentials(h, h.issuer(), client.client_id as string, client.client_secret as string, 'read write')).toBe(200)
  })

  it('DELETE removes the client: 204, then its token, its secret and its URI are dead', async () => {
    const client = await registerAt(h, h.issuer(), ROBOT)
    const uri = client.registration_client_uri as string
    const token = client.registration_access_token as string
    const issued = await h.fetch(`${h.issuer()}/access_token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(client.client_id as string, client.client_secret as string) },
      body: 'grant_type=client_credentials',
    })
    const accessToken = ((await issued.json()) as Json).access_token as string
    const tokeninfo = () => h.fetch(`${h.issuer()}/tokeninfo`, { headers: { authorization: `Bearer ${accessToken}` } })
    expect((await tokeninfo()).status).toBe(200)
    const res = await call(h, uri, 'DELETE', token)
    expect(res.status).toBe(204)
    // Its tokens die with it (RFC 7592 section 2.3).
    expect((await tokeninfo()).status).toBe(401)
    expect(await clientCredentials(h, h.issuer(), client.client_id as string, client.client_secret as string)).toBe(401)
    await expectRefusal(await call(h, uri, 'GET', token), 401, 'invalid_token')
    await expectRefusal(await call(h, uri, 'DELETE', token), 401, 'invalid_token')
  })

  it('a wrong, missing or misplaced registration token is 401, the same for a client that does not exist', async () => {
    const client = await registerAt(h, h.issuer(), ROBOT)
    const other = await registerAt(h, h.issuer(), ROBOT)
    const uri = client.registration_client_uri as string
    for (const method of ['GET', 'PUT', 'DELETE']) {
      const body = method === 'PUT' ? { client_id: client.client_id, ...ROBOT } : undefined
      const wrong = await call(h, uri, method, 'x'.repeat(43), body)
      await expectRefusal(wrong, 401, 'invalid_token')
      expect(wrong.headers.get('www-authenticate')).toMatch(/^Bearer realm=".*", error="invalid_token"/)
      // Another client's token does not open this one.
      await expectRefusal(await call(h, uri, method, other.registration_access_token as string, body), 401, 'invalid_token')
      const missing = await call(h, uri, method, undefined, body)
      await expectRefusal(missing, 401, 'invalid_request')
      expect(missing.headers.get('www-authenticate')).toMatch(/^Bearer realm=/)
      // The client secret is not a registration token, in a Basic header or as a Bearer token.
      await expectRefusal(await call(h, uri, method, undefined, body, basic(client.client_id as string, client.client_secret as string)), 401, 'invalid_token')
      await expectRefusal(await call(h, uri, method, client.client_secret as string, body), 401, 'invalid_token')
    }
    await expectRefusal(await call(h, `${h.issuer()}/register?client_id=nobody`, 'GET', client.registration_access_token as string), 401, 'invalid_token')
    await expectRefusal(await call(h, `${h.issuer()}/register`, 'GET', client.registration_access_token as string), 400, 'invalid_request')
    await expectRefusal(await call(h, `${uri}&client_id=${other.client_id as string}`, 'GET', client.registration_access_token as string), 400, 'invalid_request')
    // Still there: none of it changed the client.
    expect((await call(h, uri, 'GET', client.registration_access_token as string)).status).toBe(200)
  })

  it('a configured client reads itself with its configured token; PUT and DELETE on it are 403', async () => {
    const uri = `${h.issuer()}/register?client_id=managed`
    const res = await call(h, uri, 'GET', STATIC_TOKEN)
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({ client_id: 'managed', grant_types: ['client_credentials'], scope: 'read', registration_client_uri: uri })
    await expectRefusal(await call(h, uri, 'PUT', STATIC_TOKEN, { client_id: 'managed', scope: 'read' }), 403, 'access_denied')
    await expectRefusal(await call(h, uri, 'DELETE', STATIC_TOKEN), 403, 'access_denied')
    expect(await clientCredentials(h, h.issuer(), 'managed', 'managed-secret')).toBe(200)
    // Without a configured token a client cannot be read; with registration off, a token still reads its client.
    await expectRefusal(await call(h, `${h.issuer()}/register?client_id=unmanaged`, 'GET', STATIC_TOKEN), 401, 'invalid_token')
    expect((await call(h, `${h.issuer('closed')}/register?client_id=managed`, 'GET', STATIC_TOKEN)).status).toBe(200)
  })

  it('a preflight for PUT and DELETE is answered for a registered SPA origin', async () => {
    const res = await h.fetch(`${h.issuer()}/register?client_id=x`, { method: 'OPTIONS', headers: { origin: 'http://127.0.0.1:8080', 'access-control-request-method': 'PUT' } })
    expect(res.status).toBe(204)
  })
})

describe('client management config', () => {
  it('refuses a configured registration_access_token a Bearer header cannot carry, or a short one', () => {
    for (const token of ['short', 'has spaces in it, quite long', 'ünïcode-token-0123456789']) {
      const config: ProviderConfig = { realms: [{ name: 'a', clients: [{ client_id: 'c', client_secret: 's', grant_types: ['client_credentials'], registration_access_token: token }] }] }
      expect(() => createProvider(config), token).toThrow(/clients\[0\]\.registration_access_token/)
    }
  })
})

/** Two providers on one store, each its own HTTP server: what one changes, the other must see. */
function twoInstances(name: string, makeStore: () => Promise<{ store: SqliteStore | PostgresStore; close: () => Promise<void> | void }>) {
  describe(`client management across two instances (${name})`, () => {
    const running: RunningProvider[] = []
    const closers: (() => Promise<void> | void)[] = []
    afterAll(async () => {
      for (const r of running) await r.close()
      for (const c of closers) await c()
    })
    const instance = async () => {
      const { store, close } = await makeStore()
      closers.push(close)
      const server = await listen(createProvider({ ...CONFIG, store }))
      running.push(server)
      return server.url
    }
    const alpha = (origin: string) => `${origin}/oauth2/realms/root/realms/alpha`
    const web = { fetch: (input: string | URL, init?: RequestInit) => fetch(input, init) }

    it('an update on one instance is what the other answers, after it cached the client', async () => {
      const [a, b] = [await instance(), await instance()]
      const client = await registerAt(web, alpha(a), ROBOT)
      const id = client.client_id as string
      const secret = client.client_secret as string
      const token = client.registration_access_token as string
      // b resolves and caches the client as registered.
      expect(await clientCredentials(web, alpha(b), id, secret, 'write')).toBe(200)
      const put = await call(web, `${alpha(a)}/register?client_id=${id}`, 'PUT', token, { client_id: id, grant_types: ['client_credentials'], scope: 'read' })
      expect(put.status).toBe(200)
      expect(await clientCredentials(web, alpha(b), id, secret, 'write')).toBe(400)
      expect(await clientCredentials(web, alpha(b), id, secret, 'read')).toBe(200)
      expect(await (await call(web, `${alpha(b)}/register?client_id=${id}`, 'GET', token)).json()).toMatchObject({ scope: 'read' })
    })

    it('a delete on one instance removes the client on the other at once', async () => {
      const [a, b] = [await instance(), await instance()]
      const client = await registerAt(web, alpha(a), ROBOT)
      const id = client.client_id as string
      expect(await clientCredentials(web, alpha(b), id, client.client_secret as string)).toBe(200)
      expect((await call(web, `${alpha(b)}/register?client_id=${id}`, 'DELETE', client.registration_access_token as string)).status).toBe(204)
      expect(await clientCredentials(web, alpha(a), id, client.client_secret as string)).toBe(401)
      expect(await clientCredentials(web, alpha(b), id, client.client_secret as string)).toBe(401)
    })

    it('concurrent updates from both instances: each answers 200 or 503, and both instances agree on the winner', async () => {
      const [a, b] = [await instance(), await instance()]
      const client = await registerAt(web, alpha(a), ROBOT)
      const id = client.client_id as string
      const token = client.registration_access_token as string
      const names = Array.from({ length: 10 }, (_, i) => `Robot ${i}`)
      const answers = await Promise.all(
        names.map((client_name, i) => call(web, `${alpha(i % 2 ? a : b)}/register?client_id=${id}`, 'PUT', token, { client_id: id, client_name, grant_types: ['client_credentials'], scope: 'read' })),
      )
      expect(answers.every((r) => r.status === 200 || r.status === 503)).toBe(true)
      expect(answers.some((r) => r.status === 200)).toBe(true)
      const fromA = (await (await call(web, `${alpha(a)}/register?client_id=${id}`, 'GET', token)).json()) as Json
      const fromB = (await (await call(web, `${alpha(b)}/register?client_id=${id}`, 'GET', token)).json()) as Json
      expect(names).toContain(fromA.client_name)
      expect(fromB.client_name).toBe(fromA.client_name)
    })
  })
}

const sqlitePath = join(mkdtempSync(join(tmpdir(), 'realmauth-client-management-')), 'provider.db')
twoInstances('SQLite file', async () => {
  const store = new SqliteStore({ path: sqlitePath })
  return { store, close: () => store.close() }
})
twoInstances('PostgreSQL', async () => {
  const store = await PostgresStore.open(pgUrl())
  return { store, close: () => store.close() }
})
