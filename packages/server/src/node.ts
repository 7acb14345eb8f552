/**
 * Serve a provider over real HTTP with `node:http`.
 *
 * @packageDocumentation
 * @module @realmauth/server/node
 */
import { createServer, type IncomingMessage, type OutgoingHttpHeaders, type Server, type ServerResponse } from 'node:http'
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import type { TLSSocket } from 'node:tls'
import type { FetchOptions, Provider } from './createProvider.js'
import { decodeBody, type HttpRequest } from './base/http.js'
import { directHandler } from './directHandler.js'
import { installNodeCrypto } from './nodeCrypto.js'

/** Options of {@link listen}. */
export interface ListenOptions {
  /** Default 0: a free port chosen by the system. */
  port?: number
  /** Default `127.0.0.1`. */
  host?: string
  /**
   * Serve HTTPS: the server's certificate and key (PEM), and the CA (PEM) whose certificates
   * `tls_client_auth` clients present. A client certificate is asked for but optional, so
   * browsers still connect; without `clientCa` no chain counts as verified, and only
   * `self_signed_tls_client_auth` and certificate binding use the certificates presented.
   *
   * @example
   * ```ts
   * const running = await listen(provider, { tls: { cert: readFileSync('server.pem', 'utf8'), key: readFileSync('server.key', 'utf8'), clientCa: readFileSync('ca.pem', 'utf8') } })
   * ```
   */
  tls?: { cert: string | Buffer; key: string | Buffer; clientCa?: string | Buffer }
}

/** Options of {@link toNodeListener}. */
export interface NodeListenerOptions {
  /**
   * Set it when the HTTPS server's `ca` is the CA trusted for client certificates alone: then
   * `socket.authorized` lets `tls_client_auth` clients in. Default false, since without a `ca`
   * Node verifies against its public roots, and any publicly issued certificate would pass.
   *
   * @example
   * ```ts
   * import { createServer } from 'node:https'
   * const tls = { cert: readFileSync('server.pem', 'utf8'), key: readFileSync('server.key', 'utf8'), ca: readFileSync('clients-ca.pem', 'utf8') }
   * createServer({ ...tls, requestCert: true, rejectUnauthorized: false }, toNodeListener(provider, { verifiedChains: true })).listen(9443)
   * ```
   */
  verifiedChains?: boolean
}

/** A provider served over HTTP; `close()` stops it and its open connections. */
export interface RunningProvider {
  /** `http://host:port` (`https://` with `tls`), with `localhost` for `127.0.0.1`. */
  url: string
  port: number
  server: Server | HttpsServer
  close(): Promise<void>
}

/**
 * Turns a provider into a `node:http` request listener, for mounting in an existing server.
 *
 * @example
 * ```ts
 * import { createServer } from 'node:http'
 * createServer(toNodeListener(createProvider(demoConfig()))).listen(9000)
 * ```
 */
export function toNodeListener(provider: Provider, options: NodeListenerOptions = {}): (req: IncomingMessage, res: ServerResponse) => void {
  const verifiedChains = options.verifiedChains ?? false
  // The provider's own handlers, without a fetch Request and Response per request (a fifth
  // of a token request's time); a provider whose `fetch` was wrapped is served through it.
  const direct = directHandler(provider)
  // Synchronous node:crypto for hashing, ES256 signing and verifying (decision 0071).
  installNodeCrypto()
  return (req, res) => {
    readBody(req, provider.maxBodyBytes)
      .then((body): Outgoing | Promise<Outgoing> => {
        // A method Node parses but a fetch Request refuses (TRACE): answered alike on both paths.
        if (FETCH_FORBIDDEN.has(req.method ?? '')) return methodNotAllowed(req.method)
        if (direct) return direct(nodeRequest(req, body), requestUrl(req), connection(req, verifiedChains))
        return viaFetch(provider, req, body, connection(req, verifiedChains))
      })
      .then((answer) => send(req, res, answer))
      .catch((error: unknown) => {
        // The provider never throws; this is a broken socket or similar.
        res.destroy(error as Error)
      })
  }
}

