import { defineConfig } from 'tsup';

export default defineConfig({
  // `internal`: helpers for the sibling packages only (see src/internal.ts).
  entry: { index: 'src/index.ts', internal: 'src/internal.ts' },
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'es2022',
});
