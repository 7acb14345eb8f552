import { html, type Reply } from '../base/http.js'
import { amError } from './amError.js'

/**
 * Which probe: AM 7.1+'s `json/health/live` and `json/health/ready`, or `isAlive.jsp`, the page
 * load balancers configured for older AM poll.
 */
export type HealthCheck = 'live' | 'ready' | 'isAlive'

/** The methods Tomcat's JSP servlet answers for `isAlive.jsp`; anything else is 405 there too. */
export const IS_ALIVE_METHODS = ['GET', 'HEAD', 'POST', 'OPTIONS']

/**
 * AM's probes, outside any realm, for load balancers and Kubernetes. `json/health/live` and
 * `json/health/ready` (AM 7.1+) answer 200 with an empty body, or 503. Live answers as long as
 * the process serves HTTP; ready also needs the signing keys loaded and the store answering
 * within its timeout, so an instance whose database is gone, or whose SQLite store stopped after
 * a failed flush, is taken out of rotation instead of answering every request with 503.
 *
 * `isAlive.jsp` checks what AM's page checks (that the configuration store answers: here the
 * keys and the store, as ready does) and answers its HTML page, `Server is ALIVE: ` in an `h1`,
 * since monitors match that text. Down, AM's page throws and Tomcat answers 500; the provider
 * answers 503, as for every store failure (decision 0079). OPTIONS is Tomcat's: 200 with
 * `Allow` and no check, which is what HAProxy's default `option httpchk` sends.
 */
export async function health(check: HealthCheck, method: string, ready: () => Promise<void>): Promise<Reply> {
  if (check === 'isAlive' && method === 'OPTIONS') return { status: 200, headers: { allow: IS_ALIVE_METHODS.join(', ') }, body: null }
  if (check !== 'live') {
    try {
      await ready()
    } catch (error) {
      // The operator reads why in the log; the probe needs only the status.
      console.error('[realmauth-server] not ready:', (error as Error)?.message ?? error)
      const why = 'Not ready: the store or the signing keys are unavailable'
      if (check === 'ready') return amError(503, why, { 'retry-after': '1' })
      return page(503, `<h1>Server is DOWN</h1>\n<p>${why}</p>`, method)
    }
  }
  if (check === 'isAlive') return page(200, '<h1>Server is ALIVE: </h1>', method)
  return { status: 200, headers: { 'cache-control': 'no-store' }, body: null }
}

/** `isAlive.jsp`'s page; a HEAD gets its headers only, as from Tomcat. */
function page(status: number, content: string, method: string): Reply {
  const reply = html(`<!doctype html>\n<html>\n<head><title>realmauth</title></head>\n<body>\n${content}\n</body>\n</html>\n`, status, status === 503 ? { 'retry-after': '1' } : {})
  return method === 'HEAD' ? { ...reply, body: null } : reply
}
