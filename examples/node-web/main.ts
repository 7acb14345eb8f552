// Run with `npm start` going in another terminal: npx tsx examples/node-web/main.ts
import { DEMO } from '@realmauth/server'
import { startWebApp } from './app.js'

const app = await startWebApp({
  issuer: process.env.ISSUER ?? 'http://localhost:9000/oauth2/realms/root/realms/alpha',
  clientId: DEMO.web.client_id,
  clientSecret: DEMO.web.client_secret,
  origin: 'http://localhost:3000',
  port: 3000,
})
console.log(`Web app on http://localhost:3000 (listening at ${app.url}); sign in as ${DEMO.user.username} / ${DEMO.user.password}`)
