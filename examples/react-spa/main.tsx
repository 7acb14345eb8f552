/// <reference types="vite/client" />
import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'
import { AuthProvider } from '@realmauth/react'
import { App } from './App.js'

const issuer = import.meta.env.VITE_ISSUER ?? 'http://localhost:9000/oauth2/realms/root/realms/alpha'

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <AuthProvider issuer={issuer} clientId="demo-spa" scope="openid profile email" onRedirectCallback={() => history.replaceState(null, '', '/')}>
      <App />
    </AuthProvider>
  </StrictMode>,
)
