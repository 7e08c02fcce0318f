/**
 * The exchange: one signed request, start to end, for every front end (the callback and
 * promise Connections, createSignedFetch, the signing proxy and the CLI's `request`). It owns the attempt count, the bounded body reading, the
 * abort/timeout race for every wait, and the refusal handling; a front end only translates
 * its client's request and response shapes.
 *
 * What a front end passes in (`ExchangeRequest`):
 *   - `signer`: a SigningContext (options, credential cache, clock offset): the Node
 *     RequestSigner, which signs synchronously, or the web entry's WebRequestSigner, whose
 *     `sign()` returns a promise (WebCrypto);
 *   - `method`, `nodeUrl` (region, service, Host), `pathAndQuery` exactly as on the wire;
 *   - `headers`: lower-cased, no host, no hop-by-hop (see ./headers.ts);
 *   - `body`: any BodyInput (string, bytes, Node stream of any age, web stream, Blob, form);
 *   - `guard`: the AbortSignal (or a function making one lazily), the timeout in ms, counted
 *     as the stock class counts it (WaitGuard.timeoutCounts), and the errors an abort and a timeout end with (each client's own
 *     classes, fetch's AbortError...); the stock class's own timeout still covers the request
 *     once it is on the wire;
 *   - `reading` (optional): hooks of the body reader (see ReadHooks in ./body.ts);
 *   - `prepare(headers, read)` (optional): called with the body once read, before signing
 *     (content-length, a form's content-type);
 *   - `send(signed)`: puts one signed attempt on the wire and resolves with a `Reply`:
 *     its status, a response header reader, and `consume(scrub, bound)`, which reads the body
 *     with `bound` (only ever called for an error status, 400 and up) and gives back the
 *     response to hand on, with the same bytes, or with `scrub`'s text (redactRefusalBody: our
 *     secret, token and signature removed) when it changed any, and its headers through
 *     `scrub.headers` or `scrub.rawHeaders` (see ./answer-scrub.ts).
 * What it gets back (`ExchangeResult`): the response to hand on, and `rejection`, our typed
 * SignatureRejectedError when AWS refused the signature in a way no retry can fix (the
 * response is then that refusal, read and replayed). A refusal that one re-signed retry can
 * fix (expired token, clock skew) is retried here, once. Errors thrown: the guard's abort and
 * timeout errors, ERR_BODY_TOO_LARGE (the request's body), ERR_UNSUPPORTED_BODY (a stream
 * chunk that is not bytes), ERR_RESPONSE_TOO_LARGE (an error answer past errorAnswerLimit: the
 * target's), credential errors, and whatever `send` rejects with.
 *
 * No `await` comes before the first `send` when the credentials are cached, the body is
 * already bytes and the signer is synchronous: a callback Connection relies on that to send
 * synchronously. Nothing here imports a Node built-in: the web entry's bundle holds it.
 *
 * How the other front ends call it:
 *   - the signing proxy (src/proxy/signing-proxy.ts): `headers` from the incoming request
 *     without HOP_BY_HOP, connectionTokens() and SIGNER_OWNED names; `body` the
 *     IncomingMessage itself, read with `reading` = its in-flight budget and `drain` (the
 *     client reads the 413/503); `guard.signal` aborted when the client's socket closes, and
 *     `send` ends an attempt whose target stays silent with `guard.timedOut()` (499 and 504);
 *     then it writes `result.response` back (a refusal as replayed) and logs `result.rejection`.
 *   - the CLI's `request` (src/cli/request.ts): `body` the --data bytes or stdin (a Node
 *     stream), `send` its http.request, no signal or timeout; on a refusal it prints the
 *     replayed body, and formatError(rejection) when classified, and exits 1.
 */
import { isRefusalStatus, type Retry, type SigningContext, type Signed } from '../signing-context.js';
import { AwsSigV4Error, type SignatureRejectedError } from '../errors.js';
import type { AwsCredentialIdentity } from '../sigv4.js';
import { answerScrub, type AnswerScrub } from './answer-scrub.js';
import { DEFAULT_MAX_BUFFERED_BODY_BYTES, errorAnswerLimit, inMemory, readBody, readRefusalBody, type BodyInput, type ReadBody, type ReadHooks } from './body.js';
import { Deadline, type WaitGuard } from './race.js';

