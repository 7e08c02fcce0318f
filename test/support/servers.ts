/**
 * Real search servers for the API tests: the same code as `npm run server` (scripts/servers-lib.ts),
 * plus env overrides, a Docker fallback, and cleanup that survives failing or interrupted runs.
 *
 *  - OPENSEARCH_URL / ELASTICSEARCH_URL: use that running server for opensearch / elasticsearch
 *    specs (its stop() does nothing).
 *  - Otherwise a local integ-test zip on a machine JDK; if the machine has no fitting JDK (or no
 *    Maven and nothing cached) but a Docker engine answers, the official image via testcontainers.
 *  - Neither: ServerUnavailableError, which useSearchServer turns into a loud skip, or a failure
 *    when CI=true.
 */
import {
  DEFAULT_SPECS, PINNED_VERSIONS, ServerUnavailableError, dockerUsable, mavenAvailable, pickJdk,
  resolveSpec, serverInfo, startServer, stopInstance, stopInstanceSync, tailFile, zipCached,
  type Distribution, type Instance,
} from '../../scripts/servers-lib.js';

export { DEFAULT_SPECS, PINNED_VERSIONS, ServerUnavailableError, resolveSpec };
export type { Distribution };

export interface ServerHandle {
  url: string;
  version: string;
  distribution: Distribution;
  /** Where it runs: a local JVM we started, a Docker container, or an *_URL override. */
  source: 'local' | 'docker' | 'external';
  /** Process (group) id of a local server; undefined for the other sources. */
  pid?: number;
  /** Wall time of the start, download and unpack included. */
  startMs: number;
  stop(): Promise<void>;
  logTail(n?: number): string;
}

const START_TIMEOUT_MS = Number(process.env.SEARCH_SERVER_START_TIMEOUT_MS ?? 180_000);
// Room for a cold Maven download and unpack on top of the server's own start.
export const START_HOOK_TIMEOUT_MS = START_TIMEOUT_MS + 5 * 60_000;

// Every local JVM this process started and hasn't stopped: killed on exit whatever the
// reason. 'exit' handlers can only signal, not wait, and don't run on SIGKILL; the watchdog
// that startServer leaves beside each server covers both (escalation and hard kills).
const live = new Set<Instance>();
process.once('exit', () => {
  for (const inst of live) stopInstanceSync(inst);
});

const log = (msg: string, detail?: boolean): void => {
  if (!detail) process.stderr.write(`[servers] ${msg}\n`);
};

export async function startSearchServer(spec: string): Promise<ServerHandle> {
  const { distribution, version } = resolveSpec(spec);
  const t0 = Date.now();
  const override = distribution === 'opensearch' ? process.env.OPENSEARCH_URL : process.env.ELASTICSEARCH_URL;
  if (override) return external(override, distribution, t0);

  const reason = localUnavailable(distribution, version);
  if (reason) {
    if (dockerUsable()) return startDocker(distribution, version, t0);
    throw new ServerUnavailableError(`${reason}; and no Docker engine answers 'docker info'`);
  }
  const inst = await startServer(spec, { owner: 'test', watchParent: true, timeoutMs: START_TIMEOUT_MS, log });
  live.add(inst);
  // One line per start: the CI log then shows what each server cost.
  console.log(`      [server] ${distribution} ${inst.version} on Java ${inst.javaMajor} (${inst.javaHome}) started in ` +
    `${((Date.now() - t0) / 1000).toFixed(1)} s at ${inst.url}`);
  return {
    url: inst.url,
    version: inst.version,
    distribution,
    source: 'local',
    pid: inst.pid,
    startMs: Date.now() - t0,
    async stop() {
      if (!live.has(inst)) return;
      await stopInstance(inst);
      live.delete(inst);
    },
    logTail: (n = 50) => tailFile(inst.logFile, n),
  };
}

function localUnavailable(distribution: Distribution, version: string): string | undefined {
  try {
    pickJdk(distribution, version);
  } catch (err) {
    if (err instanceof ServerUnavailableError) return err.message;
    throw err;
  }
  if (!zipCached(distribution, version) && !mavenAvailable()) {
    return `Maven (mvn) is not installed and ${distribution} ${version} is not cached in .cache/servers`;
  }
  return undefined;
}

async function external(url: string, distribution: Distribution, t0: number): Promise<ServerHandle> {
  const base = url.replace(/\/+$/, '');
  // A wrong override is a broken setup, not a missing server: fail instead of skipping.
  const info = await serverInfo(base).catch((err: Error) => {
    throw new Error(`${distribution === 'opensearch' ? 'OPENSEARCH_URL' : 'ELASTICSEARCH_URL'}=${url} does not answer GET /: ${err.message}`);
  });
  if (info.distribution !== distribution) {
    throw new Error(`${url} is ${info.distribution} ${info.version}, but a ${distribution} server was asked for`);
  }
  return {
    url: base, version: info.version, distribution, source: 'external', startMs: Date.now() - t0,
    async stop() { /* not ours to stop */ },
    logTail: () => `(external server at ${base}: its log is wherever it runs)`,
  };
}

