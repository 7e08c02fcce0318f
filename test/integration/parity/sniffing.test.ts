/**
 * Sniffing against AWS: ours refuses the sniff request before it is sent
 * (ERR_SNIFFING_UNSUPPORTED, and a process warning once per Connection class). Every client
 * family must take that refusal as no fault of a node, whichever option started the sniff
 * (sniffOnStart, sniffOnConnectionFault, sniffInterval): every node the refusal met stays
 * alive, the sniff is made once (counted at the Connection, so a retry would show), and the
 * client's 'sniff' event carries our code. The stock class is no reference here: it would
 * send the sniff, and the callback clients would then replace the nodes with what it reported.
 */
import assert from 'node:assert/strict';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { FAMILIES, type Family, type FamilyClient } from './families.js';
import { LoopbackServer } from './loopback-server.js';
import { ConfigurationError } from '../../../src/index.js';
import type { ConnectionClass } from '../../../src/adapters/callback-connection.js';
import type { VerifyProxy } from '../../../src/testing/index.js';
import { startStub, TEST_CREDENTIALS } from '../../support/stack.js';

// The clients' default sniffEndpoint: `_nodes/_all/http` (opensearch-js, es 7) or with a leading `/` (es 8/9).
const SNIFF_PATH = /^\/?_nodes\/_all\/http$/;

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a mixin base must take any constructor arguments (TS rule for mixins)
type Requesting = abstract new (...args: any[]) => { request(params: { path: string }, ...rest: unknown[]): unknown };

/** Ours, recording the path of every request the transport (or pool) makes of it. */
function countingConnection(family: Family, paths: string[]): ConnectionClass {
  const Ours = family.ours({ region: 'us-east-1', service: 'es', credentials: TEST_CREDENTIALS }) as unknown as Requesting;
  abstract class Counting extends Ours {
    override request(params: { path: string }, ...rest: unknown[]): unknown {
      paths.push(params.path);
      return super.request(params, ...rest);
    }
  }
  return Counting as unknown as ConnectionClass;
}

/** The refusal as the 'sniff' event gives it: ours, typed, saying the fix. */
function assertOurRefusal(error: unknown): void {
  const e = error as { name?: string; code?: unknown; cause?: unknown; message?: string } | null;
  assert.equal(e?.code, 'ERR_SNIFFING_UNSUPPORTED', `the sniff ended with ${String(error)}`);
  assert.match(String(e?.message), /sniffOnStart: false, sniffInterval: false and sniffOnConnectionFault: false/);
  // @elastic/transport hands on our ConfigurationError itself; the callback clients their own
  // RequestAbortedError (the error they take as no fault of the node), ours as its cause.
  if (!(error instanceof ConfigurationError)) {
    assert.equal(e?.name, 'RequestAbortedError');
    assert.ok(e?.cause instanceof ConfigurationError && e.cause.code === 'ERR_SNIFFING_UNSUPPORTED', 'the ConfigurationError is its cause');
  }
}

