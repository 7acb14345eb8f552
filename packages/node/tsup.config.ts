import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { index: 'src/index.ts' },
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'node20',
  // Resolved from the user's node_modules: one copy of core's AuthError class, one jose.
  external: ['@realmauth/core', 'jose', 'oauth4webapi'],
});