/**
 * Serves a provider over HTTP on a loopback port.
 *
 * @example
 * ```ts
 * const running = await listen(createProvider(demoConfig()), { port: 9000 })
 * console.log(running.url) // http://localhost:9000
 * await running.close()
 * ```
 */
export async function listen(provider: Provider, options: ListenOptions = {}): Promise<RunningProvider> {
  await provider.ready
  const host = options.host ?? '127.0.0.1'
  const timeouts = { requestTimeout: 30_000, headersTimeout: 10_000 }
  const tls = options.tls
  const server = tls
    ? createHttpsServer(
        { ...timeouts, cert: tls.cert, key: tls.key, ...(tls.clientCa !== undefined && { ca: tls.clientCa }), requestCert: true, rejectUnauthorized: false },
        toNodeListener(provider, { verifiedChains: tls.clientCa !== undefined }),
      )
    : createServer(timeouts, toNodeListener(provider))
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, host, () => resolve())
  })
  const { port } = server.address() as AddressInfo
  const shown = host === '127.0.0.1' ? 'localhost' : host.includes(':') ? `[${host}]` : host
  return {
    url: `${tls ? 'https' : 'http'}://${shown}:${port}`,
    port,
    server,
    close: () =>
      new Promise((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()))
        server.closeAllConnections()
      }),
  }
}

/**
 * Buffers the body up to one byte past the provider's limit: enough for it to answer 413,
 * never more in memory, and cheaper than bridging a Node stream into a web stream.
 */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  if (req.method === 'GET' || req.method === 'HEAD') return Promise.resolve(undefined)
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    const onData = (chunk: Buffer) => {
      size += chunk.length
      chunks.push(chunk)
      if (size > limit) {
        req.off('data', onData)
        req.pause()
        resolve(Buffer.concat(chunks).subarray(0, limit + 1))
      }
    }
    req.on('data', onData)
    req.once('end', () => resolve(Buffer.concat(chunks)))
    req.once('error', reject)
  })
}

/** What the connection carries: its TLS client certificate (RFC 8705), when one was presented. */
function connection(req: IncomingMessage, verifiedChains: boolean): FetchOptions | undefined {
  const socket = req.socket as Partial<TLSSocket>
  const peer = socket.encrypted ? socket.getPeerCertificate?.() : undefined
  if (!peer?.raw) return undefined
  return { clientCertificate: { certificate: new Uint8Array(peer.raw), chainVerified: verifiedChains && socket.authorized === true } }
}

/** What is written back: a provider's reply, or a `Response` from a wrapped `fetch`. */
interface Outgoing {
  status: number
  headers: OutgoingHttpHeaders
  body: string | Uint8Array | null
}

/** Methods `new Request` refuses. */
const FETCH_FORBIDDEN = new Set(['CONNECT', 'TRACE', 'TRACK'])

/** The handlers' request, read straight from Node's parsed message and the buffered body. */
function nodeRequest(req: IncomingMessage, body: Buffer | undefined): HttpRequest {
  return {
    method: req.method ?? 'GET',
    headers: {
      get(name) {
        // Case-insensitive, as Headers.get: Node keeps names lower-case, callers may not (AM's `iPlanetDirectoryPro`).
        const key = name.toLowerCase()
        // The body was read, so a declared length no longer describes what is passed on.
        if (key === 'content-length' || key === 'transfer-encoding') return null
        const value = req.headers[key]
        if (value === undefined) return null
        return Array.isArray(value) ? value.join(', ') : value
      },
    },
    body: async (limit) => (body === undefined ? '' : decodeBody(body, limit)),
  }
}

/**
 * The request's URL: the trusted host, and only the path and query of the request target. An
 * absolute-form target (`GET http://evil.example/… HTTP/1.1`, which Node accepts as a proxy
 * would) or a `//host/…` one would otherwise name the origin, and so the issuer, as
 * {@link trustedHost} keeps the `Host` header from doing.
 */
