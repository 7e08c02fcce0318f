// The `aws-sigv4-connection/fetch` entry for runtimes without Node built-ins, as one ES
// module (dist/fetch/index.mjs) bundled by esbuild from src/web.ts: a bundler (wrangler,
// esbuild, Vercel, Deno) then gets tree-shakeable ESM with no node: import and no CommonJS
// interop, whatever form the Node entries take. Node itself (and Bun, Deno, which match the
// "node" condition) loads the tsc builds instead, so a process holds one copy of each
// class whichever entry it imports. Called by build.mjs after tsc; types: dist/cjs/web.d.ts.
import { build } from 'esbuild';

await build({
  entryPoints: ['src/web.ts'],
  outfile: 'dist/fetch/index.mjs',
  bundle: true,
  format: 'esm',
  // 'browser' refuses any Node built-in at build time: the entry must stay free of them.
  platform: 'browser',
  target: 'es2022',
  // Left to the app's bundler: minified here, the user's stack traces would be unreadable.
  minify: false,
  legalComments: 'none',
  logLevel: 'warning',
});
