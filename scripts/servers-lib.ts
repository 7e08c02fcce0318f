// Shared by scripts/server.ts (CLI) and test/support/servers.ts (mocha), so that the
// server a developer starts by hand is exactly the one the tests start.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import {
  chmodSync, chownSync, closeSync, cpSync, existsSync, mkdirSync, openSync, readdirSync,
  readFileSync, readSync, realpathSync, renameSync, rmSync, statSync, writeFileSync, fstatSync,
} from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { basename, join, dirname, delimiter } from 'node:path';

export type Distribution = 'opensearch' | 'elasticsearch';

// Resolved against Maven Central's integ-test-zip artifacts, not the main jars: the
// integ-test zips lag behind (OpenSearch 3.9.0 and 2.19.7 have jars but no zip yet).
// Pinned so that CI downloads the same bytes every run; bump deliberately.
export const PINNED_VERSIONS = {
  'opensearch@2': '2.19.6',
  'opensearch@3': '3.8.0',
  'elasticsearch@7': '7.10.2',
  'elasticsearch@8': '8.19.21',
  'elasticsearch@9': '9.5.3',
} as const;

// A bare distribution name means the newest line, the one most users will run.
export const BARE_ALIASES: Record<Distribution, keyof typeof PINNED_VERSIONS> = {
  opensearch: 'opensearch@3',
  elasticsearch: 'elasticsearch@9',
};

export const DEFAULT_SPECS = Object.keys(PINNED_VERSIONS) as Array<keyof typeof PINNED_VERSIONS>;

// The integ-test zips ship without a bundled JDK, so the machine's JDK must fit.
// min/max are the majors the server supports (max: the newest actually run here, or the
// last before an incompatible change); preferred is what we pick when several fit.
//  - OpenSearch 2.x and ES 7.x/8.x rely on the Java SecurityManager, gone in JDK 24.
//  - OpenSearch 3.x and ES 9.x refuse to start on anything older than 21.
interface JavaNeeds { min: number; max: number; preferred: number }
export function javaNeeds(distribution: Distribution, version: string): JavaNeeds {
  const major = Number(version.split('.')[0]);
  if (distribution === 'opensearch') {
    if (major <= 1) return { min: 11, max: 17, preferred: 17 };
    if (major === 2) return { min: 11, max: 21, preferred: 17 };
    return { min: 21, max: 25, preferred: 21 };
  }
  if (major <= 7) return { min: 11, max: 17, preferred: 17 };
  if (major === 8) return { min: 17, max: 23, preferred: 17 };
  return { min: 21, max: 25, preferred: 21 };
}

/** Thrown when this machine cannot run the server at all (no fitting JDK, no Maven, ...), as
 * opposed to a server that was tried and failed. Tests turn this into a skip outside CI. */
export class ServerUnavailableError extends Error {
  override name = 'ServerUnavailableError';
}

export interface ResolvedSpec {
  spec: string;
  distribution: Distribution;
  version: string;
}

export function resolveSpec(spec: string): ResolvedSpec {
  const m = /^(opensearch|elasticsearch)(?:@(.+))?$/.exec(spec.trim());
  if (!m) throw new Error(`bad server spec '${spec}': expected opensearch[@VERSION] or elasticsearch[@VERSION]`);
  const distribution = m[1] as Distribution;
  const requested = m[2];
  let version: string;
  if (requested === undefined) {
    version = PINNED_VERSIONS[BARE_ALIASES[distribution]];
  } else if (/^\d+$/.test(requested)) {
    const key = `${distribution}@${requested}` as keyof typeof PINNED_VERSIONS;
    if (!(key in PINNED_VERSIONS)) {
      throw new Error(`no pinned version for '${spec}'; known: ${DEFAULT_SPECS.join(', ')}, or give a full x.y.z version`);
    }
    version = PINNED_VERSIONS[key];
  } else if (/^\d+\.\d+\.\d+$/.test(requested)) {
    version = requested;
  } else {
    throw new Error(`bad version in '${spec}': use a major (opensearch@2) or a full version (opensearch@2.19.6)`);
  }
  return { spec, distribution, version };
}

// ---------------------------------------------------------------------------------------
// Paths

export const REPO_ROOT = dirname(__dirname);
export const CACHE_DIR = process.env.SEARCH_SERVER_CACHE_DIR ?? join(REPO_ROOT, '.cache', 'servers');
export const SERVERS_DIR = process.env.SEARCH_SERVER_RUN_DIR ?? join(REPO_ROOT, '.servers');

/** detail: routine lines (ports, log path, ready) that tests keep quiet about. */
export type Log = (msg: string, detail?: boolean) => void;
const quiet: Log = () => {};

// ---------------------------------------------------------------------------------------
// JDKs

export interface Jdk { home: string; major: number; version: string; vendor: string }

