import type { Endpoint } from './Endpoint.js'
import { authenticate } from './authenticate.js'
import { authorize } from './authorize.js'
import { deviceCode } from './deviceCode.js'
import { deviceUser } from './deviceUser.js'
import { discovery } from './discovery.js'
import { endSession } from './endSession.js'
import { introspect } from './introspect.js'
import { jwks } from './jwks.js'
import { par } from './par.js'
import { register } from './register.js'
import { revoke } from './revoke.js'
import { serverInfo } from './serverInfo.js'
import { sessions } from './sessions.js'
import { token } from './token.js'
import { tokeninfo } from './tokeninfo.js'
import { userinfo } from './userinfo.js'
import { users } from './users.js'

/**
 * Every endpoint under an issuer, and AM's REST endpoints (`under: 'json'`). The router, the method check, CORS and the discovery
 * document are all derived from this table: a new endpoint is one row here.
 */
export const ENDPOINTS: readonly Endpoint[] = [
  { path: 'authorize', methods: ['GET', 'POST'], handler: authorize, cors: false, discovery: 'authorization_endpoint' },
  { path: 'access_token', methods: ['POST'], handler: token, cors: true, discovery: 'token_endpoint' },
  { path: 'userinfo', methods: ['GET', 'POST'], handler: userinfo, cors: true, discovery: 'userinfo_endpoint' },
  { path: 'connect/jwk_uri', methods: ['GET'], handler: jwks, cors: true, discovery: 'jwks_uri' },
  // ForgeRock's SDK ends the session with fetch, credentials included.
  { path: 'connect/endSession', methods: ['GET', 'POST'], handler: endSession, cors: true, discovery: 'end_session_endpoint' },
  { path: 'introspect', methods: ['POST'], handler: introspect, cors: true, discovery: 'introspection_endpoint' },
  { path: 'tokeninfo', methods: ['GET', 'POST'], handler: tokeninfo, cors: true, discovery: 'tokeninfo_endpoint' },
  { path: 'token/revoke', methods: ['POST'], handler: revoke, cors: true, discovery: 'revocation_endpoint' },
  { path: 'device/code', methods: ['POST'], handler: deviceCode, cors: true, discovery: 'device_authorization_endpoint' },
  { path: 'device/user', methods: ['GET', 'POST'], handler: deviceUser, cors: false },
  { path: 'par', methods: ['POST'], handler: par, cors: true, discovery: 'pushed_authorization_request_endpoint' },
  {
    path: 'register',
    // GET, PUT and DELETE are RFC 7592's client management, at the URI AM gives: `register?client_id=…`.
    methods: ['POST', 'GET', 'PUT', 'DELETE'],
    handler: register,
    cors: true,
    discovery: 'registration_endpoint',
    published: (realm) => realm.settings.allowDynamicRegistration,
  },
  { path: '.well-known/openid-configuration', methods: ['GET'], handler: (ctx) => discovery(ctx, ENDPOINTS), cors: true },
  { path: 'authenticate', under: 'json', methods: ['POST'], handler: authenticate, cors: true },
  { path: 'sessions', under: 'json', methods: ['POST'], handler: sessions, cors: true },
  { path: 'users', under: 'json', methods: ['POST'], handler: users, cors: true },
  { path: 'serverinfo/*', under: 'json', methods: ['GET'], handler: serverInfo, cors: true },
  { path: 'serverinfo/cookieDomains', under: 'json', methods: ['GET'], handler: serverInfo, cors: true },
]
