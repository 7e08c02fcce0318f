/**
 * The README's samples for Cloudflare Workers, Deno, Bun and Vercel's edge runtime, run as
 * written in those runtimes (Vercel's: its edge-runtime emulator): only their settings (the endpoint URL and credentials, which a user gives as
 * wrangler vars/secrets or environment variables) point at the verifying stub. The package
 * is resolved as users get it, by its name, from the built dist.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { VerifyProxy } from '../../src/testing/index.js';
import { startStub, TEST_CREDENTIALS, useSignedStack } from '../support/stack.js';
import { bundleForWeb, requireRuntime, runInRuntime, runProcess, type RuntimeInfo } from '../support/runtimes.js';

const ROOT = join(__dirname, '..', '..');
// Inside the package, so the samples' `aws-sigv4-connection/...` imports resolve to it by name.
const SAMPLES = join(ROOT, '.cache', 'runtimes', 'readme-samples');
const AWS_ENV = { AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey };

/** The first fenced code block under a README heading. */
function sample(heading: string): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const at = readme.indexOf(`\n${heading}\n`);
  assert.ok(at >= 0, `README has no "${heading}"`);
  const block = /```(?:js|ts)\n([\s\S]*?)```/.exec(readme.slice(at));
  assert.ok(block, `no code block under "${heading}"`);
  return block[1]!;
}

function writeSample(name: string, code: string): string {
  mkdirSync(SAMPLES, { recursive: true });
  const file = join(SAMPLES, name);
  writeFileSync(file, code);
  return file;
}

describe('README samples, run in their runtimes against the verifying stub', function () {
  this.timeout(180_000);

  before(function () {
    this.timeout(300_000);
    if (!existsSync(join(ROOT, 'dist', 'fetch', 'index.mjs'))) execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });
  });
  after(() => rmSync(SAMPLES, { recursive: true, force: true }));

  describe('Cloudflare Workers (workerd): execute-api', () => {
    let info: RuntimeInfo;
    let stub: VerifyProxy;
    before(async function () {
      info = requireRuntime(this, 'workerd');
      stub = await startStub({ service: 'execute-api', region: 'us-east-1' });
    });
    after(async () => stub?.close());

    it('the worker signs its call to the API and the stub accepts it', async () => {
      const file = writeSample('worker.js', sample('#### Cloudflare Workers'));
      // workerd's test runner calls test(), not fetch(): this drives the sample's fetch() with one request.
      const bundle = await bundleForWeb(`import worker from ${JSON.stringify(file)};
export default { async test(ctrl, env) {
  const res = await worker.fetch(new Request('http://worker.local/'), env);
  console.log('RESULT ' + JSON.stringify({ status: res.status, body: await res.text() }));
} };`, ROOT);
      const run = await runInRuntime<{ status: number; body: string }>(info, bundle, { bindings: { ...AWS_ENV, API_URL: `${stub.url}/prod` } });
      assert.deepEqual(run.result, { status: 200, body: '{}' });
      assert.deepEqual(stub.records.map((r) => [r.method, r.path, r.verdict]), [['GET', '/prod/items?b=2&a=1', 'accepted']]);
    });
  });

  describe('Vercel edge (edge-runtime): a route handler calling execute-api', () => {
    let info: RuntimeInfo;
    let stub: VerifyProxy;
    before(async function () {
      info = requireRuntime(this, 'edge-runtime');
      stub = await startStub({ service: 'execute-api', region: 'us-east-1' });
    });
    after(async () => stub?.close());

    it('GET() signs its call and the stub accepts it', async () => {
      const file = writeSample('route.ts', sample('#### Vercel (edge runtime)'));
      // Next.js hands the edge bundle its environment as process.env; the emulator has no process.
      const env = { ...AWS_ENV, API_URL: `${stub.url}/prod` };
      const define = Object.fromEntries(Object.entries(env).map(([k, v]) => [`process.env.${k}`, JSON.stringify(v)]));
      const bundle = await bundleForWeb(`import { GET, runtime } from ${JSON.stringify(file)};
(async () => {
  const res = await GET();
  console.log('RESULT ' + JSON.stringify({ runtime, status: res.status, body: await res.text() }));
})();`, ROOT, 'iife', define);
      const run = await runInRuntime<{ runtime: string; status: number; body: string }>(info, bundle);
      assert.deepEqual(run.result, { runtime: 'edge', status: 200, body: '{}' });
      assert.deepEqual(stub.records.map((r) => [r.method, r.path, r.verdict]), [['GET', '/prod/items', 'accepted']]);
    });
  });

  describe('Deno: createSignedFetch, es bulk', () => {
    let info: RuntimeInfo;
    let stub: VerifyProxy;
    before(async function () {
      info = requireRuntime(this, 'deno');
      stub = await startStub({ service: 'es', region: 'eu-west-1' });
    });
    after(async () => stub?.close());

    it('deno run with the README flags: the stub accepts the bulk request', async () => {
      const file = writeSample('deno-main.ts', sample('#### Deno'));
      const run = await runProcess(info.bin, ['run', '--allow-net', '--allow-env', '--allow-read', file], { cwd: ROOT, timeoutMs: 60_000, env: { ...AWS_ENV, SEARCH_URL: stub.url } });
      assert.equal(run.stdout.trim(), '200 {}');
      assert.deepEqual(stub.records.map((r) => [r.method, r.path, r.verdict]), [['POST', '/_bulk', 'accepted']]);
    });
  });

  describe('Bun: the OpenSearch client with AwsSigV4Connection, through the stub to a real OpenSearch', () => {
    const stack = useSignedStack({ server: 'opensearch@3', region: 'eu-west-1' });
    let info: RuntimeInfo;
    before(function () {
      info = requireRuntime(this, 'bun');
    });

    it('bun run: cluster health comes back, every request accepted', async () => {
      const s = stack();
      s.proxy.reset();
      const file = writeSample('bun-app.mjs', sample('#### Bun'));
      const run = await runProcess(info.bin, ['run', file], { cwd: ROOT, timeoutMs: 60_000, env: { ...AWS_ENV, SEARCH_URL: s.stubUrl } });
      assert.match(run.stdout.trim(), /^(green|yellow)$/);
      assert.deepEqual(s.proxy.stats(), { accepted: 1, rejected: 0, byVerdict: { accepted: 1 } });
    });
  });
});
