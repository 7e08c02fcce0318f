/**
 * Compatibility, measured: every client we ship a Connection for, against every server we can
 * run, for `es` (and `aoss` where the server is OpenSearch), all through the verifying stub.
 *
 * Each cell runs one small scenario (info, ping, create index, index a document, bulk, search
 * with a Lucene q=, HEAD exists) and records what each step did. The expectation table below
 * is what was observed; a change in any cell fails its test, so it is noticed, not drifted into.
 * Whatever the client makes of the answers, the stub must have accepted every signature.
 *
 * Results go to .cache/compat/results.json; `npm run compat` (scripts/compat-table.ts) turns
 * them into the README table.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { COMPAT_RESULTS_FILE, STEPS, type CellResult, type CompatResults, type Step, type StepResult } from '../../scripts/compat-results.js';
import * as os3 from '@opensearch-project/opensearch';
import * as os2 from 'os2';
import * as es713 from 'es713';
import * as es7 from 'es7';
import * as es8 from 'es8';
import * as es9 from 'es9';
import { withSigV4Callback, type ConnectionClass } from '../../src/adapters/callback-connection.js';
import { withSigV4Promise } from '../../src/adapters/promise-connection.js';
import type { AwsSigV4Options } from '../../src/index.js';
import { useSignedStack } from '../support/stack.js';
import { measuredCommit } from '../../scripts/measured-commit.js';

const REPO = join(__dirname, '..', '..');

// ---------------------------------------------------------------------------------------
// Clients: one driver per API family, so that every client runs the same scenario.

type Json = Record<string, unknown>;

/** What the scenario needs from a client, with its answers unwrapped (7.x/OpenSearch give { body }). */
interface Driver {
  info(): Promise<Json>;
  ping(): Promise<unknown>;
  createIndex(index: string): Promise<Json>;
  indexDoc(index: string, id: string, doc: Json): Promise<Json>;
  bulk(index: string, docs: Json[]): Promise<Json>;
  search(index: string, q: string): Promise<Json>;
  exists(index: string, id: string): Promise<unknown>;
  close(): Promise<void>;
}

interface CallbackClientApi {
  info(): Promise<{ body: Json }>;
  ping(): Promise<{ body: unknown }>;
  indices: { create(p: Json): Promise<{ body: Json }> };
  index(p: Json): Promise<{ body: Json }>;
  bulk(p: Json): Promise<{ body: Json }>;
  search(p: Json): Promise<{ body: Json }>;
  exists(p: Json): Promise<{ body: unknown }>;
  close(): Promise<void>;
}

/** OpenSearch 2.x/3.x and Elasticsearch 7.x: `body` in the request, `{ body }` in the answer. */
function callbackDriver(client: CallbackClientApi): Driver {
  return {
    info: async () => (await client.info()).body,
    ping: async () => (await client.ping()).body,
    createIndex: async (index) => (await client.indices.create({ index, body: { settings: { number_of_shards: 1, number_of_replicas: 0 } } })).body,
    indexDoc: async (index, id, doc) => (await client.index({ index, id, body: doc, refresh: 'true' })).body,
    bulk: async (index, docs) => (await client.bulk({ refresh: 'true', body: docs.flatMap((d) => [{ index: { _index: index } }, d]) })).body,
    search: async (index, q) => (await client.search({ index, q })).body,
    exists: async (index, id) => (await client.exists({ index, id })).body,
    close: () => client.close(),
  };
}

interface PromiseClientApi {
  info(): Promise<Json>;
  ping(): Promise<unknown>;
  indices: { create(p: Json): Promise<Json> };
  index(p: Json): Promise<Json>;
  bulk(p: Json): Promise<Json>;
  search(p: Json): Promise<Json>;
  exists(p: Json): Promise<unknown>;
  close(): Promise<void>;
}

/** Elasticsearch 8.x/9.x: `document`/`operations` in the request, the body as the answer. */
function promiseDriver(client: PromiseClientApi): Driver {
  return {
    info: () => client.info(),
    ping: () => client.ping(),
    createIndex: (index) => client.indices.create({ index, settings: { number_of_shards: 1, number_of_replicas: 0 } }),
    indexDoc: (index, id, doc) => client.index({ index, id, document: doc, refresh: 'true' }),
    bulk: (index, docs) => client.bulk({ refresh: 'true', operations: docs.flatMap((d) => [{ index: { _index: index } }, d]) }),
    search: (index, q) => client.search({ index, q }),
    exists: (index, id) => client.exists({ index, id }),
    close: () => client.close(),
  };
}

