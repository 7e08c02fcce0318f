// Two tsc runs (ESM and CommonJS) instead of a bundler: the package is small, and
// tsc keeps one module per source file, so stack traces and `.d.ts` stay readable.
import { execFileSync } from 'node:child_process';
import { rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const tsc = require.resolve('typescript/bin/tsc');
rmSync('dist', { recursive: true, force: true });
for (const [format, module] of [['esm', 'esnext'], ['cjs', 'commonjs']]) {
  execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json', '--module', module,
    '--moduleResolution', 'bundler', '--outDir', `dist/${format}`], { stdio: 'inherit' });
  mkdirSync(`dist/${format}`, { recursive: true });
  writeFileSync(`dist/${format}/package.json`,
    JSON.stringify({ type: format === 'esm' ? 'module' : 'commonjs' }) + '\n');
}
