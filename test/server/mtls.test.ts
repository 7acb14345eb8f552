/**
 * RFC 8705 mutual TLS: `tls_client_auth` (CA-issued, by subject DN or SAN) and
 * `self_signed_tls_client_auth` at the token endpoint, certificate-bound access and refresh
 * tokens at userinfo, tokeninfo and introspection. Run in process (the certificate passed to
 * `provider.fetch`) and over real HTTPS on loopback against the CLI (`--tls-cert`,
 * `--tls-key`, `--tls-client-ca`), with openssl-made certificates.
 */
import { spawn } from 'node:child_process'
import { X509Certificate, createHash } from 'node:crypto'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { createServer as createHttpsServer, request as httpsRequest } from 'node:https'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ConfigError, createProvider, type ClientConfig, type Provider, type ProviderConfig } from '@realmauth/server'
import { mtlsFetch } from '@realmauth/node'
import { toNodeListener } from '@realmauth/server/node'
import { createTestPki, type TestPki } from '../support/certificates.js'
import { CLI } from './cliProcess.js'
import { expectError, expectTokens } from './tokenKit.js'

type Who = 'svc' | 'other' | 'selfSigned' | undefined

const pki: TestPki = createTestPki()
const thumbprint = (pem: string) =>
  createHash('sha256').update(Buffer.from(pem.replace(/-----[A-Z ]+-----|\s+/g, ''), 'base64')).digest('base64url')

const CLIENTS: ClientConfig[] = [
  {
    client_id: 'pki',
    token_endpoint_auth_method: 'tls_client_auth',
    // Spaces after the commas: a DN is compared by its parts, not as text.
    tls_client_auth_subject_dn: 'CN=svc, O=Example, C=GB',
    grant_types: ['client_credentials', 'password'],
    scope: 'openid profile',
    tls_client_certificate_bound_access_tokens: true,
  },
  { client_id: 'san', token_endpoint_auth_method: 'tls_client_auth', tls_client_auth_san_dns: 'SVC.example.com', grant_types: ['client_credentials'] },
  {
    client_id: 'selfie',
    token_endpoint_auth_method: 'self_signed_tls_client_auth',
    public_key_pem: pki.selfSigned.cert,
    grant_types: ['client_credentials'],
    tls_client_certificate_bound_access_tokens: true,
  },
  { client_id: 'cli', token_endpoint_auth_method: 'none', grant_types: ['password', 'refresh_token'], scope: 'openid', tls_client_certificate_bound_access_tokens: true },
  { client_id: 'rs', client_secret: 'rs-secret-1234', grant_types: ['client_credentials'], scope: 'am-introspect-all-tokens' },
]
const CONFIG: ProviderConfig = {
  realms: [{ name: 'alpha', allow_dynamic_registration: true, clients: CLIENTS, users: [{ username: 'alice', password: 'alice-password-1', name: 'Alice' }] }],
}

interface Mtls {
  issuer: string
  /** Sends a request over a connection presenting `who`'s certificate (none when undefined). */
  send(who: Who, path: string, init?: RequestInit): Promise<Response>
  close(): Promise<void>
}

async function inProcess(): Promise<Mtls> {
  const provider: Provider = createProvider(CONFIG)
  const issuer = provider.issuer('alpha', 'https://idp.local')
  return {
    issuer,
    send: (who, path, init) =>
      provider.fetch(
        new Request(`${issuer}/${path}`, init),
        who && { clientCertificate: { certificate: pki[who].cert, chainVerified: who !== 'selfSigned' } },
      ),
    close: async () => {},
  }
}

