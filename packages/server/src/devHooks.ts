// The CLI's development hooks (`--dev-clock`, `--dev-keys`): HTTP endpoints beside the provider
// that let a test or a developer move the provider's clock and rotate its keys in a running process.
import type { Provider } from './createProvider.js'
import { intercept } from './directHandler.js'
import { json, readJsonObject, type HttpRequest } from './base/http.js'
import { SIGNING_ALGS } from './model/index.js'

/** Answers `POST /__realmauth/clock` by moving the clock; everything else goes to the provider. */
export function withDevClock(provider: Provider, advance: (seconds: number) => number): Provider {
  return intercept(provider, async (request, url) => {
    if (url.pathname !== '/__realmauth/clock') return undefined
    const body = (await jsonBody(request, provider.maxBodyBytes)) as { advance?: unknown }
    if (request.method !== 'POST' || typeof body.advance !== 'number' || !(body.advance >= 0)) {
      return json({ error: 'invalid_request', error_description: 'POST {"advance": seconds >= 0} as application/json' }, 400)
    }
    const offset = advance(body.advance)
    // What the provider does at the new time (a key ring re-read that fell due) is done
    // before the answer, so a test's next request sees it.
    await provider.jwks()
    return json({ offset_ms: offset })
  })
}

/** Answers `POST /__realmauth/keys` by rotating or retiring a signing key; everything else goes to the provider. */
export function withDevKeys(provider: Provider): Provider {
  return intercept(provider, async (request, url) => {
    if (url.pathname !== '/__realmauth/keys') return undefined
    const body = (await jsonBody(request, provider.maxBodyBytes)) as { rotate?: unknown; retire?: unknown }
    const rotate = SIGNING_ALGS.find((alg) => alg === body.rotate)
    if (request.method !== 'POST' || (rotate === undefined) === (typeof body.retire !== 'string')) {
      return json({ error: 'invalid_request', error_description: 'POST {"rotate": "RS256"|"ES256"} or {"retire": kid} as application/json' }, 400)
    }
    try {
      if (rotate) return json({ kid: await provider.rotateSigningKey(rotate) })
      return json({ retired: await provider.retireSigningKey(body.retire as string) })
    } catch (error) {
      // A configured key, or a store that cannot be written: nothing changed.
      return json({ error: 'invalid_request', error_description: (error as Error).message }, 409)
    }
  })
}

/**
 * A dev hook's JSON body; anything unreadable is `{}`, which the hook then refuses. Declared
 * `application/json` only: a page the developer visits could otherwise post `text/plain` to
 * localhost without a preflight and move the clock or retire the keys.
 */
async function jsonBody(request: HttpRequest, limit: number): Promise<Record<string, unknown>> {
  try {
    return await readJsonObject(request, limit, 'invalid_request')
  } catch {
    return {}
  }
}
