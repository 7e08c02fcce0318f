// Bounded load runs: an OpenSearch 3.x client with AwsSigV4Connection -> the verifying stub ->
// a real OpenSearch, with credentials from the real fromTemporaryCredentials() provider at a
// local STS that issues 20-s credentials (registered with the stub, which refuses them once
// expired). Each run prints its figures; none prints a secret.
//
//   npx mocha --no-config -n import=tsx --extension ts --timeout 300000 test/integration/credentials-load.test.ts
//
// Whole file: about 2.5 minutes (two 60-s runs), plus the server start when not shared.
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { Client } from '@opensearch-project/opensearch';
import { fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import { AwsSigV4Connection } from '../../src/opensearch.js';
import type { AwsCredentialIdentityProvider, AwsSigV4Options } from '../../src/index.js';
import { LocalSts } from '../support/local-sts.js';
import { useSignedStack } from '../support/stack.js';

const ROLE_ARN = 'arn:aws:iam::210987654321:role/load-writer';
const STEADY_MS = 60_000;
const LOOPS = 20;
// A real STS round trip: a request that waited for a refresh would show it in its latency.
const STS_DELAY_MS = 200;

interface Sample { start: number; end: number; ok: boolean }
interface Window { start: number; end: number; ok: boolean }

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function summary(latencies: number[]): { n: number; p50: number; p99: number; max: number } {
  const sorted = [...latencies].sort((a, b) => a - b);
  return { n: sorted.length, p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted[sorted.length - 1] ?? NaN };
}

const ms = (x: number): string => `${x.toFixed(1)} ms`;

describe('credentials under load (real OpenSearch 3 behind the verifying stub)', function () {
  this.timeout(5 * 60_000);
  const stack = useSignedStack({ server: 'opensearch@3', service: 'es' });
  let sts: LocalSts;
  const clients: Client[] = [];
  const index = 'credentials-load';

  before(async function () {
    const s = stack();
    sts = await LocalSts.start({ callers: [s.credentials], proxies: [s.proxy], durationSeconds: 20, delayMs: STS_DELAY_MS });
    const admin = new Client({ node: s.serverUrl! });
    await admin.indices.delete({ index }, { ignore: [404] });
    await admin.index({ index, id: '1', body: { message: 'hello' }, refresh: true });
    await admin.close();
  });
  after(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await sts?.close();
  });
  beforeEach(() => {
    stack().proxy.reset();
    stack().proxy.setClockOffset(0);
    sts.fail = undefined;
  });

  /** The real provider, timed: each call's start and end, and whether it failed. */
  function stsProvider(calls: Window[]): AwsCredentialIdentityProvider {
    const s = stack();
    const provider = fromTemporaryCredentials({
      masterCredentials: { accessKeyId: s.credentials.accessKeyId, secretAccessKey: s.credentials.secretAccessKey },
      params: { RoleArn: ROLE_ARN, RoleSessionName: 'load-test', DurationSeconds: 900 },
      clientConfig: { region: s.region, endpoint: sts.url },
    });
    return async (options) => {
      const start = performance.now();
      try {
        const c = await provider(options);
        calls.push({ start, end: performance.now(), ok: true });
        return c;
      } catch (error) {
        calls.push({ start, end: performance.now(), ok: false });
        throw error;
      }
    };
  }

  /** A client on a Connection class of its own, and a count of get() calls that had to wait. */
  function client(options: AwsSigV4Options) {
    const s = stack();
    const Connection = AwsSigV4Connection.configure({ region: s.region, service: s.service, ...options });
    const cache = Connection.signer.credentialCache();
    const waits = { count: 0 };
    const get = cache.get.bind(cache);
    cache.get = () => {
      const got = get();
      if (got instanceof Promise) waits.count++;
      return got;
    };
    // maxRetries 0: a refused request surfaces as an error here instead of being retried by the transport.
    const c = new Client({ node: s.stubUrl, Connection: Connection as unknown as typeof AwsSigV4Connection, maxRetries: 0 });
    clients.push(c);
    return { client: c, cache, waits, Connection };
  }

  async function steady(c: Client, durationMs: number): Promise<{ samples: Sample[]; errors: string[] }> {
    const samples: Sample[] = [];
    const errors: string[] = [];
    const until = performance.now() + durationMs;
    await Promise.all(Array.from({ length: LOOPS }, async (_, loop) => {
      for (let i = 0; performance.now() < until; i++) {
        const start = performance.now();
        try {
          await c.search({ index, body: { query: { match: { message: `hello ${loop} ${i}` } } } });
          samples.push({ start, end: performance.now(), ok: true });
        } catch (error) {
          samples.push({ start, end: performance.now(), ok: false });
          // Names and codes only: an error's text is not printed wholesale.
          errors.push(`${(error as Error).name}/${(error as { code?: string }).code ?? ''}`);
        }
      }
    }));
    return { samples, errors };
  }

  /** Latency of the requests that ran while a provider call was under way, against all the others. */
  function latencyReport(samples: Sample[], calls: Window[]) {
    const t0 = samples.length ? Math.min(...samples.map((s) => s.start)) : 0;
    // The cold start is not a refresh: requests wait for it by design.
    const refreshes = calls.filter((c) => c.start > t0 + 1_000);
    const during = (s: Sample) => refreshes.some((r) => s.start <= r.end + 20 && s.end >= r.start);
    const warm = samples.filter((s) => s.ok && s.start > t0 + 1_000);
    const around = summary(warm.filter(during).map((s) => s.end - s.start));
    const other = summary(warm.filter((s) => !during(s)).map((s) => s.end - s.start));
    const all = summary(warm.map((s) => s.end - s.start));
    return { around, other, all, worstAdded: around.max - all.p50 };
  }

  function printSteady(name: string, run: { samples: Sample[]; errors: string[] }, calls: Window[], extra: Record<string, unknown>) {
    const stub = stack().proxy.stats();
    const lat = latencyReport(run.samples, calls);
    const seconds = (Math.max(...run.samples.map((s) => s.end)) - Math.min(...run.samples.map((s) => s.start))) / 1000;
    console.log(`      [${name}] ${run.samples.length} requests in ${seconds.toFixed(1)} s (${(run.samples.length / seconds).toFixed(0)}/s, ${LOOPS} loops)`);
    console.log(`      [${name}] stub: ${stub.accepted} accepted, ${stub.rejected} rejected ${JSON.stringify(stub.byVerdict)}; client errors: ${run.errors.length}`);
    console.log(`      [${name}] provider: ${JSON.stringify(extra)}`);
    console.log(`      [${name}] latency all (warm): p50 ${ms(lat.all.p50)}, p99 ${ms(lat.all.p99)}, max ${ms(lat.all.max)} (n=${lat.all.n})`);
    console.log(`      [${name}] latency during a refresh: p50 ${ms(lat.around.p50)}, p99 ${ms(lat.around.p99)}, max ${ms(lat.around.max)} (n=${lat.around.n}); ` +
      `otherwise: p50 ${ms(lat.other.p50)}, p99 ${ms(lat.other.p99)}, max ${ms(lat.other.max)}`);
    console.log(`      [${name}] worst added latency at refresh time (max during a refresh - overall p50): ${ms(lat.worstAdded)}; STS answers in ${STS_DELAY_MS} ms`);
    const t0 = Math.min(...run.samples.map((x) => x.start));
    const each = calls.map((w) => {
      const overlapping = run.samples.filter((x) => x.ok && x.start <= w.end + 20 && x.end >= w.start).map((x) => x.end - x.start);
      return `${((w.start - t0) / 1000).toFixed(1)}s${w.ok ? '' : ' FAILED'} (call ${ms(w.end - w.start)}, max request ${ms(Math.max(0, ...overlapping))})`;
    });
    console.log(`      [${name}] provider calls at: ${each.join('; ')}`);
    return { stub, lat };
  }

  it('(a) 1,000 concurrent requests on a cold cache make exactly one provider call', async () => {
    const calls: Window[] = [];
    const { client: c, cache, waits } = client({ credentials: stsProvider(calls) });
    const before = sts.counts.AssumeRole;
    const t = performance.now();
    const results = await Promise.allSettled(Array.from({ length: 1000 }, () => c.info()));
    const elapsed = performance.now() - t;
    const failed = results.filter((r) => r.status === 'rejected').length;
    const stub = stack().proxy.stats();
    console.log(`      [a] 1000 concurrent requests in ${ms(elapsed)}: provider calls ${cache.stats.providerCalls}, STS AssumeRole ${sts.counts.AssumeRole - before}, ` +
      `waited for credentials ${waits.count}, stub accepted ${stub.accepted} rejected ${stub.rejected}, client errors ${failed}`);
    assert.equal(cache.stats.providerCalls, 1);
    assert.equal(sts.counts.AssumeRole - before, 1);
    assert.equal(calls.length, 1);
    assert.equal(failed, 0);
    assert.equal(stub.accepted, 1000);
    assert.equal(stub.rejected, 0);
  });

  it('(b) 60 s of steady traffic with 20-s credentials: 0 rejected, a refresh every ~9 s, no request waits', async () => {
    const calls: Window[] = [];
    const { client: c, cache, waits } = client({ credentials: stsProvider(calls) });
    const stsBefore = sts.counts.AssumeRole;
    const run = await steady(c, STEADY_MS);
    const { stub } = printSteady('b', run, calls, { ...cache.stats, waitedForCredentials: waits.count, stsAssumeRole: sts.counts.AssumeRole - stsBefore });
    assert.deepEqual(run.errors, []);
    assert.equal(stub.rejected, 0);
    assert.equal(stub.accepted, run.samples.length);
    // Issued for 20 s (19-20 after rounding), refreshed from half their life minus up to a tenth: every 8-10 s.
    assert.ok(cache.stats.refreshes >= 1 + 5 && cache.stats.refreshes <= 1 + 8, `${cache.stats.refreshes} refreshes in 60 s`);
    assert.equal(cache.stats.providerFailures, 0);
    // Only the first request of each loop waits (cold cache); every refresh ran in the background.
    assert.ok(waits.count <= LOOPS, `${waits.count} requests waited for credentials`);
  });

  it('(c) the same with every other provider call failing: 0 rejected while the last credentials are valid', async () => {
    const calls: Window[] = [];
    let n = 0;
    const injectedBefore = sts.counts.injectedFailures;
    // AccessDenied is not retried by the SDK: every other call of the provider itself fails.
    sts.fail = () => (++n % 2 === 0 ? { status: 403, code: 'AccessDenied', message: 'injected failure (test)' } : undefined);
    const { client: c, cache, waits } = client({ credentials: stsProvider(calls) });
    // 40 s (not 60) keeps CI short; it still spans four refresh cycles of 20-s credentials.
    const run = await steady(c, 40_000);
    const { stub } = printSteady('c', run, calls, { ...cache.stats, waitedForCredentials: waits.count, stsCalls: n, stsInjectedFailures: sts.counts.injectedFailures - injectedBefore });
    assert.deepEqual(run.errors, []);
    assert.equal(stub.rejected, 0);
    assert.ok(cache.stats.providerFailures >= 3, `${cache.stats.providerFailures} failed provider calls`);
    assert.ok(Math.abs(cache.stats.providerFailures * 2 - cache.stats.providerCalls) <= 2, 'about half of the calls failed');
    assert.ok(waits.count <= LOOPS, `${waits.count} requests waited for credentials`);
  });

  it('(d) stub clock 15 min ahead, then behind: one refusal and one re-signed retry, then first-try acceptance', async () => {
    const s = stack();
    const { client: c, Connection } = client({ credentials: s.credentials });
    const proxy = s.proxy;
    const report: string[] = [];
    for (const [label, offset, verdict] of [['ahead', 15 * 60_000, 'signature-expired'], ['behind', -15 * 60_000, 'signature-not-yet-current']] as const) {
      proxy.setClockOffset(offset);
      proxy.reset();
      await c.search({ index, body: { query: { match_all: {} } } });
      const first = proxy.records.map((r) => r.verdict);
      assert.deepEqual(first, [verdict, 'accepted'], `${label}: the first request is refused once, then accepted re-signed`);
      const learned = Connection.signer.clockOffsetMs;
      // The Date header has whole seconds, and a round trip passes between.
      assert.ok(Math.abs(learned - offset) < 2_000, `${label}: learned offset ${learned} ms`);
      proxy.reset();
      for (let i = 0; i < 20; i++) await c.search({ index, body: { query: { match_all: {} } } });
      await Promise.all(Array.from({ length: 50 }, () => c.info()));
      const after = proxy.stats();
      report.push(`${label}: first request ${first.join(' -> ')}; learned offset ${(learned / 1000).toFixed(1)} s; next 70 requests: ${after.accepted} accepted, ${after.rejected} rejected`);
      assert.equal(after.accepted, 70);
      assert.equal(after.rejected, 0, `${label}: the offset is kept for later requests`);
    }
    for (const line of report) console.log(`      [d] ${line}`);
  });
});