async function overHttps(): Promise<Mtls> {
  const dir = mkdtempSync(join(tmpdir(), 'realmauth-mtls-'))
  const file = join(dir, 'config.json')
  writeFileSync(file, JSON.stringify(CONFIG))
  const child = spawn(
    process.execPath,
    [CLI, '--config', file, '--store', ':memory:', '--port', '0', '--tls-cert', pki.server.certFile, '--tls-key', pki.server.keyFile, '--tls-client-ca', pki.ca.certFile],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  )
  const origin = await new Promise<string>((resolve, reject) => {
    let out = ''
    let err = ''
    child.stderr!.on('data', (c: Buffer) => (err += c.toString()))
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString()
      const m = /listening on (https:\/\/localhost:\d+)\n/.exec(out)
      if (m && /Store: /.test(out)) resolve(m[1]!)
    })
    child.once('close', (code) => reject(new Error(`CLI exited with ${code}: ${err}`)))
  })
  const fetches = {
    svc: mtlsFetch({ cert: pki.svc.cert, key: pki.svc.key, ca: pki.ca.cert }),
    other: mtlsFetch({ cert: pki.other.cert, key: pki.other.key, ca: pki.ca.cert }),
    selfSigned: mtlsFetch({ cert: pki.selfSigned.cert, key: pki.selfSigned.key, ca: pki.ca.cert }),
  }
  const issuer = `${origin}/oauth2/realms/root/realms/alpha`
  return {
    issuer,
    send: (who, path, init) => (who ? fetches[who](`${issuer}/${path}`, init) : withoutCertificate(`${issuer}/${path}`, init)),
    close: async () => {
      const closed = new Promise((resolve) => child.once('close', resolve))
      child.kill('SIGTERM')
      await closed
    },
  }
}

/** A browser's request: HTTPS trusting the test CA, no client certificate. */
async function withoutCertificate(url: string, init: RequestInit = {}): Promise<Response> {
  const body = init.body === undefined ? undefined : String(init.body)
  return new Promise((resolve, reject) => {
    const req = httpsRequest(url, { method: init.method ?? 'GET', headers: init.headers as Record<string, string>, ca: pki.ca.cert }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.once('end', () => resolve(new Response(Buffer.concat(chunks), { status: res.statusCode!, headers: res.headers as Record<string, string> })))
    })
    req.once('error', reject)
    req.end(body)
  })
}

const form = (fields: Record<string, string>, headers: Record<string, string> = {}): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
  body: new URLSearchParams(fields).toString(),
})
const claimsOf = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>
const bearer = (token: string): RequestInit => ({ headers: { authorization: `Bearer ${token}` } })

