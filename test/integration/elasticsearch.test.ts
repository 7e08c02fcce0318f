/**
 * AwsSigV4Connection with `@elastic/elasticsearch` 7.x, 8.x and 9.x against real Elasticsearch
 * through the verifying stub (service `es`): the request shapes of the OpenSearch suite that
 * these clients can send. The stub checks every signature with @smithy/signature-v4.
 *
 * Which server each client meets, and why:
 *  - 7.13 -> ES 7.10.2: no product check in 7.13.
 *  - 7.17 -> ES 7.10.2 fails its product check (the test integ-test zip, like AWS's 7.10, is the
 *    `oss` flavor): asserted below, after a signed and accepted GET /. Its shapes run against
 *    ES 8.x, the newest server it supports.
 *  - 8.x (Http and Undici) -> ES 8.x; 9.x (Http and Undici) -> ES 9.x.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import * as es7 from 'es7';
import * as es713 from 'es713';
import * as es8 from 'es8';
import * as es9 from 'es9';
import * as installed from '@elastic/elasticsearch';
import { withSigV4Callback } from '../../src/adapters/callback-connection.js';
import { AwsSigV4Connection, AwsSigV4HttpConnection, AwsSigV4UndiciConnection } from '../../src/elasticsearch.js';
import { withSigV4Promise } from '../../src/adapters/promise-connection.js';
import type { AwsSigV4Options } from '../../src/index.js';
import type { VerifyProxy } from '../../src/testing/index.js';
import { startStub, useSignedStack, type Stack } from '../support/stack.js';
import { assertResurrectionPingSigned, assertSignatureMismatch, WRONG_SECRET } from '../support/assertions.js';

const SPECIAL_IDS = ['a/b c', '100%', 'x+y', 'é日本', 'star*', 'comma,sep', 'colon:id', 'hash#tag', 'what?', "quote'd(1)!", 'tilde~dot.'];
const LUCENE_Q = 'title:"foo bar" +tag:"x:y" -nope* (a OR b)|c';

const signingOptions = (s: Stack, extra: AwsSigV4Options = {}): AwsSigV4Options =>
  ({ region: s.region, service: s.service, credentials: s.credentials, ...extra });

/** Runs a shape and asserts that it reached the stub and every request it made was accepted. */
async function accepted<T>(proxy: VerifyProxy, run: () => Promise<T>): Promise<T> {
  const before = proxy.records.length;
  const result = await run();
  const made = proxy.records.slice(before);
  assert.ok(made.length > 0, 'the request reached the stub');
  for (const r of made) assert.equal(r.verdict, 'accepted', `${r.method} ${r.path}: ${r.verdict} ${r.message ?? ''}`);
  return result;
}

