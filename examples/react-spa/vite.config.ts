import { defineConfig } from 'vite'
import { demoApi } from '../shared/demoApi.js'

export default defineConfig({
  // No React plugin needed: esbuild compiles JSX with the automatic runtime.
  esbuild: { jsx: 'automatic' },
  server: { port: 5173 },
  plugins: [demoApi(process.env.VITE_ISSUER ?? 'http://localhost:9000/oauth2/realms/root/realms/alpha')],
})