for (const [mode, start] of [['in process', inProcess], ['over HTTPS', overHttps]] as const) {
  describe(`mutual TLS ${mode}`, () => {
    let m: Mtls
    beforeAll(async () => {
      m = await start()
    })
    afterAll(() => m?.close())

    const clientCredentials = (who: Who, clientId: string) => m.send(who, 'access_token', form({ grant_type: 'client_credentials', client_id: clientId }))

    it('publishes the RFC 8705 methods and bound tokens in discovery, to a client without a certificate', async () => {
      const res = await m.send(undefined, '.well-known/openid-configuration')
      expect(res.status).toBe(200)
      const meta = (await res.json()) as Record<string, unknown>
      expect(meta.issuer).toBe(m.issuer)
      expect(meta.token_endpoint_auth_methods_supported).toEqual(expect.arrayContaining(['tls_client_auth', 'self_signed_tls_client_auth']))
      expect(meta.tls_client_certificate_bound_access_tokens).toBe(true)
    })

    it('tls_client_auth: the CA-issued certificate with the registered subject DN authenticates, and binds the token to it', async () => {
      const tokens = await expectTokens(await clientCredentials('svc', 'pki'))
      expect(claimsOf(tokens.access_token).cnf).toEqual({ 'x5t#S256': thumbprint(pki.svc.cert) })
    })

    it('tls_client_auth: another subject, a self-signed certificate with the same subject, or none is invalid_client', async () => {
      for (const who of ['other', 'selfSigned', undefined] as const) {
        const body = await expectError(await clientCredentials(who, 'pki'), 400, 'invalid_client')
        expect(body.error_description).toMatch(who === 'other' ? /subject_dn/ : who ? /does not chain/ : /TLS client certificate/)
      }
    })

    it('tls_client_auth by SAN dNSName (compared without case)', async () => {
      const tokens = await expectTokens(await clientCredentials('svc', 'san'))
      expect(claimsOf(tokens.access_token).cnf).toBeUndefined()
      await expectError(await clientCredentials('other', 'san'), 400, 'invalid_client')
    })

    it("self_signed_tls_client_auth: the certificate whose key the client registered, and no other", async () => {
      const tokens = await expectTokens(await clientCredentials('selfSigned', 'selfie'))
      expect(claimsOf(tokens.access_token).cnf).toEqual({ 'x5t#S256': thumbprint(pki.selfSigned.cert) })
      const body = await expectError(await clientCredentials('svc', 'selfie'), 400, 'invalid_client')
      expect(body.error_description).toMatch(/key is not one this client registered/)
    })

    it('a bound token works at userinfo and tokeninfo only with its certificate; introspection returns cnf', async () => {
      const { access_token } = await expectTokens(
        await m.send('svc', 'access_token', form({ grant_type: 'password', client_id: 'pki', username: 'alice', password: 'alice-password-1', scope: 'openid profile' })),
      )
      const userinfo = await m.send('svc', 'userinfo', bearer(access_token))
      expect(userinfo.status).toBe(200)
      expect(await userinfo.json()).toMatchObject({ sub: 'alice', name: 'Alice' })
      for (const who of [undefined, 'other', 'selfSigned'] as const) {
        const refused = await m.send(who, 'userinfo', bearer(access_token))
        expect(refused.status).toBe(401)
        expect(refused.headers.get('www-authenticate')).toMatch(/error="invalid_token"/)
        await expectError(await m.send(who, 'tokeninfo', bearer(access_token)), 401, 'invalid_token')
      }
      const info = await m.send('svc', 'tokeninfo', bearer(access_token))
      expect(await info.json()).toMatchObject({ client_id: 'pki', cnf: { 'x5t#S256': thumbprint(pki.svc.cert) } })
      const basic = `Basic ${Buffer.from('rs:rs-secret-1234').toString('base64')}`
      const introspection = await m.send(undefined, 'introspect', form({ token: access_token }, { authorization: basic }))
      expect(await introspection.json()).toMatchObject({ active: true, client_id: 'pki', token_type: 'Bearer', cnf: { 'x5t#S256': thumbprint(pki.svc.cert) } })
    })

    it("a public client's refresh token is bound to its certificate (RFC 8705 section 4)", async () => {
      const first = await m.send('other', 'access_token', form({ grant_type: 'password', client_id: 'cli', username: 'alice', password: 'alice-password-1' }))
      const { refresh_token } = await expectTokens(first)
      expect(refresh_token).toBeDefined()
      for (const who of [undefined, 'svc'] as const) {
        const refused = await m.send(who, 'access_token', form({ grant_type: 'refresh_token', client_id: 'cli', refresh_token: refresh_token! }))
        if (who === undefined) await expectError(refused, 400, 'invalid_request') // no certificate: nothing to bind to
        else expect((await expectError(refused, 400, 'invalid_grant')).error_description).toMatch(/bound to a TLS client certificate/)
      }
      const renewed = await expectTokens(await m.send('other', 'access_token', form({ grant_type: 'refresh_token', client_id: 'cli', refresh_token: refresh_token! })))
      expect(claimsOf(renewed.access_token).cnf).toEqual({ 'x5t#S256': thumbprint(pki.other.cert) })
    })

    it('registers a tls_client_auth client (RFC 7591 with RFC 8705 metadata): no secret, and its certificate authenticates it', async () => {
      const res = await m.send(undefined, 'register', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ token_endpoint_auth_method: 'tls_client_auth', tls_client_auth_san_email: 'svc@example.com', grant_types: ['client_credentials'] }),
      })
      const text = await res.text()
      expect(res.status, text).toBe(201)
      const registered = JSON.parse(text) as Record<string, unknown>
      expect(registered).toMatchObject({ token_endpoint_auth_method: 'tls_client_auth', tls_client_auth_san_email: 'svc@example.com' })
      expect(registered.client_secret).toBeUndefined()
      await expectTokens(await clientCredentials('svc', registered.client_id as string))
      await expectError(await clientCredentials('other', registered.client_id as string), 400, 'invalid_client')
    })

    it('a client with bound tokens that connects without a certificate gets invalid_request, and nothing is issued', async () => {
      const body = await expectError(
        await m.send(undefined, 'access_token', form({ grant_type: 'password', client_id: 'cli', username: 'alice', password: 'alice-password-1' })),
        400,
        'invalid_request',
      )
      expect(body.error_description).toMatch(/tls_client_certificate_bound_access_tokens/)
    })
  })
}

