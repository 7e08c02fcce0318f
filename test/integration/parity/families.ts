/**
 * The stock Connection classes of every client family we ship a Connection for, each with
 * ours built on it, behind one driver: the parity suite runs every case against both
 * through the client's own transport, so retries, error wrapping and pools are the client's.
 */
import * as os3 from '@opensearch-project/opensearch';
import * as os2 from 'os2';
import * as es7 from 'es7';
import * as es8 from 'es8';
import * as es9 from 'es9';
import { withSigV4Callback, type ConnectionClass } from '../../../src/adapters/callback-connection.js';
import { withSigV4Promise } from '../../../src/adapters/promise-connection.js';
import type { AwsSigV4Options } from '../../../src/index.js';

export interface Call {
  method: string;
  path: string;
  body?: unknown;
  headers?: Record<string, unknown>;
  requestTimeout?: number;
  asStream?: boolean;
  /** Status codes the client hands back as a response instead of a ResponseError. */
  ignore?: number[];
  /** Abort this many ms after the call starts. */
  abortAfterMs?: number;
}

/** What a call ended with, in a form comparable across the two classes. */
export type Outcome =
  | { ok: true; statusCode: number; body: unknown; headers?: unknown }
  | { ok: false; name: string; statusCode?: number; message: string; error: unknown };

export interface Family {
  name: string;
  /** Client options this family knows (maxResponseSize is @elastic/transport's). */
  supports: ReadonlySet<'maxResponseSize' | 'caFingerprint'>;
  /** Client options for a pool that marks nodes dead and resurrects them by pinging through the Connection (HEAD /). */
  resurrectingPool: Record<string, unknown>;
  /** The client option that takes node:tls options. */
  tlsOption: 'ssl' | 'tls';
  client(Connection: ConnectionClass, node: string | string[], extra?: Record<string, unknown>): FamilyClient;
  stock: ConnectionClass;
  ours(options: AwsSigV4Options): ConnectionClass;
}

export interface FamilyClient {
  call(call: Call): Promise<Outcome>;
  /** Each node's status as the pool sees it: 'alive' / 'dead'. */
  nodeStatuses(): string[];
  /** Each connection's own count of its open requests (`_openRequests`, which its close() polls). */
  openRequests(): Array<number | undefined>;
  /** The pool's list of dead node ids (with resurrectingPool: every family's pool keeps one). */
  deadList(): string[];
  /** The client's 'sniff' event: the error each sniff ended with (null when it succeeded). */
  onSniff(listener: (error: unknown) => void): void;
  /** Makes every dead node due for resurrection now (instead of after a minute). */
  expireDeadNodes(): void;
  close(): Promise<void>;
}

interface TransportReturn extends Promise<{ body: unknown; statusCode: number }> { abort(): void }
type SniffListener = (error: unknown) => void;
interface Pool { connections: Array<{ status: string; resurrectTimeout: number; _openRequests?: number }>; dead?: string[] }
interface CallbackClient {
  transport: { request(params: object, options: object): TransportReturn };
  connectionPool: Pool;
  on(event: 'sniff', listener: SniffListener): void;
  close(): Promise<void>;
}
interface PromiseClient {
  transport: { request(params: object, options: object): Promise<{ body: unknown; statusCode: number }> };
  connectionPool: Pool;
  diagnostic: { on(event: 'sniff', listener: SniffListener): void };
  close(): Promise<void>;
}

/** Settled within `ms`, or a failure saying it was still pending (a hang the parity suites look for). */
export function within<T>(ms: number, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([promise, new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`still pending after ${ms} ms`)), ms); })])
    .finally(() => clearTimeout(timer));
}

function failed(error: unknown): Outcome {
  const e = error as { name?: string; message?: string; meta?: { statusCode?: number } };
  return { ok: false, name: e?.name ?? String(error), statusCode: e?.meta?.statusCode ?? undefined, message: String(e?.message ?? error), error };
}

/** A response as an outcome; with asStream, its stream read to the end (a stream that fails is named `stream <error>`). */
async function answered(result: { statusCode: number; body: unknown; headers?: unknown }, call: Call): Promise<Outcome> {
  if (!call.asStream) return { ok: true, statusCode: result.statusCode, body: result.body, headers: result.headers };
  try {
    return { ok: true, statusCode: result.statusCode, body: await text(result.body) };
  } catch (error) {
    const outcome = failed(error);
    return outcome.ok ? outcome : { ...outcome, name: `stream ${outcome.name}`, statusCode: result.statusCode };
  }
}

type CallbackCtor = new (options: Record<string, unknown>) => CallbackClient;
type PromiseCtor = new (options: Record<string, unknown>) => PromiseClient;

