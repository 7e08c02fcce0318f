/**
 * `aws-sigv4-connection/fetch` in Node, beside the Node entry whose behaviour is its spec:
 * how the package resolves it per runtime (one copy of each class in a Node process; a
 * Node-free ES module for bundlers), the same credential cache, the same typed errors,
 * and the same signed request as the Node createSignedFetch for the same call.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { build } from 'esbuild';
import * as node from '../../src/index.js';
import * as web from '../../src/web-node.js';
import type { VerifyProxy } from '../../src/testing/index.js';
import { startStub, TEST_CREDENTIALS } from '../support/stack.js';
import { WEB_BUNDLE } from '../support/runtimes.js';

const ROOT = join(__dirname, '..', '..');
const REGION = 'eu-west-1';

describe('aws-sigv4-connection/fetch (the web entry) in Node, beside the Node entry', function () {
  this.timeout(120_000);
  let stub: VerifyProxy;

  before(async function () {
    this.timeout(300_000);
    if (!existsSync(join(ROOT, 'dist', 'fetch', 'index.mjs'))) execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });
    stub = await startStub({ service: 'execute-api', region: REGION });
  });
  after(async () => stub?.close());
  beforeEach(() => stub.reset());

  it('Node loads the CommonJS build for it (import through the ESM layer, and require): one copy of the main entry\'s classes', () => {
    const probe = (code: string, type: 'commonjs' | 'module') => execFileSync(process.execPath, ['--input-type', type, '-e', code], { cwd: ROOT, encoding: 'utf8' }).trim();
    assert.equal(probe(`const f = require('aws-sigv4-connection/fetch'), m = require('aws-sigv4-connection');
      console.log([f.ConfigurationError === m.ConfigurationError, f.SignatureRejectedError === m.SignatureRejectedError, f.CredentialCache === m.CredentialCache, typeof f.createSignedFetch].join())`, 'commonjs'),
    'true,true,true,function');
    assert.equal(probe(`const f = await import('aws-sigv4-connection/fetch'), m = await import('aws-sigv4-connection'), { createRequire } = await import('node:module');
      const required = createRequire(process.cwd() + '/')('aws-sigv4-connection/fetch');
      console.log([f.ConfigurationError === m.ConfigurationError, f.CredentialCache === m.CredentialCache, f.ConfigurationError === required.ConfigurationError].join())`, 'module'),
    'true,true,true');
  });

  /** The package files a web bundle of `source` is made of. */
  async function webInputs(source: string): Promise<string[]> {
    const out = await build({ ...WEB_BUNDLE, metafile: true, stdin: { contents: source, resolveDir: ROOT } });
    return Object.entries(Object.values(out.metafile!.outputs)[0]!.inputs)
      .filter(([f, { bytesInOutput }]) => f !== '<stdin>' && bytesInOutput > 0).map(([f]) => relative(ROOT, join(ROOT, f))).sort();
  }

  it('a bundler for workers or browsers gets the ES modules of dist/fetch/, with no Node built-in in the graph', async () => {
    const files = await webInputs(`export { createSignedFetch, signRequest } from 'aws-sigv4-connection/fetch';`);
    assert.ok(files.length > 10 && files.every((f) => f.startsWith('dist/fetch/') && f.endsWith('.mjs')), files.join());
    assert.ok(files.includes('dist/fetch/credentials.mjs') && files.includes('dist/fetch/signed-fetch.mjs'), files.join());
  });

  it('an app that only signs ships no credential cache, fetch loop or refusal reading: whole modules dropped', async () => {
    const files = await webInputs(`export { signRequest } from 'aws-sigv4-connection/fetch';`);
    assert.ok(files.includes('dist/fetch/sigv4/canonical-request.mjs'), files.join());
    for (const dropped of ['credentials', 'signed-fetch', 'signing-context', 'rejection', 'exchange/exchange', 'exchange/body']) {
      assert.ok(!files.includes(`dist/fetch/${dropped}.mjs`), `${dropped}.mjs in ${files.join()}`);
    }
  });

  it('signs the same request as the Node createSignedFetch: same signed headers, both accepted', async () => {
    const init = { method: 'POST', body: JSON.stringify({ id: 1, name: 'café' }), headers: { 'content-type': 'application/json', 'x-request-id': 'r-1' } };
    const url = `${stub.url}/prod/items?b=2&a=1`;
    for (const create of [node.createSignedFetch, web.createSignedFetch]) {
      const res = await create({ service: 'execute-api', region: REGION, credentials: { ...TEST_CREDENTIALS } })(url, init);
      assert.equal(res.status, 200);
    }
    const [a, b] = stub.records;
    assert.equal(stub.records.length, 2);
    assert.deepEqual({ ...b!, time: undefined, amzDate: undefined }, { ...a!, time: undefined, amzDate: undefined });
    assert.equal(a!.verdict, 'accepted');
  });

  it('a body in shared memory (a view of a SharedArrayBuffer): both entries send a copy of its bytes, signed and accepted, as for a plain body', async () => {
    const text = JSON.stringify({ id: 2 });
    const url = `${stub.url}/prod/items`;
    for (const create of [node.createSignedFetch, web.createSignedFetch]) {
      const shared = new SharedArrayBuffer(text.length);
      new Uint8Array(shared).set(new TextEncoder().encode(text));
      const signedFetch = create({ service: 'execute-api', region: REGION, credentials: { ...TEST_CREDENTIALS } });
      for (const body of [new Uint8Array(shared), Buffer.from(text)]) {
        // fetch's types take no shared memory (fetch itself refuses it): the signed fetch copies it.
        const res = await signedFetch(url, { method: 'POST', body: body as never, headers: { 'content-type': 'application/json' } });
        assert.equal(res.status, 200);
        await res.text();
      }
    }
    assert.equal(stub.records.length, 4);
    const seen = stub.records.map((record) => ({ ...record, time: undefined, amzDate: undefined }));
    for (const record of seen) assert.deepEqual(record, seen[0]);
    assert.equal(seen[0]!.verdict, 'accepted');
    assert.equal(seen[0]!.bodyBytes, text.length);
  });

  it('keeps the credential cache semantics: concurrent first requests share one provider call', async () => {
    let calls = 0;
    const provider = async () => {
      calls++;
      await new Promise((resolve) => setTimeout(resolve, 20));
      return { ...TEST_CREDENTIALS, expiration: new Date(Date.now() + 3600_000) };
    };
    const signedFetch = web.createSignedFetch({ service: 'execute-api', region: REGION, credentials: provider });
    const statuses = await Promise.all(Array.from({ length: 8 }, (_, i) => signedFetch(`${stub.url}/prod/items/${i}`).then((r) => r.status)));
    assert.deepEqual(statuses, Array(8).fill(200));
    assert.equal(calls, 1);
    assert.equal(stub.stats().accepted, 8);
  });

  it('throws the same typed errors: no credentials, a bad scope, a refused signature (never with the secret)', async () => {
    assert.throws(() => web.createSignedFetch({ service: 'execute-api', region: REGION }),
      (e: unknown) => e instanceof node.ConfigurationError && e.code === 'ERR_INVALID_OPTIONS' && /credentials/.test(e.message));
    await assert.rejects(web.signRequest({ method: 'GET', url: 'https://x.example/' }, { region: 'eu west', service: 'es', credentials: { ...TEST_CREDENTIALS } }),
      (e: unknown) => e instanceof node.ConfigurationError && e.code === 'ERR_INVALID_OPTIONS');
    const wrong = { accessKeyId: TEST_CREDENTIALS.accessKeyId, secretAccessKey: 'not/the+secret0123456789abcdefghijklmnop' };
    const signedFetch = web.createSignedFetch({ service: 'execute-api', region: REGION, credentials: wrong });
    await assert.rejects(signedFetch(`${stub.url}/prod/items`), (e: unknown) => {
      assert.ok(e instanceof node.SignatureRejectedError);
      assert.equal(e.code, 'ERR_SIGNATURE_MISMATCH');
      assert.ok(!JSON.stringify({ m: e.message, s: e.stack, d: (e as { details?: unknown }).details }).includes(wrong.secretAccessKey));
      return true;
    });
  });
});
