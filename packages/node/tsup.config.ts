import { defineConfig } from 'tsup';

export default defineConfig({
  // One entry per framework, so an app imports only the one it uses.
  entry: { index: 'src/index.ts', express: 'src/express.ts', fastify: 'src/fastify.ts', hono: 'src/hono.ts' },
  // One AccessTokenError class behind every entry, or `instanceof` fails across them.
  splitting: true,
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'node20',
  // Resolved from the user's node_modules: one copy of core's AuthError class, one jose.
  external: ['@realmauth/core', 'jose', 'oauth4webapi', 'express', 'fastify', 'hono'],
});
