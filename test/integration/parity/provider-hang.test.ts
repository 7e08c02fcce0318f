/**
 * A credential provider that never settles, with nothing else pending: es9 has no default
 * requestTimeout and fetch has none, and the providerTimeoutMs timer is unref'd so that a
 * background refresh never holds a process. The process exited mid-await, code 0, nothing
 * printed. A request waiting on the provider now holds the process until providerTimeoutMs,
 * and ends with the typed CredentialsError. Run in a child (the built package): what is
 * checked is whether the process stays.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..', '..');

describe('a credential provider that never settles: the caller gets the typed error, the process does not exit mid-await', function () {
  this.timeout(30_000);
  for (const mode of ['es9', 'fetch']) {
    it(mode === 'es9' ? 'es9 Client over our HttpConnection' : 'createSignedFetch', () => {
      const child = spawnSync(process.execPath, [join(__dirname, 'provider-hang-child.cjs'), mode], { cwd: ROOT, encoding: 'utf8', timeout: 15_000 });
      assert.ok(child.stdout !== '', `exited with ${child.status} and printed nothing (stderr: ${child.stderr.slice(0, 300)})`);
      const out = JSON.parse(child.stdout) as { name?: string; code?: string; ms: number };
      assert.equal(out.code, 'ERR_CREDENTIALS_PROVIDER', child.stdout);
      assert.equal(out.name, 'CredentialsError');
      assert.equal(child.status, 1);
      // providerTimeoutMs 300: ends when it fires, not at some later timer.
      assert.ok(out.ms >= 250 && out.ms < 2_000, `ended after ${out.ms} ms`);
    });
  }
});
