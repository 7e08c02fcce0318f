import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const REPO = join(__dirname, '..', '..');

/**
 * A Python interpreter that imports the given modules: $PYTHON, then the repo's `.venv`
 * (made by .ci/run), then python3. Undefined when none does.
 */
export function findPython(modules: string[]): string | undefined {
  const candidates = [process.env.PYTHON, join(REPO, '.venv', 'bin', 'python'), 'python3'].filter(
    (p): p is string => Boolean(p) && (!p!.includes('/') || existsSync(p!)),
  );
  for (const python of candidates) {
    const probe = spawnSync(python, ['-c', modules.map((m) => `import ${m}`).join('; ')], { encoding: 'utf8' });
    if (probe.status === 0) return python;
  }
  return undefined;
}

/** Runs a Python script with JSON on stdin and parses its JSON stdout. */
export function runPythonJson<T>(python: string, script: string, input: unknown, args: string[] = []): T {
  const run = spawnSync(python, [script, ...args], { input: JSON.stringify(input), encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (run.status !== 0) throw new Error(`${script} exited ${run.status}: ${run.stderr || run.stdout}`);
  return JSON.parse(run.stdout) as T;
}

/** In CI a missing tool is a failure; on a laptop, one loud line and a skip. */
export function requireOrSkip(ctx: Mocha.Context, what: string, found: unknown): void {
  if (found) return;
  if (process.env.CI) throw new Error(`${what} is required in CI but was not found (.ci/run installs it).`);
  console.warn(`\n  !!! SKIPPED: ${what} not found. Run .ci/run (or see README) to install it.\n`);
  ctx.skip();
}
