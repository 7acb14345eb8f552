import { isProviderOrigin, type Context } from '../services/context.js'
import { OAuthError } from '../base/errors.js'
import { Params, readForm, redirect, requireMethod, type Reply } from '../base/http.js'
import { messagePage } from '../base/pages.js'
import type { Journey } from '../model/index.js'
import { findClient } from '../services/clients.js'
import { createSession } from '../services/session.js'
import type { InteractionPayload } from '../records/index.js'
import { answerOf, formFieldNames, type Callback } from '../journeys/callbacks.js'
import { journeyPage } from '../journeys/journeyPage.js'
import { continueJourney, startJourney, type AnswerReader, type StepResult } from '../journeys/runJourney.js'

/**
 * `GET|POST {basePath}/login?realm=…&goto=…&service=…`: the sign-in page, one journey step
 * per form. Only URLs under this provider's own `oauth2` tree are followed after sign-in, so
 * it is no open redirector.
 */
export async function login(ctx: Context): Promise<Reply> {
  requireMethod(ctx.request, 'GET', 'POST')
  let form: Params
  try {
    form = ctx.request.method === 'POST' ? await readForm(ctx.request, ctx.rt.config.maxBodyBytes) : new Params()
  } catch (error) {
    // A page, like authorize, device/user and endSession: a browser shows the reason, not JSON.
    if (!(error instanceof OAuthError)) throw error
    return messagePage('Sign-in request refused', error.message, error.status)
  }
  const param = (name: string) => (ctx.request.method === 'POST' ? form.get(name) : (ctx.url.searchParams.get(name) ?? undefined))
  const journey = ctx.realm.journeys.get(param('service') ?? 'Login')
  if (!journey) return messagePage('Sign-in request refused', `No journey named '${param('service')}' in this realm`, 400)
  const acr = journey.acrValues.find((a) => a === param('acr'))
  const page = { goto: safeGoto(ctx, param('goto') ?? null), journey, ...(acr !== undefined && { acr }) }
  if (ctx.request.method === 'GET') return show(ctx, page, await startJourney(ctx, journey, { ...page, ...hint(param('login_hint')) }))
  if (crossSite(ctx)) {
    // Login CSRF: a page elsewhere posting its own credentials would sign this browser in as its
    // author, and what the user then does lands in that account. The form is shown afresh instead.
    return show(ctx, page, await startJourney(ctx, journey, page), 'This sign-in form came from another site. Sign in here if you meant to.', 403)
  }
  const authId = form.get('authId')
  try {
    const result = authId === undefined ? await startJourney(ctx, journey, { ...page, read: fromForm(form) }) : await continueJourney(ctx, authId, fromForm(form))
    return await show(ctx, page, result)
  } catch (error) {
    if (!(error instanceof OAuthError)) throw error
    // A timed-out, spent or malformed step starts over, with the reason shown.
    return show(ctx, page, await startJourney(ctx, journey, page), error.message, error.status)
  }
}

interface PageState {
  goto: string
  journey: Journey
  acr?: string
}

function hint(username: string | undefined): { username?: string } {
  return username === undefined ? {} : { username }
}

function fromForm(form: Params): AnswerReader {
  return (callbacks: Callback[]) => {
    const names = formFieldNames(callbacks)
    return callbacks.map((c, i) => answerOf(c, names[i] === undefined ? undefined : (form.get(names[i]) ?? (typeof c.initial === 'string' ? '' : c.initial))))
  }
}

async function show(ctx: Context, state: PageState, result: StepResult, error?: string, status?: number): Promise<Reply> {
  if (result.kind === 'failure') {
    const again = await startJourney(ctx, state.journey, { ...state, ...hint(result.username) })
    return show(ctx, state, again, 'Wrong username or password.', 401)
  }
  if (result.kind === 'success') {
    const { cookie } = await createSession(ctx, result.username, { acr: result.acr, amr: result.amr })
    if (state.goto === '') return messagePage('Signed in', `You are signed in as ${result.username}.`, 200, { 'set-cookie': cookie })
    return redirect(state.goto, { 'set-cookie': cookie })
  }
  const app = await appName(ctx, state.goto)
  const fields: Record<string, string> = { goto: state.goto, authId: result.authId, service: state.journey.name }
  if (state.acr !== undefined) fields.acr = state.acr
  return journeyPage({
    action: `${ctx.url.pathname}?realm=${encodeURIComponent(ctx.realm.path)}`,
    fields,
    callbacks: result.callbacks,
    realm: ctx.realm.path,
    ...(app !== undefined && { app }),
    ...(result.header !== undefined && { header: result.header }),
    ...(result.description !== undefined && { description: result.description }),
    ...(error !== undefined && { error }),
    ...(status !== undefined && { status }),
  })
}

/** The name of the client whose authorization request sent the user here, if one did. */
async function appName(ctx: Context, goto: string): Promise<string | undefined> {
  if (goto === '') return undefined
  const url = new URL(goto)
  const interaction = url.searchParams.get('interaction')
  const found = interaction === null ? undefined : await ctx.rt.store.find<InteractionPayload>('Interaction', interaction)
  const entry = found?.payload.realm === ctx.realm.path ? found : undefined
  const clientId = entry?.payload.params.find(([k]) => k === 'client_id')?.[1] ?? url.searchParams.get('client_id')
  return clientId ? (await findClient(ctx, clientId))?.name : undefined
}

/**
 * Whether a browser says the form was posted by a page of another origin: `Sec-Fetch-Site`
 * where it sends one, else an `Origin` other than this provider's. The sign-in page posts to
 * itself; requests without either header (older browsers, scripts) are not browsers tricked by a page.
 */
function crossSite(ctx: Context): boolean {
  const site = ctx.request.headers.get('sec-fetch-site')
  if (site !== null) return site !== 'same-origin' && site !== 'none'
  const origin = ctx.request.headers.get('origin')
  return origin !== null && !isProviderOrigin(ctx, origin)
}

function safeGoto(ctx: Context, goto: string | null): string {
  if (!goto || !URL.canParse(goto)) return ''
  const url = new URL(goto)
  return isProviderOrigin(ctx, url.origin) && url.pathname.startsWith(`${ctx.rt.config.basePath}/oauth2/`) ? url.href : ''
}
