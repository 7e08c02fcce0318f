/**
 * The package as a user gets it: `npm pack`, then the README's install line in an empty
 * project outside the repo (so nothing resolves from the repo's node_modules), and every
 * check runs there as a child process with the project's own node_modules:
 *  - every `exports` entry by `import` and by `require`; where its optional peer is not
 *    installed, the typed ERR_MISSING_PEER_DEPENDENCY naming the install command;
 *  - one copy of each class per process: `instanceof` across import and require, one
 *    credential cache (one provider call) for the class loaded both ways;
 *  - `tsc --noEmit` over a consumer file, for each moduleResolution and module flavour;
 *  - the bin: --help, --version, each command's --help, and verify-proxy without its peers;
 *  - a signed request through the verifying stub (run here, from src/testing) to the real
 *    OpenSearch.
 *
 * PACKAGE_TARBALL=<file.tgz> tests that tarball instead of packing the checkout (the Node
 * matrix packs once and runs this file under each Node).
 */
import assert from 'node:assert/strict';
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { TEST_CREDENTIALS, useSignedStack } from '../support/stack.js';
import { README_PEERS, removePackedTarball, userProject } from './user-project.js';

const REPO = resolve(__dirname, '..', '..');
const TSC = join(REPO, 'node_modules', 'typescript', 'bin', 'tsc');
const ELASTIC = 'npm install @elastic/elasticsearch';
const VERIFIER = 'npm install @smithy/signature-v4 @smithy/hash-node';

/** The peers of `./testing` and of the verify-proxy command. */
const VERIFIER_PEERS = ['@smithy/signature-v4', '@smithy/hash-node'];

/**
 * Whether a project resolves the verifier's peers without having asked for them: on Node 18
 * npm installs the last @aws-sdk/credential-providers whose engines take it (3.967), which
 * depends on both and so hoists them; the newer SDK, on Node 20+, does not.
 */
const hasVerifierPeers = (project: string) => VERIFIER_PEERS.every((name) => existsSync(join(project, 'node_modules', name, 'package.json')));

type Expectation = { exports: string[] } | { missingPeer: string };

/** What each `exports` entry gives in a project with only the README's install line. */
function expectedEntries(project: string): Record<string, Expectation> {
  return {
    '.': { exports: ['signRequest', 'createSignedFetch', 'resolveEndpoint', 'ConfigurationError', 'CredentialsError', 'SignatureRejectedError'] },
    './opensearch': { exports: ['AwsSigV4Connection', 'withAwsSigV4', 'default'] },
    './elasticsearch': { missingPeer: ELASTIC },
    './elasticsearch7': { missingPeer: ELASTIC },
    './testing': hasVerifierPeers(project) ? { exports: ['VerifyProxy', 'startVerifyProxy'] } : { missingPeer: VERIFIER },
    './fetch': { exports: ['createSignedFetch', 'signRequest', 'presignRequest', 'ConfigurationError', 'CredentialsError', 'SignatureRejectedError', 'CredentialCache'] },
    './package.json': { exports: ['name', 'version'] },
  };
}

/** Asserts what one entry gave against what it should give. */
function assertEntry(entry: string, got: EntryResult, expected: Expectation): void {
  if ('exports' in expected) {
    assert.equal(got.error, undefined, `${entry}: ${got.error?.message}`);
    for (const name of expected.exports) assert.ok(got.keys!.includes(name), `${entry} exports ${name}`);
    return;
  }
  assert.ok(got.error, `${entry} loaded without its peer`);
  assert.equal(got.error.code, 'ERR_MISSING_PEER_DEPENDENCY', `${entry}: ${got.error.message}`);
  assert.equal(got.error.typed, true, `${entry}: instanceof ConfigurationError`);
  assert.ok(got.error.message.includes(expected.missingPeer), `${entry}: "${got.error.message}" says ${expected.missingPeer}`);
}

interface EntryResult {
  keys?: string[];
  error?: { name: string; code?: string; message: string; typed: boolean };
}

const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string; exports: Record<string, unknown>; bin: Record<string, string> };

/**
 * Loads the entries named on its command line one way, all in one process, as an app that
 * falls back when a peer is missing would (on Node 20 that once ended the process: see
 * scripts/esm-layer.mjs), and prints what each gave.
 */
function entriesScript(format: 'cjs' | 'esm'): string {
  const load = format === 'cjs'
    ? '(spec) => require(spec)'
    : "async (spec) => spec.endsWith('.json') ? (await import(spec, { with: { type: 'json' } })).default : import(spec)";
  return `${format === 'cjs' ? '(async () => {' : ''}
    const load = ${load};
    const { ConfigurationError } = await load('aws-sigv4-connection');
    const out = {};
    for (const spec of process.argv.slice(2)) {
      try {
        out[spec] = { keys: Object.keys(await load(spec)) };
      } catch (e) {
        out[spec] = { error: { name: e.name, code: e.code, message: e.message, typed: e instanceof ConfigurationError } };
      }
    }
    console.log(JSON.stringify(out));
  ${format === 'cjs' ? '})();' : ''}`;
}

