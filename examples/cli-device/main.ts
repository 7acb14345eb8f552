// Run with `npm start` going in another terminal: npx tsx examples/cli-device/main.ts
import { AuthError } from '@realmauth/node'
import { deviceSignIn } from './deviceSignIn.js'

const controller = new AbortController()
process.once('SIGINT', () => controller.abort())
try {
  const tokens = await deviceSignIn({
    issuer: process.env.ISSUER ?? 'http://localhost:9000/oauth2/realms/root/realms/alpha',
    clientId: 'demo-cli',
    signal: controller.signal,
  })
  console.log(`Access token valid for ${Math.round(((tokens.expiresAt ?? 0) - Date.now()) / 1000)} s`)
} catch (err) {
  const reason = err instanceof AuthError ? { aborted: 'cancelled', expired_token: 'the code expired', access_denied: 'access was denied' }[err.code as string] : undefined
  console.error(`\nSign-in failed: ${reason ?? (err as Error).message}`)
  process.exitCode = 1
}
