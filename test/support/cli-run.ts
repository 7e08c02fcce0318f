/** Runs the command line (`src/cli/main.ts` through tsx, or a built bin) as a child and collects its output. */
import { spawn } from 'node:child_process';
import { join } from 'node:path';

export const REPO = join(__dirname, '..', '..');
export const CLI = join(REPO, 'src', 'cli', 'main.ts');

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], options: { env: NodeJS.ProcessEnv; input?: string | Buffer; bin?: string }): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const argv = options.bin ? [options.bin, ...args] : ['--import', 'tsx', CLI, ...args];
    const child = spawn(process.execPath, argv, { env: options.env, cwd: REPO });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(options.input);
  });
}
