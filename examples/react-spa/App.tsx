import { useEffect, useState } from 'react'
import { useAuth } from '@realmauth/react'
import { EmbeddedSignIn } from './EmbeddedSignIn.js'

/** Seconds until the access token expires, ticking once a second. */
function useSecondsLeft(expiresAt: number | undefined): number | undefined {
  const [now, setNow] = useState(() => Date.now())
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000)
    return () => clearInterval(timer)
  }, [])
  return expiresAt === undefined ? undefined : Math.max(0, Math.round((expiresAt - now) / 1000))
}

/** Counts refreshes as they happen, from the core client's events. */
function useRefreshCount(): number {
  const { client } = useAuth()
  const [count, setCount] = useState(0)
  useEffect(() => client.auth.on((event) => event.type === 'refresh_success' && setCount((n) => n + 1)), [client])
  return count
}

export function App() {
  const { status, isAuthenticated, user, error, signIn, signOut, client } = useAuth()
  const secondsLeft = useSecondsLeft(client.getSnapshot().tokens?.expiresAt)
  const refreshes = useRefreshCount()
  const [api, setApi] = useState<string>('(not called yet)')
  const [embedded, setEmbedded] = useState(false)

  async function callApi() {
    const res = await client.authFetch('/api/hello')
    setApi(`${res.status} ${JSON.stringify(await res.json(), null, 2)}`)
  }

  return (
    <main>
      <h1>realmauth React SPA</h1>
      <p id="status" className="muted">
        {status}
        {error ? ` (${error.code}: ${error.message})` : ''}
      </p>
      {status === 'loading' ? null : isAuthenticated ? (
        <>
          <p>
            Signed in as <strong id="user">{String(user?.sub)}</strong>. Access token expires in{' '}
            <strong id="life">{secondsLeft ?? '?'}</strong> s · refreshes so far: <strong id="refreshes">{refreshes}</strong>
          </p>
          <button id="call-api" onClick={() => void callApi()}>
            Call the protected API
          </button>
          <button id="refresh-now" onClick={() => void client.auth.refresh().catch(() => {})}>
            Refresh now
          </button>
          <button id="sign-out" onClick={() => void signOut()}>
            Sign out
          </button>
          <h2>API answer</h2>
          <pre id="api">{api}</pre>
          <h2>ID token claims</h2>
          <pre id="claims">{JSON.stringify(user, null, 2)}</pre>
        </>
      ) : embedded ? (
        <EmbeddedSignIn onCancel={() => setEmbedded(false)} />
      ) : (
        <>
          <button id="sign-in" onClick={() => void signIn()}>
            Sign in
          </button>
          <button id="sign-in-here" onClick={() => setEmbedded(true)}>
            Sign in on this page
          </button>
        </>
      )}
    </main>
  )
}