interface ClientRow {
  id: string;
  label: string;
  /** The client's Connection class the mixin extends. */
  connection: 'Connection' | 'HttpConnection' | 'UndiciConnection';
  /** The package folder in node_modules, for its version. */
  pkg: string;
  /** A deliberate, documented client option this row adds (rows without it use the defaults). */
  option?: string;
  make(node: string, signing: AwsSigV4Options): Driver;
}

type AnyClientCtor = new (options: Json) => unknown;
const callbackRow = (id: string, label: string, pkg: string, mod: { Client: unknown; Connection: unknown; errors: { RequestAbortedError: unknown } }): ClientRow => ({
  id, label, pkg, connection: 'Connection',
  make: (node, signing) => {
    const Connection = withSigV4Callback(mod.Connection as ConnectionClass, mod.errors.RequestAbortedError as new (m: string) => Error, signing);
    return callbackDriver(new (mod.Client as AnyClientCtor)({ node, Connection }) as CallbackClientApi);
  },
});
type PromiseModule = { Client: unknown; HttpConnection: unknown; UndiciConnection: unknown; errors: { RequestAbortedError: unknown } };
const promiseRow = (id: string, label: string, pkg: string, mod: PromiseModule, kind: 'Http' | 'Undici', extra: { option?: string; headers?: Json } = {}): ClientRow => ({
  id, label, pkg, option: extra.option, connection: `${kind}Connection`,
  make: (node, signing) => {
    const Base = (kind === 'Http' ? mod.HttpConnection : mod.UndiciConnection) as ConnectionClass;
    const Connection = withSigV4Promise(Base, mod.errors.RequestAbortedError as new (m: string) => Error, signing);
    return promiseDriver(new (mod.Client as AnyClientCtor)({ node, Connection, ...(extra.headers ? { headers: extra.headers } : {}) }) as PromiseClientApi);
  },
});

// Plain media types instead of the vendored `compatible-with` ones: the client-level `headers`
// option wins over them (@elastic/transport: `headers[x] ?? vendored`), for bulk too.
const PLAIN_JSON = { accept: 'application/json', 'content-type': 'application/json' };
const PLAIN_JSON_OPTION = "headers: { accept: 'application/json', 'content-type': 'application/json' }";

const CLIENTS: ClientRow[] = [
  callbackRow('os2', 'OpenSearch JS 2.x', 'os2', os2),
  callbackRow('os3', 'OpenSearch JS 3.x', '@opensearch-project/opensearch', os3),
  callbackRow('es713', 'Elasticsearch JS 7.13', 'es713', es713),
  callbackRow('es717', 'Elasticsearch JS 7.17', 'es7', es7),
  promiseRow('es8-http', 'Elasticsearch JS 8.x HttpConnection', 'es8', es8, 'Http'),
  promiseRow('es8-undici', 'Elasticsearch JS 8.x UndiciConnection', 'es8', es8, 'Undici'),
  promiseRow('es9-http', 'Elasticsearch JS 9.x HttpConnection', 'es9', es9, 'Http'),
  promiseRow('es9-undici', 'Elasticsearch JS 9.x UndiciConnection', 'es9', es9, 'Undici'),
  promiseRow('es8-undici-plain', 'Elasticsearch JS 8.x UndiciConnection + plain JSON headers', 'es8', es8, 'Undici', { option: PLAIN_JSON_OPTION, headers: PLAIN_JSON }),
  promiseRow('es9-undici-plain', 'Elasticsearch JS 9.x UndiciConnection + plain JSON headers', 'es9', es9, 'Undici', { option: PLAIN_JSON_OPTION, headers: PLAIN_JSON }),
];