describe('mutual TLS settings', () => {
  const refused = (client: Record<string, unknown>) => {
    try {
      createProvider({ realms: [{ name: 'alpha', clients: [{ client_id: 'c', grant_types: ['client_credentials'], ...client } as ClientConfig] }] })
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError)
      return (error as Error).message
    }
    throw new Error('accepted')
  }

  it('refuses a tls_client_auth client without exactly one certificate field, and those fields on other methods', () => {
    expect(refused({ token_endpoint_auth_method: 'tls_client_auth' })).toMatch(/clients\[0\]\.tls_client_auth_subject_dn.*exactly one/)
    expect(refused({ token_endpoint_auth_method: 'tls_client_auth', tls_client_auth_san_dns: 'a.example', tls_client_auth_san_ip: '10.0.0.1' })).toMatch(/tls_client_auth_san_ip/)
    expect(refused({ client_secret: 'secret-secret', tls_client_auth_san_dns: 'a.example' })).toMatch(/tls_client_auth_san_dns.*only with token_endpoint_auth_method 'tls_client_auth'/)
    expect(refused({ token_endpoint_auth_method: 'tls_client_auth', tls_client_auth_subject_dn: 'not a dn' })).toMatch(/tls_client_auth_subject_dn/)
  })

  it('refuses self_signed_tls_client_auth without a registered key it can read', () => {
    expect(refused({ token_endpoint_auth_method: 'self_signed_tls_client_auth', jwks_uri: 'https://c.example/jwks' })).toMatch(/clients\[0\]\.jwks.*jwks_uri is not read/)
  })

  it('refuses bound tokens for the implicit grant, which no client certificate reaches', () => {
    expect(refused({ token_endpoint_auth_method: 'none', grant_types: ['implicit'], redirect_uris: ['https://app.example/cb'], tls_client_certificate_bound_access_tokens: true })).toMatch(
      /tls_client_certificate_bound_access_tokens.*implicit/,
    )
  })

  it('refuses client_session_uri at start, saying why', () => {
    expect(refused({ client_secret: 'secret-secret', client_session_uri: 'https://app.example/session' })).toMatch(/clients\[0\]\.client_session_uri.*third-party cookie/)
  })

  it('a certificate the reader cannot parse fails client authentication, never the request; one that is not a certificate is invalid_request', async () => {
    const provider = createProvider(CONFIG)
    const issuer = provider.issuer('alpha', 'https://idp.local')
    const der = Buffer.from(pki.svc.cert.replace(/-----[A-Z ]+-----|\s+/g, ''), 'base64')
    const send = (certificate: Uint8Array | string, path: string, init?: RequestInit) =>
      provider.fetch(new Request(`${issuer}/${path}`, init), { clientCertificate: { certificate, chainVerified: true } })
    for (const broken of [der.subarray(0, 40), der.subarray(10), new Uint8Array(64).fill(0x30), Uint8Array.of(0x30, 0x84, 0xff, 0xff, 0xff, 0xff)]) {
      expect((await send(broken, '.well-known/openid-configuration')).status).toBe(200)
      const body = await expectError(await send(broken, 'access_token', form({ grant_type: 'client_credentials', client_id: 'san' })), 400, 'invalid_client')
      expect(body.error_description).toMatch(/cannot be read/)
    }
    for (const notOne of ['-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----', new Uint8Array(0)]) {
      await expectError(await send(notOne, '.well-known/openid-configuration'), 400, 'invalid_request')
    }
  })

  it('tls_client_auth by SAN iPAddress, compared in one spelling; an address that is not one is refused at start', async () => {
    expect(refused({ token_endpoint_auth_method: 'tls_client_auth', tls_client_auth_san_ip: 'localhost' })).toMatch(/tls_client_auth_san_ip.*IPv4 or IPv6/)
    const provider = createProvider({
      realms: [{ name: 'alpha', clients: [{ client_id: 'by-ip', token_endpoint_auth_method: 'tls_client_auth', tls_client_auth_san_ip: '0:0:0:0:0:0:0:1', grant_types: ['client_credentials'] }] }],
    })
    const token = (who: 'svc' | 'other') =>
      provider.fetch(new Request(`${provider.issuer('alpha')}/access_token`, form({ grant_type: 'client_credentials', client_id: 'by-ip' })), {
        clientCertificate: { certificate: pki[who].cert, chainVerified: true },
      })
    await expectTokens(await token('svc'))
    await expectError(await token('other'), 400, 'invalid_client')
  })

  it('self_signed_tls_client_auth finds the key in jwks as a JWK or as the x5c of a JWK', async () => {
    const x509 = new X509Certificate(pki.selfSigned.cert)
    const jwk = x509.publicKey.export({ format: 'jwk' })
    const x5c = pki.selfSigned.cert.replace(/-----[A-Z ]+-----|\s+/g, '')
    const unrelated = new X509Certificate(pki.other.cert).publicKey.export({ format: 'jwk' })
    const provider = createProvider({
      realms: [
        {
          name: 'alpha',
          clients: [
            { client_id: 'by-jwk', token_endpoint_auth_method: 'self_signed_tls_client_auth', jwks: { keys: [unrelated, jwk] }, grant_types: ['client_credentials'] },
            { client_id: 'by-x5c', token_endpoint_auth_method: 'self_signed_tls_client_auth', jwks: { keys: [{ kty: 'EC', crv: 'P-256', x5c: [x5c] }] }, grant_types: ['client_credentials'] },
          ],
        },
      ],
    })
    const token = (clientId: string, who: 'selfSigned' | 'svc') =>
      provider.fetch(new Request(`${provider.issuer('alpha')}/access_token`, form({ grant_type: 'client_credentials', client_id: clientId })), {
        clientCertificate: { certificate: pki[who].cert, chainVerified: false },
      })
    for (const clientId of ['by-jwk', 'by-x5c']) {
      await expectTokens(await token(clientId, 'selfSigned'))
      await expectError(await token(clientId, 'svc'), 400, 'invalid_client')
    }
  })

  it('toNodeListener counts no chain as verified unless told its server trusts only the client CA', async () => {
    const tls = { cert: pki.server.cert, key: pki.server.key, ca: pki.ca.cert, requestCert: true, rejectUnauthorized: false }
    const provider = createProvider(CONFIG)
    const svc = mtlsFetch({ cert: pki.svc.cert, key: pki.svc.key, ca: pki.ca.cert })
    for (const verifiedChains of [undefined, true]) {
      const server = createHttpsServer(tls, toNodeListener(provider, verifiedChains ? { verifiedChains } : undefined))
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
      try {
        const url = `${provider.issuer('alpha', `https://localhost:${(server.address() as AddressInfo).port}`)}/access_token`
        const res = await svc(url, form({ grant_type: 'client_credentials', client_id: 'san' }))
        if (verifiedChains) await expectTokens(res)
        else expect((await expectError(res, 400, 'invalid_client')).error_description).toMatch(/does not chain/)
      } finally {
        server.closeAllConnections()
        await new Promise((resolve) => server.close(resolve))
      }
    }
  })

  it('the CLI refuses a partial set of TLS flags', async () => {
    const run = (args: string[]) =>
      new Promise<{ code: number | null; err: string }>((resolve) => {
        const child = spawn(process.execPath, [CLI, '--store', ':memory:', '--port', '0', ...args], { stdio: ['ignore', 'ignore', 'pipe'] })
        let err = ''
        child.stderr!.on('data', (c: Buffer) => (err += c.toString()))
        child.once('close', (code) => resolve({ code, err }))
      })
    expect(await run(['--tls-key', pki.server.keyFile])).toEqual({ code: 2, err: expect.stringMatching(/--tls-key needs --tls-cert/) })
    expect(await run(['--tls-cert', pki.server.certFile])).toEqual({ code: 2, err: expect.stringMatching(/--tls-cert needs --tls-key/) })
    expect(await run(['--tls-client-ca', pki.ca.certFile])).toEqual({ code: 2, err: expect.stringMatching(/--tls-client-ca needs --tls-cert and --tls-key/) })
    expect(await run(['--tls-cert', pki.server.keyFile, '--tls-key', pki.server.keyFile])).toEqual({ code: 2, err: expect.stringMatching(/is not a PEM certificate/) })
  })
})
