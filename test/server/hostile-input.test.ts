/**
 * Hostile and malformed requests at the token endpoint, in all three harness modes: wrong
 * methods and content types, bodies over the limit (declared and streamed), broken
 * percent-encoding, repeated parameters, invalid UTF-8. The provider must answer each
 * with a JSON `{error, error_description}` and a 4xx status, never a 500.
 */
import { request as httpRequest } from 'node:http'
import { gzipSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ProviderConfig } from '@realmauth/server'
import { MODES, basic, startHarness, type Harness } from './harness.js'
import { expectError, expectTokens } from './tokenKit.js'

const LIMIT = 2048
const M2M = basic('m2m', 'm2m-secret')

const CONFIG: ProviderConfig = {
  max_body_bytes: LIMIT,
  realms: [
    {
      name: 'alpha',
      clients: [{ client_id: 'm2m', client_secret: 'm2m-secret', grant_types: ['client_credentials'], scope: 'read write' }],
    },
  ],
}

const FORM = 'application/x-www-form-urlencoded'

/** A form body of exactly `size` bytes that asks for client_credentials. */
function bodyOfSize(size: number): string {
  const head = 'grant_type=client_credentials&pad='
  return head + 'x'.repeat(size - head.length)
}

/** Any 4xx with a JSON OAuth error: what every hostile request must get at the least. */
async function expectJsonError(res: Response, label: string): Promise<{ error: string }> {
  const text = await res.text()
  expect(res.status, `${label}: ${text}`).toBeGreaterThanOrEqual(400)
  expect(res.status, `${label}: ${text}`).toBeLessThan(500)
  expect(res.headers.get('content-type'), label).toMatch(/^application\/json/)
  const body = JSON.parse(text) as { error: string; error_description: string }
  expect(typeof body.error, label).toBe('string')
  expect(typeof body.error_description, label).toBe('string')
  return body
}

