import type { Context } from '../services/context.js'
import type { DPoPProof } from '../services/dpop.js'
import { OAuthError } from '../base/errors.js'
import type { Client } from '../model/index.js'
import { credentials, startJourney } from '../journeys/runJourney.js'
import { issuesRefreshTokens, newGrantId, requestedScopes, tokenEndpointResponse } from '../services/tokens.js'
import type { Params, Reply } from '../base/http.js'

/**
 * RFC 6749 section 4.3, for clients explicitly allowed the `password` grant. The credentials
 * answer the realm's `Login` journey, as AM's password grant runs its authentication service:
 * a locked account stays locked, and a retry limit there counts wrong passwords sent here
 * too. Checked apart from the journey, the grant was unlimited password guessing that no
 * lockout stopped. A journey that asks more than a username and password (a one-time code)
 * cannot be answered here: `invalid_grant`, worded as a wrong password is.
 */
export async function passwordGrant(ctx: Context, client: Client, params: Params, proof?: DPoPProof): Promise<Reply> {
  const username = params.get('username')
  const password = params.get('password')
  if (username === undefined || password === undefined) {
    throw new OAuthError('invalid_request', 'username and password are required')
  }
  const scope = requestedScopes(client, params.get('scope'))
  const result = await startJourney(ctx, ctx.realm.journeys.get('Login')!, { read: credentials(username, password) })
  // One answer for both: a journey that goes on to ask for a code would otherwise say the password was right.
  if (result.kind !== 'success') throw new OAuthError('invalid_grant', "The username or password is wrong, or the realm's Login journey asks for more")
  const user = { username: result.username }
  const info = {
    grantId: newGrantId(ctx),
    client,
    grantScope: scope,
    scope,
    grantType: 'password',
    username: user.username,
    authTime: ctx.nowSec,
    ...(proof && { dpopJkt: proof.jkt }),
  }
  return tokenEndpointResponse(ctx, info, { refresh: issuesRefreshTokens(ctx, client, 'password'), idToken: true })
}
