// The test helper that runs the command line must not let a command outlive its test.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../support/cli-run.js';

describe('runCli: a command that does not end', () => {
  it('is killed after its timeout, and the run fails with what it printed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cli-run-'));
    const bin = join(dir, 'forever.js');
    writeFileSync(bin, "process.stdout.write(`listening ${process.pid}\\n`); setInterval(() => {}, 1000);\n");
    let error: unknown;
    await runCli([], { env: process.env, bin, timeoutMs: 1500 }).catch((e: unknown) => { error = e; });
    assert.ok(error instanceof Error, 'the run did not fail');
    assert.match(error.message, /did not end within 1500 ms and was killed; stdout: listening (\d+)/);
    const pid = Number(/listening (\d+)/.exec(error.message)![1]);
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.throws(() => process.kill(pid, 0), { code: 'ESRCH' }, 'the command is still running');
  });
});