function readJdk(home: string): Jdk | undefined {
  try {
    if (!existsSync(join(home, 'bin', 'java'))) return undefined;
    const release = readFileSync(join(home, 'release'), 'utf8');
    const version = /^JAVA_VERSION="([^"]+)"/m.exec(release)?.[1];
    if (!version) return undefined;
    const vendor = /^IMPLEMENTOR="([^"]+)"/m.exec(release)?.[1] ?? 'unknown';
    // "1.8.0_352" style is Java 8; everything since 9 starts with the major.
    const parts = version.split('.');
    const major = parts[0] === '1' ? Number(parts[1]) : Number(parts[0]);
    return Number.isFinite(major) ? { home: realpathSync(home), major, version, vendor } : undefined;
  } catch {
    return undefined;
  }
}

export function findJdks(): Jdk[] {
  const homes: string[] = [];
  for (const root of ['/usr/lib/jvm', ...(process.env.SEARCH_SERVER_JVM_DIRS ?? '').split(delimiter).filter(Boolean)]) {
    try {
      for (const entry of readdirSync(root)) homes.push(join(root, entry));
    } catch { /* root absent: fine, other places may have JDKs */ }
  }
  if (process.env.JAVA_HOME) homes.push(process.env.JAVA_HOME);
  const onPath = which('java');
  if (onPath) homes.push(dirname(dirname(realpathSync(onPath))));
  const byHome = new Map<string, Jdk>();
  for (const home of homes) {
    const jdk = readJdk(home);
    if (jdk && !byHome.has(jdk.home)) byHome.set(jdk.home, jdk);
  }
  return [...byHome.values()].sort((a, b) => a.major - b.major);
}

export function pickJdk(distribution: Distribution, version: string, jdks = findJdks()): Jdk {
  const forced = process.env.SEARCH_SERVER_JAVA_HOME;
  if (forced) {
    const jdk = readJdk(forced);
    if (!jdk) throw new ServerUnavailableError(`SEARCH_SERVER_JAVA_HOME=${forced} is not a JDK (no bin/java or release file)`);
    return jdk;
  }
  const needs = javaNeeds(distribution, version);
  const fitting = jdks
    .filter((j) => j.major >= needs.min && j.major <= needs.max)
    .sort((a, b) => Math.abs(a.major - needs.preferred) - Math.abs(b.major - needs.preferred) || a.major - b.major);
  if (fitting[0]) return fitting[0];
  const seen = jdks.length ? jdks.map((j) => `${j.major} (${j.home})`).join(', ') : 'none';
  throw new ServerUnavailableError(
    `${distribution} ${version} needs a JDK ${needs.min}..${needs.max} (its integ-test zip bundles none); ` +
    `found: ${seen}. Install one under /usr/lib/jvm or set SEARCH_SERVER_JAVA_HOME.`);
}

export function which(cmd: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const p = join(dir, cmd);
    try {
      if (statSync(p).isFile()) return p;
    } catch { /* not here */ }
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------
// Download and unpack

function run(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { ...opts, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { out += d.toString(); });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code === 0) resolve(out);
      else reject(new Error(`${cmd} ${args.join(' ')} failed (${signal ?? `exit ${code}`}):\n${out.trim()}`));
    });
  });
}

function groupId(distribution: Distribution): string {
  return `org.${distribution}.distribution.integ-test-zip`;
}

function tmpName(dir: string, what: string): string {
  return join(dir, `.tmp-${what}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`);
}

/** Returns the path of the cached zip, downloading it with Maven on first use. */
export async function ensureZip(distribution: Distribution, version: string, log: Log = quiet): Promise<string> {
  const zipDir = join(CACHE_DIR, 'zips');
  const zip = join(zipDir, `${distribution}-${version}.zip`);
  if (existsSync(zip)) return zip;
  const mvn = process.env.MVN ?? which('mvn');
  if (!mvn) throw new ServerUnavailableError(`${zip} is not cached and Maven (mvn) is not installed to fetch it`);
  mkdirSync(zipDir, { recursive: true });
  const out = tmpName(zipDir, `${distribution}-${version}`);
  // A repository of our own keeps the download inside .cache/servers, which CI can cache
  // as one folder, and away from a developer's ~/.m2.
  const m2 = join(CACHE_DIR, 'm2');
  const artifact = `${groupId(distribution)}:${distribution}:${version}:zip`;
  log(`downloading ${artifact} from Maven Central (mvn dependency:copy)...`);
  const t0 = Date.now();
  try {
    // The plugin version is pinned because Maven 3.8's default (2.8) has no -Dartifact.
    await run(mvn, ['-B', '-q', '-Dstyle.color=never', `-Dmaven.repo.local=${m2}`,
      'org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy',
      `-Dartifact=${artifact}`, `-DoutputDirectory=${out}`], { cwd: CACHE_DIR });
    renameSync(join(out, `${distribution}-${version}.zip`), zip);
  } catch (err) {
    throw new Error(`could not download ${artifact}: ${(err as Error).message}`);
  } finally {
    rmSync(out, { recursive: true, force: true });
    // Maven left a second copy of the zip in its repository; the plugins stay cached.
    rmSync(join(m2, ...groupId(distribution).split('.'), distribution, version), { recursive: true, force: true });
  }
  log(`downloaded ${zip} (${(statSync(zip).size / 2 ** 20).toFixed(0)} MiB) in ${((Date.now() - t0) / 1000).toFixed(1)}s`);
  return zip;
}

