import { useEffect, useState, useSyncExternalStore } from 'react'
import { useAuth } from '@realmauth/react'
import { describeError } from './describeError.js'
import { decodeJwt, fingerprint } from './jwt.js'

/** This page's name in the refresh log, so two tabs can tell who asked the provider. */
const TAB = `Tab ${Math.random().toString(36).slice(2, 6).toUpperCase()}`

interface Refresh {
  at: number
  here: boolean
  failed?: boolean
  text: string
}

/** The clock the countdown reads, ticking once a second. */
function useNow(): number {
  const [now, setNow] = useState(() => Date.now())
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000)
    return () => clearInterval(timer)
  }, [])
  return now
}

/**
 * Each refresh as it happens: this tab's (from the client's events) and other tabs' (from a
 * demo channel; the SDK's own tab channel hands their tokens over without a request).
 */
function useRefreshLog(): Refresh[] {
  const { client } = useAuth()
  const [log, setLog] = useState<Refresh[]>([])
  useEffect(() => {
    const add = (here: boolean, text: string, failed = false) => setLog((entries) => [{ at: Date.now(), here, failed, text }, ...entries].slice(0, 50))
    const tabs = new BroadcastChannel('realmauth-demo-tabs')
    tabs.onmessage = ({ data }: MessageEvent<{ tab: string; token: string }>) => add(false, `${data.tab} refreshed; this tab took the same token ${data.token} without a request`)
    const off = client.auth.on((event) => {
      if (event.type === 'refresh_success' && event.source === 'provider') {
        const token = fingerprint(event.tokens.accessToken)
        add(true, `${TAB} (this tab) refreshed at the provider: new token ${token}`)
        tabs.postMessage({ tab: TAB, token })
      } else if (event.type === 'refresh_failure') add(true, `Refresh failed: ${describeError(event.error)}`, true)
    })
    return () => {
      off()
      tabs.close()
    }
  }, [client])
  return log
}

const time = (ms: number) => new Date(ms).toLocaleTimeString()

/** What the SDK holds right now: the access token's life, its DPoP binding, both tokens' claims, and the refreshes. */
export function TokenPanel() {
  const { client, user } = useAuth()
  const tokens = useSyncExternalStore(client.subscribe, client.getSnapshot).tokens
  const now = useNow()
  const log = useRefreshLog()
  if (!tokens) return null
  const access = decodeJwt(tokens.accessToken)
  const dpop = tokens.tokenType.toLowerCase() === 'dpop'
  const jkt = (access?.cnf as { jkt?: string } | undefined)?.jkt
  const life = tokens.expiresAt === undefined ? undefined : Math.round((tokens.expiresAt - tokens.receivedAt) / 1000)
  const left = tokens.expiresAt === undefined ? undefined : Math.max(0, Math.round((tokens.expiresAt - now) / 1000))

  return (
    <section className="panel" id="token-panel">
      <h2>
        Access token <span className={dpop ? 'badge dpop' : 'badge'} id="token-type">{dpop ? 'DPoP' : 'Bearer'}</span>
      </h2>
      <p className="countdown">
        expires in <strong id="life">{left ?? '?'}</strong> s{' '}
        {life !== undefined && left !== undefined && <progress max={life} value={left} />}
        <span className="muted"> · renewed by the SDK at about half its {life ?? '?'} s life</span>
      </p>
      <dl>
        <dt>Token</dt>
        <dd id="token-id">{fingerprint(tokens.accessToken)}</dd>
        <dt>Bound to key</dt>
        <dd id="jkt">{jkt ? <code title="cnf.jkt: the SHA-256 thumbprint of this browser's DPoP key">{jkt}</code> : 'not bound (Bearer)'}</dd>
        <dt>This tab</dt>
        <dd id="tab-name">{TAB}</dd>
      </dl>
      <h3>
        Refreshes <span className="muted">(so far: <span id="refreshes">{log.filter((r) => !r.failed).length}</span>)</span>
      </h3>
      <ol id="refresh-log" className="log">
        {log.length === 0 ? (
          <li className="muted">None yet. Open this page in a second tab: both hold the same token, and only one asks the provider.</li>
        ) : (
          log.map((r) => (
            <li key={`${r.at}-${r.text}`} className={r.failed ? 'failed' : r.here ? 'here' : 'other'}>
              <time>{time(r.at)}</time> {r.text}
            </li>
          ))
        )}
      </ol>
      <div className="claims">
        <div>
          <h3>ID token claims</h3>
          <pre id="claims">{JSON.stringify(user, null, 2)}</pre>
        </div>
        <div>
          <h3>Access token claims</h3>
          <pre id="access-claims">{access ? JSON.stringify(access, null, 2) : '(opaque token)'}</pre>
        </div>
      </div>
    </section>
  )
}
