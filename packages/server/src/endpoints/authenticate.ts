import type { Context } from '../services/context.js'
import { OAuthError } from '../base/errors.js'
import { json, readOptionalJsonObject, type Reply } from '../base/http.js'
import type { Journey } from '../model/index.js'
import { createSession } from '../services/session.js'
import { answersFromJson, toJson } from '../journeys/callbacks.js'
import { continueJourney, credentials, startJourney, type AnswerReader, type StepResult } from '../journeys/runJourney.js'
import { amError } from './amError.js'

/**
 * `POST {basePath}/json/realms/root/realms/{realm}/authenticate`: AM's journey protocol. With no
 * `authId` it starts the journey `authIndexValue` names (`Login` by default) and answers its first
 * callbacks; posting an answer back with the callbacks filled in runs the next step. Success sets
 * the session cookie and answers `{ tokenId, successUrl, realm }`, or with `noSession=true` on the
 * request that completes it, `{ successUrl, realm }` and no session; failure is AM's 401. The
 * zero-page login (`X-OpenAM-Username`, `X-OpenAM-Password`) answers the first step from headers.
 */
export async function authenticate(ctx: Context): Promise<Reply> {
  // No body starts a journey (AM's first call); a body is the step answered, nested no deeper than any step.
  const body: { authId?: unknown; callbacks?: unknown } = await readOptionalJsonObject(ctx.request, ctx.rt.config.maxBodyBytes)
  if (body.authId !== undefined) {
    if (typeof body.authId !== 'string') throw new OAuthError('invalid_request', 'authId must be a string', 400)
    return respond(ctx, await continueJourney(ctx, body.authId, (callbacks) => answersFromJson(callbacks, body.callbacks)))
  }
  return respond(ctx, await startJourney(ctx, chosenJourney(ctx), { read: zeroPage(ctx) }))
}

/**
 * The journey `authIndexType=service&authIndexValue=…` names; `Login`, the realm's default, when
 * none does ("If authIndexType=service and no authIndexValue is specified, the default service is
 * used", AM's "Authenticate endpoints").
 */
function chosenJourney(ctx: Context): Journey {
  const type = ctx.url.searchParams.get('authIndexType')
  const value = ctx.url.searchParams.get('authIndexValue')
  if (type !== null && type !== 'service') throw new OAuthError('invalid_request', `authIndexType '${type}' is not supported; use 'service'`, 400)
  const name = type === null || !value ? 'Login' : value
  const journey = ctx.realm.journeys.get(name)
  if (!journey) throw new OAuthError('invalid_request', `No journey named '${name}' in this realm`, 400)
  return journey
}

/** AM's zero-page login: the credential headers answer the first step's name and password callbacks. */
function zeroPage(ctx: Context): AnswerReader | undefined {
  const username = ctx.request.headers.get('x-openam-username')
  const password = ctx.request.headers.get('x-openam-password')
  if (username === null && password === null) return undefined
  if (username === null || password === null) throw new OAuthError('access_denied', 'X-OpenAM-Username and X-OpenAM-Password go together', 401)
  return credentials(username, password)
}

async function respond(ctx: Context, result: StepResult): Promise<Reply> {
  if (result.kind === 'failure') return amError(401, 'Login failure', {}, { detail: { failureUrl: '' } })
  if (result.kind === 'step') {
    const { authId, callbacks, header, description, stage } = result
    return json({ authId, callbacks: toJson(callbacks), ...(header !== undefined && { header }), ...(description !== undefined && { description }), ...(stage !== undefined && { stage }) })
  }
  const successUrl = `${ctx.rt.config.basePath}/console`
  // `noSession=true` checks the credentials and creates no session: AM answers without tokenId and sets no cookie
  // (AM's "Authenticate endpoint parameters": `{ successUrl, realm }`; the message of AM's old chains is not there).
  if (ctx.url.searchParams.get('noSession')?.toLowerCase() === 'true') return json({ successUrl, realm: ctx.realm.path })
  const { cookie, token } = await createSession(ctx, result.username, { acr: result.acr, amr: result.amr })
  return json({ tokenId: token, successUrl, realm: ctx.realm.path }, 200, { 'set-cookie': cookie })
}