async function startDocker(distribution: Distribution, version: string, t0: number): Promise<ServerHandle> {
  const { GenericContainer, Wait } = await import('testcontainers');
  const env: Record<string, string> = {
    'discovery.type': 'single-node',
    'cluster.routing.allocation.disk.threshold_enabled': 'false',
  };
  let image: string;
  if (distribution === 'opensearch') {
    image = `opensearchproject/opensearch:${version}`;
    Object.assign(env, {
      DISABLE_SECURITY_PLUGIN: 'true',
      // 2.12+ images otherwise insist on OPENSEARCH_INITIAL_ADMIN_PASSWORD for the demo config.
      DISABLE_INSTALL_DEMO_CONFIG: 'true',
      OPENSEARCH_JAVA_OPTS: '-Xms512m -Xmx512m',
    });
  } else {
    image = `docker.elastic.co/elasticsearch/elasticsearch:${version}`;
    Object.assign(env, {
      'xpack.security.enabled': 'false',
      // ML's native controller wants more memory and CPU than a 512 MiB test node has.
      'xpack.ml.enabled': 'false',
      ES_JAVA_OPTS: '-Xms512m -Xmx512m',
    });
  }
  log(`no local JDK/Maven for ${distribution} ${version}: starting ${image} with testcontainers`);
  const container = await new GenericContainer(image)
    .withEnvironment(env)
    .withExposedPorts(9200)
    .withWaitStrategy(Wait.forHttp('/_cluster/health', 9200).forStatusCode(200))
    .withStartupTimeout(START_TIMEOUT_MS)
    .start();
  const lines: string[] = [];
  (await container.logs()).on('data', (chunk: Buffer | string) => {
    lines.push(...chunk.toString().split('\n').filter(Boolean));
    if (lines.length > 2000) lines.splice(0, lines.length - 1000);
  });
  let stopped = false;
  return {
    url: `http://${container.getHost()}:${container.getMappedPort(9200)}`,
    version, distribution, source: 'docker', startMs: Date.now() - t0,
    async stop() {
      if (stopped) return;
      stopped = true;
      await container.stop();
    },
    logTail: (n = 50) => lines.slice(-n).join('\n'),
  };
}

// ---------------------------------------------------------------------------------------
// Shared servers for mocha suites

interface Shared {
  promise: Promise<ServerHandle>;
  leases: number;
  idleSince?: number;
}

// Keyed by the resolved version, so 'opensearch' and 'opensearch@3' share one server.
const shared = new Map<string, Shared>();
// Idle servers kept for later files that may ask again; each costs ~0.8 GiB of RAM and a
// restart costs 5-25 s. CI machines (24 GiB) keep all five; a laptop keeps two.
const MAX_IDLE = Number(process.env.SEARCH_SERVER_MAX_IDLE ?? (process.env.CI === 'true' ? 5 : 2));

async function acquire(spec: string): Promise<ServerHandle> {
  const { distribution, version } = resolveSpec(spec);
  const key = `${distribution}@${version}`;
  const hit = shared.get(key);
  if (hit) {
    hit.leases++;
    hit.idleSince = undefined;
    return hit.promise;
  }
  const idle = [...shared.entries()].filter(([, s]) => s.leases === 0)
    .sort(([, a], [, b]) => (a.idleSince ?? 0) - (b.idleSince ?? 0));
  while (idle.length >= MAX_IDLE) {
    const [oldKey, old] = idle.shift()!;
    shared.delete(oldKey);
    await old.promise.then((h) => h.stop(), () => {});
  }
  const entry: Shared = { promise: startSearchServer(spec), leases: 1 };
  shared.set(key, entry);
  return entry.promise;
}

function release(spec: string): void {
  const { distribution, version } = resolveSpec(spec);
  const entry = shared.get(`${distribution}@${version}`);
  if (entry && --entry.leases === 0) entry.idleSince = Date.now();
}

/** Stops every server useSearchServer started (runs by itself after the whole mocha run). */
export async function stopAllSearchServers(): Promise<void> {
  const all = [...shared.values()];
  shared.clear();
  await Promise.all(all.map((s) => s.promise.then((h) => h.stop(), () => {})));
}

// A root-level hook, registered when the first test file imports this module.
if (typeof after === 'function') {
  after('stop shared search servers', async function () {
    this.timeout(120_000);
    await stopAllSearchServers();
  });
}

/** The one place that decides skip-or-fail, so every suite reports unavailability alike. */
export function skipIfUnavailable(ctx: Mocha.Context, spec: string, err: unknown): never {
  if (err instanceof ServerUnavailableError && process.env.CI !== 'true') {
    const suite = ctx.test?.parent?.fullTitle() || spec;
    console.warn(`!!! SKIPPED "${suite}": ${spec} unavailable: ${err.message} (with CI=true this fails)`);
    ctx.skip();
  }
  throw err;
}

/**
 * Registers before/after hooks in the calling describe(): the server is started once (and
 * shared with other suites of the same run that ask for the same version), and the returned
 * getter gives its handle inside it()/before(). Don't stop() a shared handle yourself.
 */
export function useSearchServer(spec: string): () => ServerHandle {
  resolveSpec(spec); // a typo fails at load time, not after a server start
  let handle: ServerHandle | undefined;
  let leased = false;
  before(async function () {
    this.timeout(START_HOOK_TIMEOUT_MS);
    try {
      leased = true;
      handle = await acquire(spec);
    } catch (err) {
      skipIfUnavailable(this, spec, err);
    }
  });
  after(() => {
    if (leased) release(spec);
    leased = false;
    handle = undefined;
  });
  return () => {
    if (!handle) throw new Error(`${spec} is not started: use the getter inside it() or a later before()`);
    return handle;
  };
}