// Elasticsearch 8.12+ moved `GET /` (the "info" API every client calls first) into a module,
// rest-root, that the integ-test zip leaves out and Maven Central doesn't carry: such a server
// answers `GET /` with 405. This stand-in serves the same body from the same sources
// (Build.current(), cluster state). getRestHandlers' signature changed in 9.0, hence two shapes.
const REST_ROOT_SIGNATURES = [
  `getRestHandlers(org.elasticsearch.plugins.ActionPlugin.RestHandlersServices services,
      java.util.function.Supplier<org.elasticsearch.cluster.node.DiscoveryNodes> nodesInCluster,
      java.util.function.Predicate<org.elasticsearch.features.NodeFeature> clusterSupportsFeature)`,
  `getRestHandlers(org.elasticsearch.common.settings.Settings settings,
      org.elasticsearch.common.io.stream.NamedWriteableRegistry namedWriteableRegistry,
      org.elasticsearch.rest.RestController restController,
      org.elasticsearch.common.settings.ClusterSettings clusterSettings,
      org.elasticsearch.common.settings.IndexScopedSettings indexScopedSettings,
      org.elasticsearch.common.settings.SettingsFilter settingsFilter,
      org.elasticsearch.cluster.metadata.IndexNameExpressionResolver indexNameExpressionResolver,
      java.util.function.Supplier<org.elasticsearch.cluster.node.DiscoveryNodes> nodesInCluster,
      java.util.function.Predicate<org.elasticsearch.features.NodeFeature> clusterSupportsFeature)`,
];

function restRootSource(signature: string): string {
  return `package testsupport.restroot;

import java.util.Collection;
import java.util.List;
import org.elasticsearch.Build;
import org.elasticsearch.client.internal.node.NodeClient;
import org.elasticsearch.cluster.service.ClusterService;
import org.elasticsearch.common.bytes.BytesArray;
import org.elasticsearch.index.IndexVersion;
import org.elasticsearch.plugins.ActionPlugin;
import org.elasticsearch.plugins.Plugin;
import org.elasticsearch.rest.BaseRestHandler;
import org.elasticsearch.rest.RestHandler;
import org.elasticsearch.rest.RestRequest;
import org.elasticsearch.rest.RestResponse;
import org.elasticsearch.rest.RestStatus;
import org.elasticsearch.xcontent.XContentBuilder;

public class RestRootPlugin extends Plugin implements ActionPlugin {
  private volatile ClusterService clusterService;

  @Override
  public Collection<?> createComponents(PluginServices services) {
    clusterService = services.clusterService();
    return List.of();
  }

  @Override
  public Collection<RestHandler> ${signature} {
    return List.of(new Root());
  }

  private final class Root extends BaseRestHandler {
    @Override
    public String getName() { return "main_action"; }

    @Override
    public List<Route> routes() {
      return List.of(new Route(RestRequest.Method.GET, "/"), new Route(RestRequest.Method.HEAD, "/"));
    }

    @Override
    protected RestChannelConsumer prepareRequest(RestRequest request, NodeClient client) {
      return channel -> {
        if (request.method() == RestRequest.Method.HEAD) {
          channel.sendResponse(new RestResponse(RestStatus.OK, RestResponse.TEXT_CONTENT_TYPE, BytesArray.EMPTY));
          return;
        }
        Build build = Build.current();
        XContentBuilder b = channel.newBuilder();
        b.startObject();
        b.field("name", clusterService.getNodeName());
        b.field("cluster_name", clusterService.getClusterName().value());
        b.field("cluster_uuid", clusterService.state().metadata().clusterUUID());
        b.startObject("version");
        b.field("number", build.qualifiedVersion());
        b.field("build_flavor", build.flavor());
        b.field("build_type", build.type().displayName());
        b.field("build_hash", build.hash());
        b.field("build_date", build.date());
        b.field("build_snapshot", build.isSnapshot());
        b.field("lucene_version", IndexVersion.current().luceneVersion().toString());
        b.field("minimum_wire_compatibility_version", build.minWireCompatVersion());
        b.field("minimum_index_compatibility_version", build.minIndexCompatVersion());
        b.endObject();
        b.field("tagline", "You Know, for Search");
        b.endObject();
        channel.sendResponse(new RestResponse(RestStatus.OK, b));
      };
    }
  }
}
`;
}

