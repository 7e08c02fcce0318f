// The package's build, one step per output (another output is one more step at the end):
//   1. CommonJS: the one implementation, compiled by tsc (two runs: the es7 entry types
//      against @elastic/elasticsearch 7.x, the elasticsearch entry against 9.x, through
//      tsconfig `paths`; the emitted imports keep the real package name). tsc, not a
//      bundler: one module per source file keeps stack traces and `.d.ts` readable.
//   2. ESM: a thin layer over (1) for every `exports` entry (scripts/esm-layer.mjs), and
//      the declarations that must be read as ESM copied beside it (esmDeclarations).
//   3. The bin files of package.json, executable.
//   4. The web entry's bundle for runtimes without Node built-ins (scripts/build-fetch.mjs),
//      typed as the entry's `import` (bundleDeclarations).
//   5. ES modules of the Node entries for bundlers, under the `module` condition
//      (scripts/build-module.mjs), typed as the entry's `import`.
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { builtinModules, createRequire } from 'node:module';
import { dirname, posix } from 'node:path';
import { buildFetchBundle } from './build-fetch.mjs';
import { buildModules } from './build-module.mjs';
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
  const entries = writeEsmLayer(pkg);
  packageType('dist/esm', 'module');
  esmDeclarations(entries);
}

// Under `import` TypeScript reads dist/esm as ESM, but a dist/esm/<entry>.d.ts that only
// re-exports ../cjs/<entry>.d.ts leaves that file's own imports resolved in CommonJS mode:
// @elastic/elasticsearch 9.3+ then gives its lib/ types where the app's own import got esm/,
// two copies of @elastic/transport's classes, and the app's Client refuses the Connection
// (TS2322). So every declaration file whose types reach a package, directly or through its
// relative imports, is copied into dist/esm, where it resolves that package as the app does
// (an entry's copy takes the place of the layer's re-export: the same names and default).
// The rest stays in dist/cjs alone and the copies import it from there, so each class of ours
// that no peer shapes is still declared once, whichever way the app loads the package.
function esmDeclarations(entries) {
  const ts = require('typescript');
  const builtin = (spec) => spec.startsWith('node:') || builtinModules.includes(spec.split('/')[0]);
  // The declaration files the entries reach, by relative imports (paths under dist/cjs).
  const files = new Map();
  const pending = entries.map(({ cjs }) => cjs.replace(/^dist\/cjs\//, '').replace(/\.js$/, '.d.ts'));
  for (let file; (file = pending.pop()) !== undefined;) {
    if (files.has(file)) continue;
    const text = readFileSync(`dist/cjs/${file}`, 'utf8');
    const info = ts.preProcessFile(text, true, true);
    if (info.referencedFiles.length > 0) throw new Error(`dist/cjs/${file}: a /// <reference path> is not carried into dist/esm`);
    const imports = info.importedFiles.map(({ fileName: spec, pos }) => {
      // pos is the string literal's opening quote; the rewrite below keeps the quotes.
      const quote = text[pos];
      if (!`'"`.includes(quote) || text.slice(pos + 1, pos + 1 + spec.length + 1) !== spec + quote) throw new Error(`dist/cjs/${file}: cannot place '${spec}'`);
      const [start, end] = [pos + 1, pos + 1 + spec.length];
      if (!spec.startsWith('.')) return { spec, start, end };
      // node16 ESM resolves no extensionless or directory specifier.
      if (!spec.endsWith('.js')) throw new Error(`dist/cjs/${file}: '${spec}' must name the file, with .js`);
      const target = posix.join(posix.dirname(file), spec).replace(/\.js$/, '.d.ts');
      if (!existsSync(`dist/cjs/${target}`)) throw new Error(`dist/cjs/${file}: '${spec}' names no declaration file`);
      pending.push(target);
      return { spec, start, end, target };
    });
    // @types/node is ambient, the same in either mode.
    const packages = [...imports.filter((i) => !i.target).map((i) => i.spec), ...info.typeReferenceDirectives.map((d) => d.fileName).filter((name) => name !== 'node')];
    files.set(file, { text, imports, reachesPackage: packages.some((spec) => !builtin(spec)) });
  }
  // Through relative imports, to a fixed point (import cycles included).
  for (let changed = true; changed;) {
    changed = false;
    for (const f of files.values()) {
      if (!f.reachesPackage && f.imports.some((i) => i.target && files.get(i.target).reachesPackage)) changed = f.reachesPackage = true;
    }
  }
  for (const [file, { text, imports, reachesPackage }] of files) {
    if (!reachesPackage) continue;
    let out = text;
    for (const { start, end, target } of [...imports].reverse()) {
      if (!target || files.get(target).reachesPackage) continue;
      out = out.slice(0, start) + posix.relative(posix.dirname(`dist/esm/${file}`), `dist/cjs/${target.replace(/\.d\.ts$/, '.js')}`) + out.slice(end);
    }
    mkdirSync(dirname(`dist/esm/${file}`), { recursive: true });
    writeFileSync(`dist/esm/${file}`, out);
  }
}

// TypeScript with a custom condition (`customConditions: ["workerd"]`, a Worker's or a
// browser app's) resolves such an entry to its .mjs file and looks for the .d.mts beside it.
function bundleDeclarations() {
  for (const target of Object.values(pkg.exports)) {
    const types = target?.import?.types;
    if (typeof target !== 'object' || !types) continue;
    // A condition's file, given as a string or under its own import/require/default.
    const files = Object.values(target).flatMap((v) => (typeof v === 'string' ? [v] : Object.values(v ?? {})));
    for (const file of new Set(files.filter((v) => typeof v === 'string' && /\.[mc]js$/.test(v)))) {
      const dts = file.replace(/\.(m|c)js$/, '.d.$1ts');
      // A .cjs is typed as the entry's require: a CommonJS declaration may not import an ES one.
      const typedAs = file.endsWith('.cjs') ? target.require?.types ?? types : types;
      const from = JSON.stringify(posix.relative(posix.dirname(dts), typedAs).replace(/\.d\.ts$/, '.js'));
      const lines = [`export * from ${from};`];
      if (/^export default /m.test(readFileSync(typedAs, 'utf8'))) lines.push(`export { default } from ${from};`);
      writeFileSync(dts, lines.join('\n') + '\n');
    }
  }
}

/** The sources behind the `module` condition's files: dist/module/<p>.js comes from src/<p>.ts. */
function moduleSources() {
  return Object.values(pkg.exports).flatMap((target) => {
    const file = target?.module?.default;
    if (typeof file !== 'string') return [];
    const match = /^\.\/dist\/module\/(.+)\.js$/.exec(file);
    if (!match) throw new Error(`exports: the module condition's ${file} is not dist/module/<p>.js`);
    return [`src/${match[1]}.ts`];
  });
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
bundleDeclarations();
await buildModules(moduleSources());
