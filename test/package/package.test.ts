/**
 * The built package as users get it: each entry point loaded by `require` and `import` in a
 * project where the client is installed under its real name (OpenSearch 2.x and 3.x,
 * Elasticsearch 7.x, 8.x, 9.x), sending one request through the verifying stub; and
 * `Connection: AwsSigV4Connection` type-checking without a cast against each (tsc --noEmit).
 */
import assert from 'node:assert/strict';
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { VerifyProxy } from '../../src/testing/index.js';
import { startStub, TEST_CREDENTIALS } from '../support/stack.js';

const REPO = resolve(__dirname, '..', '..');
const NM = join(REPO, 'node_modules');

interface Case {
  name: string;
  /** Real package name -> folder in node_modules that plays it. */
  installs: Record<string, string>;
  entry: string;
  /** Client import and construction, for the typed example and the runtime check. */
  clientModule: string;
  exportName: string;
}

const CASES: Case[] = [
  { name: 'OpenSearch 3.x', installs: { '@opensearch-project/opensearch': '@opensearch-project/opensearch' }, entry: 'opensearch', clientModule: '@opensearch-project/opensearch', exportName: 'AwsSigV4Connection' },
  { name: 'OpenSearch 2.x', installs: { '@opensearch-project/opensearch': 'os2' }, entry: 'opensearch', clientModule: '@opensearch-project/opensearch', exportName: 'AwsSigV4Connection' },
  { name: 'Elasticsearch 7.17', installs: { '@elastic/elasticsearch': 'es7' }, entry: 'elasticsearch7', clientModule: '@elastic/elasticsearch', exportName: 'AwsSigV4Connection' },
  { name: 'Elasticsearch 7.13', installs: { '@elastic/elasticsearch': 'es713' }, entry: 'elasticsearch7', clientModule: '@elastic/elasticsearch', exportName: 'AwsSigV4Connection' },
  { name: 'Elasticsearch 8.x (undici)', installs: { '@elastic/elasticsearch': 'es8' }, entry: 'elasticsearch', clientModule: '@elastic/elasticsearch', exportName: 'AwsSigV4Connection' },
  { name: 'Elasticsearch 8.x (http)', installs: { '@elastic/elasticsearch': 'es8' }, entry: 'elasticsearch', clientModule: '@elastic/elasticsearch', exportName: 'AwsSigV4HttpConnection' },
  { name: 'Elasticsearch 9.x (undici)', installs: { '@elastic/elasticsearch': 'es9' }, entry: 'elasticsearch', clientModule: '@elastic/elasticsearch', exportName: 'AwsSigV4Connection' },
];

/** A throwaway project: the package copied in (not linked, so its imports resolve here), the client under its real name. */
function project(c: Case): string {
  const dir = mkdtempSync(join(tmpdir(), 'sigv4-pkg-'));
  const nm = join(dir, 'node_modules');
  const pkg = join(nm, 'aws-sigv4-connection');
  mkdirSync(pkg, { recursive: true });
  cpSync(join(REPO, 'dist'), join(pkg, 'dist'), { recursive: true });
  cpSync(join(REPO, 'package.json'), join(pkg, 'package.json'));
  for (const [name, folder] of Object.entries(c.installs)) {
    mkdirSync(join(nm, name, '..'), { recursive: true });
    symlinkSync(join(NM, folder), join(nm, name), 'dir');
  }
  mkdirSync(join(nm, '@types'), { recursive: true });
  symlinkSync(join(NM, '@types', 'node'), join(nm, '@types', 'node'), 'dir');
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'user-project', private: true }));
  return dir;
}

