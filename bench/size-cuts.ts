/**
 * What each candidate cut would save the web entry's bundle, for the issue's size goal (#17):
 * the createSignedFetch and signRequest bundles as `npm run bench -- --only size` builds them
 * (esbuild, ESM, browser, minified, gzip -9), here from src/ with one module text rewritten
 * per cut. An analysis, never shipped: each row says what a web user would lose.
 *
 *   npx tsx bench/size-cuts.ts            # the table, markdown, on stdout (about a minute)
 *
 * Each cut names the exact source text it replaces. Code moves: a cut whose text is gone is
 * printed as stale rather than measured, and wants its text brought up to date.
 */
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { build, type BuildOptions } from 'esbuild';
import { emptyProse, OPTIONS, rewritingSrc, ROOT } from './lib/size.js';

/** A rewrite of the modules whose path matches `file`: their text replaced whole, or pieces of it. */
interface Rewrite {
  file: RegExp;
  contents?: string;
  replace?: Array<[from: string, to: string]>;
  prose?: true;
}

interface Cut {
  label: string;
  /** What a web user would lose; 'nothing' when no behaviour changes. */
  lost: string;
  rewrites?: Rewrite[];
  /** A bundler option instead of a source change. */
  options?: BuildOptions;
}

interface Size { min: number; gz: number }

/** Marks the error of a cut whose source text is gone (esbuild hands a plugin's throw back as text). */
const STALE = 'stale cut: ';

/** `private x` as `#x` (esbuild renames # names; TS-private ones keep their names in the bundle). */
function privateAsHash(text: string): string {
  for (const [, name] of text.matchAll(/^ {2}private (?:readonly )?([A-Za-z]+)\b/gm)) {
    text = text.replace(new RegExp(`^ {2}private (readonly )?${name}\\b`, 'm'), '  $1#' + name).replace(new RegExp(`this\\.${name}\\b`, 'g'), `this.#${name}`);
  }
  return text;
}

const src = (path: string): string => readFileSync(`${ROOT}/src/${path}`, 'utf8');

/** Property names of internal objects (never options, results, DOM or Node names), as `mangleProps` would shorten them. */
const INTERNAL_NAMES = /^(nodeUrl|pathAndQuery|knownPayloadHash|addContentSha256|toSign|usableUntil|refreshAt|obtainedAt|consume|dropBody|overLimit|tooLarge|onChunk|timedOut|timeoutMs|clockOffsetMs|wire|out|amzDate|day)$/;

/** Measured alone, not part of the cumulative column: bundler options a user's bundler might use, and restructurings that only move bytes. */
const ALONE_CUTS: Cut[] = [
  { label: "esbuild drop: ['console']", lost: 'the console.warn of a throwing onSign where there is no process.emitWarning (browsers, Workers)', options: { drop: ['console'] } },
  { label: "esbuild legalComments: 'none'", lost: 'nothing', options: { legalComments: 'none' } },
  { label: 'esbuild target es2020 instead of es2022', lost: 'nothing (older browsers)', options: { target: 'es2020' } },
  { label: 'esbuild target esnext', lost: 'nothing', options: { target: 'esnext' } },
  ...([
    ['errors.ts', /src\/errors\.ts$/],
    ['rejection.ts (the hints)', /src\/rejection\.ts$/],
    ['sigv4/validate.ts and wire-url.ts', /src\/sigv4\/(validate|wire-url)\.ts$/],
    ['signing-context.ts, web-request-signer.ts, endpoint.ts', /src\/(signing-context|web-request-signer|endpoint)\.ts$/],
    ['credentials.ts and read-once.ts', /src\/(credentials|read-once)\.ts$/],
    ['signed-fetch.ts and exchange/**', /src\/(signed-fetch\.ts|exchange\/)/],
  ] as const).map(([modules, file]): Cut => ({ label: `messages of ${modules} emptied (what their prose costs)`, lost: 'those messages (an analysis of their cost)', rewrites: [{ file, prose: true }] })),
  {
    label: 'refusal classifier behind a dynamic import (bundled as one file, as the size section builds it)',
    lost: 'nothing (where a bundler splits chunks, a first refusal waits for one; exchange.ts still imports rejection.ts for redaction, so no chunk splits off)',
    rewrites: [{ file: /signing-context\.ts$/, replace: [["import { classifyRejection } from './rejection.js';\n", ''], ['const error = classifyRejection({', "const { classifyRejection } = await import('./rejection.js');\n    const error = classifyRejection({"]] }],
  },
];

