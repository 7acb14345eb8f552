import { defineConfig } from 'tsup';

export default defineConfig({
  // `internal`: helpers for the sibling packages only (see src/internal.ts).
  entry: { index: 'src/index.ts', internal: 'src/internal.ts' },
  format: ['esm', 'cjs'],
  // Shared chunks in CJS too: one AuthError class behind both entries, or `instanceof` fails
  // on errors made by the internal helpers.
  splitting: true,
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'es2022',
});
