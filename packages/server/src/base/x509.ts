// A reader of the few X.509 fields RFC 8705 needs, over WebCrypto and plain bytes: the
// provider stays runtime-neutral (no node:crypto), and the TLS layer, not this file,
// verifies the certificate chain.
import { base64Decode, base64url, sha256 } from './crypto.js'

/** What client authentication and certificate binding read from a client certificate. */
export interface X509Fields {
  /** The whole certificate, DER. */
  der: Uint8Array<ArrayBuffer>
  /** RFC 4514 string of the subject, most specific first: `CN=svc,O=Example,C=GB`. */
  subjectDn: string
  /** The subject as [attribute type, value] pairs in that order, for comparison. */
  subject: [string, string][]
  /** The issuer DER equals the subject DER. */
  selfIssued: boolean
  san: { dns: string[]; uri: string[]; ip: string[]; email: string[] }
  /** The SubjectPublicKeyInfo, DER. */
  spki: Uint8Array<ArrayBuffer>
}

interface Tlv {
  tag: number
  /** The element, header included. */
  all: Uint8Array<ArrayBuffer>
  value: Uint8Array<ArrayBuffer>
}

function read(bytes: Uint8Array<ArrayBuffer>, at: number): { tlv: Tlv; next: number } {
  const tag = bytes[at]
  let length = bytes[at + 1]
  if (tag === undefined || length === undefined) throw new TypeError('truncated DER')
  let start = at + 2
  if (length & 0x80) {
    const n = length & 0x7f
    if (n === 0 || n > 4) throw new TypeError('unsupported DER length')
    length = 0
    for (let i = 0; i < n; i++) length = length * 256 + bytes[start + i]!
    start += n
  }
  const end = start + length
  if (end > bytes.length) throw new TypeError('truncated DER')
  return { tlv: { tag, all: bytes.subarray(at, end), value: bytes.subarray(start, end) }, next: end }
}

function children(value: Uint8Array<ArrayBuffer>): Tlv[] {
  const out: Tlv[] = []
  for (let at = 0; at < value.length; ) {
    const { tlv, next } = read(value, at)
    out.push(tlv)
    at = next
  }
  return out
}

function oid(value: Uint8Array): string {
  const parts = [Math.floor(value[0]! / 40), value[0]! % 40]
  let n = 0
  for (const b of value.subarray(1)) {
    n = n * 128 + (b & 0x7f)
    if (!(b & 0x80)) {
      parts.push(n)
      n = 0
    }
  }
  return parts.join('.')
}

/** RFC 4514 section 3 short names; any other attribute is written as its dotted OID. */
const NAMES: Record<string, string> = {
  '2.5.4.3': 'CN', '2.5.4.6': 'C', '2.5.4.7': 'L', '2.5.4.8': 'ST', '2.5.4.9': 'STREET', '2.5.4.10': 'O',
  '2.5.4.11': 'OU', '0.9.2342.19200300.100.1.25': 'DC', '0.9.2342.19200300.100.1.1': 'UID',
}

const latin1 = new TextDecoder('latin1')
const utf8 = new TextDecoder('utf-8')

function text(tlv: Tlv): string {
  // BMPString (0x1e) is UTF-16BE; the rest seen in names are ASCII supersets or UTF-8.
  if (tlv.tag === 0x1e) return String.fromCharCode(...Array.from({ length: tlv.value.length / 2 }, (_, i) => (tlv.value[2 * i]! << 8) | tlv.value[2 * i + 1]!))
  return tlv.tag === 0x0c ? utf8.decode(tlv.value) : latin1.decode(tlv.value)
}

function name(der: Uint8Array<ArrayBuffer>): [string, string][] {
  const out: [string, string][] = []
  for (const rdn of children(der)) {
    for (const atv of children(rdn.value)) {
      const [type, value] = children(atv.value)
      const dotted = oid(type!.value)
      out.push([NAMES[dotted] ?? dotted, text(value!)])
    }
  }
  // RFC 4514 writes the most specific RDN first, the reverse of the DER order.
  return out.reverse()
}