/** Resolves once `count()` reaches `n`, or fails after `ms`. */
async function until(what: string, count: () => number, n: number, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (count() < n) {
    if (Date.now() > deadline) assert.fail(`${what}: ${count()} of ${n} within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

interface Watched {
  client: FamilyClient;
  /** Every path our Connection was asked for. */
  paths: string[];
  sniffs: unknown[];
  sniffRequests(): number;
}

describe('parity: sniffing refused by ours, every node alive, the sniff made once', function () {
  this.timeout(20_000);
  let target: LoopbackServer;
  let stubs: VerifyProxy[] = [];
  // A node whose every connection is dropped at once: a connection fault on each request.
  let faulty: Server;
  let faultyUrl: string;
  const warnings: string[] = [];
  const onWarning = (warning: Error & { code?: string }) => {
    if (warning.code === 'AWS_SIGV4_SNIFFING') warnings.push(warning.message);
  };
  before(async () => {
    // The stubs pass requests on to a server that answers as Elasticsearch does (es 8/9 check the product header).
    target = await LoopbackServer.start();
    stubs = await Promise.all([0, 1].map(() => startStub({ target: target.url })));
    faulty = createServer((socket: Socket) => socket.destroy());
    await new Promise<void>((resolve) => faulty.listen(0, '127.0.0.1', resolve));
    faultyUrl = `http://127.0.0.1:${(faulty.address() as AddressInfo).port}`;
    process.on('warning', onWarning);
  });
  after(async () => {
    process.off('warning', onWarning);
    await Promise.all(stubs.map((s) => s.close()));
    await target?.close();
    await new Promise((resolve) => faulty?.close(resolve));
  });
  beforeEach(() => {
    stubs.forEach((s) => s.reset());
    warnings.length = 0;
  });

  function watched(family: Family, nodes: string[], options: Record<string, unknown>): Watched {
    const paths: string[] = [];
    // maxRetries 3: a refusal taken for a node fault would be resent, and counted.
    const client = family.client(countingConnection(family, paths), nodes, { ...family.resurrectingPool, maxRetries: 3, ...options });
    const sniffs: unknown[] = [];
    client.onSniff((error) => sniffs.push(error));
    return { client, paths, sniffs, sniffRequests: () => paths.filter((p) => SNIFF_PATH.test(p)).length };
  }

  const reached = () => stubs.reduce((n, s) => n + s.records.length, 0);

  for (const family of FAMILIES) {
    describe(family.name, () => {
      it('sniffOnStart with two nodes: both alive after start, one sniff, unsent, its event typed', async () => {
        const { client, sniffs, sniffRequests } = watched(family, stubs.map((s) => s.url), { sniffOnStart: true });
        try {
          await until('sniff events', () => sniffs.length, 1);
          assert.equal(sniffRequests(), 1, 'the sniff is not resent');
          assert.deepEqual(client.deadList(), []);
          assert.deepEqual(client.nodeStatuses(), ['alive', 'alive']);
          assert.equal(reached(), 0, 'nothing was sent');
          assertOurRefusal(sniffs[0]);
          // The configured nodes are still used.
          const answer = await client.call({ method: 'GET', path: '/echo' });
          assert.equal(answer.ok, true, answer.ok ? '' : `${answer.name}: ${answer.message}`);
          assert.equal(reached(), 1);
          assert.equal(sniffs.length, 1, 'no sniff after it');
          assert.equal(warnings.length, 1, 'one warning');
        } finally {
          await client.close();
        }
      });

      it('sniffOnConnectionFault: only the faulty node dead, one sniff, its event typed, the request answered by the other', async () => {
        const { client, sniffs, sniffRequests } = watched(family, [faultyUrl, stubs[0]!.url], { sniffOnConnectionFault: true });
        try {
          // Round robin: one of the two requests meets the faulty node first, and is resent to the other.
          for (let i = 0; i < 2; i++) {
            const answer = await client.call({ method: 'GET', path: '/echo' });
            assert.equal(answer.ok, true, answer.ok ? '' : `${answer.name}: ${answer.message}`);
          }
          await until('sniff events', () => sniffs.length, 1);
          assert.equal(sniffRequests(), 1, 'the sniff is not resent');
          assert.deepEqual(client.nodeStatuses(), ['dead', 'alive']);
          assert.equal(client.deadList().length, 1);
          assert.equal(reached(), 2, 'both requests answered through the healthy node');
          assertOurRefusal(sniffs[0]);
          assert.equal(warnings.length, 1, 'one warning');
        } finally {
          await client.close();
        }
      });

      it('sniffInterval: each due sniff made once, its event typed, every request answered, nodes alive, one warning', async () => {
        const { client, sniffs, sniffRequests } = watched(family, stubs.map((s) => s.url), { sniffInterval: 40 });
        try {
          for (let i = 0; i < 3; i++) {
            await new Promise((resolve) => setTimeout(resolve, 60));
            const answer = await client.call({ method: 'GET', path: '/echo' });
            assert.equal(answer.ok, true, answer.ok ? '' : `${answer.name}: ${answer.message}`);
          }
          await until('a sniff event for each sniff', () => sniffs.length, Math.max(1, sniffRequests()));
          assert.ok(sniffs.length >= 2, `a sniff falls due more than once (${sniffs.length})`);
          assert.equal(sniffRequests(), sniffs.length, 'each sniff asked of the Connection once');
          sniffs.forEach(assertOurRefusal);
          assert.deepEqual(client.deadList(), []);
          assert.deepEqual(client.nodeStatuses(), ['alive', 'alive']);
          assert.equal(reached(), 3);
          assert.equal(warnings.length, 1, 'one warning, however many sniffs');
        } finally {
          await client.close();
        }
      });
    });
  }
});
