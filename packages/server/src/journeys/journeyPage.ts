import { escapeHtml as e, type Reply } from '../base/http.js'
import { hidden, page } from '../base/pages.js'
import { formFieldNames, type Callback } from './callbacks.js'

function outputOf(c: Callback, name: string): unknown {
  return c.output.find((o) => o.name === name)?.value
}

/** One callback as form controls; `name` is its field (none for text output). */
function control(c: Callback, name: string | undefined): string {
  const id = name ?? ''
  const prompt = e(String(outputOf(c, 'prompt') ?? ''))
  switch (c.type) {
    case 'NameCallback':
      return `<label for="${e(id)}">${prompt}</label><input type="text" id="${e(id)}" name="${e(id)}" autocomplete="username" value="${e(String(c.initial ?? ''))}" required>`
    case 'PasswordCallback': {
      const autocomplete = id === 'password' ? 'current-password' : 'one-time-code'
      return `<label for="${e(id)}">${prompt}</label><input type="password" id="${e(id)}" name="${e(id)}" autocomplete="${autocomplete}" required>`
    }
    case 'ChoiceCallback': {
      const choices = outputOf(c, 'choices') as string[]
      return (
        `<fieldset><legend>${prompt}</legend>` +
        choices
          .map((choice, i) => `<label><input type="radio" name="${e(id)}" value="${i}"${i === c.initial ? ' checked' : ''}> ${e(choice)}</label>`)
          .join('') +
        `</fieldset>`
      )
    }
    case 'HiddenValueCallback':
      // The element id is AM's, so a page script can find and fill it; the field name carries the answer.
      return `<input type="hidden" id="${e(String(outputOf(c, 'id')))}" name="${e(id)}" value="${e(String(c.initial))}">`
    case 'TextOutputCallback':
      return `<p class="journey-message">${e(String(outputOf(c, 'message') ?? ''))}</p>`
    case 'ConfirmationCallback':
      return (outputOf(c, 'options') as string[])
        .map((option, i) => `<button type="submit" name="${e(id)}" value="${i}">${e(option)}</button>`)
        .join('')
  }
}

/**
 * The sign-in page for one step of a journey: its callbacks as a form that posts the answers
 * back with the `authId`, so the page and AM's REST protocol run one engine.
 */
export function journeyPage(options: {
  action: string
  fields: Record<string, string>
  callbacks: Callback[]
  realm: string
  /** The application the user signs in to, when the sign-in came from one. */
  app?: string
  header?: string
  description?: string
  error?: string
  status?: number
}): Reply {
  const names = formFieldNames(options.callbacks)
  const confirms = options.callbacks.some((c) => c.type === 'ConfirmationCallback')
  return page(
    'Sign in',
    `<h1>${e(options.header ?? 'Sign in')}</h1>` +
      (options.app === undefined ? '' : `<p>to continue to <strong class="app">${e(options.app)}</strong></p>`) +
      `<p class="muted">Realm ${e(options.realm)}</p>` +
      (options.description ? `<p>${e(options.description)}</p>` : '') +
      (options.error ? `<p class="error" role="alert">${e(options.error)}</p>` : '') +
      `<form method="post" action="${e(options.action)}">${hidden(options.fields)}` +
      options.callbacks.map((c, i) => control(c, names[i])).join('') +
      (confirms ? '' : `<button type="submit" id="sign-in">${names.includes('password') ? 'Sign in' : 'Next'}</button>`) +
      `</form>`,
    options.status ?? (options.error ? 401 : 200),
  )
}
