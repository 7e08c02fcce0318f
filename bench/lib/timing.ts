/**
 * Interleaved timing: every round runs one batch of each contender, in an order rotated per
 * round, so a slow spell of the machine (other processes, thermal, a GC of someone else's
 * garbage) lands on all contenders of that round rather than on one. Ratios are taken per
 * round (paired), then the median over rounds.
 */
import { runInNewContext } from 'node:vm';
import { setFlagsFromString } from 'node:v8';

export type Op = () => unknown;

export interface Timed {
  id: string;
  op: Op;
  async: boolean;
}

export interface TimingOptions {
  rounds: number;
  /** Aimed wall time of one batch. */
  batchMs: number;
  /** Warm-up (and calibration) time per contender. */
  warmupMs: number;
  /** Upper bound of ops in a batch, whatever the calibration says. */
  maxBatch: number;
  /** A full GC before every batch (big bodies); small ops skip it, as it resizes the young generation under them. */
  gcBetween?: boolean;
}

/** ns per op, one value per round. */
export type Series = Map<string, number[]>;

let gcFn: (() => void) | undefined;

/**
 * A full GC between batches (untimed), so that garbage one contender leaves (a body-sized
 * temporary of a naive string hash) is not collected on the next one's clock. `npm run
 * bench` runs plain tsx, hence the flag is set at run time when --expose-gc was not given.
 */
export function fullGc(): void {
  if (gcFn === undefined) {
    const exposed = (globalThis as { gc?: () => void }).gc;
    if (typeof exposed === 'function') gcFn = exposed;
    else {
      setFlagsFromString('--expose-gc');
      gcFn = runInNewContext('gc') as () => void;
    }
  }
  gcFn();
}

let sink: unknown;

/** Keeps results reachable, so V8 cannot drop an op whose result is unused. */
export function consume(value: unknown): void {
  sink = value;
}

export function lastSink(): unknown {
  return sink;
}

/**
 * Which clock a batch is measured on. CPU time (user + system of the whole process, GC
 * threads included) by default: on a shared machine, wall time also counts the time this
 * process waits for a core, which lands on whichever batch was running. BENCH_CLOCK=wall
 * for wall time.
 */
export const CLOCK: 'cpu' | 'wall' = process.env.BENCH_CLOCK === 'wall' ? 'wall' : 'cpu';

function cpuNs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) * 1000;
}

async function runBatch(t: Timed, n: number): Promise<number> {
  const op = t.op;
  let last: unknown;
  const cpu = CLOCK === 'cpu';
  const start = cpu ? cpuNs() : Number(process.hrtime.bigint());
  if (t.async) {
    for (let i = 0; i < n; i++) last = await op();
  } else {
    for (let i = 0; i < n; i++) last = op();
  }
  const elapsed = (cpu ? cpuNs() : Number(process.hrtime.bigint())) - start;
  consume(last);
  return elapsed;
}

/** Runs ops for about `ms` (and at most `maxOps`) and returns the observed ns per op. */
async function calibrate(t: Timed, ms: number, maxOps: number): Promise<number> {
  let ops = 0;
  let elapsed = 0;
  const deadline = ms * 1e6;
  let n = 1;
  while (elapsed < deadline && ops < maxOps) {
    elapsed += await runBatch(t, n);
    ops += n;
    n = Math.min(n * 2, Math.max(1, maxOps - ops));
  }
  return elapsed / ops;
}

export async function interleave(timed: readonly Timed[], options: TimingOptions): Promise<{ series: Series; batch: Map<string, number> }> {
  const batch = new Map<string, number>();
  for (const t of timed) {
    fullGc();
    const nsPerOp = await calibrate(t, options.warmupMs, options.maxBatch * 4);
    batch.set(t.id, Math.max(1, Math.min(options.maxBatch, Math.round((options.batchMs * 1e6) / nsPerOp))));
  }
  const series: Series = new Map(timed.map((t) => [t.id, [] as number[]]));
  for (let round = 0; round < options.rounds; round++) {
    for (let k = 0; k < timed.length; k++) {
      const t = timed[(round + k) % timed.length]!;
      const n = batch.get(t.id)!;
      if (options.gcBetween) fullGc();
      series.get(t.id)!.push((await runBatch(t, n)) / n);
    }
  }
  return { series, batch };
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/** a[r] / b[r] per round: the paired ratio. */
export function pairedRatios(a: readonly number[], b: readonly number[]): number[] {
  const out: number[] = [];
  for (let i = 0; i < Math.min(a.length, b.length); i++) out.push(a[i]! / b[i]!);
  return out;
}

export function formatNs(ns: number): string {
  if (!Number.isFinite(ns)) return 'n/a';
  if (ns < 1_000) return `${ns.toFixed(ns < 10 ? 2 : 1)} ns`;
  if (ns < 1_000_000) return `${(ns / 1_000).toFixed(ns < 10_000 ? 2 : 1)} µs`;
  return `${(ns / 1_000_000).toFixed(ns < 10_000_000 ? 2 : 1)} ms`;
}
