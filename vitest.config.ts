import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const packages = fileURLToPath(new URL('./packages/', import.meta.url));
const react18 = fileURLToPath(new URL('./test/react/react18/node_modules/', import.meta.url));
const rtlEsm = fileURLToPath(new URL('./node_modules/@testing-library/react/dist/@testing-library/react.esm.js', import.meta.url));

// Vitest 4: `test.projects` (the old `workspace` file/option is gone).
// Inline projects do NOT inherit root options unless `extends: true`.
// `passWithNoTests` is a root-only option (not allowed per project).
export default defineConfig({
  // Tests run against the sources; the CLI tests run the built dist/ (npm test builds it).
  resolve: {
    alias: [
      { find: /^@realmauth\/server\/(node|msw|sqlite|postgres|testing)$/, replacement: `${packages}server/src/$1.ts` },
      { find: /^@realmauth\/node\/(express|fastify|hono)$/, replacement: `${packages}node/src/$1.ts` },
      { find: /^@realmauth\/react\/testing$/, replacement: `${packages}react/src/testing.tsx` },
      { find: /^@realmauth\/core\/internal$/, replacement: `${packages}core/src/internal.ts` },
      { find: /^@realmauth\/([a-z]+)$/, replacement: `${packages}$1/src/index.ts` },
    ],
  },
  test: {
    testTimeout: 20_000,
    hookTimeout: 20_000,
    passWithNoTests: true,
    projects: [
      {
        extends: true,
        test: {
          name: 'server',
          environment: 'node',
          // REALMAUTH_PG_URL, or a throwaway embedded PostgreSQL for the PostgresStore tests.
          globalSetup: ['test/support/postgres.ts'],
          include: ['packages/server/src/**/*.test.ts', 'test/server/**/*.test.ts'],
        },
      },
      {
        extends: true,
        test: {
          // Drives Chromium (the system's, else @sparticuz/chromium) with playwright-core against the provider over HTTP.
          name: 'browser',
          environment: 'node',
          globalSetup: ['test/support/chromium.ts'],
          include: ['test/browser/**/*.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'unit',
          environment: 'node',
          include: ['packages/{core,browser,node,react}/src/**/*.test.ts', 'test/clients/**/*.test.ts', 'test/node/**/*.test.ts', 'test/examples/**/*.test.ts', 'test/docs/**/*.test.ts'],
        },
      },
      {
        extends: true,
        test: {
          name: 'react',
          environment: 'jsdom',
          include: ['test/react/**/*.test.tsx'],
          provide: { reactMajor: '19' },
        },
      },
      {
        // The same React tests against React 18. test/react/react18 is a tiny package whose own
        // node_modules hold react@18 and react-dom@18 (npm cannot hoist both majors side by
        // side), so react-dom 18 finds react 18 by plain Node resolution.
        extends: true,
        resolve: {
          alias: [
            { find: /^(react|react-dom)(\/.*)?$/, replacement: `${react18}$1$2` },
            // Its ESM build, run through Vite so that its own `react` imports take the alias above
            // (its CJS `main` would require() them from Node and get React 19).
            { find: /^@testing-library\/react$/, replacement: rtlEsm },
          ],
        },
        test: {
          name: 'react18',
          environment: 'jsdom',
          include: ['test/react/**/*.test.tsx'],
          provide: { reactMajor: '18' },
          server: { deps: { inline: ['@testing-library/react'] } },
        },
      },
    ],
  },
});
