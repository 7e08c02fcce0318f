/**
 * requestTimeout counts from the call, as with the stock class, however long ours waited
 * before sending (credentials fetched on a cold cache). Before: the stock class's own timer
 * started only when ours sent, with the whole timeout, so a 600 ms timeout after a 300 ms
 * credential fetch fired at about 900 ms.
 */
import assert from 'node:assert/strict';
import { FAMILIES, type Outcome } from './families.js';
import { useLoopbackServer } from './loopback-server.js';
import type { AwsSigV4Options } from '../../../src/index.js';
import { TEST_CREDENTIALS } from '../../support/stack.js';

const TIMEOUT_MS = 600;
const PROVIDER_MS = 300;

describe('requestTimeout after a wait for credentials: counted from the call, as stock', function () {
  this.timeout(30_000);
  const server = useLoopbackServer();
  afterEach(() => server.get().dropConnections());

  for (const family of FAMILIES) {
    it(`${family.name}: a target slower than the timeout ends with the timeout error near ${TIMEOUT_MS} ms, not ${TIMEOUT_MS + PROVIDER_MS}`, async () => {
      const timed: Array<{ ms: number; outcome: Outcome }> = [];
      const slowProvider: AwsSigV4Options = {
        region: 'us-east-1', service: 'es',
        credentials: () => new Promise((resolve) => setTimeout(() => resolve(TEST_CREDENTIALS), PROVIDER_MS)),
      };
      for (const Connection of [family.stock, family.ours(slowProvider)]) {
        const client = family.client(Connection, server.get().url, { maxRetries: 0 });
        try {
          const started = Date.now();
          const outcome = await client.call({ method: 'GET', path: '/echo?delay=3000', requestTimeout: TIMEOUT_MS });
          timed.push({ ms: Date.now() - started, outcome });
        } finally {
          await client.close();
        }
      }
      const [stock, ours] = timed as [{ ms: number; outcome: Outcome }, { ms: number; outcome: Outcome }];
      assert.equal(ours.outcome.ok, false);
      assert.equal(stock.outcome.ok, false);
      if (!ours.outcome.ok && !stock.outcome.ok) assert.equal(ours.outcome.name, stock.outcome.name, ours.outcome.message);
      // Timers are not exact on a busy machine: the gap to stock is well under the provider's wait.
      assert.ok(ours.ms < stock.ms + PROVIDER_MS * 0.6, `ours ${ours.ms} ms, stock ${stock.ms} ms`);
    });
  }
});
