import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { index: 'src/index.ts' },
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'es2022',
  // The app brings one React and one realmauth client; bundling either would make two.
  external: ['react', 'react-dom', '@realmauth/browser', '@realmauth/core'],
});
