/**
 * The Connections outside Node: the OpenSearch client with AwsSigV4Connection, loaded from
 * the built package, run under Bun and under Deno's Node compatibility (npm packages from
 * the project's node_modules) against the verifying stub in front of a real OpenSearch.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { useSignedStack } from '../support/stack.js';
import { requireRuntime, spawnForResult, type RuntimeInfo } from '../support/runtimes.js';

const ROOT = join(__dirname, '..', '..');
const SCRIPT = join(__dirname, 'fixtures', 'opensearch-client.mjs');
const BULK_DOCS = 200;

/** How each runtime runs a Node program that imports npm packages. */
const ARGS: Record<'bun' | 'deno', string[]> = {
  bun: ['run', SCRIPT],
  // Deno resolves npm packages from the node_modules folder npm made ("manual"), not its own cache.
  deno: ['run', '--allow-env', '--allow-net=127.0.0.1', '--allow-read', '--allow-sys=osRelease', '--node-modules-dir=manual', '--no-prompt', SCRIPT],
};

interface ClientRun { runtime: string; bulkErrors: boolean; bulkItems: number; searchHits: number; count: number }

describe('AwsSigV4Connection under Bun and Deno, OpenSearch client, through the stub to a real OpenSearch', function () {
  this.timeout(180_000);
  const stack = useSignedStack({ server: 'opensearch@3', region: 'eu-west-1' });

  before(function () {
    this.timeout(300_000);
    // The script loads the package as users do, from dist: build it when a lone run has not.
    if (!existsSync(join(ROOT, 'dist', 'esm', 'opensearch.js'))) execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });
  });

  for (const runtime of ['bun', 'deno'] as const) {
    describe(runtime, () => {
      let info: RuntimeInfo;
      before(function () {
        info = requireRuntime(this, runtime);
      });

      it('index, bulk, search, count, delete: every request accepted, 0 rejected', async () => {
        const s = stack();
        s.proxy.reset();
        const run = await spawnForResult<ClientRun>(info.bin, ARGS[runtime], {
          cwd: ROOT,
          timeoutMs: 120_000,
          env: {
            RT_STUB_URL: s.stubUrl, RT_REGION: s.region, RT_ACCESS_KEY_ID: s.credentials.accessKeyId,
            RT_SECRET_ACCESS_KEY: s.credentials.secretAccessKey, RT_INDEX: `runtimes-${runtime}-${process.pid}`, RT_DOCS: String(BULK_DOCS),
          },
        });
        assert.match(run.result.runtime, new RegExp(`^${runtime} ${info.version.replace(/\./g, '\\.')}`));
        assert.deepEqual({ ...run.result, runtime }, { runtime, bulkErrors: false, bulkItems: BULK_DOCS, searchHits: 1, count: BULK_DOCS + 1 });
        const stats = s.proxy.stats();
        assert.equal(stats.rejected, 0, JSON.stringify(stats.byVerdict));
        assert.ok(stats.accepted >= 5, `only ${stats.accepted} requests reached the stub`);
        console.log(`      [runtime] ${run.result.runtime}: OpenSearch client + AwsSigV4Connection, ${stats.accepted} requests accepted, 0 rejected (${run.ms} ms)`);
      });
    });
  }
});
