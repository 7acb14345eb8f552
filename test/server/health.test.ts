// AM's health probes (AM 7.1+, "Monitor AM instances"): GET json/health/live and
// json/health/ready answer 200 with an empty body, or 503; live as long as the process serves,
// ready only while the keys are loaded and the store answers. Before 7.1 (KB "How do I check if
// AM is up and running?"), load balancers poll isAlive.jsp: 200 and a page saying "Server is
// ALIVE" while the configuration store answers, an error status otherwise.
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createProvider, demoConfig } from '@realmauth/server'
import { listen } from '@realmauth/server/node'
import { SqliteStore } from '@realmauth/server/sqlite'
import { MODES, startHarness, type Harness } from './harness.js'

for (const mode of MODES) {
  describe(`health probes (${mode})`, () => {
    let h: Harness
    beforeAll(async () => {
      h = await startHarness(mode, demoConfig())
    })
    afterAll(() => h.close())

    it('answers live and ready with 200 and an empty body, outside any realm', async () => {
      for (const path of ['/json/health/live', '/json/health/ready']) {
        const res = await h.fetch(path)
        expect(res.status).toBe(200)
        expect(await res.text()).toBe('')
        expect(res.headers.get('cache-control')).toBe('no-store')
      }
    })

    it('answers isAlive.jsp with the page monitors match, to GET, HEAD and POST, and OPTIONS as Tomcat does', async () => {
      for (const method of ['GET', 'POST']) {
        const res = await h.fetch('/isAlive.jsp', { method })
        expect(res.status).toBe(200)
        expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8')
        expect(res.headers.get('cache-control')).toBe('no-store')
        expect(await res.text()).toContain('<h1>Server is ALIVE: </h1>')
      }
      const head = await h.fetch('/isAlive.jsp', { method: 'HEAD' })
      expect(head.status).toBe(200)
      expect(head.headers.get('content-type')).toBe('text/html; charset=utf-8')
      expect(await head.text()).toBe('')
      // HAProxy's `option httpchk /isAlive.jsp` sends OPTIONS; Tomcat answers it without the check.
      const options = await h.fetch('/isAlive.jsp', { method: 'OPTIONS' })
      expect(options.status).toBe(200)
      expect(options.headers.get('allow')).toBe('GET, HEAD, POST, OPTIONS')
      expect((await h.fetch('/isAlive.jsp', { method: 'PUT' })).status).toBe(405)
      expect((await h.fetch('/json/isAlive.jsp')).status).toBe(404)
    })

    it('refuses other methods and other health paths', async () => {
      expect((await h.fetch('/json/health/ready', { method: 'POST' })).status).toBe(405)
      expect((await h.fetch('/json/health/other')).status).toBe(404)
      expect((await h.fetch('/json/realms/root/realms/alpha/health/ready')).status).toBe(404)
    })
  })
}

describe('health probes when the store fails (over HTTP)', () => {
  it('stays live but answers ready 503 once the SQLite store stopped after a failed flush', async () => {
    let failFlush = false
    const store = new SqliteStore({
      path: join(mkdtempSync(join(tmpdir(), 'realmauth-health-')), 'provider.db'),
      flush: async () => {
        if (failFlush) throw new Error('EIO: i/o error, fsync')
      },
    })
    const running = await listen(createProvider({ ...demoConfig(), store }))
    try {
      expect((await fetch(`${running.url}/json/health/ready`)).status).toBe(200)
      failFlush = true
      await expect(store.upsert('Consent', 'k', {}, Date.now() + 60_000)).rejects.toThrow(/failed to flush/)
      const ready = await fetch(`${running.url}/json/health/ready`)
      expect(ready.status).toBe(503)
      expect(ready.headers.get('retry-after')).toBe('1')
      expect(await ready.json()).toEqual({ code: 503, reason: 'Service Unavailable', message: 'Not ready: the store or the signing keys are unavailable' })
      expect((await fetch(`${running.url}/json/health/live`)).status).toBe(200)
      // What a load balancer set up for older AM sees: an error status, and no "ALIVE" to match.
      const isAlive = await fetch(`${running.url}/isAlive.jsp`)
      expect(isAlive.status).toBe(503)
      expect(isAlive.headers.get('content-type')).toBe('text/html; charset=utf-8')
      const page = await isAlive.text()
      expect(page).toContain('<h1>Server is DOWN</h1>')
      expect(page).not.toContain('ALIVE')
    } finally {
      await running.close()
    }
  })
})
