// The ESM entries as a thin layer over the CommonJS build, so that a process holds one
// copy of each class and credential cache whether the package is imported or required
// (two compiled copies made `instanceof` fail across them and doubled every cache).
//
// For each `exports` entry whose `import` is dist/esm/<p>.js and whose `require` is
// dist/cjs/<p>.js, it writes:
//   dist/esm/<p>.js    const cjs = require('../cjs/<p>.js'); export const { a, b } = cjs; export default cjs.default;
//   dist/esm/<p>.d.ts  export * from '../cjs/<p>.js'; plus the default, named as the CJS one names it
// (build.mjs then replaces the .d.ts of an entry whose types reach a peer package with an ESM
// copy of its declarations, so that TypeScript resolves the peer in ESM mode: see esmDeclarations).
// `require` through createRequire, not `import cjs from`: on Node 20, once an import of a
// CommonJS module that throws (a missing peer) has rejected, the error is thrown again
// uncaught and ends the process, even when the caller caught it. Bundlers never see this
// file: the `module` condition gives them dist/module (scripts/build-module.mjs), one copy as well.
// The export lists come from the CommonJS declarations (TypeScript's own reading of them),
// never from a hand-kept list and never by running the entry (its peers may be absent).
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, relative } from 'node:path';

const require = createRequire(import.meta.url);
const ts = require('typescript');

/** [{ esm: 'dist/esm/x.js', cjs: 'dist/cjs/x.js' }] for the entries of `exports` built both ways from one source. */
export function layeredEntries(pkg) {
  const entries = [];
  for (const target of Object.values(pkg.exports)) {
    const esm = target?.import?.default?.replace(/^\.\//, '');
    const cjs = target?.require?.default?.replace(/^\.\//, '');
    if (esm && cjs && esm.startsWith('dist/esm/') && cjs === esm.replace(/^dist\/esm\//, 'dist/cjs/')) entries.push({ esm, cjs });
  }
  return entries;
}

function isTypeOnly(symbol) {
  return (symbol.declarations ?? []).some((d) =>
    (ts.isExportSpecifier(d) && (d.isTypeOnly || d.parent.parent.isTypeOnly)) || ts.isTypeOnlyImportOrExportDeclaration?.(d));
}

/** Value exports of each CommonJS declaration file, and which of them `export default` is. */
function readExports(dtsFiles) {
  const program = ts.createProgram(dtsFiles, {
    noEmit: true, skipLibCheck: true, types: [],
    module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext,
  });
  const checker = program.getTypeChecker();
  const resolve = (s) => (s.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(s) : s);
  return dtsFiles.map((file) => {
    const moduleSymbol = checker.getSymbolAtLocation(program.getSourceFile(file));
    const names = [];
    let defaultTarget;
    for (const symbol of checker.getExportsOfModule(moduleSymbol)) {
      if (symbol.escapedName === 'default') { defaultTarget = resolve(symbol); continue; }
      if (isTypeOnly(symbol) || !(resolve(symbol).flags & ts.SymbolFlags.Value)) continue;
      names.push(symbol.name);
    }
    let defaultName;
    if (defaultTarget !== undefined) {
      defaultName = names.find((name) => resolve(checker.getExportsOfModule(moduleSymbol).find((s) => s.name === name)) === defaultTarget);
      // The .d.ts re-exports the default by name: under `bundler` a default import of a
      // CommonJS declaration means its `export default`, under node16 its module.exports.
      if (defaultName === undefined) throw new Error(`${file}: the default export must also be exported by name`);
    }
    return { names: names.sort(), defaultName };
  });
}

export function writeEsmLayer(pkg) {
  const entries = layeredEntries(pkg);
  const exports = readExports(entries.map(({ cjs }) => cjs.replace(/\.js$/, '.d.ts')));
  entries.forEach(({ esm, cjs }, i) => {
    const { names, defaultName } = exports[i];
    const from = JSON.stringify(relative(dirname(esm), cjs).replace(/^(?!\.)/, './'));
    mkdirSync(dirname(esm), { recursive: true });
    const js = ["import { createRequire } from 'node:module';", `const cjs = createRequire(import.meta.url)(${from});`];
    if (names.length > 0) js.push(`export const { ${names.join(', ')} } = cjs;`);
    if (defaultName !== undefined) js.push('export default cjs.default;');
    writeFileSync(esm, js.join('\n') + '\n');
    const dts = [`export * from ${from};`];
    if (defaultName !== undefined) dts.push(`import { ${defaultName} } from ${from};`, `export default ${defaultName};`);
    writeFileSync(esm.replace(/\.js$/, '.d.ts'), dts.join('\n') + '\n');
  });
  return entries;
}
