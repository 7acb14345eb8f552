import { describe, expect, it } from 'vitest'
import { base64url } from '../base/crypto.js'
import { generateSigningKey, signJwt, verifyOwnJwt, type SigningKey } from './index.js'

describe('verifyOwnJwt', () => {
  it('checks a signature once per token and key, and never lets that vouch for other bytes or a key that is gone', async () => {
    const key = await generateSigningKey('ES256')
    let current: SigningKey | undefined = key
    const keys = { find: async (kid: string) => (kid === key.kid ? current : undefined) }
    const token = await signJwt(key, { sub: 'alice' }, 'at+jwt')
    const [h, p, s] = token.split('.')

    // The same token again: the same answer, with a payload of its own each time.
    const first = await verifyOwnJwt(keys, token)
    const second = await verifyOwnJwt(keys, token)
    expect(second).toEqual(first)
    expect(second!.payload).not.toBe(first!.payload)

    // Other bytes under the remembered signature, or another signature: refused.
    expect(await verifyOwnJwt(keys, `${h}.${base64url(JSON.stringify({ sub: 'mallory' }))}.${s}`)).toBeUndefined()
    expect(await verifyOwnJwt(keys, `${h}.${p}.${base64url(new Uint8Array(64))}`)).toBeUndefined()

    // The key retired (no longer found): the token is refused although it was verified before.
    current = undefined
    expect(await verifyOwnJwt(keys, token)).toBeUndefined()
    // The same kid now names another key: the remembered answer belonged to the old one.
    current = { ...(await generateSigningKey('ES256')), kid: key.kid }
    expect(await verifyOwnJwt(keys, token)).toBeUndefined()
  })
})
