import { describe, expect, it } from 'vitest'
import * as resourceServer from '../../packages/node/src/checkDPoPProof.js'
import * as provider from '../../packages/server/src/services/dpop.js'

// The server must not import the SDKs, so each keeps its own copy of the limits: a proof the
// provider accepts must not be refused by an API for its age or jti, nor the other way round.
describe('DPoP proof limits', () => {
  it('are the same at the provider and at resource servers', () => {
    expect(resourceServer.DPOP_IAT_WINDOW_SECONDS).toBe(provider.DPOP_IAT_WINDOW_SECONDS)
    expect(resourceServer.DPOP_JTI_MAX_LENGTH).toBe(provider.DPOP_JTI_MAX_LENGTH)
  })
})