async function addRestRoot(home: string, version: string, jdk: Jdk | undefined, log: Log): Promise<void> {
  const serverJar = join(home, 'lib', `elasticsearch-${version}.jar`);
  if (existsSync(join(home, 'modules', 'rest-root')) || !existsSync(serverJar)) return;
  const listing = await run('unzip', ['-l', serverJar]).catch(() => '');
  if (listing.includes('RestMainAction')) return; // before 8.12, GET / is still in the server jar
  const javac = jdk && join(jdk.home, 'bin', 'javac');
  if (!javac || !existsSync(javac)) {
    log(`WARNING: no javac in ${jdk?.home ?? '(no JDK)'}: elasticsearch ${version} will answer GET / with 405`);
    return;
  }
  const work = tmpName(dirname(home), 'rest-root');
  mkdirSync(join(work, 'src', 'testsupport', 'restroot'), { recursive: true });
  const src = join(work, 'src', 'testsupport', 'restroot', 'RestRootPlugin.java');
  const release = String(javaNeeds('elasticsearch', version).min);
  const errors: string[] = [];
  try {
    for (const signature of REST_ROOT_SIGNATURES) {
      writeFileSync(src, restRootSource(signature));
      rmSync(join(work, 'classes'), { recursive: true, force: true });
      try {
        await run(javac, ['--release', release, '-nowarn', '-cp', `${join(home, 'lib')}/*`, '-d', join(work, 'classes'), src]);
      } catch (err) {
        errors.push((err as Error).message);
        continue;
      }
      const mod = join(home, 'modules', 'rest-root');
      mkdirSync(mod);
      await run(join(jdk.home, 'bin', 'jar'), ['cf', join(mod, 'test-rest-root.jar'), '-C', join(work, 'classes'), '.']);
      writeFileSync(join(mod, 'plugin-descriptor.properties'), [
        'description=GET / for integ-test distributions (added by scripts/servers-lib.ts)',
        `version=${version}`, 'name=rest-root', 'classname=testsupport.restroot.RestRootPlugin',
        `java.version=${release}`, `elasticsearch.version=${version}`, '',
      ].join('\n'));
      log(`added a GET / module (integ-test zips of elasticsearch 8.12+ lack rest-root)`);
      return;
    }
    log(`WARNING: could not build the GET / module for elasticsearch ${version}; GET / will be 405:\n${errors.join('\n')}`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Unpacks the distribution once; concurrent callers race to an atomic rename. */
export async function ensureDistribution(distribution: Distribution, version: string, log: Log = quiet,
  jdk?: Jdk): Promise<string> {
  const distDir = join(CACHE_DIR, 'dist');
  const home = join(distDir, `${distribution}-${version}`);
  if (existsSync(join(home, '.unpacked'))) return home;
  const zip = await ensureZip(distribution, version, log);
  mkdirSync(distDir, { recursive: true });
  const tmp = tmpName(distDir, `${distribution}-${version}`);
  mkdirSync(tmp);
  log(`unpacking ${zip}...`);
  try {
    if (which('unzip')) {
      await run('unzip', ['-q', zip, '-d', tmp]);
    } else {
      // `jar` drops the exec bits, which only the launch scripts need.
      await run('jar', ['xf', zip], { cwd: tmp });
      for (const f of readdirSync(join(tmp, `${distribution}-${version}`, 'bin'))) {
        chmodSync(join(tmp, `${distribution}-${version}`, 'bin', f), 0o755);
      }
    }
    const unpacked = join(tmp, `${distribution}-${version}`);
    if (distribution === 'elasticsearch') await addRestRoot(unpacked, version, jdk, log);
    // The server runs as an unprivileged user; the zip's modes can't be trusted for that.
    await run('chmod', ['-R', 'a+rX', unpacked]);
    writeFileSync(join(unpacked, '.unpacked'), new Date().toISOString() + '\n');
    try {
      renameSync(unpacked, home);
    } catch (err) {
      // Another process got there first; its copy may already be serving, so keep it.
      if (!existsSync(join(home, '.unpacked'))) throw err;
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return home;
}

// ---------------------------------------------------------------------------------------
// The unprivileged user (both servers refuse to run as root)

export const SERVICE_USER = process.env.SEARCH_SERVER_USER ?? 'searchsrv';

interface Ids { uid: number; gid: number; name: string }

function lookupUser(name: string): Ids | undefined {
  const r = spawnSync('id', ['-u', name], { encoding: 'utf8' });
  if (r.status !== 0) return undefined;
  const g = spawnSync('id', ['-g', name], { encoding: 'utf8' });
  return { uid: Number(r.stdout.trim()), gid: Number(g.stdout.trim()), name };
}

/** undefined when we are not root: then the server simply runs as us. */
export function ensureServiceUser(log: Log = quiet): Ids | undefined {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return undefined;
  let ids = lookupUser(SERVICE_USER);
  if (!ids) {
    log(`running as root: creating system user '${SERVICE_USER}' to run the servers`);
    const r = spawnSync('useradd', ['--system', '--user-group', '--no-create-home', '--home-dir', '/nonexistent',
      '--shell', '/usr/sbin/nologin', SERVICE_USER], { encoding: 'utf8' });
    ids = lookupUser(SERVICE_USER);
    // A concurrent start may have won the race; only a still-missing user is an error.
    if (!ids) throw new Error(`useradd ${SERVICE_USER} failed (${r.error?.message ?? r.stderr.trim()}); servers can't run as root`);
  }
  return ids;
}

/** The user must be able to reach the repo through every parent directory. */
function ensureTraversable(dir: string, ids: Ids, log: Log): void {
  const parts = realpathSync(dir).split('/').filter(Boolean);
  let cur = '/';
  for (const part of ['', ...parts]) {
    cur = part ? join(cur, part) : cur;
    const st = statSync(cur);
    const ok = (st.uid === ids.uid && st.mode & 0o100) || (st.gid === ids.gid && st.mode & 0o010) || st.mode & 0o001;
    if (!ok) {
      // Search permission only: lets the user pass through by name, not list the directory.
      log(`granting o+x on ${cur} so '${ids.name}' can reach ${dir}`);
      chmodSync(cur, st.mode | 0o001);
    }
  }
}

// ---------------------------------------------------------------------------------------
// Instances

export type Owner = 'cli' | 'test';

export interface Instance {
  id: string;
  dir: string;
  distribution: Distribution;
  version: string;
  url: string;
  httpPort: number;
  transportPort: number;
  pid: number;
  /** /proc start time of pid, so a recycled pid is never taken for our server. */
  pidStart: number;
  javaHome: string;
  javaMajor: number;
  user: string;
  logFile: string;
  owner: Owner;
  ownerPid: number;
  watchdogPid?: number;
  startedAt: string;
  startMs?: number;
}

/** State, process group and start time of a live (non-zombie) pid, from /proc/PID/stat. */
function procStat(pid: number | string): { pgid: number; start: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // comm (field 2) may contain spaces and parens, so count fields after the last ')'.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return rest[0] === 'Z' ? undefined : { pgid: Number(rest[2]), start: Number(rest[19]) };
  } catch {
    return undefined;
  }
}

function procStart(pid: number): number | undefined {
  return procStat(pid)?.start;
}

export function isAlive(inst: Pick<Instance, 'pid' | 'pidStart'>): boolean {
  return procStart(inst.pid) === inst.pidStart;
}

function freePorts(n: number): Promise<number[]> {
  // All held open together, so the same port can't be handed out twice.
  const servers = Array.from({ length: n }, () => createServer());
  return Promise.all(servers.map((s) => new Promise<number>((resolve, reject) => {
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => resolve((s.address() as AddressInfo).port));
  }))).finally(() => Promise.all(servers.map((s) => new Promise((r) => s.close(r)))));
}

export function tailFile(path: string, n = 50): string {
  try {
    const fd = openSync(path, 'r');
    try {
      const size = fstatSync(fd).size;
      const len = Math.min(size, 256 * 1024);
      const buf = Buffer.alloc(len);
      readSync(fd, buf, 0, len, size - len);
      return buf.toString('utf8').split('\n').filter((l, i, a) => i < a.length - 1 || l !== '').slice(-n).join('\n');
    } finally {
      closeSync(fd);
    }
  } catch {
    return `(no log at ${path})`;
  }
}

function chownTree(path: string, ids: Ids): void {
  chownSync(path, ids.uid, ids.gid);
  if (statSync(path).isDirectory()) for (const e of readdirSync(path)) chownTree(join(path, e), ids);
}

function settings(distribution: Distribution, version: string, home: string, inst: { id: string; dir: string; httpPort: number; transportPort: number }): string[] {
  const s: Record<string, string> = {
    'cluster.name': `test-${inst.id}`,
    'node.name': inst.id,
    'network.host': '127.0.0.1',
    'http.port': String(inst.httpPort),
    'transport.port': String(inst.transportPort),
    'discovery.type': 'single-node',
    'path.data': join(inst.dir, 'data'),
    'path.logs': join(inst.dir, 'logs'),
    // Dev disks are often >90% full, which would leave every new index red.
    'cluster.routing.allocation.disk.threshold_enabled': 'false',
  };
  if (distribution === 'elasticsearch') {
    const modules = new Set(readdirSync(join(home, 'modules')));
    // Settings of absent modules are fatal "unknown setting" errors, hence the checks.
    if (modules.has('x-pack-security')) s['xpack.security.enabled'] = 'false';
    if (modules.has('x-pack-ml')) s['xpack.ml.enabled'] = 'false';
    if (modules.has('ingest-geoip')) s['ingest.geoip.downloader.enabled'] = 'false';
  }
  return Object.entries(s).map(([k, v]) => `-E${k}=${v}`);
}

// jvm.options names gc.log, hs_err and heap dumps relative to the working directory, which
// the launch scripts set to the (root-owned, shared) distribution home; the server user can't
// write there, and the JVM refuses to start when it can't open gc.log.
function pinJvmPaths(jvmOptions: string, dir: string): void {
  const logs = join(dir, 'logs');
  const text = readFileSync(jvmOptions, 'utf8').split('\n').map((line) => {
    if (line.trimStart().startsWith('#')) return line;
    return line
      .replace(/(-Xlog:[^:]*:file=)([^/:][^:]*)/, (_m, pre: string, p: string) => `${pre}${join(logs, basename(p))}`)
      .replace(/(-XX:ErrorFile=)([^/].*)$/, (_m, pre: string, p: string) => `${pre}${join(logs, basename(p))}`)
      .replace(/(-XX:HeapDumpPath=)([^/].*)$/, (_m, pre: string) => `${pre}${join(dir, 'data')}`);
  }).join('\n');
  writeFileSync(jvmOptions, text);
}

function stateFile(dir: string): string {
  return join(dir, 'state.json');
}

function saveState(inst: Instance): void {
  writeFileSync(stateFile(inst.dir), JSON.stringify(inst, null, 2) + '\n');
}

export function listInstances(): Instance[] {
  let entries: string[];
  try {
    entries = readdirSync(SERVERS_DIR);
  } catch {
    return [];
  }
  const out: Instance[] = [];
  for (const e of entries) {
    try {
      out.push(JSON.parse(readFileSync(stateFile(join(SERVERS_DIR, e)), 'utf8')) as Instance);
    } catch { /* a dir being set up, or not ours */ }
  }
  return out.sort((a, b) => a.startedAt.localeCompare(b.startedAt));
}

export interface StartOptions {
  owner?: Owner;
  /** Kill the server when this process dies, however it dies (crash, SIGKILL, Ctrl-C). */
  watchParent?: boolean;
  timeoutMs?: number;
  log?: Log;
}

export async function startServer(spec: string, opts: StartOptions = {}): Promise<Instance> {
  const log = opts.log ?? quiet;
  const { distribution, version } = resolveSpec(spec);
  const jdk = pickJdk(distribution, version);
  const home = await ensureDistribution(distribution, version, log, jdk);
  const ids = ensureServiceUser(log);
  mkdirSync(SERVERS_DIR, { recursive: true });
  if (ids) {
    ensureTraversable(SERVERS_DIR, ids, log);
    ensureTraversable(home, ids, log);
  }
  const timeoutMs = opts.timeoutMs ?? Number(process.env.SEARCH_SERVER_START_TIMEOUT_MS ?? 180_000);
  let lastErr: Error | undefined;
  // Ports are free when picked but may be grabbed before the JVM binds them.
  for (let attempt = 1; attempt <= 3; attempt++) {
    try {
      return await startOnce(distribution, version, home, jdk, ids, timeoutMs, opts, log);
    } catch (err) {
      lastErr = err as Error;
      if (!(err instanceof PortInUseError)) throw err;
      log(`port clash, retrying (${attempt}/3)`);
    }
  }
  throw lastErr;
}

class PortInUseError extends Error {}

async function startOnce(distribution: Distribution, version: string, home: string, jdk: Jdk, ids: Ids | undefined,
  timeoutMs: number, opts: StartOptions, log: Log): Promise<Instance> {
  const id = `${distribution}-${version}-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 5)}`;
  const dir = join(SERVERS_DIR, id);
  mkdirSync(dir);
  for (const sub of ['data', 'logs', 'tmp']) mkdirSync(join(dir, sub));
  // A config dir per instance: the servers write keystores into it, and the shared
  // unpacked copy stays pristine and root-owned.
  cpSync(join(home, 'config'), join(dir, 'config'), { recursive: true });
  pinJvmPaths(join(dir, 'config', 'jvm.options'), dir);
  const logFile = join(dir, 'server.log');
  const fd = openSync(logFile, 'a');
  if (ids) chownTree(dir, ids);
  const [httpPort, transportPort] = await freePorts(2);
  const prefix = distribution === 'opensearch' ? 'OPENSEARCH' : 'ES';
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    LANG: 'C.UTF-8',
    HOME: dir,
    JAVA_HOME: jdk.home,
    [`${prefix}_JAVA_HOME`]: jdk.home,
    [`${prefix}_PATH_CONF`]: join(dir, 'config'),
    [`${prefix}_TMPDIR`]: join(dir, 'tmp'),
    [`${prefix}_JAVA_OPTS`]: process.env.SEARCH_SERVER_JAVA_OPTS ?? '-Xms512m -Xmx512m',
  };
  const args = settings(distribution, version, home, { id, dir, httpPort, transportPort });
  const bin = join(home, 'bin', distribution);
  log(`starting ${distribution} ${version} on JDK ${jdk.major} (${jdk.home})${ids ? ` as user '${ids.name}'` : ''}, http ${httpPort}, transport ${transportPort}`, true);
  log(`log: ${logFile}`, true);
  const t0 = Date.now();
  let child: ChildProcess;
  try {
    // detached: its own process group, so stop() reaches the launcher and the JVMs it forks.
    child = spawn(bin, args, { cwd: dir, env, detached: true, stdio: ['ignore', fd, fd], uid: ids?.uid, gid: ids?.gid });
  } finally {
    closeSync(fd);
  }
  const pid = child.pid;
  if (pid === undefined) {
    await new Promise((r) => child.once('error', r));
    throw new Error(`could not spawn ${bin}`);
  }
  child.unref();
  let exited: string | undefined;
  child.once('exit', (code, signal) => { exited = signal ? `killed by ${signal}` : `exited with code ${code}`; });
  const inst: Instance = {
    id, dir, distribution, version, url: `http://127.0.0.1:${httpPort}`, httpPort, transportPort,
    pid, pidStart: procStart(pid) ?? 0, javaHome: jdk.home, javaMajor: jdk.major, user: ids?.name ?? String(process.getuid?.()),
    logFile, owner: opts.owner ?? 'cli', ownerPid: process.pid, startedAt: new Date().toISOString(),
  };
  // Recorded before waiting, so `server stop` can find it even if this process dies now.
  saveState(inst);
  if (opts.watchParent) inst.watchdogPid = startWatchdog(process.pid, pid, dir);
  saveState(inst);

  const onSignal = (sig: NodeJS.Signals): void => {
    // Interrupted while waiting: don't leave a half-started server behind.
    killGroupSync(pid, 'SIGKILL');
    process.exit(sig === 'SIGINT' ? 130 : 143);
  };
  const cliMode = !opts.watchParent;
  if (cliMode) { process.once('SIGINT', onSignal); process.once('SIGTERM', onSignal); }
  try {
    const deadline = t0 + timeoutMs;
    for (;;) {
      if (exited) {
        const tail = tailFile(logFile, 50);
        if (/BindException|Address already in use/.test(tail)) {
          await stopInstance(inst);
          throw new PortInUseError('port in use');
        }
        // The launcher can die and leave a forked JVM behind; the dir stays for its logs.
        await stopInstance(inst, { keepDir: true });
        throw new Error(`${distribution} ${version} ${exited} before becoming healthy. Log ${logFile}, last 50 lines:\n${tail}`);
      }
      if (Date.now() > deadline) {
        const tail = tailFile(logFile, 50);
        await stopInstance(inst, { keepDir: true });
        throw new Error(`${distribution} ${version} not healthy after ${timeoutMs / 1000}s (stopped it). Log ${logFile}, last 50 lines:\n${tail}`);
      }
      const health = await getJson(`${inst.url}/_cluster/health`).catch(() => undefined);
      const status = (health as { status?: string } | undefined)?.status;
      if (status === 'green' || status === 'yellow') break;
      await sleep(250);
    }
  } finally {
    if (cliMode) { process.off('SIGINT', onSignal); process.off('SIGTERM', onSignal); }
  }
  inst.startMs = Date.now() - t0;
  saveState(inst);
  log(`ready at ${inst.url} in ${(inst.startMs / 1000).toFixed(1)}s`, true);
  return inst;
}

// A shell loop rather than a Node process: a few hundred KiB instead of ~40 MiB, and it
// lives on whatever kills the parent, even SIGKILL, which no exit handler survives.
// The `--` matters: dash's kill reads "-123" as an option ("Illegal option -1") without it.
function startWatchdog(parentPid: number, pgid: number, dir: string): number | undefined {
  const script = `
while kill -s 0 "$1" 2>/dev/null; do sleep 1; done
kill -s TERM -- -"$2" 2>/dev/null
i=0; while kill -s 0 -- -"$2" 2>/dev/null && [ $i -lt 30 ]; do sleep 1; i=$((i+1)); done
kill -s KILL -- -"$2" 2>/dev/null
sleep 1
[ -n "$KEEP" ] || rm -rf "$3"
`;
  const w = spawn('/bin/sh', ['-c', script, 'search-server-watchdog', String(parentPid), String(pgid), dir], {
    detached: true, stdio: 'ignore', env: { PATH: '/usr/bin:/bin', KEEP: process.env.SEARCH_SERVER_KEEP_DIRS ?? '' },
  });
  w.unref();
  return w.pid;
}

function killGroupSync(pgid: number, sig: NodeJS.Signals): void {
  try { process.kill(-pgid, sig); } catch { /* already gone */ }
}

/** For exit handlers: can't wait, so only signals; the watchdog finishes the job. */
export function stopInstanceSync(inst: Instance): void {
  if (isAlive(inst)) killGroupSync(inst.pid, 'SIGTERM');
}

interface LiveProcess { pid: number; pgid: number; start: number; cmdline: string }

/** Every live (non-zombie) process, from /proc: pid, process group, start time, command line. */
function liveProcesses(): LiveProcess[] {
  const out: LiveProcess[] = [];
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return out;
  }
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    const stat = procStat(e);
    if (stat === undefined) continue;
    try {
      out.push({ pid: Number(e), ...stat, cmdline: readFileSync(`/proc/${e}/cmdline`, 'utf8').replace(/\0/g, ' ') });
    } catch { /* exited while we looked */ }
  }
  return out;
}