/** Source cuts, in the order of the cumulative column: lossless first, then by how much a web user would miss them. */
const SOURCE_CUTS: Cut[] = [
  {
    label: 'private members as #fields (credentials, signing-context, exchange/body, exchange/race)',
    lost: 'nothing (at es2020 it costs bytes: # fields are lowered to WeakMaps)',
    rewrites: ['credentials', 'signing-context', 'exchange/body', 'exchange/race'].map((m) => ({ file: new RegExp(`src/${m}\\.ts$`), contents: privateAsHash(src(`${m}.ts`)) })),
  },
  { label: 'internal property names shortened (mangleProps on a list of internal names)', lost: 'nothing but readable names', options: { mangleProps: INTERNAL_NAMES } },
  {
    label: 'one abort error for signed-fetch and exchange/body (the duplicated helper)',
    lost: 'nothing',
    rewrites: [
      { file: /exchange\/body\.ts$/, replace: [["function abortReason(signal: AbortSignal | undefined): Error {\n  const reason: unknown = signal?.reason;\n  return reason instanceof Error ? reason : new DOMException('This operation was aborted', 'AbortError');\n}", "export function abortError(reason: unknown): Error {\n  return reason instanceof Error ? reason : new DOMException('This operation was aborted', 'AbortError');\n}\n\nfunction abortReason(signal: AbortSignal | undefined): Error {\n  return abortError(signal?.reason);\n}"]] },
      { file: /signed-fetch\.ts$/, replace: [["function abortError(reason: unknown): Error {\n  return reason instanceof Error ? reason : new DOMException('This operation was aborted', 'AbortError');\n}\n", ''], ["import type { BodyInput } from './exchange/body.js';", "import { abortError, type BodyInput } from './exchange/body.js';"]] },
    ],
  },
  {
    label: 'messages from shared fragments (the three "The URL given to the signed fetch" messages)',
    lost: 'nothing',
    rewrites: [{ file: /signed-fetch\.ts$/, replace: [
      ["'The URL given to the signed fetch is not an absolute URL: pass https://host/path.'", '`${GIVEN} is not an absolute URL: ${PASS}`'],
      ['`The URL given to the signed fetch must use http or https, got the scheme "${truncate(url.protocol.slice(0, -1))}": pass https://host/path.`', '`${GIVEN} must use http or https, got the scheme "${truncate(url.protocol.slice(0, -1))}": ${PASS}`'],
      ["'The URL given to the signed fetch carries a user name", "GIVEN + ' carries a user name"],
      ['const REDIRECT_STATUSES', "const GIVEN = 'The URL given to the signed fetch';\nconst PASS = 'pass https://host/path.';\nconst REDIRECT_STATUSES"],
    ] }],
  },
  { label: 'Node stream reading cut from exchange/body.ts', lost: 'Node Readable / readable-stream bodies (Workers with nodejs_compat, a browser app bundling readable-stream)', rewrites: [{ file: /exchange\/body\.ts$/, replace: [["  if (kind === 'node-stream') return readNodeStream(body as LegacyStream, collector(), signal, hooks.drain === true);\n", '']] }] },
  { label: 'redirects never followed', lost: "redirect: 'follow' (same-origin hops re-signed) and 'error'; every 3xx returned as with 'manual'", rewrites: [{ file: /signed-fetch\.ts$/, replace: [['const next = nextHop(response, url, method, mode, hop, headers);', 'const next = undefined as ReturnType<typeof nextHop>; void mode; void hop;']] }] },
  { label: 'one re-signed retry cut (retryAuthErrors)', lost: 'the retry after an expired token (refreshed credentials) or a clock skew (AWS Date learned)', rewrites: [{ file: /signing-context\.ts$/, replace: [['if (this.options.retryAuthErrors !== false && request.attempt === 0) {', 'if (false as boolean) {']] }] },
  { label: 'onSign hook cut', lost: 'the onSign debugging event (canonical request, string to sign)', rewrites: [{ file: /signing-context\.ts$/, replace: [['if (this.observed()) this.publish(', 'if (false as boolean) this.publish(']] }] },
  {
    label: 'refusal classification cut (rejection.ts classifier and hints)',
    lost: 'SignatureRejectedError on a 403 (kind, hint, firstDifference, clock skew): the refusal comes back as a plain Response',
    rewrites: [{ file: /signing-context\.ts$/, replace: [['const error = classifyRejection({', 'const error: SignatureRejectedError | undefined = undefined && ({'], ["import { classifyRejection } from './rejection.js';\n", '']] }],
  },
  { label: 'redaction of error answers cut (answerScrub: bodies and headers)', lost: "scrubbing our token, secret and signature from the error answers a target echoes (es refusals, a debugging gateway's 500): they reach the caller's Response", rewrites: [{ file: /exchange\/answer-scrub\.ts$/, replace: [['return withHeaderScrub((text) => redactRefusalBody(text, credentials, signature), true);', 'void credentials; void signature; return withHeaderScrub((text) => text, true);'], ["import { redactRefusalBody } from '../rejection.js';\n", '']] }] },
  {
    label: 'endpoint.ts cut (region and service from the host name)',
    lost: 'region/service inferred from *.es/aoss/execute-api host names: both options required',
    rewrites: [{ file: /signing-context\.ts$/, replace: [["import { resolveEndpoint } from './endpoint.js';\n", ''], ['const resolved = resolveEndpoint(this.options.host ? `https://${this.options.host}` : nodeUrl, {', 'const resolved = ({'], ['service: this.options.service,\n      });', 'service: this.options.service,\n      }) as { region: string; service: string };']] }],
  },
  {
    label: 'sealed identity cut',
    lost: 'static credentials that never print (util.inspect, JSON.stringify, String of the options)',
    rewrites: [{ file: /sealed-identity\.ts$/, contents: "import type { AwsCredentialIdentity } from './sigv4/types.js';\nexport const INSPECT = Symbol.for('nodejs.util.inspect.custom');\nexport class SealedIdentity {}\nexport function sealIdentity(identity: AwsCredentialIdentity): SealedIdentity { return identity as SealedIdentity; }\nexport function maskKey(k: string): string { return k.slice(0, 4); }\n" }],
  },
  {
    label: 'read-once.ts cut',
    lost: 'options and identities read once (a getter or Proxy could hand the signer an unchecked value; its throw is untyped)',
    rewrites: [{ file: /read-once\.ts$/, contents: [
      "import { ConfigurationError, type AwsSigV4Error } from './errors.js';",
      'export function readOptions<T extends object>(value: T, _w: string, _s: (g: string) => string): T { return { ...value }; }',
      'export function readIdentity(value: unknown): unknown { return value; }',
      'export function unreadable(error: unknown, code: any): AwsSigV4Error { return new ConfigurationError(code, String(error)); }',
      'export function readRequest(request: any): any { return { ...request }; }',
      'export function readSignOptions(options: any): any { return { ...options }; }',
      'export function readBody(body: unknown): unknown { return body; }',
    ].join('\n') }],
  },
  {
    label: 'option checks cut (validateOptions)',
    lost: 'typed ERR_INVALID_OPTIONS for unknown or mistyped options at createSignedFetch()',
    rewrites: [{ file: /signing-context\.ts$/, replace: [['function validateOptions(given: AwsSigV4Options): AwsSigV4Options {', 'function validateOptions(given: AwsSigV4Options): AwsSigV4Options {\n  return Object.freeze({ ...given });\n}\nexport function unusedValidateOptions(given: AwsSigV4Options): AwsSigV4Options {']] }],
  },
  {
    label: 'wire-url.ts replaced by WHATWG URL',
    lost: "signRequest's URL read as on the wire (botocore's bytes for a path WHATWG would rewrite: dot segments, characters it encodes) and the refusal where our host and fetch's differ",
    rewrites: [{ file: /sigv4\/wire-url\.ts$/, contents: 'export interface WireUrl { scheme: string; host: string; path: string; query: string }\nexport function parseWireUrl(url: string | URL): WireUrl { const u = new URL(url); return { scheme: u.protocol.slice(0, -1), host: u.host, path: u.pathname, query: u.search.slice(1) }; }\nexport function withoutUserinfo(url: string): string { return url; }\nexport function wireUrlText(url: unknown): string { return String(url); }\nexport function quotableUrl(url: string): string { return url; }\n' }],
  },
  {
    label: 'request input checks cut (validate.ts: object, method, credentials shape)',
    lost: 'typed errors for a malformed request or identity (a stray newline in a secret signs every request wrong)',
    rewrites: [{ file: /sigv4\/validate\.ts$/, replace: [
      ['export function assertObject(value: unknown, what: string, shape: string): void {', 'export function assertObject(value: unknown, what: string, shape: string): void {\n  return;'],
      ['export function assertMethod(method: unknown): asserts method is string {', 'export function assertMethod(method: unknown): asserts method is string {\n  return;'],
      ['export function assertCredentials(credentials: unknown): AwsCredentialIdentity {', 'export function assertCredentials(credentials: unknown): AwsCredentialIdentity {\n  return credentials as AwsCredentialIdentity;'],
    ] }],
  },
  {
    label: 'credential cache cut (the provider called per request)',
    lost: 'the cache: single flight, early refresh, expiry safety, backoff, provider timeout, stats',
    rewrites: [{ file: /src\/credentials\.ts$/, contents: "export { maskKey, sealIdentity, SealedIdentity } from './sealed-identity.js';\nexport class CredentialCache { constructor(private s: any, _o?: unknown) {} get(): any { return typeof this.s === 'function' ? this.s() : this.s; } invalidate(_c: unknown): void {} forceRefresh(_c: unknown): Promise<any> { return Promise.resolve(this.get()); } }\nexport function checkIdentity(v: any): any { return v; }\n" }],
  },
  { label: 'every message emptied (the typed errors keep their codes)', lost: 'every message and hint: a code only', rewrites: [{ file: /./, prose: true }] },
];

