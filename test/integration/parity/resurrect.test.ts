/**
 * A dead node comes back through the Connection: the pool's resurrection ping (HEAD /) calls
 * `connection.request` directly, past the transport, so it is signed by ours and marks the node
 * alive as the stock class's ping does. The pools find connections by id and reach `agent` and
 * `pool` by name only (close(), update()), which stay the base class's though not enumerable.
 */
import assert from 'node:assert/strict';
import { FAMILIES, type Family } from './families.js';
import { LoopbackServer } from './loopback-server.js';
import type { AwsSigV4Options } from '../../../src/index.js';

const SIGNING: AwsSigV4Options = {
  region: 'us-east-1', service: 'es',
  credentials: { accessKeyId: 'AKIDRESURRECT0000001', secretAccessKey: 'resurrect/Secret+0123456789abcdefghijklm' },
};

interface Run { afterReset: string[]; afterPing: string[]; pings: Array<string | undefined>; answered: boolean }

describe('parity: a dead node resurrected by the pool\'s ping through the Connection', function () {
  this.timeout(20_000);
  let server: LoopbackServer;
  before(async () => { server = await LoopbackServer.start(); });
  after(() => server.close());

  async function run(family: Family, side: 'stock' | 'ours'): Promise<Run> {
    server.reset();
    const Connection = side === 'stock' ? family.stock : family.ours(SIGNING);
    const client = family.client(Connection, server.url, { ...family.resurrectingPool, resurrectStrategy: 'ping' });
    try {
      await client.call({ method: 'GET', path: '/reset' });
      const afterReset = client.nodeStatuses();
      client.expireDeadNodes();
      // The next request starts the ping (it goes out on the node in any case: the only one).
      const answer = await client.call({ method: 'GET', path: '/echo' });
      for (let i = 0; i < 50 && client.nodeStatuses().includes('dead'); i++) await new Promise((resolve) => setTimeout(resolve, 20));
      const pings = server.seen.filter((s) => s.method === 'HEAD' && s.path === '/').map((s) => s.headers.authorization as string | undefined);
      return { afterReset, afterPing: client.nodeStatuses(), pings, answered: answer.ok };
    } finally {
      await client.close();
    }
  }

  for (const family of FAMILIES) {
    it(family.name, async () => {
      const stock = await run(family, 'stock');
      const ours = await run(family, 'ours');
      assert.deepEqual(stock.afterReset, ['dead'], 'the reset marks the node dead');
      assert.deepEqual(ours.afterReset, stock.afterReset);
      assert.equal(stock.pings.length, 1, 'the stock pool pings once');
      assert.equal(ours.pings.length, stock.pings.length);
      assert.match(ours.pings[0] ?? '', /^AWS4-HMAC-SHA256 Credential=AKIDRESURRECT0000001\//, 'our ping is signed');
      assert.deepEqual(ours.afterPing, stock.afterPing);
      assert.deepEqual(stock.afterPing, ['alive']);
      assert.equal(ours.answered, stock.answered);
    });
  }
});
