import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const packages = fileURLToPath(new URL('./packages/', import.meta.url));

// Vitest 4: `test.projects` (the old `workspace` file/option is gone).
// Inline projects do NOT inherit root options unless `extends: true`.
// `passWithNoTests` is a root-only option (not allowed per project).
export default defineConfig({
  // Tests run against the sources; the CLI tests run the built dist/ (npm test builds it).
  resolve: {
    alias: [
      { find: /^@realmauth\/server\/(node|msw)$/, replacement: `${packages}server/src/$1.ts` },
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
          include: ['packages/server/src/**/*.test.ts', 'test/server/**/*.test.ts'],
        },
      },
      {
        extends: true,
        test: {
          // Drives Debian's Chromium with playwright-core against the provider over HTTP.
          name: 'browser',
          environment: 'node',
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
          include: ['packages/{core,browser,node,react}/src/**/*.test.ts', 'test/clients/**/*.test.ts', 'test/node/**/*.test.ts'],
        },
      },
    ],
  },
});
