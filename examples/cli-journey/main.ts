// Run with `npm start` going in another terminal: npx tsx examples/cli-journey/main.ts [journey]
import { createInterface } from 'node:readline'
import { Writable } from 'node:stream'
import { AuthError } from '@realmauth/node'
import { journeySignIn } from './journeySignIn.js'

let muted = false
// Echoes what is typed, except while a secret is asked for.
const output = new Writable({
  write(chunk: Buffer, _encoding, done) {
    if (!muted) process.stdout.write(chunk)
    done()
  },
})
const rl = createInterface({ input: process.stdin, output, terminal: Boolean(process.stdin.isTTY) })
// Lines are read as they come and queued, not by `rl.question`: answers piped in
// (`printf 'demo\n…' | …`) arrive before the questions, and `question` would drop them.
const lines = rl[Symbol.asyncIterator]()

try {
  const tokens = await journeySignIn({
    issuer: process.env.ISSUER ?? 'http://localhost:9000/oauth2/realms/root/realms/alpha',
    // The demo's public client; its registered redirect URI is only read, never served.
    clientId: 'demo-spa',
    redirectUri: 'http://localhost:5173/callback',
    journey: process.argv[2] ?? 'Login',
    async ask(prompt, secret) {
      process.stdout.write(`${prompt}: `)
      muted = secret
      const { value: answer, done } = await lines.next()
      muted = false
      if (done) throw new Error('the input ended before every question was answered')
      if (secret) process.stdout.write('\n')
      return answer
    },
    print: (line) => console.log(line),
  })
  console.log(`Signed in as ${String(tokens.claims?.sub)}; access token valid for ${Math.round(((tokens.expiresAt ?? 0) - Date.now()) / 1000)} s`)
} catch (err) {
  const reason = err instanceof AuthError ? (err.error_description ?? err.message) : (err as Error).message
  console.error(`Sign-in failed: ${reason}`)
  process.exitCode = 1
} finally {
  rl.close()
}
