import { createHmac } from 'node:crypto'

/**
 * The RFC 6238 code of a base32 `secret` at `ms`, computed independently of the provider:
 * HMAC-SHA-1, 30-second steps, 6 digits, as authenticator apps do.
 *
 * @example
 * ```ts
 * const code = totp('JBSWY3DPEHPK3PXP', h.now())
 * ```
 */
export function totp(secret: string, ms: number): string {
  let bits = ''
  for (const ch of secret) bits += 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'.indexOf(ch).toString(2).padStart(5, '0')
  const key = Buffer.from(bits.match(/.{8}/g)!.map((b) => parseInt(b, 2)))
  const counter = Buffer.alloc(8)
  counter.writeBigUInt64BE(BigInt(Math.floor(ms / 30_000)))
  const mac = createHmac('sha1', key).update(counter).digest()
  return String((mac.readUInt32BE(mac[19]! & 0xf) & 0x7fffffff) % 1_000_000).padStart(6, '0')
}

/** A code that is certainly not the current one. */
export function wrongTotp(secret: string, ms: number): string {
  return String((Number(totp(secret, ms)) + 500_000) % 1_000_000).padStart(6, '0')
}
