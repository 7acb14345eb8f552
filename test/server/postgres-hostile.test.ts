/**
 * Hostile input against the provider on a PostgreSQL store, over real HTTP: what the memory
 * store takes in its stride PostgreSQL may refuse (a NUL in text, a key over its B-tree's
 * 2.7 KB), and that must be the client's 4xx, never a 503 "store unavailable" (which also costs
 * the pool a connection) or a 500. Secrets of the time-ordered form (decision 0077) that the
 * provider never minted are `invalid_grant` like any other.
 */
import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { createProvider, type ProviderConfig } from '@realmauth/server'
import { listen, type RunningProvider } from '@realmauth/server/node'
import { PostgresStore } from '@realmauth/server/postgres'
import { basic } from './harness.js'
import { pgUrl } from '../support/postgres.js'

/**
 * A name of 700 varied CJK characters: 6300 bytes encoded, which compression cannot squeeze
 * under PostgreSQL's key limit. Its end differs per run: the database outlives the run, and so
 * does the lockout of the run before.
 */
const LONG_NAME = Array.from({ length: 700 }, (_, i) => String.fromCodePoint(0x4e00 + ((i * 7919) % 20000))).join('') + randomUUID()
const CLIENT = { client_id: 'app', client_secret: 'app-secret', redirect_uris: ['https://app.example/cb'] }
const CONFIG: ProviderConfig = {
  realms: [
    {
      name: 'alpha',
      users: [{ username: LONG_NAME, password: 'Long-name-pw-1' }],
      clients: [{ ...CLIENT, grant_types: ['authorization_code', 'refresh_token', 'urn:ietf:params:oauth:grant-type:device_code'], scope: 'openid' }],
      journeys: {
        Guarded: {
          entry: 'credentials',
          nodes: {
            credentials: { type: 'Page', nodes: [{ type: 'UsernameCollector' }, { type: 'PasswordCollector' }], outcomes: { outcome: 'check' } },
            check: { type: 'DataStoreDecision', outcomes: { true: 'done', false: 'retry' } },
            retry: { type: 'RetryLimit', limit: 2, lockout_seconds: 600, outcomes: { retry: 'credentials', reject: 'failed' } },
            done: { type: 'Success' },
            failed: { type: 'Failure' },
          },
        },
      },
    },
  ],
}
type Json = Record<string, unknown>
/** What a minted secret starts with (decision 0077): the time in ms as 10 base32hex digits. */
const timePrefix = (ms: number) => ms.toString(32).padStart(10, '0')
const RANDOM_43 = 'q3Xv9kLmN0pR7sT1uW5yZ8aB2cD4eF6gH-iJ_kLmNoP'

