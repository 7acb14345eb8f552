#!/usr/bin/env node
// The bin target is this committed file, not dist/cli.js: npm links workspace bins at install
// time, before anything is built, and skips a target that does not exist yet.
import { existsSync } from 'node:fs'

const cli = new URL('../dist/cli.js', import.meta.url)
if (!existsSync(cli)) {
  console.error('realmauth-server: @realmauth/server is not built; run `npm run build -w @realmauth/server` (or `npm ci`) first.')
  process.exit(1)
}
await import(cli.href)
