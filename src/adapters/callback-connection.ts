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
import { isRefusalStatus, RequestSigner, type AwsSigV4Options } from '../request-signer.js';
import type { AwsCredentialIdentity } from '../sigv4.js';
import { firstHeader, isStream, lowerCaseHeaders, readAll, readRefusalText, refuseSniffing, withContentLength } from './shared.js';

type Callback = (error: Error | null, response: IncomingMessage | null) => void;

/** The members of the clients' Connection that the mixin uses. */
export interface CallbackConnection {
  url: URL;
  headers?: Record<string, unknown>;
  request(params: CallbackRequestParams, callback: Callback): ClientRequest;
  buildRequestObject(params: CallbackRequestParams): { path: string };
}

export interface CallbackRequestParams {
  method: string;
  path: string;
  querystring?: string;
  headers?: Record<string, unknown> | null;
  body?: string | Buffer | Readable | null;
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

// The clients type `meta` differently; the mixin only ever passes the message.
interface AbortErrorClass { new (message: string, ...meta: never[]): Error }

/**
 * Makes a SigV4-signing Connection class from a client's own Connection class.
 * `RequestAbortedError` is the client's own, so its transport recognises an abort.
 */
export function withSigV4Callback<T extends ConnectionClass>(
  Base: T,
  RequestAbortedError: AbortErrorClass,
  options: AwsSigV4Options = {},
): AwsSigV4CallbackConnection<T> {
  const signer = new RequestSigner(options);

  abstract class AwsSigV4Connection extends (Base as unknown as CallbackBase) {
    static readonly signer = signer;

    static configure(this: typeof AwsSigV4Connection, next: AwsSigV4Options): typeof AwsSigV4Connection {
      return withSigV4Callback(Base, RequestAbortedError, next) as unknown as typeof AwsSigV4Connection;
    }

    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the client's constructor options
    constructor(...args: any[]) {
      super(...args);
      // The client may share one header object among connections and put Basic/ApiKey
      // `authorization` in it: keep a private lower-cased copy without it.
      this.headers = lowerCaseHeaders(this.headers);
    }

    override request(params: CallbackRequestParams, callback: Callback): ClientRequest {
      const state: { aborted: boolean; inner: ClientRequest | undefined } = { aborted: false, inner: undefined };
      let settled = false;
      const done: Callback = (error, response) => {
        if (settled) return;
        settled = true;
        // The pools read `response.statusCode` on error: it must be null, not undefined.
        callback(error, response ?? null);
      };
      const sniffing = refuseSniffing(params.path, signer);
      if (sniffing) {
        process.nextTick(done, sniffing, null);
        return { abort: () => undefined } as unknown as ClientRequest;
      }
      const credentials = signer.credentials();
      if (!(credentials instanceof Promise) && !isStream(params.body)) {
        try {
          this.send(params, params.body, undefined, credentials, 0, state, done);
        } catch (error) {
          done(error as Error, null);
        }
        return state.inner!;
      }
      (async () => {
        const creds = await credentials;
        let body = params.body;
        let payloadHash: string | undefined;
        if (isStream(body)) ({ body, payloadHash } = await signer.bufferStream(body));
        if (state.aborted) return done(new RequestAbortedError('Request aborted'), null);
        this.send(params, body, payloadHash, creds, 0, state, done);
      })().catch((error: Error) => done(error, null));
      return { abort: () => { state.aborted = true; state.inner?.abort(); } } as unknown as ClientRequest;
    }

    private send(
      params: CallbackRequestParams,
      body: string | Buffer | null | undefined,
      payloadHash: string | undefined,
      credentials: AwsCredentialIdentity,
      attempt: number,
      state: { aborted: boolean; inner: ClientRequest | undefined },
      done: Callback,
    ): void {
      const outgoing: CallbackRequestParams = { ...params, body, headers: {} };
      // opensearch-js copies `params.auth` onto http.request's options (Basic auth): never with SigV4.
      delete outgoing.auth;
      // The client's own path building (node path prefix, querystring), so the path signed is
      // the one sent; super.request builds it again, a few string joins.
      const pathAndQuery = this.buildRequestObject(outgoing).path;
      const headers = withContentLength(lowerCaseHeaders(this.headers, params.headers), body);
      const signed = signer.sign({ method: params.method, nodeUrl: this.url, pathAndQuery, headers, body, payloadHash, attempt }, credentials);
      outgoing.headers = signed.headers;
      state.inner = super.request(outgoing, (error, response) => {
        if (error !== null || response === null || !isRefusalStatus(response.statusCode)) return done(error, response);
        readAll(response).then(async (raw) => {
          const verdict = await signer.onRefusal(
            { statusCode: response.statusCode!, body: readRefusalText(raw, response.headers['content-encoding']), date: firstHeader(response.headers.date) },
            signed,
            { method: params.method, path: pathAndQuery, attempt },
          );
          if (verdict === 'retry' && !state.aborted) {
            const fresh = await signer.credentials();
            return this.send(params, body, payloadHash, fresh, attempt + 1, state, done);
          }
          if (verdict instanceof Error) return done(verdict, null);
          done(null, replay(response, raw));
        }).catch((readError: Error) => done(readError, null));
      });
    }
  }

  return AwsSigV4Connection as unknown as AwsSigV4CallbackConnection<T>;
}

/** A response that was read to be classified, handed on with its bytes intact. */
function replay(original: IncomingMessage, raw: Buffer): IncomingMessage {
  const copy = Readable.from(raw.length > 0 ? [raw] : []) as unknown as IncomingMessage;
  copy.statusCode = original.statusCode;
  copy.statusMessage = original.statusMessage;
  copy.headers = original.headers;
  copy.rawHeaders = original.rawHeaders;
  copy.httpVersion = original.httpVersion;
  return copy;
}
