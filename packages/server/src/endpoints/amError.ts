import { OAuthError } from '../base/errors.js'
import { json, type Reply } from '../base/http.js'

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  413: 'Request Entity Too Large',
  501: 'Not Implemented',
  503: 'Service Unavailable',
}

/** An answer in the shape AM's REST endpoints (`json/…`) give errors: `{ code, reason, message }`. */
export function amError(status: number, message: string, headers: Record<string, string> = {}, extra: Record<string, unknown> = {}): Reply {
  return json({ code: status, reason: REASONS[status] ?? 'Error', message, ...extra }, status, headers)
}

/** A refused `json/…` request in AM's shape; anything but an {@link OAuthError} is rethrown. */
export function amErrorOf(error: unknown): Reply {
  if (!(error instanceof OAuthError)) throw error
  return amError(error.status, error.message, error.headers, error.detail === undefined ? {} : { detail: error.detail })
}
