/**
 * requestTimeout is the stock classes' idle timeout: node:http's socket timeout, undici's
 * headers and body timeouts, each counting a silence, never the whole request. A stream
 * body that keeps coming for longer than the timeout is sent (found running opensearch-js's
 * own connection tests against ours, and a probe beside them).
 *
 * Ours waits where stock does not (credentials on a cold cache, a stream body read whole to
 * be hashed), and each of those waits is bounded the same way: the credential fetch by the
 * timeout, the body by the timeout between two chunks. The stock class then gets the whole
 * timeout when it sends. Before, the timeout counted from the call: a body that took longer
 * than the timeout to stream failed where stock sent it, and a target answering within the
 * timeout after a credential fetch failed where stock (with nothing to fetch) got its answer.
 */
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { FAMILIES, type Family, type Outcome } from './families.js';
import { useLoopbackServer } from './loopback-server.js';
import type { AwsSigV4Options } from '../../../src/index.js';
import { TEST_CREDENTIALS } from '../../support/stack.js';

const TIMEOUT_MS = 450;
const PROVIDER_MS = 250;

const slowProvider = (ms: number): AwsSigV4Options => ({
  region: 'us-east-1', service: 'es',
  credentials: () => new Promise((resolve) => setTimeout(() => resolve(TEST_CREDENTIALS), ms)),
});
const STATIC: AwsSigV4Options = { region: 'us-east-1', service: 'es', credentials: TEST_CREDENTIALS };

/** `count` chunks of a JSON body, `gapMs` apart: a body that keeps coming. */
function trickle(count: number, gapMs: number): Readable {
  let sent = 0;
  return new Readable({
    read() {
      setTimeout(() => {
        sent++;
        this.push(sent === 1 ? '{"n":"' : sent < count ? 'x' : 'x"}');
        if (sent === count) this.push(null);
      }, gapMs);
    },
  });
}

describe('requestTimeout as the stock classes count it: a silence, each of our waits bounded by it', function () {
  this.timeout(60_000);
  const server = useLoopbackServer();
  afterEach(() => server.get().dropConnections());

  async function timed(family: Family, Connection: Parameters<Family['client']>[0], path: string, body?: () => unknown): Promise<{ ms: number; outcome: Outcome }> {
    const client = family.client(Connection, server.get().url, { maxRetries: 0 });
    try {
      const started = Date.now();
      const outcome = await client.call({ method: body ? 'POST' : 'GET', path, body: body?.(), requestTimeout: TIMEOUT_MS });
      return { ms: Date.now() - started, outcome };
    } finally {
      await client.close();
    }
  }

  const okOrWhy = (o: Outcome): string => (o.ok ? `ok ${o.statusCode}` : `${o.name}: ${o.message}`);

  for (const family of FAMILIES) {
    describe(family.name, () => {
      it(`a target answering within the timeout after a ${PROVIDER_MS} ms credential fetch: answered, as stock is without one`, async () => {
        const path = `/echo?delay=${TIMEOUT_MS - 150}`;
        const stock = await timed(family, family.stock, path);
        const ours = await timed(family, family.ours(slowProvider(PROVIDER_MS)), path);
        assert.equal(okOrWhy(stock.outcome), 'ok 200');
        assert.equal(okOrWhy(ours.outcome), 'ok 200');
      });

      it('a silent target: the same timeout error, no sooner than the timeout and no later than the fetch and the timeout', async () => {
        const stock = await timed(family, family.stock, '/echo?delay=3000');
        const ours = await timed(family, family.ours(slowProvider(PROVIDER_MS)), '/echo?delay=3000');
        assert.equal(stock.outcome.ok, false);
        assert.equal(ours.outcome.ok, false);
        if (!ours.outcome.ok && !stock.outcome.ok) assert.equal(ours.outcome.name, stock.outcome.name, ours.outcome.message);
        // Timers are not exact on a busy machine.
        assert.ok(ours.ms >= TIMEOUT_MS * 0.9, `ours ${ours.ms} ms`);
        assert.ok(ours.ms < stock.ms + PROVIDER_MS + 300, `ours ${ours.ms} ms, stock ${stock.ms} ms`);
      });

      it('a stream body that keeps coming for twice the timeout: the same outcome as stock', async () => {
        const body = () => trickle(8, TIMEOUT_MS / 4);
        const stock = await timed(family, family.stock, '/echo', body);
        const ours = await timed(family, family.ours(STATIC), '/echo', body);
        assert.equal(okOrWhy(ours.outcome).split(':')[0], okOrWhy(stock.outcome).split(':')[0], `stock: ${okOrWhy(stock.outcome)}; ours: ${okOrWhy(ours.outcome)}`);
        if (ours.outcome.ok) assert.match(JSON.stringify(ours.outcome.body), /"length":15\b/);
      });

      it('a stream body silent for longer than the timeout: the same outcome as stock', async () => {
        const body = () => trickle(2, TIMEOUT_MS * 2);
        const stock = await timed(family, family.stock, '/echo', body);
        const ours = await timed(family, family.ours(STATIC), '/echo', body);
        assert.equal(okOrWhy(ours.outcome).split(':')[0], okOrWhy(stock.outcome).split(':')[0], `stock: ${okOrWhy(stock.outcome)}; ours: ${okOrWhy(ours.outcome)}`);
      });

      it('a credential fetch longer than the timeout: the timeout error stock gives a silent target, near the timeout', async () => {
        const stock = await timed(family, family.stock, '/echo?delay=3000');
        const ours = await timed(family, family.ours(slowProvider(TIMEOUT_MS * 3)), '/echo');
        assert.equal(ours.outcome.ok, false);
        if (!ours.outcome.ok && !stock.outcome.ok) assert.equal(ours.outcome.name, stock.outcome.name, ours.outcome.message);
        assert.ok(ours.ms >= TIMEOUT_MS * 0.9 && ours.ms < TIMEOUT_MS * 2, `ours ${ours.ms} ms`);
      });
    });
  }
});