const SERVERS: Array<{ spec: string; label: string; services: string[] }> = [
  { spec: 'opensearch@2', label: 'OpenSearch 2.x', services: ['es', 'aoss'] },
  { spec: 'opensearch@3', label: 'OpenSearch 3.x', services: ['es', 'aoss'] },
  { spec: 'elasticsearch@7', label: 'Elasticsearch 7.10', services: ['es'] },
  { spec: 'elasticsearch@8', label: 'Elasticsearch 8.x', services: ['es'] },
  { spec: 'elasticsearch@9', label: 'Elasticsearch 9.x', services: ['es'] },
];

// ---------------------------------------------------------------------------------------
// What was observed. A summary is `works`, or the failing steps grouped by error:
// `ErrorName[ HTTP status]: step,step | ...`. Later steps may fail only because an earlier
// one did (no index: 404 on search, `false` from exists).

const W = 'works';
/** 7.14+ product check, 7.x style: GET / itself passes (the check lets it through), then every call fails. */
const PRODUCT_7 = 'ProductNotSupportedError: ping,createIndex,indexDoc,bulk,search,exists';
/** 8.x/9.x: every 2xx answer without `x-elastic-product: Elasticsearch` fails; bodies in `compatible-with` media types get 406. */
const PRODUCT_AND_406 = 'ProductNotSupportedError: info,ping | ResponseError 406: createIndex,indexDoc,bulk | ResponseError 404: search | UnexpectedResult: exists';
/** The same with plain JSON media types: the 406s are gone, the product check still fails every call. */
const PRODUCT_ALL = 'ProductNotSupportedError: info,ping,createIndex,indexDoc,bulk,search,exists';
/** 9.x client, 8.x server: `compatible-with=9` is refused ("Invalid media-type value on headers [Accept, Content-Type]"). */
const COMPAT_9_ON_8 = 'ResponseError 400: createIndex,indexDoc,bulk | ResponseError 404: search | UnexpectedResult: exists';

// The extra `-plain` rows: plain JSON media types make 9.x work against 8.x. Nothing sane makes
// 8.x/9.x work against OpenSearch or the `oss` 7.10: their product check wants
// `x-elastic-product: Elasticsearch` on every 2xx answer, and a Connection that added it would
// be faking it.
const COLUMNS = ['opensearch@2 es', 'opensearch@2 aoss', 'opensearch@3 es', 'opensearch@3 aoss', 'elasticsearch@7 es', 'elasticsearch@8 es', 'elasticsearch@9 es'];
const EXPECTED_MATRIX: Record<string, string[]> = {
  //                  OS 2 es   OS 2 aoss  OS 3 es   OS 3 aoss  ES 7.10  ES 8  ES 9
  'os2':              [W, W, W, W, W, W, W],
  'os3':              [W, W, W, W, W, W, W],
  'es713':            [W, W, W, W, W, W, W],
  'es717':            [PRODUCT_7, PRODUCT_7, PRODUCT_7, PRODUCT_7, PRODUCT_7, W, W],
  'es8-http':         [PRODUCT_AND_406, PRODUCT_AND_406, PRODUCT_AND_406, PRODUCT_AND_406, PRODUCT_AND_406, W, W],
  'es8-undici':       [PRODUCT_AND_406, PRODUCT_AND_406, PRODUCT_AND_406, PRODUCT_AND_406, PRODUCT_AND_406, W, W],
  'es9-http':         [PRODUCT_AND_406, PRODUCT_AND_406, PRODUCT_AND_406, PRODUCT_AND_406, PRODUCT_AND_406, COMPAT_9_ON_8, W],
  'es9-undici':       [PRODUCT_AND_406, PRODUCT_AND_406, PRODUCT_AND_406, PRODUCT_AND_406, PRODUCT_AND_406, COMPAT_9_ON_8, W],
  'es8-undici-plain': [PRODUCT_ALL, PRODUCT_ALL, PRODUCT_ALL, PRODUCT_ALL, PRODUCT_ALL, W, W],
  'es9-undici-plain': [PRODUCT_ALL, PRODUCT_ALL, PRODUCT_ALL, PRODUCT_ALL, PRODUCT_ALL, W, W],
};
const EXPECTED: Record<string, string> = Object.fromEntries(
  Object.entries(EXPECTED_MATRIX).flatMap(([client, row]) => row.map((summary, i) => [`${client} ${COLUMNS[i]}`, summary])),
);

// ---------------------------------------------------------------------------------------
// The scenario

