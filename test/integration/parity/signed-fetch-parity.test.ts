/**
 * createSignedFetch next to the global fetch it wraps: the same body bytes and content-type
 * for every body kind, the same AbortError for every abort (at once when the signal is
 * already aborted, whatever ours is waiting on), one bounded reader for every streamed kind,
 * and redirects that never carry our credentials to another origin. Both entries run every
 * case: the Node one (node:crypto) and the web one (WebCrypto) share one fetch loop.
 */
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { createSignedFetch as nodeCreateSignedFetch, ConfigurationError, SignatureRejectedError, type SignedFetchOptions } from '../../../src/index.js';
import { createSignedFetch as webCreateSignedFetch } from '../../../src/web-node.js';
import type { VerifyProxy } from '../../../src/testing/index.js';
import { startStub, TEST_CREDENTIALS } from '../../support/stack.js';
import { LoopbackServer } from './loopback-server.js';

const SIGNING: SignedFetchOptions = { region: 'us-east-1', service: 'execute-api', credentials: TEST_CREDENTIALS };
const slowProvider = () => new Promise<typeof TEST_CREDENTIALS>((resolve) => setTimeout(() => resolve(TEST_CREDENTIALS), 4000).unref());

function webStream(chunks: string[], endless = false): ReadableStream<Uint8Array> {
  let i = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (i < chunks.length) return controller.enqueue(new TextEncoder().encode(chunks[i++]));
      if (!endless) return controller.close();
      return new Promise<void>(() => undefined);
    },
  });
}

type Fetcher = (url: string, init?: RequestInit) => Promise<Response>;

async function outcome(run: () => Promise<Response>): Promise<{ ok: true; status: number; body: unknown } | { ok: false; name: string }> {
  try {
    const response = await run();
    const text = await response.text();
    return { ok: true, status: response.status, body: text.startsWith('{') ? JSON.parse(text) : text };
  } catch (error) {
    return { ok: false, name: (error as Error).name };
  }
}

// The same cases for both entries: one loop, parameterised by the signer.
const ENTRIES: Array<[string, (options: SignedFetchOptions) => ReturnType<typeof nodeCreateSignedFetch>]> = [
  ['Node entry', nodeCreateSignedFetch],
  ['web entry, WebCrypto', webCreateSignedFetch],
];