describe.each(MODES)('hostile input at the token endpoint (%s)', (mode) => {
  let h: Harness
  beforeAll(async () => {
    h = await startHarness(mode, CONFIG)
  })
  afterAll(() => h.close())

  const url = () => `${h.issuer()}/access_token`
  const send = (body: BodyInit | null, headers: Record<string, string> = {}, method = 'POST') =>
    h.fetch(url(), { method, headers: { 'content-type': FORM, authorization: M2M, ...headers }, ...(body !== null && { body }) })

  /** A body sent as a stream, so no Content-Length is declared (chunked over real HTTP). */
  function streamed(chunks: Uint8Array[]): RequestInit {
    let i = 0
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (i < chunks.length) controller.enqueue(chunks[i++]!)
        else controller.close()
      },
    })
    return { method: 'POST', headers: { 'content-type': FORM, authorization: M2M }, body, duplex: 'half' } as RequestInit
  }

  it('still serves a well-formed request (control)', async () => {
    await expectTokens(await send('grant_type=client_credentials'))
  })

  describe('methods', () => {
    it('answers 405 JSON with Allow: POST for GET, PUT, DELETE and PATCH', async () => {
      for (const method of ['GET', 'PUT', 'DELETE', 'PATCH']) {
        const res = await send(method === 'GET' ? null : 'grant_type=client_credentials', {}, method)
        expect(res.headers.get('allow'), method).toBe('POST')
        await expectError(res, 405, 'invalid_request')
      }
    })

    it('answers GET with the parameters in the query with 405 and issues nothing', async () => {
      const res = await h.fetch(`${url()}?grant_type=client_credentials`, { headers: { authorization: M2M } })
      await expectError(res, 405, 'invalid_request')
    })

    it('answers HEAD with 405', async () => {
      const res = await send(null, {}, 'HEAD')
      expect(res.status).toBe(405)
      expect(res.headers.get('allow')).toBe('POST')
    })
  })

  describe('content type', () => {
    it('refuses a JSON body with 400 invalid_request', async () => {
      const res = await send(JSON.stringify({ grant_type: 'client_credentials' }), { 'content-type': 'application/json' })
      await expectError(res, 400, 'invalid_request')
    })

    it('refuses text/plain, multipart/form-data and a missing content type', async () => {
      for (const type of ['text/plain', 'multipart/form-data; boundary=x', 'application/x-www-form-urlencoded-not', 'application/json; x=application/x-www-form-urlencoded']) {
        await expectError(await send('grant_type=client_credentials', { 'content-type': type }), 400, 'invalid_request')
      }
      const res = await h.fetch(url(), { method: 'POST', headers: { authorization: M2M }, body: new Uint8Array(Buffer.from('grant_type=client_credentials')) })
      await expectError(res, 400, 'invalid_request')
    })

    it('ignores grant parameters in the query string', async () => {
      const res = await h.fetch(`${url()}?grant_type=client_credentials`, {
        method: 'POST',
        headers: { 'content-type': FORM, authorization: M2M },
        body: 'scope=read',
      })
      await expectError(res, 400, 'invalid_request')
    })

    it('accepts the form type with a charset parameter and in any case', async () => {
      await expectTokens(await send('grant_type=client_credentials', { 'content-type': `${FORM}; charset=UTF-8` }))
      await expectTokens(await send('grant_type=client_credentials', { 'content-type': FORM.toUpperCase() }))
    })
  })

  describe('body size', () => {
    it(`accepts a body of exactly ${LIMIT} bytes`, async () => {
      await expectTokens(await send(bodyOfSize(LIMIT)))
    })

    it('answers 413 JSON for a declared body one byte over the limit, and for a much larger one', async () => {
      await expectError(await send(bodyOfSize(LIMIT + 1)), 413, 'invalid_request')
      await expectError(await send(bodyOfSize(512 * 1024)), 413, 'invalid_request')
      // The provider is still serving afterwards.
      await expectTokens(await send('grant_type=client_credentials'))
    })

    it('answers 413 JSON for a streamed body without Content-Length that runs over the limit', async () => {
      const chunk = new Uint8Array(Buffer.from('&pad=' + 'y'.repeat(500)))
      const chunks = [new Uint8Array(Buffer.from('grant_type=client_credentials')), ...Array.from({ length: 8 }, () => chunk)]
      await expectError(await h.fetch(url(), streamed(chunks)), 413, 'invalid_request')
      // Under the limit, a streamed body is fine.
      await expectTokens(await h.fetch(url(), streamed([new Uint8Array(Buffer.from('grant_type=')), new Uint8Array(Buffer.from('client_credentials'))])))
      if (mode === 'http') {
        // The same over a raw node:http chunked upload, as a non-fetch client sends it.
        const target = new URL(url())
        const { status, headers, body } = await new Promise<{ status: number; headers: Record<string, unknown>; body: string }>((resolve, reject) => {
          const req = httpRequest(
            {
              host: target.hostname,
              port: target.port,
              path: target.pathname,
              method: 'POST',
              headers: { 'content-type': FORM, authorization: M2M, 'transfer-encoding': 'chunked' },
            },
            (res) => {
              let text = ''
              res.setEncoding('utf8')
              res.on('data', (c: string) => (text += c))
              res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: text }))
              res.on('error', reject)
            },
          )
          // The server may close the connection before the upload ends; the answer is what counts.
          req.on('error', (error) => reject(error))
          req.write('grant_type=client_credentials')
          for (let i = 0; i < 16; i++) req.write('&pad=' + 'z'.repeat(400))
          req.end()
        })
        expect(status, body).toBe(413)
        expect(headers['content-type']).toMatch(/^application\/json/)
        expect(JSON.parse(body)).toMatchObject({ error: 'invalid_request' })
      }
      // The provider is still serving afterwards.
      await expectTokens(await send('grant_type=client_credentials'))
    })
  })

  describe('encoding', () => {
    it('refuses malformed percent-encoding in names and values with 400 invalid_request', async () => {
      for (const body of [
        'grant_type=client_credentials&scope=%',
        'grant_type=client_credentials&scope=%zz',
        'grant_type=client_credentials&scope=read%2',
        'grant_type=client%GGcredentials',
        'grant_type=client_credentials&sc%ope=read',
        'grant_type=client_credentials&%=x',
        'grant_type=client_credentials&scope=%E0%A4%A',
      ]) {
        await expectError(await send(body), 400, 'invalid_request')
      }
    })

    it('refuses percent-encoded bytes that are not UTF-8', async () => {
      for (const bad of ['%FF', '%C0%AF', '%ED%A0%80', '%80', '%F8%88%80%80%80']) {
        await expectError(await send(`grant_type=client_credentials&scope=${bad}`), 400, 'invalid_request')
      }
    })

    it('refuses a raw body that is not UTF-8', async () => {
      for (const bytes of [[0xff, 0xfe], [0xc3, 0x28], [0xe2, 0x82], [0xed, 0xa0, 0x80]]) {
        const body = Buffer.concat([Buffer.from('grant_type=client_credentials&scope=read'), Buffer.from(bytes)])
        await expectError(await send(new Uint8Array(body)), 400, 'invalid_request')
      }
    })

    it('refuses repeated parameters with 400 invalid_request', async () => {
      for (const body of [
        'grant_type=client_credentials&grant_type=client_credentials',
        'grant_type=client_credentials&scope=read&scope=write',
        'grant_type=client_credentials&scope=&scope=read',
        'grant_type=client_credentials&gr%61nt_type=password',
        'grant_type=client_credentials&client_id=m2m&client_id=m2m',
      ]) {
        await expectError(await send(body), 400, 'invalid_request')
      }
    })

    it('decodes + as a space and %2B as a plus sign', async () => {
      const ok = await expectTokens(await send('grant_type=client_credentials&scope=read+write'))
      expect(ok.scope).toBe('read write')
      await expectError(await send('grant_type=client_credentials&scope=read%2Bwrite'), 400, 'invalid_scope')
    })
  })

  describe('odd values', () => {
    it('treats prototype names as nothing special', async () => {
      for (const grantType of ['constructor', '__proto__', 'hasOwnProperty', 'valueOf', 'client_credentials%00']) {
        await expectError(await send(`grant_type=${grantType}`), 400, 'unsupported_grant_type')
      }
      await expectTokens(await send('grant_type=client_credentials&__proto__=x&constructor=y&toString=z'))
    })

    it('refuses scopes separated by other whitespace, and many unknown scopes', async () => {
      await expectError(await send('grant_type=client_credentials&scope=read%09write'), 400, 'invalid_scope')
      await expectError(await send('grant_type=client_credentials&scope=read%0Awrite'), 400, 'invalid_scope')
      await expectError(await send(`grant_type=client_credentials&scope=${Array.from({ length: 200 }, (_, i) => `s${i}`).join('+')}`), 400, 'invalid_scope')
    })

    it('answers an Authorization: Basic header with no credentials as a Basic failure (401)', async () => {
      const res = await send('grant_type=client_credentials', { authorization: 'Basic' })
      expect(res.headers.get('www-authenticate')).toMatch(/^Basic realm=/)
      await expectError(res, 401, 'invalid_client')
    })

    it('answers a Bearer header at the token endpoint with invalid_client', async () => {
      await expectError(await send('grant_type=client_credentials', { authorization: 'Bearer abc.def.ghi' }), 400, 'invalid_client')
    })

    it('answers unknown realms and paths with 404 JSON', async () => {
      await expectError(await h.fetch(`${h.origin}/oauth2/realms/root/realms/nope/access_token`, { method: 'POST' }), 404, 'not_found')
      await expectError(await h.fetch(`${h.origin}/oauth2/access_token?realm=/nope`, { method: 'POST' }), 404, 'not_found')
      await expectError(await h.fetch(`${h.issuer()}/access_token/extra`, { method: 'POST' }), 404, 'not_found')
    })

    it('never answers 5xx or anything but a JSON error to a barrage of garbage', async () => {
      const garbage: [string, BodyInit, Record<string, string>][] = [
        ['empty', '', {}],
        ['only ampersands', '&&&&', {}],
        ['only equals', '===', {}],
        ['name without value', 'grant_type', {}],
        ['NUL bytes', 'grant_type=\0\0\0', {}],
        ['gzip without support', new Uint8Array(gzipSync('grant_type=client_credentials')), { 'content-encoding': 'gzip' }],
        ['binary', new Uint8Array(Array.from({ length: 1024 }, (_, i) => (i * 37) % 256)), {}],
        ['huge code', `grant_type=authorization_code&code=${'c'.repeat(1900)}`, {}],
        ['unicode refresh token', 'grant_type=refresh_token&refresh_token=%F0%9F%94%91%E2%80%AE', {}],
        ['device grant without device_code', 'grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Adevice_code', {}],
        ['garbage assertion', 'grant_type=client_credentials&client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer&client_assertion=e30.e30.e30', { authorization: '' }],
        ['assertion with array sub', `grant_type=client_credentials&client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer&client_assertion=${Buffer.from('{"alg":"RS256"}').toString('base64url')}.${Buffer.from('{"sub":["m2m"],"iss":{}}').toString('base64url')}.AA`, { authorization: '' }],
        ['many parameters', Array.from({ length: 300 }, (_, i) => `p${i}=`).join('&'), {}],
        ['basic with a huge secret', 'grant_type=client_credentials', { authorization: basic('m2m', 'x'.repeat(6000)) }],
      ]
      for (const [label, body, headers] of garbage) {
        const h2 = { ...headers }
        if (h2.authorization === '') delete h2.authorization
        const res = await h.fetch(url(), {
          method: 'POST',
          headers: { 'content-type': FORM, ...('authorization' in headers ? {} : { authorization: M2M }), ...h2 },
          body,
        })
        await expectJsonError(res, label)
      }
    })
  })
})