function dig(value: unknown, ...path: string[]): unknown {
  let v = value;
  for (const key of path) v = v !== null && typeof v === 'object' ? (v as Json)[key] : undefined;
  return v;
}

class UnexpectedResult extends Error {
  override name = 'UnexpectedResult';
}

function expect(condition: boolean, what: string, got: unknown): void {
  if (!condition) throw new UnexpectedResult(`${what}; got ${JSON.stringify(got)?.slice(0, 160)}`);
}

/** One line: the error's class, the HTTP status of a ResponseError, and the server's reason. */
function describeError(error: unknown): { error: string; status?: number; message: string } {
  const e = error as { name?: string; message?: string; meta?: { statusCode?: number; body?: unknown } };
  const name = e?.name ?? 'Error';
  const status = name === 'ResponseError' ? e.meta?.statusCode : undefined;
  const body = e?.meta?.body;
  const parsed = typeof body === 'string' ? safeJson(body) : body;
  const reason = typeof dig(parsed, 'error') === 'string' ? dig(parsed, 'error')
    : dig(parsed, 'error', 'root_cause', '0', 'reason') ?? dig(parsed, 'error', 'reason') ?? dig(parsed, 'message') ?? dig(parsed, 'Message');
  const text = String(name === 'ResponseError' && reason !== undefined ? reason : e?.message ?? error).split('\n')[0]!;
  const message = `${status !== undefined ? `${status} ` : ''}${text}`.slice(0, 220);
  return { error: name, status, message };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

async function runScenario(driver: Driver, index: string): Promise<StepResult[]> {
  const id = 'a/b c';
  const checks: Record<Step, () => Promise<void>> = {
    info: async () => {
      const info = await driver.info();
      expect(typeof dig(info, 'version', 'number') === 'string', 'info has version.number', info);
    },
    ping: async () => {
      const ping = await driver.ping();
      expect(ping === true, 'ping is true', ping);
    },
    createIndex: async () => {
      const created = await driver.createIndex(index);
      expect(dig(created, 'acknowledged') === true, 'index created', created);
    },
    indexDoc: async () => {
      const res = await driver.indexDoc(index, id, { title: 'foo bar', tag: 'x:y' });
      expect(dig(res, 'result') === 'created', 'document created', res);
    },
    bulk: async () => {
      const res = await driver.bulk(index, [{ title: 'foo baz', tag: 'z' }, { title: 'other', tag: 'x:y' }]);
      expect(dig(res, 'errors') === false && (dig(res, 'items') as unknown[])?.length === 2, 'bulk without errors', res);
    },
    search: async () => {
      const res = await driver.search(index, '+title:foo +tag:"x:y"');
      const total = dig(res, 'hits', 'total');
      expect((typeof total === 'number' ? total : dig(total, 'value')) === 1, 'q= finds the one document', dig(res, 'hits'));
    },
    exists: async () => {
      const exists = await driver.exists(index, id);
      expect(exists === true, 'HEAD finds the document', exists);
    },
  };
  const results: StepResult[] = [];
  for (const step of STEPS) {
    try {
      await checks[step]();
      results.push({ step, ok: true });
    } catch (error) {
      results.push({ step, ok: false, ...describeError(error) });
    }
  }
  return results;
}

function summarize(steps: StepResult[]): string {
  const groups = new Map<string, Step[]>();
  for (const s of steps) {
    if (s.ok) continue;
    const key = s.status !== undefined ? `${s.error} ${s.status}` : s.error!;
    groups.set(key, [...(groups.get(key) ?? []), s.step]);
  }
  if (groups.size === 0) return 'works';
  return [...groups].map(([key, list]) => `${key}: ${list.join(',')}`).join(' | ');
}

function packageJson(pkg: string): { name: string; version: string } {
  return JSON.parse(readFileSync(join(REPO, 'node_modules', pkg, 'package.json'), 'utf8')) as { name: string; version: string };
}

/** The search server itself, not through the stub: its version, and cleanup, which are no part of any cell. */
async function direct(serverUrl: string, method: string, path: string): Promise<Json> {
  const res = await fetch(`${serverUrl}${path}`, { method });
  const text = await res.text();
  return (safeJson(text) ?? {}) as Json;
}

// ---------------------------------------------------------------------------------------

describe('compatibility matrix: clients x servers x services, through the verifying stub', function () {
  const cells: CellResult[] = [];
  const started = new Date();

  after(function () {
    const total = CLIENTS.length * SERVERS.reduce((n, s) => n + s.services.length, 0);
    mkdirSync(dirname(COMPAT_RESULTS_FILE), { recursive: true });
    // The spec files named on the command line; .mocharc's glob (`npm test`) means the whole suite.
    const files = process.argv.filter((a) => a.endsWith('.test.ts') && !a.includes('*')).map((a) => relative(REPO, a));
    const results: CompatResults = {
      generatedAt: started.toISOString(),
      command: files.length > 0 ? `npx mocha --no-config -n import=tsx --timeout 300000 --exit ${files.join(' ')}` : 'npm test',
      node: process.version,
      commit: measuredCommit(),
      complete: cells.length === total,
      cells,
    };
    writeFileSync(COMPAT_RESULTS_FILE, JSON.stringify(results, null, 2) + '\n');
  });

  it('the expectation table names every client and every server/service column', function () {
    const columns = SERVERS.flatMap((s) => s.services.map((service) => `${s.spec} ${service}`));
    assert.deepEqual(COLUMNS, columns);
    assert.deepEqual(Object.keys(EXPECTED_MATRIX), CLIENTS.map((c) => c.id));
    for (const row of Object.values(EXPECTED_MATRIX)) assert.equal(row.length, COLUMNS.length);
  });

  for (const server of SERVERS) {
    for (const service of server.services) {
      describe(`${server.label} (${server.spec}), service ${service}`, function () {
        const stack = useSignedStack({ server: server.spec, service });
        let serverVersion = '';
        let serverFlavor: string | undefined;

        before(async function () {
          const info = await direct(stack().serverUrl!, 'GET', '/');
          serverVersion = String(dig(info, 'version', 'number'));
          const flavor = dig(info, 'version', 'build_flavor');
          serverFlavor = typeof flavor === 'string' ? flavor : undefined;
        });

        for (const client of CLIENTS) {
          it(`${client.label} -> ${server.label}, ${service}`, async function () {
            const s = stack();
            const index = `compat-${client.id}-${service}`;
            await direct(s.serverUrl!, 'DELETE', `/${index}`);
            const driver = client.make(s.stubUrl, { region: s.region, service: s.service, credentials: s.credentials });
            const first = s.proxy.records.length;
            const t0 = Date.now();
            let steps: StepResult[];
            try {
              steps = await runScenario(driver, index);
            } finally {
              await driver.close().catch(() => undefined);
              await direct(s.serverUrl!, 'DELETE', `/${index}`);
            }
            const made = s.proxy.records.slice(first);
            const rejected = made.filter((r) => r.verdict !== 'accepted');
            const summary = summarize(steps);
            const failed = steps.find((x) => !x.ok);
            const cell: CellResult = {
              client: client.id, clientLabel: client.label, clientPackage: packageJson(client.pkg).name, clientVersion: packageJson(client.pkg).version,
              connection: client.connection, option: client.option,
              server: server.spec, serverLabel: server.label, serverVersion, serverFlavor, service,
              works: summary === 'works', summary,
              firstFailure: failed ? { step: failed.step, error: failed.error!, message: failed.message! } : undefined,
              steps, requests: made.length, accepted: made.length - rejected.length, rejected: rejected.length,
              rejections: rejected.map((r) => `${r.method} ${r.path}: ${r.verdict} ${r.message ?? ''}`.trim()),
              ms: Date.now() - t0,
            };
            cells.push(cell);

            assert.ok(made.length > 0, 'requests reached the stub');
            assert.deepEqual(cell.rejections, [], 'every request that reached the stub was verified and accepted');
            if (client.id.startsWith('os') && server.spec.startsWith('opensearch')) assert.equal(summary, 'works', JSON.stringify(steps));
            const key = `${client.id} ${server.spec} ${service}`;
            assert.ok(key in EXPECTED, `no expectation for "${key}"; observed: '${summary}' (${JSON.stringify(steps.filter((x) => !x.ok))})`);
            assert.equal(summary, EXPECTED[key], `observed ${JSON.stringify(steps.filter((x) => !x.ok))}`);
          });
        }
      });
    }
  }
});

