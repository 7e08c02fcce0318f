/**
 * SigV4 for `@elastic/transport` 8.x/9.x connections (`HttpConnection`, `UndiciConnection`),
 * used by `@elastic/elasticsearch` 8.x and 9.x: `async request(params, options)`.
 *
 * As for the callback clients, the transport has compressed and sized the body before it
 * calls the connection, so what is hashed here is what goes on the wire.
 */
import type { Readable } from 'node:stream';
import { Readable as ReadableStream } from 'node:stream';
import { isRefusalStatus, RequestSigner, type AwsSigV4Options } from '../request-signer.js';
import { firstHeader, isStream, lowerCaseHeaders, readRefusalText, refuseSniffing, withContentLength } from './shared.js';
import type { ConnectionClass, SigV4ConnectionStatics } from './callback-connection.js';

export interface PromiseRequestParams {
  method: string;
  path: string;
  querystring?: string | null;
  headers?: Record<string, unknown> | null;
  body?: string | Buffer | Readable | null;
}

export interface PromiseRequestOptions {
  signal?: AbortSignal;
  asStream?: boolean;
  [key: string]: unknown;
}

interface PromiseResponse {
  body: unknown;
  statusCode: number;
  headers: Record<string, string | string[] | undefined>;
}

export interface PromiseConnection {
  url: URL;
  headers?: Record<string, unknown>;
  request(params: PromiseRequestParams, options: PromiseRequestOptions): Promise<PromiseResponse>;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- mixin constructors must accept any arguments (TS rule for mixins)
type PromiseBase = abstract new (...args: any[]) => PromiseConnection;

export type AwsSigV4PromiseConnection<T extends ConnectionClass> = T & SigV4ConnectionStatics;

interface AbortErrorClass { new (message: string): Error }

/** Makes a SigV4-signing class from an @elastic/transport HttpConnection or UndiciConnection. */
export function withSigV4Promise<T extends ConnectionClass>(
  Base: T,
  RequestAbortedError: AbortErrorClass,
  options: AwsSigV4Options = {},
): AwsSigV4PromiseConnection<T> {
  const signer = new RequestSigner(options);

  abstract class AwsSigV4Connection extends (Base as unknown as PromiseBase) {
    static readonly signer = signer;

    static configure(this: typeof AwsSigV4Connection, next: AwsSigV4Options): typeof AwsSigV4Connection {
      return withSigV4Promise(Base, RequestAbortedError, next) as unknown as typeof AwsSigV4Connection;
    }

    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the client's constructor options
    constructor(...args: any[]) {
      super(...args);
      // The es8/es9 clients hand one shared header object (with mixed-case names and maybe
      // Basic/ApiKey auth) to every connection: keep a private lower-cased copy without auth.
      this.headers = lowerCaseHeaders(this.headers);
    }

    override async request(params: PromiseRequestParams, options: PromiseRequestOptions): Promise<PromiseResponse> {
      const sniffing = refuseSniffing(params.path, signer);
      if (sniffing) throw sniffing;
      const credentials = await signer.credentials();
      let body = params.body;
      let payloadHash: string | undefined;
      if (isStream(body)) ({ body, payloadHash } = await signer.bufferStream(body));
      const pathAndQuery = this.wirePath(params);
      let creds = credentials;
      for (let attempt = 0; ; attempt++) {
        // The 8.x HttpConnection ignores a signal that was aborted before it is called.
        if (options.signal?.aborted) throw new RequestAbortedError('Request aborted');
        const headers = withContentLength(lowerCaseHeaders(this.headers, params.headers), body);
        const signed = signer.sign({ method: params.method, nodeUrl: this.url, pathAndQuery, headers, body, payloadHash, attempt }, creds);
        const response = await super.request({ ...params, body, headers: signed.headers }, options);
        if (!isRefusalStatus(response.statusCode)) return response;
        const raw = await bodyBytes(response.body);
        const verdict = await signer.onRefusal(
          { statusCode: response.statusCode, body: readRefusalText(raw, response.headers['content-encoding']), date: firstHeader(response.headers.date) },
          signed,
          { method: params.method, path: pathAndQuery, attempt },
        );
        if (verdict === 'retry') {
          creds = await signer.credentials();
          continue;
        }
        if (verdict instanceof Error) throw verdict;
        return { ...response, body: restore(response.body, raw) };
      }
    }

    /** The path and query exactly as this base class puts them on the wire. */
    private wirePath(params: PromiseRequestParams): string {
      const self = this as unknown as { buildRequestObject?: (p: PromiseRequestParams, o: object) => { path: string } };
      if (typeof self.buildRequestObject === 'function') return self.buildRequestObject(params, {}).path;
      // UndiciConnection: node path prefix + path + ?query, ignoring the node URL's own query.
      const prefix = this.url.pathname === '/' ? '' : this.url.pathname.replace(/\/$/, '');
      const query = params.querystring === undefined || params.querystring === null || params.querystring === '' ? '' : `?${params.querystring}`;
      const path = prefix + params.path + query;
      return path.startsWith('/') ? path : `/${path}`;
    }
  }

  return AwsSigV4Connection as unknown as AwsSigV4PromiseConnection<T>;
}

async function bodyBytes(body: unknown): Promise<Buffer> {
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  if (Buffer.isBuffer(body)) return body;
  if (isStream(body)) {
    const chunks: Buffer[] = [];
    for await (const chunk of body) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
    return Buffer.concat(chunks);
  }
  return Buffer.alloc(0);
}

/** The response body in the form the transport gave it, after it was read to be classified. */
function restore(original: unknown, raw: Buffer): unknown {
  if (isStream(original)) return ReadableStream.from(raw.length > 0 ? [raw] : []);
  return original;
}
