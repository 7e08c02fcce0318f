/**
 * AwsSigV4Connection with the OpenSearch client (2.x and 3.x) against real OpenSearch (2.x
 * and 3.x) through the verifying stub, for `es` and `aoss`: every request shape users send.
 * The stub checks each signature with @smithy/signature-v4 and forwards accepted requests.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { Readable } from 'node:stream';
import * as os3 from '@opensearch-project/opensearch';
import * as os2 from 'os2';
import { AwsSigV4Connection as EntryConnection, withAwsSigV4 } from '../../src/opensearch.js';
import { ConfigurationError, type AwsSigV4Options } from '../../src/index.js';
import { startStub, useSignedStack, TLS, type Stack } from '../support/stack.js';
import { assertResurrectionPingSigned, assertSignatureMismatch, WRONG_SECRET } from '../support/assertions.js';

type ClientModule = typeof os3;
const CLIENTS: Array<{ major: number; mod: ClientModule }> = [
  { major: 3, mod: os3 },
  { major: 2, mod: os2 as unknown as ClientModule },
];

/** The Connection class for a client major: the package entry for 3.x, the mixin on the aliased 2.x. */
function connectionFor(major: number, mod: ClientModule, options: AwsSigV4Options) {
  return major === 3 ? EntryConnection.configure(options) : withAwsSigV4(mod.Connection, mod.errors.RequestAbortedError, options);
}

const SPECIAL_IDS = ['a/b c', '100%', 'x+y', 'hash#tag', 'what?', 'é日本😀', 'star*', 'comma,sep', 'colon:id', "quote'd(1)!", 'tilde~dot.'];

const RUN = `${Date.now().toString(36)}${process.pid.toString(36)}`;

