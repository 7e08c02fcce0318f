/**
 * End to end: bulk-index documents into a real OpenSearch through the OpenSearch client,
 * signed (AwsSigV4Connection -> verifying stub -> OpenSearch) versus unsigned (the client's
 * own Connection -> the same stub code in passThrough mode -> OpenSearch). Both paths have
 * the same hops; the signed one adds our signing on the client and the stub's verification
 * (in the stubs' own process, see bench/e2e-stubs.ts).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { Client } from '@opensearch-project/opensearch';
import { AwsSigV4Connection } from '../../src/opensearch.js';
import type { VerifyProxyStats } from '../../src/testing/verify-proxy.js';
import { bulkBatches, CREDENTIALS, REGION, SERVICE } from './bodies.js';
import { median, pairedRatios } from './timing.js';

export interface E2eOptions {
  serverUrl: string;
  docs: number;
  perBatch: number;
  /** Bulk requests in flight at once. */
  concurrency: number;
  rounds: number;
  log: (line: string) => void;
}

/**
 * `signed-unverified`: our Connection through the pass-through stub. Against `unsigned` it
 * isolates what our signing costs from what the stub's verification costs (which AWS pays on
 * its side, and which here shares the machine's two cores with OpenSearch).
 */
export type E2eMode = 'signed' | 'unsigned' | 'signed-unverified';
export const E2E_MODES: readonly E2eMode[] = ['signed', 'unsigned', 'signed-unverified'];

export interface E2eRun {
  mode: E2eMode;
  round: number;
  docs: number;
  ms: number;
  docsPerS: number;
  requests: number;
  /** CPU time of this (the client's) process during the run: the cost signing adds, without the noise of the server's share of the machine. */
  clientCpuMs: number;
}

export interface E2eResult {
  options: Omit<E2eOptions, 'log'>;
  runs: E2eRun[];
  signedMedian: number;
  unsignedMedian: number;
  /** Median of per-round signed/unsigned throughput ratios. */
  pairedRatio: number;
  unverifiedMedian: number;
  /** Median of per-round signed-unverified/unsigned throughput ratios: signing alone. */
  unverifiedRatio: number;
  unverifiedCpuMs: number;
  stubAccepted: number;
  stubRejected: number;
  bulkMiB: number;
  /** Median client CPU ms per run, signed and unsigned. */
  signedCpuMs: number;
  unsignedCpuMs: number;
}

interface Stubs {
  child: ChildProcess;
  signedUrl: string;
  plainUrl: string;
}

const STUB_START_TIMEOUT_MS = 30_000;

function startStubs(serverUrl: string): Promise<Stubs> {
  return new Promise((resolve, reject) => {
    const child = fork(join(__dirname, '..', 'e2e-stubs.ts'), [serverUrl, REGION, SERVICE, JSON.stringify(CREDENTIALS)], {
      execArgv: ['--import', 'tsx'],
      // `--import tsx` resolves from the working directory: the repository's.
      cwd: join(__dirname, '..', '..'),
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error('the stubs did not start in time')); }, STUB_START_TIMEOUT_MS);
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`the stubs' process exited with ${code}`)); });
    child.on('message', (message: { ready?: { signedUrl: string; plainUrl: string } }) => {
      if (message.ready === undefined) return;
      clearTimeout(timer);
      child.removeAllListeners('exit');
      resolve({ child, ...message.ready });
    });
  });
}

function stubStats(stubs: Stubs): Promise<{ signed: VerifyProxyStats; plain: VerifyProxyStats }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the stubs did not answer for their stats')), 10_000);
    const onMessage = (message: { stats?: { signed: VerifyProxyStats; plain: VerifyProxyStats } }): void => {
      if (message.stats === undefined) return;
      clearTimeout(timer);
      stubs.child.off('message', onMessage);
      resolve(message.stats);
    };
    stubs.child.on('message', onMessage);
    stubs.child.send('stats');
  });
}

function stopStubs(stubs: Stubs): Promise<void> {
  return new Promise((resolve) => {
    if (stubs.child.exitCode !== null) return resolve();
    const timer = setTimeout(() => { stubs.child.kill('SIGKILL'); resolve(); }, 5_000);
    stubs.child.once('exit', () => { clearTimeout(timer); resolve(); });
    stubs.child.send('close');
  });
}

type BulkBody = { errors?: boolean; items?: unknown[] };

async function indexAll(client: Client, batches: string[], concurrency: number): Promise<number> {
  let next = 0;
  let items = 0;
  const worker = async (): Promise<void> => {
    while (next < batches.length) {
      const body = batches[next++]!;
      // The client sends a pre-serialized NDJSON string as is; its types only list arrays.
      const response = await client.bulk({ body: body as unknown as never[] });
      const result = response.body as BulkBody;
      if (result.errors) throw new Error(`bulk reported item errors: ${JSON.stringify(result.items?.find((i) => JSON.stringify(i).includes('"error"'))).slice(0, 300)}`);
      items += result.items?.length ?? 0;
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, batches.length) }, worker));
  return items;
}

