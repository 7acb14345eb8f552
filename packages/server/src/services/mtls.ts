import { importJWK, type JWK } from 'jose'
import type { Context } from './context.js'
import { base64urlDecode } from '../base/crypto.js'
import { OAuthError } from '../base/errors.js'
import { certificateDer, equalBytes, parseX509, sameDn, type X509Fields } from '../base/x509.js'
import type { Client } from '../model/index.js'

/** The two RFC 8705 client authentication methods. */
export function isCertificateMethod(method: string): method is 'tls_client_auth' | 'self_signed_tls_client_auth' {
  return method === 'tls_client_auth' || method === 'self_signed_tls_client_auth'
}

/**
 * RFC 8705 section 2: why the connection's certificate does not authenticate `client`, or
 * undefined when it does. `tls_client_auth` wants a chain the TLS layer verified and the one
 * registered subject field; `self_signed_tls_client_auth` a certificate whose key is one the
 * client registered.
 */
export async function certificateMismatch(ctx: Context, client: Client): Promise<string | undefined> {
  const presented = ctx.clientCertificate
  if (!presented) return `This client must authenticate with a TLS client certificate (${client.authMethod})`
  let cert: X509Fields
  try {
    cert = parseX509(presented.der)
  } catch (error) {
    return `The TLS client certificate cannot be read: ${(error as Error).message}`
  }
  if (client.authMethod === 'tls_client_auth') {
    if (!presented.chainVerified) return 'The TLS client certificate does not chain to a CA trusted for client certificates'
    return matchesSubject(cert, client.tlsSubject!) ? undefined : `The TLS client certificate does not carry the client's ${client.tlsSubject!.field}`
  }
  return (await registeredSpkis(client)).some((spki) => equalBytes(spki, cert.spki))
    ? undefined
    : "The TLS client certificate's key is not one this client registered"
}

function matchesSubject(cert: X509Fields, subject: NonNullable<Client['tlsSubject']>): boolean {
  switch (subject.field) {
    case 'tls_client_auth_subject_dn':
      return sameDn(cert.subject, subject.dn!)
    case 'tls_client_auth_san_dns':
      return cert.san.dns.some((d) => d.toLowerCase() === subject.value.toLowerCase())
    case 'tls_client_auth_san_uri':
      return cert.san.uri.includes(subject.value)
    case 'tls_client_auth_san_ip':
      return cert.san.ip.includes(subject.value)
    case 'tls_client_auth_san_email':
      return cert.san.email.includes(subject.value)
  }
}

const spkiCache = new WeakMap<Client, Promise<Uint8Array[]>>()

/** The SubjectPublicKeyInfo of every key the client registered, DER; unreadable keys are skipped. */
function registeredSpkis(client: Client): Promise<Uint8Array[]> {
  let found = spkiCache.get(client)
  if (!found) {
    found = Promise.all([
      ...(client.jwks?.keys ?? []).map((jwk) => jwkSpki(jwk as JWK).catch(() => undefined)),
      ...(client.publicKeyPem === undefined ? [] : [pemSpki(client.publicKeyPem)]),
    ]).then((list) => list.filter((s): s is Uint8Array => s !== undefined))
    spkiCache.set(client, found)
  }
  return found
}

async function jwkSpki(jwk: JWK): Promise<Uint8Array | undefined> {
  const x5c = jwk.x5c?.[0]
  if (x5c !== undefined) return parseX509(certificateDer(`-----BEGIN CERTIFICATE-----${x5c}-----END CERTIFICATE-----`)).spki
  const alg = jwk.kty === 'RSA' ? 'RS256' : jwk.kty === 'OKP' ? 'EdDSA' : ({ 'P-256': 'ES256', 'P-384': 'ES384', 'P-521': 'ES512' } as Record<string, string>)[jwk.crv ?? '']
  if (alg === undefined) return undefined
  const { d: _d, ...publicJwk } = jwk
  const key = (await importJWK(publicJwk, alg, { extractable: true })) as CryptoKey
  return new Uint8Array(await crypto.subtle.exportKey('spki', key))
}

async function pemSpki(pem: string): Promise<Uint8Array | undefined> {
  try {
    if (pem.includes('BEGIN CERTIFICATE')) return parseX509(certificateDer(pem)).spki
    const m = /-----BEGIN PUBLIC KEY-----([\s\S]+?)-----END PUBLIC KEY-----/.exec(pem)
    return m ? base64urlDecode(m[1]!.replace(/\s+/g, '').replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')) : undefined
  } catch {
    return undefined
  }
}

/**
 * RFC 8705 section 3: the `x5t#S256` a token request binds its tokens to: the certificate of
 * the connection for a client with `tls_client_certificate_bound_access_tokens`, else none.
 */
export function certificateBinding(ctx: Context, client: Client): string | undefined {
  if (!client.certificateBound) return undefined
  const cert = ctx.clientCertificate
  if (!cert) {
    throw new OAuthError('invalid_request', 'This client gets certificate-bound tokens (tls_client_certificate_bound_access_tokens): connect with a TLS client certificate')
  }
  return cert.thumbprint
}
