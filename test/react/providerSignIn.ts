/**
 * Signs the demo user in at the provider as a browser would (cookies, login and consent
 * forms, redirects) and returns the callback URL the provider sends back to the app.
 */
import { DEMO } from '@realmauth/server'

export async function signInAtProvider(authorizationUrl: URL, appOrigin: string): Promise<string> {
  const cookies = new Map<string, string>()
  const send = async (url: string, body?: Record<string, string>) => {
    const headers = new Headers()
    if (cookies.size) headers.set('cookie', [...cookies].map(([k, v]) => `${k}=${v}`).join('; '))
    if (body) headers.set('content-type', 'application/x-www-form-urlencoded')
    const res = await fetch(url, { method: body ? 'POST' : 'GET', headers, redirect: 'manual', ...(body && { body: new URLSearchParams(body).toString() }) })
    for (const c of res.headers.getSetCookie()) {
      const [pair = ''] = c.split(';')
      const eq = pair.indexOf('=')
      cookies.set(pair.slice(0, eq), pair.slice(eq + 1))
    }
    return res
  }
  let url = authorizationUrl.href
  let res = await send(url)
  for (let i = 0; i < 6; i++) {
    if (res.status === 302 || res.status === 303) {
      const location = new URL(res.headers.get('location')!, url)
      if (location.origin === appOrigin) return location.href
      url = location.href
      res = await send(url)
      continue
    }
    const html = await res.text()
    const action = new URL((/<form[^>]*action="([^"]*)"/.exec(html)?.[1] ?? '').replace(/&#38;/g, '&'), url).href
    const fields: Record<string, string> = {}
    for (const m of html.matchAll(/<input type="hidden" name="([^"]*)" value="([^"]*)">/g)) {
      fields[m[1]!] = m[2]!.replace(/&#(\d+);/g, (_, n: string) => String.fromCharCode(Number(n)))
    }
    if (html.includes('id="password"')) res = await send(action, { ...fields, ...DEMO.user })
    else if (html.includes('id="allow"')) res = await send(action, { ...fields, decision: 'allow' })
    else throw new Error(`unexpected provider page (${res.status}): ${html.slice(0, 300)}`)
  }
  throw new Error('sign-in did not return to the app')
}