/** One attempt's answer as the exchange needs it. */
export interface Reply<R> {
  statusCode: number;
  /** A response header's first value. */
  header(name: string): string | undefined;
  /**
   * The body as text for classification (decompressed), and the response to hand on
   * afterwards. `scrub` removes our secrets from the text (`es` echoes the canonical request,
   * session token included): when it changed anything, the response handed on carries the
   * scrubbed text, since it ends up in the client's error. The response handed on carries its
   * headers through `scrub.headers` / `scrub.rawHeaders` too, whatever else it does (a server
   * echoing its request may echo it in a header). The body is read with `bound`, so every
   * front end stops at the same size with the same error.
   */
  consume(scrub: AnswerScrub, bound: RefusalBound): Promise<Consumed<R>>;
  /** The response as is, handed on when it is not an error (below 400). */
  response: R;
}

/** An error answer read, and the response to hand on. */
export interface Consumed<R> {
  text: string;
  response: R;
  /**
   * True when the body failed before its end (a reset, an abort): `response` then fails the
   * same way for the client to meet, and there is no text to classify.
   */
  unread?: boolean;
}

/** How a refusal is read: one limit for its bytes and for what they expand to. */
export interface RefusalBound {
  /** errorAnswerLimit: also the most a compressed refusal may expand to. */
  limit: number;
  /** The refusal's bytes, at most `limit`; past it ERR_RESPONSE_TOO_LARGE, the source stopped. */
  read(body: BodyInput): Promise<Uint8Array>;
}

/** One signed attempt, ready for the wire. */
export interface SignedAttempt {
  /** Every header to send, host included. */
  headers: Record<string, string>;
  body: string | Uint8Array | undefined;
  /** 0, or 1 for the one re-signed retry. */
  attempt: number;
  /** Counting the timeout from dispatch (undici), what is left of it for the stock class's own timer (Deadline.timeLeftMs). */
  timeLeftMs?: number;
}

export interface ExchangeRequest<R> {
  signer: SigningContext;
  method: string;
  nodeUrl: URL;
  pathAndQuery: string;
  headers: Record<string, string>;
  body: BodyInput;
  guard: WaitGuard;
  /** What the body reader adds for this front end (the proxy's in-flight budget, draining its client's upload). */
  reading?: ReadHooks;
  /** Called with the body once read, before signing: e.g. to set content-length or the form's content-type. */
  prepare?: (headers: Record<string, string>, body: ReadBody) => void;
  send(request: SignedAttempt): Promise<Reply<R>>;
}

export interface ExchangeResult<R> {
  response: R;
  /** Set when the response is a refusal that no retry can fix, classified. */
  rejection?: SignatureRejectedError;
}

export function exchange<R>(request: ExchangeRequest<R>): Promise<ExchangeResult<R>> {
  const deadline = new Deadline(request.guard);
  // Synchronous up to the first send when nothing has to be waited for (see the header).
  try {
    deadline.check();
    const credentials = request.signer.credentials();
    const body = credentials instanceof Promise ? undefined : inMemory(request.body);
    if (body !== undefined) return attempts(request, deadline, body, credentials as AwsCredentialIdentity);
    return prepared(request, deadline, credentials);
  } catch (error) {
    return Promise.reject(error);
  }
}

async function prepared<R>(request: ExchangeRequest<R>, deadline: Deadline, credentials: AwsCredentialIdentity | Promise<AwsCredentialIdentity>): Promise<ExchangeResult<R>> {
  const creds = credentials instanceof Promise ? await deadline.race(credentials) : credentials;
  deadline.dispatch();
  const limit = bufferLimit(request.signer);
  // The reader stops (stream destroyed, web stream cancelled) when the race is lost.
  const stop = new AbortController();
  const onChunk = request.reading?.onChunk;
  // Counting silences, each chunk gives the read the whole timeout again, as a socket's activity does the stock class's.
  const hooks: ReadHooks = {
    hash: () => request.signer.bodyHash(), ...request.reading,
    onChunk: (bytes) => {
      deadline.touch();
      return onChunk?.(bytes);
    },
  };
  let reading = readBody(request.body, limit, stop.signal, hooks);
  const failed = request.guard.sourceFailed;
  // Ours (too large, unsupported) stay ours; what the source itself threw becomes the client's.
  if (failed !== undefined) reading = reading.catch((error: unknown) => { throw error instanceof AwsSigV4Error || !(error instanceof Error) ? error : failed(error); });
  const body = await deadline.race(reading, (error) => stop.abort(error));
  deadline.check();
  return attempts(request, deadline, body, creds);
}

