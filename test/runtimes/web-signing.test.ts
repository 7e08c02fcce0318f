/**
 * Signing inside the real runtimes (Cloudflare's workerd, Deno, Bun, and Vercel's
 * edge-runtime emulator), each fetched from the npm registry: one bundle per signer, built for the web platform (so it needs no Node
 * built-in), signs API Gateway (`execute-api`) and OpenSearch (`es`, `aoss`, bulk NDJSON)
 * requests and sends them to verifying stubs on loopback, which check every signature
 * with @smithy/signature-v4.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { VerifyProxy } from '../../src/testing/index.js';
import { startStub, TEST_CREDENTIALS } from '../support/stack.js';
import { bundleForWeb, requireRuntime, runInRuntime, type RuntimeInfo, type RuntimeName } from '../support/runtimes.js';
import type { RuntimeConfig, ScenarioResult } from './fixtures/scenarios.js';

const FIXTURES = join(__dirname, 'fixtures');
const REGION = 'eu-west-1';
const SERVICES = ['execute-api', 'es', 'aoss'] as const;

/** The signers run in every runtime: aws4fetch proves the harness itself; ours is `aws-sigv4-connection/fetch`. */
const SIGNERS = ['aws4fetch', 'ours'] as const;

/** The entry per runtime: workerd's test() handler, edge-runtime's script (no top-level await), else a module. */
function entryFor(signer: string, config: RuntimeConfig, runtime: RuntimeName): string {
  const run = `const results = await runScenarios(${JSON.stringify(config)}, signedFetchFor);
    console.log('RESULT ' + JSON.stringify({ signer: signerName, results }));`;
  const body = runtime === 'workerd' ? `export default { async test() { ${run} } };` : runtime === 'edge-runtime' ? `(async () => { ${run} })();` : run;
  return `import { runScenarios } from './scenarios.ts';
import { signedFetchFor, signerName } from './signer-${signer}.ts';
${body}`;
}

describe('signing inside the runtimes, against the verifying stub', function () {
  this.timeout(180_000);
  const stubs = new Map<string, VerifyProxy>();
  let config: RuntimeConfig;

  before(async () => {
    for (const service of SERVICES) stubs.set(service, await startStub({ service, region: REGION }));
    config = {
      region: REGION,
      credentials: { ...TEST_CREDENTIALS },
      stubs: Object.fromEntries(SERVICES.map((s) => [s, stubs.get(s)!.url])) as RuntimeConfig['stubs'],
    };
  });
  after(async () => {
    for (const stub of stubs.values()) await stub.close();
  });

  it('a bundle for the web platform fails on a Node built-in (what "needs no Node built-in" rests on)', async () => {
    await assert.rejects(bundleForWeb(`import { createHash } from 'node:crypto'; console.log(createHash);`, FIXTURES), /node:crypto/);
  });

  for (const runtime of ['workerd', 'deno', 'bun', 'edge-runtime'] as RuntimeName[]) {
    describe(runtime, () => {
      let info: RuntimeInfo;
      before(function () {
        info = requireRuntime(this, runtime);
      });

      for (const signer of SIGNERS) {
        it(`${signer}: every execute-api / es / aoss request is accepted by the stub`, async () => {
          for (const stub of stubs.values()) stub.reset();
          const bundle = await bundleForWeb(entryFor(signer, config, runtime), FIXTURES, runtime === 'edge-runtime' ? 'iife' : 'esm');
          const run = await runInRuntime<{ signer: string; results: ScenarioResult[] }>(info, bundle);
          assert.equal(run.result.signer, signer);
          const failed = run.result.results.filter((r) => r.status !== 200);
          assert.deepEqual(failed, [], `refused in ${runtime} ${info.reported}`);
          for (const service of SERVICES) {
            const stats = stubs.get(service)!.stats();
            const sent = run.result.results.filter((r) => r.service === service).length;
            assert.ok(sent > 0);
            assert.deepEqual({ service, accepted: stats.accepted, rejected: stats.rejected }, { service, accepted: sent, rejected: 0 });
          }
          console.log(`      [runtime] ${runtime} ${info.reported}: ${signer} signed ${run.result.results.length} requests, all accepted (${run.ms} ms incl. start)`);
        });
      }
    });
  }
});
