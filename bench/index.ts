/**
 * `npm run bench`: signing cost per request against every contender in one process,
 * memory per contender in fresh children, end-to-end bulk throughput through a real
 * OpenSearch, and the credential cache's hit path. Prints markdown and writes it to
 * bench/results.md, with the targets judged from the same run.
 *
 *   npm run bench                      # everything, ~5-8 min on 2 cores; starts OpenSearch 3 (or uses OPENSEARCH_URL)
 *   npm run bench -- --quick           # CI smoke: each contender runs and verifies; no timing judged
 *   npm run bench -- --only micro,memory,e2e,credentials,size
 *   npm run bench -- --docs 100000 --out bench/results.md
 *
 * Exit status 1 when a contender fails verification or a section fails to run; a missed
 * target is reported, never an exit status (timings are not tests).
 */
import { writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { runCredentials } from './lib/credentials-bench.js';
import { runE2e, type E2eResult } from './lib/e2e.js';
import { loadAvg, machine, packageVersions } from './lib/machine.js';
import { runMemory } from './lib/memory.js';
import { microPlans, runScenario, type ScenarioResult } from './lib/micro.js';
import { renderMarkdown, targets, updateReadme, type Results } from './lib/report.js';
import { measureBreakdown, measureSizes } from './lib/size.js';
import { formatNs } from './lib/timing.js';

const SECTIONS = ['micro', 'memory', 'e2e', 'credentials', 'size'] as const;
type Section = (typeof SECTIONS)[number];

interface Args {
  quick: boolean;
  only: Set<Section>;
  docs?: number;
  out?: string;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { quick: false, only: new Set(SECTIONS) };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i]!.split('=', 2) as [string, string | undefined];
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    if (flag === '--quick') args.quick = true;
    else if (flag === '--only') {
      const wanted = value().split(',').map((s) => s.trim());
      for (const w of wanted) if (!(SECTIONS as readonly string[]).includes(w)) throw new Error(`--only: unknown section "${w}" (${SECTIONS.join(', ')})`);
      args.only = new Set(wanted as Section[]);
    } else if (flag === '--docs') args.docs = Number(value());
    else if (flag === '--out') args.out = value();
    else throw new Error(`unknown argument ${flag}; see the header of bench/index.ts`);
  }
  return args;
}

const log = (line: string): void => { process.stderr.write(`${line}\n`); };

async function e2eSection(args: Args, results: Results): Promise<void> {
  const docs = args.docs ?? (args.quick ? 1_000 : 100_000);
  // A quick run (CI) never starts a server: only one it is pointed at.
  if (args.quick && !process.env.OPENSEARCH_URL) {
    results.e2eSkipped = 'quick mode without OPENSEARCH_URL';
    return;
  }
  // Loaded only here: it pulls in the server tooling, which the other sections do not need.
  const servers = await import('../test/support/servers.js');
  let handle: Awaited<ReturnType<typeof servers.startSearchServer>>;
  try {
    log('e2e: starting OpenSearch 3 (or using OPENSEARCH_URL)...');
    handle = await servers.startSearchServer('opensearch@3');
  } catch (error) {
    if (error instanceof servers.ServerUnavailableError) {
      results.e2eSkipped = `no OpenSearch: ${error.message}`;
      return;
    }
    throw error;
  }
  try {
    log(`e2e: OpenSearch ${handle.version} at ${handle.url} (${handle.source}, ${(handle.startMs / 1000).toFixed(0)} s to start)`);
    const e2e: E2eResult = await runE2e({
      serverUrl: handle.url,
      docs,
      perBatch: args.quick ? 250 : 2_500,
      concurrency: 2,
      rounds: args.quick ? 1 : 7,
      log,
    });
    if (e2e.stubRejected > 0) throw new Error(`the verifying stub rejected ${e2e.stubRejected} signed requests`);
    results.e2e = e2e;
  } finally {
    await handle.stop();
  }
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  const started = Date.now();
  const results: Results = {
    command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
    quick: args.quick,
    startedAt: new Date(),
    seconds: 0,
    machine: machine(),
    loadAtEnd: '',
    versions: packageVersions(),
    micro: [],
    errors: [],
  };
  let verificationFailed = false;
  const section = async (name: Section, run: () => Promise<void>): Promise<void> => {
    if (!args.only.has(name)) return;
    const t0 = Date.now();
    log(`== ${name}`);
    try {
      await run();
    } catch (error) {
      results.errors.push(`${name}: ${error instanceof Error ? error.message : String(error)}`);
      log(`${name} FAILED: ${error instanceof Error ? error.stack : String(error)}`);
    }
    log(`== ${name} done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  };

  await section('micro', async () => {
    for (const plan of microPlans(args.quick)) {
      const r: ScenarioResult = await runScenario(plan, log);
      results.micro.push(r);
      if (r.failures.length > 0) verificationFailed = true;
      log(`  ${plan.id}: ${r.rows.map((x) => `${x.id} ${formatNs(x.nsPerOp)}`).join(', ')}`);
    }
  });
  await section('credentials', async () => {
    const timing = args.quick
      ? { rounds: 2, batchMs: 1, warmupMs: 1, maxBatch: 1000 }
      : { rounds: 31, batchMs: 20, warmupMs: 200, maxBatch: 10_000_000 };
    results.credentials = await runCredentials(timing);
  });
  await section('memory', async () => {
    // Quick: one child, so that CI exercises the measurement without paying for all of them.
    const bytes = args.quick ? 1 << 20 : 16 << 20;
    results.memoryBytes = bytes;
    results.memory = await runMemory({ bytes, repeats: args.quick ? 1 : 3, ids: args.quick ? ['ours'] : undefined, log });
    const failed = results.memory.filter((m) => m.error !== undefined);
    if (failed.length > 0) throw new Error(`memory children failed: ${failed.map((m) => `${m.id}/${m.kind}`).join(', ')}`);
  });
  await section('e2e', () => e2eSection(args, results));
  await section('size', async () => {
    results.size = await measureSizes();
    for (const row of results.size) log(`  ${row.id}: ${row.gzipBytes === undefined ? row.error : `${row.gzipBytes} B gzipped`}`);
    results.sizeBreakdown = await measureBreakdown();
    log(`  ours without message text: ${results.sizeBreakdown.gzipWithoutMessages} B gzipped`);
  });

  results.seconds = (Date.now() - started) / 1000;
  results.loadAtEnd = loadAvg();
  const markdown = renderMarkdown(results);
  process.stdout.write(markdown);
  const out = args.out ?? (args.quick || args.only.size < SECTIONS.length ? undefined : join(__dirname, 'results.md'));
  if (out !== undefined) {
    writeFileSync(out, markdown);
    log(`written to ${relative(process.cwd(), out)}`);
    if (args.out === undefined) log(updateReadme(markdown, join(__dirname, '..', 'README.md')));
  }
  if (!args.quick) {
    for (const t of targets(results)) log(`${t.verdict.padEnd(4)} ${t.name}: ${t.figure} (goal ${t.goal})`);
  }
  if (verificationFailed) log('FAILED: a contender did not pass verification (see above)');
  return verificationFailed || results.errors.length > 0 ? 1 : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
    // A stray keep-alive socket or timer must not keep a finished run (or CI) waiting.
    setTimeout(() => process.exit(code), 5_000).unref();
  },
  (error: unknown) => {
    log(error instanceof Error ? error.stack ?? error.message : String(error));
    process.exitCode = 1;
  },
);
