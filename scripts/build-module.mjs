// The `module` condition's files: real ES modules of the package's Node entries, one .js per
// source module under dist/module/ ("type": "module"), for bundlers only. Node matches no
// `module` condition and keeps the ESM layer over the CommonJS build; esbuild, webpack and
// rollup's node-resolve (with @rollup/plugin-commonjs) apply `module` to an `import` and to a
// `require` alike, so an app bundled from both, or from two entries, holds one copy of each
// class and cache, now tree-shakable ESM instead of CommonJS.
//
// The sources load their peers with a literal `require('<peer>')` (see src/peer.ts), which
// webpack and rollup leave to run time inside an ES module (the bundle then has no
// node_modules to find it in). Here each becomes a static `import * as` of the same name,
// so every bundler puts the peer in the bundle; a peer that is not installed fails the
// build naming it, as the CommonJS build's literal require already did under esbuild and webpack.
//
// And each named import of a Node built-in becomes a member of a namespace import
// (`createRequire(...)` -> `node_module.createRequire(...)`): a bundler hoists an ES module's
// imports into the bundle's top scope, where the ESM Lambda banner (`import { createRequire }
// from 'node:module'; const require = createRequire(import.meta.url);`, or one declaring
// `dirname`) would then declare the same name twice, a SyntaxError at start-up.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { build } from 'esbuild';

const ts = createRequire(import.meta.url)('typescript');

// esbuild's warning that it keeps a require() in ESM output: the literal ones are handled below.
const COMMON = { format: 'esm', platform: 'node', target: 'node18', legalComments: 'none', logLevel: 'warning', logOverride: { 'unsupported-require-call': 'silent' } };
const LITERAL_REQUIRE = /\brequire\(\s*"([^"]+)"\s*\)/g;

/** `entries`: the source files behind the `exports` entries (src/x.ts). */
export async function buildModules(entries, outdir = 'dist/module') {
  // The graph, found by bundling with every package left outside; every module counted, the
  // package's `sideEffects` aside.
  const graph = await build({ ...COMMON, entryPoints: entries, bundle: true, packages: 'external', ignoreAnnotations: true, write: false, metafile: true, outdir });
  const modules = Object.keys(graph.metafile.inputs).filter((file) => file.startsWith('src/'));
  rmSync(outdir, { recursive: true, force: true });
  // Left to the app's bundler to minify: minified here, the user's stack traces would be unreadable.
  const out = await build({ ...COMMON, entryPoints: modules, outbase: 'src', outdir, bundle: false, write: false });
  for (const file of out.outputFiles) {
    const peers = [...new Set([...file.text.matchAll(LITERAL_REQUIRE)].map(([, name]) => name))];
    let text = file.text.replace(LITERAL_REQUIRE, (_, name) => `__peer${peers.indexOf(name)}`);
    // A require left (other than peer.ts's require.resolve, reached only once a load has
    // thrown, which a static import never lets happen) would be undefined here.
    if (/\brequire\s*\(/.test(text)) throw new Error(`${file.path}: a require() that is not a literal peer name`);
    text = peers.map((name, i) => `import * as __peer${i} from ${JSON.stringify(name)};\n`).join('') + builtinsAsNamespaces(file.path, text);
    mkdirSync(dirname(file.path), { recursive: true });
    writeFileSync(file.path, text);
  }
  writeFileSync(`${outdir}/package.json`, JSON.stringify({ type: 'module' }) + '\n');
  return modules;
}

/** `import { a, b as c } from "node:x"` -> `import * as node_x from "node:x"`, each use of a/c -> node_x.a/node_x.b. */
function builtinsAsNamespaces(path, text) {
  const source = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.JS);
  const members = new Map(); // local name -> `node_x.imported`
  const edits = []; // [start, end, replacement]
  for (const statement of source.statements) {
    if (!ts.isImportDeclaration(statement) || !statement.moduleSpecifier.text.startsWith('node:')) continue;
    const bindings = statement.importClause?.namedBindings;
    if (!bindings || !ts.isNamedImports(bindings)) continue;
    const spec = statement.moduleSpecifier.text;
    const namespace = spec.replace(/\W/g, '_');
    if (statement.importClause.name) throw new Error(`${path}: a default and named imports of ${spec} in one statement`);
    for (const element of bindings.elements) members.set(element.name.text, `${namespace}.${(element.propertyName ?? element.name).text}`);
    edits.push([statement.getStart(source), statement.end, `import * as ${namespace} from ${JSON.stringify(spec)};`]);
  }
  const visit = (node) => {
    if (ts.isIdentifier(node) && members.has(node.text)) {
      const { parent } = node;
      const isName = (ts.isPropertyAccessExpression(parent) && parent.name === node) || (ts.isPropertyAssignment(parent) && parent.name === node)
        || ts.isImportSpecifier(parent) || ts.isMethodDeclaration(parent) || ts.isPropertyDeclaration(parent);
      if (!isName) {
        if (ts.isExportSpecifier(parent)) throw new Error(`${path}: ${node.text}, imported from a Node built-in, is exported again`);
        if ((ts.isVariableDeclaration(parent) || ts.isParameter(parent) || ts.isFunctionDeclaration(parent) || ts.isClassDeclaration(parent) || ts.isBindingElement(parent)) && parent.name === node) {
          throw new Error(`${path}: ${node.text} is declared again, shadowing its import from a Node built-in`);
        }
        const member = members.get(node.text);
        edits.push([node.getStart(source), node.end, ts.isShorthandPropertyAssignment(parent) ? `${node.text}: ${member}` : member]);
      }
    }
    if (!ts.isImportDeclaration(node)) ts.forEachChild(node, visit);
  };
  ts.forEachChild(source, visit);
  for (const [start, end, replacement] of edits.sort((a, b) => b[0] - a[0])) text = text.slice(0, start) + replacement + text.slice(end);
  return text;
}
