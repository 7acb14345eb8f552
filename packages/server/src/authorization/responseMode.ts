import type { Context } from '../services/context.js'
import { OAuthError } from '../base/errors.js'
import { redirect, type Reply } from '../base/http.js'
import { formPostPage, messagePage } from '../base/pages.js'
import { spendPushed } from './pushed.js'
import type { Target } from './request.js'

/** An error shown to the user: no redirect URI can be trusted with it. */
export function errorPage(error: unknown): Reply {
  if (!(error instanceof OAuthError)) throw error
  return messagePage('Sign-in request refused', error.message, error.status === 413 ? 413 : 400, {}, error.error)
}

/** A pushed request answered already (RFC 9126 section 4: a `request_uri` is single use). */
export function spentPage(): Reply {
  return errorPage(new OAuthError('invalid_request_uri', 'The request_uri was already used: start again from the application'))
}

/** An error sent back to the client, once client and redirect URI are known good. */
export async function respondError(ctx: Context, target: Target, error: OAuthError): Promise<Reply> {
  if (!(await spendPushed(ctx, target))) return spentPage()
  return deliver(ctx, target, { error: error.error, error_description: error.message })
}

/** Sends the response to the client in its response mode, with `state` and `iss` (RFC 9207). */
export function deliver(ctx: Context, target: Target, fields: Record<string, string>): Reply {
  const out = { ...fields }
  if (target.state !== undefined) out.state = target.state
  if (ctx.realm.settings.responseIss) out.iss = ctx.issuer
  if (target.responseMode === 'form_post') return formPostPage(target.redirectUri, out)
  const url = new URL(target.redirectUri)
  if (target.responseMode === 'query') {
    for (const [k, v] of Object.entries(out)) url.searchParams.append(k, v)
  } else {
    url.hash = new URLSearchParams(out).toString()
  }
  return redirect(url.href)
}