async function attempts<R>(request: ExchangeRequest<R>, deadline: Deadline, body: ReadBody, first: AwsCredentialIdentity): Promise<ExchangeResult<R>> {
  const { signer, method, nodeUrl, pathAndQuery } = request;
  let credentials = first;
  // A clock correction this request's retry is signed with, until its answer confirms it.
  let clockOffsetMs: number | undefined;
  for (let attempt = 0; ; attempt++) {
    // Signing only adds `host` (the same each time) and prepare() is idempotent: no copy per attempt.
    const headers = request.headers;
    request.prepare?.(headers, body);
    if (attempt > 0) deadline.dispatch();
    const signing = signer.sign({ method, nodeUrl, pathAndQuery, headers, body: body.body, payloadHash: body.payloadHash, attempt, clockOffsetMs }, credentials);
    const signed = signing instanceof Promise ? await deadline.race(signing) : signing;
    const reply = await request.send({ headers: signed.headers, body: body.body, attempt, timeLeftMs: deadline.timeLeftMs() });
    let result: ExchangeResult<R>;
    if (reply.statusCode < 400) result = { response: reply.response };
    // Any error answer ends up in the client's error (its message, meta.body), and a server
    // that echoes its request in one (a 500 with the headers it got) echoes our token: read
    // and scrubbed as a refusal is, but not classified.
    else if (!isRefusalStatus(reply.statusCode)) result = { response: (await consumeError(signer, reply, signed)).response };
    else {
      const verdict = await judge(signer, reply, signed, { method, path: pathAndQuery, attempt });
      if (verdict.retry) {
        clockOffsetMs = verdict.clockOffsetMs;
        deadline.check();
        const fresh = signer.credentials();
        credentials = fresh instanceof Promise ? await deadline.race(fresh) : fresh;
        continue;
      }
      result = verdict.result;
    }
    if (clockOffsetMs !== undefined) signer.confirmClock(clockOffsetMs, result.rejection);
    return result;
  }
}

/** An error answer read whole within the buffering bound, and scrubbed of what this attempt was signed with. */
function consumeError<R>(signer: SigningContext, reply: Reply<R>, signed: Signed): Promise<Consumed<R>> {
  const limit = errorAnswerLimit(signer.options.maxBufferedBodyBytes);
  const bound: RefusalBound = { limit, read: (body) => readRefusalBody(body, reply.statusCode, limit) };
  return reply.consume(answerScrub(signed.credentials, signed.signed.signature), bound);
}

type Verdict<R> = Retry | { retry: false; result: ExchangeResult<R> };

/** Reads a refusal and says: retry once re-signed, or hand it on (classified when it is about the signature). */
async function judge<R>(signer: SigningContext, reply: Reply<R>, signed: Signed, context: { method: string; path: string; attempt: number }): Promise<Verdict<R>> {
  const { text, response, unread } = await consumeError(signer, reply, signed);
  if (unread === true) return { retry: false, result: { response } };
  const verdict = await signer.onRefusal({ statusCode: reply.statusCode, body: text, date: reply.header('date'), errorType: reply.header('x-amzn-errortype') }, signed, context);
  if (verdict === undefined) return { retry: false, result: { response } };
  return 'retry' in verdict ? verdict : { retry: false, result: { response, rejection: verdict } };
}

/** The buffering limit of a request body read to be hashed (an error answer's is errorAnswerLimit). */
function bufferLimit(signer: SigningContext): number {
  return signer.options.maxBufferedBodyBytes ?? DEFAULT_MAX_BUFFERED_BODY_BYTES;
}
