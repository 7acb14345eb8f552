import { OAuthError, type OAuthErrorCode } from './errors.js'

const utf8 = new TextDecoder('utf-8', { fatal: true })

/** Parameters that RFC 8707 and friends allow to repeat; every other one may appear once. */
const REPEATABLE = new Set(['resource'])

/**
 * Request parameters decoded strictly: malformed percent-encoding and repeated parameters
 * are refused (RFC 6749 section 3.1), instead of being guessed at as URLSearchParams does.
 */
export class Params {
  private readonly values = new Map<string, string[]>()

  /** Parameters kept as `entries()`, such as a stored pushed request or interaction. */
  static fromEntries(entries: Iterable<[string, string]>): Params {
    const params = new Params()
    for (const [name, value] of entries) params.add(name, value)
    return params
  }

  static parse(encoded: string): Params {
    const params = new Params()
    if (encoded === '') return params
    for (const pair of encoded.split('&')) {
      if (pair === '') continue
      const eq = pair.indexOf('=')
      const name = formDecode(eq === -1 ? pair : pair.slice(0, eq))
      const value = eq === -1 ? '' : formDecode(pair.slice(eq + 1))
      params.add(name, value)
    }
    return params
  }

  add(name: string, value: string): void {
    const list = this.values.get(name)
    if (list && !REPEATABLE.has(name)) {
      throw new OAuthError('invalid_request', `Parameter '${name}' is included more than once`)
    }
    if (list) list.push(value)
    else this.values.set(name, [value])
  }

  /** The value, or undefined when absent or empty (RFC 6749: empty parameters are omitted). */
  get(name: string): string | undefined {
    const v = this.values.get(name)?.[0]
    return v === '' ? undefined : v
  }

  getAll(name: string): string[] {
    return this.values.get(name) ?? []
  }

  has(name: string): boolean {
    return this.get(name) !== undefined
  }

  /** Merges `other` into this set; a name present in both is a duplicate. */
  merge(other: Params): Params {
    for (const [name, list] of other.values) for (const v of list) this.add(name, v)
    return this
  }

  entries(): [string, string][] {
    const out: [string, string][] = []
    for (const [name, list] of this.values) for (const v of list) out.push([name, v])
    return out
  }
}

/** application/x-www-form-urlencoded decoding of one name or value; throws on a broken escape. */
export function formDecode(raw: string): string {
  // Most names and values (grant types, tokens, client ids) have nothing to decode.
  if (!raw.includes('%') && !raw.includes('+')) return raw
  try {
    return decodeURIComponent(raw.replace(/\+/g, ' '))
  } catch {
    throw new OAuthError('invalid_request', 'Malformed percent-encoding in the request')
  }
}

export function queryParams(url: URL): Params {
  return Params.parse(url.search.slice(1))
}

/** Loopback hosts, where RFC 8252 allows any port. */
export const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]'])

/**
 * A request as the handlers read it. `provider.fetch` makes one from a fetch `Request`; the
 * node adapter makes one straight from `IncomingMessage`, so a request served by node:http
 * never becomes a `Request`, yet both run the same handlers.
 */
export interface HttpRequest {
  readonly method: string
  /** `Headers.get` semantics: any case of the name, repeated fields joined, null when absent. */
  readonly headers: { get(name: string): string | null }
  /** The body as UTF-8 text: 413 past `limit` bytes, 400 when it is not UTF-8. */
  body(limit: number): Promise<string>
}

/**
 * An answer as the handlers give it: plain data, turned into a `Response` by `provider.fetch`
 * and written with `writeHead`/`end` by the node adapter. Header names are lower-case.
 */
export interface Reply {
  status: number
  headers: Record<string, string>
  body: string | null
}

/** The handlers' view of a fetch `Request`; its body is read as a stream, up to `limit`. */
export function fromRequest(request: Request): HttpRequest {
  return { method: request.method, headers: request.headers, body: (limit) => readBody(request, limit) }
}

/** The fetch `Response` for a reply. */
export function toResponse(reply: Reply): Response {
  return new Response(reply.body, { status: reply.status, headers: reply.headers })
}

/** Parameters of a page endpoint: the form body of a POST, the query of a GET. */
export async function pageParams(request: HttpRequest, url: URL, limit: number): Promise<Params> {
  return request.method === 'POST' ? readForm(request, limit) : queryParams(url)
}

/** Reads the body as UTF-8 text, refusing more than `limit` bytes with 413 without buffering them. */
async function readBody(request: Request, limit: number): Promise<string> {
  const declared = request.headers.get('content-length')
  if (declared !== null && Number(declared) > limit) throw tooLarge(limit)
  if (!request.body) return ''
  const reader = request.body.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    size += value.byteLength
    if (size > limit) {
      // Not awaited: cancelling one branch of a tee'd body (a cloned Request, as msw makes)
      // settles only once the other branch is cancelled too, which may never happen.
      reader.cancel().catch(() => {})
      throw tooLarge(limit)
    }
    chunks.push(value)
  }
  const bytes = new Uint8Array(size)
  let offset = 0
  for (const c of chunks) {
    bytes.set(c, offset)
    offset += c.byteLength
  }
  return decodeBody(bytes, limit)
}

