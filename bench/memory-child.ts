/**
 * One memory measurement in a fresh process (run by bench/lib/memory.ts, with --expose-gc):
 * the peak RSS that one signing of a large body adds, for one contender.
 *
 *   node --expose-gc --import tsx bench/memory-child.ts <contender> <string|buffer> <bytes>
 *
 * Prints one JSON line. A fresh process per measurement, because a process that already
 * signed a big body keeps the pages (malloc arenas, V8 semispaces, glibc's raised mmap
 * threshold) and the next contender would look free.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { bulkPost, type BodyKind } from './lib/bodies.js';
import { contender } from './lib/contenders.js';

interface Probe {
  /** Resets the peak to the current RSS. */
  reset(): void;
  /** Peak RSS since the reset, in bytes. */
  peak(): Promise<number>;
  method: string;
  stop(): Promise<void>;
}

function status(field: 'VmRSS' | 'VmHWM'): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync('/proc/self/status', 'utf8'));
  if (m === null) throw new Error(`no ${field} in /proc/self/status`);
  return Number(m[1]) * 1024;
}

/** Linux: writing 5 to clear_refs resets VmHWM, the kernel's own peak, which no polling can miss. */
function kernelPeakProbe(): Probe | undefined {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
    status('VmHWM');
  } catch {
    return undefined;
  }
  return {
    method: 'VmHWM (reset via /proc/self/clear_refs)',
    reset: () => writeFileSync('/proc/self/clear_refs', '5'),
    peak: async () => status('VmHWM'),
    stop: async () => undefined,
  };
}

/** Elsewhere: a worker polls the process RSS every 0.2 ms (bounded to 60 s) while the main thread signs. */
function pollingProbe(): Probe {
  const shared = new SharedArrayBuffer(16);
  const cells = new Float64Array(shared);
  const worker = new Worker(
    `const { workerData } = require('node:worker_threads');
     const cells = new Float64Array(workerData);
     const end = Date.now() + 60000;
     while (cells[1] === 0 && Date.now() < end) {
       const rss = process.memoryUsage.rss();
       if (rss > cells[0]) cells[0] = rss;
       const t = process.hrtime.bigint(); while (process.hrtime.bigint() - t < 200000n) {}
     }`,
    { eval: true, workerData: shared },
  );
  return {
    method: 'worker polling process.memoryUsage.rss() every 0.2 ms',
    reset: () => { cells[0] = process.memoryUsage.rss(); },
    peak: async () => cells[0]!,
    stop: async () => { cells[1] = 1; await worker.terminate(); },
  };
}

async function main(): Promise<void> {
  const [id, kindArg, bytesArg] = process.argv.slice(2);
  const kind = kindArg as BodyKind;
  const bytes = Number(bytesArg);
  if (!id || (kind !== 'string' && kind !== 'buffer') || !(bytes > 0)) throw new Error('usage: memory-child.ts <contender> <string|buffer> <bytes>');
  const gc = (globalThis as { gc?: () => void }).gc;
  if (typeof gc !== 'function') throw new Error('run with --expose-gc');

  // Warm up on a small body of the same kind: module loading, lazy compilation and the
  // first-call allocations must not be billed to the big body. Small, so that malloc's
  // mmap threshold is not raised to the big body's size (which would hide its temporaries).
  const c = contender(id);
  const warm = bulkPost(64 << 10, kind);
  const warmPrepared = c.prepare(warm);
  for (let i = 0; i < 5; i++) await warmPrepared.op();

  const req = bulkPost(bytes, kind);
  const prepared = c.prepare(req);
  const probe = kernelPeakProbe() ?? pollingProbe();
  gc();
  gc();
  await new Promise((resolve) => setTimeout(resolve, 50));
  const before = process.memoryUsage.rss();
  probe.reset();
  const result = await prepared.op();
  const peak = Math.max(await probe.peak(), process.memoryUsage.rss());
  await probe.stop();
  // Held until after the peak is read, so nothing is freed before it is measured.
  if (result === undefined) throw new Error('contender returned nothing');
  process.stdout.write(`${JSON.stringify({ id, kind, bytes: req.bytes, before, peak, added: Math.max(0, peak - before), method: probe.method })}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
