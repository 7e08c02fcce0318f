/**
 * A bounded load run through the real chain users deploy: 200 concurrent clients ->
 * the signing proxy (the CLI, spawned) -> the verifying stub -> real OpenSearch
 * (OPENSEARCH_URL, or one test/support/servers.ts starts). It prints requests, errors,
 * rejected signatures and p50/p99 latency: a figure, not a timed pass condition. It
 * passes with 0 errors and 0 rejected signatures.
 *
 * AWS_SIGV4_LOAD_SECONDS sets the duration (default 30; CI may run it shorter);
 * AWS_SIGV4_LOAD_CLIENTS the concurrency (default 200).
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { startCliServer, type CliServer } from '../support/cli-server.js';
import { START_HOOK_TIMEOUT_MS } from '../support/servers.js';
import { useSignedStack } from '../support/stack.js';

const SECONDS = Number(process.env.AWS_SIGV4_LOAD_SECONDS ?? 30);
const CLIENTS = Number(process.env.AWS_SIGV4_LOAD_CLIENTS ?? 200);

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

describe(`load: ${CLIENTS} concurrent clients for ${SECONDS} s through the proxy and the stub to OpenSearch`, function () {
  this.timeout(START_HOOK_TIMEOUT_MS + (SECONDS + 120) * 1000);
  const stack = useSignedStack({ server: 'opensearch@3' });
  let proxy: CliServer | undefined;
  after(async () => { await proxy?.stop(); });

  it('0 errors and 0 rejected signatures; prints the figure', async () => {
    const { stubUrl, credentials, proxy: stub } = stack();
    proxy = await startCliServer(['proxy', '--target', stubUrl, '--port', '0', '--quiet'], {
      PATH: process.env.PATH, HOME: process.env.HOME,
      AWS_CONFIG_FILE: '/nonexistent', AWS_SHARED_CREDENTIALS_FILE: '/nonexistent', AWS_EC2_METADATA_DISABLED: 'true', AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    });
    const index = `proxy-load-${process.pid}-${Date.now()}`;
    const agent = new http.Agent({ keepAlive: true, maxSockets: CLIENTS });
    const request = (method: string, path: string, body?: string): Promise<number> => new Promise((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port: proxy!.port, method, path, agent, headers: body ? { 'content-type': 'application/json' } : {} }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(body);
    });
    assert.equal(await request('PUT', `/${index}`, '{"settings":{"number_of_replicas":0}}'), 200);
    stub.reset();

    const latencies: number[] = [];
    const failures = new Map<string, number>();
    let requests = 0;
    const deadline = Date.now() + SECONDS * 1000;
    const client = async (id: number): Promise<void> => {
      for (let n = 0; Date.now() < deadline; n++) {
        const pick = (id + n) % 10;
        const [method, path, body] = pick === 0
          ? ['PUT', `/${index}/_doc/${id}-${n}`, JSON.stringify({ client: id, n, at: Date.now() })]
          : pick < 3 ? ['GET', `/${index}/_search?size=1&q=client:${id}`, undefined] : ['GET', '/_cluster/health', undefined];
        const t0 = performance.now();
        requests++;
        try {
          const status = await request(method, path, body);
          latencies.push(performance.now() - t0);
          if (status >= 300) failures.set(`HTTP ${status}`, (failures.get(`HTTP ${status}`) ?? 0) + 1);
        } catch (error) {
          const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
          failures.set(code, (failures.get(code) ?? 0) + 1);
        }
      }
    };
    const t0 = Date.now();
    await Promise.all(Array.from({ length: CLIENTS }, (_, i) => client(i)));
    const elapsed = (Date.now() - t0) / 1000;
    agent.destroy();
    const stats = stub.stats();
    latencies.sort((a, b) => a - b);
    const errors = [...failures.values()].reduce((a, b) => a + b, 0);
    const figure = `load: ${CLIENTS} clients, ${elapsed.toFixed(1)} s: ${requests} requests (${(requests / elapsed).toFixed(0)}/s), ` +
      `${errors} errors${errors ? ` ${JSON.stringify(Object.fromEntries(failures))}` : ''}, ${stats.rejected} rejected signatures, ` +
      `${stats.accepted} accepted by the stub, p50 ${percentile(latencies, 50).toFixed(1)} ms, p99 ${percentile(latencies, 99).toFixed(1)} ms`;
    console.log(`\n      ${figure}\n`);
    await request('DELETE', `/${index}`).catch(() => 0);
    assert.equal(errors, 0, figure);
    assert.equal(stats.rejected, 0, figure);
    assert.equal(stats.accepted, requests, figure);
  });
});