/** Both ways in one process: one class, one cache, `instanceof` across. */
const ONE_COPY = `
  import { createRequire } from 'node:module';
  const require = createRequire(import.meta.url);
  const imported = await import('aws-sigv4-connection');
  const required = require('aws-sigv4-connection');
  const importedOs = await import('aws-sigv4-connection/opensearch');
  const requiredOs = require('aws-sigv4-connection/opensearch');
  const { Client } = require('@opensearch-project/opensearch');
  const rejection = async (sign) => { try { await sign({ method: 'GET', url: 'not a url' }, { region: 'us-east-1', service: 'es', credentials: { accessKeyId: 'AKID', secretAccessKey: 'x' } }); } catch (e) { return e; } };
  const fromRequired = await rejection(required.signRequest);
  const fromImported = await rejection(imported.signRequest);
  const answers = [];
  for (const Connection of [importedOs.AwsSigV4Connection, requiredOs.AwsSigV4Connection]) {
    // Zero-config: the default chain (AWS_* variables here), region from AWS_REGION (a loopback host names none).
    const client = new Client({ node: process.env.STUB_URL, Connection, maxRetries: 0 });
    const res = await client.transport.request({ method: 'GET', path: '/' });
    answers.push(res.body.version.distribution);
    await client.close();
  }
  console.log(JSON.stringify({
    sameConnection: importedOs.AwsSigV4Connection === requiredOs.AwsSigV4Connection,
    sameDefault: importedOs.default === requiredOs.AwsSigV4Connection,
    sameErrorClasses: ['AwsSigV4Error', 'ConfigurationError', 'CredentialsError', 'SignatureRejectedError'].every((n) => imported[n] === required[n]),
    requiredErrorIsImportedClass: fromRequired instanceof imported.ConfigurationError,
    importedErrorIsRequiredClass: fromImported instanceof required.ConfigurationError,
    answers,
    // Over every distinct cache the two requests went through: two copies would make 2.
    providerCalls: [...new Set([importedOs.AwsSigV4Connection, requiredOs.AwsSigV4Connection].map((C) => C.signer.credentialCache()))]
      .reduce((calls, cache) => calls + cache.stats.providerCalls, 0),
  }));
`;

/** Uses what the README shows; the @ts-expect-error lines fail the check if the types are `any`. */
function consumerSource(): string {
  return `
    import { Client } from '@opensearch-project/opensearch';
    import { AwsSigV4Connection } from 'aws-sigv4-connection/opensearch';
    import DefaultConnection from 'aws-sigv4-connection/opensearch';
    import { AwsSigV4Error, ConfigurationError, CredentialsError, SignatureRejectedError, createSignedFetch, signRequest } from 'aws-sigv4-connection';
    import type { SignedRequest } from 'aws-sigv4-connection';

    const node = 'https://search-logs-abc.eu-west-1.es.amazonaws.com';
    export const zeroConfig = new Client({ node, Connection: AwsSigV4Connection });
    export const configured = new Client({ node, Connection: AwsSigV4Connection.configure({ region: 'eu-west-1', service: 'aoss' }) });
    export const byDefaultImport = new Client({ node, Connection: DefaultConnection });
    // @ts-expect-error: region is a string
    AwsSigV4Connection.configure({ region: 1 });

    const signedFetch = createSignedFetch({ service: 'execute-api', region: 'us-east-1' });
    export const answer = signedFetch('https://abc123.execute-api.us-east-1.amazonaws.com/prod/items', { method: 'POST', body: '{}' });
    export async function signed(): Promise<SignedRequest> {
      return signRequest({ method: 'GET', url: node + '/_cluster/health' }, { region: 'eu-west-1', service: 'es', credentials: { accessKeyId: 'AKID', secretAccessKey: 'secret' } });
    }
    // @ts-expect-error: credentials are required
    signRequest({ method: 'GET', url: node }, { region: 'eu-west-1', service: 'es' });

    export function explain(error: unknown): string {
      if (error instanceof SignatureRejectedError) return error.kind + ' ' + error.hint;
      if (error instanceof CredentialsError) return error.code;
      if (error instanceof ConfigurationError) return error.code;
      if (error instanceof AwsSigV4Error) return error.code;
      return 'not ours';
    }
  `;
}

