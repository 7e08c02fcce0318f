/**
 * The runtime tier's harness: fetches a pinned runtime (scripts/runtimes.ts), bundles a
 * script for the web platform with esbuild, runs it in the runtime and reads back the one
 * `RESULT {json}` line it prints. A runtime that cannot be had skips the suite with one loud
 * line, or fails it under CI=true.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build, type BuildOptions } from 'esbuild';
import { ensureRuntime, RuntimeUnavailableError, type RuntimeInfo, type RuntimeName } from '../../scripts/runtimes.js';

export type { RuntimeInfo, RuntimeName };

/** What a Node-free bundle must be built with: a `node:` import (or any Node built-in) fails it. */
export const WEB_BUNDLE: BuildOptions = { bundle: true, format: 'esm', platform: 'browser', target: 'es2022', write: false, logLevel: 'silent' };

/** Mocha hook body: the runtime, or a skip (loud) / failure (CI) when it cannot be fetched or run. */
export function requireRuntime(ctx: Mocha.Context, name: RuntimeName): RuntimeInfo {
  try {
    const info = ensureRuntime(name);
    if (info.fetched) console.log(`      [runtime] ${name} ${info.version} fetched in ${(info.ms / 1000).toFixed(1)} s`);
    return info;
  } catch (error) {
    if (!(error instanceof RuntimeUnavailableError) || process.env.CI === 'true') throw error;
    console.log(`      [runtime] SKIPPED ${name}: ${error.message}`);
    ctx.skip();
  }
}

/** Bundles `entry` (source text, resolved from `resolveDir`) into one Node-free ES module, or a classic script (edge-runtime runs scripts). */
export async function bundleForWeb(entry: string, resolveDir: string, format: 'esm' | 'iife' = 'esm', define?: Record<string, string>): Promise<string> {
  const out = await build({ ...WEB_BUNDLE, format, define, stdin: { contents: entry, resolveDir, loader: 'ts', sourcefile: 'runtime-entry.ts' } });
  return out.outputFiles![0]!.text;
}

export interface RuntimeRun<T> { result: T; stdout: string; stderr: string; ms: number }

/**
 * Runs a bundle in a runtime. For workerd it is an ES module with a default `{ test() }`
 * handler: `workerd test` runs it under a config whose only outbound network is
 * loopback-capable; for bun and deno a plain ES module (deno gets net access only); for
 * edge-runtime a classic script.
 */
export async function runInRuntime<T>(runtime: RuntimeInfo, moduleText: string,
  options: { timeoutMs?: number; cwd?: string; env?: Record<string, string>; bindings?: Record<string, string> } = {}): Promise<RuntimeRun<T>> {
  const dir = mkdtempSync(join(tmpdir(), `sigv4-${runtime.name}-`));
  try {
    const file = join(dir, runtime.name === 'edge-runtime' ? 'main.js' : 'main.mjs');
    writeFileSync(file, moduleText);
    let args: string[];
    if (runtime.name === 'workerd') {
      writeFileSync(join(dir, 'config.capnp'), workerdConfig('main.mjs', options.bindings ?? {}));
      args = ['test', join(dir, 'config.capnp')];
    } else if (runtime.name === 'deno') {
      args = ['run', '--allow-net=127.0.0.1', '--no-config', '--no-prompt', file];
    } else if (runtime.name === 'edge-runtime') {
      args = [file];
    } else {
      args = ['run', file];
    }
    return await spawnForResult<T>(runtime.bin, args, { cwd: options.cwd ?? dir, env: options.env, timeoutMs: options.timeoutMs ?? 60_000 });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface ProcessRun { stdout: string; stderr: string; ms: number }

/** Runs a command to its end; a failure (exit status, time-out) carries both streams. */
export function runProcess(bin: string, args: string[], options: { cwd: string; env?: Record<string, string>; timeoutMs: number }): Promise<ProcessRun> {
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    execFile(bin, args, { cwd: options.cwd, env: { ...process.env, ...options.env, NO_COLOR: '1' }, timeout: options.timeoutMs, maxBuffer: 16 << 20, killSignal: 'SIGKILL' },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`${bin} ${args.join(' ')} failed (${error.message.split('\n')[0]})\n--- stdout\n${stdout}\n--- stderr\n${stderr}`));
        else resolve({ stdout, stderr, ms: Date.now() - t0 });
      });
  });
}

/** runProcess, and the JSON of the one `RESULT {json}` line it printed (on either stream). */
export async function spawnForResult<T>(bin: string, args: string[], options: { cwd: string; env?: Record<string, string>; timeoutMs: number }): Promise<RuntimeRun<T>> {
  const run = await runProcess(bin, args, options);
  const line = `${run.stdout}\n${run.stderr}`.split('\n').find((l) => l.startsWith('RESULT '));
  if (line === undefined) throw new Error(`${bin} ${args.join(' ')} printed no RESULT line\n--- stdout\n${run.stdout}\n--- stderr\n${run.stderr}`);
  return { ...run, result: JSON.parse(line.slice('RESULT '.length)) as T };
}

/** A module worker whose fetch may reach 127.0.0.1 (workerd's default network refuses local addresses); `bindings` become its text `env`. */
function workerdConfig(moduleFile: string, bindings: Record<string, string>): string {
  const env = Object.entries(bindings).map(([name, text]) => `(name = ${JSON.stringify(name)}, text = ${JSON.stringify(text)})`).join(', ');
  return `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [
    (name = "main", worker = .worker),
    (name = "loopback", network = (allow = ["local"])),
  ],
);
const worker :Workerd.Worker = (
  modules = [(name = "main", esModule = embed ${JSON.stringify(moduleFile)})],
  compatibilityDate = "2025-09-01",
  bindings = [${env}],
  globalOutbound = "loopback",
);
`;
}