/** Live (non-zombie) members of a process group, with their command lines. */
export function groupMembers(pgid: number): Array<{ pid: number; cmdline: string }> {
  return liveProcesses().filter((p) => p.pgid === pgid).map(({ pid, cmdline }) => ({ pid, cmdline }));
}

/** Whether any process of the server is still running. Once the leader is gone its pid (and
 * so the group id) can be recycled; our members are recognized by the instance dir that each
 * of our JVMs has on its command line (path.conf / path.home settings). */
export function serverProcessesAlive(inst: Pick<Instance, 'pid' | 'pidStart' | 'dir'>): boolean {
  return isAlive(inst) || groupMembers(inst.pid).some((m) => m.cmdline.includes(inst.dir));
}

export async function stopInstance(inst: Instance, opts: { graceMs?: number; keepDir?: boolean } = {}): Promise<void> {
  const graceMs = opts.graceMs ?? 30_000;
  // The group outlives its leader when the launcher forked (ES 8+ runs a CLI JVM that
  // forks the server JVM), so wait for the whole group, not just the pid.
  if (serverProcessesAlive(inst)) {
    killGroupSync(inst.pid, 'SIGTERM');
    const deadline = Date.now() + graceMs;
    while (serverProcessesAlive(inst) && Date.now() < deadline) await sleep(200);
    if (serverProcessesAlive(inst)) {
      killGroupSync(inst.pid, 'SIGKILL');
      const hard = Date.now() + 10_000;
      while (serverProcessesAlive(inst) && Date.now() < hard) await sleep(100);
      if (serverProcessesAlive(inst)) throw new Error(`processes of ${inst.id} (group ${inst.pid}) survived SIGKILL`);
    }
  }
  if (inst.watchdogPid && isProcessAlive(inst.watchdogPid)) killGroupSync(inst.watchdogPid, 'SIGKILL');
  if (!opts.keepDir && !process.env.SEARCH_SERVER_KEEP_DIRS) rmSync(inst.dir, { recursive: true, force: true });
}

