import { describe, expect, it } from 'vitest'
import { compactVerify } from 'jose'
import { generateSigningKey, signJwt, verifyOwnJwt } from './keys/index.js'
import { base64url, nativeCrypto, sha256 } from './base/crypto.js'
import { installNodeCrypto } from './nodeCrypto.js'

// Installed for this file's module instance only (vitest isolates files): every assertion
// below runs through node:crypto, and is checked against WebCrypto itself.
installNodeCrypto()
expect(nativeCrypto()).toBeDefined()

describe('node:crypto in the node adapter', () => {
  for (const alg of ['ES256', 'RS256'] as const) {
    it(`signs ${alg} tokens that WebCrypto verifies, and verifies tokens WebCrypto signed`, async () => {
      const key = await generateSigningKey(alg)
      const keys = { find: async (kid: string) => (kid === key.kid ? key : undefined) }
      const token = await signJwt(key, { sub: 'alice' }, 'at+jwt')
      const { payload, protectedHeader } = await compactVerify(token, key.publicKey)
      expect(protectedHeader).toEqual({ alg, kid: key.kid, typ: 'at+jwt' })
      expect(JSON.parse(new TextDecoder().decode(payload))).toEqual({ sub: 'alice' })

      const [h, p] = token.split('.')
      const spec = alg === 'ES256' ? { name: 'ECDSA', hash: 'SHA-256' } : { name: 'RSASSA-PKCS1-v1_5' }
      const webSigned = `${h}.${p}.${base64url(await crypto.subtle.sign(spec, key.privateKey, new TextEncoder().encode(`${h}.${p}`)))}`
      expect((await verifyOwnJwt(keys, webSigned))?.payload).toEqual({ sub: 'alice' })
      // PKCS #1 v1.5 is deterministic: node:crypto's pooled RS256 signature is WebCrypto's, byte for byte.
      if (alg === 'RS256') expect(token).toBe(webSigned)
      // One claim changed under the same signature: refused.
      const forged = `${h}.${base64url(JSON.stringify({ sub: 'mallory' }))}.${webSigned.split('.')[2]}`
      expect(await verifyOwnJwt(keys, forged)).toBeUndefined()
    })
  }

  it('signs with keys whose private part stays unextractable, without Node 24\'s deprecation of KeyObject.from on them (DEP0204)', async () => {
    const warnings: string[] = []
    const onWarning = (warning: Error & { code?: string }) => warnings.push(warning.code ?? warning.message)
    process.on('warning', onWarning)
    try {
      const key = await generateSigningKey('ES256')
      expect(key.privateKey.extractable).toBe(false)
      await signJwt(key, { sub: 'alice' })
      await new Promise((resolve) => setImmediate(resolve)) // warnings are emitted on the next tick
    } finally {
      process.off('warning', onWarning)
    }
    expect(warnings).not.toContain('DEP0204')
  })

  it('hashes as WebCrypto does', async () => {
    for (const input of ['', 'client secret', 'ünïcode ✓']) {
      const web = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(input)))
      expect(await sha256(input)).toEqual(web)
      expect(await sha256(new TextEncoder().encode(input))).toEqual(web)
    }
  })
})