for (const serverSpec of ['opensearch@3', 'opensearch@2']) {
  for (const service of ['es', 'aoss']) {
    for (const { major, mod } of CLIENTS) {
      describe(`OpenSearch client ${major}.x -> ${serverSpec}, service ${service}`, function () {
        const stack = useSignedStack({ server: serverSpec, service });
        let client: InstanceType<ClientModule['Client']>;
        // Unique per run, so a server kept from an earlier run (OPENSEARCH_URL) holds no index of this name.
        const index = `shapes-${major}-${service}-${serverSpec.replace(/\W/g, '')}-${RUN}`;
        const make = (s: Stack, extra: Record<string, unknown> = {}, options: AwsSigV4Options = {}) =>
          new mod.Client({
            node: s.stubUrl,
            Connection: connectionFor(major, mod, { region: s.region, service: s.service, credentials: s.credentials, ...options }),
            ...extra,
          } as ConstructorParameters<ClientModule['Client']>[0]);

        before(async function () {
          client = make(stack());
          await client.indices.create({ index, body: { settings: { number_of_shards: 1, number_of_replicas: 0 } } });
        });
        after(async () => {
          await client?.indices.delete({ index }).catch(() => undefined);
          await client?.close();
        });
        afterEach(function () {
          if (this.currentTest?.state === 'failed') {
            console.log('      stub records:', JSON.stringify(stack().proxy.records.slice(-5), null, 1));
          }
        });

        /** Runs a shape and asserts every request it made was verified and accepted. */
        async function accepted<T>(run: () => Promise<T>): Promise<T> {
          const proxy = stack().proxy;
          const before = proxy.records.length;
          const result = await run();
          const made = proxy.records.slice(before);
          assert.ok(made.length > 0, 'the request reached the stub');
          for (const r of made) assert.equal(r.verdict, 'accepted', `${r.method} ${r.path}: ${r.verdict} ${r.message ?? ''}`);
          if (service === 'aoss') for (const r of made) assert.ok(r.signedHeaders.includes('x-amz-content-sha256'), 'aoss signs x-amz-content-sha256');
          return result;
        }

        it('JSON body: index and get a document', async () => {
          await accepted(() => client.index({ index, id: 'json-1', body: { title: 'hello', n: 1 }, refresh: true }));
          const got = await accepted(() => client.get({ index, id: 'json-1' }));
          assert.equal(got.body._source.title, 'hello');
        });

        it('bulk NDJSON as a string and as a Buffer, and msearch', async () => {
          const ndjson = [
            JSON.stringify({ index: { _index: index, _id: 'bulk-1' } }), JSON.stringify({ title: 'bulk one é' }),
            JSON.stringify({ index: { _index: index, _id: 'bulk-2' } }), JSON.stringify({ title: 'bulk two' }),
          ].join('\n') + '\n';
          const asString = await accepted(() => client.bulk({ body: ndjson as never, refresh: true }));
          assert.equal(asString.body.errors, false);
          const asBuffer = await accepted(() => client.bulk({ body: Buffer.from(ndjson.replace(/bulk-/g, 'buf-')) as never, refresh: true }));
          assert.equal(asBuffer.body.errors, false);
          const ms = await accepted(() => client.msearch({ body: [{ index }, { query: { match: { title: 'bulk' } } }, { index }, { query: { match_all: {} } }] }));
          assert.equal(ms.body.responses.length, 2);
        });

        it('the bulk helper (many signed requests)', async () => {
          const docs = Array.from({ length: 2000 }, (_, i) => ({ title: `helper ${i}`, n: i }));
          const result = await accepted(() => client.helpers.bulk({
            datasource: docs,
            onDocument: () => ({ index: { _index: index } }),
            flushBytes: 20_000,
            refreshOnCompletion: index,
          }));
          assert.equal(result.successful, 2000);
        });

        it("compression: 'gzip' (signature over the compressed bytes)", async () => {
          const gz = make(stack(), { compression: 'gzip' });
          try {
            await accepted(() => gz.index({ index, id: 'gzip-1', body: { title: 'x'.repeat(5000) }, refresh: true }));
            await accepted(() => gz.bulk({ body: [{ index: { _index: index, _id: 'gzip-2' } }, { title: 'gz' }], refresh: true }));
            const last = stack().proxy.records.at(-1)!;
            assert.ok(last.bodyBytes > 0);
          } finally {
            await gz.close();
          }
        });

        it('stream bodies are buffered, hashed and signed', async () => {
          const ndjson = `${JSON.stringify({ index: { _index: index, _id: 'stream-1' } })}\n${JSON.stringify({ title: 'from a stream' })}\n`;
          const res = await accepted(() => client.transport.request({
            method: 'POST', path: '/_bulk', querystring: { refresh: 'true' },
            body: Readable.from([Buffer.from(ndjson.slice(0, 10)), Buffer.from(ndjson.slice(10))]),
          }, { headers: { 'content-type': 'application/x-ndjson' } }));
          assert.equal((res.body as { errors: boolean }).errors, false);
        });

        it('a stream past maxBufferedBodyBytes fails typed, and nothing unsigned is sent', async () => {
          const small = make(stack(), {}, { maxBufferedBodyBytes: 1024 });
          const proxy = stack().proxy;
          const before = proxy.records.length;
          try {
            await assert.rejects(
              small.transport.request({ method: 'POST', path: '/_bulk', body: Readable.from([Buffer.alloc(4096, 32)]) }),
              (error: Error) => error instanceof ConfigurationError && (error as ConfigurationError).code === 'ERR_BODY_TOO_LARGE',
            );
            assert.equal(proxy.records.length, before, 'no request reached the stub');
          } finally {
            await small.close();
          }
        });

        it('empty bodies (POST _refresh), GET with a body, HEAD, DELETE', async () => {
          await accepted(() => client.indices.refresh({ index }));
          const search = await accepted(() => client.transport.request({ method: 'GET', path: `/${index}/_search`, body: { query: { match_all: {} } } }));
          assert.ok((search.body as { hits: unknown }).hits);
          const exists = await accepted(() => client.indices.exists({ index }));
          assert.equal(exists.body, true);
          const docExists = await accepted(() => client.exists({ index, id: 'json-1' }));
          assert.equal(docExists.body, true);
          await accepted(() => client.index({ index, id: 'to-delete', body: { a: 1 } }));
          const del = await accepted(() => client.delete({ index, id: 'to-delete' }));
          assert.equal(del.body.result, 'deleted');
        });

        it('ids with reserved and non-ASCII characters', async () => {
          for (const id of SPECIAL_IDS) {
            await accepted(() => client.index({ index, id, body: { id } }));
            const got = await accepted(() => client.get({ index, id }));
            assert.equal(got.body._id, id);
          }
        });

        it('index names with + % and unicode, comma lists and wildcards', async () => {
          const odd = `${index}-+%é`;
          await accepted(() => client.indices.create({ index: odd }));
          await accepted(() => client.index({ index: odd, id: '1', body: { a: 1 }, refresh: true }));
          const multi = await accepted(() => client.search({ index: `${index},${odd}`, body: { query: { match_all: {} } } }));
          assert.ok((multi.body.hits.total as { value: number }).value >= 1);
          await accepted(() => client.search({ index: `${index.slice(0, 8)}*` }));
          await accepted(() => client.cat.indices({ index: `${index.slice(0, 8)}*`, format: 'json' }));
          await accepted(() => client.indices.delete({ index: odd }));
        });

        it('query strings: Lucene q= syntax, routing, scroll and point in time', async () => {
          await accepted(() => client.index({ index, id: 'q-1', body: { title: 'foo bar', tag: 'x:y' }, routing: 'r/1 +', refresh: true }));
          const q = await accepted(() => client.search({ index, q: 'title:"foo bar" +tag:"x:y" -nope* (a OR b)|c', size: 5 }));
          assert.equal((q.body.hits.total as { value: number }).value, 1);
          const routed = await accepted(() => client.get({ index, id: 'q-1', routing: 'r/1 +' }));
          assert.equal(routed.body._routing, 'r/1 +');
          const scroll = await accepted(() => client.search({ index, scroll: '1m', size: 1, body: { query: { match_all: {} } } }));
          const next = await accepted(() => client.scroll({ scroll_id: scroll.body._scroll_id!, scroll: '1m' }));
          assert.ok(next.body.hits);
          await accepted(() => client.clearScroll({ scroll_id: scroll.body._scroll_id! }));
          const pit = await accepted(() => client.transport.request({ method: 'POST', path: `/${index}/_search/point_in_time`, querystring: { keep_alive: '1m' } }));
          const pitId = (pit.body as { pit_id: string }).pit_id;
          await accepted(() => client.transport.request({ method: 'POST', path: '/_search', body: { size: 1, pit: { id: pitId, keep_alive: '1m' } } }));
          await accepted(() => client.transport.request({ method: 'DELETE', path: '/_search/point_in_time', body: { pit_id: [pitId] } }));
        });

        it("the user's headers pass through and are signed", async () => {
          const withHeaders = make(stack(), { headers: { 'X-Team': 'search  team' } });
          try {
            await accepted(() => withHeaders.info({}, { headers: { 'x-request-tag': 'abc' } }));
            const record = stack().proxy.records.at(-1)!;
            assert.ok(record.signedHeaders.includes('x-team'));
            assert.ok(record.signedHeaders.includes('x-request-tag'));
            assert.ok(record.signedHeaders.includes('host'));
          } finally {
            await withHeaders.close();
          }
        });

        it('keep-alive: sequential requests reuse the connection', async () => {
          const proxy = stack().proxy;
          const fresh = make(stack());
          try {
            await fresh.info();
            const opened = proxy.connectionCount;
            for (let i = 0; i < 20; i++) await accepted(() => fresh.cluster.health());
            assert.ok(proxy.connectionCount - opened <= 1, `opened ${proxy.connectionCount - opened} connections for 20 requests`);
          } finally {
            await fresh.close();
          }
        });

        it('the resurrection ping (HEAD /) is signed', async () => {
          await assertResurrectionPingSigned(client, stack().proxy);
        });

        it('a wrong secret gives SignatureRejectedError (signature-mismatch), with no secret in it', async () => {
          const s = stack();
          const bad = make(s, { maxRetries: 0 }, { credentials: { accessKeyId: s.credentials.accessKeyId, secretAccessKey: WRONG_SECRET } });
          try {
            await assertSignatureMismatch(() => bad.info(), WRONG_SECRET, s.credentials.secretAccessKey);
          } finally {
            await bad.close();
          }
        });
      });
    }
  }
}

