import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ConfigError, MemoryStore, createProvider, type ProviderConfig, type RealmConfig } from '@realmauth/server'
import { MODES, Browser, basic, form, parseForm, secondsLeft, startHarness, type Harness } from './harness.js'
import { claims } from './flows.js'
import { totp, wrongTotp } from './totp.js'

const SECRET = 'JBSWY3DPEHPK3PXP'
const ALICE = { username: 'alice', password: 'Wonder-land-1', totp_secret: SECRET }
const CAROL = { username: 'carol', password: 'C4rol-pass' }
const WEB = { client_id: 'web', client_secret: 'web-secret', redirect_uri: 'https://web.example/cb' }

const REALM: RealmConfig = {
  name: 'alpha',
  allow_implied_consent: true,
  users: [ALICE, { username: 'bob', password: 'Bu1lder-bob' }, CAROL],
  clients: [{ client_id: WEB.client_id, client_secret: WEB.client_secret, redirect_uris: [WEB.redirect_uri], implied_consent: true, scope: 'openid profile' }],
  journeys: {
    Mfa: {
      entry: 'credentials',
      acr_values: ['mfa'],
      nodes: {
        credentials: { type: 'Page', header: 'Sign in', stage: 'one', nodes: [{ type: 'UsernameCollector' }, { type: 'PasswordCollector' }], outcomes: { outcome: 'check' } },
        check: { type: 'DataStoreDecision', outcomes: { true: 'otp', false: 'retry' } },
        otp: { type: 'OneTimePassword', outcomes: { true: 'done', false: 'retry' } },
        retry: { type: 'RetryLimit', limit: 3, lockout_seconds: 600, outcomes: { retry: 'credentials', reject: 'failed' } },
        done: { type: 'Success' },
        failed: { type: 'Failure' },
      },
    },
    Pick: {
      entry: 'how',
      nodes: {
        how: { type: 'ChoiceCollector', prompt: 'How?', choices: ['password', 'message'], outcomes: { password: 'credentials', message: 'hello' } },
        hello: { type: 'Message', message: 'Hello there', positive: 'Go', negative: 'Stop', outcomes: { true: 'credentials', false: 'failed' } },
        credentials: { type: 'Page', nodes: [{ type: 'UsernameCollector' }, { type: 'PasswordCollector' }], outcomes: { outcome: 'check' } },
        check: { type: 'DataStoreDecision', outcomes: { true: 'done', false: 'failed' } },
        done: { type: 'Success' },
        failed: { type: 'Failure' },
      },
    },
    Device: {
      entry: 'page',
      nodes: {
        page: {
          type: 'Page',
          nodes: [{ type: 'HiddenValue', id: 'clientScriptOutputData', value: 'nonce-1' }, { type: 'UsernameCollector' }, { type: 'PasswordCollector' }],
          outcomes: { outcome: 'check' },
        },
        check: { type: 'DataStoreDecision', outcomes: { true: 'done', false: 'failed' } },
        done: { type: 'Success' },
        failed: { type: 'Failure' },
      },
    },
  },
}
const CONFIG: ProviderConfig = { realms: [REALM] }

interface Step {
  authId: string
  callbacks: { type: string; output: { name: string; value: unknown }[]; input?: { name: string; value: unknown }[] }[]
  header?: string
  stage?: string
}

