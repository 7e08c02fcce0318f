/**
 * The benchmark's quick mode, as CI runs it: every contender (ours, aws4, smithy, the
 * OpenSearch client's signer, aws-elasticsearch-connector, the hashing floors) signs each
 * request shape once and passes the independent verifier. No timing is asserted: a shared
 * CI machine makes any threshold flaky, and the full `npm run bench` is where figures live.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

function runQuickBench(): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join('bench', 'index.ts'), '--quick'], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE: '1' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    // Bounded: a hung contender must fail the test, not stall the suite.
    const timer = setTimeout(() => child.kill('SIGKILL'), 150_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('bench --quick (smoke)', function () {
  this.timeout(180_000);

  it('runs every contender and every one passes verification', async () => {
    const { code, stdout, stderr } = await runQuickBench();
    assert.equal(code, 0, `bench --quick exited ${code}\n--- stderr (tail) ---\n${stderr.split('\n').slice(-30).join('\n')}`);
    assert.doesNotMatch(stdout, /VERIFICATION FAILED/);
    for (const contender of ['ours: signRequest', 'aws4.sign', '@smithy/signature-v4', 'opensearch-js AwsSigv4Signer', 'aws-elasticsearch-connector',
      'floor: sha256(Buffer)', 'floor: sha256(string), one call', 'floor: sha256(string), 64 Ki-char slices']) {
      assert.ok(stdout.includes(contender), `"${contender}" is missing from the quick run's table`);
    }
  });
});
