// The `aws-sigv4-connection/fetch` entry for runtimes without Node built-ins, as ES modules
// under dist/fetch/ (index.mjs and one .mjs per module of the web graph), for the
// `workerd`, `worker`, `edge-light` and `browser` conditions. A bundler (wrangler, Vercel,
// esbuild for the web) then gets ESM with no node: import. One file per module rather than
// one bundle: with the package's `sideEffects`, a bundler drops whole modules an app does
// not reach (an app that only calls signRequest ships no credential cache or fetch loop),
// which it cannot do inside a single pre-bundled file. Node, Bun and Deno match none of
// those conditions and load the ESM layer over the CommonJS build like every other entry,
// so a process holds one copy of each class whichever entry it imports.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { build } from 'esbuild';

const COMMON = { format: 'esm', platform: 'browser', target: 'es2022', legalComments: 'none', logLevel: 'warning' };

export async function buildFetchBundle() {
  // The graph, found by bundling: 'browser' refuses any Node built-in at build time, so the
  // entry stays free of them.
  const graph = await build({ ...COMMON, entryPoints: ['src/web.ts'], bundle: true, write: false, metafile: true });
  const modules = Object.keys(graph.metafile.inputs).filter((file) => file.startsWith('src/'));
  rmSync('dist/fetch', { recursive: true, force: true });
  // Left to the app's bundler to minify: minified here, the user's stack traces would be unreadable.
  const out = await build({ ...COMMON, entryPoints: modules, outbase: 'src', outdir: 'dist/fetch', outExtension: { '.js': '.mjs' }, bundle: false, write: false });
  for (const file of out.outputFiles) {
    // The sources import each other as './x.js'; the files here are .mjs.
    const text = file.text.replace(/((?:from|import)\s*\(?\s*)"(\.{1,2}\/[^"]+)\.js"/g, '$1"$2.mjs"');
    mkdirSync(dirname(file.path), { recursive: true });
    writeFileSync(file.path, text);
  }
  writeFileSync(join('dist/fetch', 'index.mjs'), `// aws-sigv4-connection/fetch: see web.mjs.\nexport * from './web.mjs';\n`);
  // The same entry as one CommonJS file, for a `require` under these conditions: Jest's jsdom
  // environment resolves with `browser` and loads test files as CommonJS, which cannot
  // require the .mjs files (tree-shaking, their reason to be many, is no concern there).
  await build({ ...COMMON, format: 'cjs', entryPoints: ['src/web.ts'], bundle: true, outfile: 'dist/fetch/index.cjs' });
  return modules.map((file) => relative('src', file));
}