describe.each(MODES)('journeys (%s)', (mode) => {
  let h: Harness
  const base = '/json/realms/root/realms/alpha'
  beforeAll(async () => {
    h = await startHarness(mode, CONFIG)
  })
  afterAll(() => h.close())

  const post = (path: string, body?: unknown, headers: Record<string, string> = {}) =>
    h.fetch(`${h.origin}${base}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'accept-api-version': 'resource=2.1, protocol=1.0', ...headers },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    })
  const start = async (tree: string): Promise<Step> => {
    const res = await post(`/authenticate?authIndexType=service&authIndexValue=${tree}`)
    expect(res.status).toBe(200)
    return (await res.json()) as Step
  }
  /** Posts a step back with its inputs filled, plus the fields ForgeRock's SDK adds. */
  const answer = (tree: string, step: Step, ...values: unknown[]) => {
    let i = 0
    const callbacks = step.callbacks.map((c) => (c.input ? { ...c, input: c.input.map((inp) => ({ ...inp, value: values[i++] })) } : c))
    return post(`/authenticate?authIndexType=service&authIndexValue=${tree}`, { ...step, callbacks, status: 200, ok: true })
  }
  const sessionCookie = (res: Response) => res.headers.getSetCookie().find((c) => c.startsWith('iPlanetDirectoryPro='))!.split(';')[0]!

  it('Login: name and password callbacks, then tokenId and the session cookie; sessions describe and end it', async () => {
    const step = await start('Login')
    expect(step.callbacks.map((c) => c.type)).toEqual(['NameCallback', 'PasswordCallback'])
    expect(step.callbacks.map((c) => c.input![0]!.name)).toEqual(['IDToken1', 'IDToken2'])
    const done = await answer('Login', step, ALICE.username, ALICE.password)
    expect(done.status).toBe(200)
    const body = (await done.json()) as { tokenId: string; realm: string; successUrl: string }
    expect(body.realm).toBe('/alpha')
    const cookie = sessionCookie(done)
    expect(cookie).toBe(`iPlanetDirectoryPro=${body.tokenId}`)
    const info = await post('/sessions?_action=getSessionInfo', undefined, { cookie })
    expect(info.status).toBe(200)
    expect(await info.json()).toMatchObject({ username: 'alice', realm: '/alpha' })
    const out = await post('/sessions/?_action=logout', undefined, { cookie })
    expect(await out.json()).toEqual({ result: 'Successfully logged out' })
    expect((await post('/sessions?_action=getSessionInfo', undefined, { cookie })).status).toBe(401)
    expect(await (await post('/sessions?_action=validate', undefined, { cookie })).json()).toEqual({ valid: false })
  })

  it('sessions also take the SSO token in a header named like the cookie, and getSessionInfo as tokenId, as AM does', async () => {
    const res = await post('/authenticate', undefined, { 'x-openam-username': ALICE.username, 'x-openam-password': ALICE.password })
    const { tokenId } = (await res.json()) as { tokenId: string }
    const header = { iPlanetDirectoryPro: tokenId }
    const info = await post('/sessions?_action=getSessionInfo', undefined, header)
    expect(info.status).toBe(200)
    expect(await info.json()).toMatchObject({ username: 'alice', realm: '/alpha' })
    expect(await (await post('/sessions?_action=validate', undefined, header)).json()).toMatchObject({ valid: true, uid: 'alice' })
    // The header decides over a cookie: an unknown token there is no session.
    const other = sessionCookie(await post('/authenticate', undefined, { 'x-openam-username': 'bob', 'x-openam-password': 'Bu1lder-bob' }))
    expect((await post('/sessions?_action=getSessionInfo', undefined, { iPlanetDirectoryPro: 'unknown', cookie: other })).status).toBe(401)
    // getSessionInfo also takes it as tokenId in the body; anything but a string there is 400.
    expect(await (await post('/sessions?_action=getSessionInfo', { tokenId }, { cookie: other })).json()).toMatchObject({ username: 'alice' })
    expect((await post('/sessions?_action=getSessionInfo', { tokenId: 7 })).status).toBe(400)
    expect(await (await post('/sessions?_action=logout', undefined, header)).json()).toEqual({ result: 'Successfully logged out' })
    expect((await post('/sessions?_action=getSessionInfo', undefined, header)).status).toBe(401)
    expect((await post('/sessions?_action=getSessionInfo', { tokenId })).status).toBe(401)
  })

  it('sessions answer as AM’s "Manage sessions using REST" shows: tokenId in the body, refresh’s timeouts, logout of a dead token, 501 for other actions', async () => {
    const signedIn = Date.now()
    const res = await post('/authenticate', undefined, { 'x-openam-username': ALICE.username, 'x-openam-password': ALICE.password })
    const { tokenId } = (await res.json()) as { tokenId: string }
    const bob = sessionCookie(await post('/authenticate', undefined, { 'x-openam-username': 'bob', 'x-openam-password': 'Bu1lder-bob' }))
    // An administrator's token in the header or cookie, the session asked about as tokenId in the body.
    expect(await (await post('/sessions?_action=validate', { tokenId }, { cookie: bob })).json()).toMatchObject({ valid: true, uid: 'alice', realm: '/alpha' })
    expect(await (await post('/sessions?_action=validate', { tokenId: 'unknown' }, { cookie: bob })).json()).toEqual({ valid: false })
    // getSessionInfo: maxIdleExpirationTime is there, and times carry no fraction of a second.
    const info = (await (await post('/sessions?_action=getSessionInfo', { tokenId })).json()) as Record<string, string>
    const SECOND = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/
    for (const field of ['latestAccessTime', 'maxIdleExpirationTime', 'maxSessionExpirationTime']) expect(info[field]).toMatch(SECOND)
    expect(Date.parse(info.maxIdleExpirationTime!)).toBeLessThanOrEqual(Date.parse(info.maxSessionExpirationTime!))
    expect(await (await post('/sessions?_action=getSessionInfoAndResetIdleTime', { tokenId })).json()).toEqual({
      ...info,
      latestAccessTime: expect.toBeOneOf([info.latestAccessTime, new Date(Date.parse(info.latestAccessTime!) + 1000).toISOString().replace('.000', '')]),
      maxIdleExpirationTime: expect.toBeOneOf([info.maxIdleExpirationTime, new Date(Date.parse(info.maxIdleExpirationTime!) + 1000).toISOString().replace('.000', '')]),
    })
    // refresh answers the timeouts: idle and left in seconds, the maximums in minutes.
    await h.advance(60)
    const refreshed = await post('/sessions?_action=refresh', { tokenId }, { cookie: bob })
    expect([refreshed.status, await refreshed.json()]).toEqual([200, { uid: 'alice', realm: '/alpha', idletime: 0, maxidletime: 480, maxsessiontime: 480, maxtime: secondsLeft(h, 8 * 3600 - 60, signedIn) }])
    expect((await post('/sessions?_action=refresh', { tokenId: 'unknown' })).status).toBe(401)
    // AM's SessionResource refuses an action it lacks with CREST's NotSupportedException: 501, not 400.
    for (const action of ['getSessionProperties', 'nope', '']) {
      const refused = await post(`/sessions?_action=${action}`, undefined, { cookie: bob })
      expect([refused.status, await refused.json()]).toEqual([501, { code: 501, reason: 'Not Implemented', message: `Action ${action} not implemented for this resource` }])
    }
    // AM finds actions in a case-insensitive map.
    expect(await (await post('/sessions?_action=GETSESSIONINFO', { tokenId })).json()).toMatchObject({ username: 'alice' })
    // logout takes tokenId too (an administrator ending another's session); a token that is not live is AM's 'Token has expired'.
    const out = await post('/sessions?_action=logout', { tokenId }, { cookie: bob })
    expect([out.status, await out.json()]).toEqual([200, { result: 'Successfully logged out' }])
    expect(out.headers.getSetCookie()).toEqual([]) // bob's own cookie stays
    expect(await (await post('/sessions?_action=validate', { tokenId })).json()).toEqual({ valid: false })
    expect(await (await post('/sessions?_action=validate', undefined, { cookie: bob })).json()).toMatchObject({ valid: true, uid: 'bob' })
    const again = await post('/sessions?_action=logout', { tokenId })
    expect([again.status, await again.json()]).toEqual([200, { result: 'Token has expired' }])
  })

  it('users?_action=idFromSession names the session’s user as AM’s IdentityResource does; no session is its 403', async () => {
    const res = await post('/authenticate', undefined, { 'x-openam-username': ALICE.username, 'x-openam-password': ALICE.password })
    const { tokenId } = (await res.json()) as { tokenId: string }
    const cookie = sessionCookie(res)
    const ID = { id: 'alice', realm: '/alpha', dn: 'id=alice,ou=user,o=alpha,ou=services,ou=am-config', successURL: '/console', fullLoginURL: '/login?realm=%2Falpha' }
    const byCookie = await post('/users?_action=idFromSession', undefined, { cookie })
    expect([byCookie.status, await byCookie.json()]).toEqual([200, ID])
    expect(await (await post('/users?_action=idFromSession', undefined, { iPlanetDirectoryPro: tokenId })).json()).toEqual(ID)
    const other = await post('/users?_action=create', {}, { cookie })
    expect([other.status, ((await other.json()) as { message: string }).message]).toEqual([501, 'Action create not implemented for this resource'])
    await post('/sessions?_action=logout', undefined, { cookie })
    const gone = await post('/users?_action=idFromSession', undefined, { cookie })
    expect([gone.status, await gone.json()]).toEqual([403, { code: 403, reason: 'Forbidden', message: 'SSO Token cannot be retrieved.' }])
  })

  it('under json/ an unknown resource or realm is AM’s 404 { code, reason, message } too, as every other error there', async () => {
    const NOT_FOUND = { code: 404, reason: 'Not Found' }
    const resource = await post('/groups?_queryFilter=true')
    expect([resource.status, await resource.json()]).toEqual([404, expect.objectContaining(NOT_FOUND)])
    const realm = await h.fetch(`${h.origin}/json/realms/root/realms/nope/authenticate`, { method: 'POST' })
    expect([realm.status, await realm.json()]).toEqual([404, { ...NOT_FOUND, message: "Realm '/nope' does not exist" }])
    // Outside json/ the OAuth shape stays.
    expect(await (await h.fetch(`${h.origin}/oauth2/realms/root/realms/nope/authorize`)).json()).toMatchObject({ error: 'not_found' })
  })

  it('a wrong password is AM’s 401 Login failure', async () => {
    const res = await answer('Login', await start('Login'), ALICE.username, 'nope')
    expect(res.status).toBe(401)
    expect(await res.json()).toEqual({ code: 401, reason: 'Unauthorized', message: 'Login failure', detail: { failureUrl: '' } })
    expect(res.headers.getSetCookie()).toEqual([])
  })

  it('TOTP: a wrong code retries, the right one signs in; the ID token says acr mfa, amr pwd and otp', async () => {
    const first = await start('Mfa')
    expect(first).toMatchObject({ header: 'Sign in', stage: 'one' })
    const otp = (await (await answer('Mfa', first, ALICE.username, ALICE.password)).json()) as Step
    expect(otp.callbacks).toMatchObject([{ type: 'PasswordCallback', output: [{ name: 'prompt', value: 'One-time password' }] }])
    const wrong = wrongTotp(SECRET, h.now())
    const again = (await (await answer('Mfa', otp, wrong)).json()) as Step
    expect(again.callbacks.map((c) => c.type)).toEqual(['NameCallback', 'PasswordCallback'])
    const otp2 = (await (await answer('Mfa', again, ALICE.username, ALICE.password)).json()) as Step
    const done = await answer('Mfa', otp2, totp(SECRET, h.now()))
    expect(done.status).toBe(200)
    const cookie = sessionCookie(done)
    // The session signs authorize in; asking for acr mfa is satisfied by it.
    const iss = h.issuer()
    const q = new URLSearchParams({ client_id: WEB.client_id, redirect_uri: WEB.redirect_uri, response_type: 'code', scope: 'openid', acr_values: 'mfa' })
    const authz = await h.fetch(`${iss}/authorize?${q}`, { headers: { cookie } })
    const code = new URL(authz.headers.get('location')!).searchParams.get('code')!
    const tokens = (await (await h.fetch(`${iss}/access_token`, withAuth(form({ grant_type: 'authorization_code', code, redirect_uri: WEB.redirect_uri })))).json()) as { id_token: string }
    expect(claims(tokens.id_token)).toMatchObject({ sub: 'alice', acr: 'mfa', amr: ['pwd', 'otp'] })
    const discovery = (await (await h.fetch(`${iss}/.well-known/openid-configuration`)).json()) as Record<string, string[]>
    expect(discovery.acr_values_supported).toEqual(['mfa'])
    expect(discovery.claims_supported).toEqual(expect.arrayContaining(['acr', 'amr']))
  })

  it('a choice and a message decide the path', async () => {
    const how = await start('Pick')
    expect(how.callbacks[0]).toMatchObject({ type: 'ChoiceCallback', output: [{ name: 'prompt', value: 'How?' }, { name: 'choices', value: ['password', 'message'] }, { name: 'defaultChoice', value: 0 }] })
    const hello = (await (await answer('Pick', how, 1)).json()) as Step
    expect(hello.callbacks.map((c) => c.type)).toEqual(['TextOutputCallback', 'ConfirmationCallback'])
    expect(hello.callbacks[0]!.output).toContainEqual({ name: 'message', value: 'Hello there' })
    expect((await answer('Pick', hello, 1)).status).toBe(401)
    const hello2 = (await (await answer('Pick', await start('Pick'), 1)).json()) as Step
    const creds = (await (await answer('Pick', hello2, 0)).json()) as Step
    expect((await answer('Pick', creds, 'bob', 'Bu1lder-bob')).status).toBe(200)
    // An index out of range is bad input: 400, and the step can still be answered.
    const how2 = await start('Pick')
    const bad = await answer('Pick', how2, 7)
    expect(bad.status).toBe(400)
    expect(await bad.json()).toMatchObject({ code: 400, reason: 'Bad Request' })
    expect((await answer('Pick', how2, 0)).status).toBe(200)
  })

  it('a HiddenValue node sends AM’s HiddenValueCallback; its answer must be a string and is taken back', async () => {
    const step = await start('Device')
    expect(step.callbacks[0]).toEqual({
      type: 'HiddenValueCallback',
      output: [{ name: 'value', value: 'nonce-1' }, { name: 'id', value: 'clientScriptOutputData' }],
      input: [{ name: 'IDToken1', value: 'clientScriptOutputData' }],
      _id: 0,
    })
    expect(step.callbacks.map((c) => c.input![0]!.name)).toEqual(['IDToken1', 'IDToken2', 'IDToken3'])
    const bad = await answer('Device', step, { os: 'linux' }, 'bob', 'Bu1lder-bob')
    expect(bad.status).toBe(400)
    expect(await bad.json()).toMatchObject({ code: 400, reason: 'Bad Request' })
    expect((await answer('Device', step, '{"os":"linux"}', 'bob', 'Bu1lder-bob')).status).toBe(200)
    // The zero-page login answers it with what was sent.
    const zero = await post('/authenticate?authIndexType=service&authIndexValue=Device', undefined, { 'x-openam-username': 'bob', 'x-openam-password': 'Bu1lder-bob' })
    expect(zero.status).toBe(200)
  })

  it('the sign-in page renders a HiddenValueCallback as a hidden input under AM’s element id', async () => {
    const b = new Browser(h)
    const html = await (await b.get(`${h.origin}/login?realm=/alpha&service=Device`)).text()
    expect(html).toContain('<input type="hidden" id="clientScriptOutputData" name="IDToken1" value="clientScriptOutputData">')
    const f = parseForm(html)
    const done = await b.post(new URL(f.action, h.origin).href, { ...f.fields, IDToken1: 'filled by a script', username: 'bob', password: 'Bu1lder-bob' })
    expect(done.status).toBe(200)
    expect(await done.text()).toContain('You are signed in as bob.')
  })

  it('the retry limit locks the account for a while after three failures', async () => {
    let step = await start('Mfa')
    for (let i = 0; i < 2; i++) step = (await (await answer('Mfa', step, 'bob', 'wrong')).json()) as Step
    const locked = await answer('Mfa', step, 'bob', 'wrong')
    expect(locked.status).toBe(401)
    // The right password does not help while locked, nor does the Login journey.
    expect((await answer('Mfa', await start('Mfa'), 'bob', 'Bu1lder-bob')).status).toBe(401)
    expect((await answer('Login', await start('Login'), 'bob', 'Bu1lder-bob')).status).toBe(401)
    await h.advance(601)
    expect((await answer('Login', await start('Login'), 'bob', 'Bu1lder-bob')).status).toBe(200)
  })

  it('ten wrong passwords at once, with a limit of three, lock the account', async () => {
    const steps = await Promise.all(Array.from({ length: 10 }, () => start('Mfa')))
    const results = await Promise.all(steps.map((step) => answer('Mfa', step, CAROL.username, 'wrong')))
    const statuses = results.map((r) => r.status)
    // At most the first two failures may be told to retry; the rest see the limit reached.
    expect(statuses.filter((s) => s === 200).length).toBeLessThanOrEqual(2)
    expect(statuses.filter((s) => s === 401).length).toBeGreaterThanOrEqual(8)
    expect((await answer('Login', await start('Login'), CAROL.username, CAROL.password)).status).toBe(401)
    await h.advance(601)
    expect((await answer('Login', await start('Login'), CAROL.username, CAROL.password)).status).toBe(200)
  })

  it('a user name cannot reach into another user’s failures', async () => {
    // `carol\n` and the like count apart from carol: however often they fail, carol is not locked.
    for (const name of ['carol\n', 'carol\n\n', 'carol%0A']) {
      let step = await start('Mfa')
      for (let i = 0; i < 2; i++) step = (await (await answer('Mfa', step, name, 'wrong')).json()) as Step
    }
    let step = await start('Mfa')
    for (let i = 0; i < 2; i++) step = (await (await answer('Mfa', step, CAROL.username, 'wrong')).json()) as Step
    const otp = await answer('Mfa', step, CAROL.username, CAROL.password)
    expect(otp.status).toBe(200)
    expect(((await otp.json()) as Step).callbacks.map((c) => c.type)).toEqual(['PasswordCallback'])
  })

  it('a successful journey forgets the failures before it', async () => {
    let step = await start('Mfa')
    for (let i = 0; i < 2; i++) step = (await (await answer('Mfa', step, 'bob', 'wrong')).json()) as Step
    expect((await answer('Login', await start('Login'), 'bob', 'Bu1lder-bob')).status).toBe(200)
    // Counted on from two, the first failure now would lock the account; it asks again instead.
    step = await start('Mfa')
    for (let i = 0; i < 2; i++) {
      const res = await answer('Mfa', step, 'bob', 'wrong')
      expect(res.status).toBe(200)
      step = (await res.json()) as Step
    }
  })

  it('an authId is good for one step, until it expires, and only as issued', async () => {
    const step = await start('Login')
    await h.advance(301)
    const expired = await answer('Login', step, ALICE.username, ALICE.password)
    expect(expired.status).toBe(401)
    // AM's exact answer: errorCode 110 is what apps read to start the journey again.
    const TIMED_OUT = { code: 401, reason: 'Unauthorized', message: 'Session has timed out', detail: { errorCode: '110' } }
    expect(await expired.json()).toEqual(TIMED_OUT)
    const fresh = await start('Login')
    const tampered = { ...fresh, authId: fresh.authId.slice(0, -2) + (fresh.authId.endsWith('AA') ? 'BB' : 'AA') }
    const refused = await answer('Login', tampered, ALICE.username, ALICE.password)
    expect([refused.status, await refused.json()]).toEqual([401, TIMED_OUT])
    const madeUp = await answer('Login', { ...fresh, authId: 'made-up' }, ALICE.username, ALICE.password)
    expect([madeUp.status, await madeUp.json()]).toEqual([401, TIMED_OUT])
    expect((await answer('Login', fresh, ALICE.username, ALICE.password)).status).toBe(200)
    const spent = await answer('Login', fresh, ALICE.username, ALICE.password)
    expect([spent.status, await spent.json()]).toEqual([401, TIMED_OUT])
  })

  it('the zero-page login still answers tokenId; a tree that is not there is 400', async () => {
    const res = await post('/authenticate', undefined, { 'x-openam-username': ALICE.username, 'x-openam-password': ALICE.password })
    expect(res.status).toBe(200)
    expect((await res.json()) as { tokenId: string }).toHaveProperty('tokenId')
    const none = await post('/authenticate?authIndexType=service&authIndexValue=Nope')
    expect(none.status).toBe(400)
    // AM's "Authenticate endpoints": authIndexType=service without authIndexValue is the default journey.
    const fallback = (await (await post('/authenticate?authIndexType=service')).json()) as Step
    expect(fallback.callbacks.map((c) => c.type)).toEqual(['NameCallback', 'PasswordCallback'])
  })

  it('noSession=true checks the credentials and starts no session: no tokenId, no cookie', async () => {
    // AM's "Authenticate endpoint parameters", noSession: the answer is { successUrl, realm } alone.
    const DONE = { successUrl: '/console', realm: '/alpha' }
    const zeroPage = await post('/authenticate?noSession=true', undefined, { 'x-openam-username': ALICE.username, 'x-openam-password': ALICE.password })
    expect([zeroPage.status, await zeroPage.json(), zeroPage.headers.getSetCookie()]).toEqual([200, DONE, []])
    const step = await start('Login')
    const done = await post('/authenticate?authIndexType=service&authIndexValue=Login&noSession=true', {
      ...step,
      callbacks: step.callbacks.map((c, i) => ({ ...c, input: c.input!.map((inp) => ({ ...inp, value: [CAROL.username, CAROL.password][i] })) })),
    })
    expect([done.status, await done.json(), done.headers.getSetCookie()]).toEqual([200, DONE, []])
    const wrong = await post('/authenticate?noSession=true', undefined, { 'x-openam-username': ALICE.username, 'x-openam-password': 'nope' })
    expect(wrong.status).toBe(401)
  })

  it('the sign-in page runs the journey authorize?service= names, one form per step', async () => {
    const b = new Browser(h)
    const iss = h.issuer()
    const q = new URLSearchParams({ client_id: WEB.client_id, redirect_uri: WEB.redirect_uri, response_type: 'code', scope: 'openid', service: 'Mfa' })
    const first = await b.get(`${iss}/authorize?${q}`)
    const login = new URL(first.headers.get('location')!)
    expect(login.searchParams.get('service')).toBe('Mfa')
    const page1 = parseForm(await (await b.get(login.href)).text())
    const page2res = await b.post(new URL(page1.action, h.origin).href, { ...page1.fields, username: ALICE.username, password: ALICE.password })
    const html2 = await page2res.text()
    expect(html2).toContain('One-time password')
    const page2 = parseForm(html2)
    const signedIn = await b.post(new URL(page2.action, h.origin).href, { ...page2.fields, password: totp(SECRET, h.now()) })
    expect(signedIn.status).toBe(302)
    const back = await b.get(signedIn.headers.get('location')!)
    const code = new URL(back.headers.get('location')!).searchParams.get('code')!
    const tokens = (await (await h.fetch(`${iss}/access_token`, withAuth(form({ grant_type: 'authorization_code', code, redirect_uri: WEB.redirect_uri })))).json()) as { id_token: string }
    expect(claims(tokens.id_token)).toMatchObject({ acr: 'mfa', amr: ['pwd', 'otp'] })
  })

  it('the sign-in page shows choices and message buttons, and a session from Login does not satisfy service=Mfa', async () => {
    const b = new Browser(h)
    const pick = await (await b.get(`${h.origin}/login?realm=/alpha&service=Pick`)).text()
    expect(pick).toMatch(/type="radio" name="IDToken1" value="1"/)
    const f = parseForm(pick)
    const msg = await (await b.post(new URL(f.action, h.origin).href, { ...f.fields, IDToken1: '1' })).text()
    expect(msg).toContain('Hello there')
    expect(msg).toMatch(/<button type="submit" name="IDToken1" value="1">Stop<\/button>/)
    const plain = new Browser(h)
    const iss = h.issuer()
    const q = (service?: string) => new URLSearchParams({ client_id: WEB.client_id, redirect_uri: WEB.redirect_uri, response_type: 'code', scope: 'openid', ...(service && { service }) })
    const l = parseForm(await (await plain.get(new URL((await plain.get(`${iss}/authorize?${q()}`)).headers.get('location')!).href)).text())
    const ok = await plain.post(new URL(l.action, h.origin).href, { ...l.fields, username: 'bob', password: 'Bu1lder-bob' })
    expect(ok.status).toBe(302)
    const again = await plain.get(`${iss}/authorize?${q('Mfa')}`)
    expect(new URL(again.headers.get('location')!).pathname).toBe('/login')
  })

  it('CORS on /json answers a registered origin with credentials and the headers the SDK sends', async () => {
    const origin = 'https://web.example'
    const pre = await h.fetch(`${h.origin}${base}/authenticate`, {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'accept-api-version,x-requested-with,content-type' },
    })
    expect(pre.headers.get('access-control-allow-origin')).toBe(origin)
    expect(pre.headers.get('access-control-allow-credentials')).toBe('true')
    expect(pre.headers.get('access-control-allow-headers')).toMatch(/accept-api-version.*x-requested-with/)
    const res = await post('/authenticate', undefined, { origin })
    expect(res.headers.get('access-control-allow-origin')).toBe(origin)
    expect(res.headers.get('access-control-allow-credentials')).toBe('true')
    expect((await post('/authenticate', undefined, { origin: 'https://evil.example' })).headers.get('access-control-allow-origin')).toBeNull()
  })

  it("CORS allows AM's own request headers: the zero-page login's credentials and the SSO token in a header named like the cookie", async () => {
    const origin = 'https://web.example'
    const asked = ['accept-api-version', 'x-requested-with', 'content-type', 'x-openam-username', 'x-openam-password', 'iplanetdirectorypro']
    for (const path of ['/authenticate', '/sessions']) {
      const pre = await h.fetch(`${h.origin}${base}${path}`, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': asked.join(',') },
      })
      const allowed = pre.headers.get('access-control-allow-headers')!.split(',').map((n) => n.trim())
      expect(asked.filter((n) => !allowed.includes(n)), path).toEqual([])
    }
    // The calls those preflights let through, cross-origin: sign in from headers, then ask about the session by header.
    const signedIn = await post('/authenticate', undefined, { origin, 'x-openam-username': ALICE.username, 'x-openam-password': ALICE.password })
    expect(signedIn.headers.get('access-control-allow-origin')).toBe(origin)
    const { tokenId } = (await signedIn.json()) as { tokenId: string }
    const info = await post('/sessions?_action=getSessionInfo', undefined, { origin, iPlanetDirectoryPro: tokenId })
    expect([info.status, info.headers.get('access-control-allow-origin')]).toEqual([200, origin])
    expect(await info.json()).toMatchObject({ username: ALICE.username })
  })

  it('serverinfo/* names the session cookie, as AM tells clients that look for it before they have one', async () => {
    // ForgeRock's Node.js agent (AmClient.getServerInfo) reads cookieName here; the fields are AM's ServerInfoResource's.
    const res = await h.fetch(`${h.origin}${base}/serverinfo/*`, { headers: { origin: 'https://web.example' } })
    expect(res.status).toBe(200)
    expect(res.headers.get('access-control-allow-origin')).toBe('https://web.example')
    // The provider's cookie has no Domain attribute, and is Secure only over HTTPS (as the harness's origin says).
    expect(await res.json()).toEqual({ _id: '*', domains: [], cookieName: 'iPlanetDirectoryPro', secureCookie: h.origin.startsWith('https:'), realm: '/alpha' })
    expect(await (await h.fetch(`${h.origin}${base}/serverinfo/cookieDomains`)).json()).toEqual({ _id: 'cookieDomains', domains: [] })
    // Agents ask at the root (json/serverinfo/*); AM's root realm always exists, so it answers though none is configured here.
    expect(await (await h.fetch(`${h.origin}/json/serverinfo/*`)).json()).toMatchObject({ cookieName: 'iPlanetDirectoryPro', realm: '/' })
    const post = await h.fetch(`${h.origin}${base}/serverinfo/*`, { method: 'POST' })
    expect([post.status, ((await post.json()) as { code: number }).code]).toEqual([405, 405])
  })

  it('CORS allows the SSO token header under the cookie name the provider is configured with', async () => {
    const other = await startHarness(mode, { ...CONFIG, cookie_name: 'AlphaSSO' })
    try {
      const pre = await other.fetch(`${other.origin}${base}/sessions`, {
        method: 'OPTIONS',
        headers: { origin: 'https://web.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'alphasso' },
      })
      expect(pre.headers.get('access-control-allow-headers')!.split(', ')).toContain('alphasso')
      expect(await (await other.fetch(`${other.origin}${base}/serverinfo/*`)).json()).toMatchObject({ cookieName: 'AlphaSSO' })
    } finally {
      await other.close()
    }
  })
})

function withAuth(init: RequestInit): RequestInit {
  return { ...init, headers: { ...(init.headers as Record<string, string>), authorization: basic(WEB.client_id, WEB.client_secret) } }
}

describe('journey config is checked at start', () => {
  const withJourney = (journey: unknown) => ({ realms: [{ name: 'alpha', journeys: { Bad: journey } }] }) as unknown as ProviderConfig
  const field = (config: ProviderConfig) => {
    try {
      createProvider(config)
    } catch (e) {
      if (e instanceof ConfigError) return e.field
      throw e
    }
    return undefined
  }
  const ok = { type: 'Success' }
  it('refuses unknown node types, missing and unknown outcomes, dangling targets and unreachable nodes, naming the field', () => {
    expect(field(withJourney({ entry: 'a', nodes: { a: { type: 'Teleport' } } }))).toBe('realms[0].journeys.Bad.nodes.a.type')
    expect(field(withJourney({ entry: 'a', nodes: { a: { type: 'DataStoreDecision', outcomes: { true: 'ok' } }, ok } }))).toBe('realms[0].journeys.Bad.nodes.a.outcomes.false')
    expect(field(withJourney({ entry: 'a', nodes: { a: { type: 'UsernameCollector', outcomes: { outcome: 'ok', maybe: 'ok' } }, ok } }))).toBe('realms[0].journeys.Bad.nodes.a.outcomes.maybe')
    expect(field(withJourney({ entry: 'a', nodes: { a: { type: 'UsernameCollector', outcomes: { outcome: 'nowhere' } }, ok } }))).toBe('realms[0].journeys.Bad.nodes.a.outcomes.outcome')
    expect(field(withJourney({ entry: 'a', nodes: { a: { type: 'UsernameCollector', outcomes: { outcome: 'ok' } }, ok, lost: { type: 'Failure' } } }))).toBe('realms[0].journeys.Bad.nodes.lost')
    expect(field(withJourney({ entry: 'a', nodes: { a: { type: 'Page', nodes: [{ type: 'Teleport' }], outcomes: {} }, ok } }))).toBe('realms[0].journeys.Bad.nodes.a.nodes[0].type')
    expect(field(withJourney({ entry: 'a', nodes: { a: { type: 'RetryLimit', outcomes: { retry: 'ok', reject: 'ok' } }, ok } }))).toBe('realms[0].journeys.Bad.nodes.a.limit')
    expect(field({ realms: [{ name: 'alpha', users: [{ username: 'u', password: 'p', totp_secret: 'not base32!' }] }] })).toBe('realms[0].users[0].totp_secret')
    expect(field(withJourney({ entry: 'a', nodes: { a: { type: 'UsernameCollector', outcomes: { outcome: 'ok' } }, ok } }))).toBeUndefined()
  })

  it('refuses a node field its type does not have (a typo is never silent), naming the field', () => {
    const retry = { type: 'RetryLimit', limit: 3, outcomes: { retry: 'ok', reject: 'ok' } }
    const refusal = (journey: unknown) => {
      try {
        createProvider(withJourney(journey))
      } catch (e) {
        if (e instanceof ConfigError) return `${e.field}: ${e.message}`
        throw e
      }
      return 'accepted'
    }
    expect(refusal({ entry: 'a', nodes: { a: { ...retry, lockoutSeconds: 600 }, ok } })).toMatch(/^realms\[0\]\.journeys\.Bad\.nodes\.a\.lockoutSeconds: .*is not a known setting/)
    expect(field(withJourney({ entry: 'a', nodes: { a: { type: 'Message', message: 'Hi', positve: 'Go', outcomes: { true: 'ok' } }, ok } }))).toBe('realms[0].journeys.Bad.nodes.a.positve')
    // A setting of another node type is refused too: a DataStoreDecision has no limit.
    expect(field(withJourney({ entry: 'a', nodes: { a: { type: 'DataStoreDecision', limit: 3, outcomes: { true: 'ok', false: 'ok' } }, ok } }))).toBe('realms[0].journeys.Bad.nodes.a.limit')
    // Inside a Page: a collector's own typo, and outcomes, which only the Page has.
    const page = (child: object) => ({ entry: 'a', nodes: { a: { type: 'Page', nodes: [child], outcomes: { outcome: 'ok' } }, ok } })
    expect(field(withJourney(page({ type: 'UsernameCollector', label: 'Name' })))).toBe('realms[0].journeys.Bad.nodes.a.nodes[0].label')
    expect(field(withJourney(page({ type: 'UsernameCollector', outcomes: { outcome: 'ok' } })))).toBe('realms[0].journeys.Bad.nodes.a.nodes[0].outcomes')
    expect(field(withJourney({ entry: 'a', nodes: { a: { type: 'Page', header: 7, nodes: [{ type: 'UsernameCollector' }], outcomes: { outcome: 'ok' } }, ok } }))).toBe('realms[0].journeys.Bad.nodes.a.header')
    expect(field(withJourney({ entry: 'a', nodes: { a: { ...retry, lockout_seconds: 600 }, ok: { type: 'Success', color: 'green' } } }))).toBe('realms[0].journeys.Bad.nodes.ok.color')
    // Every field of every node type in this file's journeys is still accepted.
    expect(field(CONFIG)).toBeUndefined()
  })
})

/** A MemoryStore whose reads of Lockout records wait until `width` of them are pending, `rounds` times: the worst interleaving. */
class LockstepStore extends MemoryStore {
  private waiting: (() => void)[] = []
  constructor(
    private readonly width: number,
    private rounds: number,
  ) {
    super()
  }
  override async find<P extends Record<string, unknown>>(kind: Parameters<MemoryStore['find']>[0], id: string) {
    if (kind === 'Lockout' && this.rounds > 0) {
      await new Promise<void>((resolve) => {
        this.waiting.push(resolve)
        if (this.waiting.length === this.width) {
          this.rounds--
          this.waiting.splice(0).forEach((r) => r())
        }
      })
    }
    return super.find<P>(kind, id)
  }
}

describe('the retry limit under concurrent failures', () => {
  it('counts every one of ten failures that read the count at the same moment', async () => {
    // One round: the Retry Limit's read (a wrong password skips the Data Store Decision's lock check).
    const provider = createProvider({ ...CONFIG, store: new LockstepStore(10, 1) })
    const url = 'http://idp.local/json/realms/root/realms/alpha/authenticate'
    const post = (query: string, body?: string) =>
      provider.fetch(new Request(url + query, { method: 'POST', headers: { 'content-type': 'application/json' }, ...(body !== undefined && { body }) }))
    const fill = (step: Step, ...values: string[]) =>
      JSON.stringify({ ...step, callbacks: step.callbacks.map((c, i) => ({ ...c, input: [{ ...c.input![0]!, value: values[i] }] })) })
    const steps = await Promise.all(Array.from({ length: 10 }, async () => (await (await post('?authIndexType=service&authIndexValue=Mfa')).json()) as Step))
    const statuses = (await Promise.all(steps.map((step) => post('?authIndexType=service&authIndexValue=Mfa', fill(step, CAROL.username, 'wrong'))))).map((r) => r.status)
    expect(statuses.filter((s) => s === 401).length).toBeGreaterThanOrEqual(8)
    const login = (await (await post('')).json()) as Step
    expect((await post('', fill(login, CAROL.username, CAROL.password))).status).toBe(401)
  })
})

describe('journeys across provider instances', () => {
  it('a step started on one instance is answered on another sharing the store, once', async () => {
    const store = new MemoryStore()
    const [a, b] = [createProvider({ ...CONFIG, store }), createProvider({ ...CONFIG, store })]
    const url = 'http://idp.local/json/realms/root/realms/alpha/authenticate'
    const step = (await (await a.fetch(new Request(url, { method: 'POST' }))).json()) as Step
    const body = JSON.stringify({
      ...step,
      callbacks: step.callbacks.map((c, i) => ({ ...c, input: [{ ...c.input![0]!, value: i === 0 ? 'bob' : 'Bu1lder-bob' }] })),
    })
    const done = await b.fetch(new Request(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body }))
    expect(done.status).toBe(200)
    expect((await a.fetch(new Request(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body }))).status).toBe(401)
  })
})
