/** Signing cost per request: every contender checked, then timed interleaved against ours. */
import { CONTENDERS, type Contender, type Prepared } from './contenders.js';
import { bulkPost, searchPost, smallGet, type BenchRequest } from './bodies.js';
import { interleave, median, pairedRatios, quantile, fullGc, type TimingOptions } from './timing.js';
import { check } from './verify.js';

export interface Row {
  id: string;
  label: string;
  kind: Contender['kind'];
  primary: boolean;
  /** Median ns per op over rounds. */
  nsPerOp: number;
  /** MiB/s of body for requests with one. */
  mibPerS?: number;
  /** Median over rounds of (this contender's time / ours), with its interquartile range. */
  vsOurs: number;
  vsOursQ1: number;
  vsOursQ3: number;
  /** Median over rounds of (this contender's time / the candidate's), when BENCH_SIGV4_CANDIDATE is set. */
  vsCandidate?: number;
  batch: number;
}

export interface ScenarioResult {
  id: string;
  title: string;
  bytes: number;
  rounds: number;
  rows: Row[];
  failures: Array<{ id: string; label: string; detail: string }>;
}

export interface MicroPlan {
  id: string;
  title: string;
  make: () => BenchRequest;
  timing: TimingOptions;
}

export function microPlans(quick: boolean): MicroPlan[] {
  // Small requests: short batches and many rounds, so that a batch rarely straddles a burst of
  // another process's activity and each round's contenders run under the same conditions.
  // Bulk bodies: a full GC before each batch, so a contender's body-sized garbage (a copy of
  // the body) is collected on its own clock, not on the next contender's.
  const t = (rounds: number, batchMs: number, maxBatch: number, gcBetween: boolean): TimingOptions =>
    quick ? { rounds: 2, batchMs: 1, warmupMs: 1, maxBatch: 2, gcBetween } : { rounds, batchMs, warmupMs: 300, maxBatch, gcBetween };
  return [
    { id: 'get-health', title: 'a. GET /_cluster/health?level=indices (session token)', make: smallGet, timing: t(101, 4, 100_000, false) },
    { id: 'search-1KiB', title: 'b. POST /logs-*/_search, 1 KiB JSON', make: searchPost, timing: t(101, 4, 100_000, false) },
    { id: 'bulk-1MiB-string', title: 'c. POST /_bulk, 1 MiB NDJSON string', make: () => bulkPost(1 << 20, 'string'), timing: t(41, 15, 1000, true) },
    // Buffers are hashed in place by every contender (no body-sized garbage): no GC needed,
    // hence short batches and many rounds, as the target (98%) is within a few percent of noise.
    { id: 'bulk-1MiB-buffer', title: 'c. POST /_bulk, 1 MiB NDJSON Buffer', make: () => bulkPost(1 << 20, 'buffer'), timing: t(151, 4, 1000, false) },
    { id: 'bulk-16MiB-string', title: 'c. POST /_bulk, 16 MiB NDJSON string', make: () => bulkPost(16 << 20, 'string'), timing: t(21, 50, 100, true) },
    { id: 'bulk-16MiB-buffer', title: 'c. POST /_bulk, 16 MiB NDJSON Buffer', make: () => bulkPost(16 << 20, 'buffer'), timing: t(41, 25, 100, false) },
  ];
}

export async function runScenario(plan: MicroPlan, log: (line: string) => void): Promise<ScenarioResult> {
  const req = plan.make();
  const prepared: Array<{ c: Contender; p: Prepared }> = [];
  const failures: ScenarioResult['failures'] = [];
  for (const c of CONTENDERS) {
    if (!c.applies(req)) continue;
    let p: Prepared;
    try {
      p = c.prepare(req);
    } catch (error) {
      failures.push({ id: c.id, label: c.label, detail: `setup threw ${(error as Error).message}` });
      continue;
    }
    const result = await check(p, req);
    if (!result.ok) {
      failures.push({ id: c.id, label: c.label, detail: result.detail });
      log(`  VERIFY FAIL ${c.id}: ${result.detail}`);
      continue;
    }
    prepared.push({ c, p });
  }
  fullGc();
  const rows: Row[] = [];
  if (!prepared.some(({ c }) => c.id === 'ours')) return { id: plan.id, title: plan.title, bytes: req.bytes, rounds: plan.timing.rounds, rows, failures };
  const { series, batch } = await interleave(prepared.map(({ c, p }) => ({ id: c.id, op: p.op, async: p.async })), plan.timing);
  const oursSeries = series.get('ours')!;
  const candidateSeries = series.get('candidate');
  for (const { c } of prepared) {
    const s = series.get(c.id)!;
    const ratios = pairedRatios(s, oursSeries);
    const nsPerOp = median(s);
    rows.push({
      id: c.id,
      label: c.label,
      kind: c.kind,
      primary: c.primary,
      nsPerOp,
      mibPerS: req.bytes > 0 ? req.bytes / (1 << 20) / (nsPerOp / 1e9) : undefined,
      vsOurs: median(ratios),
      vsOursQ1: quantile(ratios, 0.25),
      vsOursQ3: quantile(ratios, 0.75),
      vsCandidate: candidateSeries === undefined ? undefined : median(pairedRatios(s, candidateSeries)),
      batch: batch.get(c.id)!,
    });
  }
  return { id: plan.id, title: plan.title, bytes: req.bytes, rounds: plan.timing.rounds, rows, failures };
}
