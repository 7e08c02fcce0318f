/**
 * An error answer past its bound (read whole to be scrubbed: maxBufferedBodyBytes, never below 1 MiB):
 * the request is not sent again and no node is marked dead for it, where the stock class,
 * which reads it unbounded, would have handed it on.
 *
 * The callback clients (os2, os3, es7) take any error from a Connection but a
 * RequestAbortedError for a dead node and resend the request up to maxRetries: there the answer
 * goes on as the target's status and headers with a note naming ERR_RESPONSE_TOO_LARGE, so the
 * client's retries and node marking are what they are with the stock class for that status.
 * @elastic/transport (8.x, 9.x) hands a thrown error to the user once: there it is thrown, typed.
 */
import assert from 'node:assert/strict';
import { FAMILIES, type Family, type Outcome } from './families.js';
import { LoopbackServer } from './loopback-server.js';
import { ConfigurationError, type AwsSigV4Options } from '../../../src/index.js';

const SIGNING: AwsSigV4Options = {
  region: 'us-east-1', service: 'es', maxBufferedBodyBytes: 1024,
  credentials: { accessKeyId: 'AKIDBOUND00000000001', secretAccessKey: 'bound/Secret+0123456789abcdefghijklmnopq' },
};

interface Run { outcome: Outcome; hits: number; nodes: string[] }

describe('parity: an error answer past its bound', function () {
  this.timeout(20_000);
  let server: LoopbackServer;
  before(async () => { server = await LoopbackServer.start(); });
  after(() => server.close());

  async function run(family: Family, side: 'stock' | 'ours', path: string, asStream: boolean): Promise<Run> {
    server.reset();
    const client = family.client(side === 'stock' ? family.stock : family.ours(SIGNING), server.url, { maxRetries: 3 });
    try {
      const outcome = await client.call({ method: 'POST', path, body: { a: 1 }, asStream });
      return { outcome, hits: server.hits('/error'), nodes: client.nodeStatuses() };
    } finally {
      await client.close();
    }
  }

  for (const family of FAMILIES) {
    const callback = family.tlsOption === 'ssl';
    for (const status of [500, 503]) {
      for (const asStream of [false, true]) {
        // Past the 1 MiB floor of the error answers' bound, whatever the 1 KiB request-body limit.
        const path = `/error?size=${2 * 1024 * 1024}&status=${status}`;
        it(`${family.name}: a ${status}${asStream ? ' with asStream' : ''}`, async () => {
          const ours = await run(family, 'ours', path, asStream);
          if (callback) {
            const stock = await run(family, 'stock', path, asStream);
            assert.equal(ours.hits, stock.hits, 'sent as often as with the stock class');
            assert.deepEqual(ours.nodes, stock.nodes, 'the node marked as with the stock class');
            const { outcome } = ours;
            assert.equal(outcome.ok ? 'response' : outcome.name, stock.outcome.ok ? 'response' : stock.outcome.name);
            const note = outcome.ok ? JSON.parse(String(outcome.body)) : (outcome.error as { meta: { body: unknown } }).meta.body;
            assert.equal((note as { code: string }).code, 'ERR_RESPONSE_TOO_LARGE');
            assert.equal(outcome.statusCode, status);
          } else {
            assert.equal(ours.hits, 1, 'sent once');
            assert.deepEqual(ours.nodes, ['alive']);
            assert.equal(ours.outcome.ok, false);
            const error = (ours.outcome as { error: unknown }).error;
            assert.ok(error instanceof ConfigurationError && error.code === 'ERR_RESPONSE_TOO_LARGE', String(error));
          }
        });
      }
    }
  }
});