function applied(rewrites: readonly Rewrite[]) {
  return rewritingSrc('size-cut', (text, path) => {
    for (const r of rewrites) {
      if (!r.file.test(path)) continue;
      if (r.contents !== undefined) text = r.contents;
      for (const [from, to] of r.replace ?? []) {
        if (!text.includes(from)) throw new Error(`${STALE}${path.slice(ROOT.length + 1)} no longer has: ${from.slice(0, 70)}`);
        text = text.split(from).join(to);
      }
      if (r.prose) text = emptyProse(text, path);
    }
    return text;
  });
}

async function bundle(exported: string, rewrites: readonly Rewrite[], options: BuildOptions): Promise<Size> {
  const out = await build({ ...OPTIONS, ...options, plugins: [applied(rewrites)], stdin: { contents: `export { ${exported} } from './src/web.ts';`, resolveDir: ROOT, sourcefile: 'cut-entry.js' } });
  const code = out.outputFiles![0]!.contents;
  return { min: code.byteLength, gz: gzipSync(code, { level: 9 }).byteLength };
}

async function sizes(rewrites: readonly Rewrite[], options: BuildOptions = {}): Promise<{ fetch: Size; sign: Size }> {
  return { fetch: await bundle('createSignedFetch', rewrites, options), sign: await bundle('signRequest', rewrites, options) };
}

