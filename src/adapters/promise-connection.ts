/**
 * SigV4 for `@elastic/transport` 8.x/9.x connections (`HttpConnection`, `UndiciConnection`),
 * used by `@elastic/elasticsearch` 8.x and 9.x: `async request(params, options)`.
 *
 * As for the callback clients, the transport has compressed and sized the body before it
 * calls the connection, so what is hashed here is what goes on the wire.
 */
import type { Readable } from 'node:stream';
import { Readable as ReadableStream } from 'node:stream';
import { RequestSigner, type AwsSigV4Options } from '../request-signer.js';
import { exchange, type Reply } from '../exchange/exchange.js';
import { attachRejection } from '../exchange/rejection-path.js';
import { isNodeStream, type BodyInput } from '../exchange/body.js';
import { adapterHeaders, adoptClientHeaders, failingBody, firstHeader, HeldRequests, plainHeaders, readErrorAnswer, refuseSniffing, withContentLength } from './shared.js';
import { errorFactories, type ClientErrors, type ConnectionClass, type SigV4ConnectionStatics } from './callback-connection.js';

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
  /** The client's requestTimeout, in ms. */
  timeout?: number | null;
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
  close(): Promise<void>;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- mixin constructors must accept any arguments (TS rule for mixins)
type PromiseBase = abstract new (...args: any[]) => PromiseConnection;

export type AwsSigV4PromiseConnection<T extends ConnectionClass> = T & SigV4ConnectionStatics;

/** Makes a SigV4-signing class from an @elastic/transport HttpConnection or UndiciConnection (`errors`: the client's, see ClientErrors). */
export function withSigV4Promise<T extends ConnectionClass>(
  Base: T,
  errors: ClientErrors,
  options: AwsSigV4Options = {},
): AwsSigV4PromiseConnection<T> {
  const signer = new RequestSigner(options);
  const make = errorFactories(errors);

  abstract class AwsSigV4Connection extends (Base as unknown as PromiseBase) {
    static readonly signer = signer;

    static configure(this: typeof AwsSigV4Connection, next: AwsSigV4Options): typeof AwsSigV4Connection {
      return withSigV4Promise(Base, errors, next) as unknown as typeof AwsSigV4Connection;
    }

    /** UndiciConnection (its handle is an undici Pool), else HttpConnection (an agent): where the two stock classes differ. */
    readonly #undici: boolean;
    readonly #held: HeldRequests;

    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the client's constructor options
    constructor(...args: any[]) {
      super(...args);
      this.#undici = (this as { pool?: unknown }).pool !== undefined;
      this.#held = new HeldRequests(this, !this.#undici);
      adoptClientHeaders(this, signer);
    }

    override async request(params: PromiseRequestParams, options: PromiseRequestOptions): Promise<PromiseResponse> {
      const sniffing = refuseSniffing(params.path, signer);
      // @elastic/transport throws an error it does not name back as it is (no node marked
      // dead, nothing resent); but the client's SniffingTransport writes `error.meta.sniff`
      // before its 'sniff' event, and without a `meta` that throw, inside its catch, was an
      // unhandled rejection (the process ended) and no event came. With a `meta` for it to
      // fill, the event carries the ConfigurationError itself.
      if (sniffing) throw Object.assign(sniffing, { meta: {} });
      this.#held.hold();
      try {
        return await this.#signed(params, options);
      } finally {
        this.#held.release();
      }
    }

    /** The stock close, waiting for the requests we hold as for its own (see HeldRequests). */
    override async close(): Promise<void> {
      await new Promise<void>((resolve) => this.#held.beforeClose(resolve));
      return super.close();
    }

    async #signed(params: PromiseRequestParams, options: PromiseRequestOptions): Promise<PromiseResponse> {
      const { headers, unset } = adapterHeaders(this, params.headers, signer);
      const { response, rejection } = await exchange<PromiseResponse>({
        signer,
        method: params.method,
        nodeUrl: this.url,
        pathAndQuery: this.wirePath(params),
        headers,
        body: params.body as BodyInput,
        // The 8.x HttpConnection ignores a signal that was aborted before it is called: the guard's check covers it.
        guard: {
          signal: options.signal, timeoutMs: options.timeout ?? undefined,
          // UndiciConnection's timeout runs from dispatch to the answer's head, upload included; HttpConnection's is node:http's socket timeout.
          timeoutCounts: this.#undici ? 'from-dispatch' : 'silence',
          aborted: make.aborted, timedOut: () => make.timedOut(undefined),
          // UndiciConnection's own errors for a failing stream (undiciSourceFailed); HttpConnection pipes it and rejects with its error as is.
          sourceFailed: this.#undici ? make.undiciSourceFailed : undefined,
        },
        prepare: (h, read) => { withContentLength(h, read.body); },
        send: async (signed) => {
          const outgoing = { ...params, body: signed.body as string | Buffer | undefined, headers: unset === undefined ? signed.headers : { ...signed.headers, ...unset } };
          const back = this.#held.handOver();
          try {
            return replyOf(await super.request(outgoing, signed.timeLeftMs === undefined ? options : { ...options, timeout: signed.timeLeftMs }));
          } finally {
            back();
          }
        },
      });
      if (rejection !== undefined) attachRejection(response.headers, rejection);
      return response;
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

/** A transport response as the exchange reads it; a refusal's body is handed on in the form the transport gave it. */
function replyOf(response: PromiseResponse): Reply<PromiseResponse> {
  return {
    statusCode: response.statusCode,
    header: (name) => firstHeader(response.headers[name]),
    response,
    consume: async (scrub, bound) => {
      const original = response.body;
      const read = await readErrorAnswer(original as BodyInput, response.headers['content-encoding'], bound);
      const headers = scrub.headers(response.headers);
      // Only a stream can fail part way (asStream): the base class read any other body whole.
      if (read.failure !== undefined) return { text: '', response: { ...response, headers, body: failingBody(original, read.failure) }, unread: true };
      const { raw, text, decoded } = read;
      const shown = scrub(text);
      if (!decoded || shown !== text) {
        const bytes = Buffer.from(shown);
        const body = isNodeStream(original) ? ReadableStream.from([bytes]) : typeof original === 'string' ? shown : bytes;
        return { text, response: { ...response, headers: plainHeaders(headers, shown), body } };
      }
      const body = isNodeStream(original) ? ReadableStream.from(raw.length > 0 ? [raw] : []) : original;
      return { text, response: { ...response, headers, body } };
    },
  };
}