function requestUrl(req: IncomingMessage): URL {
  const local = `${req.socket.localAddress?.includes(':') ? `[${req.socket.localAddress}]` : req.socket.localAddress}:${req.socket.localPort}`
  const host = trustedHost(req) ?? local
  const raw = req.url ?? '/'
  try {
    // The usual origin-form target (`/path`, not `//` nor `/\`, which URL reads as a host) is taken as it is.
    if (raw[0] === '/' && raw[1] !== '/' && raw[1] !== '\\') return new URL(raw, `${scheme(req)}://${host}`)
    const target = new URL(raw, 'http://target.invalid')
    const url = new URL(`${scheme(req)}://${host}`)
    // Set as parts, not joined as text: a path such as `//evil.example/x` must stay a path.
    url.pathname = target.pathname
    url.search = target.search
    return url
  } catch {
    return new URL('/', `${scheme(req)}://${local}`)
  }
}

/** For a provider whose `fetch` was wrapped: the request as a fetch `Request`, the answer read back. */
async function viaFetch(provider: Provider, req: IncomingMessage, body: Buffer | undefined, options: FetchOptions | undefined): Promise<Outgoing> {
  const headers = new Headers()
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined || name === 'content-length' || name === 'transfer-encoding') continue
    if (Array.isArray(value)) for (const v of value) headers.append(name, v)
    else headers.set(name, value)
  }
  let request: Request
  try {
    request = new Request(requestUrl(req), { method: req.method ?? 'GET', headers, ...(body !== undefined && { body: body as Uint8Array<ArrayBuffer> }) })
  } catch {
    return methodNotAllowed(req.method)
  }
  const response = await provider.fetch(request, options)
  const out: OutgoingHttpHeaders = {}
  response.headers.forEach((value, name) => {
    if (name !== 'set-cookie') out[name] = value
  })
  const cookies = response.headers.getSetCookie()
  if (cookies.length > 0) out['set-cookie'] = cookies
  return { status: response.status, headers: out, body: response.body ? Buffer.from(await response.arrayBuffer()) : null }
}

/**
 * The `Host` a request may name. Without a configured `origin`, the request's origin becomes
 * the issuer in discovery, so a client-chosen `Host` would let anyone mint discovery documents
 * naming their own server. Only loopback names for the port the request really reached are
 * taken (`localhost:9000` for a server on 127.0.0.1:9000); anything else gets the address the
 * connection reached. Behind a proxy, configure `origin`.
 */
function trustedHost(req: IncomingMessage): string | undefined {
  const host = req.headers.host?.toLowerCase()
  const address = req.socket.localAddress ?? ''
  if (!host || !(address === '::1' || address.startsWith('127.') || address.startsWith('::ffff:127.'))) return undefined
  const m = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\])(?::(\d+))?$/.exec(host)
  if (!m) return undefined
  return Number(m[2] ?? (scheme(req) === 'https' ? 443 : 80)) === req.socket.localPort ? host : undefined
}

function scheme(req: IncomingMessage): 'http' | 'https' {
  return (req.socket as Partial<TLSSocket>).encrypted ? 'https' : 'http'
}

function methodNotAllowed(method: string | undefined): Outgoing {
  const body = { error: 'invalid_request', error_description: `Method ${method} is not allowed here` }
  return { status: 405, headers: { 'content-type': 'application/json', 'cache-control': 'no-store', allow: 'GET, POST' }, body: JSON.stringify(body) }
}

function send(req: IncomingMessage, res: ServerResponse, answer: Outgoing): void | Promise<void> {
  const { headers, body } = answer
  if (body !== null) headers['content-length'] = typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength
  // A body the provider refused unread (413, 405) is drained up to a bound, then the
  // connection closed: closing with the upload still arriving resets it, and the client
  // loses the answer (RFC 9112 section 9.6).
  if (!req.complete) {
    headers.connection = 'close'
    return drain(req, DRAIN_LIMIT).then(() => write(res, answer))
  }
  write(res, answer)
}

function write(res: ServerResponse, { status, headers, body }: Outgoing): void {
  res.writeHead(status, headers)
  res.end(body ?? undefined)
}

/** Bytes of a refused body read and discarded before answering; past it the upload is cut off. */
const DRAIN_LIMIT = 1 << 20

function drain(req: IncomingMessage, limit: number): Promise<void> {
  return new Promise((resolve) => {
    let size = 0
    req.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size > limit) resolve()
    })
    req.once('end', resolve)
    req.once('close', resolve)
    req.once('error', resolve)
    req.resume()
  })
}
