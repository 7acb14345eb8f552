import type { Context } from './context.js'
import { claimsFor } from './claims.js'
import { SCOPE_CLAIMS, type ClaimDescription } from '../model/index.js'
import type { ConsentClaims, ShownClaim } from '../base/pages.js'

/**
 * Words for the standard claims where the client gives none: AM's defaults (its OAuth2
 * provider's "Supported Claims": `name|Full name`, `email|Email address`, ...) and, where AM
 * would show the bare name (`preferred_username`), words of the same kind.
 */
const CLAIM_WORDS: Record<string, string> = {
  name: 'Full name',
  given_name: 'Given name',
  family_name: 'Family name',
  middle_name: 'Middle name',
  nickname: 'Nickname',
  preferred_username: 'Username',
  profile: 'Profile page',
  picture: 'Picture',
  website: 'Website',
  gender: 'Gender',
  birthdate: 'Date of birth',
  zoneinfo: 'Time zone',
  locale: 'Locale',
  updated_at: 'Profile updated',
  email: 'Email address',
  email_verified: 'Email address verified',
  address: 'Postal address',
  phone_number: 'Phone number',
  phone_number_verified: 'Phone number verified',
}

/**
 * What a consent page says the client will receive, as AM's consent page does: under each
 * requested scope, the claims it releases that the user has, named by the client's `claims`
 * `descriptions` in the user's language, with the user's values; then the user's own claims.
 * Scope claims count only with `openid` (userinfo and the ID token need it); a user's own
 * claims are in every access token.
 */
export function consentClaims(
  ctx: Context,
  descriptions: readonly ClaimDescription[],
  username: string,
  scopes: readonly string[],
  uiLocales: string | undefined,
): ConsentClaims {
  const user = ctx.realm.users.get(username)
  const released = user ? claimsFor(user, scopes.includes('openid') ? scopes : []) : {}
  const languages = preferredLanguages(uiLocales, user?.locale, ctx.request.headers.get('accept-language'))
  const show = (claim: string): ShownClaim => ({ ...describe(descriptions, claim, languages), value: shownValue(claim, released[claim]) })
  const has = (claim: string) => released[claim] !== undefined && released[claim] !== null
  const listed = new Set<string>()
  const byScope = scopes.map((scope) => {
    const claims = (SCOPE_CLAIMS[scope] ?? []).filter(has)
    for (const claim of claims) listed.add(claim)
    return { scope, claims: claims.map(show) }
  })
  return { scopes: byScope, others: Object.keys(released).filter((c) => has(c) && !listed.has(c)).map(show) }
}

/**
 * The languages to describe claims in, best first: the request's `ui_locales` (OpenID Connect
 * Core 3.1.2.1), the user's `locale` claim, then `Accept-Language` by weight. Each tag is
 * followed by its shorter forms (`fr-ca`, then `fr`), as RFC 4647's lookup does.
 */
function preferredLanguages(uiLocales: string | undefined, userLocale: string | undefined, acceptLanguage: string | null): string[] {
  const accepted = (acceptLanguage ?? '')
    .split(',')
    .map((part) => {
      const [tag = '', ...params] = part.split(';').map((p) => p.trim())
      const q = params.find((p) => p.startsWith('q='))
      return { tag, q: q === undefined ? 1 : Number(q.slice(2)) }
    })
    .filter((a) => a.tag !== '' && a.tag !== '*' && a.q > 0)
    .sort((a, b) => b.q - a.q)
    .map((a) => a.tag)
  const tags = [...(uiLocales ?? '').split(' '), userLocale ?? '', ...accepted]
  const languages = new Set<string>()
  for (const tag of tags) {
    const subtags = tag.replaceAll('_', '-').toLowerCase().split('-').filter(Boolean)
    while (subtags.length > 0) {
      languages.add(subtags.join('-'))
      subtags.pop()
      // RFC 4647 3.4: a single-letter subtag (an extension's singleton) goes with the one after it.
      if (subtags.at(-1)?.length === 1) subtags.pop()
    }
  }
  return [...languages]
}

/** A claim's words: the client's for the best language, its words for every language, AM's, or the claim's name. */
function describe(descriptions: readonly ClaimDescription[], claim: string, languages: readonly string[]): Omit<ShownClaim, 'value'> {
  for (const language of languages) {
    const found = descriptions.find((d) => d.claim === claim && d.locale === language)
    if (found) return { label: found.description, lang: language }
  }
  const anyLanguage = descriptions.find((d) => d.claim === claim && d.locale === undefined)
  return { label: anyLanguage?.description ?? CLAIM_WORDS[claim] ?? claim }
}

/** A claim value as a person reads it: an address by its parts, a list by its items, `updated_at` as a UTC time. */
function shownValue(claim: string, value: unknown): string {
  if (typeof value === 'string') return value
  if (typeof value === 'boolean') return value ? 'yes' : 'no'
  if (claim === 'updated_at' && typeof value === 'number') return new Date(value * 1000).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC')
  if (Array.isArray(value)) return value.map((v) => shownValue('', v)).join(', ')
  if (typeof value === 'object' && value !== null) {
    const parts = value as Record<string, unknown>
    return typeof parts.formatted === 'string' ? parts.formatted : Object.values(parts).map((v) => shownValue('', v)).join(', ')
  }
  return String(value)
}