function escapeValue(value: string): string {
  return value.replace(/[\\,+"<>;=]/g, (c) => `\\${c}`).replace(/^[ #]/, (c) => `\\${c}`).replace(/ $/, '\\ ')
}

/** An RFC 4514 string of `pairs`. */
export function formatDn(pairs: [string, string][]): string {
  return pairs.map(([t, v]) => `${t}=${escapeValue(v)}`).join(',')
}

/**
 * Parses an RFC 4514 string into [type, value] pairs (multi-valued RDNs flattened): types
 * upper-cased, spaces around separators dropped, escapes undone. Throws on a malformed one.
 */
export function parseDn(dn: string): [string, string][] {
  const out: [string, string][] = []
  let i = 0
  while (i < dn.length) {
    const eq = dn.indexOf('=', i)
    if (eq === -1) throw new TypeError(`'${dn}' is not a DN such as CN=client,O=Example,C=GB`)
    const type = dn.slice(i, eq).trim().toUpperCase()
    if (!/^([A-Z][A-Z0-9-]*|\d+(\.\d+)+)$/.test(type)) throw new TypeError(`'${type}' is not an attribute type`)
    let value = ''
    i = eq + 1
    while (i < dn.length && dn[i] === ' ') i++
    for (; i < dn.length && dn[i] !== ',' && dn[i] !== '+'; i++) {
      if (dn[i] === '\\') {
        const hex = /^[0-9a-fA-F]{2}/.exec(dn.slice(i + 1, i + 3))
        value += hex ? String.fromCharCode(parseInt(hex[0], 16)) : (dn[i + 1] ?? '')
        i += hex ? 2 : 1
      } else {
        value += dn[i]
      }
    }
    out.push([type, value.replace(/(?<!\\) +$/, '')])
    i++
  }
  return out
}

/** RFC 4517 distinguishedNameMatch, roughly: same types in the same order, values equal ignoring case. */
export function sameDn(a: [string, string][], b: [string, string][]): boolean {
  return a.length === b.length && a.every(([t, v], i) => t === b[i]![0] && v.toLowerCase() === b[i]![1].toLowerCase())
}

function ipText(bytes: Uint8Array): string {
  if (bytes.length === 4) return bytes.join('.')
  const groups = Array.from({ length: 8 }, (_, i) => ((bytes[2 * i]! << 8) | bytes[2 * i + 1]!).toString(16))
  return canonicalIp(groups.join(':')) ?? groups.join(':')
}

/**
 * An IP address in one spelling, so a configured one compares with a certificate's: dotted
 * IPv4, or IPv6 as the URL standard serializes it (lower case, longest zero run as `::`).
 * Undefined when `text` is neither.
 */
export function canonicalIp(text: string): string | undefined {
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(text)) return text.split('.').every((n) => Number(n) <= 255) ? text.split('.').map(Number).join('.') : undefined
  if (!/^[0-9a-fA-F:.]+$/.test(text) || !URL.canParse(`http://[${text}]`)) return undefined
  return new URL(`http://[${text}]`).hostname.slice(1, -1)
}

const SAN_OID = '2.5.29.17'

/** Reads a DER certificate; throws a TypeError when it is not one. */
export function parseX509(der: Uint8Array<ArrayBuffer>): X509Fields {
  const { tlv: cert } = read(der, 0)
  const [tbs] = children(cert.value)
  if (cert.tag !== 0x30 || tbs?.tag !== 0x30) throw new TypeError('not an X.509 certificate')
  const fields = children(tbs.value)
  const offset = fields[0]?.tag === 0xa0 ? 1 : 0
  const issuer = fields[offset + 2]
  const subject = fields[offset + 4]
  const spki = fields[offset + 5]
  if (issuer?.tag !== 0x30 || subject?.tag !== 0x30 || spki?.tag !== 0x30) throw new TypeError('not an X.509 certificate')
  const san: X509Fields['san'] = { dns: [], uri: [], ip: [], email: [] }
  const extensions = fields.slice(offset + 6).find((f) => f.tag === 0xa3)
  if (extensions) {
    for (const ext of children(children(extensions.value)[0]!.value)) {
      const parts = children(ext.value)
      if (oid(parts[0]!.value) !== SAN_OID) continue
      const [names] = children(parts[parts.length - 1]!.value)
      for (const gn of children(names!.value)) {
        const tag = gn.tag & 0x1f
        if (tag === 1) san.email.push(latin1.decode(gn.value))
        else if (tag === 2) san.dns.push(latin1.decode(gn.value))
        else if (tag === 6) san.uri.push(latin1.decode(gn.value))
        else if (tag === 7) san.ip.push(ipText(gn.value))
      }
    }
  }
  const subjectPairs = name(subject.value)
  return {
    der: cert.all,
    subjectDn: formatDn(subjectPairs),
    subject: subjectPairs,
    selfIssued: equalBytes(issuer.all, subject.all),
    san,
    spki: spki.all,
  }
}

/** `der` from PEM text (the first CERTIFICATE block) or as given. */
export function certificateDer(input: string | Uint8Array): Uint8Array<ArrayBuffer> {
  if (typeof input !== 'string') return new Uint8Array(input)
  const m = /-----BEGIN CERTIFICATE-----([\s\S]+?)-----END CERTIFICATE-----/.exec(input)
  if (!m) throw new TypeError('not a PEM certificate')
  return base64Decode(m[1]!.replace(/\s+/g, ''))
}

/** RFC 8705 section 3.1: `x5t#S256`, the base64url SHA-256 of the DER certificate. */
export async function x5tS256(der: Uint8Array<ArrayBuffer>): Promise<string> {
  return base64url(await sha256(der))
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i])
}
