/**
 * A stream body in a state the stock Connections handle at once, run through each family's
 * stock class and ours (found by a review of ours against stock):
 *   - already over (ended and read, as an Express req its body parser read; destroyed;
 *     errored): stock answers or fails at once. Ours waited for an 'end' that never came,
 *     until requestTimeout (es9 has none: the process exited mid-await).
 *     A source that failed ends with the stock class's error (os2/os3/es7: RequestAbortedError,
 *     the node alive), where ours handed on the source's own error (the node marked dead).
 *   - failing mid-body (an error, an empty message, destroyed, an AbortError): es8/es9's
 *     UndiciConnection ends with its ConnectionError (the node marked dead, resent) or, for a
 *     stream closed early or aborted, its RequestAbortedError; ours ended with the stream's own
 *     error, the node alive. HttpConnection hands on the stream's error, as ours did already.
 *   - sent with the caller's `transfer-encoding: chunked`: ours buffers the body to sign it
 *     and sent both that header and a content-length, which RFC 9112 forbids (how requests
 *     are smuggled past a front end) and which Node's server answers 400. Now one framing.
 */
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { FAMILIES, within, type Outcome } from './families.js';
import { useLoopbackServer } from './loopback-server.js';
import type { AwsSigV4Options } from '../../../src/index.js';
import { TEST_CREDENTIALS } from '../../support/stack.js';

const SIGNING: AwsSigV4Options = { region: 'us-east-1', service: 'es', credentials: TEST_CREDENTIALS };

async function spent(): Promise<Readable> {
  const stream = Readable.from([Buffer.from('{"a":1}')]);
  for await (const chunk of stream) void chunk;
  return stream;
}

async function destroyed(error?: Error): Promise<Readable> {
  const stream = new Readable({ read() { /* never */ } });
  stream.on('error', () => undefined);
  stream.destroy(error);
  await new Promise((resolve) => setImmediate(resolve));
  return stream;
}

const SPENT: Array<[string, () => Promise<Readable>]> = [
  ['ended and read', spent],
  ['destroyed', () => destroyed()],
  ['errored before the call', () => destroyed(new Error('early'))],
];

/** A stream that sends part of its body, then fails with `failure` (or is destroyed without one). */
function failingMidBody(failure: Error | undefined): Readable {
  let sent = false;
  return new Readable({
    read() {
      if (!sent) {
        sent = true;
        this.push('{"a":');
      } else {
        setTimeout(() => this.destroy(failure), 20);
      }
    },
  });
}

const MID_BODY: Array<[string, () => Error | undefined]> = [
  ['errors', () => new Error('the source failed')],
  ['errors with an empty message', () => new Error('')],
  ['is destroyed', () => undefined],
  ['aborts (a DOMException AbortError)', () => new DOMException('The operation was aborted', 'AbortError')],
];

describe('stream bodies: already over, failing mid-body, or with the caller\'s transfer-encoding', function () {
  this.timeout(30_000);
  const server = useLoopbackServer();
  beforeEach(() => server.get().reset());

  for (const family of FAMILIES) {
    for (const [state, body] of SPENT) {
      it(`${family.name}: a stream ${state} ends at once, as with the stock class (an answer, or a failure)`, async () => {
        const outcomes: Outcome[] = [];
        for (const Connection of [family.stock, family.ours(SIGNING)]) {
          const client = family.client(Connection, server.get().url, { requestTimeout: 20_000, maxRetries: 0 });
          try {
            outcomes.push(await within(3_000, client.call({ method: 'POST', path: '/echo', body: await body(), headers: { 'content-type': 'application/json' } })));
          } finally {
            await client.close();
          }
        }
        const [stock, ours] = outcomes as [Outcome, Outcome];
        assert.equal(ours.ok, stock.ok, `stock ${JSON.stringify(stock.ok ? stock.statusCode : stock.message)}, ours ${JSON.stringify(ours.ok ? ours.statusCode : ours.message)}`);
        if (stock.ok && ours.ok) assert.deepEqual(ours.body, stock.body);
        // The same error class: the callback clients' RequestAbortedError, which keeps the node
        // alive; UndiciConnection's ConnectionError (or RequestAbortedError for a stream closed early).
        if (!stock.ok && !ours.ok) assert.equal(ours.name, stock.name, ours.message);
      });
    }

    for (const [how, failure] of MID_BODY) {
      it(`${family.name}: a stream that ${how} mid-body ends as with the stock class (error class, message, nodes marked)`, async () => {
        const nodes = [server.get().url, server.get().url.replace('127.0.0.1', 'localhost')];
        const seen: Array<{ outcome: Outcome; statuses: string[]; dead: string[] }> = [];
        for (const Connection of [family.stock, family.ours(SIGNING)]) {
          // Two nodes and one retry: a ConnectionError marks the first dead and is resent to the second.
          const client = family.client(Connection, nodes, { requestTimeout: 20_000, maxRetries: 1, ...family.resurrectingPool });
          try {
            const outcome = await within(3_000, client.call({ method: 'POST', path: '/echo', body: failingMidBody(failure()), headers: { 'content-type': 'application/json' } }));
            seen.push({ outcome, statuses: client.nodeStatuses(), dead: client.deadList() });
          } finally {
            await client.close();
          }
        }
        const [stock, ours] = seen as [typeof seen[0], typeof seen[0]];
        assert.equal(stock.outcome.ok, false);
        assert.equal(ours.outcome.ok, false, 'ours answered');
        if (stock.outcome.ok || ours.outcome.ok) return;
        assert.equal(ours.outcome.name, stock.outcome.name, ours.outcome.message);
        // es9 names the node for an empty message: "connection failed (<node URL>)".
        assert.equal(ours.outcome.message, stock.outcome.message);
        assert.deepEqual(ours.statuses, stock.statuses);
        assert.equal(ours.dead.length, stock.dead.length);
      });
    }

    it(`${family.name}: a stream body with the caller's transfer-encoding: chunked is sent with one framing, whole and signed`, async () => {
      const client = family.client(family.ours(SIGNING), server.get().url);
      try {
        const outcome = await client.call({ method: 'POST', path: '/echo', body: Readable.from(['{"a":', '1}']), headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' } });
        assert.ok(outcome.ok, outcome.ok ? '' : outcome.message);
        const seen = server.get().seen.at(-1)!;
        assert.equal(seen.body.toString(), '{"a":1}');
        assert.ok(seen.headers['transfer-encoding'] === undefined || seen.headers['content-length'] === undefined, `both framings: ${JSON.stringify(seen.headers)}`);
      } finally {
        await client.close();
      }
    });
  }
});
