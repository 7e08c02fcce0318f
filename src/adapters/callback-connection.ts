/**
 * SigV4 for the callback-style Connection of `@opensearch-project/opensearch` 2.x/3.x and
 * `@elastic/elasticsearch` 7.x: `request(params, callback)` returning the ClientRequest the
 * transport may abort.
 *
 * Signing happens here, not in a Transport subclass: the transport has already serialized,
 * compressed and sized the body when it calls the connection, and the pool's resurrection
 * ping (HEAD /) calls the connection directly. With cached credentials and a string or
 * Buffer body the request is signed and sent synchronously; otherwise (cold credentials, a
 * stream to buffer) a stand-in with `abort()` is returned at once.
 */
import type { ClientRequest, IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import { RequestSigner, type AwsSigV4Options } from '../request-signer.js';
import { carryBrands, ConfigurationError } from '../errors.js';
import type { AnswerScrub } from '../exchange/answer-scrub.js';
import { exchange, type Reply, type SignedAttempt } from '../exchange/exchange.js';
import { attachRejection } from '../exchange/rejection-path.js';
import type { BodyInput } from '../exchange/body.js';
import { adapterHeaders, adoptClientHeaders, failingBody, firstHeader, HeldRequests, plainHeaders, readErrorAnswer, refuseSniffing, tooLargeNote, withContentLength, type ErrorAnswerRead } from './shared.js';

type Callback = (error: Error | null, response: IncomingMessage | null) => void;

/** The members of the clients' Connection that the mixin uses. */
export interface CallbackConnection {
  url: URL;
  headers?: Record<string, unknown>;
  request(params: CallbackRequestParams, callback: Callback): ClientRequest;
  buildRequestObject(params: CallbackRequestParams): { path: string };
  close(callback?: () => void): void;
}

export interface CallbackRequestParams {
  method: string;
  path: string;
  querystring?: string;
  headers?: Record<string, unknown> | null;
  body?: string | Buffer | Readable | null;
  /** The client's requestTimeout, in ms. */
  timeout?: number | null;
  [key: string]: unknown;
}

/** Any class: the clients' Connection types differ in detail from major to major; the mixin relies only on CallbackConnection. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- mixin constructors must accept any arguments (TS rule for mixins)
export type ConnectionClass = abstract new (...args: any[]) => object;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type CallbackBase = abstract new (...args: any[]) => CallbackConnection;

export interface SigV4ConnectionStatics {
  /** A new Connection class with these options; options not given keep the zero-config rule. */
  configure(options: AwsSigV4Options): this;
  /** The signer shared by every connection of this class (credential cache, clock offset). */
  readonly signer: RequestSigner;
}

export type AwsSigV4CallbackConnection<T extends ConnectionClass> = T & SigV4ConnectionStatics;

// The clients type `meta` differently; the mixin only ever passes a message and the params.
interface ClientErrorClass { new (message: string, ...meta: never[]): Error }

/**
 * The client's own error classes for an abort and a timeout, so its transport recognises
 * them (by class or by name) as it does the stock Connection's. Either the client's `errors`
 * namespace or, as before, its RequestAbortedError class alone (timeouts then end with an
 * Error named TimeoutError).
 */
export type ClientErrors = ClientErrorClass | { RequestAbortedError: ClientErrorClass; TimeoutError?: ClientErrorClass; ConnectionError?: ClientErrorClass };

export interface ErrorFactories {
  aborted: () => Error;
  timedOut: (params: unknown) => Error;
  /**
   * A refusal of ours made before anything is sent (ERR_SNIFFING_UNSUPPORTED, a header or body
   * we cannot sign), as the client's RequestAbortedError, the one error its transport neither
   * retries nor marks a node dead for: its message, its `code`, the ConfigurationError itself
   * as `cause`, and `instanceof ConfigurationError` holding.
   */
  refusedUnsent: (refusal: ConfigurationError) => Error;
  /** A body stream that failed as the stock class ends it: its RequestAbortedError ('Request aborted'), the failure as `cause`. */
  sourceFailed: (failure: Error) => Error;
  /**
   * A body stream that failed as @elastic/transport's UndiciConnection ends it: undici hands
   * the stream's error to its catch, which makes an abort (undici's own for a stream closed
   * early, a DOMException AbortError) its RequestAbortedError and anything else its
   * ConnectionError with the error's message, for which the transport marks the node dead and
   * retries. The failure is kept as `cause` (stock keeps only its message).
   */
  undiciSourceFailed: (failure: Error) => Error;
}

