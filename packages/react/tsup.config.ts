import { defineConfig } from 'tsup';

export default defineConfig({
  // `testing`: the test double of the auth context; apps never load it.
  entry: { index: 'src/index.ts', testing: 'src/testing.tsx' },
  // Shared chunks in CJS too: one AuthContext behind both entries.
  splitting: true,
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'es2022',
  // The app brings one React and one realmauth client; bundling either would make two.
  external: ['react', 'react-dom', '@realmauth/browser', '@realmauth/core'],
});
