import { escapeHtml as e, html, type Reply } from './http.js'

const STYLE = `body{font:16px system-ui,sans-serif;max-width:28rem;margin:3rem auto;padding:0 1rem;color:#1a1a1a}
h1{font-size:1.4rem}label{display:block;margin:.8rem 0 .2rem}input[type=text],input[type=password]{width:100%;padding:.5rem;box-sizing:border-box}
button{margin:1rem .5rem 0 0;padding:.5rem 1.2rem}fieldset{border:0;padding:0;margin:.8rem 0}.error{color:#b00020}.muted{color:#555;font-size:.9rem}ul{padding-left:1.2rem}`

/** A provider page with its style: every page the provider shows is built with it. */
export function page(title: string, body: string, status = 200, headers: Record<string, string> = {}): Reply {
  return html(
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">` +
      `<title>${e(title)}</title><style>${STYLE}</style></head><body>${body}</body></html>`,
    status,
    headers,
  )
}

/** Hidden form fields carrying `fields` to the next request. */
export function hidden(fields: Record<string, string>): string {
  return Object.entries(fields)
    .map(([k, v]) => `<input type="hidden" name="${e(k)}" value="${e(v)}">`)
    .join('')
}

export function consentPage(options: {
  action: string
  fields: Record<string, string>
  clientName: string
  description?: string
  policyUri?: string
  scopes: string[]
  username: string
}): Reply {
  return page(
    'Allow access',
    `<h1>${e(options.clientName)} wants to access your account</h1>` +
      (options.description ? `<p>${e(options.description)}</p>` : '') +
      `<p>Signed in as <strong>${e(options.username)}</strong>. It asks for:</p><ul>` +
      options.scopes.map((s) => `<li>${e(s)}</li>`).join('') +
      `</ul>` +
      (options.policyUri ? `<p><a href="${e(options.policyUri)}" rel="noopener">Privacy policy</a></p>` : '') +
      `<form method="post" action="${e(options.action)}">${hidden(options.fields)}` +
      `<label><input type="checkbox" name="save_consent" value="on"> Remember my decision</label>` +
      `<button type="submit" name="decision" value="allow" id="allow">Allow</button>` +
      `<button type="submit" name="decision" value="deny" id="deny">Deny</button></form>`,
  )
}

export function deviceCodeEntryPage(options: { action: string; error?: string; userCode?: string }): Reply {
  return page(
    'Connect a device',
    `<h1>Connect a device</h1>` +
      (options.error ? `<p class="error" role="alert">${e(options.error)}</p>` : '') +
      `<form method="get" action="${e(options.action)}"><label for="user_code">Code shown on your device</label>` +
      `<input type="text" id="user_code" name="user_code" autocomplete="off" value="${e(options.userCode ?? '')}" required>` +
      `<button type="submit" id="continue">Continue</button></form>`,
    options.error ? 400 : 200,
  )
}

export function deviceConfirmPage(options: { action: string; fields: Record<string, string>; clientName: string; scopes: string[] }): Reply {
  return page(
    'Connect a device',
    `<h1>Allow ${e(options.clientName)} on your device?</h1><p>It asks for:</p><ul>` +
      options.scopes.map((s) => `<li>${e(s)}</li>`).join('') +
      `</ul><form method="post" action="${e(options.action)}">${hidden(options.fields)}` +
      `<button type="submit" name="decision" value="allow" id="allow">Allow</button>` +
      `<button type="submit" name="decision" value="deny" id="deny">Deny</button></form>`,
  )
}

/** A page with one message; `error` (an OAuth error code) is shown too, for whoever reports the problem. */
export function messagePage(title: string, message: string, status = 200, headers: Record<string, string> = {}, error?: string): Reply {
  const code = error === undefined ? '' : `<p class="muted">Error: <code id="error">${e(error)}</code></p>`
  return page(title, `<h1>${e(title)}</h1><p id="message">${e(message)}</p>${code}`, status, headers)
}

/** OAuth 2.0 Form Post Response Mode: the browser posts the response to the client. */
export function formPostPage(action: string, fields: Record<string, string>): Reply {
  const body =
    `<form method="post" action="${e(action)}">${hidden(fields)}<noscript><button type="submit">Continue</button></noscript></form>` +
    `<script>document.forms[0].submit()</script>`
  const response = page('Continuing', body)
  response.headers['content-security-policy'] = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; form-action *; frame-ancestors 'none'"
  return response
}
