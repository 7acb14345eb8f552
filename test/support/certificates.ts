/**
 * Test certificates for mutual TLS (RFC 8705), made with /usr/bin/openssl at test start:
 * node:crypto in Node 20 reads X.509 but cannot issue it. EC P-256 keys keep it fast.
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export interface Pem {
  cert: string
  key: string
  /** Files holding them, for the CLI's flags. */
  certFile: string
  keyFile: string
}

export interface TestPki {
  dir: string
  /** The client CA (`--tls-client-ca`); it also issues the server's certificate. */
  ca: Pem
  /** `localhost` and 127.0.0.1, issued by the CA. */
  server: Pem
  /** CN=svc,O=Example,C=GB with SAN DNS:svc.example.com, email:svc@example.com and IP ::1, issued by the CA. */
  svc: Pem
  /** CN=other,O=Example,C=GB, issued by the CA. */
  other: Pem
  /** CN=svc,O=Example,C=GB again, self-signed: same subject, no chain. */
  selfSigned: Pem
}

function openssl(dir: string, ...args: string[]): void {
  execFileSync('/usr/bin/openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] })
}

function issue(dir: string, name: string, subject: string, san: string | undefined, issuer: 'self' | 'ca'): Pem {
  const keyFile = join(dir, `${name}.key`)
  const certFile = join(dir, `${name}.pem`)
  openssl(dir, 'ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', `${name}.ec`)
  openssl(dir, 'pkcs8', '-topk8', '-nocrypt', '-in', `${name}.ec`, '-out', keyFile)
  const ext = join(dir, `${name}.ext`)
  writeFileSync(ext, `basicConstraints=CA:${name === 'ca' ? 'TRUE' : 'FALSE'}\n${san ? `subjectAltName=${san}\n` : ''}`)
  if (issuer === 'self') {
    openssl(dir, 'req', '-new', '-x509', '-key', keyFile, '-subj', subject, '-days', '3650', '-out', certFile, '-extensions', 'v3', '-config', configFile(dir, name, san))
  } else {
    openssl(dir, 'req', '-new', '-key', keyFile, '-subj', subject, '-out', `${name}.csr`)
    openssl(dir, 'x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '3650', '-extfile', ext, '-out', certFile)
  }
  return { cert: readFileSync(certFile, 'utf8'), key: readFileSync(keyFile, 'utf8'), certFile, keyFile }
}

function configFile(dir: string, name: string, san: string | undefined): string {
  const file = join(dir, `${name}.cnf`)
  writeFileSync(file, `[req]\ndistinguished_name=dn\n[dn]\n[v3]\nbasicConstraints=critical,CA:${name === 'ca' ? 'TRUE' : 'FALSE'}\n${san ? `subjectAltName=${san}\n` : ''}`)
  return file
}

/** A fresh CA, server and client certificates in a temporary directory. */
export function createTestPki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'realmauth-pki-'))
  const ca = issue(dir, 'ca', '/CN=realmauth test client CA', undefined, 'self')
  return {
    dir,
    ca,
    server: issue(dir, 'server', '/CN=localhost', 'DNS:localhost,IP:127.0.0.1', 'ca'),
    svc: issue(dir, 'svc', '/C=GB/O=Example/CN=svc', 'DNS:svc.example.com,email:svc@example.com,IP:0:0:0:0:0:0:0:1', 'ca'),
    other: issue(dir, 'other', '/C=GB/O=Example/CN=other', undefined, 'ca'),
    selfSigned: issue(dir, 'self', '/C=GB/O=Example/CN=svc', 'DNS:svc.example.com', 'self'),
  }
}
