/**
 * DPoP (RFC 9449) for the provider tests: proof keys, proofs that are right by default and
 * wrong in exactly the field a test names, and the provider's clock to date them by.
 */
import { createHash, randomUUID } from 'node:crypto'
import { SignJWT, calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose'
import type { Harness } from './harness.js'
import { providerNow } from './tokenKit.js'

export interface ProofKey {
  alg: string
  privateKey: CryptoKey
  publicJwk: JWK
  /** RFC 7638 SHA-256 thumbprint, base64url: the `dpop_jkt` and `cnf.jkt` of this key. */
  jkt: string
}

/** A fresh key pair for proofs (ES256 unless told). */
export async function proofKey(alg = 'ES256'): Promise<ProofKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true })
  const publicJwk = await exportJWK(publicKey)
  return { alg, privateKey, publicJwk, jkt: await calculateJwkThumbprint(publicJwk, 'sha256') }
}

export interface ProofOptions {
  htm?: string
  htu: string
  /** The provider's time in seconds (see {@link providerSeconds}). */
  iat: number
  /** An access token: adds `ath`. */
  accessToken?: string
  nonce?: string
  /** Replaces or, with `undefined`, removes payload claims. */
  claims?: Record<string, unknown>
  /** Replaces or, with `undefined`, removes header parameters. */
  header?: Record<string, unknown>
}

/** SHA-256 of an access token, base64url: a proof's `ath`. */
export function ath(accessToken: string): string {
  return createHash('sha256').update(accessToken).digest('base64url')
}

/** A proof signed by `key`: right for `htm` (POST by default) and `htu` unless the options say otherwise. */
export async function proof(key: ProofKey, options: ProofOptions): Promise<string> {
  const payload: Record<string, unknown> = { jti: randomUUID(), htm: options.htm ?? 'POST', htu: options.htu, iat: options.iat }
  if (options.accessToken !== undefined) payload.ath = ath(options.accessToken)
  if (options.nonce !== undefined) payload.nonce = options.nonce
  for (const [k, v] of Object.entries(options.claims ?? {})) {
    if (v === undefined) delete payload[k]
    else payload[k] = v
  }
  const header: Record<string, unknown> = { typ: 'dpop+jwt', alg: key.alg, jwk: key.publicJwk }
  for (const [k, v] of Object.entries(options.header ?? {})) {
    if (v === undefined) delete header[k]
    else header[k] = v
  }
  // SignJWT refuses alg none and a header alg that does not fit the key: those are assembled by hand.
  if (header.alg !== key.alg) return unsigned(header, payload, 'c2ln')
  return new SignJWT(payload).setProtectedHeader(header as { alg: string }).sign(key.privateKey)
}

/** A JWS with whatever header and payload, and a made-up signature. */
export function unsigned(header: Record<string, unknown>, payload: Record<string, unknown>, signature = ''): string {
  const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url')
  return `${b64(header)}.${b64(payload)}.${signature}`
}

/** The provider's clock in seconds, read from a client_credentials token of the demo M2M client in `alpha`. */
export function providerSeconds(h: Harness, authorization: string): Promise<number> {
  return providerNow(h, 'alpha', authorization)
}
