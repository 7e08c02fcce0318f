/**
 * What each web signer costs a bundle: the import a user writes, bundled with esbuild as an
 * app bundler would ship it for a Worker or a browser (ESM, browser platform, minified,
 * dependencies included, unused exports dropped), then gzipped. A Node built-in anywhere in
 * the graph fails the bundle, and the row says so instead of giving a size.
 *
 * Beside the totals, where ours goes: the same createSignedFetch bundle built from src/
 * with a metafile, its minified bytes grouped by concern, and the share of them that is
 * message text (the literals of our typed errors and hints).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build, type Plugin } from 'esbuild';
import ts from 'typescript';

export interface SizeRow {
  id: string;
  label: string;
  /** The user's import, bundled. */
  source: string;
  minifiedBytes?: number;
  gzipBytes?: number;
  /** Why there is no size: the bundle failed. */
  error?: string;
}

export interface SizeBreakdownRow {
  concern: string;
  modules: string[];
  minifiedBytes: number;
}

export interface SizeBreakdown {
  rows: SizeBreakdownRow[];
  /** The bundle from src/ (equal to the shipped one but for module order). */
  minifiedBytes: number;
  gzipBytes: number;
  /** Minified bytes of string and template literals that read as prose (messages, hints). */
  messageBytes: number;
  /** The same bundle with that prose emptied, gzipped: what the code alone would weigh. */
  gzipWithoutMessages: number;
}

const ENTRIES: Array<Omit<SizeRow, 'minifiedBytes' | 'gzipBytes' | 'error'>> = [
  { id: 'ours', label: 'ours: createSignedFetch', source: `import { createSignedFetch } from 'aws-sigv4-connection/fetch'; export { createSignedFetch };` },
  { id: 'aws4fetch', label: 'aws4fetch: AwsClient', source: `import { AwsClient } from 'aws4fetch'; export { AwsClient };` },
  { id: 'ours-signer', label: 'ours: signRequest (the signer alone)', source: `import { signRequest } from 'aws-sigv4-connection/fetch'; export { signRequest };` },
  { id: 'aws4fetch-signer', label: 'aws4fetch: AwsV4Signer (the signer alone)', source: `import { AwsV4Signer } from 'aws4fetch'; export { AwsV4Signer };` },
];

/** Each src/ module of the web graph, by what it is for (first match wins). */
const CONCERNS: Array<[string, RegExp]> = [
  ['SigV4 spec steps and their WebCrypto primitives', /src\/sigv4\/(?!validate|wire-url)/],
  ['input checks (URL as fetch reads it, headers, scope, credentials; options read once)', /src\/(sigv4\/(validate|wire-url)|read-once)\.ts$/],
  ['credential cache and sealed identities', /src\/(credentials|sealed-identity)\.ts$/],
  ['signer configuration: options, endpoints, onSign, refusal handling', /src\/(signing-context|web-request-signer|endpoint)\.ts$/],
  ['request loop: bodies, limits, aborts, redirects, retry', /src\/(signed-fetch\.ts|exchange\/)/],
  ['refusal classification (why AWS said 403)', /src\/rejection\.ts$/],
  ['typed errors and redaction', /src\/errors\.ts$/],
  ['entry', /src\/web\.ts$/],
];

/** The package root: where the self-reference `aws-sigv4-connection` resolves (its built dist). */
export const ROOT = join(__dirname, '..', '..');
export const OPTIONS = { bundle: true, format: 'esm', platform: 'browser', target: 'es2022', minify: true, write: false, logLevel: 'silent' } as const;

export async function measureSizes(): Promise<SizeRow[]> {
  const rows: SizeRow[] = [];
  for (const entry of ENTRIES) {
    try {
      const out = await build({ ...OPTIONS, stdin: { contents: entry.source, resolveDir: ROOT, sourcefile: `${entry.id}-entry.js` } });
      const code = out.outputFiles[0]!.contents;
      rows.push({ ...entry, minifiedBytes: code.byteLength, gzipBytes: gzipSync(code, { level: 9 }).byteLength });
    } catch (error) {
      const errors = (error as { errors?: Array<{ text: string }> }).errors;
      const first = errors?.[0]?.text ?? (error instanceof Error ? error.message : String(error));
      rows.push({ ...entry, error: `does not bundle for the web: ${first}${errors && errors.length > 1 ? ` (+${errors.length - 1} more)` : ''}` });
    }
  }
  return rows;
}

/** Prose: a run of words, as messages have and identifiers, regexes and header names do not. */
const PROSE = /[A-Za-z]+ [a-z]+ [a-z]+/;

/**
 * The text of a src/ module with every string and template literal that reads as prose
 * emptied, found by TypeScript's parser (a regex over minified code cannot tell a quote in a
 * regex literal from one that opens a string).
 */
export function emptyProse(text: string, path: string): string {
  const file = ts.createSourceFile(path, text, ts.ScriptTarget.ES2022, true);
  const cuts: Array<[number, number]> = [];
  const visit = (node: ts.Node): void => {
    if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node) || ts.isTemplateExpression(node)) {
      const words = ts.isTemplateExpression(node) ? [node.head.text, ...node.templateSpans.map((span) => span.literal.text)].join(' ') : node.text;
      // Not module specifiers: the import must still resolve.
      if (PROSE.test(words) && !ts.isImportDeclaration(node.parent) && !ts.isExportDeclaration(node.parent)) {
        cuts.push([node.getStart(file), node.getEnd()]);
        return;
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  let contents = text;
  for (const [from, to] of cuts.reverse()) contents = `${contents.slice(0, from)}''${contents.slice(to)}`;
  return contents;
}

/** An esbuild plugin that bundles each src/ module as `rewrite` turns its text (analyses only, never shipped). */
export function rewritingSrc(name: string, rewrite: (text: string, path: string) => string): Plugin {
  return {
    name,
    setup(b) {
      b.onLoad({ filter: /[\\/]src[\\/].*\.ts$/ }, (args) => ({ contents: rewrite(readFileSync(args.path, 'utf8'), args.path), loader: 'ts' }));
    },
  };
}

export async function measureBreakdown(): Promise<SizeBreakdown> {
  const stdin = { contents: `import { createSignedFetch } from './src/web.ts'; export { createSignedFetch };`, resolveDir: ROOT, sourcefile: 'breakdown-entry.js' };
  const out = await build({ ...OPTIONS, metafile: true, stdin });
  const inputs = Object.values(out.metafile!.outputs)[0]!.inputs;
  const rows: SizeBreakdownRow[] = CONCERNS.map(([concern]) => ({ concern, modules: [], minifiedBytes: 0 }));
  for (const [file, { bytesInOutput }] of Object.entries(inputs)) {
    if (bytesInOutput === 0) continue;
    const at = CONCERNS.findIndex(([, pattern]) => pattern.test(file));
    if (at < 0) throw new Error(`bench size breakdown: no concern for ${file}; add it to CONCERNS`);
    rows[at]!.modules.push(file.replace(/^src\//, ''));
    rows[at]!.minifiedBytes += bytesInOutput;
  }
  const full = out.outputFiles[0]!.contents;
  const bare = (await build({ ...OPTIONS, stdin, plugins: [rewritingSrc('without-prose', emptyProse)] })).outputFiles[0]!.contents;
  return {
    rows: rows.sort((a, b) => b.minifiedBytes - a.minifiedBytes),
    minifiedBytes: full.byteLength,
    gzipBytes: gzipSync(full, { level: 9 }).byteLength,
    messageBytes: full.byteLength - bare.byteLength,
    gzipWithoutMessages: gzipSync(bare, { level: 9 }).byteLength,
  };
}
