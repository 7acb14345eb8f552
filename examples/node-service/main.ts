// Run with `npm start` going in another terminal: npx tsx examples/node-service/main.ts
import { DEMO } from '@realmauth/server'
import { createOrdersService, startOrdersApi } from './service.js'

const issuer = process.env.ISSUER ?? 'http://localhost:9000/oauth2/realms/root/realms/alpha'
const api = await startOrdersApi({ issuer, audience: DEMO.jwt.client_id })
// The demo client's key is public knowledge; a real service reads its PEM from a secret store.
const service = await createOrdersService({ issuer, clientId: DEMO.jwt.client_id, privateKey: DEMO.jwt.privateJwk })
for (let i = 1; i <= 3; i++) console.log(`call ${i}:`, JSON.stringify(await service.listOrders(api.url)))
console.log('Three calls, one token request: the client caches the token until shortly before it expires.')
api.server.close()
