// `npm start`: installs and builds what the demo needs (scripts/setup.mjs), starts the
// reference provider with the demo realm on :9000 and an example app on :5173, and prints
// where to go and how to sign in.
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { setup } from './setup.mjs'

const root = fileURLToPath(new URL('..', import.meta.url))
const USAGE = `Usage: npm start [-- --app react-spa|spa-vanilla] [--provider-port N] [--app-port N] [--no-build]

Installs the dependencies if node_modules is missing or stale, builds the packages whose sources
changed since their last build, then serves the reference provider with the demo realm, clients
and user, and an example app that signs in against it.

  --app            the example app to serve (default react-spa)
  --provider-port  the provider's port (default 9000)
  --app-port       the example app's port (default 5173)
  --no-build       skip the build, even when a package's sources are newer than its dist/
  --help           this text`

function fail(message) {
  console.error(`npm start: ${message}`)
  process.exit(2)
}

let args
try {
  args = parseArgs({
    options: {
      app: { type: 'string', default: existsSync(`${root}examples/react-spa/vite.config.ts`) ? 'react-spa' : 'spa-vanilla' },
      'provider-port': { type: 'string', default: '9000' },
      'app-port': { type: 'string', default: '5173' },
      'no-build': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  }).values
} catch (error) {
  fail(`${error.message}\n\n${USAGE}`)
}
if (args.help) {
  console.log(USAGE)
  process.exit(0)
}
if (!existsSync(`${root}examples/${args.app}/vite.config.ts`)) fail(`there is no example app '${args.app}'; choose react-spa or spa-vanilla with --app`)
for (const flag of ['provider-port', 'app-port']) {
  const port = Number(args[flag])
  if (!Number.isInteger(port) || port < 1 || port > 65535) fail(`--${flag} must be 1-65535, got '${args[flag]}'`)
}

setup({ build: !args['no-build'] })

/** A port someone else holds is the one start-up failure fixed by a flag: say which, not a stack. */
async function listening(start, port, flag) {
  try {
    return await start()
  } catch (error) {
    if (error?.code === 'EADDRINUSE' || /already in use/.test(error?.message)) fail(`port ${port} is in use; stop what is using it, or choose another port with --${flag} N`)
    throw error
  }
}

const { createProvider, demoConfig, DEMO } = await import(`${root}packages/server/dist/index.js`)
const { listen } = await import(`${root}packages/server/dist/node.js`)
const providerOrigin = `http://localhost:${args['provider-port']}`
const appOrigin = `http://localhost:${args['app-port']}`
const config = demoConfig({ spaOrigins: [appOrigin] })
// A one-minute access token for the example app, so its token panel shows a refresh about
// every half minute; demoConfig itself keeps AM's default hour for everything else.
config.realms[0].clients.find((c) => c.client_id === DEMO.spa.client_id).access_token_lifetime = 60
const provider = createProvider({ ...config, origin: providerOrigin })
const running = await listening(() => listen(provider, { port: Number(args['provider-port']), host: '127.0.0.1' }), args['provider-port'], 'provider-port')
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
await listening(
  () =>
    vite.listen().catch(async (error) => {
      await running.close()
      throw error
    }),
  args['app-port'],
  'app-port',
)

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