describe('hostile input with a PostgreSQL store, over HTTP', () => {
  let store: PostgresStore
  let server: RunningProvider
  const errors = vi.spyOn(console, 'error').mockImplementation(() => {})
  const issuer = () => `${server.url}/oauth2/realms/root/realms/alpha`

  beforeAll(async () => {
    store = await PostgresStore.open(pgUrl(), { timeoutMs: 3000 })
    server = await listen(createProvider({ ...CONFIG, store }))
  })
  afterAll(async () => {
    errors.mockRestore()
    await server?.close()
    await store?.close()
  })

  async function post(path: string, body: string, headers: Record<string, string> = {}): Promise<{ status: number; body: Json }> {
    const res = await fetch(`${issuer()}/${path}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body })
    expect(res.headers.get('content-type')).toMatch(/^application\/json/)
    return { status: res.status, body: (await res.json()) as Json }
  }
  const noStoreErrors = () => expect(errors.mock.calls.filter((c) => String(c[0]).includes('store unavailable') || String(c[0]).includes('unexpected'))).toEqual([])

  it('answers made-up refresh tokens, codes and device codes, of the minted form or not, with 400 invalid_grant', async () => {
    const made = [
      timePrefix(Date.now()) + RANDOM_43, // today's shape, never minted
      'vvvvvvvvvv' + RANDOM_43, // a time past the year 37000
      '0000000000' + RANDOM_43,
      RANDOM_43, // the shape from before decision 0077
      'a'.repeat(60_000),
      'é'.repeat(53),
      timePrefix(Date.now()) + '\u0000' + RANDOM_43.slice(1),
      '\u0000',
    ]
    const auth = { authorization: basic(CLIENT.client_id, CLIENT.client_secret) }
    for (const secret of made) {
      const fields: Record<string, string>[] = [
        { grant_type: 'refresh_token', refresh_token: secret },
        { grant_type: 'authorization_code', code: secret, redirect_uri: CLIENT.redirect_uris[0]!, code_verifier: 'v'.repeat(43) },
        { grant_type: 'urn:ietf:params:oauth:grant-type:device_code', device_code: secret },
      ]
      for (const f of fields) {
        const res = await post('access_token', new URLSearchParams(f).toString(), auth)
        expect(res, `${f.grant_type!} ${JSON.stringify(secret.slice(0, 20))}`).toMatchObject({ status: 400, body: { error: 'invalid_grant' } })
      }
    }
    noStoreErrors()
  }, 30_000)

  it('answers a client_id with a NUL as an unknown client at the token, authorize and client management endpoints, not 503', async () => {
    // As any unknown client: 400 invalid_client (its credentials were in the body, not a header).
    const unknown = await post('access_token', 'grant_type=client_credentials&client_id=nobody&client_secret=app-secret')
    expect(unknown).toMatchObject({ status: 400, body: { error: 'invalid_client' } })
    expect(await post('access_token', 'grant_type=client_credentials&client_id=app%00&client_secret=app-secret')).toEqual(unknown)
    const authorize = await fetch(`${issuer()}/authorize?client_id=app%00&response_type=code&redirect_uri=${encodeURIComponent(CLIENT.redirect_uris[0]!)}`, { redirect: 'manual' })
    expect(authorize.status).toBe(400)
    await authorize.body?.cancel()
    const managed = await fetch(`${issuer()}/register?client_id=app%00`, { headers: { authorization: 'Bearer made-up' } })
    expect(managed.status).toBe(401)
    await managed.body?.cancel()
    const resumed = await fetch(`${issuer()}/authorize?interaction=x%00`, { redirect: 'manual' })
    expect(resumed.status).toBe(400)
    await resumed.body?.cancel()
    noStoreErrors()
  })

  it('counts failures of a user with a 700-character name and locks them out, and answers a name with a lone surrogate as wrong', async () => {
    const journey = `${server.url}/json/realms/root/realms/alpha/authenticate?authIndexType=service&authIndexValue=Guarded`
    const headers = { 'content-type': 'application/json', 'accept-api-version': 'resource=2.1, protocol=1.0' }
    type Step = { callbacks: { input: { value: unknown }[] }[] }
    const start = async () => (await (await fetch(journey, { method: 'POST', headers })).json()) as Step
    const answer = async (step: Step, username: string, password: string, raw?: (json: string) => string) => {
      step.callbacks[0]!.input[0]!.value = username
      step.callbacks[1]!.input[0]!.value = password
      const body = JSON.stringify(step)
      const res = await fetch(journey, { method: 'POST', headers, body: raw ? raw(body) : body })
      return { status: res.status, body: (await res.json()) as Step & Json }
    }
    // Two wrong passwords: the first asks again, the second reaches the limit.
    const first = await answer(await start(), LONG_NAME, 'wrong')
    expect(first.status).toBe(200)
    expect((await answer(first.body, LONG_NAME, 'wrong')).status).toBe(401)
    // Locked: the right password no longer signs the user in.
    expect((await answer(await start(), LONG_NAME, 'Long-name-pw-1')).status).toBe(401)
    // JSON can carry a lone surrogate, which no URI encoding takes: a wrong name, asked again.
    const odd = await answer(await start(), 'PLACEHOLDER', 'wrong', (json) => json.replace('PLACEHOLDER', `a\\ud800${randomUUID()}`))
    expect(odd.status).toBe(200)
    noStoreErrors()
  })
})