for (const [entry, createSignedFetch] of ENTRIES) {
  describe(`createSignedFetch (${entry}) and the global fetch: the same outcome`, function () {
    this.timeout(20_000);
    let server: LoopbackServer;
    before(async () => { server = await LoopbackServer.start(); });
    after(async () => { await server?.close(); });
    beforeEach(() => server.reset());

    const stock: Fetcher = (url, init) => fetch(url, init);
    const ours: Fetcher = (url, init) => createSignedFetch(SIGNING)(url, init);

    // A web stream needs `duplex: 'half'` with the global fetch; ours reads it first and sends bytes.
    const BODIES: Array<[string, () => RequestInit]> = [
      ['a string', () => ({ body: '{"a":1}', headers: { 'content-type': 'application/json' } })],
      ['a Uint8Array', () => ({ body: new TextEncoder().encode('{"a":1}') })],
      ['a Blob with a type', () => ({ body: new Blob(['{"a":1}'], { type: 'application/json' }) })],
      ['a web ReadableStream', () => ({ body: webStream(['{"a":', '1}']), duplex: 'half' } as RequestInit)],
      ['URLSearchParams', () => ({ body: new URLSearchParams({ a: '1', b: 'x y' }) })],
    ];
    for (const [name, init] of BODIES) {
      it(`body: ${name} reaches the server with the same bytes and content-type`, async () => {
        const a = await outcome(() => stock(`${server.url}/echo`, { method: 'POST', ...init() }));
        const b = await outcome(() => ours(`${server.url}/echo`, { method: 'POST', ...init() }));
        assert.deepEqual(b, a);
        assert.equal(a.ok, true);
        assert.ok(server.seen[1]?.headers.authorization, 'ours is signed');
      });
    }

    it('body: a Request with a body (its stream read by the bounded reader)', async () => {
      const make = () => new Request(`${server.url}/echo`, { method: 'PUT', body: '{"r":true}', headers: { 'content-type': 'application/json' } });
      const a = await outcome(() => fetch(make()));
      const b = await outcome(() => createSignedFetch(SIGNING)(make()));
      assert.deepEqual(b, a);
    });

    it('an already-aborted signal rejects at once with AbortError, before any credential fetch', async () => {
      const controller = new AbortController();
      controller.abort();
      const a = await outcome(() => stock(`${server.url}/echo`, { signal: controller.signal }));
      const started = Date.now();
      const b = await outcome(() => createSignedFetch({ ...SIGNING, credentials: slowProvider })(`${server.url}/echo`, { signal: controller.signal }));
      assert.ok(Date.now() - started < 500);
      assert.deepEqual(b, a);
      assert.deepEqual(a, { ok: false, name: 'AbortError' });
      assert.equal(server.seen.length, 0);
    });

    it('an abort while the provider is slow ends with AbortError at once', async () => {
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 100);
      const started = Date.now();
      const b = await outcome(() => createSignedFetch({ ...SIGNING, credentials: slowProvider })(`${server.url}/echo`, { signal: controller.signal }));
      assert.ok(Date.now() - started < 1500);
      assert.deepEqual(b, { ok: false, name: 'AbortError' });
    });

    it('an abort while a slow web stream body is read: AbortError, as the global fetch', async () => {
      const run = async (f: Fetcher) => {
        const controller = new AbortController();
        setTimeout(() => controller.abort(), 150);
        return outcome(() => f(`${server.url}/echo`, { method: 'POST', body: webStream(['{'], true), signal: controller.signal, duplex: 'half' } as RequestInit));
      };
      const a = await run(stock);
      const b = await run(ours);
      assert.deepEqual(b, a);
      assert.deepEqual(a, { ok: false, name: 'AbortError' });
    });

    const LIMIT = 1024;
    const big = 'x'.repeat(LIMIT + 1);
    const OVERSIZED: Array<[string, () => string | RequestInit | Request]> = [
      ['a web ReadableStream', () => ({ body: webStream([big.slice(0, 600), big.slice(600)]), duplex: 'half' } as RequestInit)],
      ['a Blob', () => ({ body: new Blob([big]) })],
      ['a Request body', () => new Request(`${server.url}/echo`, { method: 'POST', body: big })],
      ['FormData', () => { const form = new FormData(); form.set('f', big); return { body: form }; }],
    ];
    for (const [name, make] of OVERSIZED) {
      it(`maxBufferedBodyBytes holds for ${name}: ERR_BODY_TOO_LARGE, nothing sent`, async () => {
        const signedFetch = createSignedFetch({ ...SIGNING, maxBufferedBodyBytes: LIMIT });
        const input = make();
        const call = input instanceof Request ? signedFetch(input) : signedFetch(`${server.url}/echo`, { method: 'POST', ...(input as RequestInit) });
        await assert.rejects(call, (e: unknown) => e instanceof ConfigurationError && e.code === 'ERR_BODY_TOO_LARGE');
        assert.equal(server.seen.length, 0);
      });
    }
  });

  describe(`createSignedFetch (${entry}) against the stub: redirects re-signed on the same origin, never followed to another; refusals typed`, function () {
    this.timeout(20_000);
    let stub: VerifyProxy;
    let target: LoopbackServer;
    let elsewhere: LoopbackServer;
    before(async () => {
      target = await LoopbackServer.start();
      elsewhere = await LoopbackServer.start();
      stub = await startStub({ target: target.url, service: 'execute-api', region: 'us-east-1' });
    });
    after(async () => {
      await stub?.close();
      await target?.close();
      await elsewhere?.close();
    });
    beforeEach(() => {
      stub.reset();
      target.reset();
      elsewhere.reset();
    });

    it('a same-origin 302 is followed, signed again for its own path (the stub accepts both)', async () => {
      const response = await createSignedFetch(SIGNING)(`${stub.url}/redirect?to=/echo`);
      assert.equal(response.status, 200);
      assert.equal(((await response.json()) as { method: string }).method, 'GET');
      assert.deepEqual(stub.records.map((r) => [r.path, r.verdict]), [['/redirect?to=/echo', 'accepted'], ['/echo', 'accepted']]);
    });

    it('a 303 after a POST continues as a GET without the body, re-signed', async () => {
      const response = await createSignedFetch(SIGNING)(`${stub.url}/redirect?status=303&to=/echo`, { method: 'POST', body: 'data', headers: { 'content-type': 'text/plain' } });
      assert.equal(((await response.json()) as { method: string; length: number }).length, 0);
      assert.deepEqual(stub.records.map((r) => [r.method, r.verdict]), [['POST', 'accepted'], ['GET', 'accepted']]);
    });

    it('a 302 to another origin is returned, not followed: no credentials leave for it', async () => {
      const response = await createSignedFetch(SIGNING)(`${stub.url}/redirect?to=${encodeURIComponent(`${elsewhere.url}/echo`)}`);
      assert.equal(response.status, 302);
      assert.equal(response.headers.get('location'), `${elsewhere.url}/echo`);
      assert.equal(elsewhere.seen.length, 0);
    });

    it("redirect: 'manual' returns the 3xx; redirect: 'error' rejects with a TypeError, as fetch does", async () => {
      const signedFetch = createSignedFetch(SIGNING);
      assert.equal((await signedFetch(`${stub.url}/redirect?to=/echo`, { redirect: 'manual' })).status, 302);
      await assert.rejects(signedFetch(`${stub.url}/redirect?to=/echo`, { redirect: 'error' }), TypeError);
      await assert.rejects(fetch(`${target.url}/redirect?to=/echo`, { redirect: 'error' }), TypeError);
    });

    it('a refusal no retry can fix (a credential scoped to the wrong region): sent once, thrown typed, never with the secret', async () => {
      const call = createSignedFetch({ ...SIGNING, region: 'eu-west-1' })(`${stub.url}/echo`);
      await assert.rejects(call, (e: unknown) => e instanceof SignatureRejectedError && e.kind === 'scope-mismatch' && !inspect(e).includes(TEST_CREDENTIALS.secretAccessKey));
      assert.equal(stub.records.length, 1);
      assert.notEqual(stub.records[0]!.verdict, 'accepted');
    });
  });
}
