/**
 * AM's client "Claim(s)" (`claims`): entries `claim`, `claim|description` and
 * `claim|locale|description` that the consent pages use to name the claims a user shares, in
 * the user's language (`ui_locales`, then the user's `locale`, then `Accept-Language`, then
 * the entry without a locale), beside the user's values. Registration takes them as the config
 * does. Which claims are released does not change: that is the scopes' doing, as in AM.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ProviderConfig } from '@realmauth/server'
import { Browser, MODES, form, parseForm, startHarness, type Harness } from './harness.js'
import { pkce } from './flows.js'

type Json = Record<string, unknown>
const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code'
/** Her `locale` is German; her own claim carries markup, which the page must not run. */
const AMELIE = { username: 'amelie', password: 'Montmartre-1', name: 'Amélie Poulain', given_name: 'Amélie', email: 'amelie@example.com', locale: 'de' }
const NINO = { username: 'nino', password: 'Photo-booth-1', name: 'Nino Quincampoix', email: 'nino@example.com' }
const CLAIMS = ['name|Your full name', 'name|fr|Votre nom complet', 'name|fr_CA|Votre nom (Canada)', 'email|de|E-Mail-Adresse', 'given_name', 'team|<i>Team</i> & co']
const CAFE = { client_id: 'cafe', client_secret: 'cafe-secret', redirect_uri: 'https://cafe.example/cb' }

const CONFIG: ProviderConfig = {
  realms: [
    {
      name: 'alpha',
      allow_dynamic_registration: true,
      users: [{ ...AMELIE, claims: { team: '<b>Two Windmills</b>' } }, NINO],
      clients: [
        { client_id: CAFE.client_id, client_secret: CAFE.client_secret, client_name: 'Café', redirect_uris: [CAFE.redirect_uri], scope: 'openid profile email', claims: CLAIMS },
        { client_id: 'tv', client_name: 'Photo booth', token_endpoint_auth_method: 'none', grant_types: [DEVICE_GRANT], scope: 'openid profile', claims: CLAIMS },
      ],
    },
  ],
}