/** What UndiciConnection's catch takes for an abort: undici's code, DOMException.ABORT_ERR, and a stream closed before its end (undici's RequestAbortedError, where our reader sees Premature close). */
const UNDICI_ABORT_CODES = new Set<unknown>(['UND_ERR_ABORTED', 20, 'ERR_STREAM_PREMATURE_CLOSE']);

/** The abort and timeout errors each stock Connection ends with ('Request aborted', 'Request timed out'). */
export function errorFactories(errors: ClientErrors): ErrorFactories {
  const Aborted = typeof errors === 'function' ? errors : errors.RequestAbortedError;
  const Timeout = typeof errors === 'function' ? undefined : errors.TimeoutError;
  const Connection = typeof errors === 'function' ? undefined : errors.ConnectionError;
  const sourceFailed = (failure: Error): Error => withCause(new Aborted('Request aborted'), failure);
  return {
    aborted: () => new Aborted('Request aborted'),
    timedOut: (params) => {
      if (Timeout !== undefined) return new Timeout('Request timed out', params as never);
      const error = new Error('Request timed out');
      error.name = 'TimeoutError';
      return error;
    },
    sourceFailed,
    undiciSourceFailed: (failure) => {
      if (UNDICI_ABORT_CODES.has((failure as { code?: unknown }).code)) return sourceFailed(failure);
      return Connection === undefined ? failure : withCause(new Connection(failure.message), failure);
    },
    refusedUnsent: (refusal) => {
      const error = withCause(new Aborted(refusal.message), refusal);
      // Still ours to the caller: `instanceof ConfigurationError` holds, and its code.
      carryBrands(error, refusal);
      return Object.assign(error, { code: refusal.code });
    },
  };
}

/** `error` with `cause` as `new Error(message, { cause })` defines it: own, not enumerable (the clients' classes take no options). */
function withCause(error: Error, cause: unknown): Error {
  Object.defineProperty(error, 'cause', { value: cause, writable: true, configurable: true, enumerable: false });
  return error;
}

/**
 * Makes a SigV4-signing Connection class from a client's own Connection class.
 * `errors` are the client's own (see ClientErrors), so its transport recognises an abort or a timeout.
 */
