import { useState } from 'react'
import { useAuth, type AuthError } from '@realmauth/react'
import { EmbeddedSignIn } from './EmbeddedSignIn.js'
import { TokenPanel } from './TokenPanel.js'
import { describeError } from './describeError.js'

export function App() {
  const { status, isAuthenticated, user, error, signIn, signInPopup, signOut, client } = useAuth()
  const [api, setApi] = useState<string>('(not called yet)')
  const [embedded, setEmbedded] = useState(false)
  const [popupError, setPopupError] = useState<AuthError>()
  const shown = popupError ?? error

  async function callApi() {
    const res = await client.authFetch('/api/hello')
    setApi(`${res.status} ${JSON.stringify(await res.json(), null, 2)}`)
  }

  // Straight from the click, before any await: a popup opened later is blocked.
  const popup = () => {
    setPopupError(undefined)
    signInPopup().catch((err: AuthError) => setPopupError(err))
  }

  return (
    <main>
      <h1>realmauth React SPA</h1>
      <p id="status" className="muted">
        {status}
        {isAuthenticated && (
          <>
            {' '}
            as <strong id="user">{String(user?.sub)}</strong>
          </>
        )}
      </p>
      {shown && (
        <p id="error" className="error" role="alert">
          {describeError(shown)} <code>{shown.code}</code>
        </p>
      )}
      {status === 'loading' ? null : isAuthenticated ? (
        <>
          <p>
            <button id="call-api" onClick={() => void callApi()}>
              Call the protected API
            </button>
            <button id="refresh-now" onClick={() => void client.auth.refresh().catch(() => {})}>
              Refresh now
            </button>
            <button id="sign-out" onClick={() => void signOut()}>
              Sign out
            </button>
          </p>
          <pre id="api">{api}</pre>
          <TokenPanel />
        </>
      ) : embedded ? (
        <EmbeddedSignIn onCancel={() => setEmbedded(false)} />
      ) : (
        <p>
          <button id="sign-in" onClick={() => void signIn()}>
            Sign in
          </button>
          <button id="sign-in-popup" onClick={popup}>
            Sign in in a popup
          </button>
          <button id="sign-in-here" onClick={() => setEmbedded(true)}>
            Sign in on this page
          </button>
        </p>
      )}
    </main>
  )
}
