/**
 * A callback that throws (a bug in the caller's code, or in a callback-API client call):
 * the stock class calls back from a response event, so the throw is an uncaught exception.
 * Ours must do the same, not turn it into an unhandled rejection that an app which only
 * logs those would swallow. Run in a child per family: the throw must reach the process.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..', '..');

describe('a callback that throws: the same process event from the stock class and ours', function () {
  this.timeout(30_000);
  for (const [family, pkg] of [['os3', '@opensearch-project/opensearch'], ['os2', 'os2'], ['es7', 'es7']]) {
    it(family, function () {
      const out = JSON.parse(execFileSync(process.execPath, [join(__dirname, 'callback-throw-child.cjs'), pkg!], { cwd: ROOT, encoding: 'utf8' })) as Record<string, string[]>;
      assert.deepEqual(out.stock, ['uncaughtException: thrown by the callback']);
      assert.deepEqual(out.ours, out.stock);
    });
  }
});
