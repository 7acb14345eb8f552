import { defineConfig } from 'tsup';

// Library entries: dual ESM + CJS with .d.ts / .d.cts.
// CLI entry: ESM only, no types. The shebang comes from the first line of
// src/cli.ts (esbuild keeps it), so no banner is configured here.
export default defineConfig([
  {
    entry: {
      index: 'src/index.ts',
      node: 'src/node.ts',
      msw: 'src/msw.ts',
      // Node only: loads better-sqlite3 (an optional dependency) when a store is opened.
      sqlite: 'src/sqlite.ts',
      // Node only: loads pg (an optional dependency) when a store is opened.
      postgres: 'src/postgres.ts',
      // Node only: a provider per test and a headless sign-in.
      testing: 'src/testing.ts',
    },
    format: ['esm', 'cjs'],
    // Shared chunks in the CommonJS build too, as core, node and react have: without them each
    // CJS entry held its own copy of the provider, so `/testing`'s errors failed `instanceof`
    // against the main entry's classes and `/node` missed the direct path and node:crypto.
    splitting: true,
    dts: true,
    // Both configs run concurrently into dist/: clean everything except the
    // CLI's own output so this config cannot race-delete dist/cli.js.
    clean: ['!cli.*'],
    sourcemap: true,
    target: 'node20',
    platform: 'node',
    // import.meta.url in the CJS build of the sqlite and postgres entries (they require their drivers lazily).
    shims: true,
    external: ['msw', 'jose', 'better-sqlite3', 'pg'],
  },
  {
    entry: { cli: 'src/cli.ts' },
    format: ['esm'],
    dts: false,
    clean: false, // cli.* is simply overwritten on each build
    sourcemap: true,
    target: 'node20',
    platform: 'node',
    external: ['msw', 'jose', 'better-sqlite3', 'pg'],
  },
]);