export async function runE2e(options: E2eOptions): Promise<E2eResult> {
  const { serverUrl, docs, perBatch, concurrency, rounds, log } = options;
  const stubs = await startStubs(serverUrl);
  const admin = new Client({ node: serverUrl });
  const signed = new Client({
    node: stubs.signedUrl,
    Connection: AwsSigV4Connection.configure({ region: REGION, service: SERVICE, credentials: CREDENTIALS }),
  });
  const unsigned = new Client({ node: stubs.plainUrl });
  const signedUnverified = new Client({
    node: stubs.plainUrl,
    Connection: AwsSigV4Connection.configure({ region: REGION, service: SERVICE, credentials: CREDENTIALS }),
  });
  const runs: E2eRun[] = [];
  let bulkBytes = 0;
  try {
    const attempt = async (mode: E2eMode, round: number, count: number): Promise<E2eRun> => {
      const index = `bench-e2e-${mode}-${round < 0 ? 'warm' : round}-${Date.now().toString(36)}`;
      // Built before the clock starts, as an application holding its documents would.
      const batches = bulkBatches(count, perBatch, index);
      bulkBytes = batches.reduce((n, b) => n + Buffer.byteLength(b), 0);
      await admin.indices.create({ index, body: { settings: { number_of_shards: 1, number_of_replicas: 0, refresh_interval: '-1', 'translog.durability': 'async' } } });
      try {
        const client = mode === 'signed' ? signed : mode === 'unsigned' ? unsigned : signedUnverified;
        const cpu = process.cpuUsage();
        const start = process.hrtime.bigint();
        const items = await indexAll(client, batches, concurrency);
        const ms = Number(process.hrtime.bigint() - start) / 1e6;
        const used = process.cpuUsage(cpu);
        await admin.indices.refresh({ index });
        const counted = Number((await admin.count({ index })).body.count);
        if (items !== count || counted !== count) throw new Error(`${mode}: ${items} items answered, ${counted} documents counted, ${count} sent`);
        return { mode, round, docs: count, ms, docsPerS: (count / ms) * 1000, requests: batches.length, clientCpuMs: (used.user + used.system) / 1000 };
      } finally {
        await admin.indices.delete({ index }).catch(() => undefined);
      }
    };
    // The JVM's JIT and the index's first segments make the first runs slow: warm both paths, untimed.
    const warmDocs = Math.min(docs, 50_000);
    for (const mode of E2E_MODES) await attempt(mode, -1, warmDocs);
    for (let round = 0; round < rounds; round++) {
      // Alternate which goes first, so a drift over the run (merges, heap growth, another
      // process) does not always favour one side.
      const order = E2E_MODES.map((_, i) => E2E_MODES[(i + round) % E2E_MODES.length]!);
      for (const mode of order) {
        const run = await attempt(mode, round, docs);
        runs.push(run);
        log(`  round ${round} ${mode.padEnd(17)} ${run.docs} docs in ${(run.ms / 1000).toFixed(2)} s = ${run.docsPerS.toFixed(0)} docs/s, client CPU ${run.clientCpuMs.toFixed(0)} ms`);
      }
    }
  } finally {
    await Promise.all([signed.close(), unsigned.close(), signedUnverified.close(), admin.close()]).catch(() => undefined);
  }
  let stats: VerifyProxyStats;
  try {
    stats = (await stubStats(stubs)).signed;
  } finally {
    await stopStubs(stubs);
  }
  const of = (mode: E2eMode) => runs.filter((r) => r.mode === mode).sort((a, b) => a.round - b.round).map((r) => r.docsPerS);
  const cpuOf = (mode: E2eMode) => median(runs.filter((r) => r.mode === mode).map((r) => r.clientCpuMs));
  return {
    options: { serverUrl, docs, perBatch, concurrency, rounds },
    runs,
    signedMedian: median(of('signed')),
    unsignedMedian: median(of('unsigned')),
    pairedRatio: median(pairedRatios(of('signed'), of('unsigned'))),
    unverifiedMedian: median(of('signed-unverified')),
    unverifiedRatio: median(pairedRatios(of('signed-unverified'), of('unsigned'))),
    unverifiedCpuMs: cpuOf('signed-unverified'),
    stubAccepted: stats.accepted,
    stubRejected: stats.rejected,
    bulkMiB: bulkBytes / (1 << 20),
    signedCpuMs: cpuOf('signed'),
    unsignedCpuMs: cpuOf('unsigned'),
  };
}