describe('the built package, as users install it', function () {
  let stub: VerifyProxy;
  before(async function () {
    if (!existsSync(join(REPO, 'dist', 'cjs', 'index.js'))) execFileSync('npm', ['run', 'build'], { cwd: REPO, stdio: 'inherit' });
    stub = await startStub();
  });
  after(async () => stub?.close());

  it('self-reference: require and import of the main entry', () => {
    const cjs = execFileSync(process.execPath, ['-e', "console.log(Object.keys(require('aws-sigv4-connection')).join(','))"], { cwd: REPO, encoding: 'utf8' });
    const esm = execFileSync(process.execPath, ['-e', "import('aws-sigv4-connection').then(m => console.log(Object.keys(m).join(',')))"], { cwd: REPO, encoding: 'utf8' });
    for (const out of [cjs, esm]) {
      for (const name of ['signRequest', 'createSignedFetch', 'resolveEndpoint', 'ConfigurationError', 'CredentialsError', 'SignatureRejectedError']) {
        assert.ok(out.split(',').map((s) => s.trim()).includes(name), `${name} exported`);
      }
    }
  });

  it('the main, /opensearch and /fetch entries load, and sign, where the globals TextEncoder and TextDecoder are missing (jsdom, Jest\'s browser environment)', () => {
    // They were made at load: `ReferenceError: TextDecoder is not defined` on require of any entry.
    // (@elastic/elasticsearch's undici and the stub's @smithy/core read them at load themselves.)
    const script = `
      delete globalThis.TextEncoder; delete globalThis.TextDecoder;
      const { signRequest } = require('aws-sigv4-connection');
      for (const entry of ['aws-sigv4-connection/opensearch', 'aws-sigv4-connection/fetch']) require(entry);
      const signed = signRequest({ method: 'GET', url: 'https://search-a.us-east-1.es.amazonaws.com/_search?size=1&q=a' }, { region: 'us-east-1', service: 'es', credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'x/y+z' } });
      console.log(signed.canonicalRequest.split('\\n')[2]);`;
    assert.equal(execFileSync(process.execPath, ['-e', script], { cwd: REPO, encoding: 'utf8' }).trim(), 'q=a&size=1');
  });

  it('/fetch under the browser condition by require (Jest\'s jsdom environment) loads its CommonJS file and signs as the Node entry; by import, its ES modules', () => {
    // `browser` named only the .mjs: "Must use import to load ES Module" in a CommonJS test file.
    const sign = `({ method: 'POST', url: 'https://abc.execute-api.us-east-1.amazonaws.com/prod/items?b=2&a=1', body: '{}' }, { region: 'us-east-1', service: 'execute-api', signingDate: new Date(Date.UTC(2026, 0, 2)), credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'x/y+z' } })`;
    const viaRequire = execFileSync(process.execPath, ['--conditions=browser', '-e', `const m = require('aws-sigv4-connection/fetch'); console.log(require.resolve('aws-sigv4-connection/fetch').endsWith('dist/fetch/index.cjs'), typeof m.createSignedFetch); m.signRequest${sign}.then((s) => console.log(s.signature));`], { cwd: REPO, encoding: 'utf8' });
    const viaImport = execFileSync(process.execPath, ['--conditions=browser', '--input-type=module', '-e', `const m = await import('aws-sigv4-connection/fetch'); console.log(import.meta.resolve('aws-sigv4-connection/fetch').endsWith('dist/fetch/index.mjs'), typeof m.createSignedFetch); console.log((await m.signRequest${sign}).signature);`], { cwd: REPO, encoding: 'utf8' });
    const node = execFileSync(process.execPath, ['-e', `console.log(require('aws-sigv4-connection').signRequest${sign}.signature)`], { cwd: REPO, encoding: 'utf8' });
    assert.equal(viaRequire, `true function\n${node}`);
    assert.equal(viaImport, `true function\n${node}`);
  });

  for (const c of CASES) {
    describe(c.name, () => {
      let dir: string;
      before(() => { dir = project(c); });
      after(() => rmSync(dir, { recursive: true, force: true }));

      const script = (format: 'cjs' | 'esm') => {
        const load = format === 'cjs'
          ? `const client = require('${c.clientModule}'); const entry = require('aws-sigv4-connection/${c.entry}');`
          : `const client = await import('${c.clientModule}'); const entry = await import('aws-sigv4-connection/${c.entry}');`;
        return `${format === 'esm' ? '' : '(async () => {'}
          ${load}
          const Client = client.Client ?? client.default.Client;
          const Connection = entry.${c.exportName}.configure({ region: 'us-east-1', credentials: JSON.parse(process.env.TEST_CREDS) });
          const c = new Client({ node: process.env.STUB_URL, Connection, maxRetries: 0 });
          const res = await c.transport.request({ method: 'GET', path: '/_sigv4-package-check' }).catch((e) => ({ error: e }));
          console.log(JSON.stringify({ ok: !res.error, error: res.error && String(res.error) }));
          await c.close();
        ${format === 'esm' ? '' : '})().catch((e) => { console.error(e); process.exit(1); });'}`;
      };

      for (const format of ['cjs', 'esm'] as const) {
        it(`loads with ${format === 'cjs' ? 'require' : 'import'} and signs a request the stub accepts`, async () => {
          const file = join(dir, format === 'cjs' ? 'check.cjs' : 'check.mjs');
          writeFileSync(file, script(format));
          const before = stub.records.length;
          // Asynchronously: the stub answering it runs in this process.
          const run = await promisify(execFile)(process.execPath, [file], {
            cwd: dir, encoding: 'utf8',
            env: { ...process.env, STUB_URL: stub.url, TEST_CREDS: JSON.stringify(TEST_CREDENTIALS) },
          });
          const made = stub.records.slice(before);
          assert.equal(made.length, 1, `one request reached the stub (${run.stdout})`);
          assert.equal(made[0]!.verdict, 'accepted');
        });
      }

      it('`Connection: AwsSigV4Connection` type-checks without a cast (tsc --noEmit)', () => {
        writeFileSync(join(dir, 'example.ts'), `
          import { Client } from '${c.clientModule}';
          import { ${c.exportName} } from 'aws-sigv4-connection/${c.entry}';
          const node = 'https://search-logs-abc.eu-west-1.es.amazonaws.com';
          export const zeroConfig = new Client({ node, Connection: ${c.exportName} });
          export const configured = new Client({ node, Connection: ${c.exportName}.configure({ region: 'eu-west-1', service: 'aoss' }) });
        `);
        const tsc = join(NM, 'typescript', 'bin', 'tsc');
        for (const flags of [['--module', 'nodenext', '--moduleResolution', 'nodenext'], ['--module', 'commonjs', '--moduleResolution', 'node10']]) {
          const run = spawnSync(process.execPath, [tsc, '--noEmit', '--strict', '--skipLibCheck', '--target', 'es2022', '--types', 'node', ...flags, 'example.ts'], { cwd: dir, encoding: 'utf8' });
          assert.equal(run.status, 0, `${flags.join(' ')}:\n${run.stdout}${run.stderr}`);
        }
      });
    });
  }
});
