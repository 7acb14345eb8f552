/**
 * Signs a command-line tool in with the device grant (RFC 8628): print the code and where
 * to enter it, then poll with a spinner until the user answers.
 */
import { createNodeClient, type TokenSet } from '@realmauth/node'

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏']

export interface DeviceSignInOptions {
  issuer: string
  clientId: string
  scope?: string
  /** Where progress goes; default stdout. */
  write?: (text: string) => void
  signal?: AbortSignal
  fetch?: typeof fetch
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>
  clock?: () => number
}

export async function deviceSignIn(options: DeviceSignInOptions): Promise<TokenSet> {
  const write = options.write ?? ((text: string) => process.stdout.write(text))
  const client = await createNodeClient({
    issuer: options.issuer,
    clientId: options.clientId,
    auth: { method: 'none' },
    ...(options.fetch && { fetch: options.fetch }),
    ...(options.sleep && { sleep: options.sleep }),
    ...(options.clock && { clock: options.clock }),
  })
  const device = await client.deviceAuthorization({ scope: options.scope ?? 'openid profile' })
  write(`To sign in, open ${device.verificationUri}\nand enter the code ${device.userCode}\n`)
  if (device.verificationUriComplete) write(`(or open ${device.verificationUriComplete})\n`)
  const tokens = await client.pollDeviceToken(device, {
    ...(options.signal && { signal: options.signal }),
    onPoll: (n) => write(`\r${FRAMES[n % FRAMES.length]} waiting for you to approve… (${n})`),
  })
  write(`\rSigned in as ${String(tokens.claims?.sub)}.                      \n`)
  return tokens
}