/** An HTTP forwarder to `target` in front of which a test can answer some requests itself. */
async function forwarder(target: string, intercept: (n: number, req: http.IncomingMessage, res: http.ServerResponse) => boolean) {
  let calls = 0;
  const server = http.createServer((req, res) => {
    calls++;
    if (intercept(calls, req, res)) return;
    const upstream = http.request(`${target}${req.url}`, { method: req.method, headers: req.headers }, (up) => {
      res.writeHead(up.statusCode!, up.headers);
      up.pipe(res);
    });
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    get calls() { return calls; },
    close() { server.closeAllConnections(); server.close(); },
  };
}

/** A stub in front of a forwarder that answers the first PUT with 503 (the client retries it). */
async function flakyStack(s: Stack) {
  const state = { failed: 0 };
  const server = await forwarder(s.serverUrl!, (_n, req, res) => {
    if (req.method !== 'PUT' || state.failed > 0) return false;
    state.failed++;
    req.resume();
    res.writeHead(503).end('{}');
    return true;
  });
  const stub = await startStub({ target: server.url });
  return { flaky: { close: server.close, get failed() { return state.failed; } }, stub, signedPuts: [] as string[] };
}

/** Two PUTs reached the stub, both accepted, each from its own signing (not a replayed header set). */
function assertSignedTwice(stub: VerifyProxy, signedPuts: string[], failed: number): void {
  assert.equal(failed, 1, 'the first PUT got a 503');
  const puts = stub.records.filter((r) => r.method === 'PUT');
  assert.equal(puts.length, 2, 'the PUT was retried once');
  for (const r of puts) assert.equal(r.verdict, 'accepted');
  assert.equal(puts[0]!.path, puts[1]!.path);
  assert.equal(signedPuts.length, 2, 'each attempt was signed');
}


// ---------------------------------------------------------------------------------------
// 7.x: callback Connection

type Es7Module = typeof es7;
const ES7_CLIENTS: Array<{ label: string; mod: Es7Module; server: string }> = [
  { label: '7.13', mod: es713 as unknown as Es7Module, server: 'elasticsearch@7' },
  { label: '7.17', mod: es7, server: 'elasticsearch@8' },
];

for (const { label, mod, server } of ES7_CLIENTS) {
  describe(`Elasticsearch client ${label} -> ${server}, service es`, function () {
    const stack = useSignedStack({ server, service: 'es' });
    const index = `es7-shapes-${label.replace('.', '')}`;
    let client: InstanceType<Es7Module['Client']>;
    const connection = (s: Stack, extra: AwsSigV4Options = {}) => withSigV4Callback(mod.Connection, mod.errors.RequestAbortedError, signingOptions(s, extra));
    const make = (s: Stack, extra: Record<string, unknown> = {}, options: AwsSigV4Options = {}, node = s.stubUrl) =>
      new mod.Client({ node, Connection: connection(s, options), ...extra } as ConstructorParameters<Es7Module['Client']>[0]);
    const ok = <T>(run: () => Promise<T>) => accepted(stack().proxy, run);

    before(async () => {
      client = make(stack());
      await client.indices.delete({ index }, { ignore: [404] });
      await client.indices.create({ index, body: { settings: { number_of_shards: 1, number_of_replicas: 0 } } });
    });
    after(async () => {
      await client?.close();
    });

    it('JSON body: index and get a document', async () => {
      await ok(() => client.index({ index, id: 'json-1', body: { title: 'hello', n: 1 }, refresh: true }));
      const got = await ok(() => client.get({ index, id: 'json-1' }));
      assert.equal(got.body._source.title, 'hello');
    });

    it('bulk NDJSON and the bulk helper', async () => {
      const res = await ok(() => client.bulk({ refresh: true, body: [{ index: { _index: index, _id: 'bulk-1' } }, { title: 'bulk one é' }] }));
      assert.equal(res.body.errors, false);
      const docs = Array.from({ length: 1500 }, (_, i) => ({ title: `helper ${i}`, n: i }));
      const result = await ok(() => client.helpers.bulk({ datasource: docs, onDocument: () => ({ index: { _index: index } }), flushBytes: 20_000, refreshOnCompletion: index }));
      assert.equal(result.successful, 1500);
    });

    it("compression: 'gzip' (signature over the compressed bytes)", async () => {
      const gz = make(stack(), { compression: 'gzip' });
      try {
        await ok(() => gz.index({ index, id: 'gzip-1', body: { title: 'x'.repeat(5000) }, refresh: true }));
        await ok(() => gz.bulk({ body: [{ index: { _index: index, _id: 'gzip-2' } }, { title: 'gz' }], refresh: true }));
        const got = await ok(() => gz.get({ index, id: 'gzip-1' }));
        assert.equal(got.body._source.title.length, 5000);
      } finally {
        await gz.close();
      }
    });

    it('stream bodies are buffered, hashed and signed (also gzipped)', async () => {
      const ndjson = (id: string) => `${JSON.stringify({ index: { _index: index, _id: id } })}\n${JSON.stringify({ title: 'from a stream' })}\n`;
      const stream = (id: string) => Readable.from([Buffer.from(ndjson(id).slice(0, 10)), Buffer.from(ndjson(id).slice(10))]);
      const res = await ok(() => client.transport.request({ method: 'POST', path: '/_bulk', querystring: { refresh: 'true' }, body: stream('stream-1') }, { headers: { 'content-type': 'application/x-ndjson' } }));
      assert.equal((res.body as { errors: boolean }).errors, false);
      const gz = make(stack(), { compression: 'gzip' });
      try {
        const zipped = await ok(() => gz.transport.request({ method: 'POST', path: '/_bulk', querystring: { refresh: 'true' }, body: stream('stream-2') }, { headers: { 'content-type': 'application/x-ndjson' } }));
        assert.equal((zipped.body as { errors: boolean }).errors, false);
      } finally {
        await gz.close();
      }
    });

    it('HEAD, empty POST, GET with a body, DELETE', async () => {
      assert.equal((await ok(() => client.indices.exists({ index }))).body, true);
      assert.equal((await ok(() => client.exists({ index, id: 'json-1' }))).body, true);
      assert.equal((await ok(() => client.exists({ index, id: 'nope' }))).body, false);
      assert.equal((await ok(() => client.ping())).body, true);
      await ok(() => client.indices.refresh({ index }));
      const search = await ok(() => client.transport.request({ method: 'GET', path: `/${index}/_search`, body: { query: { match_all: {} } } }));
      assert.ok((search.body as { hits: unknown }).hits);
      await ok(() => client.index({ index, id: 'to-delete', body: { a: 1 } }));
      assert.equal((await ok(() => client.delete({ index, id: 'to-delete' }))).body.result, 'deleted');
    });

    it('ids with reserved and non-ASCII characters', async () => {
      for (const id of SPECIAL_IDS) {
        await ok(() => client.index({ index, id, body: { id } }));
        const got = await ok(() => client.get({ index, id }));
        assert.equal(got.body._id, id);
      }
    });

    it('query strings: Lucene q= syntax, routing, scroll', async () => {
      await ok(() => client.index({ index, id: 'q-1', body: { title: 'foo bar', tag: 'x:y' }, routing: 'r/1 +', refresh: true }));
      const q = await ok(() => client.search({ index, q: LUCENE_Q, size: 5 }));
      assert.equal(q.body.hits.total.value, 1);
      const routed = await ok(() => client.get({ index, id: 'q-1', routing: 'r/1 +' }));
      assert.equal(routed.body._routing, 'r/1 +');
      const scroll = await ok(() => client.search({ index, scroll: '1m', size: 1, body: { query: { match_all: {} } } }));
      await ok(() => client.scroll({ body: { scroll_id: scroll.body._scroll_id, scroll: '1m' } }));
      await ok(() => client.clearScroll({ body: { scroll_id: scroll.body._scroll_id } }));
    });

    it("the user's mixed-case headers pass through once and are signed", async () => {
      const withHeaders = make(stack(), { headers: { 'X-Team': 'search  team' } });
      try {
        await ok(() => withHeaders.info({}, { headers: { 'X-Request-Tag': 'abc' } }));
        const record = stack().proxy.records.at(-1)!;
        for (const name of ['x-team', 'x-request-tag', 'host', 'x-amz-date']) assert.ok(record.signedHeaders.includes(name), name);
      } finally {
        await withHeaders.close();
      }
    });

    it('the resurrection ping (HEAD /) is signed', async () => {
      await assertResurrectionPingSigned(client, stack().proxy);
    });

    it('retries are each signed afresh (503, then 200)', async () => {
      const s = stack();
      const { flaky, stub, signedPuts } = await flakyStack(s);
      const retrying = make(s, { maxRetries: 2 }, { onSign: (e) => { if (e.method === 'PUT') signedPuts.push(e.amzDate); } }, stub.url);
      try {
        await retrying.index({ index, id: 'retry-1', body: { a: 1 } });
        assertSignedTwice(stub, signedPuts, flaky.failed);
      } finally {
        await retrying.close();
        await stub.close();
        flaky.close();
      }
    });

    it('a wrong secret gives SignatureRejectedError (signature-mismatch), with no secret in it', async () => {
      const s = stack();
      const bad = make(s, { maxRetries: 0 }, { credentials: { accessKeyId: s.credentials.accessKeyId, secretAccessKey: WRONG_SECRET } });
      try {
        await assertSignatureMismatch(() => bad.search({ index, q: 'a' }), WRONG_SECRET, s.credentials.secretAccessKey);
      } finally {
        await bad.close();
      }
    });
  });
}

describe('Elasticsearch client 7.17 -> elasticsearch@7 (7.10.2, oss flavor)', function () {
  const stack = useSignedStack({ server: 'elasticsearch@7', service: 'es' });

  it('fails the client product check after a signed, accepted GET /: as against AWS 7.10 domains', async () => {
    const s = stack();
    const client = new es7.Client({ node: s.stubUrl, Connection: withSigV4Callback(es7.Connection, es7.errors.RequestAbortedError, signingOptions(s)) });
    const before = s.proxy.records.length;
    try {
      const error = await client.search({ index: 'any', q: 'a' }).then(() => undefined, (e: Error) => e);
      assert.equal(error?.name, 'ProductNotSupportedError');
      assert.match(error!.message, /not a supported distribution of Elasticsearch/);
      const made = s.proxy.records.slice(before);
      assert.deepEqual(made.map((r) => `${r.method} ${r.path} ${r.verdict}`), ['GET / accepted'], 'only the product check reached the server');
    } finally {
      await client.close();
    }
  });
});

// ---------------------------------------------------------------------------------------
// 8.x and 9.x: @elastic/transport, HttpConnection and UndiciConnection

// The 8.x and 9.x APIs used here have the same shapes; 9.x's types stand for both.
type EsModule = typeof es9;
const ES_CLIENTS: Array<{ major: 8 | 9; mod: EsModule; server: string }> = [
  { major: 8, mod: es8 as unknown as EsModule, server: 'elasticsearch@8' },
  { major: 9, mod: es9, server: 'elasticsearch@9' },
];

for (const { major, mod, server } of ES_CLIENTS) {
  for (const kind of ['Undici', 'Http'] as const) {
    describe(`Elasticsearch client ${major}.x (${kind}Connection) -> ${server}, service es`, function () {
      const stack = useSignedStack({ server, service: 'es' });
      const Base = kind === 'Http' ? mod.HttpConnection : mod.UndiciConnection;
      const index = `es${major}-${kind.toLowerCase()}-shapes`;
      const ndjsonType = `application/vnd.elasticsearch+x-ndjson; compatible-with=${major}`;
      let client: InstanceType<EsModule['Client']>;
      const connection = (s: Stack, extra: AwsSigV4Options = {}) => withSigV4Promise(Base, mod.errors.RequestAbortedError, signingOptions(s, extra));
      const make = (s: Stack, extra: Partial<ConstructorParameters<EsModule['Client']>[0]> = {}, options: AwsSigV4Options = {}, node = s.stubUrl) =>
        new mod.Client({ node, Connection: connection(s, options), ...extra });
      const ok = <T>(run: () => Promise<T>) => accepted(stack().proxy, run);

      before(async () => {
        client = make(stack());
        await client.indices.delete({ index }, { ignore: [404] });
        await client.indices.create({ index, settings: { number_of_shards: 1, number_of_replicas: 0 } });
      });
      after(async () => {
        await client?.close();
      });

      it(`the connection is a ${kind}Connection and signs the client's own headers`, async () => {
        const pool = client.connectionPool as unknown as { connections: object[] };
        assert.ok(pool.connections[0] instanceof Base);
        await ok(() => client.info());
        await ok(() => client.index({ index, id: 'meta-1', document: { a: 1 } }));
        const [info, put] = stack().proxy.records.slice(-2);
        for (const name of ['accept', 'x-elastic-client-meta', 'host', 'x-amz-date']) {
          assert.ok(info!.signedHeaders.includes(name), `${name} signed (${info!.signedHeaders.join(';')})`);
        }
        // The compatible-with content type (9.x sends one even without a body).
        assert.ok(put!.signedHeaders.includes('content-type'));
        assert.equal(info!.signedHeaders.includes('content-type'), major === 9);
      });

      it('JSON body: index and get a document', async () => {
        await ok(() => client.index({ index, id: 'json-1', document: { title: 'hello', n: 1 }, refresh: true }));
        const got = await ok(() => client.get<{ title: string }>({ index, id: 'json-1' }));
        assert.equal(got._source!.title, 'hello');
      });

      it('bulk NDJSON and the bulk helper', async () => {
        const res = await ok(() => client.bulk({ refresh: true, operations: [{ index: { _index: index, _id: 'bulk-1' } }, { title: 'bulk one é' }] }));
        assert.equal(res.errors, false);
        const docs = Array.from({ length: 1500 }, (_, i) => ({ title: `helper ${i}`, n: i }));
        const result = await ok(() => client.helpers.bulk({ datasource: docs, onDocument: () => ({ index: { _index: index } }), flushBytes: 20_000, refreshOnCompletion: index }));
        assert.equal(result.successful, 1500);
      });

      it("compression: 'gzip' (signature over the compressed bytes)", async () => {
        const gz = make(stack(), { compression: true });
        try {
          await ok(() => gz.index({ index, id: 'gzip-1', document: { title: 'x'.repeat(5000) }, refresh: true }));
          await ok(() => gz.bulk({ operations: [{ index: { _index: index, _id: 'gzip-2' } }, { title: 'gz' }], refresh: true }));
          const got = await ok(() => gz.get<{ title: string }>({ index, id: 'gzip-1' }));
          assert.equal(got._source!.title.length, 5000);
        } finally {
          await gz.close();
        }
      });

      it('stream bodies are buffered, hashed and signed (also gzipped)', async () => {
        const ndjson = (id: string) => `${JSON.stringify({ index: { _index: index, _id: id } })}\n${JSON.stringify({ title: 'from a stream' })}\n`;
        const stream = (id: string) => Readable.from([Buffer.from(ndjson(id).slice(0, 10)), Buffer.from(ndjson(id).slice(10))]);
        const send = (c: typeof client, id: string) => c.transport.request<{ errors: boolean }>(
          { method: 'POST', path: '/_bulk', querystring: { refresh: 'true' }, body: stream(id) },
          // A stream is sent as is, with the client's default Accept (`...compatible-with=N,text/plain`),
          // which Elasticsearch refuses beside a compatible-with Content-Type: name both.
          { headers: { 'content-type': ndjsonType, accept: `application/vnd.elasticsearch+json; compatible-with=${major}` } },
        );
        assert.equal((await ok(() => send(client, 'stream-1'))).errors, false);
        const gz = make(stack(), { compression: true });
        try {
          assert.equal((await ok(() => send(gz, 'stream-2'))).errors, false);
          assert.ok(stack().proxy.records.at(-1)!.signedHeaders.includes('content-encoding'));
        } finally {
          await gz.close();
        }
      });

      it('HEAD, empty POST, GET with a body, DELETE', async () => {
        assert.equal(await ok(() => client.indices.exists({ index })), true);
        assert.equal(await ok(() => client.exists({ index, id: 'json-1' })), true);
        assert.equal(await ok(() => client.exists({ index, id: 'nope' })), false);
        assert.equal(await ok(() => client.ping()), true);
        await ok(() => client.indices.refresh({ index }));
        const search = await ok(() => client.transport.request<{ hits: unknown }>({ method: 'GET', path: `/${index}/_search`, body: { query: { match_all: {} } } }));
        assert.ok(search.hits);
        await ok(() => client.index({ index, id: 'to-delete', document: { a: 1 } }));
        assert.equal((await ok(() => client.delete({ index, id: 'to-delete' }))).result, 'deleted');
      });

      it('ids with reserved and non-ASCII characters', async () => {
        for (const id of SPECIAL_IDS) {
          await ok(() => client.index({ index, id, document: { id } }));
          const got = await ok(() => client.get({ index, id }));
          assert.equal(got._id, id);
        }
      });

      it('query strings: Lucene q= syntax, routing, scroll, point in time', async () => {
        await ok(() => client.index({ index, id: 'q-1', document: { title: 'foo bar', tag: 'x:y' }, routing: 'r/1 +', refresh: true }));
        const q = await ok(() => client.search({ index, q: LUCENE_Q, size: 5 }));
        assert.equal((q.hits.total as { value: number }).value, 1);
        const routed = await ok(() => client.get({ index, id: 'q-1', routing: 'r/1 +' }));
        assert.equal(routed._routing, 'r/1 +');
        const scroll = await ok(() => client.search({ index, scroll: '1m', size: 1, query: { match_all: {} } }));
        await ok(() => client.scroll({ scroll_id: scroll._scroll_id!, scroll: '1m' }));
        await ok(() => client.clearScroll({ scroll_id: scroll._scroll_id! }));
        const pit = await ok(() => client.openPointInTime({ index, keep_alive: '1m' }));
        await ok(() => client.search({ size: 1, pit: { id: pit.id, keep_alive: '1m' } }));
        await ok(() => client.closePointInTime({ id: pit.id }));
      });

      it("mixed-case client headers are sent once and signed (undici would send both cases)", async () => {
        const withHeaders = make(stack(), { headers: { 'X-Team': 'search  team', 'X-Opaque-Id': 'caller-1' } });
        try {
          await ok(() => withHeaders.info({}, { headers: { 'X-Request-Tag': 'abc' } }));
          const record = stack().proxy.records.at(-1)!;
          for (const name of ['x-team', 'x-request-tag', 'x-opaque-id']) assert.ok(record.signedHeaders.includes(name), name);
        } finally {
          await withHeaders.close();
        }
      });

      it('the ClusterConnectionPool resurrection ping (HEAD /) is signed', async () => {
        const pinging = make(stack(), { ConnectionPool: mod.ClusterConnectionPool });
        try {
          const pool = pinging.connectionPool as unknown as { connections: Array<{ request: (p: object, o: object) => Promise<{ statusCode: number }> }> };
          const res = await ok(() => pool.connections[0]!.request({ method: 'HEAD', path: '/' }, { timeout: 3000, requestId: 1, name: 'ping', context: null }));
          assert.equal(res.statusCode, 200);
          assert.equal(stack().proxy.records.at(-1)!.method, 'HEAD');
        } finally {
          await pinging.close();
        }
      });

      it('retries are each signed afresh (503, then 200)', async () => {
        const s = stack();
        const { flaky, stub, signedPuts } = await flakyStack(s);
        const retrying = make(s, { maxRetries: 2 }, { onSign: (e) => { if (e.method === 'PUT') signedPuts.push(e.amzDate); } }, stub.url);
        try {
          await retrying.index({ index, id: 'retry-1', document: { a: 1 } });
          assertSignedTwice(stub, signedPuts, flaky.failed);
        } finally {
          await retrying.close();
          await stub.close();
          flaky.close();
        }
      });

      it('abort and timeout', async () => {
        const s = stack();
        const slow = await forwarder(s.serverUrl!, (_n, req) => { req.resume(); return true; /* never answers */ });
        const stub = await startStub({ target: slow.url });
        const waiting = make(s, { maxRetries: 0 }, {}, stub.url);
        try {
          const timedOut = await waiting.info({}, { requestTimeout: 200 }).then(() => undefined, (e: Error) => e);
          assert.equal(timedOut?.name, 'TimeoutError');
          const controller = new AbortController();
          const pending = waiting.info({}, { signal: controller.signal });
          setTimeout(() => controller.abort(), 50);
          const aborted = await pending.then(() => undefined, (e: Error) => e);
          assert.equal(aborted?.name, 'RequestAbortedError');
          const early = new AbortController();
          early.abort();
          const before = stub.records.length;
          const pre = await waiting.info({}, { signal: early.signal }).then(() => undefined, (e: Error) => e);
          assert.equal(pre?.name, 'RequestAbortedError');
          assert.equal(stub.records.length, before, 'an aborted request is not sent');
        } finally {
          await waiting.close();
          await stub.close();
          slow.close();
        }
      });

      it('a wrong secret gives SignatureRejectedError (signature-mismatch), with no secret in it', async () => {
        const s = stack();
        const bad = make(s, { maxRetries: 0 }, { credentials: { accessKeyId: s.credentials.accessKeyId, secretAccessKey: WRONG_SECRET } });
        try {
          await assertSignatureMismatch(() => bad.search({ index, q: 'a' }), WRONG_SECRET, s.credentials.secretAccessKey);
        } finally {
          await bad.close();
        }
      });
    });
  }
}

// ---------------------------------------------------------------------------------------
// The package entry as users import it: built on whatever `@elastic/elasticsearch` resolves to.

describe('aws-sigv4-connection/elasticsearch with the installed @elastic/elasticsearch -> elasticsearch@9', function () {
  const stack = useSignedStack({ server: 'elasticsearch@9', service: 'es' });

  for (const [name, Entry, Kind, kind] of [
    ['AwsSigV4Connection (undici, the default)', AwsSigV4Connection, installed.UndiciConnection, 'undici'],
    ['AwsSigV4HttpConnection', AwsSigV4HttpConnection, installed.HttpConnection, 'http'],
  ] as const) {
    it(`${name}.configure() signs every request of a session`, async () => {
      const s = stack();
      const client = new installed.Client({ node: s.stubUrl, Connection: Entry.configure(signingOptions(s)) });
      const index = `entry-${kind}`;
      try {
        const pool = client.connectionPool as unknown as { connections: object[] };
        assert.ok(pool.connections[0] instanceof Kind, `a ${kind} connection of the installed client`);
        await accepted(s.proxy, async () => {
          await client.indices.delete({ index }, { ignore: [404] });
          await client.index({ index, id: 'a/b c', document: { title: 'foo bar' }, refresh: true });
          const found = await client.search({ index, q: 'title:"foo bar"' });
          assert.equal((found.hits.total as { value: number }).value, 1);
        });
      } finally {
        await client.close();
      }
    });
  }

  it('AwsSigV4Connection is the undici kind, the client default', () => {
    assert.equal(AwsSigV4Connection, AwsSigV4UndiciConnection);
  });
});
