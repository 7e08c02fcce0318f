/**
 * Starts `proxy` or `verify-proxy` of the command line as a child process (as users run
 * it) and waits for its "listening on URL" line; stop() sends SIGTERM and waits for the exit.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { VerifyProxy } from '../../src/testing/index.js';
import { CLI, REPO } from './cli-run.js';
import { startStub } from './stack.js';

export interface CliServer {
  url: string;
  port: number;
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code once the process ended. */
  exited: Promise<number | null>;
  stop(): Promise<number | null>;
}

export class CliExited extends Error {
  constructor(readonly code: number | null, readonly stdout: string, readonly stderr: string) {
    super(`the CLI exited (${code}) before listening:\n${stderr}`);
  }
}

export function startCliServer(args: string[], env: NodeJS.ProcessEnv, timeoutMs = 30_000): Promise<CliServer> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], { env, cwd: REPO });
    let out = '';
    let err = '';
    let listening = false;
    const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`no "listening on" line within ${timeoutMs} ms:\n${err}`));
    }, timeoutMs);
    child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (https?:\/\/[^\s]+:(\d+))/.exec(out);
      if (m && !listening) {
        listening = true;
        clearTimeout(timer);
        resolve({
          url: m[1]!,
          port: Number(m[2]),
          child,
          stdout: () => out,
          stderr: () => err,
          exited,
          stop: async () => {
            if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
            return exited;
          },
        });
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      if (!listening) reject(new CliExited(code, out, err));
    });
  });
}

/**
 * Mocha hooks for a suite of spawned proxies in front of one verifying stub: `start`
 * spawns `proxy --port 0 ...args` (its --target given by the caller); all stop after.
 */
export function useProxyProcesses(env: NodeJS.ProcessEnv): {
  stub(): VerifyProxy;
  start(args: string[], runEnv?: NodeJS.ProcessEnv): Promise<CliServer>;
  /** Stops this one (started otherwise) with the others. */
  track(server: CliServer): void;
} {
  let stub: VerifyProxy | undefined;
  const servers: CliServer[] = [];
  before(async () => { stub = await startStub(); });
  after(async () => {
    await Promise.all(servers.map((s) => s.stop()));
    await stub?.close();
  });
  return {
    stub: () => stub!,
    track: (server) => { servers.push(server); },
    start: async (args, runEnv = env) => {
      const server = await startCliServer(['proxy', '--port', '0', ...args], runEnv);
      servers.push(server);
      return server;
    },
  };
}
