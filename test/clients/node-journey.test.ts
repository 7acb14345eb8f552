/**
 * Headless sign-in with @realmauth/node: a journey, then validated tokens from the code flow
 * with prompt=none, against the provider's journeys (msw and HTTP).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createNodeClient, signInWithJourney, tokensForSession } from '@realmauth/node'
import { CLIENT_MODES, type ProviderUnderTest } from './providerHarness.js'
import { TOTP_SECRET, startJourneyProvider, totp } from './journeyProvider.js'
import { code, credentials, rejection } from './journeySteps.js'

const APP = 'http://127.0.0.1:5173'

describe.each(CLIENT_MODES)('headless sign-in with @realmauth/node (%s)', (mode) => {
  let p: ProviderUnderTest
  beforeAll(async () => {
    p = await startJourneyProvider(mode, APP)
  })
  afterAll(() => p.close())
  const client = () => createNodeClient({ issuer: p.issuer(), clientId: 'spa', auth: { method: 'none' }, redirectUri: `${APP}/callback`, fetch: p.fetch, clock: () => p.clock.now })

  it('runs the MFA journey and ends with validated tokens from the code flow with prompt=none', async () => {
    const asked: string[] = []
    const tokens = await signInWithJourney(await client(), {
      journey: 'MFA',
      async answer(step) {
        asked.push(step.stage ?? '')
        if (step.stage === 'OneTimePassword') code(step, totp(TOTP_SECRET, p.clock.now))
        else credentials(step)
      },
    })
    expect(asked).toEqual(['UsernamePassword', 'OneTimePassword'])
    expect(tokens.claims?.sub).toBe('demo')
    expect(tokens.refreshToken).toBeDefined()
    expect(p.count('authorize')).toBe(1)
  })

  it('a journey that fails gets no tokens', async () => {
    const err = await rejection(signInWithJourney(await client(), { answer: (step) => void credentials(step, 'wrong') }))
    expect(err.code).toBe('journey_failed')
  })

  it('a session the provider does not know ends in login_required from prompt=none', async () => {
    const err = await rejection(tokensForSession(await client(), { sessionToken: 'not-a-session' }))
    expect(err).toMatchObject({ code: 'authorization_error', error: 'login_required' })
  })
})

