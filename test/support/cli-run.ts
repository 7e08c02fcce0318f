/** Runs the command line (`src/cli/main.ts` through tsx, or a built bin) as a child and collects its output. */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

export const REPO = join(__dirname, '..', '..');
export const CLI = join(REPO, 'src', 'cli', 'main.ts');

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Below the 30 s the shortest CLI suite gives a test: a command that unexpectedly keeps running
 * (a `proxy` started by a mistaken expectation) is killed here, with its output, and fails its
 * own test instead of outliving it.
 */
export const CLI_RUN_TIMEOUT_MS = 25_000;

// mocha runs with `exit: true`: whatever is still running when it exits is killed with it.
const running = new Set<ChildProcess>();
process.on('exit', () => { for (const child of running) child.kill('SIGKILL'); });

export function runCli(args: string[], options: { env: NodeJS.ProcessEnv; input?: string | Buffer; bin?: string; timeoutMs?: number }): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const argv = options.bin ? [options.bin, ...args] : ['--import', 'tsx', CLI, ...args];
    const child = spawn(process.execPath, argv, { env: options.env, cwd: REPO });
    running.add(child);
    let stdout = '';
    let stderr = '';
    const timeoutMs = options.timeoutMs ?? CLI_RUN_TIMEOUT_MS;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the command did not end within ${timeoutMs} ms and was killed; stdout: ${stdout.slice(-2000)}\nstderr: ${stderr.slice(-2000)}`));
    }, timeoutMs);
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.on('error', (error) => { clearTimeout(timer); reject(error); });
    child.on('close', (code) => { clearTimeout(timer); running.delete(child); resolve({ code, stdout, stderr }); });
    child.stdin.end(options.input);
  });
}
