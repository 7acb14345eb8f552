import { Agent, request as httpsRequest } from 'node:https'
import { AuthError } from '@realmauth/core'

/**
 * A TLS client certificate and where to trust the server (RFC 8705 mutual TLS).
 *
 * @example
 * ```ts
 * const tls: ClientCertificateOptions = { cert: readFileSync('client.pem', 'utf8'), key: readFileSync('client.key', 'utf8') }
 * ```
 */
export interface ClientCertificateOptions {
  /** The client's certificate, PEM (intermediates after it). */
  cert: string | Buffer
  /** Its private key, PEM. */
  key: string | Buffer
  /** CA certificates (PEM) the server's certificate must chain to; default: Node's roots. */
  ca?: string | Buffer
}

/**
 * A `fetch` that presents a TLS client certificate on every `https:` request; other URLs go to
 * the global `fetch`. Node 20's own `fetch` takes a client certificate only through an undici
 * `Agent` (a package of its own, which must match the undici inside Node), so this goes
 * through `node:https` instead. Redirects are not followed, as OAuth calls want.
 *
 * @example
 * ```ts
 * const fetchWithCert = mtlsFetch({ cert: readFileSync('client.pem', 'utf8'), key: readFileSync('client.key', 'utf8') })
 * const res = await fetchWithCert('https://auth.example.com/oauth2/realms/root/realms/alpha/userinfo', { headers: { authorization: 'Bearer ' + tokens.accessToken } })
 * ```
 */
export function mtlsFetch(options: ClientCertificateOptions): typeof fetch {
  if (!options?.cert || !options.key) throw new AuthError('configuration_error', 'A TLS client certificate needs both cert and key (PEM)')
  const agent = new Agent({ cert: options.cert, key: options.key, ...(options.ca !== undefined && { ca: options.ca }), keepAlive: true })
  return async (input, init) => {
    const request = new Request(input, init)
    const url = new URL(request.url)
    if (url.protocol !== 'https:') return fetch(request)
    const body = request.method === 'GET' || request.method === 'HEAD' ? undefined : Buffer.from(await request.arrayBuffer())
    const headers: Record<string, string> = {}
    request.headers.forEach((value, name) => (headers[name] = value))
    if (body !== undefined) headers['content-length'] = String(body.length)
    return new Promise<Response>((resolve, reject) => {
      const req = httpsRequest(url, { method: request.method, headers, agent, signal: request.signal }, (res) => {
        const chunks: Buffer[] = []
        res.on('data', (chunk: Buffer) => chunks.push(chunk))
        res.once('error', reject)
        res.once('end', () => {
          const responseHeaders = new Headers()
          for (const [name, value] of Object.entries(res.headers)) {
            if (value === undefined) continue
            for (const v of Array.isArray(value) ? value : [value]) responseHeaders.append(name, v)
          }
          const status = res.statusCode ?? 502
          const noBody = status === 204 || status === 304 || request.method === 'HEAD'
          resolve(new Response(noBody ? null : Buffer.concat(chunks), { status, statusText: res.statusMessage ?? '', headers: responseHeaders }))
        })
      })
      // fetch fails with a TypeError on network errors; so does this, with the cause kept.
      req.once('error', (cause) => reject(request.signal.aborted ? request.signal.reason : new TypeError('fetch failed', { cause })))
      req.end(body)
    })
  }
}
