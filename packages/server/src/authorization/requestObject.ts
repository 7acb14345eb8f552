import { decodeProtectedHeader, errors, jwtVerify } from 'jose'
import type { Context } from '../services/context.js'
import { findClient } from '../services/clients.js'
import { keyResolver } from '../services/clientAuth.js'
import { OAuthError } from '../base/errors.js'
import { LOOPBACK_HOSTS, Params } from '../base/http.js'
import { CLIENT_JWT_ALGS, type Client } from '../model/index.js'

/** Claims of the JWT itself, not authorization parameters. */
const JWT_CLAIMS = new Set(['iss', 'aud', 'exp', 'nbf', 'iat', 'jti', 'sub'])

/**
 * RFC 9101: the authorization parameters of a signed request object, passed by value
 * (`request`) or by a `request_uri` the client registered in `request_uris`. The object's
 * parameters supersede those of the query (OIDC Core 6.3.3); the result has neither
 * `request` nor `request_uri`, so what is stored and checked afterwards is plain parameters.
 * `client` is the one `par` authenticated; at `authorize` it is the query's `client_id`.
 */
export async function requestObjectParams(ctx: Context, query: Params, authenticated?: Client): Promise<Params> {
  const value = query.get('request')
  const uri = query.get('request_uri')
  if (value !== undefined && uri !== undefined) throw new OAuthError('invalid_request', 'Send request or request_uri, not both')
  const clientId = authenticated?.id ?? query.get('client_id')
  if (clientId === undefined) throw new OAuthError('invalid_request', 'client_id is required with a request object (RFC 9101 section 5)')
  const client = authenticated ?? (await findClient(ctx, clientId))
  if (!client) throw new OAuthError('invalid_client', `Unknown client '${clientId}'`)
  let jwt: string
  if (value !== undefined) {
    jwt = value
  } else {
    // Only URIs the client registered: the provider never fetches a URL a request names on its own.
    if (!client.requestUris.includes(uri!)) {
      throw new OAuthError('invalid_request_uri', 'The request_uri is not one of the request_uris registered for this client')
    }
    jwt = await fetchRequestObject(ctx, uri!)
  }
  const claims = await verifyRequestObject(ctx, client, jwt)
  // OIDC Core 6.1: response_type repeated in the query must say what the object says.
  const queryType = query.get('response_type')
  if (queryType !== undefined && 'response_type' in claims && claims.response_type !== queryType) {
    throw new OAuthError('invalid_request_object', 'response_type in the request object differs from the query\'s')
  }
  const params = new Params()
  for (const [name, v] of query.entries()) {
    if (name !== 'request' && name !== 'request_uri' && !(name in claims)) params.add(name, v)
  }
  for (const [name, v] of Object.entries(claims)) {
    if (JWT_CLAIMS.has(name) || v === null) continue
    if (Array.isArray(v)) for (const item of v) params.add(name, String(item))
    else params.add(name, typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v))
  }
  return params
}

async function verifyRequestObject(ctx: Context, client: Client, jwt: string): Promise<Record<string, unknown>> {
  const invalid = (description: string) => new OAuthError('invalid_request_object', description)
  const parts = jwt.split('.')
  if (parts.length === 5) throw invalid('Encrypted request objects are not supported: sign it with the client\'s key')
  let alg: unknown
  try {
    alg = decodeProtectedHeader(jwt).alg
  } catch {
    throw invalid('The request object is not a JWT')
  }
  // Unsigned ones are refused, as RFC 9101 section 10.2 advises: anyone could have written them.
  if (alg === 'none' || parts.length !== 3 || parts[2] === '') throw invalid('The request object must be signed with the client\'s key; alg none is refused')
  const allowed: readonly string[] = client.requestObjectAlg !== undefined ? [client.requestObjectAlg] : CLIENT_JWT_ALGS
  if (typeof alg !== 'string' || !allowed.includes(alg)) throw invalid(`The request object's alg must be one of ${allowed.join(', ')}`)
  if (!client.jwks && !client.jwksUri && !client.publicKeyPem) throw invalid('This client has no registered keys to verify a request object with')
  let payload: Record<string, unknown>
  try {
    ;({ payload } = await jwtVerify(jwt, keyResolver(ctx, client), {
      issuer: client.id,
      audience: ctx.issuer,
      algorithms: [...allowed],
      currentDate: new Date(ctx.rt.now()),
      clockTolerance: 5,
      requiredClaims: ['exp'],
    }))
  } catch (cause) {
    const expired = cause instanceof errors.JWTExpired
    throw invalid(expired ? 'The request object has expired' : `The request object is not valid: ${(cause as Error).message}`)
  }
  if (payload.client_id !== client.id) throw invalid('client_id in the request object must match the request\'s client_id')
  if ('request' in payload || 'request_uri' in payload) throw invalid('A request object cannot contain request or request_uri')
  return payload
}

/**
 * Fetches a registered `request_uri`, bounded the way a fetch a client can trigger must be:
 * https or loopback only, no redirects, the realm's body limit, and a timeout covering the
 * body. Nothing of what came back is echoed in the error.
 */
async function fetchRequestObject(ctx: Context, uri: string): Promise<string> {
  const fail = (why: string) => new OAuthError('invalid_request_uri', `The request_uri could not be used: ${why}`)
  const url = new URL(uri)
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname))) throw fail('it must be https')
  const limit = ctx.rt.config.maxBodyBytes
  const signal = AbortSignal.timeout(ctx.rt.config.requestUriTimeoutMs)
  let res: Response
  try {
    res = await ctx.rt.fetch(url.href, { redirect: 'manual', signal, headers: { accept: 'application/oauth-authz-req+jwt, application/jwt' } })
  } catch {
    throw fail(signal.aborted ? 'it did not answer in time' : 'it could not be reached')
  }
  if (res.status !== 200) {
    void res.body?.cancel().catch(() => {})
    throw fail(`it answered HTTP ${res.status}`)
  }
  if (Number(res.headers.get('content-length') ?? 0) > limit) {
    void res.body?.cancel().catch(() => {})
    throw fail(`it is larger than ${limit} bytes`)
  }
  const chunks: Uint8Array[] = []
  let size = 0
  try {
    const reader = res.body?.getReader()
    while (reader) {
      const { done, value } = await reader.read()
      if (done) break
      size += value.byteLength
      if (size > limit) {
        void reader.cancel().catch(() => {})
        throw fail(`it is larger than ${limit} bytes`)
      }
      chunks.push(value)
    }
  } catch (error) {
    if (error instanceof OAuthError) throw error
    throw fail(signal.aborted ? 'it did not answer in time' : 'its body could not be read')
  }
  const body = new Uint8Array(size)
  let at = 0
  for (const chunk of chunks) {
    body.set(chunk, at)
    at += chunk.byteLength
  }
  return new TextDecoder().decode(body).trim()
}
