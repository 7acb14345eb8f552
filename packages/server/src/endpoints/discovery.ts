import { SUPPORTED_CLAIMS } from '../model/index.js'
import { ASSERTION_ALGS } from '../services/clientAuth.js'
import type { Context } from '../services/context.js'
import { DPOP_ALGS } from '../services/dpop.js'
import { json, type Reply } from '../base/http.js'
import type { Endpoint } from './Endpoint.js'
import { AUTH_METHODS, CLIENT_JWT_ALGS, ENCRYPTION_ALGS, ENCRYPTION_ENCS, GRANT_TYPES, RESPONSE_TYPES, SIGNING_ALGS, STANDARD_SCOPES } from '../model/index.js'

/** OpenID Provider Metadata (OIDC Discovery 1.0, RFC 8414): every endpoint and supported value. */
export async function discovery(ctx: Context, endpoints: readonly Endpoint[]): Promise<Reply> {
  const iss = ctx.issuer
  const scopes = new Set(STANDARD_SCOPES)
  for (const client of ctx.realm.clients.values()) for (const s of client.allowedScopes) scopes.add(s)
  const confidentialMethods = AUTH_METHODS.filter((m) => m !== 'none')
  const metadata: Record<string, unknown> = {
    issuer: iss,
    ...endpointUrls(ctx, endpoints),
    require_pushed_authorization_requests: ctx.realm.settings.requirePar,
    scopes_supported: [...scopes],
    response_types_supported: RESPONSE_TYPES,
    response_modes_supported: ['query', 'fragment', 'form_post'],
    grant_types_supported: GRANT_TYPES,
    subject_types_supported: ['public', 'pairwise'],
    id_token_signing_alg_values_supported: SIGNING_ALGS,
    id_token_encryption_alg_values_supported: ENCRYPTION_ALGS,
    id_token_encryption_enc_values_supported: ENCRYPTION_ENCS,
    userinfo_signing_alg_values_supported: SIGNING_ALGS,
    userinfo_encryption_alg_values_supported: ENCRYPTION_ALGS,
    userinfo_encryption_enc_values_supported: ENCRYPTION_ENCS,
    // RFC 9701 section 7.
    introspection_signing_alg_values_supported: SIGNING_ALGS,
    introspection_encryption_alg_values_supported: ENCRYPTION_ALGS,
    introspection_encryption_enc_values_supported: ENCRYPTION_ENCS,
    token_endpoint_auth_methods_supported: AUTH_METHODS,
    token_endpoint_auth_signing_alg_values_supported: ASSERTION_ALGS,
    introspection_endpoint_auth_methods_supported: confidentialMethods,
    revocation_endpoint_auth_methods_supported: AUTH_METHODS,
    code_challenge_methods_supported: ['S256'],
    dpop_signing_alg_values_supported: DPOP_ALGS,
    // RFC 8705: the same endpoints take a client certificate when one is presented, so no mtls_endpoint_aliases.
    tls_client_certificate_bound_access_tokens: true,
    claims_supported: SUPPORTED_CLAIMS,
    // The acr values the realm's journeys map: `acr_values` chooses the journey (AM's ACR-to-tree mapping).
    acr_values_supported: [...new Set([...ctx.realm.journeys.values()].flatMap((j) => j.acrValues))],
    claim_types_supported: ['normal'],
    claims_parameter_supported: false,
    // RFC 9101 request objects, signed with the client's key; request_uri only as registered.
    request_parameter_supported: true,
    request_uri_parameter_supported: true,
    require_request_uri_registration: true,
    request_object_signing_alg_values_supported: CLIENT_JWT_ALGS,
    prompt_values_supported: ['none', 'login', 'consent', 'select_account'],
    authorization_response_iss_parameter_supported: ctx.realm.settings.responseIss,
    backchannel_logout_supported: false,
    frontchannel_logout_supported: false,
  }
  return json(metadata, 200, { 'cache-control': 'public, max-age=300' })
}

/** The `*_endpoint` fields: every endpoint of the table that discovery names in this realm. */
function endpointUrls(ctx: Context, endpoints: readonly Endpoint[]): Record<string, string> {
  const urls: Record<string, string> = {}
  for (const e of endpoints) {
    if (e.discovery !== undefined && (e.published?.(ctx.realm) ?? true)) urls[e.discovery] = `${ctx.issuer}/${e.path}`
  }
  return urls
}
