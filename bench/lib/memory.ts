/** Peak RSS added by one signing of a big body, per contender, each in a fresh child process. */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { CONTENDERS } from './contenders.js';
import { median } from './timing.js';
import type { BodyKind } from './bodies.js';

export interface MemoryRow {
  id: string;
  label: string;
  kind: BodyKind;
  bytes: number;
  /** Bytes added at peak, median over repeats, and every repeat. */
  added: number;
  samples: number[];
  method: string;
  error?: string;
}

const ROOT = join(__dirname, '..', '..');
const CHILD_TIMEOUT_MS = 90_000;

function runChild(id: string, kind: BodyKind, bytes: number): Promise<{ added: number; bytes: number; method: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', join('bench', 'memory-child.ts'), id, kind, String(bytes)], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE: '1' },
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    const timer = setTimeout(() => child.kill('SIGKILL'), CHILD_TIMEOUT_MS);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const line = out.trim().split('\n').pop() ?? '';
      if (code !== 0 || !line.startsWith('{')) {
        reject(new Error(`memory child ${id}/${kind} exited ${code ?? signal}: ${err.trim().split('\n').slice(-3).join(' | ')}`));
        return;
      }
      resolve(JSON.parse(line) as { added: number; bytes: number; method: string });
    });
  });
}

export async function runMemory(options: { bytes: number; repeats: number; ids?: string[]; log: (line: string) => void }): Promise<MemoryRow[]> {
  const rows: MemoryRow[] = [];
  const plan: Array<{ id: string; label: string; kind: BodyKind }> = [{ id: 'noop', label: 'control: no signing', kind: 'buffer' }];
  for (const kind of ['buffer', 'string'] as const) {
    for (const c of CONTENDERS) {
      if (options.ids !== undefined && !options.ids.includes(c.id)) continue;
      // The Buffer floor of a string body hashes a copy made outside the measurement: not a figure.
      if (c.id === 'sha256-buffer' && kind === 'string') continue;
      if ((c.id === 'sha256-string' || c.id === 'sha256-slices') && kind === 'buffer') continue;
      // Floors of small requests only.
      if (c.id === 'sigv4-crypto') continue;
      plan.push({ id: c.id, label: c.label, kind });
    }
  }
  if (options.ids !== undefined) plan.shift();
  for (const { id, label, kind } of plan) {
    const samples: number[] = [];
    let method = '';
    let bytes = options.bytes;
    let error: string | undefined;
    for (let r = 0; r < options.repeats; r++) {
      try {
        const result = await runChild(id, kind, options.bytes);
        samples.push(result.added);
        method = result.method;
        bytes = result.bytes;
      } catch (e) {
        error = (e as Error).message;
        break;
      }
    }
    const row: MemoryRow = { id, label, kind, bytes, added: median(samples), samples, method, error };
    options.log(`  ${id.padEnd(16)} ${kind.padEnd(6)} +${(row.added / 1024).toFixed(0)} KiB ${error ?? ''}`);
    rows.push(row);
  }
  return rows;
}