describe.each(MODES)('client claims on the consent pages (%s)', (mode) => {
  let h: Harness
  beforeAll(async () => {
    h = await startHarness(mode, CONFIG)
  })
  afterAll(() => h.close())

  /** A browser signed in as `user`. */
  async function signedIn(user: { username: string; password: string }): Promise<Browser> {
    const b = new Browser(h)
    const page = await b.get(`${h.origin}/login?realm=/alpha`)
    const { action, fields } = parseForm(await page.text())
    await b.post(new URL(action, h.origin).href, { ...fields, username: user.username, password: user.password })
    return b
  }

  /** The consent page `user` sees for an authorization request of `clientId`, with `extra` parameters and browser `headers`. */
  async function consent(user: typeof NINO, extra: Record<string, string> = {}, headers: Record<string, string> = {}, client = CAFE): Promise<string> {
    const b = await signedIn(user)
    const q = new URLSearchParams({
      client_id: client.client_id,
      redirect_uri: client.redirect_uri,
      response_type: 'code',
      scope: 'openid profile email',
      state: 's',
      code_challenge: pkce().challenge,
      code_challenge_method: 'S256',
      ...extra,
    })
    const res = await b.get(`${h.issuer()}/authorize?${q}`, headers)
    const html = await res.text()
    expect(res.status, html).toBe(200)
    expect(html).toContain('id="allow"')
    return html
  }

  it("names claims in the request's ui_locales first, then in the user's locale, with her values, everything escaped", async () => {
    const html = await consent(AMELIE, { ui_locales: 'fr' }, { 'accept-language': 'en' })
    expect(html).toContain('<li>Your name and profile<ul class="claims"><li><span lang="fr">Votre nom complet</span>: Amélie Poulain</li><li>Given name: Amélie</li><li>Locale: de</li></ul></li>')
    // No French words for email: her locale (German) comes before the browser's English.
    expect(html).toContain('<li>Your email address<ul class="claims"><li><span lang="de">E-Mail-Adresse</span>: amelie@example.com</li></ul></li>')
    // Her own claim, outside any scope, with the client's words; markup in either is text.
    expect(html).toContain('<li>Other details about you<ul class="claims"><li>&#60;i&#62;Team&#60;/i&#62; &#38; co: &#60;b&#62;Two Windmills&#60;/b&#62;</li></ul></li>')
    expect(html).not.toContain('<i>Team')
    expect(html).not.toContain('<b>Two')
  })

  it('takes the most specific locale there is, and the next ui_locales tag (or its language) when the first has none', async () => {
    expect(await consent(AMELIE, { ui_locales: 'fr-CA' })).toContain('<span lang="fr-ca">Votre nom (Canada)</span>: Amélie Poulain')
    expect(await consent(AMELIE, { ui_locales: 'es fr-BE' })).toContain('<span lang="fr">Votre nom complet</span>: Amélie Poulain')
  })

  it('without ui_locales or a user locale, follows Accept-Language by weight; with nothing that matches, the entry without a locale, then AM’s words', async () => {
    const weighted = await consent(NINO, {}, { 'accept-language': 'de;q=0.5, fr;q=0.9, *;q=0.1' })
    expect(weighted).toContain('<li><span lang="fr">Votre nom complet</span>: Nino Quincampoix</li>')
    expect(weighted).toContain('<li><span lang="de">E-Mail-Adresse</span>: nino@example.com</li>')
    const fallback = await consent(NINO, {}, { 'accept-language': 'ja' })
    expect(fallback).toContain('<li>Your name and profile<ul class="claims"><li>Your full name: Nino Quincampoix</li></ul></li>')
    expect(fallback).toContain('<li>Your email address<ul class="claims"><li>Email address: nino@example.com</li></ul></li>')
    expect(fallback).not.toContain('Other details about you')
  })

  it('does not change what the client receives: the token and userinfo hold what the scopes release', async () => {
    const b = await signedIn(NINO)
    const { verifier, challenge } = pkce()
    const q = new URLSearchParams({ client_id: CAFE.client_id, redirect_uri: CAFE.redirect_uri, response_type: 'code', scope: 'openid email', state: 's', code_challenge: challenge, code_challenge_method: 'S256' })
    const page = await b.get(`${h.issuer()}/authorize?${q}`)
    const html = await page.text()
    // Only what `openid email` releases is on the page, though the client describes `name` too.
    expect(html).not.toContain('Your full name')
    const { action, fields } = parseForm(html)
    const back = await b.post(action, { ...fields, decision: 'allow' })
    const code = new URL(back.headers.get('location')!).searchParams.get('code')!
    const token = await h.fetch(`${h.issuer()}/access_token`, form({ grant_type: 'authorization_code', code, redirect_uri: CAFE.redirect_uri, code_verifier: verifier, client_id: CAFE.client_id, client_secret: CAFE.client_secret }))
    const { access_token } = (await token.json()) as { access_token: string }
    const info = await h.fetch(`${h.issuer()}/userinfo`, { headers: { authorization: `Bearer ${access_token}` } })
    expect(await info.json()).toEqual({ sub: 'nino', email: 'nino@example.com' })
  })

  it('the device page names the claims the same way', async () => {
    const res = await h.fetch(`${h.issuer()}/device/code`, form({ client_id: 'tv', scope: 'openid profile' }))
    const { user_code } = (await res.json()) as { user_code: string }
    const b = await signedIn(NINO)
    const french = await (await b.get(`${h.issuer()}/device/user?user_code=${user_code}`, { 'accept-language': 'fr-CA,fr;q=0.8' })).text()
    expect(french).toContain('<li>Your name and profile<ul class="claims"><li><span lang="fr-ca">Votre nom (Canada)</span>: Nino Quincampoix</li></ul></li>')
    const asked = await (await b.get(`${h.issuer()}/device/user?user_code=${user_code}&ui_locales=fr`, { 'accept-language': 'fr-CA' })).text()
    expect(asked).toContain('<span lang="fr">Votre nom complet</span>: Nino Quincampoix')
    const plain = await (await b.get(`${h.issuer()}/device/user?user_code=${user_code}`)).text()
    expect(plain).toContain('<li>Your full name: Nino Quincampoix</li>')
  })

  it('registration takes claims as the config does: bad entries are 400 invalid_client_metadata naming the entry; good ones name claims on the consent page, and PUT replaces them', async () => {
    const metadata = { client_name: 'Kiosk', token_endpoint_auth_method: 'none', redirect_uris: ['https://kiosk.example/cb'], scope: 'openid profile' }
    const register = (body: Json) => h.fetch(`${h.issuer()}/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
    for (const [claims, where] of [
      ['name|Full name', 'claims: must be an array'],
      [['name|Full name', 'name|en|'], 'claims[1]: has an empty description'],
      [['name|en GB|Full name'], 'claims[0]: has a locale that is not a language tag'],
    ] as const) {
      const res = await register({ ...metadata, claims })
      const body = (await res.json()) as Json
      expect(res.status).toBe(400)
      expect(body.error).toBe('invalid_client_metadata')
      expect(body.error_description).toContain(where)
    }

    const res = await register({ ...metadata, claims: ['name|fr|Nom sur le ticket'] })
    expect(res.status).toBe(201)
    const kiosk = (await res.json()) as Json
    expect(kiosk.claims).toEqual(['name|fr|Nom sur le ticket'])
    const client = { client_id: kiosk.client_id as string, client_secret: '', redirect_uri: 'https://kiosk.example/cb' }
    expect(await consent(NINO, { scope: 'openid profile', ui_locales: 'fr' }, {}, client)).toContain('<span lang="fr">Nom sur le ticket</span>: Nino Quincampoix')

    const put = (body: Json) =>
      h.fetch(kiosk.registration_client_uri as string, {
        method: 'PUT',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${kiosk.registration_access_token as string}` },
        body: JSON.stringify({ ...metadata, client_id: kiosk.client_id, ...body }),
      })
    const bad = await put({ claims: ['name|fr|Nom', 'name|fr|Nom encore'] })
    expect(bad.status).toBe(400)
    expect(((await bad.json()) as Json).error_description).toContain("claims[1]: describes 'name' for 'fr' a second time")
    expect((await put({ claims: ['name|fr|Nom du client'] })).status).toBe(200)
    expect(await consent(NINO, { scope: 'openid profile', ui_locales: 'fr' }, {}, client)).toContain('<span lang="fr">Nom du client</span>: Nino Quincampoix')
  })
})