describe('OpenSearch client 3.x -> opensearch@3: nodes, prefixes, TLS, retries, sniffing, abort', function () {
  const stack = useSignedStack({ server: 'opensearch@3' });
  const options = (s: Stack): AwsSigV4Options => ({ region: s.region, service: s.service, credentials: s.credentials });

  it('two nodes in one client sign each with its own host', async () => {
    const s = stack();
    const second = await startStub({ target: s.serverUrl });
    const client = new os3.Client({ nodes: [s.stubUrl, second.url], Connection: EntryConnection.configure(options(s)) });
    try {
      const before = s.proxy.records.length;
      for (let i = 0; i < 10; i++) await client.cluster.health();
      const first = s.proxy.records.slice(before);
      assert.ok(first.length > 0 && second.records.length > 0, 'both nodes were used');
      for (const r of [...first, ...second.records]) assert.equal(r.verdict, 'accepted');
    } finally {
      await client.close();
      await second.close();
    }
  });

  it('a node URL with a port and a path prefix signs the prefixed path', async () => {
    const s = stack();
    // A reverse proxy that serves OpenSearch under /search/, as a gateway would.
    const strip = http.createServer((req, res) => {
      const upstream = http.request(`${s.serverUrl}${req.url!.replace(/^\/search/, '') || '/'}`, { method: req.method, headers: req.headers }, (up) => {
        res.writeHead(up.statusCode!, up.headers);
        up.pipe(res);
      });
      req.pipe(upstream);
    });
    await new Promise<void>((resolve) => strip.listen(0, '127.0.0.1', resolve));
    const stub = await startStub({ target: `http://127.0.0.1:${(strip.address() as { port: number }).port}` });
    const client = new os3.Client({ node: `${stub.url}/search/`, Connection: EntryConnection.configure(options(s)) });
    try {
      await client.cluster.health();
      const record = stub.records.at(-1)!;
      assert.equal(record.verdict, 'accepted');
      assert.match(record.path, /^\/search\/_cluster\/health/);
    } finally {
      await client.close();
      await stub.close();
      strip.close();
    }
  });

  it('HTTPS (self-signed stub certificate)', async () => {
    const s = stack();
    const stub = await startStub({ target: s.serverUrl, tls: TLS });
    const client = new os3.Client({ node: stub.url, ssl: { ca: TLS.cert }, Connection: EntryConnection.configure(options(s)) });
    try {
      const res = await client.cluster.health();
      assert.ok(res.body.status);
      assert.equal(stub.records.at(-1)!.verdict, 'accepted');
    } finally {
      await client.close();
      await stub.close();
    }
  });

  it('retries are each signed afresh (503, then 200)', async () => {
    const s = stack();
    let calls = 0;
    const flaky = http.createServer((req, res) => {
      calls++;
      if (calls === 1) { req.resume(); res.writeHead(503).end('{}'); return; }
      const upstream = http.request(`${s.serverUrl}${req.url}`, { method: req.method, headers: req.headers }, (up) => {
        res.writeHead(up.statusCode!, up.headers);
        up.pipe(res);
      });
      req.pipe(upstream);
    });
    await new Promise<void>((resolve) => flaky.listen(0, '127.0.0.1', resolve));
    const stub = await startStub({ target: `http://127.0.0.1:${(flaky.address() as { port: number }).port}` });
    const client = new os3.Client({ node: stub.url, maxRetries: 2, Connection: EntryConnection.configure(options(s)) });
    try {
      await client.index({ index: 'retries', id: '1', body: { a: 1 } });
      assert.equal(calls, 2);
      assert.equal(stub.records.length, 2);
      for (const r of stub.records) assert.equal(r.verdict, 'accepted');
    } finally {
      await client.close();
      await stub.close();
      flaky.close();
    }
  });

  it('sniffing is refused with a typed error and a warning; requests keep working', async () => {
    const s = stack();
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.message);
    process.on('warning', onWarning);
    const client = new os3.Client({ node: s.stubUrl, Connection: EntryConnection.configure(options(s)), maxRetries: 0 });
    try {
      const error = await client.transport.request({ method: 'GET', path: '/_nodes/_all/http' }).then(() => undefined, (e: unknown) => e);
      // The client's RequestAbortedError, which it takes as no fault of the node; ours is its cause.
      assert.ok(error instanceof os3.errors.RequestAbortedError && error.cause instanceof ConfigurationError && error.cause.code === 'ERR_SNIFFING_UNSUPPORTED', String(error));
      await new Promise((r) => setImmediate(r));
      const sniffed = new os3.Client({ node: s.stubUrl, Connection: EntryConnection.configure(options(s)), sniffOnStart: true });
      await new Promise((r) => setTimeout(r, 200));
      const res = await sniffed.cluster.health();
      assert.ok(res.body.status, 'the configured node is still used');
      await sniffed.close();
      assert.equal(warnings.filter((w) => /Sniffing is not supported/.test(w)).length, 2, 'warned once per Connection class');
    } finally {
      process.off('warning', onWarning);
      await client.close();
    }
  });

  it('abort and timeout', async () => {
    const s = stack();
    const slow = http.createServer((req) => { req.resume(); /* never answers */ });
    await new Promise<void>((resolve) => slow.listen(0, '127.0.0.1', resolve));
    const stub = await startStub({ target: `http://127.0.0.1:${(slow.address() as { port: number }).port}` });
    const client = new os3.Client({ node: stub.url, maxRetries: 0, Connection: EntryConnection.configure(options(s)) });
    try {
      const timedOut = await client.info({}, { requestTimeout: 200 }).then(() => undefined, (e: Error) => e);
      assert.equal(timedOut?.name, 'TimeoutError');
      const pending = client.info();
      (pending as unknown as { abort(): void }).abort();
      const aborted = await pending.then(() => undefined, (e: Error) => e);
      assert.equal(aborted?.name, 'RequestAbortedError');
    } finally {
      await client.close();
      await stub.close();
      slow.closeAllConnections();
      slow.close();
    }
  });

  it('zero-config: region and service from the host, credentials from the environment', async () => {
    const s = stack();
    const saved = { ...process.env };
    Object.assign(process.env, { AWS_ACCESS_KEY_ID: s.credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: s.credentials.secretAccessKey, AWS_REGION: 'us-east-1' });
    delete process.env.AWS_SESSION_TOKEN;
    delete process.env.AWS_PROFILE;
    // The node is the stub on loopback: its host names no region, so AWS_REGION and 'es' apply.
    const client = new os3.Client({ node: s.stubUrl, Connection: EntryConnection });
    try {
      await client.cluster.health();
      assert.equal(s.proxy.records.at(-1)!.verdict, 'accepted');
    } finally {
      await client.close();
      for (const key of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_REGION']) {
        if (saved[key] === undefined) delete process.env[key];
        else process.env[key] = saved[key];
      }
    }
  });
});
