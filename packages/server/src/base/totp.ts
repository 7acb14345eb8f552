const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'

/** RFC 4648 base32 (the form authenticator apps take secrets in); undefined when malformed. */
export function base32Decode(input: string): Uint8Array<ArrayBuffer> | undefined {
  const clean = input.replace(/=+$/, '').replace(/\s/g, '').toUpperCase()
  const out: number[] = []
  let bits = 0
  let value = 0
  for (const ch of clean) {
    const i = BASE32.indexOf(ch)
    if (i === -1) return undefined
    value = (value << 5) | i
    bits += 5
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff)
      bits -= 8
    }
  }
  return out.length === 0 ? undefined : new Uint8Array(out)
}

/** The 6-digit HOTP value (RFC 4226) of `counter`, HMAC-SHA-1 as authenticator apps compute it. */
async function hotp(secret: Uint8Array<ArrayBuffer>, counter: number): Promise<string> {
  const key = await crypto.subtle.importKey('raw', secret, { name: 'HMAC', hash: 'SHA-1' }, false, ['sign'])
  const message = new DataView(new ArrayBuffer(8))
  message.setUint32(0, Math.floor(counter / 2 ** 32))
  message.setUint32(4, counter >>> 0)
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', key, message.buffer))
  const offset = mac[19]! & 0x0f
  const code = ((mac[offset]! & 0x7f) << 24) | (mac[offset + 1]! << 16) | (mac[offset + 2]! << 8) | mac[offset + 3]!
  return String(code % 1_000_000).padStart(6, '0')
}

/**
 * RFC 6238 with 30-second steps: accepts the code of the current step or of the one either
 * side, since a phone's clock and a typing user both lag.
 */
export async function verifyTotp(secret: Uint8Array<ArrayBuffer>, code: string, nowSec: number): Promise<boolean> {
  if (!/^\d{6}$/.test(code)) return false
  const step = Math.floor(nowSec / 30)
  let ok = false
  // Every window is computed, so the time taken says nothing about which one matched.
  for (const s of [step - 1, step, step + 1]) if ((await hotp(secret, s)) === code) ok = true
  return ok
}