function callbackFamily(name: string, mod: { Client: unknown; Connection: unknown; errors: unknown }): Family {
  return {
    name,
    tlsOption: 'ssl',
    resurrectingPool: {},
    // es 7.17's Transport has maxResponseSize and maxCompressedResponseSize too; opensearch-js has neither.
    supports: new Set(name === 'es7' ? ['caFingerprint', 'maxResponseSize'] : []),
    stock: mod.Connection as ConnectionClass,
    ours: (options) => withSigV4Callback(mod.Connection as ConnectionClass, mod.errors as never, options),
    client(Connection, node, extra = {}) {
      const client = new (mod.Client as CallbackCtor)({ node, Connection, maxRetries: 0, ...extra });
      skipProductCheck(client);
      return {
        async call(call) {
          let pending: ReturnType<CallbackClient['transport']['request']>;
          try {
            pending = client.transport.request(
              { method: call.method, path: call.path, body: call.body },
              { requestTimeout: call.requestTimeout, headers: call.headers, asStream: call.asStream, ignore: call.ignore },
            );
          } catch (error) {
            // These transports call the Connection in the same tick: what it throws there (a
            // header node:http refuses) escapes the call itself, and is an outcome too.
            return failed(error);
          }
          if (call.abortAfterMs !== undefined) setTimeout(() => pending.abort(), call.abortAfterMs);
          try {
            const result = await pending;
            return await answered(result, call);
          } catch (error) {
            return failed(error);
          }
        },
        nodeStatuses: () => client.connectionPool.connections.map((c) => c.status),
        openRequests: () => client.connectionPool.connections.map((c) => c._openRequests),
        deadList: () => deadList(client.connectionPool),
        onSniff: (listener) => client.on('sniff', (error) => listener(error)),
        expireDeadNodes: () => { for (const c of client.connectionPool.connections) c.resurrectTimeout = 0; },
        close: () => client.close(),
      };
    },
  };
}

function promiseFamily(name: string, mod: { Client: unknown; errors: unknown; ClusterConnectionPool: unknown }, Base: unknown): Family {
  return {
    name,
    tlsOption: 'tls',
    // The default WeightedConnectionPool only weighs nodes; ClusterConnectionPool pings them.
    resurrectingPool: { ConnectionPool: mod.ClusterConnectionPool },
    supports: new Set(['maxResponseSize', 'caFingerprint']),
    stock: Base as ConnectionClass,
    ours: (options) => withSigV4Promise(Base as ConnectionClass, mod.errors as never, options),
    client(Connection, node, extra = {}) {
      const client = new (mod.Client as PromiseCtor)({ node, Connection, maxRetries: 0, ...extra });
      return {
        async call(call) {
          const controller = new AbortController();
          if (call.abortAfterMs !== undefined) setTimeout(() => controller.abort(), call.abortAfterMs);
          try {
            const result = await client.transport.request(
              { method: call.method, path: call.path, body: call.body },
              { requestTimeout: call.requestTimeout, headers: call.headers, asStream: call.asStream, ignore: call.ignore, signal: controller.signal, meta: true },
            );
            return await answered(result, call);
          } catch (error) {
            return failed(error);
          }
        },
        nodeStatuses: () => client.connectionPool.connections.map((c) => c.status),
        openRequests: () => client.connectionPool.connections.map((c) => c._openRequests),
        deadList: () => deadList(client.connectionPool),
        onSniff: (listener) => client.diagnostic.on('sniff', (error) => listener(error)),
        expireDeadNodes: () => { for (const c of client.connectionPool.connections) c.resurrectTimeout = 0; },
        close: () => client.close(),
      };
    },
  };
}

function deadList(pool: Pool): string[] {
  if (pool.dead === undefined) throw new Error('this pool keeps no dead list (use the family\'s resurrectingPool)');
  return [...pool.dead];
}

/**
 * es 7.17 sends GET / first and holds every request until it answers (its product check),
 * aborts included: that is not what the suite compares, so the check is marked done.
 */
function skipProductCheck(client: CallbackClient): void {
  const transport = client.transport as unknown as Record<symbol, unknown>;
  const key = Object.getOwnPropertySymbols(transport).find((s) => s.description === 'product check');
  if (key !== undefined) transport[key] = 2;
}

async function text(body: unknown): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of body as AsyncIterable<Buffer | string>) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks).toString('utf8');
}

export const FAMILIES: Family[] = [
  callbackFamily('os3 Connection', os3),
  callbackFamily('os2 Connection', os2),
  callbackFamily('es7', es7),
  promiseFamily('es8 HttpConnection', es8, es8.HttpConnection),
  promiseFamily('es8 UndiciConnection', es8, es8.UndiciConnection),
  promiseFamily('es9 HttpConnection', es9, es9.HttpConnection),
  promiseFamily('es9 UndiciConnection', es9, es9.UndiciConnection),
];
