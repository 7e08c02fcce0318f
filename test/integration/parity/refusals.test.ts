/**
 * A refusal no retry can fix, at the scale where treating it as a dead node hurts: a client
 * of three nodes, every request signed for the wrong region against the verifying stub.
 * Each request must reach AWS (the stub) once, come back as the client's own 403
 * ResponseError carrying our classification, and leave every node alive.
 *
 * And, at the Connection itself: what the stock class does with a header whose value is
 * `undefined` (refuses it, or sends without it), ours does; and the callback Connections'
 * synchronous path (cached credentials, bytes in memory) stays synchronous.
 */
import assert from 'node:assert/strict';
import { ClientRequest } from 'node:http';
import { FAMILIES, type Family } from './families.js';
import { LoopbackServer } from './loopback-server.js';
import { signatureRejectionOf } from '../../../src/index.js';
import type { VerifyProxy } from '../../../src/testing/index.js';
import { startStub, TEST_CREDENTIALS } from '../../support/stack.js';

const REQUESTS = 6;

describe('a three-node client whose every request is refused (wrong region)', function () {
  this.timeout(20_000);
  let stubs: VerifyProxy[] = [];
  before(async () => {
    stubs = await Promise.all([0, 1, 2].map(() => startStub({ region: 'eu-west-1' })));
  });
  after(async () => {
    await Promise.all(stubs.map((s) => s.close()));
  });
  beforeEach(() => stubs.forEach((s) => s.reset()));

  for (const family of FAMILIES) {
    it(`${family.name}: once per request, typed, every node alive`, async () => {
      const Connection = family.ours({ region: 'us-east-1', service: 'es', credentials: TEST_CREDENTIALS });
      const client = family.client(Connection, stubs.map((s) => s.url), { maxRetries: 3 });
      try {
        for (let i = 0; i < REQUESTS; i++) {
          const outcome = await client.call({ method: 'GET', path: '/logs/_search' });
          assert.equal(outcome.ok, false);
          if (outcome.ok) continue;
          assert.equal(outcome.name, 'ResponseError', outcome.message);
          assert.equal(outcome.statusCode, 403);
          const rejection = signatureRejectionOf(outcome.error);
          assert.equal(rejection?.kind, 'scope-mismatch');
          assert.equal(rejection?.code, 'ERR_SCOPE_MISMATCH');
        }
        assert.equal(stubs.reduce((n, s) => n + s.records.length, 0), REQUESTS, 'each request sent once');
        assert.deepEqual(client.nodeStatuses(), ['alive', 'alive', 'alive']);
      } finally {
        await client.close();
      }
    });
  }
});

type Result = { threw: string } | { error: string } | { status: number; sent: boolean };

/** One request at the Connection, as the transport makes it, with `x-undefined: undefined`. */
async function undefinedHeader(family: Family, Connection: Family['stock'], server: LoopbackServer): Promise<Result> {
  server.reset();
  const connection = new (Connection as unknown as new (o: object) => {
    request(params: object, second: unknown): unknown;
    close(): unknown;
  })({ url: new URL(server.url) });
  const params = { method: 'GET', path: '/echo', headers: { 'x-undefined': undefined } };
  const sent = () => server.seen.some((s) => 'x-undefined' in s.headers);
  try {
    if (family.tlsOption === 'ssl') {
      return await new Promise<Result>((resolve) => {
        connection.request(params, (error: Error | null, response: { statusCode: number; resume(): void } | null) => {
          if (error) return resolve({ error: error.name });
          response!.resume();
          resolve({ status: response!.statusCode, sent: sent() });
        });
      });
    }
    const response = await (connection.request(params, {}) as Promise<{ statusCode: number }>);
    return { status: response.statusCode, sent: sent() };
  } catch (error) {
    const e = error as { name?: string; code?: string };
    return { threw: `${e.name}:${e.code ?? ''}` };
  } finally {
    await connection.close();
  }
}

describe('a header whose value is undefined: as the stock Connection does', function () {
  let server: LoopbackServer;
  before(async () => { server = await LoopbackServer.start(); });
  after(async () => { await server?.close(); });

  for (const family of FAMILIES) {
    it(family.name, async () => {
      const stock = await undefinedHeader(family, family.stock, server);
      const ours = await undefinedHeader(family, family.ours({ region: 'us-east-1', service: 'es', credentials: TEST_CREDENTIALS }), server);
      assert.deepEqual(ours, stock);
    });
  }
});

describe('the callback Connections send synchronously when nothing has to be waited for', function () {
  let server: LoopbackServer;
  before(async () => { server = await LoopbackServer.start(); });
  after(async () => { await server?.close(); });

  for (const family of FAMILIES.filter((f) => f.tlsOption === 'ssl')) {
    it(`${family.name}: cached credentials and a string body give the real ClientRequest; a cold cache a stand-in`, async () => {
      const Connection = family.ours({ region: 'us-east-1', service: 'es', credentials: async () => TEST_CREDENTIALS });
      const connection = new (Connection as unknown as new (o: object) => {
        request(params: object, cb: (e: Error | null, r: { statusCode: number; resume(): void } | null) => void): object;
        close(): unknown;
      })({ url: new URL(server.url) });
      const send = () => {
        let request: object | undefined;
        const done = new Promise<number>((resolve, reject) => {
          request = connection.request({ method: 'POST', path: '/echo', body: '{"a":1}', headers: {} }, (error, response) => {
            if (error) return reject(error);
            response!.resume();
            resolve(response!.statusCode);
          });
        });
        return { request: request!, done };
      };
      const cold = send();
      assert.ok(!(cold.request instanceof ClientRequest), 'a stand-in while credentials are fetched');
      assert.equal(await cold.done, 200);
      const warm = send();
      assert.ok(warm.request instanceof ClientRequest, 'the request itself, already sent');
      assert.equal(await warm.done, 200);
      await connection.close();
    });
  }
});