/** Server process groups running from SERVERS_DIR that no state.json describes any more
 * (their dir was removed under them): found by the instance dir on their command line. */
export function orphanInstances(): Instance[] {
  const known = new Set(listInstances().map((i) => i.pid));
  const prefix = SERVERS_DIR + '/';
  const out: Instance[] = [];
  for (const { pid, pgid, start, cmdline } of liveProcesses()) {
    if (pgid !== pid || known.has(pid)) continue;
    const at = cmdline.indexOf(prefix);
    if (at < 0 || !/\bjava\b/.test(cmdline)) continue;
    const id = cmdline.slice(at + prefix.length).split(/[/\s]/)[0]!;
    out.push({
      id, dir: prefix + id, pid, pidStart: start, distribution: id.startsWith('opensearch') ? 'opensearch' : 'elasticsearch',
      version: '', url: '', httpPort: 0, transportPort: 0, javaHome: '', javaMajor: 0, user: '', logFile: '',
      owner: 'test', ownerPid: 0, startedAt: '',
    });
  }
  return out;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export async function getJson(url: string, timeoutMs = 2000): Promise<unknown> {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  if (!res.ok) throw new Error(`GET ${url}: ${res.status}`);
  return res.json();
}

export interface RootInfo { distribution: Distribution; version: string }

/** What GET / says the server is; OpenSearch names itself, Elasticsearch doesn't. */
export async function serverInfo(url: string): Promise<RootInfo> {
  const body = await getJson(url.replace(/\/$/, '') + '/', 10_000) as { version?: { number?: string; distribution?: string } };
  const version = body.version?.number;
  if (!version) throw new Error(`GET ${url}/ has no version.number: ${JSON.stringify(body)}`);
  return { distribution: body.version?.distribution === 'opensearch' ? 'opensearch' : 'elasticsearch', version };
}

export function isProcessAlive(pid: number): boolean {
  return procStart(pid) !== undefined;
}

/** Whether a Docker engine answers (the CLI alone is not enough). */
export function dockerUsable(): boolean {
  if (!which('docker')) return false;
  const r = spawnSync('docker', ['info'], { stdio: 'ignore', timeout: 15_000 });
  return r.status === 0;
}

export function mavenAvailable(): boolean {
  return Boolean(process.env.MVN ?? which('mvn'));
}

export function zipCached(distribution: Distribution, version: string): boolean {
  return existsSync(join(CACHE_DIR, 'zips', `${distribution}-${version}.zip`))
    || existsSync(join(CACHE_DIR, 'dist', `${distribution}-${version}`, '.unpacked'));
}
