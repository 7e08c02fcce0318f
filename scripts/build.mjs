// The package's build, one step per output (another output is one more step at the end):
//   1. CommonJS: the one implementation, compiled by tsc (two runs: the es7 entry types
//      against @elastic/elasticsearch 7.x, the elasticsearch entry against 9.x, through
//      tsconfig `paths`; the emitted imports keep the real package name). tsc, not a
//      bundler: one module per source file keeps stack traces and `.d.ts` readable.
//   2. ESM: a thin layer over (1) for every `exports` entry (scripts/esm-layer.mjs).
//   3. The bin files of package.json, executable.
//   4. The web entry's bundle for runtimes without Node built-ins (scripts/build-fetch.mjs).
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { buildFetchBundle } from './build-fetch.mjs';
import { writeEsmLayer } from './esm-layer.mjs';

const require = createRequire(import.meta.url);
const tsc = require.resolve('typescript/bin/tsc');
const pkg = JSON.parse(readFileSync('package.json', 'utf8'));

function packageType(dir, type) {
  mkdirSync(dir, { recursive: true });
  writeFileSync(`${dir}/package.json`, JSON.stringify({ type }) + '\n');
}

function buildCommonJs() {
  for (const project of ['tsconfig.build.json', 'tsconfig.es7.json']) {
    execFileSync(process.execPath, [tsc, '-p', project, '--module', 'commonjs', '--moduleResolution', 'node10', '--outDir', 'dist/cjs'], { stdio: 'inherit' });
  }
  packageType('dist/cjs', 'commonjs');
}

function buildEsmLayer() {
  writeEsmLayer(pkg);
  packageType('dist/esm', 'module');
}

// npm sets the bit on install, but a checkout runs the bin straight from dist.
function makeBinsExecutable() {
  const bins = typeof pkg.bin === 'string' ? [pkg.bin] : Object.values(pkg.bin ?? {});
  for (const bin of bins) chmodSync(bin, 0o755);
}

rmSync('dist', { recursive: true, force: true });
buildCommonJs();
buildEsmLayer();
makeBinsExecutable();
await buildFetchBundle();
