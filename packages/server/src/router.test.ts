import { describe, expect, it } from 'vitest'
import { ENDPOINTS } from './endpoints/table.js'
import { route } from './router.js'

const PATHS = ENDPOINTS.filter((e) => e.under === undefined).map((e) => e.path)

const at = (path: string, basePath = '') => route(new URL(path, 'http://idp.test'), basePath, ENDPOINTS)

describe('route', () => {
  it('maps every endpoint in the long realm form', () => {
    for (const endpoint of PATHS) {
      expect(at(`/oauth2/realms/root/realms/alpha/${endpoint}`), endpoint).toEqual({ kind: 'oauth2', endpoint, realmPath: '/alpha' })
    }
  })

  it('maps the root realm: no realm segments, or realms/root alone', () => {
    expect(at('/oauth2/authorize')).toEqual({ kind: 'oauth2', endpoint: 'authorize', realmPath: '/' })
    expect(at('/oauth2/realms/root/access_token')).toEqual({ kind: 'oauth2', endpoint: 'access_token', realmPath: '/' })
    expect(at('/oauth2/.well-known/openid-configuration')).toEqual({ kind: 'oauth2', endpoint: '.well-known/openid-configuration', realmPath: '/' })
  })

  it('maps nested realms in the long and the short form', () => {
    expect(at('/oauth2/realms/root/realms/alpha/realms/beta/userinfo')).toEqual({ kind: 'oauth2', endpoint: 'userinfo', realmPath: '/alpha/beta' })
    expect(at('/oauth2/realms/root/realms/a/realms/b/realms/c/token/revoke')).toEqual({ kind: 'oauth2', endpoint: 'token/revoke', realmPath: '/a/b/c' })
    expect(at('/oauth2/alpha/authorize')).toEqual({ kind: 'oauth2', endpoint: 'authorize', realmPath: '/alpha' })
    expect(at('/oauth2/alpha/beta/connect/jwk_uri')).toEqual({ kind: 'oauth2', endpoint: 'connect/jwk_uri', realmPath: '/alpha/beta' })
  })

  it('takes the realm from ?realm=, which wins over the path', () => {
    expect(at('/oauth2/authorize?realm=/alpha')).toEqual({ kind: 'oauth2', endpoint: 'authorize', realmPath: '/alpha' })
    expect(at('/oauth2/authorize?realm=alpha')).toMatchObject({ realmPath: '/alpha' })
    expect(at('/oauth2/authorize?realm=/alpha/')).toMatchObject({ realmPath: '/alpha' })
    expect(at('/oauth2/authorize?realm=/root/alpha')).toMatchObject({ realmPath: '/alpha' })
    expect(at('/oauth2/authorize?realm=%2Falpha%2Fbeta')).toMatchObject({ realmPath: '/alpha/beta' })
    expect(at('/oauth2/authorize?realm=/')).toMatchObject({ realmPath: '/' })
    expect(at('/oauth2/realms/root/realms/beta/authorize?realm=/alpha')).toMatchObject({ realmPath: '/alpha' })
    expect(at('/oauth2/beta/authorize?realm=/alpha')).toMatchObject({ realmPath: '/alpha' })
  })

  it('tells endpoints that end alike apart, and realms named like endpoints', () => {
    expect(at('/oauth2/realms/root/realms/alpha/token/revoke')).toMatchObject({ endpoint: 'token/revoke', realmPath: '/alpha' })
    expect(at('/oauth2/realms/root/realms/alpha/device/user')).toMatchObject({ endpoint: 'device/user', realmPath: '/alpha' })
    expect(at('/oauth2/realms/root/realms/alpha/device/code')).toMatchObject({ endpoint: 'device/code', realmPath: '/alpha' })
    expect(at('/oauth2/realms/root/realms/authorize/userinfo')).toMatchObject({ endpoint: 'userinfo', realmPath: '/authorize' })
    expect(at('/oauth2/par/authorize')).toMatchObject({ endpoint: 'authorize', realmPath: '/par' })
    expect(at('/oauth2/token/revoke')).toMatchObject({ endpoint: 'token/revoke', realmPath: '/' })
  })

  it('honours the base path, and nothing outside it', () => {
    expect(at('/am/oauth2/realms/root/realms/alpha/authorize', '/am')).toEqual({ kind: 'oauth2', endpoint: 'authorize', realmPath: '/alpha' })
    expect(at('/am/oauth2/alpha/authorize', '/am')).toMatchObject({ realmPath: '/alpha' })
    expect(at('/openam/oauth2/authorize?realm=/alpha', '/openam')).toMatchObject({ realmPath: '/alpha' })
    expect(at('/oauth2/realms/root/realms/alpha/authorize', '/am')).toEqual({ kind: 'not_found' })
    expect(at('/amx/oauth2/authorize', '/am')).toEqual({ kind: 'not_found' })
    expect(at('/am', '/am')).toEqual({ kind: 'not_found' })
  })

  it('maps the landing page at the base path', () => {
    expect(at('/')).toEqual({ kind: 'landing' })
    expect(at('/am/', '/am')).toEqual({ kind: 'landing' })
    expect(at('/am', '/am')).toEqual({ kind: 'not_found' })
  })

  it("maps AM's probes at the base path, outside any realm", () => {
    expect(at('/am/json/health/ready', '/am')).toEqual({ kind: 'health', check: 'ready' })
    expect(at('/openam/isAlive.jsp', '/openam')).toEqual({ kind: 'health', check: 'isAlive' })
    expect(at('/isAlive.jsp', '/openam')).toEqual({ kind: 'not_found' })
    expect(at('/openam/oauth2/isAlive.jsp', '/openam')).toEqual({ kind: 'not_found' })
  })

  it('maps the sign-in page, AM REST authenticate and sessions', () => {
    expect(at('/login?realm=/alpha')).toEqual({ kind: 'login', realmPath: '/alpha' })
    expect(at('/login')).toEqual({ kind: 'login', realmPath: '/' })
    expect(at('/am/login?realm=alpha', '/am')).toEqual({ kind: 'login', realmPath: '/alpha' })
    expect(at('/json/realms/root/realms/alpha/authenticate')).toEqual({ kind: 'json', endpoint: 'authenticate', realmPath: '/alpha' })
    expect(at('/json/realms/root/realms/alpha/realms/beta/authenticate')).toEqual({ kind: 'json', endpoint: 'authenticate', realmPath: '/alpha/beta' })
    expect(at('/json/authenticate')).toEqual({ kind: 'json', endpoint: 'authenticate', realmPath: '/' })
    expect(at('/json/authenticate?realm=/alpha')).toEqual({ kind: 'json', endpoint: 'authenticate', realmPath: '/alpha' })
    expect(at('/am/json/realms/root/realms/alpha/authenticate', '/am')).toEqual({ kind: 'json', endpoint: 'authenticate', realmPath: '/alpha' })
    expect(at('/json/realms/alpha/authenticate')).toEqual({ kind: 'not_found' })
    expect(at('/json/realms/root/realms/alpha/sessions')).toEqual({ kind: 'json', endpoint: 'sessions', realmPath: '/alpha' })
    expect(at('/json/realms/root/realms/alpha/sessions/?_action=logout')).toEqual({ kind: 'json', endpoint: 'sessions', realmPath: '/alpha' })
    expect(at('/json/realms/root/realms/alpha/users?_action=idFromSession')).toEqual({ kind: 'json', endpoint: 'users', realmPath: '/alpha' })
    expect(at('/json/realms/root/realms/alpha/groups')).toEqual({ kind: 'not_found' })
    expect(at('/json/realms/root/realms/alpha/serverinfo/*')).toEqual({ kind: 'json', endpoint: 'serverinfo/*', realmPath: '/alpha' })
    expect(at('/json/serverinfo/*')).toEqual({ kind: 'json', endpoint: 'serverinfo/*', realmPath: '/' })
    expect(at('/json/realms/root/realms/alpha/serverinfo/nope')).toEqual({ kind: 'not_found' })
    expect(at('/json/realms/root/realms/alpha/sessions/a/b')).toEqual({ kind: 'not_found' })
    expect(at('/oauth2/realms/root/realms/alpha/authenticate')).toEqual({ kind: 'not_found' })
  })

  it('finds no route for malformed or unknown paths', () => {
    for (const path of [
      '/oauth2',
      '/oauth2/',
      '/oauth2/nope',
      '/oauth2/realms/root/realms/alpha/nope',
      '/oauth2/realms/alpha/authorize',
      '/oauth2/realms/root/realms/authorize',
      '/oauth2/realms/root/realms//authorize',
      '/oauth2/realms/root/realms/alpha/authorize/',
      '/oauth2/alpha//authorize',
      '/oauth2/alpha/realms/beta/authorize',
      '/oauth2/realms/root/beta/authorize',
      '/other/oauth2/authorize',
      '/oauth2authorize',
    ]) {
      expect(at(path), path).toEqual({ kind: 'not_found' })
    }
  })
})
