/**
 * The signer uses Node's one-shot crypto.hash where it exists (Node >= 20.12) and
 * createHash/createHmac elsewhere (Node 18, and Node 20 before 20.12, which engines allows).
 * npm test runs on 20.20, so the second path is proven here too: the whole AWS suite again,
 * in a child without crypto.hash (the matrix's Node 18 also takes it natively).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

describe('signer without crypto.hash (the Node < 20.12 path)', function () {
  it('passes the AWS test suites and the botocore probes', function () {
    this.timeout(180_000);
    const mocha = join(ROOT, 'node_modules', 'mocha', 'bin', 'mocha.js');
    const run = spawnSync(process.execPath, [
      mocha, '--no-config', '-n', 'import=tsx', '--extension', 'ts', '--reporter', 'dot',
      '--require', join(ROOT, 'test', 'support', 'without-one-shot-hash.cjs'),
      join(ROOT, 'test', 'conformance', 'sigv4-suite.test.ts'),
    ], { cwd: ROOT, encoding: 'utf8', timeout: 170_000 });
    const output = `${run.stdout}\n${run.stderr}`;
    assert.equal(run.status, 0, `the suite failed without crypto.hash:\n${output.slice(-4000)}`);
    for (const line of ['aws4_testsuite: 34 passed', 'header form: 31 passed', 'query form: 31 passed', 'botocore-probes: 12 passed']) {
      assert.ok(output.includes(line), `missing "${line}" in:\n${output.slice(-4000)}`);
    }
    assert.match(output, /\d+ passing/);
    assert.doesNotMatch(output, /\d+ failing/);
  });
});
