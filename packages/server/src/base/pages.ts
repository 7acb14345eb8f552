import { escapeHtml as e, html, type Reply } from './http.js'

// One small sheet, inline: pages load nothing else, so the CSP stays `default-src 'none'`.
const STYLE = `*{box-sizing:border-box}body{font:16px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;padding:2rem 1rem;background:#f3f4f6;color:#1f2937}
main{max-width:26rem;margin:0 auto;background:#fff;border-radius:12px;box-shadow:0 1px 3px #0002;padding:1.5rem 1.75rem}main.wide{max-width:52rem}
h1{font-size:1.35rem;margin:0 0 .75rem}h2{font-size:1.1rem;margin:1.5rem 0 .5rem}label{display:block;margin:.8rem 0 .25rem;font-weight:500}
input[type=text],input[type=password],textarea{width:100%;padding:.6rem;border:1px solid #cbd5e1;border-radius:8px;font:inherit}
fieldset label,label:has(input[type=checkbox]){font-weight:400}button{font:inherit;margin:1rem .5rem 0 0;padding:.6rem 1.3rem;border-radius:8px;border:1px solid #cbd5e1;background:#fff;cursor:pointer}
button[type=submit]:first-of-type{background:#2563eb;border-color:#2563eb;color:#fff}button:focus-visible,a:focus-visible{outline:3px solid #93c5fd}
fieldset{border:0;padding:0;margin:.8rem 0}.error{color:#b00020}.muted{color:#6b7280;font-size:.9rem}ul{padding-left:1.2rem}
code,pre{font:.85rem ui-monospace,monospace;word-break:break-all;white-space:pre-wrap}table{border-collapse:collapse;width:100%;font-size:.9rem}td,th{text-align:left;padding:.3rem .4rem;border-top:1px solid #e5e7eb;vertical-align:top}`

/** A provider page with its style: every page the provider shows is built with it. */
export function page(title: string, body: string, status = 200, headers: Record<string, string> = {}, wide = false): Reply {
  return html(
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">` +
      `<title>${e(title)}</title><style>${STYLE}</style></head><body><main${wide ? ' class="wide"' : ''}>${body}</main></body></html>`,
    status,
    headers,
  )
}

const SCOPE_WORDS: Record<string, string> = {
  openid: 'Sign you in',
  profile: 'Your name and profile',
  email: 'Your email address',
  address: 'Your postal address',
  phone: 'Your phone number',
  offline_access: 'Stay signed in when you are away',
}

/** A claim a consent page shows: its words (in `lang` when a client's localized description was chosen) and the user's value. */
export interface ShownClaim {
  label: string
  lang?: string
  value: string
}

/** What a consent page says the client asks for: each scope with the claims it releases, then the user's other claims. */
export interface ConsentClaims {
  scopes: { scope: string; claims: ShownClaim[] }[]
  others: ShownClaim[]
}

function claimList(claims: ShownClaim[]): string {
  if (claims.length === 0) return ''
  const label = (c: ShownClaim) => (c.lang === undefined ? e(c.label) : `<span lang="${e(c.lang)}">${e(c.label)}</span>`)
  return '<ul class="claims">' + claims.map((c) => `<li>${label(c)}: ${e(c.value)}</li>`).join('') + '</ul>'
}

/** The scopes as a list a user reads: known ones in words, others as they are, each with what it shares. */
function scopeList(asked: ConsentClaims): string {
  const scopes = asked.scopes.map((s) => `<li>${e(SCOPE_WORDS[s.scope] ?? s.scope)}${claimList(s.claims)}</li>`).join('')
  const others = asked.others.length > 0 ? `<li>Other details about you${claimList(asked.others)}</li>` : ''
  return `<ul class="scopes">${scopes}${others}</ul>`
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
  asked: ConsentClaims
  username: string
}): Reply {
  return page(
    'Allow access',
    `<h1>${e(options.clientName)} wants to access your account</h1>` +
      (options.description ? `<p>${e(options.description)}</p>` : '') +
      `<p>Signed in as <strong>${e(options.username)}</strong>. It asks to:</p>` +
      scopeList(options.asked) +
      (options.policyUri ? `<p><a href="${e(options.policyUri)}" rel="noopener">Privacy policy</a></p>` : '') +
      `<form method="post" action="${e(options.action)}">${hidden(options.fields)}` +
      `<label><input type="checkbox" name="save_consent" value="on"> Remember my decision</label>` +
      `<button type="submit" name="decision" value="allow" id="allow">Allow</button>` +
      `<button type="submit" name="decision" value="deny" id="deny">Cancel</button></form>`,
  )
}

export function deviceCodeEntryPage(options: { action: string; error?: string; userCode?: string; status?: number }): Reply {
  return page(
    'Connect a device',
    `<h1>Connect a device</h1>` +
      (options.error ? `<p class="error" role="alert">${e(options.error)}</p>` : '') +
      `<form method="get" action="${e(options.action)}"><label for="user_code">Code shown on your device</label>` +
      `<input type="text" id="user_code" name="user_code" autocomplete="off" value="${e(options.userCode ?? '')}" required>` +
      `<button type="submit" id="continue">Continue</button></form>`,
    options.status ?? (options.error ? 400 : 200),
  )
}

export function deviceConfirmPage(options: { action: string; fields: Record<string, string>; clientName: string; asked: ConsentClaims }): Reply {
  return page(
    'Connect a device',
    `<h1>Allow ${e(options.clientName)} on your device?</h1><p>It asks to:</p>` +
      scopeList(options.asked) +
      `<form method="post" action="${e(options.action)}">${hidden(options.fields)}` +
      `<button type="submit" name="decision" value="allow" id="allow">Allow</button>` +
      `<button type="submit" name="decision" value="deny" id="deny">Cancel</button></form>`,
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
