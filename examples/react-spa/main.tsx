/// <reference types="vite/client" />
import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'
import { AuthProvider } from '@realmauth/react'
import { indexedDbDPoP } from '@realmauth/browser'
import { App } from './App.js'

const issuer = import.meta.env.VITE_ISSUER ?? 'http://localhost:9000/oauth2/realms/root/realms/alpha'

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    {/* dpop: tokens bound to a key in IndexedDB that no script can export (RFC 9449). */}
    <AuthProvider issuer={issuer} clientId="demo-spa" scope="openid profile email" dpop={indexedDbDPoP} onRedirectCallback={() => history.replaceState(null, '', '/')}>
      <App />
    </AuthProvider>
  </StrictMode>,
)