/** A body already in memory as UTF-8 text: 413 past `limit` bytes, 400 when it is not UTF-8. */
export function decodeBody(bytes: Uint8Array, limit: number): string {
  if (bytes.byteLength > limit) throw tooLarge(limit)
  try {
    return utf8.decode(bytes)
  } catch {
    throw new OAuthError('invalid_request', 'The request body is not valid UTF-8')
  }
}

function tooLarge(limit: number): OAuthError {
  return new OAuthError('invalid_request', `The request body exceeds ${limit} bytes`, 413)
}

/**
 * Deepest nesting a JSON body may have. Client metadata and journey answers are a few levels
 * deep; a body nested thousands deep would overflow the stack wherever it is walked later
 * (`JSON.stringify`, a copy), so it is refused before anything sees it.
 */
const MAX_JSON_DEPTH = 32

/**
 * Reads an `application/json` body: 400 with `invalid` as the error for anything that is not
 * a JSON object no deeper than {@link MAX_JSON_DEPTH}; 413 past `limit` bytes.
 */
export async function readJsonObject(request: HttpRequest, limit: number, invalid: OAuthErrorCode): Promise<Record<string, unknown>> {
  requireJson(request)
  return parseJsonObject(await request.body(limit), invalid)
}

function requireJson(request: HttpRequest): void {
  if (mediaType(request) !== 'application/json') throw new OAuthError('invalid_request', 'The body must be application/json')
}

/** The request's media type, lower case, without parameters such as charset. */
function mediaType(request: HttpRequest): string | undefined {
  return request.headers.get('content-type')?.split(';')[0]?.trim().toLowerCase()
}

/**
 * Reads the optional JSON body of AM's REST actions (`authenticate`, `sessions`): none is `{}`;
 * one must be declared `application/json`, as AM's `json/` endpoints require. A `text/plain`
 * body is what a cross-site HTML form can send without a preflight, so taking one would let any
 * page answer a journey step in a visitor's browser and sign them in as someone else.
 */
export async function readOptionalJsonObject(request: HttpRequest, limit: number): Promise<Record<string, unknown>> {
  const text = await request.body(limit)
  if (text.trim() === '') return {}
  requireJson(request)
  return parseJsonObject(text, 'invalid_request')
}

/** Parses JSON text that must be an object no deeper than {@link MAX_JSON_DEPTH}; 400 with `invalid` otherwise. */
export function parseJsonObject(text: string, invalid: OAuthErrorCode): Record<string, unknown> {
  if (jsonDepth(text) > MAX_JSON_DEPTH) throw new OAuthError(invalid, `The body is nested deeper than ${MAX_JSON_DEPTH} levels`)
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    throw new OAuthError(invalid, 'The body is not valid JSON')
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new OAuthError(invalid, 'The body must be a JSON object')
  return value as Record<string, unknown>
}

/** Nesting depth of JSON text, counted without parsing it (brackets inside strings do not count). */
function jsonDepth(text: string): number {
  let depth = 0
  let deepest = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (inString) {
      if (c === 0x5c) i++ // backslash: skip the escaped character
      else if (c === 0x22) inString = false
    } else if (c === 0x22) inString = true
    else if (c === 0x7b || c === 0x5b) deepest = Math.max(deepest, ++depth)
    else if (c === 0x7d || c === 0x5d) depth--
  }
  return deepest
}

/** True when the request declares a form body (parameters such as charset are allowed). */
export function isForm(request: HttpRequest): boolean {
  return mediaType(request) === 'application/x-www-form-urlencoded'
}

/** Reads a form body; any other content type is `invalid_request`. */
export async function readForm(request: HttpRequest, limit: number): Promise<Params> {
  if (!isForm(request)) {
    throw new OAuthError('invalid_request', 'The request body must be application/x-www-form-urlencoded')
  }
  return Params.parse(await request.body(limit))
}

export function requireMethod(request: HttpRequest, ...allowed: string[]): void {
  if (!allowed.includes(request.method)) {
    throw new OAuthError('invalid_request', `Method ${request.method} is not allowed here`, 405, {
      allow: allowed.join(', '),
    })
  }
}

const NO_STORE = { 'cache-control': 'no-store', pragma: 'no-cache' }

export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Reply {
  return {
    status,
    headers: { 'content-type': 'application/json', ...('cache-control' in headers ? {} : NO_STORE), ...headers },
    body: JSON.stringify(body),
  }
}

export function errorResponse(error: OAuthError): Reply {
  return json({ error: error.error, error_description: error.message }, error.status, error.headers)
}

export function html(body: string, status = 200, headers: Record<string, string> = {}): Reply {
  return {
    status,
    body,
    headers: {
      'content-type': 'text/html; charset=utf-8',
      ...NO_STORE,
      'x-frame-options': 'DENY',
      'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; form-action *; frame-ancestors 'none'",
      ...headers,
    },
  }
}

export function redirect(location: string, headers: Record<string, string> = {}): Reply {
  return { status: 302, headers: { location, ...NO_STORE, ...headers }, body: null }
}

export function readCookie(request: HttpRequest, name: string): string | undefined {
  const header = request.headers.get('cookie')
  if (!header) return undefined
  for (const part of header.split(';')) {
    const eq = part.indexOf('=')
    if (eq !== -1 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim()
  }
  return undefined
}

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
}
