/**
 * The signing proxy meets a kept-alive upstream socket the target closes just as a request
 * reuses it (made to happen every time: the target reads the second request of a connection
 * and drops it unanswered). Sent again only when running it twice is safe (src/proxy/resend-policy.ts);
 * anything else gets a 502 saying so, the target having seen it once. And the race made rare:
 * an idle upstream socket is closed by the proxy before the target's idle timeout.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { SigningProxy } from '../../src/proxy/signing-proxy.js';
import { droppingTarget } from '../support/dropping-target.js';

const CREDENTIALS = { accessKeyId: 'AKIDRESENDTEST000001', secretAccessKey: 'resend/Test+Secret/0123456789abcdefghijk' };

interface Answer { status: number; body: string }

function call(port: number, method: string, path: string, body?: string, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path, agent: false, headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers } }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => { text += d.toString(); });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.setTimeout(5000, () => req.destroy(new Error('no answer within 5 s')));
    req.on('error', reject);
    req.end(body);
  });
}

describe('signing proxy: a request that met a stale kept-alive socket is resent only when safe to repeat', function () {
  this.timeout(15_000);
  let target: Awaited<ReturnType<typeof droppingTarget>>;

  before(async () => { target = await droppingTarget(); });
  after(() => target.close());

  /**
   * A proxy of its own (a pool of its own) whose one upstream socket is kept alive by a first
   * GET, so that `method path` reuses it and is dropped: what the target saw of it, and the answer.
   */
  async function afterWarmSocket(method: string, path: string, body?: string, headers?: Record<string, string>): Promise<{ answer: Answer; sent: number; metrics: string }> {
    const proxy = await SigningProxy.start({ target: target.url, signing: { region: 'us-east-1', service: 'es', credentials: CREDENTIALS }, metricsPath: '/metrics' });
    try {
      assert.equal((await call(proxy.port, 'GET', '/warm')).status, 200);
      const from = target.seen().length;
      const answer = await call(proxy.port, method, path, body, headers);
      const sent = target.seen().slice(from).filter((line) => line === `${method} ${path}`).length;
      return { answer, sent, metrics: (await call(proxy.port, 'GET', '/metrics')).body };
    } finally {
      await proxy.close();
    }
  }

  it('GET /logs/_search (idempotent): sent once more on a new socket, answered 200', async () => {
    const { answer, sent, metrics } = await afterWarmSocket('GET', '/logs/_search');
    assert.equal(answer.status, 200, answer.body);
    assert.equal(sent, 2);
    assert.match(metrics, /^aws_sigv4_proxy_upstream_stale_sockets_total\{outcome="resent"\} 1$/m);
  });

  it('POST /_bulk (auto ids: a repeat indexes twice): 502 saying it was not resent, the target saw it once', async () => {
    const { answer, sent, metrics } = await afterWarmSocket('POST', '/_bulk', '{"index":{"_index":"logs"}}\n{"a":1}\n');
    assert.equal(answer.status, 502, answer.body);
    assert.match(JSON.parse(answer.body).message, /closed a reused keep-alive connection before answering this POST, and it was not sent again because the target may have applied it already/);
    assert.equal(sent, 1);
    assert.match(metrics, /^aws_sigv4_proxy_upstream_stale_sockets_total\{outcome="not-resent"\} 1$/m);
    assert.match(metrics, /^aws_sigv4_proxy_refusals_total\{reason="not-resent"\} 1$/m);
  });

  it('POST /logs/_search (a read-only API): resent, answered 200', async () => {
    const { answer, sent } = await afterWarmSocket('POST', '/logs/_search', '{"query":{"match_all":{}}}');
    assert.equal(answer.status, 200, answer.body);
    assert.equal(sent, 2);
  });

  it('PUT /_bulk (PUT, yet a batch of writes) and POST /logs/_doc/_search (a document whose id is _search): 502, seen once', async () => {
    for (const [method, path] of [['PUT', '/_bulk'], ['POST', '/logs/_doc/_search']] as const) {
      const { answer, sent } = await afterWarmSocket(method, path, '{"a":1}\n');
      assert.deepEqual([answer.status, sent], [502, 1], `${method} ${path}: ${answer.body}`);
    }
  });

  it('a POST carrying Idempotency-Key: resent (the client says the target deduplicates it)', async () => {
    const { answer, sent } = await afterWarmSocket('POST', '/orders', '{"a":1}', { 'idempotency-key': '"8e03978e-40d5-43e8-bc93-6894a57f9324"' });
    assert.equal(answer.status, 200, answer.body);
    assert.equal(sent, 2);
  });
});

