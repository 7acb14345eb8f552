import type { Context } from '../services/context.js'
import { OAuthError } from '../base/errors.js'
import { json, readForm, redirect, requireMethod, type Params } from '../base/http.js'
import { loginPage, messagePage } from '../base/pages.js'
import { createSession } from '../services/session.js'
import { verifyPassword } from '../services/users.js'

/**
 * `GET|POST {basePath}/login?realm=…&goto=…`: the sign-in page. Only URLs under this
 * provider's own `oauth2` tree are followed after sign-in, so it is no open redirector.
 */
export async function login(ctx: Context): Promise<Response> {
  requireMethod(ctx.request, 'GET', 'POST')
  const action = `${ctx.url.pathname}?realm=${encodeURIComponent(ctx.realm.path)}`
  if (ctx.request.method === 'GET') {
    const goto = safeGoto(ctx, ctx.url.searchParams.get('goto'))
    const hint = ctx.url.searchParams.get('login_hint') ?? undefined
    return loginPage({ action, goto, realm: ctx.realm.path, ...(hint !== undefined && { username: hint }) })
  }
  let form: Params
  try {
    form = await readForm(ctx.request, ctx.rt.config.maxBodyBytes)
  } catch (error) {
    // A page, like authorize, device/user and endSession: a browser shows the reason, not JSON.
    if (!(error instanceof OAuthError)) throw error
    return messagePage('Sign-in request refused', error.message, error.status)
  }
  const goto = safeGoto(ctx, form.get('goto') ?? null)
  const username = form.get('username') ?? ''
  const user = await verifyPassword(ctx, username, form.get('password') ?? '')
  if (!user) return loginPage({ action, goto, realm: ctx.realm.path, username, error: 'Wrong username or password.' })
  const { cookie } = await createSession(ctx, user.username)
  if (goto === '') return messagePage('Signed in', `You are signed in as ${user.username}.`, 200, { 'set-cookie': cookie })
  return redirect(goto, { 'set-cookie': cookie })
}

function safeGoto(ctx: Context, goto: string | null): string {
  if (!goto || !URL.canParse(goto)) return ''
  const url = new URL(goto)
  const origins = [ctx.url.origin, ctx.rt.config.origin]
  return origins.includes(url.origin) && url.pathname.startsWith(`${ctx.rt.config.basePath}/oauth2/`) ? url.href : ''
}

/**
 * AM's zero-page REST sign-in: `POST {basePath}/json/realms/root/realms/alpha/authenticate`
 * with `X-OpenAM-Username` and `X-OpenAM-Password`. Answers `{ tokenId, successUrl, realm }`
 * and sets the session cookie.
 */
export async function authenticate(ctx: Context): Promise<Response> {
  requireMethod(ctx.request, 'POST')
  const username = ctx.request.headers.get('x-openam-username')
  const password = ctx.request.headers.get('x-openam-password')
  if (username === null || password === null) {
    throw new OAuthError('invalid_request', 'X-OpenAM-Username and X-OpenAM-Password are required', 401)
  }
  const user = await verifyPassword(ctx, username, password)
  if (!user) return json({ code: 401, reason: 'Unauthorized', message: 'Login failure' }, 401)
  const { cookie, token } = await createSession(ctx, user.username)
  return json(
    { tokenId: token, successUrl: `${ctx.rt.config.basePath}/console`, realm: ctx.realm.path },
    200,
    { 'set-cookie': cookie },
  )
}
