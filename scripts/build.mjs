// Two tsc runs (ESM and CommonJS) instead of a bundler: the package is small, and tsc keeps
// one module per source file, so stack traces and `.d.ts` stay readable. The es7 entry is
// compiled on its own because it types against @elastic/elasticsearch 7.x while the
// elasticsearch entry types against 9.x (tsconfig `paths`; the emitted imports keep the
// real package name, so the user's installed major is what their compiler sees).
import { execFileSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const tsc = require.resolve('typescript/bin/tsc');
rmSync('dist', { recursive: true, force: true });
const formats = [
  ['esm', ['--module', 'esnext', '--moduleResolution', 'bundler'], 'module'],
  ['cjs', ['--module', 'commonjs', '--moduleResolution', 'node10'], 'commonjs'],
];
for (const [dir, flags, type] of formats) {
  for (const project of ['tsconfig.build.json', 'tsconfig.es7.json']) {
    execFileSync(process.execPath, [tsc, '-p', project, ...flags, '--outDir', `dist/${dir}`], { stdio: 'inherit' });
  }
  writeFileSync(`dist/${dir}/package.json`, JSON.stringify({ type }) + '\n');
}
await import('./build-fetch.mjs');