/**
 * A target that closes idle connections after `keepAliveMs`, announcing it (Node's own
 * `Keep-Alive: timeout=N`) or not; for each connection, how long after its last answer the
 * proxy closed it (undefined while the proxy has not).
 */
async function idleTarget(keepAliveMs: number, announce: boolean): Promise<{ url: string; closedByProxyAfter: () => Array<number | undefined>; close(): Promise<void> }> {
  const connections: Array<{ answeredAt: number; peerClosedAfter?: number }> = [];
  const server = http.createServer((req, res) => {
    const connection = (req.socket as Socket & { record?: { answeredAt: number } }).record!;
    // An explicit Connection header: Node then adds no Keep-Alive hint of its own.
    if (!announce) res.setHeader('connection', 'keep-alive');
    req.resume();
    req.on('end', () => res.end('{}', () => { connection.answeredAt = Date.now(); }));
  });
  server.keepAliveTimeout = keepAliveMs;
  server.on('connection', (socket: Socket & { record?: { answeredAt: number; peerClosedAfter?: number } }) => {
    const record: { answeredAt: number; peerClosedAfter?: number } = { answeredAt: 0 };
    socket.record = record;
    connections.push(record);
    // The peer's FIN: the proxy closed it (the target's own timeout destroys the socket, no 'end').
    socket.on('end', () => { record.peerClosedAfter = Date.now() - record.answeredAt; });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    closedByProxyAfter: () => connections.map((c) => c.peerClosedAfter),
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

async function until(condition: () => boolean, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!condition() && Date.now() < end) await new Promise((resolve) => setTimeout(resolve, 20));
}

describe('signing proxy: an idle upstream socket is closed before the target closes it', function () {
  this.timeout(15_000);

  async function through(target: string, options: { upstreamIdleTimeoutMs?: number }, requests: number): Promise<SigningProxy> {
    const proxy = await SigningProxy.start({ target, signing: { region: 'us-east-1', service: 'es', credentials: CREDENTIALS }, ...options });
    for (let i = 0; i < requests; i++) assert.equal((await call(proxy.port, 'GET', '/_cluster/health')).status, 200);
    return proxy;
  }

  it('Keep-Alive: timeout=3 from the target: closed by the proxy about 1 s before, not by the target at 3 s', async () => {
    const target = await idleTarget(3000, true);
    const proxy = await through(target.url, {}, 1);
    try {
      await until(() => target.closedByProxyAfter()[0] !== undefined, 3500);
      const after = target.closedByProxyAfter()[0];
      assert.ok(after !== undefined && after >= 1700 && after < 2900, `closed by the proxy after ${after} ms`);
    } finally {
      await proxy.close();
      await target.close();
    }
  });

  it('no hint: closed after --upstream-idle-timeout (300 ms here), under the target\'s 3 s', async () => {
    const target = await idleTarget(3000, false);
    const proxy = await through(target.url, { upstreamIdleTimeoutMs: 300 }, 1);
    try {
      await until(() => target.closedByProxyAfter()[0] !== undefined, 2500);
      const after = target.closedByProxyAfter()[0];
      assert.ok(after !== undefined && after >= 250 && after < 1500, `closed by the proxy after ${after} ms`);
    } finally {
      await proxy.close();
      await target.close();
    }
  });

  it('a target announcing timeout=1 (no margin left), or --upstream-idle-timeout 0: no socket is kept, each request opens its own', async () => {
    for (const [keepAliveMs, idle] of [[1000, undefined], [5000, 0]] as const) {
      const target = await idleTarget(keepAliveMs, true);
      const proxy = await through(target.url, { upstreamIdleTimeoutMs: idle }, 3);
      try {
        assert.equal(proxy.stats.upstreamConnections, 3, `keepAliveTimeout ${keepAliveMs}, idle ${idle}`);
        await until(() => target.closedByProxyAfter().every((after) => after !== undefined), 800);
        assert.ok(target.closedByProxyAfter().every((after) => after !== undefined && after < 500), String(target.closedByProxyAfter()));
      } finally {
        await proxy.close();
        await target.close();
      }
    }
  });
});
