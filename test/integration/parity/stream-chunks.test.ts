/**
 * A stream body whose chunks are not bytes (a number, a document from an object-mode stream,
 * an ArrayBuffer) was signed over nothing and sent with an empty body: the request
 * succeeded and the data was lost. Now it is refused, ERR_UNSUPPORTED_BODY, before a
 * connection is opened, by every Connection and by createSignedFetch.
 *
 * What the stock stacks do with the same bodies (not run here where it would end the test
 * process): node:http's write, under the callback Connections and es HttpConnection, throws
 * ERR_INVALID_ARG_TYPE from inside pipe(), uncaught: the process crashes. es
 * UndiciConnection opens a connection and fails with a ConnectionError, nothing sent. The
 * global fetch opens a connection and rejects with a TypeError for a Node stream of numbers or
 * objects; for a ReadableStream of an ArrayBuffer or a number it rejects with a TypeError
 * (asserted below, before ours): an ArrayBuffer is no chunk fetch sends either, so ours refuses it too.
 */
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { FAMILIES } from './families.js';
import { LoopbackServer } from './loopback-server.js';
import { ConfigurationError, createSignedFetch as nodeCreateSignedFetch, type AwsSigV4Options } from '../../../src/index.js';
import { createSignedFetch as webCreateSignedFetch } from '../../../src/web-node.js';
import { TEST_CREDENTIALS } from '../../support/stack.js';

const SIGNING: AwsSigV4Options = { region: 'us-east-1', service: 'es', credentials: TEST_CREDENTIALS, contentSha256: true };

const NODE_STREAMS: Array<[string, () => Readable]> = [
  ['Readable.from([1, 2, 3])', () => Readable.from([1, 2, 3])],
  ['an object-mode stream of documents', () => Readable.from([{ index: {} }, { doc: 1 }])],
  ['a Node stream of an ArrayBuffer', () => Readable.from([new TextEncoder().encode('{"a":1}').buffer])],
];

function webStreamOf(chunk: unknown): ReadableStream<Uint8Array> {
  return new ReadableStream({ start(controller) { controller.enqueue(chunk as Uint8Array); controller.close(); } });
}

const WEB_STREAMS: Array<[string, () => ReadableStream<Uint8Array>]> = [
  ['a ReadableStream of an ArrayBuffer', () => webStreamOf(new TextEncoder().encode('{"a":1}').buffer)],
  ['a ReadableStream of a number', () => webStreamOf(42)],
];

function refusedTyped(error: unknown): boolean {
  assert.ok(error instanceof ConfigurationError, `expected a ConfigurationError, got ${String(error)}`);
  assert.equal(error.code, 'ERR_UNSUPPORTED_BODY', error.message);
  assert.match(error.message, /a body stream must yield strings or bytes/);
  return true;
}

describe('a stream body of chunks that are not bytes: refused typed, never sent empty', function () {
  this.timeout(20_000);
  let server: LoopbackServer;
  /** Where the global fetch is tried: it may open a connection before it refuses the chunk (after it rejects, even). */
  let stockServer: LoopbackServer;
  before(async () => {
    server = await LoopbackServer.start();
    stockServer = await LoopbackServer.start();
  });
  after(async () => {
    await server?.close();
    await stockServer?.close();
  });
  beforeEach(() => server.reset());
  afterEach(function () {
    if (this.currentTest?.state !== 'passed') return;
    assert.deepEqual([server.connections, server.seen.length], [0, 0], 'no connection opened, nothing sent');
  });

  for (const family of FAMILIES) {
    for (const [name, body] of NODE_STREAMS) {
      it(`${family.name}: ${name}`, async () => {
        const client = family.client(family.ours(SIGNING), server.url);
        try {
          const outcome = await client.call({ method: 'POST', path: '/echo', body: body(), headers: { 'content-type': 'application/x-ndjson' } });
          assert.equal(outcome.ok, false, outcome.ok ? `sent, answered ${outcome.statusCode} ${JSON.stringify(outcome.body)}` : '');
          if (!outcome.ok) refusedTyped(outcome.error);
        } finally {
          await client.close();
        }
      });
    }
  }

  for (const [entry, createSignedFetch] of [['Node entry', nodeCreateSignedFetch], ['web entry', webCreateSignedFetch]] as const) {
    for (const [name, body, web] of [...NODE_STREAMS.map(([n, b]) => [n, b, false] as const), ...WEB_STREAMS.map(([n, b]) => [n, b, true] as const)]) {
      it(`createSignedFetch (${entry}): ${name}`, async () => {
        const init = (): RequestInit => ({ method: 'POST', body: body() as BodyInit, duplex: 'half' } as RequestInit);
        // The global fetch refuses it too, with a TypeError.
        if (web) await assert.rejects(fetch(`${stockServer.url}/echo`, init()), TypeError);
        await assert.rejects(createSignedFetch(SIGNING)(`${server.url}/echo`, init()), refusedTyped);
      });
    }
  }
});
