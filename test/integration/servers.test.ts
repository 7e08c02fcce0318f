import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { groupMembers, isProcessAlive } from '../../scripts/servers-lib.js';
import {
  DEFAULT_SPECS, START_HOOK_TIMEOUT_MS, resolveSpec, skipIfUnavailable, startSearchServer, useSearchServer, type ServerHandle,
} from '../support/servers.js';

const STOP_SPEC = 'opensearch@2';

async function call(server: ServerHandle, method: string, path: string, body?: unknown): Promise<any> {
  const res = await fetch(server.url + path, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  assert.ok(res.ok, `${method} ${path} -> ${res.status}: ${text}\n--- server log tail ---\n${server.logTail(30)}`);
  return JSON.parse(text);
}

// The version and indexing checks use the run's shared servers (other files need them too);
// start-and-stop is proven on a server of its own, the quickest to start.
describe('search servers from scripts/servers-lib.ts', function () {
  for (const spec of DEFAULT_SPECS) {
    describe(spec, function () {
      const expected = resolveSpec(spec);
      const server = useSearchServer(spec);

      before(function () {
        const s = server();
        console.log(`      ${spec}: ${s.distribution} ${s.version} (${s.source}) at ${s.url}`);
      });

      it('GET / names the distribution and version', async () => {
        const root = await call(server(), 'GET', '/');
        if (expected.distribution === 'opensearch') {
          assert.equal(root.version.distribution, 'opensearch');
        } else {
          assert.equal(root.version.distribution, undefined);
          assert.equal(root.tagline, 'You Know, for Search');
        }
        // An *_URL override may run another version of the same line.
        if (server().source === 'external') assert.equal(root.version.number.split('.')[0], expected.version.split('.')[0]);
        else assert.equal(root.version.number, expected.version);
        assert.equal(root.version.number, server().version);
      });

      it('indexes a document and finds it', async () => {
        const index = `servers-test-${Date.now()}`;
        await call(server(), 'PUT', `/${index}/_doc/1?refresh=true`, { title: 'hello from the sigv4 tests', n: 1 });
        const found = await call(server(), 'POST', `/${index}/_search`, { query: { match: { title: 'sigv4' } } });
        assert.equal(found.hits.total.value, 1);
        assert.equal(found.hits.hits[0]._id, '1');
        assert.equal(found.hits.hits[0]._source.n, 1);
        await call(server(), 'DELETE', `/${index}`);
      });
    });
  }

  describe(`${STOP_SPEC} started on its own`, function () {
    let server: ServerHandle | undefined;

    before(async function () {
      this.timeout(START_HOOK_TIMEOUT_MS);
      const t0 = Date.now();
      try {
        server = await startSearchServer(STOP_SPEC);
      } catch (err) {
        skipIfUnavailable(this, STOP_SPEC, err);
      }
      console.log(`      ${STOP_SPEC}: started in ${((Date.now() - t0) / 1000).toFixed(1)}s at ${server.url}`);
    });

    after(async function () {
      this.timeout(60_000);
      await server?.stop(); // when the test failed before its stop()
    });

    it('stop() leaves no process behind', async function () {
      this.timeout(60_000);
      const s = server!;
      if (s.source !== 'local') this.skip();
      const pid = s.pid!;
      assert.ok(isProcessAlive(pid), `pid ${pid} should be running before stop()`);
      await call(s, 'GET', '/');
      const t0 = Date.now();
      await s.stop();
      console.log(`      ${STOP_SPEC}: stopped in ${((Date.now() - t0) / 1000).toFixed(1)}s`);
      assert.ok(!isProcessAlive(pid), `pid ${pid} still running after stop()`);
      assert.deepEqual(groupMembers(pid), [], `process group ${pid} still has members`);
      await assert.rejects(fetch(s.url + '/', { signal: AbortSignal.timeout(5000) }));
    });

    it('`npm run server -- start` prints the URL last and leaves it running; `stop` leaves nothing', async function () {
      this.timeout(START_HOOK_TIMEOUT_MS);
      if (server?.source !== 'local') this.skip();
      const start = serverCommand('start', STOP_SPEC);
      assert.equal(start.status, 0, start.stderr);
      const url = start.stdout.trim().split('\n').at(-1)!;
      assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
      const root = await (await fetch(url + '/', { signal: AbortSignal.timeout(10_000) })).json() as { version: { number: string } };
      assert.equal(root.version.number, resolveSpec(STOP_SPEC).version);
      const line = serverCommand('status').stdout.split('\n').find((l) => l.includes(`${url} `)) ?? '';
      const [id] = line.split(/\s+/);
      const pid = Number(/pid (\d+)/.exec(line)?.[1]);
      assert.ok(pid > 0 && isProcessAlive(pid), `status names a live pid for ${url}: "${line}"`);

      // By id, so a server someone started by hand on this machine is left alone.
      const stop = serverCommand('stop', id!);
      assert.equal(stop.status, 0, stop.stderr);
      assert.ok(!isProcessAlive(pid), `pid ${pid} still running after stop`);
      assert.deepEqual(groupMembers(pid), []);
      await assert.rejects(fetch(url + '/', { signal: AbortSignal.timeout(5000) }));
    });
  });
});

/** The command people and the README use, as a child process (tsx, as `npm run server` runs it). */
function serverCommand(...args: string[]) {
  const tsx = join(__dirname, '..', '..', 'node_modules', 'tsx', 'dist', 'cli.mjs');
  return spawnSync(process.execPath, [tsx, join(__dirname, '..', '..', 'scripts', 'server.ts'), ...args], {
    encoding: 'utf8', timeout: START_HOOK_TIMEOUT_MS, env: { ...process.env, CI: process.env.CI ?? '' },
  });
}
