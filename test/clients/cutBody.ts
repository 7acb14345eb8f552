/**
 * Answers whose body never completes: the headers arrive, then the bytes stall or the
 * connection is reset mid-body. In process the fault is a stream msw hands over; over real
 * HTTP a loopback server writes the headers and half a body, then goes silent or destroys
 * the socket, which is what a client really sees when a proxy or the provider dies.
 */
import { createServer, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { ProviderUnderTest } from './providerHarness.js'

export type Cut = 'stall' | 'reset'

const HALF = '{"access_token":"eyJhbGciOiJSUzI1NiJ9.'

/** A 200 whose JSON body stops half-way, then stalls or fails as a reset would. */
function cutResponse(cut: Cut, signal: AbortSignal): Response {
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(new TextEncoder().encode(HALF))
      // As undici does: the request's signal firing errors a body still being read.
      signal.addEventListener('abort', () => controller.error(signal.reason), { once: true })
      if (cut === 'reset') controller.error(new TypeError('terminated', { cause: Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }) }))
    },
  })
  return new Response(body, { status: 200, headers: { 'content-type': 'application/json' } })
}

/**
 * Makes the next `times` requests to `endpoint` answer with a cut body. Returns the fetch the
 * client must use and a `close` for the loopback server (http mode).
 */
export async function cutBodies(p: ProviderUnderTest): Promise<{ fetch: typeof fetch; arm(endpoint: string, cut: Cut, times?: number): void; close(): Promise<void> }> {
  if (p.mode === 'msw') {
    return {
      fetch: p.fetch,
      arm: (endpoint, cut, times = 1) => p.fault(endpoint, (request) => cutResponse(cut, request.signal), times),
      close: async () => {},
    }
  }
  const armed: { endpoint: string; cut: Cut; left: number }[] = []
  const open = new Set<ServerResponse>()
  let nextCut: Cut = 'stall'
  const server: Server = createServer((req, res) => {
    req.resume()
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': '4096' })
    res.write(HALF)
    if (nextCut === 'reset') setImmediate(() => res.socket?.destroy())
    else open.add(res)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const fetchImpl: typeof fetch = (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input))
    const i = armed.findIndex((a) => url.pathname.endsWith(a.endpoint))
    if (i === -1) return p.fetch(input, init)
    const a = armed[i]!
    if (--a.left === 0) armed.splice(i, 1)
    nextCut = a.cut
    return fetch(new URL(url.pathname + url.search, origin), init)
  }
  return {
    fetch: fetchImpl,
    arm: (endpoint, cut, times = 1) => armed.push({ endpoint, cut, left: times }),
    close: async () => {
      for (const res of open) res.socket?.destroy()
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
