/** Helpers shared by the token endpoint tests (grants, client authentication, hostile input). */
import { expect } from 'vitest'
import type { Harness } from './harness.js'

export interface TokenResponse {
  access_token: string
  token_type: string
  expires_in: number
  scope: string
  refresh_token?: string
  id_token?: string
}

export interface ErrorBody {
  error: string
  error_description: string
}

/** POSTs a raw body (a string is sent as is) to an endpoint of a realm. */
export function post(
  h: Harness,
  realm: string,
  endpoint: string,
  body: Record<string, string> | string,
  headers: Record<string, string> = {},
): Promise<Response> {
  return h.fetch(`${h.issuer(realm)}/${endpoint}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: typeof body === 'string' ? body : new URLSearchParams(body).toString(),
  })
}

/** Checks a token response: 200, JSON, `no-store`, a Bearer access token. */
export async function expectTokens(res: Response): Promise<TokenResponse> {
  const text = await res.text()
  expect(res.status, text).toBe(200)
  expect(res.headers.get('content-type')).toMatch(/^application\/json/)
  expect(res.headers.get('cache-control')).toBe('no-store')
  const body = JSON.parse(text) as TokenResponse
  expect(body.token_type).toBe('Bearer')
  expect(typeof body.access_token).toBe('string')
  return body
}

/** Checks an error response: its status, JSON `{error, error_description}` and the error code. */
export async function expectError(res: Response, status: number, error: string): Promise<ErrorBody> {
  const text = await res.text()
  expect(res.status, text).toBe(status)
  expect(res.headers.get('content-type')).toMatch(/^application\/json/)
  const body = JSON.parse(text) as ErrorBody
  expect(body.error, text).toBe(error)
  expect(typeof body.error_description).toBe('string')
  return body
}

/** Decodes a JWT's header without checking it. */
export function jwtHeader(jwt: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwt.split('.')[0]!, 'base64url').toString()) as Record<string, unknown>
}

/**
 * The provider's clock in seconds, read from the `iat` of a client_credentials token, so
 * tests build assertions in the provider's time in every mode (the CLI's clock is real time
 * plus the advanced offset, the in-process one starts at a fixed epoch).
 */
export async function providerNow(h: Harness, realm: string, authorization: string): Promise<number> {
  const res = await post(h, realm, 'access_token', { grant_type: 'client_credentials' }, { authorization })
  const body = await expectTokens(res)
  const payload = JSON.parse(Buffer.from(body.access_token.split('.')[1]!, 'base64url').toString()) as { iat: number }
  return payload.iat
}