/** moduleResolution x module flavour: node16/nodenext decide per file extension (.mts ESM, .cts CommonJS). */
const TYPE_CHECKS: Array<{ name: string; file: string; flags: string[] }> = [
  { name: 'node16, ESM file', file: 'consumer.mts', flags: ['--module', 'node16', '--moduleResolution', 'node16'] },
  { name: 'node16, CommonJS file', file: 'consumer.cts', flags: ['--module', 'node16', '--moduleResolution', 'node16'] },
  { name: 'nodenext, ESM file', file: 'consumer.mts', flags: ['--module', 'nodenext', '--moduleResolution', 'nodenext'] },
  { name: 'nodenext, CommonJS file', file: 'consumer.cts', flags: ['--module', 'nodenext', '--moduleResolution', 'nodenext'] },
  { name: 'bundler', file: 'consumer.ts', flags: ['--module', 'esnext', '--moduleResolution', 'bundler'] },
  { name: 'node10 (CommonJS)', file: 'consumer.ts', flags: ['--module', 'commonjs', '--moduleResolution', 'node10'] },
];

/**
 * Under the Node matrix (a tarball handed in), the tsc checks are left to npm test: what tsc
 * concludes depends on TypeScript and the installed types, not on the Node that runs it.
 */
const describeTypes = process.env.PACKAGE_TARBALL === undefined ? describe : describe.skip;

function run(file: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}) {
  return spawnSync(file, args, { cwd, encoding: 'utf8', timeout: 60_000, env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env } });
}

/** What a user sees from the bin holds no stack trace. */
const noStack = (text: string) => assert.doesNotMatch(text, /^\s+at .+:\d+:\d+\)?$/m, `a stack trace:\n${text}`);

const asSpecifier = (entry: string) => (entry === '.' ? 'aws-sigv4-connection' : `aws-sigv4-connection${entry.slice(1)}`);

/**
 * A TypeScript app on @elastic/elasticsearch 9 and OpenSearch, with the repo's own versions
 * of the client, tsc and @types/node. From 9.3 the client ships an esm/ and a lib/ type
 * tree, each over its own copy of @elastic/transport's types: under `import` our
 * declarations must resolve the client the way the app's own import does, or the Client
 * refuses the Connection (TS2322, .../esm/... against .../lib/...), skipLibCheck or not.
 */
