import { defineConfig } from 'vite'
import { demoApi } from '../shared/demoApi.js'

export default defineConfig({
  server: { port: 5173, strictPort: false },
  plugins: [demoApi(process.env.VITE_ISSUER ?? 'http://localhost:9000/oauth2/realms/root/realms/alpha')],
})
