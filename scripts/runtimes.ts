// The JavaScript runtimes the runtime tier (test/runtimes) runs in, fetched from the npm
// registry as packages (the binary ships inside a platform package) into .cache/runtimes/,
// pinned, one folder per runtime, so `npm ci` stays light and a second fetch costs nothing.
//
//   npx tsx scripts/runtimes.ts             # fetch every runtime; prints name, version, path
//   npx tsx scripts/runtimes.ts bun deno    # only these
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..');
export const RUNTIMES_DIR = process.env.RUNTIMES_DIR ?? join(ROOT, '.cache', 'runtimes');

/** Pinned: a new version is a reviewed change here, never a surprise in CI. */
export type RuntimeName = 'bun' | 'deno' | 'workerd' | 'edge-runtime';

export interface RuntimeInfo {
  name: RuntimeName;
  version: string;
  /** The binary's own `--version` line. */
  reported: string;
  bin: string;
  /** False when the cache already held it. */
  fetched: boolean;
  ms: number;
}

export const PINNED: Readonly<Record<RuntimeName, { pkg: string; version: string; versionArgs?: string[] }>> = Object.freeze({
  bun: { pkg: 'bun', version: '1.4.5' },
  deno: { pkg: 'deno', version: '2.9.6' },
  workerd: { pkg: 'workerd', version: '1.20261117.1' },
  // Vercel's emulator of its edge runtime (@edge-runtime/vm: a V8 context with the web APIs
  // only), the one next dev and its tests use; it has no --version, so --help proves it runs.
  'edge-runtime': { pkg: 'edge-runtime', version: '4.0.1', versionArgs: ['--help'] },
});

export class RuntimeUnavailableError extends Error {
  constructor(name: string, reason: string) {
    super(`runtime ${name} is unavailable: ${reason}`);
    this.name = 'RuntimeUnavailableError';
  }
}

function installedVersion(dir: string, pkg: string): string | undefined {
  try {
    return (JSON.parse(readFileSync(join(dir, 'node_modules', pkg, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return undefined;
  }
}

/**
 * The runtime's binary, fetched first if the pinned version is not in the cache. Throws
 * RuntimeUnavailableError (with npm's or the binary's own words) when it cannot be had.
 */
export function ensureRuntime(name: RuntimeName): RuntimeInfo {
  const pin = PINNED[name];
  if (pin === undefined) throw new Error(`unknown runtime ${name} (${Object.keys(PINNED).join(', ')})`);
  const dir = join(RUNTIMES_DIR, name);
  const bin = join(dir, 'node_modules', '.bin', name);
  const t0 = Date.now();
  let fetched = false;
  if (installedVersion(dir, pin.pkg) !== pin.version || !existsSync(bin)) {
    try {
      execFileSync('npm', ['install', '--prefix', dir, '--no-audit', '--no-fund', '--no-save', '--loglevel', 'error', `${pin.pkg}@${pin.version}`],
        { stdio: ['ignore', 'pipe', 'pipe'], timeout: 300_000 });
    } catch (error) {
      const detail = outputOf(error).trim().split('\n').slice(0, 2).join(' ');
      throw new RuntimeUnavailableError(name, `npm install ${pin.pkg}@${pin.version} failed: ${detail}`);
    }
    fetched = true;
  }
  let reported: string;
  try {
    const out = execFileSync(bin, pin.versionArgs ?? ['--version'], { encoding: 'utf8', timeout: 30_000 }).trim().split('\n')[0]!;
    reported = pin.versionArgs === undefined ? out : `${pin.pkg} ${pin.version}`;
  } catch (error) {
    throw new RuntimeUnavailableError(name, `${bin} --version failed: ${outputOf(error).trim()}`);
  }
  return { name, version: pin.version, reported, bin, fetched, ms: Date.now() - t0 };
}

function outputOf(error: unknown): string {
  const e = error as { stderr?: Buffer | string; message?: string };
  return String(e.stderr ?? e.message ?? error);
}

if (require.main === module) {
  const names = (process.argv.length > 2 ? process.argv.slice(2) : Object.keys(PINNED)) as RuntimeName[];
  let failed = false;
  for (const name of names) {
    try {
      const r = ensureRuntime(name);
      console.log(`${name} ${r.version} (${r.reported}) ${r.fetched ? `fetched in ${(r.ms / 1000).toFixed(1)} s` : 'cached'}: ${r.bin}`);
    } catch (error) {
      failed = true;
      console.error((error as Error).message);
    }
  }
  process.exitCode = failed ? 1 : 0;
}
