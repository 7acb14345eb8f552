// The page test/browser/forgerock-sdk.test.ts drives: ForgeRock's JavaScript SDK 4.9, used
// as its docs and samples use it, against the reference provider on another origin.
import { CallbackType, Config, FRAuth, FRUser, HttpClient, StepType, TokenManager, UserManager, type FRLoginFailure, type FRStep, type NameCallback, type PasswordCallback } from '@forgerock/javascript-sdk'

const config = JSON.parse(document.getElementById('config')!.textContent!) as { baseUrl: string }

Config.set({
  serverConfig: { baseUrl: config.baseUrl, timeout: 5000 },
  realmPath: 'alpha',
  clientId: 'spa',
  redirectUri: `${location.origin}/callback`,
  scope: 'openid profile',
  tree: 'Login',
})

/** Walks the Login journey, answering the name and password callbacks; the step type it ends with. */
async function login(username: string, password: string): Promise<string> {
  const step = (await FRAuth.next()) as FRStep
  if (step.type !== StepType.Step) return step.type
  step.getCallbackOfType<NameCallback>(CallbackType.NameCallback).setName(username)
  step.getCallbackOfType<PasswordCallback>(CallbackType.PasswordCallback).setPassword(password)
  return (await FRAuth.next(step)).type
}

/** The journey step the page holds between calls, as an app holds it while the user types. */
let pending: FRStep | undefined

/** Starts the Login journey and keeps its first step; the test lets time pass before answering it. */
async function beginLogin(): Promise<string> {
  const step = await FRAuth.next()
  pending = step.type === StepType.Step ? (step as FRStep) : undefined
  return step.type
}

/**
 * Answers the kept step. When AM says its `authId` has timed out (401 with `detail.errorCode`
 * 110; SDK 4.9 hands that over as a LoginFailure and restarts nothing itself), the app starts
 * the journey again and answers its fresh first step. Returns the failure it recovered from.
 */
async function finishLogin(username: string, password: string): Promise<{ type: string; recovered?: { code: number; message?: string; errorCode?: unknown } }> {
  const fill = (step: FRStep): FRStep => {
    step.getCallbackOfType<NameCallback>(CallbackType.NameCallback).setName(username)
    step.getCallbackOfType<PasswordCallback>(CallbackType.PasswordCallback).setPassword(password)
    return step
  }
  const first = await FRAuth.next(fill(pending!))
  pending = undefined
  if (first.type !== StepType.LoginFailure) return { type: first.type }
  const failure = first as FRLoginFailure
  const recovered = { code: failure.getCode(), message: failure.getMessage(), errorCode: (failure.getDetail() as { errorCode?: unknown } | undefined)?.errorCode }
  if (recovered.errorCode !== '110') return { type: first.type, recovered }
  const again = (await FRAuth.next()) as FRStep
  return { type: (await FRAuth.next(fill(again))).type, recovered }
}

/** What a call returned, or the error it threw, as data the test can read. */
async function settle<T>(run: () => Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: string }> {
  try {
    return { ok: true, value: await run() }
  } catch (e) {
    return { ok: false, error: e instanceof Error ? e.message : String(e) }
  }
}

const fr = {
  login,
  beginLogin,
  finishLogin,
  getTokens: () => settle(async () => (await TokenManager.getTokens({ forceRenew: true }))?.accessToken),
  currentUser: () => settle(() => UserManager.getCurrentUser() as Promise<{ sub: string }>),
  callApi: () => settle(async () => (await HttpClient.request({ url: `${location.origin}/api/hello`, init: { method: 'GET' }, timeout: 5000 })).json() as Promise<{ hello?: string }>),
  logout: () => settle(() => FRUser.logout()),
  storedAccessToken: () => (JSON.parse(localStorage.getItem('FR-SDK-spa') ?? 'null') as { accessToken?: string } | null)?.accessToken,
}

declare global {
  interface Window {
    fr: typeof fr
  }
}
window.fr = fr
document.body.dataset.ready = 'true'
