import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { journeySignIn } from '../../examples/cli-journey/journeySignIn.js'
import { testClock, type ProviderUnderTest } from '../clients/providerHarness.js'
import { JOURNEY_USER, TOTP_SECRET, startJourneyProvider, totp } from '../clients/journeyProvider.js'

const APP = 'http://127.0.0.1:5173'
let p: ProviderUnderTest
beforeAll(async () => {
  // The example runs on the real clock, as a CLI does.
  p = await startJourneyProvider('http', APP, testClock(Date.now()))
})
afterAll(() => p.close())

describe('examples/cli-journey', () => {
  it('asks for a choice, the password (not echoed) and a code, then has validated tokens', async () => {
    const asked: [string, boolean][] = []
    const printed: string[] = []
    const answers: Record<string, () => Promise<string> | string> = {
      'How do you want to sign in? [1]': () => '2',
      'User Name': () => JOURNEY_USER.username,
      Password: () => JOURNEY_USER.password,
      'One-time password': () => totp(TOTP_SECRET, p.clock.now),
    }
    const tokens = await journeySignIn({
      issuer: p.issuer(),
      clientId: 'spa',
      redirectUri: `${APP}/callback`,
      journey: 'Choose',
      fetch: p.fetch,
      async ask(prompt, secret) {
        asked.push([prompt, secret])
        return answers[prompt]!()
      },
      print: (line) => printed.push(line),
    })
    expect(asked).toEqual([['How do you want to sign in? [1]', false], ['User Name', false], ['Password', true], ['One-time password', true]])
    expect(printed).toContain('  2. Password and code')
    expect(tokens.claims?.sub).toBe('demo')
  })
})