const saved = (base: number, now: number): string => (base - now).toLocaleString('en-US');

async function main(): Promise<void> {
  const base = await sizes([]);
  const lines = [
    `Baseline: createSignedFetch ${base.fetch.min.toLocaleString('en-US')} B min / ${base.fetch.gz.toLocaleString('en-US')} B gz; signRequest ${base.sign.min.toLocaleString('en-US')} / ${base.sign.gz.toLocaleString('en-US')}. Saved = baseline minus the cut (negative: the cut costs bytes).`,
    '',
    '| cut | lost for a web user | createSignedFetch min saved | gz saved | cumulative gz | signRequest gz saved (alone) | signRequest cumulative gz |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const cut of ALONE_CUTS) {
    const alone = await sizes(cut.rewrites ?? [], cut.options);
    lines.push(`| ${cut.label} | ${cut.lost} | ${saved(base.fetch.min, alone.fetch.min)} | ${saved(base.fetch.gz, alone.fetch.gz)} | (alone) | ${saved(base.sign.gz, alone.sign.gz)} | (alone) |`);
  }
  let rewrites: Rewrite[] = [];
  let options: BuildOptions = {};
  for (const cut of SOURCE_CUTS) {
    try {
      const alone = await sizes(cut.rewrites ?? [], cut.options);
      rewrites = [...rewrites, ...(cut.rewrites ?? [])];
      options = { ...options, ...cut.options };
      const together = await sizes(rewrites, options);
      lines.push(`| ${cut.label} | ${cut.lost} | ${saved(base.fetch.min, alone.fetch.min)} | ${saved(base.fetch.gz, alone.fetch.gz)} | ${together.fetch.gz.toLocaleString('en-US')} | ${saved(base.sign.gz, alone.sign.gz)} | ${together.sign.gz.toLocaleString('en-US')} |`);
    } catch (error) {
      const text = error instanceof Error ? error.message : String(error);
      // A replaced module that no longer exports what its importers take is stale the same way.
      const missing = /ERROR: (No matching export in "[^"]+" for import "[^"]+")/.exec(text);
      const at = text.indexOf(STALE);
      if (at < 0 && !missing) throw error;
      lines.push(`| ${cut.label} | ${cut.lost} | ${missing ? `${STALE}${missing[1]!.replace(/"/g, '`')}` : text.slice(at).split('\n', 1)[0]} | | | | |`);
    }
  }
  console.log(lines.join('\n'));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
