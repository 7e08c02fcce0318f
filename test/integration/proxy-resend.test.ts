/**
 * The signing proxy meets a kept-alive upstream socket the target closes just as a request
 * reuses it (made to happen every time: the target reads the second request of a connection
 * and drops it unanswered). Sent again only when running it twice is safe (src/proxy/resend-policy.ts);
 * anything else gets a 502 saying so, the target having seen it once.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
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