export function withSigV4Callback<T extends ConnectionClass>(
  Base: T,
  errors: ClientErrors,
  options: AwsSigV4Options = {},
): AwsSigV4CallbackConnection<T> {
  const signer = new RequestSigner(options);
  const make = errorFactories(errors);

  abstract class AwsSigV4Connection extends (Base as unknown as CallbackBase) {
    static readonly signer = signer;
    readonly #held = new HeldRequests(this, true);

    static configure(this: typeof AwsSigV4Connection, next: AwsSigV4Options): typeof AwsSigV4Connection {
      return withSigV4Callback(Base, errors, next) as unknown as typeof AwsSigV4Connection;
    }

    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the client's constructor options
    constructor(...args: any[]) {
      super(...args);
      adoptClientHeaders(this, signer);
    }

    override request(params: CallbackRequestParams, callback: Callback): ClientRequest {
      let settled = false;
      const done: Callback = (error, response) => {
        if (settled) return;
        settled = true;
        try {
          // The pools read `response.statusCode` on error: it must be null, not undefined.
          callback(error, response ?? null);
        } catch (thrownByCallback) {
          // The stock class calls back from an event handler, where a throw is an uncaught
          // exception; from our promise it would be an unhandled rejection (swallowed by an app
          // that only logs those). Thrown again outside it, it is what it was.
          process.nextTick(() => { throw thrownByCallback; });
        }
      };
      const sniffing = refuseSniffing(params.path, signer);
      if (sniffing) {
        // Not the ConfigurationError itself: os2/os3/es7 take any error but their
        // RequestAbortedError for a fault of the node (markDead, a sniff on connection fault,
        // the request resent to the next node up to maxRetries), so sniffOnStart left every
        // node dead. Their RequestAbortedError they hand straight back, as for maxResponseSize:
        // every node stays alive, the sniff is made once, and its error ('sniff' event, or a
        // direct request's rejection) says the fix, with our code and the ConfigurationError
        // as `cause`. A made-up answer (as tooLargeNote's) would not be clearer: no target
        // answered, so its status would be ours, and the client would show it as the server's.
        process.nextTick(done, make.refusedUnsent(sniffing), null);
        return { abort: () => undefined } as unknown as ClientRequest;
      }
      // opensearch-js copies `params.auth` onto http.request's options (Basic auth): never with SigV4.
      const { auth: _auth, ...base } = params;
      // The client's own path building (node path prefix, querystring), so the path signed is
      // the one sent; super.request builds it again, a few string joins.
      const pathAndQuery = this.buildRequestObject(base).path;
      const { headers, unset } = adapterHeaders(this, params.headers, signer);
      // Behind the client's `abort()` while we wait (credentials, body): made by the first wait, fired by the stand-in below.
      let controller: AbortController | undefined;
      let inner: ClientRequest | undefined;
      let thrown: { error: unknown } | undefined;
      const send = (signed: SignedAttempt): Promise<Reply<IncomingMessage>> =>
        new Promise((resolve, reject) => {
          const outgoing: CallbackRequestParams = { ...base, body: signed.body as string | Buffer | undefined, headers: unset === undefined ? signed.headers : { ...signed.headers, ...unset } };
          const back = this.#held.handOver();
          try {
            inner = super.request(outgoing, (error, response) => {
              back();
              if (error !== null || response === null) reject(error);
              else resolve(replyOf(response));
            });
          } catch (error) {
            back();
            // The stock class throws some mistakes (an invalid header value) at its caller: so do we, below.
            thrown = { error };
            reject(error);
          }
        });
      this.#held.hold();
      const pending = exchange<IncomingMessage>({
        signer,
        method: params.method,
        nodeUrl: this.url,
        pathAndQuery,
        headers,
        body: params.body as BodyInput,
        guard: {
          signal: () => (controller ??= new AbortController()).signal, timeoutMs: params.timeout ?? undefined, aborted: make.aborted, timedOut: () => make.timedOut(params),
          // Stock pipes the stream into its request and aborts it when the stream fails.
          sourceFailed: make.sourceFailed,
        },
        prepare: (h, read) => { withContentLength(h, read.body); },
        send,
      });
      pending.then(
        ({ response, rejection }) => {
          this.#held.release();
          if (rejection !== undefined) attachRejection(response.headers, rejection);
          done(null, response);
        },
        (error: Error) => {
          this.#held.release();
          // A request we refuse to sign (a header value no stack sends, a body we cannot read):
          // nothing was sent and no other node would take it, so the client's RequestAbortedError,
          // as for sniffing; as it was, the node was marked dead and the request resent.
          if (thrown === undefined || !synchronous) done(error instanceof ConfigurationError ? make.refusedUnsent(error) : error, null);
        },
      );
      // Sent already (cached credentials, string or Buffer body): the real request, as the stock class returns.
      const synchronous = inner !== undefined || thrown !== undefined;
      if (thrown !== undefined) throw thrown.error;
      if (inner !== undefined) return inner;
      return { abort: () => { controller?.abort(); inner?.abort(); } } as unknown as ClientRequest;
    }

    /** The stock close, waiting for the requests we hold as for its own (see HeldRequests). */
    override close(callback?: () => void): void {
      this.#held.beforeClose(() => super.close(callback));
    }
  }

  return AwsSigV4Connection as unknown as AwsSigV4CallbackConnection<T>;
}

/** A node response as the exchange reads it; a refusal is read once and replayed with its bytes intact. */
function replyOf(response: IncomingMessage): Reply<IncomingMessage> {
  return {
    statusCode: response.statusCode ?? 0,
    header: (name) => firstHeader(response.headers[name]),
    response,
    consume: async (scrub, bound) => {
      let read: ErrorAnswerRead;
      try {
        read = await readErrorAnswer(response, response.headers['content-encoding'], bound);
      } catch (error) {
        const note = tooLargeNote(error);
        return { text: '', response: replay(response, bytesBody(Buffer.from(note)), plainHeaders(response.headers, note), scrub), unread: true };
      }
      if (read.failure !== undefined) return { text: '', response: replay(response, failingBody(response, read.failure), response.headers, scrub), unread: true };
      const { raw, text, decoded } = read;
      const shown = scrub(text);
      return { text, response: decoded && shown === text ? replay(response, bytesBody(raw), response.headers, scrub) : replay(response, bytesBody(Buffer.from(shown)), plainHeaders(response.headers, shown), scrub) };
    },
  };
}

function bytesBody(bytes: Buffer): Readable {
  return Readable.from(bytes.length > 0 ? [bytes] : []);
}

/** A response that was read to be classified, handed on with `body` (its bytes intact, or its failure) and its headers scrubbed. */
function replay(original: IncomingMessage, body: Readable, headers: IncomingMessage['headers'], scrub: AnswerScrub): IncomingMessage {
  const copy = body as unknown as IncomingMessage;
  copy.statusCode = original.statusCode;
  copy.statusMessage = original.statusMessage;
  copy.headers = scrub.headers(headers);
  copy.rawHeaders = scrub.rawHeaders(original.rawHeaders);
  copy.httpVersion = original.httpVersion;
  return copy;
}
