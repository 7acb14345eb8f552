// `npm start`: builds what the demo needs, starts the reference provider with the demo
// realm on :9000 and an example app on :5173, and prints where to go and how to sign in.
// Usage: npm start [-- --app react-spa|spa-vanilla] [--provider-port N] [--app-port N]
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'

const root = fileURLToPath(new URL('..', import.meta.url))
const { values: args } = parseArgs({
  options: {
    app: { type: 'string', default: existsSync(`${root}examples/react-spa/vite.config.ts`) ? 'react-spa' : 'spa-vanilla' },
    'provider-port': { type: 'string', default: '9000' },
    'app-port': { type: 'string', default: '5173' },
    'no-build': { type: 'boolean', default: false },
  },
})

if (!args['no-build']) {
  console.log('Building @realmauth/core, @realmauth/node and @realmauth/server…')
  const built = spawnSync('npm', ['run', 'build', '--silent', '-w', '@realmauth/core', '-w', '@realmauth/server', '-w', '@realmauth/node'], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'inherit'],
  })
  if (built.status !== 0) process.exit(built.status ?? 1)
}

const { createProvider, demoConfig, DEMO } = await import(`${root}packages/server/dist/index.js`)
const { listen } = await import(`${root}packages/server/dist/node.js`)
const providerOrigin = `http://localhost:${args['provider-port']}`
const appOrigin = `http://localhost:${args['app-port']}`
const provider = createProvider({ ...demoConfig({ spaOrigins: [appOrigin] }), origin: providerOrigin })
const running = await listen(provider, { port: Number(args['provider-port']), host: '127.0.0.1' })
const issuer = provider.issuer(DEMO.realm, providerOrigin)

// The example app's browser code runs from the packages' sources, so no browser build is needed.
process.env.VITE_ISSUER = issuer
const { createServer } = await import('vite')
const src = (pkg) => `${root}packages/${pkg}/src/index.ts`
const vite = await createServer({
  configFile: `${root}examples/${args.app}/vite.config.ts`,
  root: `${root}examples/${args.app}`,
  logLevel: 'warn',
  resolve: { alias: { '@realmauth/browser': src('browser'), '@realmauth/react': src('react'), '@realmauth/core': src('core') } },
  server: { port: Number(args['app-port']), strictPort: true, host: '127.0.0.1' },
})
await vite.listen()

console.log(`
realmauth demo is running.

  Open ${appOrigin} and sign in as ${DEMO.user.username} / ${DEMO.user.password}

  Provider  ${providerOrigin}   issuer ${issuer}
  App       ${appOrigin}   (examples/${args.app}, client ${DEMO.spa.client_id})
  Clients   ${DEMO.spa.client_id} (SPA, public), ${DEMO.web.client_id} / ${DEMO.web.client_secret} (web),
            ${DEMO.m2m.client_id} / ${DEMO.m2m.client_secret} (M2M), ${DEMO.jwt.client_id} (private_key_jwt), ${DEMO.device.client_id} (device)

Press Ctrl+C to stop.`)

const stop = async () => {
  await vite.close()
  await running.close()
  process.exit(0)
}
process.once('SIGINT', stop)
process.once('SIGTERM', stop)
