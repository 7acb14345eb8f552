import { randomToken } from '../base/crypto.js'
import { escapeHtml as e, type Reply } from '../base/http.js'
import { page } from '../base/pages.js'
import type { Client, Realm } from '../model/index.js'
import { issuerFor, type Runtime } from '../services/context.js'

// Decodes in the page: a token pasted here never reaches the provider or its logs.
const DECODER = `const t=document.getElementById('jwt'),o=document.getElementById('decoded');
function part(s){s=s.replace(/-/g,'+').replace(/_/g,'/');const b=Uint8Array.from(atob(s),c=>c.charCodeAt(0));return JSON.stringify(JSON.parse(new TextDecoder().decode(b)),null,2)}
t.addEventListener('input',()=>{const p=t.value.trim().split('.');try{o.textContent=p.length<2?'':'header '+part(p[0])+'\\npayload '+part(p[1])}catch(x){o.textContent='Not a JWT: '+x.message}})`

function clientRow(c: Client): string {
  // Never the secret: only what a developer needs to point an app at this provider.
  return (
    `<tr><td><code>${e(c.id)}</code></td><td>${c.name === c.id ? '' : e(c.name)}</td><td>${c.isPublic ? 'public' : 'confidential'}</td>` +
    `<td>${c.redirectUris.map((u) => `<code>${e(u)}</code>`).join('<br>')}</td></tr>`
  )
}

/**
 * Where a realm's apps may register themselves. The clients registered there are never listed
 * on the page: anyone may register one, so a list would show every visitor the names and
 * redirect URIs other people chose (decisions/0066).
 */
function registration(realm: Realm, issuer: string): string {
  if (!realm.settings.allowDynamicRegistration) return '<p class="muted">Dynamic client registration is off in this realm.</p>'
  return (
    `<p class="registration">Apps may register themselves (RFC 7591): <code>POST ${e(issuer)}/register</code>. ` +
    `Clients registered there are not listed on this page.</p>`
  )
}

/**
 * `GET {basePath}/`: the realms with their issuer and discovery URL, each realm's configured
 * clients and where to register more, and a token decoder, so a developer finds how to point
 * an app at this provider.
 */
export function landing(rt: Runtime, origin: string): Reply {
  const realms = [...rt.config.realms.values()].map((realm) => {
    const issuer = issuerFor(rt, realm, origin)
    const discovery = `${issuer}/.well-known/openid-configuration`
    const clients = [...realm.clients.values()]
    return (
      `<section class="realm"><h2>Realm <code>${e(realm.path)}</code></h2>` +
      `<p>Issuer <code class="issuer">${e(issuer)}</code><br><a href="${e(discovery)}">Discovery document</a></p>` +
      (clients.length === 0
        ? '<p class="muted">No configured clients.</p>'
        : `<h3>Configured clients</h3><table><tr><th>client_id</th><th>Name</th><th>Type</th><th>Redirect URIs</th></tr>${clients.map(clientRow).join('')}</table>`) +
      registration(realm, issuer) +
      `</section>`
    )
  })
  const nonce = randomToken(16)
  const body =
    `<h1>realmauth provider</h1><p class="muted">An OAuth 2.0 / OpenID Connect provider for development and tests.</p>` +
    realms.join('') +
    `<h2>Token decoder</h2><label for="jwt">Paste a JWT (decoded, not verified)</label>` +
    `<textarea id="jwt" rows="4" spellcheck="false"></textarea><pre id="decoded" aria-live="polite"></pre>` +
    `<script nonce="${nonce}">${DECODER}</script>`
  return page('realmauth provider', body, 200, {
    'content-security-policy': `default-src 'none'; style-src 'unsafe-inline'; script-src 'nonce-${nonce}'; form-action 'none'; frame-ancestors 'none'`,
  }, true)
}
