/**
 * client.close() while a request is open. The stock classes wait for their open requests
 * (os2/os3/es7 and HttpConnection poll `_openRequests` every second; UndiciConnection's
 * pool.close() waits for the pool's): the request in flight is answered, then close settles.
 * Ours holds a request waiting on credentials where the stock class cannot see it, so close
 * went ahead: UndiciConnection's request then met a destroyed pool (ConnectionError "The
 * client is destroyed"), and the http ones closed at once while the request was still to be
 * sent (on a new socket of the destroyed agent). Stock is run with a slow server, the nearest
 * it has to a wait before sending; ours with a slow credential provider.
 */
import assert from 'node:assert/strict';
import { FAMILIES, within, type Outcome } from './families.js';
import { useLoopbackServer } from './loopback-server.js';
import type { AwsSigV4Options } from '../../../src/index.js';
import { TEST_CREDENTIALS } from '../../support/stack.js';

const WAIT_MS = 300;
const CLOSE_AFTER_MS = 50;

describe('client.close() while a request waits (stock: in flight; ours: on credentials): the request is answered, then close settles', function () {
  this.timeout(30_000);
  const server = useLoopbackServer();
  beforeEach(() => server.get().reset());

  for (const family of FAMILIES) {
    it(family.name, async () => {
      const slowCredentials: AwsSigV4Options = {
        region: 'us-east-1', service: 'es',
        credentials: () => new Promise((resolve) => setTimeout(() => resolve(TEST_CREDENTIALS), WAIT_MS)),
      };
      const runs: Array<{ outcome: Outcome; answeredAtClose: number }> = [];
      for (const [Connection, path] of [[family.stock, `/echo?delay=${WAIT_MS}`], [family.ours(slowCredentials), '/echo']] as const) {
        server.get().reset();
        const client = family.client(Connection, server.get().url, { requestTimeout: 10_000 });
        const call = client.call({ method: 'GET', path });
        await new Promise((resolve) => setTimeout(resolve, CLOSE_AFTER_MS));
        // What the server had received and answered when close settled: the stock class's request is in flight when close is called.
        let answeredAtClose = -1;
        const closed = client.close().then(() => { answeredAtClose = server.get().hits('/echo'); });
        const outcome = await within(5_000, call);
        await within(5_000, closed);
        runs.push({ outcome, answeredAtClose });
      }
      const [stock, ours] = runs as [typeof runs[0], typeof runs[0]];
      assert.ok(stock.outcome.ok, 'stock answered');
      assert.ok(ours.outcome.ok, ours.outcome.ok ? '' : `ours: ${ours.outcome.name}: ${ours.outcome.message}`);
      assert.deepEqual(ours.outcome.body, stock.outcome.body);
      assert.equal(stock.answeredAtClose, 1);
      assert.equal(ours.answeredAtClose, stock.answeredAtClose, 'close settled before the request waiting on credentials was sent');
    });

    it(`${family.name}: a request in flight counts once in the connection's _openRequests, as stock's`, async () => {
      const counts: Array<Array<number | undefined>> = [];
      for (const Connection of [family.stock, family.ours({ region: 'us-east-1', service: 'es', credentials: TEST_CREDENTIALS })]) {
        const client = family.client(Connection, server.get().url);
        try {
          const call = client.call({ method: 'GET', path: `/echo?delay=${WAIT_MS}` });
          await new Promise((resolve) => setTimeout(resolve, WAIT_MS / 2));
          const during = client.openRequests()[0];
          assert.ok((await call).ok);
          counts.push([during, client.openRequests()[0]]);
        } finally {
          await client.close();
        }
      }
      assert.deepEqual(counts[1], counts[0], `stock [in flight, after] ${counts[0]}, ours ${counts[1]}`);
    });
  }
});
