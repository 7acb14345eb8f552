/**
 * AM journeys through core's JourneyClient against the provider's journeys:
 * in process through msw and over HTTP on loopback.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { JourneyClient, toJourneyCallback } from '@realmauth/core'
import { CLIENT_MODES, type ClientMode, type ProviderUnderTest } from './providerHarness.js'
import { AUTH_ID_LIFETIME_S, LOCKOUT_S, RETRY_LIMIT, TOTP_SECRET, startJourneyProvider, totp } from './journeyProvider.js'
import { asStep, code, credentials, rejection } from './journeySteps.js'

const APP = 'http://127.0.0.1:5173'

/** A provider with journeys for one describe block (a lockout there stays there). */
function withJourneys(mode: ClientMode): { p: ProviderUnderTest; journeys: JourneyClient } {
  const ctx = {} as { p: ProviderUnderTest; journeys: JourneyClient }
  beforeAll(async () => {
    ctx.p = await startJourneyProvider(mode, APP)
    ctx.journeys = new JourneyClient({ issuer: ctx.p.issuer(), fetch: ctx.p.fetch })
  })
  afterAll(() => ctx.p.close())
  return ctx
}

describe.each(CLIENT_MODES)('journeys (%s)', (mode) => {
  const ctx = withJourneys(mode)

  it('Login: a page of typed callbacks, then a session', async () => {
    const step = asStep(await ctx.journeys.start('Login'))
    expect(step.callbacks.map((cb) => [cb.kind, cb.type])).toEqual([['name', 'NameCallback'], ['password', 'PasswordCallback']])
    const [name, password] = step.callbacks
    expect(name?.kind === 'name' && name.prompt).toBe('User Name')
    expect(password?.kind === 'password' && password.prompt).toBe('Password')
    expect(step.payload.callbacks.map((cb) => cb.input?.[0]?.name)).toEqual(['IDToken1', 'IDToken2'])
    const result = await ctx.journeys.next(credentials(step))
    expect(result).toMatchObject({ type: 'success', realm: '/alpha' })
    expect(result.type === 'success' && result.sessionToken).toMatch(/.{20,}/)
  })

  it('a HiddenValueCallback is read and answered through its class', async () => {
    const step = asStep(await ctx.journeys.start('Device'))
    const hidden = step.callbacks[0]
    if (hidden?.kind !== 'hidden') throw new Error(`expected a hidden value, got ${hidden?.kind}`)
    expect([hidden.id, hidden.value]).toEqual(['clientScriptOutputData', 'nonce-1'])
    hidden.setValue('{"platform":"test"}')
    expect(await ctx.journeys.next(credentials(step))).toMatchObject({ type: 'success' })
  })

  it('a wrong password fails with journey_failed and AM\'s message', async () => {
    const err = await rejection(ctx.journeys.next(credentials(asStep(await ctx.journeys.start('Login')), 'wrong')))
    expect(err).toMatchObject({ code: 'journey_failed', status: 401, error_description: 'Login failure', needsUser: true, retryable: false })
  })

  it('MFA: a TOTP step after the password; a wrong code goes back to the first page, user name kept', async () => {
    const first = asStep(await ctx.journeys.start('MFA'))
    expect([first.header, first.stage]).toEqual(['Sign in', 'UsernamePassword'])
    const otpStep = asStep(await ctx.journeys.next(credentials(first)))
    expect(otpStep.stage).toBe('OneTimePassword')
    expect(otpStep.callbacks.map((cb) => cb.kind === 'password' && cb.prompt)).toEqual(['One-time password'])
    const again = asStep(await ctx.journeys.next(code(otpStep, '000000')))
    expect(again.stage).toBe('UsernamePassword')
    expect(again.callbacks[0]?.input()).toBe('demo')
    const otp2 = asStep(await ctx.journeys.next(credentials(again)))
    const result = await ctx.journeys.next(code(otp2, totp(TOTP_SECRET, ctx.p.clock.now)))
    expect(result.type).toBe('success')
  })

  it('an answer out of range is refused (oauth_error, 400) and the step can still be answered', async () => {
    const choice = asStep(await ctx.journeys.start('Choose'))
    choice.payload.callbacks[0]!.input![0]!.value = 7
    expect(await rejection(ctx.journeys.next(choice))).toMatchObject({ code: 'oauth_error', error: 'invalid_request', status: 400, retryable: false })
    const cb = choice.callbacks[0]
    if (cb?.kind !== 'choice') throw new Error('expected a choice')
    cb.choose('Password')
    expect(asStep(await ctx.journeys.next(choice)).stage).toBe('UsernamePassword')
    expect(await rejection(ctx.journeys.start('Nope'))).toMatchObject({ code: 'oauth_error', status: 400, error_description: "No journey named 'Nope' in this realm" })
  })

  it('a choice leads to the branch picked', async () => {
    const choice = asStep(await ctx.journeys.start('Choose'))
    const cb = choice.callbacks[0]
    if (cb?.kind !== 'choice') throw new Error('expected a choice')
    expect([cb.prompt, cb.choices, cb.defaultChoice]).toEqual(['How do you want to sign in?', ['Password', 'Password and code'], 0])
    expect(() => cb.choose('Carrier pigeon')).toThrow(RangeError)
    cb.choose('Password and code')
    const otpStep = asStep(await ctx.journeys.next(credentials(asStep(await ctx.journeys.next(choice)))))
    expect(otpStep.stage).toBe('OneTimePassword')
  })

  it('lockout: the retry limit locks the account; the provider words it as any failure, so journey_failed', async () => {
    // Runs last against this provider's user: the lock stays until the clock moves on.
    let step = asStep(await ctx.journeys.start('MFA'))
    for (let i = 1; i < RETRY_LIMIT; i++) step = asStep(await ctx.journeys.next(code(asStep(await ctx.journeys.next(credentials(step))), '000000')))
    const locked = await rejection(ctx.journeys.next(credentials(step, 'wrong')))
    expect(locked).toMatchObject({ code: 'journey_failed', status: 401, error_description: 'Login failure' })
    const again = await rejection(ctx.journeys.next(credentials(asStep(await ctx.journeys.start('Login')))))
    expect(again.code).toBe('journey_failed')
    ctx.p.clock.advance(LOCKOUT_S + 1)
    expect((await ctx.journeys.next(credentials(asStep(await ctx.journeys.start('Login'))))).type).toBe('success')
  })
})

