// Real OpenSearch/Elasticsearch servers for local testing, from Maven Central's
// integ-test zips and the machine's JDKs (no Docker needed).
//
//   npm run server -- start opensearch@2     # last stdout line: the base URL
//   npm run server -- status
//   npm run server -- stop                   # everything `start` started
//   npm run server -- versions               # pinned versions and the JDK each gets
//
// Specs: opensearch, opensearch@2, opensearch@3, elasticsearch, elasticsearch@7|8|9, or a full
// version (opensearch@2.19.6). Bare `opensearch` is the newest 3.x, bare `elasticsearch` the
// newest 9.x. Environment: SEARCH_SERVER_JAVA_HOME forces a JDK, SEARCH_SERVER_START_TIMEOUT_MS
// (default 180000), SEARCH_SERVER_JAVA_OPTS (default -Xms512m -Xmx512m), SEARCH_SERVER_USER
// (default searchsrv, created when running as root), SEARCH_SERVER_KEEP_DIRS=1 keeps .servers/<id>.
import { Command } from 'commander';
import {
  BARE_ALIASES, DEFAULT_SPECS, PINNED_VERSIONS, ServerUnavailableError, findJdks, isAlive, isProcessAlive,
  javaNeeds, listInstances, orphanInstances, pickJdk, resolveSpec, startServer, stopInstance, type Instance,
} from './servers-lib.js';

const log = (msg: string): void => { process.stderr.write(`[server] ${msg}\n`); };

function describe(inst: Instance): string {
  const state = isAlive(inst) ? 'running' : 'dead';
  return `${inst.id}  ${state}  ${inst.url}  pid ${inst.pid}  jdk ${inst.javaMajor}  owner ${inst.owner}` +
    `${inst.owner === 'test' ? ` (pid ${inst.ownerPid})` : ''}  log ${inst.logFile}`;
}

const program = new Command('server').description('start/stop real OpenSearch and Elasticsearch servers on 127.0.0.1');

program.command('start')
  .argument('<spec>', 'opensearch[@2|3|x.y.z] or elasticsearch[@7|8|9|x.y.z]')
  .option('--timeout <seconds>', 'how long to wait for /_cluster/health', (v) => Number(v))
  .action(async (spec: string, o: { timeout?: number }) => {
    const inst = await startServer(spec, { owner: 'cli', log, timeoutMs: o.timeout ? o.timeout * 1000 : undefined });
    process.stdout.write(`${inst.distribution} ${inst.version} pid ${inst.pid}, started in ${((inst.startMs ?? 0) / 1000).toFixed(1)}s\n`);
    process.stdout.write(`log: ${inst.logFile}\n`);
    process.stdout.write(`${inst.url}\n`);
  });

program.command('stop')
  .argument('[id]', 'one instance id (see status); default: all started by this script')
  .option('--all', 'also stop servers that a still-running test process owns')
  .action(async (id: string | undefined, o: { all?: boolean }) => {
    const targets = listInstances().filter((i) => id ? i.id === id
      // A live test run owns its servers; stopping them under it would fail its tests.
      : o.all || i.owner === 'cli' || !isProcessAlive(i.ownerPid));
    if (id && !targets.length) throw new Error(`no instance '${id}' under .servers/`);
    for (const inst of targets) {
      const wasAlive = isAlive(inst);
      await stopInstance(inst);
      log(`${wasAlive ? 'stopped' : 'cleaned up dead'} ${inst.id} (pid ${inst.pid})`);
    }
    // Whatever crashed runs may have left without a state.json (only when stopping "all").
    const orphans = id ? [] : orphanInstances();
    for (const inst of orphans) {
      await stopInstance(inst);
      log(`stopped orphan ${inst.id} (process group ${inst.pid}, no state.json)`);
    }
    if (!targets.length && !orphans.length) log('nothing to stop');
  });

program.command('status')
  .action(() => {
    const all = listInstances();
    const orphans = orphanInstances();
    if (!all.length && !orphans.length) log('no servers');
    for (const inst of all) process.stdout.write(describe(inst) + '\n');
    for (const o of orphans) process.stdout.write(`${o.id}  orphan (no state.json)  process group ${o.pid}  (stop cleans it up)\n`);
  });

program.command('versions')
  .description('pinned versions and the JDK each would run on')
  .action(() => {
    const jdks = findJdks();
    for (const spec of DEFAULT_SPECS) {
      const { distribution, version } = resolveSpec(spec);
      const needs = javaNeeds(distribution, version);
      let jdk: string;
      try {
        const j = pickJdk(distribution, version, jdks);
        jdk = `JDK ${j.major} ${j.home}`;
      } catch (err) {
        if (!(err instanceof ServerUnavailableError)) throw err;
        jdk = 'no fitting JDK here';
      }
      const bare = Object.entries(BARE_ALIASES).find(([, v]) => v === spec)?.[0];
      process.stdout.write(`${spec.padEnd(16)} ${PINNED_VERSIONS[spec].padEnd(8)} needs JDK ${needs.min}..${needs.max}  -> ${jdk}${bare ? `  (also '${bare}')` : ''}\n`);
    }
  });

program.parseAsync(process.argv).catch((err: unknown) => {
  process.stderr.write(`[server] error: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
