/**
 * What each web signer costs a bundle: the import a user writes, bundled with esbuild as an
 * app bundler would ship it for a Worker or a browser (ESM, browser platform, minified,
 * dependencies included, unused exports dropped), then gzipped. A Node built-in anywhere in
 * the graph fails the bundle, and the row says so instead of giving a size.
 */
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { build } from 'esbuild';

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

const ENTRIES: Array<Omit<SizeRow, 'minifiedBytes' | 'gzipBytes' | 'error'>> = [
  { id: 'ours', label: 'ours: createSignedFetch', source: `import { createSignedFetch } from 'aws-sigv4-connection/fetch'; export { createSignedFetch };` },
  { id: 'aws4fetch', label: 'aws4fetch: AwsClient', source: `import { AwsClient } from 'aws4fetch'; export { AwsClient };` },
];

/** The package root: where the self-reference `aws-sigv4-connection` resolves (its built dist). */
const ROOT = join(__dirname, '..', '..');

export async function measureSizes(): Promise<SizeRow[]> {
  const rows: SizeRow[] = [];
  for (const entry of ENTRIES) {
    try {
      const out = await build({
        stdin: { contents: entry.source, resolveDir: ROOT, sourcefile: `${entry.id}-entry.js` },
        bundle: true, format: 'esm', platform: 'browser', target: 'es2022', minify: true, write: false, logLevel: 'silent',
      });
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
