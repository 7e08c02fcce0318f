/**
 * A client's error, printed or copied at any depth, holds none of what we signed with.
 *
 * The base classes' agents and pools keep each socket's last request head as sent, and
 * @elastic/transport's default error redaction copies the connection into `err.meta` with
 * Object.entries at every depth: without care, `util.inspect(err, { depth: Infinity })` and
 * any logger that walks an error print the session token and the signature. Every family is
 * run with a kept-alive socket and a second request in flight when the error is read.
 */
import assert from 'node:assert/strict';
import { FAMILIES, type Outcome } from './families.js';
import { LoopbackServer } from './loopback-server.js';
import type { AwsSigV4Options } from '../../../src/index.js';
import { assertNothingOfOurs, printedForms } from '../../support/assertions.js';

const CREDENTIALS = {
  accessKeyId: 'AKIDDEPTH00000000001',
  secretAccessKey: 'depth/Secret+0123456789abcdefghijklmnopq',
  sessionToken: 'DepthSessionToken/0123456789+abcdefghijklmnopqrstuvwxyzABCDEFGH==',
};
const SIGNING: AwsSigV4Options = { region: 'us-east-1', service: 'es', credentials: CREDENTIALS };

function assertClean(where: string, text: string): void {
  assertNothingOfOurs(where, text, CREDENTIALS.sessionToken, CREDENTIALS.secretAccessKey);
}

describe('parity: a client error printed at any depth holds no token or signature', function () {
  this.timeout(30_000);
  let server: LoopbackServer;
  before(async () => { server = await LoopbackServer.start(); });
  after(() => server.close());

  for (const family of FAMILIES) {
    for (const failure of ['connection reset', 'timeout'] as const) {
      it(`${family.name}: ${failure}`, async () => {
        const client = family.client(family.ours(SIGNING), server.url);
        try {
          // A kept-alive socket whose last request head was signed.
          const warm = await client.call({ method: 'GET', path: '/' });
          assert.equal(warm.ok, true, 'the warm-up request succeeds');
          const inFlight = client.call({ method: 'GET', path: '/?delay=600' });
          const failed: Outcome = failure === 'timeout'
            ? await client.call({ method: 'GET', path: '/?delay=3000', requestTimeout: 200 })
            : await client.call({ method: 'GET', path: '/reset' });
          assert.equal(failed.ok, false, 'the call fails');
          assertClean(`${family.name} ${failure}`, printedForms((failed as { error: unknown }).error));
          await inFlight;
        } finally {
          await client.close();
        }
      });
    }
  }

  it('the base class still reaches its agent by name', async () => {
    const family = FAMILIES.find((f) => f.name === 'es9 HttpConnection')!;
    const Connection = family.ours(SIGNING) as unknown as new (options: object) => { agent?: { destroy(): void }; close(): Promise<void> };
    const connection = new Connection({ url: new URL(server.url) });
    assert.equal(typeof connection.agent?.destroy, 'function');
    assert.equal(Object.keys(connection).includes('agent'), false);
    await connection.close();
  });
});
