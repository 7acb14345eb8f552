/**
 * Runs the same provider tests three ways: `provider.fetch(new Request(...))` in process,
 * through msw's request interception, and over real HTTP against the CLI on a loopback
 * port. A behaviour that differs between them is a bug.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { expect } from 'vitest'
import { setupServer } from 'msw/node'
import { createProvider, type Provider, type ProviderConfig } from '@realmauth/server'
import { providerHandlers } from '@realmauth/server/msw'

export type Mode = 'fetch' | 'msw' | 'http'
export const MODES: Mode[] = ['fetch', 'msw', 'http']

const CLI = fileURLToPath(new URL('../../packages/server/dist/cli.js', import.meta.url))
/** A fixed start so tests read the same way every run. */
const EPOCH_MS = Date.UTC(2026, 0, 1)

export interface Harness {
  mode: Mode
  /** Sends a request to the provider the way this mode does. Redirects are never followed. */
  fetch(input: string | URL, init?: RequestInit): Promise<Response>
  origin: string
  /** Issuer of a realm at this harness's origin. */
  issuer(realm?: string): string
  /** Moves the provider's clock forward; no test waits on the wall clock. */
  advance(seconds: number): Promise<void>
  /** The provider's clock in milliseconds, for values tests compute from it (TOTP codes). */
  now(): number
  /** The in-process provider (fetch and msw modes only). */
  provider?: Provider
  close(): Promise<void>
}

/**
 * Starts a provider for `config` in `mode`.
 *
 * @example
 * ```ts
 * for (const mode of MODES) describe(mode, () => { let h: Harness; beforeAll(async () => { h = await startHarness(mode, demoConfig()) }) })
 * ```
 */
export async function startHarness(mode: Mode, config: ProviderConfig): Promise<Harness> {
  if (mode === 'http') return startCli(config)
  let offset = 0
  const provider = createProvider({ ...config, clock: () => EPOCH_MS + offset })
  await provider.ready
  const origin = mode === 'fetch' ? 'http://provider.local' : 'https://idp.msw.test'
  const common = {
    mode,
    origin,
    provider,
    issuer: (realm = 'alpha') => provider.issuer(realm, origin),
    advance: async (seconds: number) => {
      offset += seconds * 1000
    },
    now: () => EPOCH_MS + offset,
  }
  if (mode === 'fetch') {
    return {
      ...common,
      fetch: (input, init) => provider.fetch(new Request(new URL(input, origin), { ...init, redirect: 'manual' })),
      close: async () => {},
    }
  }
  const server = setupServer(...providerHandlers(provider, origin))
  server.listen({ onUnhandledRequest: 'error' })
  return {
    ...common,
    fetch: (input, init) => fetch(new URL(input, origin), { ...init, redirect: 'manual' }),
    close: async () => server.close(),
  }
}

async function startCli(config: ProviderConfig): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), 'realmauth-'))
  const file = join(dir, 'config.json')
  writeFileSync(file, JSON.stringify(config))
  const child = spawn(process.execPath, [CLI, '--config', file, '--store', ':memory:', '--port', '0', '--host', '127.0.0.1', '--dev-clock'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const origin = await listeningOrigin(child)
  // The CLI's dev clock is the wall clock plus what tests advanced it by.
  let offset = 0
  return {
    mode: 'http',
    origin,
    issuer: (realm = 'alpha') => {
      const names = realm.split('/').filter(Boolean)
      return `${origin}${config.base_path ?? ''}/oauth2${names.length ? '/realms/root' + names.map((n) => `/realms/${n}`).join('') : ''}`
    },
    fetch: (input, init) => fetch(new URL(input, origin), { ...init, redirect: 'manual' }),
    advance: async (seconds) => {
      await post(origin, seconds)
      offset += seconds * 1000
    },
    now: () => Date.now() + offset,
    close: async () => {
      child.kill('SIGTERM')
      await new Promise((resolve) => child.once('exit', resolve))
    },
  }
}

async function post(origin: string, seconds: number): Promise<void> {
  const res = await fetch(`${origin}/__realmauth/clock`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ advance: seconds }),
  })
  if (!res.ok) throw new Error(`dev clock refused: ${res.status} ${await res.text()}`)
}

function listeningOrigin(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = ''
    let err = ''
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString()
      const m = /listening on (http:\/\/\S+)/.exec(out)
      // The CLI prints localhost for 127.0.0.1; tests use the address itself.
      if (m) resolve(m[1]!.replace('//localhost:', '//127.0.0.1:'))
    })
    child.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString()))
    child.once('exit', (code) => reject(new Error(`CLI exited with ${code}: ${err}`)))
  })
}

/**
 * `seconds` left as the provider counts them. Over HTTP its clock is the wall clock's plus
 * `advance`d time, so the count also loses the whole seconds the wall clock crossed between the
 * request that started it and the one that read it: at most one when they follow each other, and
 * one more per second that passed since `since` (`Date.now()` before the first), which a loaded
 * machine can stretch past a second (a password check between them on a busy CI).
 */
export function secondsLeft(h: Pick<Harness, 'mode'>, seconds: number, since = Date.now()): number {
  if (h.mode !== 'http') return seconds
  const lost = Math.floor((Date.now() - since) / 1000) + 1
  return expect.toBeOneOf(Array.from({ length: lost + 1 }, (_, i) => seconds - i))
}

/** Form-encodes a record as an `application/x-www-form-urlencoded` body. */
export function form(fields: Record<string, string>): RequestInit {
  return {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
  }
}

/** `Authorization: Basic` with RFC 6749 section 2.3.1 encoding of both parts. */
export function basic(id: string, secret: string): string {
  const enc = (s: string) => encodeURIComponent(s).replace(/%20/g, '+')
  return 'Basic ' + btoa(`${enc(id)}:${enc(secret)}`)
}

/**
 * A browser stand-in: keeps cookies, never follows redirects on its own, and reads the
 * hidden fields of the provider's pages so a test can sign in and consent as a user would.
 */
export class Browser {
  private readonly cookies = new Map<string, string>()
  constructor(private readonly h: Harness) {}

  /** A page load; `headers` as a browser would add them (`Accept-Language`). */
  async get(url: string, headers: Record<string, string> = {}): Promise<Response> {
    return this.send(url, { headers })
  }

  async post(url: string, fields: Record<string, string>): Promise<Response> {
    return this.send(url, form(fields))
  }

  clearCookies(): void {
    this.cookies.clear()
  }

  private async send(url: string, init: RequestInit): Promise<Response> {
    const headers = new Headers(init.headers)
    if (this.cookies.size > 0) headers.set('cookie', [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '))
    const res = await this.h.fetch(url, { ...init, headers })
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';')
      const eq = pair!.indexOf('=')
      const name = pair!.slice(0, eq)
      const value = pair!.slice(eq + 1)
      if (value === '' || /max-age=0/i.test(c)) this.cookies.delete(name)
      else this.cookies.set(name, value)
    }
    return res
  }
}

/** The hidden inputs and form action of an HTML page from the provider. */
export function parseForm(html: string): { action: string; fields: Record<string, string> } {
  const action = /<form[^>]*action="([^"]*)"/.exec(html)?.[1] ?? ''
  const fields: Record<string, string> = {}
  for (const m of html.matchAll(/<input type="hidden" name="([^"]*)" value="([^"]*)">/g)) fields[unescape(m[1]!)] = unescape(m[2]!)
  return { action: unescape(action), fields }
}

function unescape(s: string): string {
  return s.replace(/&#(\d+);/g, (_, n: string) => String.fromCharCode(Number(n)))
}
