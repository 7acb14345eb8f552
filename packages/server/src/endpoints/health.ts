import type { Reply } from '../base/http.js'
import { amError } from './amError.js'

/**
 * AM's `json/health/live` and `json/health/ready` (AM 7.1+), outside any realm, for load
 * balancers and Kubernetes probes: 200 with an empty body, or 503. Live answers as long as the
 * process serves HTTP; ready also needs the signing keys loaded and the store answering within
 * its timeout, so an instance whose database is gone, or whose SQLite store stopped after a
 * failed flush, is taken out of rotation instead of answering every request with 503.
 */
export async function health(check: 'live' | 'ready', ready: () => Promise<void>): Promise<Reply> {
  if (check === 'ready') {
    try {
      await ready()
    } catch (error) {
      // The operator reads why in the log; the probe needs only the status.
      console.error('[realmauth-server] not ready:', (error as Error)?.message ?? error)
      return amError(503, 'Not ready: the store or the signing keys are unavailable', { 'retry-after': '1' })
    }
  }
  return { status: 200, headers: { 'cache-control': 'no-store' }, body: null }
}