describe.each(CLIENT_MODES)('journey steps that cannot be resumed (%s)', (mode) => {
  const ctx = withJourneys(mode)

  it('an expired authId fails with journey_expired; a new journey works', async () => {
    const step = credentials(asStep(await ctx.journeys.start('Login')))
    ctx.p.clock.advance(AUTH_ID_LIFETIME_S + 1)
    const err = await rejection(ctx.journeys.next(step))
    expect(err).toMatchObject({ code: 'journey_expired', status: 401, error_description: 'Session has timed out', needsUser: true })
    expect((await ctx.journeys.next(credentials(asStep(await ctx.journeys.start('Login'))))).type).toBe('success')
  })

  it('a tampered or replayed authId fails with journey_expired, as the provider words both', async () => {
    const step = credentials(asStep(await ctx.journeys.start('Login')))
    const authId = step.payload.authId
    step.payload.authId = authId.slice(0, -2) + (authId.endsWith('aa') ? 'bb' : 'aa')
    expect(await rejection(ctx.journeys.next(step))).toMatchObject({ code: 'journey_expired', status: 401, error_description: 'Session has timed out' })
    step.payload.authId = authId
    expect((await ctx.journeys.next(step)).type).toBe('success')
    expect((await rejection(ctx.journeys.next(step))).code).toBe('journey_expired')
  })

  it('a 5xx is a retryable server_error; HTML is invalid_response; no answer is network_error', async () => {
    const answering = (response: Response) => new JourneyClient({ issuer: ctx.p.issuer(), fetch: async () => response })
    const down = answering(new Response('{"code":503,"reason":"Service Unavailable","message":"Down"}', { status: 503, headers: { 'content-type': 'application/json' } }))
    expect(await rejection(down.start('Login'))).toMatchObject({ code: 'server_error', retryable: true, status: 503 })
    const html = answering(new Response('<html>proxy login</html>', { headers: { 'content-type': 'text/html' } }))
    expect((await rejection(html.start('Login'))).code).toBe('invalid_response')
    ctx.p.failNetwork()
    expect(await rejection(ctx.journeys.start('Login'))).toMatchObject({ code: 'network_error', retryable: true })
  })

  it("AM's own lockout message is account_locked", async () => {
    const am = new JourneyClient({
      issuer: ctx.p.issuer(),
      fetch: async () => new Response('{"code":401,"reason":"Unauthorized","message":"User Locked Out."}', { status: 401, headers: { 'content-type': 'application/json' } }),
    })
    expect(await rejection(am.start('Login'))).toMatchObject({ code: 'account_locked', status: 401, needsUser: false })
  })
})

describe('callbacks this SDK has no class for stay usable', () => {
  it('reads outputs and answers inputs by position or name', () => {
    const kba = toJourneyCallback({
      type: 'KbaCreateCallback',
      output: [{ name: 'prompt', value: 'Security question' }, { name: 'predefinedQuestions', value: ['Colour?'] }],
      input: [{ name: 'IDToken1question', value: '' }, { name: 'IDToken1answer', value: '' }],
    })
    expect(kba.kind).toBe('other')
    expect(kba.output('predefinedQuestions')).toEqual(['Colour?'])
    kba.setInput('Colour?', 'question')
    kba.setInput('Blue', 1)
    expect(kba.raw.input).toEqual([{ name: 'IDToken1question', value: 'Colour?' }, { name: 'IDToken1answer', value: 'Blue' }])
    expect(() => kba.setInput('x', 5)).toThrow(RangeError)
  })

  it('hidden values and confirmations read naturally', () => {
    const hidden = toJourneyCallback({ type: 'HiddenValueCallback', output: [{ name: 'value', value: 'abc' }, { name: 'id', value: 'clientScriptOutputData' }], input: [{ name: 'IDToken1', value: 'abc' }] })
    const confirm = toJourneyCallback({
      type: 'ConfirmationCallback',
      output: [{ name: 'prompt', value: '' }, { name: 'messageType', value: 0 }, { name: 'options', value: ['Submit', 'Use recovery code'] }, { name: 'optionType', value: -1 }, { name: 'defaultOption', value: 0 }],
      input: [{ name: 'IDToken2', value: 0 }],
    })
    if (hidden.kind !== 'hidden' || confirm.kind !== 'confirmation') throw new Error('wrong kinds')
    expect([hidden.id, hidden.value]).toEqual(['clientScriptOutputData', 'abc'])
    hidden.setValue('device-data')
    confirm.confirm('Use recovery code')
    expect([hidden.input(), confirm.input(), confirm.options, confirm.defaultOption]).toEqual(['device-data', 1, ['Submit', 'Use recovery code'], 0])
  })
})
