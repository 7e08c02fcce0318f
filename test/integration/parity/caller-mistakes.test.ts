/**
 * A request we refuse to sign (a header value no stack sends, a method that is none, a body we
 * cannot read) is the caller's mistake, not a node's fault: no other node would take it. The
 * stock Connections throw such mistakes at once and mark no node. Ours handed os2/os3/es7 our
 * ConfigurationError, which their transports take for a connection fault: the node marked
 * dead and the request resent up to maxRetries, so one bad header left a three-node pool dead.
 * Now it reaches the caller once, as the client's RequestAbortedError (the one error those
 * transports pass straight back) that is also `instanceof ConfigurationError`, with our code.
 */
import assert from 'node:assert/strict';
import { FAMILIES } from './families.js';
import { LoopbackServer } from './loopback-server.js';
import { ConfigurationError, type AwsSigV4Options } from '../../../src/index.js';
import { TEST_CREDENTIALS } from '../../support/stack.js';

const SIGNING: AwsSigV4Options = { region: 'us-east-1', service: 'es', credentials: TEST_CREDENTIALS };

const MISTAKES: Array<[string, { method: string; headers?: Record<string, unknown> }, string]> = [
  ['a header value beyond ASCII', { method: 'GET', headers: { 'x-note': 'caf\u00e9' } }, 'ERR_INVALID_HEADERS'],
  ['a header value with a control character', { method: 'GET', headers: { 'x-note': 'a\u0001b' } }, 'ERR_INVALID_HEADERS'],
];

describe('a request we refuse to sign: reaches the caller once, typed, and marks no node dead', function () {
  this.timeout(30_000);
  const servers: LoopbackServer[] = [];
  before(async () => { for (let i = 0; i < 3; i++) servers.push(await LoopbackServer.start()); });
  after(async () => { for (const server of servers) await server.close(); });

  for (const family of FAMILIES) {
    for (const [what, call, code] of MISTAKES) {
      it(`${family.name}: ${what}`, async () => {
        const client = family.client(family.ours(SIGNING), servers.map((s) => s.url), { maxRetries: 3 });
        try {
          const outcome = await client.call({ ...call, path: '/echo' });
          assert.equal(outcome.ok, false, 'sent');
          if (outcome.ok) return;
          assert.ok(outcome.error instanceof ConfigurationError, `${outcome.name}: ${outcome.message}`);
          assert.equal((outcome.error as ConfigurationError).code, code);
          assert.deepEqual(client.nodeStatuses(), ['alive', 'alive', 'alive'], 'a node marked dead for the caller\'s mistake');
          assert.equal(servers.reduce((n, s) => n + s.seen.length, 0), 0, 'a request reached a node');
        } finally {
          await client.close();
        }
      });
    }
  }
});