const TYPED_PEERS = ['@elastic/elasticsearch', '@opensearch-project/opensearch', 'typescript', '@types/node'];
const repoVersion = (name: string) => (JSON.parse(readFileSync(join(REPO, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;

/** Every entry but /elasticsearch7 (its peer is the 7.x client, which this project does not have). */
const TYPED_CONSUMER = `
  import { Client as Elasticsearch } from '@elastic/elasticsearch';
  import { Client as OpenSearch } from '@opensearch-project/opensearch';
  import { AwsSigV4Connection as EsConnection, AwsSigV4HttpConnection } from 'aws-sigv4-connection/elasticsearch';
  import EsDefault from 'aws-sigv4-connection/elasticsearch';
  import { AwsSigV4Connection as OsConnection } from 'aws-sigv4-connection/opensearch';
  import OsDefault from 'aws-sigv4-connection/opensearch';
  import { ConfigurationError, createSignedFetch, signRequest, type SignedRequest } from 'aws-sigv4-connection';
  import { createSignedFetch as createWebSignedFetch, signRequest as webSignRequest } from 'aws-sigv4-connection/fetch';
  import type { VerifyProxyOptions } from 'aws-sigv4-connection/testing';

  const node = 'https://search-logs-abc.eu-west-1.es.amazonaws.com';
  export const es = new Elasticsearch({ node, Connection: EsConnection });
  export const esHttp = new Elasticsearch({ node, Connection: AwsSigV4HttpConnection.configure({ region: 'eu-west-1' }) });
  export const esDefault = new Elasticsearch({ node, Connection: EsDefault });
  export const os = new OpenSearch({ node, Connection: OsConnection });
  export const aoss = new OpenSearch({ node, Connection: OsDefault.configure({ region: 'eu-west-1', service: 'aoss' }) });
  // @ts-expect-error: region is a string
  EsConnection.configure({ region: 1 });

  const request = { method: 'GET', url: node + '/_cluster/health' };
  const options = { region: 'eu-west-1', service: 'es', credentials: { accessKeyId: 'AKID', secretAccessKey: 'secret' } };
  export const signed: SignedRequest = signRequest(request, options);
  // @ts-expect-error: the web entry signs asynchronously
  export const webSigned: SignedRequest = webSignRequest(request, options);
  export const fetched: Promise<Response> = createSignedFetch({ service: 'execute-api', region: 'us-east-1' })('https://abc123.execute-api.us-east-1.amazonaws.com/prod/items');
  export const webFetched: Promise<Response> = createWebSignedFetch({ service: 'execute-api', region: 'us-east-1' })('https://abc123.execute-api.us-east-1.amazonaws.com/prod/items');
  export const typed = (error: unknown) => error instanceof ConfigurationError ? error.code : undefined;
  export type ProxyOptions = VerifyProxyOptions;
`;

/** A Worker's: the `workerd` condition takes /fetch to dist/fetch/index.mjs; DOM's lib, not @types/node's globals. */
const WORKER_CONSUMER = `
  import { createSignedFetch, signRequest, type SignedRequest } from 'aws-sigv4-connection/fetch';
  const credentials = { accessKeyId: 'AKID', secretAccessKey: 'secret' };
  export const fetched: Promise<Response> = createSignedFetch({ service: 'execute-api', region: 'us-east-1', credentials })('https://abc123.execute-api.us-east-1.amazonaws.com/prod/items');
  export const signed: Promise<SignedRequest> = signRequest({ method: 'GET', url: 'https://abc123.execute-api.us-east-1.amazonaws.com/prod/items' }, { region: 'us-east-1', service: 'execute-api', credentials });
  // @ts-expect-error: the web entry signs asynchronously
  export const notYet: SignedRequest = signRequest({ method: 'GET', url: 'https://abc123.execute-api.us-east-1.amazonaws.com/' }, { region: 'us-east-1', service: 'execute-api', credentials });
`;

/**
 * A library's module, as a monorepo package or a \`composite\` project writes it: configured
 * classes exported without a type annotation (their declarations must name ours: TS2742), and
 * optional options given as possibly-undefined values (exactOptionalPropertyTypes).
 */
const LIBRARY_CONSUMER = `
  import { AwsSigV4Connection as OsConnection } from 'aws-sigv4-connection/opensearch';
  import { AwsSigV4Connection as EsConnection } from 'aws-sigv4-connection/elasticsearch';
  import { createSignedFetch, signRequest, CredentialCache } from 'aws-sigv4-connection';
  const region: string | undefined = process.env.AWS_REGION;
  const sessionToken: string | undefined = process.env.AWS_SESSION_TOKEN;
  export const Os = OsConnection.configure({ region, service: 'es', host: undefined, onSign: undefined });
  export const Es = EsConnection.configure({ region, credentialCache: { providerTimeoutMs: undefined } });
  export const signedFetch = createSignedFetch({ region, service: 'execute-api', fetch: undefined });
  export const signed = signRequest({ method: 'GET', url: 'https://x.eu-west-1.es.amazonaws.com/', body: undefined }, { region: 'eu-west-1', service: 'es', signingDate: undefined, credentials: { accessKeyId: 'AKID', secretAccessKey: 'secret', sessionToken } });
  export const cache = new CredentialCache({ accessKeyId: 'AKID', secretAccessKey: 'secret', sessionToken, expiration: undefined });
  export class Mine extends OsConnection {}
`;

/** Each in its own folder of the project, with its own package.json: "type" decides the flavour for node16/nodenext. */
const TYPED_SETTINGS: Array<{ name: string; type?: 'module'; compilerOptions: Record<string, unknown>; source?: string; resolves?: RegExp }> = [
  { name: 'node16, "type": "module"', type: 'module', compilerOptions: { module: 'node16', moduleResolution: 'node16' } },
  { name: 'nodenext, "type": "module"', type: 'module', compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext' } },
  { name: 'bundler', type: 'module', compilerOptions: { module: 'esnext', moduleResolution: 'bundler' } },
  { name: 'node16, CommonJS', compilerOptions: { module: 'node16', moduleResolution: 'node16' } },
  {
    // Each failed: TS2742 (the adapters' types named by no entry), TS2379 (no \`| undefined\` in the
    // options), TS2420 (SealedIdentity's sessionToken), TS2304 (RequestRedirect, HeadersInit: DOM's).
    name: 'a library: nodenext, declaration emit, exactOptionalPropertyTypes, no DOM lib', type: 'module', source: LIBRARY_CONSUMER,
    compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext', lib: ['es2022'], exactOptionalPropertyTypes: true, noEmit: false, declaration: true, emitDeclarationOnly: true, outDir: 'out' },
  },
  {
    name: '/fetch in a Worker: bundler, customConditions ["workerd"], no Node globals', type: 'module', source: WORKER_CONSUMER,
    compilerOptions: { module: 'esnext', moduleResolution: 'bundler', customConditions: ['workerd'], lib: ['es2022', 'dom'], types: [] },
    // Under the condition itself, beside the .mjs: not by tsc's fall-through to a later
    // condition when a target has no declarations (microsoft/TypeScript#50762, a bug to them).
    resolves: /Module name 'aws-sigv4-connection\/fetch' was successfully resolved to '[^']*\/node_modules\/aws-sigv4-connection\/dist\/fetch\/index\.d\.mts'/,
  },
];

/**
 * A peer's own declarations that do not compile without skipLibCheck, whatever we ship:
 * @elastic/elasticsearch 9.4's helpers.d.ts imports the types of its optional peer
 * apache-arrow (not installed here; and its esm/ tree names 'apache-arrow/Arrow.node.js',
 * which apache-arrow's exports map to no declaration file even when it is).
 */
const PEERS_OWN_ERRORS = [/^(\.\.\/)?node_modules\/@elastic\/elasticsearch\/(esm|lib)\/helpers\.d\.ts\(\d+,\d+\): error TS2307: Cannot find module 'apache-arrow\//];

describe(`the packed package (Node ${process.version})`, function () {
  this.timeout(300_000);
  after(removePackedTarball);

  describe("installed with the README's line", function () {
    const stack = useSignedStack({ server: 'opensearch@3' });
    let project: string;
    before(() => { project = userProject(README_PEERS); });
    after(() => { if (project) rmSync(project, { recursive: true, force: true }); });

    describe('every exports entry', () => {
      for (const format of ['cjs', 'esm'] as const) {
        it(`by ${format === 'cjs' ? 'require' : 'import'}: loads, or names the optional peer to install (ERR_MISSING_PEER_DEPENDENCY)`, () => {
          const file = join(project, format === 'cjs' ? 'entries.cjs' : 'entries.mjs');
          writeFileSync(file, entriesScript(format));
          const installed = JSON.parse(readFileSync(join(project, 'node_modules', 'aws-sigv4-connection', 'package.json'), 'utf8')) as { exports: Record<string, unknown> };
          const expected = expectedEntries(project);
          assert.deepEqual(Object.keys(installed.exports).sort(), Object.keys(expected).sort(), 'every exports entry has an expectation here');
          const out = run(process.execPath, [file, ...Object.keys(expected).map(asSpecifier)], project);
          assert.equal(out.status, 0, out.stderr);
          const results = JSON.parse(out.stdout) as Record<string, EntryResult>;
          for (const [entry, expectation] of Object.entries(expected)) assertEntry(entry, results[asSpecifier(entry)]!, expectation);
        });
      }
    });

    it('one copy per process: the same classes by import and require, instanceof across, one provider call for the class loaded both ways', () => {
      const file = join(project, 'one-copy.mjs');
      writeFileSync(file, ONE_COPY);
      const before = stack().proxy.records.length;
      return promisify(execFile)(process.execPath, [file], {
        cwd: project, encoding: 'utf8', timeout: 60_000,
        env: { PATH: process.env.PATH, HOME: project, STUB_URL: stack().stubUrl, AWS_REGION: stack().region,
          AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey },
      }).then(({ stdout }) => {
        assert.deepEqual(JSON.parse(stdout), {
          sameConnection: true, sameDefault: true, sameErrorClasses: true,
          requiredErrorIsImportedClass: true, importedErrorIsRequiredClass: true,
          // Signed by the installed package, verified by the stub, answered by the real server.
          answers: ['opensearch', 'opensearch'],
          providerCalls: 1,
        });
        assert.deepEqual(stack().proxy.records.slice(before).map((r) => r.verdict), ['accepted', 'accepted']);
      });
    });

    for (const format of ['cjs', 'esm'] as const) {
      it(`bundled for Node (esbuild, ${format}, as for a Lambda zip) and run from a folder with no node_modules: the client signs with our Connection, one copy of it`, async () => {
        const out = await build({
          stdin: {
            contents: `
              import { Client, Connection } from '@opensearch-project/opensearch';
              import { AwsSigV4Connection } from 'aws-sigv4-connection/opensearch';
              async function main() {
                const client = new Client({ node: process.env.STUB_URL, Connection: AwsSigV4Connection.configure({ region: 'us-east-1', service: 'es', credentials: { accessKeyId: process.env.KEY_ID, secretAccessKey: process.env.SECRET } }) });
                const info = await client.info();
                console.log(JSON.stringify({ status: info.statusCode, sameClient: Object.getPrototypeOf(AwsSigV4Connection) === Connection }));
                await client.close();
              }
              main().catch((error) => { console.error(error); process.exit(1); });
            `,
            resolveDir: project,
          },
          bundle: true, format, platform: 'node', target: 'node20', write: false, logLevel: 'silent',
          // The usual ESM Lambda set-up (as AWS CDK's NodejsFunction documents it): the CommonJS
          // packages inside an ESM bundle require Node built-ins through a real require.
          ...(format === 'esm' ? { banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" } } : {}),
        });
        const alone = mkdtempSync(join(tmpdir(), 'sigv4-bundle-'));
        try {
          const file = join(alone, format === 'cjs' ? 'handler.cjs' : 'handler.mjs');
          writeFileSync(file, out.outputFiles[0]!.contents);
          const before = stack().proxy.records.length;
          // Not spawnSync: the stub answering it runs in this process.
          const { stdout } = await promisify(execFile)(process.execPath, [file], {
            cwd: alone, encoding: 'utf8', timeout: 60_000,
            env: { PATH: process.env.PATH, STUB_URL: stack().stubUrl, KEY_ID: TEST_CREDENTIALS.accessKeyId, SECRET: TEST_CREDENTIALS.secretAccessKey },
          });
          assert.deepEqual(JSON.parse(stdout), { status: 200, sameClient: true });
          assert.deepEqual(stack().proxy.records.slice(before).map((r) => r.verdict), ['accepted']);
        } finally {
          rmSync(alone, { recursive: true, force: true });
        }
      });
    }

    describeTypes('tsc --noEmit over a consumer of Connection, configure(), createSignedFetch, signRequest and the error classes', () => {
      for (const check of TYPE_CHECKS) {
        it(check.name, () => {
          writeFileSync(join(project, check.file), consumerSource());
          const out = run(process.execPath, [TSC, '--noEmit', '--strict', '--skipLibCheck', '--target', 'es2022', ...check.flags, check.file], project);
          assert.equal(out.status, 0, `${check.flags.join(' ')}:\n${out.stdout}${out.stderr}`);
        });
      }
    });

    describe('the bin, with no optional peer but the README\'s', () => {
      const bin = () => join(project, 'node_modules', '.bin', 'aws-sigv4-connection');

      for (const args of [['--help'], ['request', '--help'], ['proxy', '--help'], ['verify-proxy', '--help']]) {
        it(args.join(' '), () => {
          const out = run(bin(), args, project);
          assert.equal(out.status, 0, out.stderr);
          assert.match(out.stdout, /Usage:/);
          noStack(out.stderr);
        });
      }

      it('--version prints the package version', () => {
        const out = run(bin(), ['--version'], project);
        assert.equal(out.status, 0, out.stderr);
        assert.equal(out.stdout.trim(), pkg.version);
      });
    });
  });


  describeTypes('installed with @elastic/elasticsearch 9, OpenSearch and typescript: tsc, strict, skipLibCheck false, over every entry', function () {
    let project: string;
    /** The tsc runs, started together once the install is done (they take most of this block's time). */
    const checks = new Map<string, Promise<{ code: number; output: string }>>();
    let started = 0;
    let finished = 0;
    before(() => {
      const es = repoVersion('@elastic/elasticsearch');
      assert.ok(/^9\.([3-9]|\d\d)\./.test(es), `@elastic/elasticsearch ${es} in the repo: 9.3 or later ships the esm/ type tree this checks`);
      project = userProject(TYPED_PEERS.map((name) => `${name}@${repoVersion(name)}`));
      const tsc = join(project, 'node_modules', 'typescript', 'bin', 'tsc');
      started = Date.now();
      for (const setting of TYPED_SETTINGS) {
        const dir = join(project, `check-${checks.size}`);
        mkdirSync(dir);
        writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: `check-${checks.size}`, private: true, ...(setting.type && { type: setting.type }) }));
        writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({
          compilerOptions: { strict: true, skipLibCheck: false, noEmit: true, target: 'es2022', types: ['node'], ...setting.compilerOptions },
          files: ['consumer.ts'],
        }));
        writeFileSync(join(dir, 'consumer.ts'), setting.source ?? TYPED_CONSUMER);
        checks.set(setting.name, promisify(execFile)(process.execPath, [tsc, '-p', dir, ...(setting.resolves ? ['--traceResolution'] : [])], { cwd: dir, encoding: 'utf8', timeout: 120_000, maxBuffer: 64 << 20 })
          .then(({ stdout, stderr }) => ({ code: 0, output: stdout + stderr }), (e: { code?: number; stdout?: string; stderr?: string; message: string }) => ({ code: typeof e.code === 'number' ? e.code : -1, output: `${e.stdout ?? ''}${e.stderr ?? ''}` || e.message }))
          .finally(() => { finished = Date.now(); }));
      }
    });
    after(() => {
      if (finished) console.log(`      ${checks.size} tsc runs, side by side: ${finished - started} ms`);
      if (project) rmSync(project, { recursive: true, force: true });
    });

    for (const setting of TYPED_SETTINGS) {
      it(setting.name, async () => {
        const { code, output } = await checks.get(setting.name)!;
        const lines = output.split('\n');
        const errors = lines.filter((line) => /^\S.*: error TS\d+/.test(line) && !PEERS_OWN_ERRORS.some((known) => known.test(line)));
        // Less the resolution trace: the diagnostics and their indented details.
        const shown = setting.resolves ? lines.filter((line) => /error TS\d+|^ {2}/.test(line)).join('\n') : output;
        assert.ok(code === 0 || (errors.length === 0 && /: error TS/.test(output)), `${setting.name}: exit ${code}\n${shown}`);
        if (setting.resolves) assert.ok(setting.resolves.test(output), `${setting.name}: ${lines.filter((line) => line.includes("'aws-sigv4-connection/fetch'")).join('\n')}`);
      });
    }
  });

  describe('installed alone, with no optional peer', () => {
    let project: string;
    before(() => { project = userProject([]); });
    after(() => { if (project) rmSync(project, { recursive: true, force: true }); });

    for (const format of ['cjs', 'esm'] as const) {
      it(`by ${format === 'cjs' ? 'require' : 'import'}: /opensearch and /testing name their peers, the main entry loads`, () => {
        const file = join(project, format === 'cjs' ? 'entries.cjs' : 'entries.mjs');
        writeFileSync(file, entriesScript(format));
        const out = run(process.execPath, [file, 'aws-sigv4-connection', 'aws-sigv4-connection/opensearch', 'aws-sigv4-connection/testing'], project);
        assert.equal(out.status, 0, out.stderr);
        const results = JSON.parse(out.stdout) as Record<string, EntryResult>;
        assert.ok(results['aws-sigv4-connection']!.keys?.includes('signRequest'));
        assertEntry('./opensearch', results['aws-sigv4-connection/opensearch']!, { missingPeer: 'npm install @opensearch-project/opensearch' });
        assertEntry('./testing', results['aws-sigv4-connection/testing']!, { missingPeer: VERIFIER });
      });
    }

    it('the bin\'s --help and --version', () => {
      for (const args of [['--help'], ['--version']]) {
        const out = run(join(project, 'node_modules', '.bin', 'aws-sigv4-connection'), args, project);
        assert.equal(out.status, 0, `${args.join(' ')}: ${out.stderr}`);
      }
    });

    it('the bin\'s request with keys in the environment and no SDK: signs (dry run), nothing of the secret printed', () => {
      const secret = 'envOnly/Secret+0123456789abcdefghijklmnop';
      const out = run(join(project, 'node_modules', '.bin', 'aws-sigv4-connection'), ['request', 'GET', 'https://search-x.us-east-1.es.amazonaws.com/_cluster/health', '--dry-run'], project,
        { AWS_ACCESS_KEY_ID: 'AKIDENVONLY000000001', AWS_SECRET_ACCESS_KEY: secret, AWS_SESSION_TOKEN: 'envOnlySessionToken0123456789' });
      assert.equal(out.status, 0, out.stderr);
      assert.match(out.stdout, /AWS4-HMAC-SHA256 Credential=AKIDENVONLY000000001\/\d{8}\/us-east-1\/es\/aws4_request/);
      assert.ok(!(out.stdout + out.stderr).includes(secret) && !(out.stdout + out.stderr).includes('envOnlySessionToken0123456789'));
    });

    // Here, not in the README's project: there @smithy/* may come hoisted with the SDK (Node 18).
    it('verify-proxy without @smithy/* exits 2 with ERR_MISSING_PEER_DEPENDENCY and the one install line, credentials given or not', () => {
      assert.equal(hasVerifierPeers(project), false);
      for (const env of [{ AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey }, {}]) {
        const out = run(join(project, 'node_modules', '.bin', 'aws-sigv4-connection'), ['verify-proxy'], project, env);
        assert.equal(out.status, 2, `exit ${out.status} ${out.signal ?? ''}:\n${out.stderr}`);
        assert.match(out.stderr, /ERR_MISSING_PEER_DEPENDENCY/);
        assert.match(out.stderr, /npm install @smithy\/signature-v4 @smithy\/hash-node/);
        noStack(out.stderr);
      }
    });

    it('/fetch bundled for the browser from the installed files: only dist/fetch modules, no Node built-in, and it signs as the Node entry', async () => {
      const request = `{ method: 'POST', url: 'https://abc.execute-api.us-east-1.amazonaws.com/prod/items?b=2&a=1', headers: { 'content-type': 'application/json' }, body: '{"id":1}' }`;
      const options = `{ region: 'us-east-1', service: 'execute-api', signingDate: new Date(Date.UTC(2026, 0, 2, 3, 4, 5)), credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'x/y+z' } }`;
      const out = await build({
        stdin: { contents: `import { signRequest } from 'aws-sigv4-connection/fetch'; console.log((await signRequest(${request}, ${options})).headers.authorization);`, resolveDir: project },
        bundle: true, format: 'esm', platform: 'browser', target: 'es2022', minify: true, write: false, metafile: true, logLevel: 'silent',
      });
      const inputs = Object.entries(Object.values(out.metafile.outputs)[0]!.inputs).filter(([f, { bytesInOutput }]) => f !== '<stdin>' && bytesInOutput > 0).map(([f]) => f);
      assert.ok(inputs.length > 5 && inputs.every((f) => f.includes('node_modules/aws-sigv4-connection/dist/fetch/')), inputs.join());
      // A signer alone: the modules it does not reach are dropped whole.
      assert.ok(!inputs.some((f) => /\/(credentials|signed-fetch|rejection)\.mjs$/.test(f)), inputs.join());
      const bundle = join(project, 'web-bundle.mjs');
      writeFileSync(bundle, out.outputFiles[0]!.contents);
      // A browser has WebCrypto as a global; Node 18 has it only with this flag.
      const asBrowser = globalThis.crypto === undefined ? ['--experimental-global-webcrypto'] : [];
      const web = run(process.execPath, [...asBrowser, bundle], project);
      assert.equal(web.status, 0, web.stderr);
      const node = run(process.execPath, ['-e', `console.log(require('aws-sigv4-connection').signRequest(${request}, ${options}).headers.authorization)`], project);
      assert.equal(node.status, 0, node.stderr);
      assert.match(web.stdout, /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/20260102\/us-east-1\/execute-api\/aws4_request, /);
      assert.equal(web.stdout, node.stdout);
    });

    for (const format of ['cjs', 'esm'] as const) {
      it(`bundled for Node (esbuild, ${format}) without @aws-sdk/credential-providers: builds, and runs from a folder with no node_modules with keys from the environment or given; without either, ERR_MISSING_PEER_DEPENDENCY`, async () => {
        // The module build made the SDK a static import: the bundle failed ("Could not resolve"), and with it external, failed at load.
        const out = await build({
          stdin: {
            contents: `
              import { createSignedFetch, ConfigurationError } from 'aws-sigv4-connection';
              const seen = [];
              const fetch = async (url, init) => { seen.push(new Headers(init.headers).get('authorization')); return new Response('{}'); };
              const outcome = async (options) => {
                try { await createSignedFetch({ region: 'us-east-1', service: 'execute-api', fetch, ...options })('https://abc.execute-api.us-east-1.amazonaws.com/prod'); return 'signed'; }
                catch (e) { return e instanceof ConfigurationError ? e.code : String(e); }
              };
              (async () => {
                const given = await outcome({ credentials: { accessKeyId: 'AKIDGIVEN00000000001', secretAccessKey: 'given/Secret+0123456789abcdefghijklmnop' } });
                const fromEnv = await outcome({});
                delete process.env.AWS_ACCESS_KEY_ID;
                const none = await outcome({});
                console.log(JSON.stringify({ given, fromEnv, none, seen }));
              })().catch((error) => { console.error(error); process.exit(1); });
            `,
            resolveDir: project,
          },
          bundle: true, format, platform: 'node', target: 'node20', write: false, logLevel: 'silent',
        });
        const alone = mkdtempSync(join(tmpdir(), 'sigv4-nosdk-'));
        try {
          const file = join(alone, format === 'cjs' ? 'handler.cjs' : 'handler.mjs');
          writeFileSync(file, out.outputFiles[0]!.contents);
          const ran = run(process.execPath, [file], alone, { AWS_ACCESS_KEY_ID: 'AKIDFROMENV000000001', AWS_SECRET_ACCESS_KEY: 'env/Secret+0123456789abcdefghijklmnopqr' });
          assert.equal(ran.status, 0, ran.stderr);
          const got = JSON.parse(ran.stdout) as { seen: string[] };
          assert.deepEqual({ ...got, seen: got.seen.map((a) => /Credential=(\w+)/.exec(a)?.[1] ?? a) }, { given: 'signed', fromEnv: 'signed', none: 'ERR_MISSING_PEER_DEPENDENCY', seen: ['AKIDGIVEN00000000001', 'AKIDFROMENV000000001'] });
        } finally {
          rmSync(alone, { recursive: true, force: true });
        }
      });
    }

    it('without credentials and without @aws-sdk/credential-providers, a signed fetch fails with ERR_MISSING_PEER_DEPENDENCY naming it', () => {
      const file = join(project, 'default-chain.mjs');
      writeFileSync(file, `
        import { createSignedFetch, ConfigurationError } from 'aws-sigv4-connection';
        const signedFetch = createSignedFetch({ region: 'us-east-1', service: 'execute-api' });
        try {
          await signedFetch('http://127.0.0.1:9/never-sent');
          console.log(JSON.stringify({ sent: true }));
        } catch (e) {
          console.log(JSON.stringify({ code: e.code, typed: e instanceof ConfigurationError, message: e.message }));
        }
      `);
      const out = run(process.execPath, [file], project);
      assert.equal(out.status, 0, out.stderr);
      const got = JSON.parse(out.stdout) as { code?: string; typed?: boolean; message?: string };
      assert.equal(got.code, 'ERR_MISSING_PEER_DEPENDENCY', out.stdout);
      assert.equal(got.typed, true);
      assert.ok(got.message!.includes('npm install @aws-sdk/credential-providers'), got.message);
    });
  });
});

describe('the built bin in a checkout', () => {
  for (const [name, file] of Object.entries(pkg.bin)) {
    it(`${name} (${file}) is executable and runs as a command`, () => {
      if (!existsSync(join(REPO, file))) execFileSync('npm', ['run', 'build'], { cwd: REPO, stdio: 'inherit' });
      assert.ok((statSync(join(REPO, file)).mode & 0o111) !== 0, `${file} has no execute bit`);
      const out = spawnSync(join(REPO, file), ['--help'], { cwd: REPO, encoding: 'utf8', timeout: 60_000 });
      assert.equal(out.status, 0, `${out.error ?? ''}${out.stderr}`);
      assert.match(out.stdout, /Usage:/);
    });
  }
});

