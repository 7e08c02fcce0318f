// The `aws-sigv4-connection/fetch` entry for runtimes without Node built-ins, as one ES
// module (dist/fetch/index.mjs) bundled by esbuild from src/web.ts, for the `workerd`,
// `worker`, `edge-light` and `browser` conditions: a bundler (wrangler, Vercel, esbuild for
// the web) then gets tree-shakeable ESM with no node: import, where the CommonJS build under
// the Node entries' ESM layer would bring CommonJS interop and no tree-shaking. Node, Bun and
// Deno match none of those and load the ESM layer over the CommonJS build like every other
// entry, so a process holds one copy of each class whichever entry it imports.
import { build } from 'esbuild';

export async function buildFetchBundle() {
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
}
