import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest'
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { DEMO, createProvider, demoConfig } from '@realmauth/server'
import { listen } from '@realmauth/server/node'
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

describe('examples/cli-journey/main.ts', () => {
  /** Runs the example as its README says, `npx tsx …`, with `input` piped to it. */
  async function run(input: string): Promise<{ code: unknown; out: string }> {
    const root = fileURLToPath(new URL('../../', import.meta.url))
    // Its own process runs on the wall clock, so the provider does too.
    const provider = createProvider(demoConfig())
    const running = await listen(provider, { port: 0, host: '127.0.0.1' })
    onTestFinished(() => running.close())
    const issuer = provider.issuer(DEMO.realm, `http://127.0.0.1:${running.port}`)
    const child = spawn(`${root}node_modules/.bin/tsx`, ['examples/cli-journey/main.ts', 'Login'], { cwd: root, env: { ...process.env, ISSUER: issuer }, stdio: ['pipe', 'pipe', 'pipe'] })
    let out = ''
    child.stdout!.on('data', (c: Buffer) => (out += c.toString()))
    child.stderr!.on('data', (c: Buffer) => (out += c.toString()))
    child.stdin!.end(input)
    const code = await new Promise((resolve) => child.once('close', resolve))
    return { code, out }
  }

  it('takes its answers piped in, and does not print the password', async () => {
    const { code, out } = await run(`${DEMO.user.username}\n${DEMO.user.password}\n`)
    expect({ code, out }).toMatchObject({ code: 0, out: expect.stringContaining('Signed in as demo;') })
    expect(out).not.toContain(DEMO.user.password)
  })

  it('says so when the input ends before the last question', async () => {
    const { code, out } = await run(`${DEMO.user.username}\n`)
    expect({ code, out }).toMatchObject({ code: 1, out: expect.stringContaining('Sign-in failed: the input ended before every question was answered') })
  })
})
