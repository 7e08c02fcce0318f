/**
 * The one bounded body reader. SigV4 signs a hash of the whole body, so a body that is
 * not already bytes in memory is read in full before the first byte is sent; every kind a
 * front end accepts comes here, with one limit and one error past it. A refusal the
 * exchange reads to classify comes here too (readRefusalBody), with the same limit and an
 * error of its own: past it, it is the target's answer that is too large, not the request.
 *
 * Kinds: string and bytes (returned as they are, no copy; bytes in shared memory, a
 * SharedArrayBuffer or a view of one, copied), Node streams of every age
 * (read through `data`/`end` events, which node's own `Stream`, readable-stream@2 and
 * modern `Readable` all emit, where `for await` needs `Symbol.asyncIterator`), web
 * `ReadableStream`, `Blob`, and what fetch serializes itself (`URLSearchParams`,
 * `FormData`), whose content-type is reported so it can be signed. A stream's chunks are
 * strings (UTF-8) or any ArrayBufferView (its bytes); any other chunk ends the read with
 * ERR_UNSUPPORTED_BODY, the stream stopped as past the limit.
 *
 * No Node built-in is imported (the web entry's bundle holds this module): Node streams are
 * recognised by their shape, chunks are kept as Uint8Array (a Buffer is one), and hashing
 * while reading is the front end's `hash` (node:crypto's incremental SHA-256; WebCrypto has
 * none, so there the signer hashes the bytes read).
 */
import { ConfigurationError } from '../errors.js';
import { unreadable } from '../read-once.js';
import { isSharedBuffer, utf8Bytes, type IncrementalSha256 } from '../sigv4/crypto.js';
import { truncate, typeName } from '../sigv4/validate.js';

/** What the reader accepts: everything a client Connection or fetch may be given as a body. */
export type BodyInput = string | Uint8Array | ArrayBuffer | ArrayBufferView | LegacyStream | ReadableStream<Uint8Array> | Blob | URLSearchParams | FormData | null | undefined;

/** The least a Node stream of any age has: `pipe`, and `data`/`end`/`error` events. */
export interface LegacyStream {
  pipe(...args: never[]): unknown;
  on(event: string, listener: (...args: unknown[]) => void): unknown;
  removeListener(event: string, listener: (...args: unknown[]) => void): unknown;
  resume?(): unknown;
  destroy?(error?: Error): unknown;
}

export interface ReadBody {
  /** The bytes to send: the caller's string or bytes untouched, else one Buffer. */
  body: string | Uint8Array | undefined;
  /** Hex SHA-256 of `body` when it was computed while reading (saves a second pass). */
  payloadHash?: string;
  /** The content-type the platform gives a body it serializes (form data), when there is one. */
  contentType?: string;
}

export const DEFAULT_MAX_BUFFERED_BODY_BYTES = 100 * 1024 * 1024;

/**
 * The least an error answer is read to, whatever maxBufferedBodyBytes says. That option bounds
 * what a user sends; an answer below it would turn AWS's refusals (1-2 KB) into
 * ERR_RESPONSE_TOO_LARGE, unclassified, and the callback clients mark a node dead on that.
 */
export const MIN_ERROR_ANSWER_BYTES = 1024 * 1024;

/** The bound an error answer (status 400 and up) is read within, given maxBufferedBodyBytes. */
export function errorAnswerLimit(maxBufferedBodyBytes: number | undefined): number {
  return Math.max(maxBufferedBodyBytes ?? DEFAULT_MAX_BUFFERED_BODY_BYTES, MIN_ERROR_ANSWER_BYTES);
}

/** What a front end adds to a read (the signing proxy: its budget of bytes held across requests). */
export interface ReadHooks {
  /** Called with each chunk's size before it is kept; an error returned ends the read with it. */
  onChunk?(bytes: number): Error | undefined;
  /**
   * A Node stream the read gives up on (too large, refused by `onChunk`, aborted) is drained
   * instead of destroyed: a server's incoming request, whose client must still read the answer.
   */
  drain?: boolean;
  /** Hashes the body while it is read (saves the signer a second pass); without it, `payloadHash` stays unset. */
  hash?: () => IncrementalSha256 | undefined;
  /** The error past the limit; without it ERR_BODY_TOO_LARGE, which speaks of the request's body. */
  tooLarge?: () => Error;
  /**
   * The length the body declares (a server's incoming Content-Length, which Node's parser
   * holds the sender to). Once PRESIZE_AFTER bytes of it have come, the rest is read into one
   * buffer of that length, so the body is held once instead of as chunks and then joined
   * (twice, for a moment); `reserve`, when given, must grant that buffer's bytes not yet read.
   */
  declaredBytes?: number;
  /** Asked, once, for the bytes a presized buffer allocates beyond those read; false keeps the chunks. */
  reserve?(bytes: number): boolean;
  /**
   * A body read as chunks (no declared length, or a presize not granted) is joined into one
   * buffer at its end, held beside the chunks until it is filled; past PRESIZE_AFTER bytes, `join.before` is asked for
   * that buffer's bytes (an error returned ends the read with it), `join.after` told when the
   * chunks' bytes are free again.
   */
  join?: { before(bytes: number): Error | undefined; after(bytes: number): void };
}

/** A body must have sent this much of its declared length before a buffer of that length is allocated for it. */
const PRESIZE_AFTER = 1 << 20;

export function isNodeStream(body: unknown): body is LegacyStream {
  return body !== null && typeof body === 'object' && typeof (body as LegacyStream).pipe === 'function';
}

function isWebStream(body: unknown): body is ReadableStream<Uint8Array> {
  return body !== null && typeof body === 'object' && typeof (body as ReadableStream).getReader === 'function';
}

/** What a body is, asked once: each kind is read its own way. */
type BodyKind = 'none' | 'text' | 'bytes' | 'buffer' | 'view' | 'node-stream' | 'web-stream' | 'blob' | 'serialized';

/**
 * The kind of `body`. Asking a Proxy (instanceof asks its getPrototypeOf trap, a stream's
 * shape its get trap) or an object whose getter throws runs the caller's code: what it throws
 * ends as ERR_UNSUPPORTED_BODY, its text only scrubbed in `cause` (it may quote a secret),
 * before anything is signed or sent.
 */
function kindOf(body: unknown): BodyKind {
  try {
    if (body === undefined || body === null) return 'none';
    if (typeof body === 'string') return 'text';
    if (body instanceof Uint8Array) return isSharedBuffer(body.buffer) ? 'view' : 'bytes';
    if (body instanceof ArrayBuffer || isSharedBuffer(body)) return 'buffer';
    if (ArrayBuffer.isView(body)) return 'view';
    if (isNodeStream(body)) return 'node-stream';
    if (isWebStream(body)) return 'web-stream';
    if (typeof Blob !== 'undefined' && body instanceof Blob) return 'blob';
    return 'serialized';
  } catch (error) {
    throw unreadable(error, 'ERR_UNSUPPORTED_BODY', 'The request body', 'Pass a string, bytes (a Buffer, a typed array), a stream, a Blob or a form itself, not a Proxy of one.');
  }
}

/**
 * A body that is bytes in memory as the bytes to send. A view of a SharedArrayBuffer is
 * copied (fetch and WebCrypto refuse shared memory, and another thread could change it
 * between its hash and its send: what is signed must be what is sent); any other view is
 * viewed, not copied.
 */
function bytesIn(body: ArrayBufferLike | ArrayBufferView): Uint8Array {
  const view = ArrayBuffer.isView(body) ? new Uint8Array(body.buffer, body.byteOffset, body.byteLength) : new Uint8Array(body);
  return isSharedBuffer(view.buffer) ? new Uint8Array(view) : view;
}

/**
 * The body when it is already bytes in memory (a string, a Uint8Array or Buffer, nothing):
 * reading it needs no wait (the callback adapters' synchronous path). Undefined for any other
 * kind, which readBody reads; a Proxy whose trap throws is refused, typed (see kindOf).
 */
export function inMemory(body: unknown): ReadBody | undefined {
  const kind = kindOf(body);
  if (kind === 'none') return { body: undefined };
  if (kind === 'text' || kind === 'bytes') return { body: body as string | Uint8Array };
  return undefined;
}

function bodyTooLarge(limit: number): ConfigurationError {
  return new ConfigurationError('ERR_BODY_TOO_LARGE',
    `A streamed body is read in full to be signed (SigV4 signs a hash of the whole body) and this one is larger than maxBufferedBodyBytes (${limit} bytes). ` +
      'Raise maxBufferedBodyBytes, or send smaller requests (e.g. a smaller flushBytes in the bulk helper).');
}

/**
 * A refusal past the limit. Not ERR_BODY_TOO_LARGE: the request was signed and sent, and what
 * cannot be read is the target's answer, which the user's request size does not change.
 */
function responseTooLarge(statusCode: number, limit: number): ConfigurationError {
  return new ConfigurationError('ERR_RESPONSE_TOO_LARGE',
    `The target's error answer (HTTP ${statusCode}) was too large to read: it is larger than ${limit} bytes (maxBufferedBodyBytes, never below ${MIN_ERROR_ANSWER_BYTES}). ` +
      'An error answer is read whole, to be classified and cleaned of signing secrets before it is handed on: this one was not read on. Raise maxBufferedBodyBytes if the target\'s error answers are this large.');
}


/** A chunk's bytes: a string (a Node stream with an encoding, or in object mode) as UTF-8, any other view by its bytes (copied from shared memory); else undefined. */
function bytesOf(chunk: unknown): Uint8Array | undefined {
  if (typeof chunk === 'string') return utf8Bytes(chunk);
  if (ArrayBuffer.isView(chunk)) return bytesIn(chunk);
  return undefined;
}

/**
 * A chunk that is not bytes (a number or a document from an object-mode stream, an
 * ArrayBuffer, which fetch refuses in a ReadableStream too): named by its type, never by
 * its content. Taken as no bytes, it would be signed and sent as an empty body.
 */
function unsupportedChunk(chunk: unknown): ConfigurationError {
  return new ConfigurationError('ERR_UNSUPPORTED_BODY',
    `A stream body yielded a chunk that is ${chunkType(chunk)}; a body stream must yield strings or bytes (Buffer, Uint8Array, another typed array or DataView). ` +
      'Serialize each item before it goes in the stream (for a bulk body, JSON.stringify each line and add "\\n"), wrap an ArrayBuffer in a Uint8Array, or pass the body as a string or Buffer.');
}

function chunkType(chunk: unknown): string {
  if (chunk === undefined) return 'undefined';
  try {
    return truncate(typeName(chunk));
  } catch {
    // A Proxy or an object whose constructor getter throws: its type is all we say anyway.
    return 'an object';
  }
}

/**
 * Collects chunks up to a limit, hashing as they come when the front end can. A body of a
 * declared length (ReadHooks.declaredBytes) moves, once it has shown it is coming, into one
 * buffer of that length: a declaration alone costs a sender nothing, so nothing is
 * allocated for it until PRESIZE_AFTER bytes are in.
 */
class Collector {
  private readonly hash: IncrementalSha256 | undefined;
  private readonly onChunk: ReadHooks['onChunk'];
  /** The error past the limit (the hook's, else the request body's). */
  readonly overLimit: () => Error;
  private chunks: Uint8Array[] = [];
  private size = 0;
  private declared: number | undefined;
  private readonly reserve: ReadHooks['reserve'];
  private readonly join: ReadHooks['join'];
  /** The presized buffer, once allocated; `size` bytes of it are filled. */
  private whole: Uint8Array | undefined;
  constructor(private readonly limit: number, hooks: ReadHooks) {
    this.onChunk = hooks.onChunk;
    this.hash = hooks.hash?.();
    this.overLimit = hooks.tooLarge ?? (() => bodyTooLarge(limit));
    const declared = hooks.declaredBytes;
    this.declared = declared !== undefined && Number.isSafeInteger(declared) && declared > PRESIZE_AFTER && declared <= limit ? declared : undefined;
    this.reserve = hooks.reserve;
    this.join = hooks.join;
  }

  /** Moves what came so far into one buffer of the declared length, when it is due and granted. */
  private presize(): void {
    const declared = this.declared!;
    if (this.reserve !== undefined && !this.reserve(declared - this.size)) {
      this.declared = undefined;
      return;
    }
    const whole = new Uint8Array(declared);
    let at = 0;
    for (const chunk of this.chunks) {
      whole.set(chunk, at);
      at += chunk.byteLength;
    }
    this.chunks = [];
    this.whole = whole;
  }

  /** The error that ends the read when the chunk may not be kept (not bytes, past the limit, or refused by the hook). */
  add(chunk: unknown): Error | undefined {
    let bytes: Uint8Array;
    // A Buffer or Uint8Array, as nearly every stream gives: one check (and one for shared memory, copied).
    if (chunk instanceof Uint8Array && !isSharedBuffer(chunk.buffer)) {
      bytes = chunk;
    } else {
      const other = bytesOf(chunk);
      if (other === undefined) return unsupportedChunk(chunk);
      bytes = other;
    }
    this.size += bytes.byteLength;
    if (this.size > this.limit) return this.overLimit();
    const refused = this.onChunk?.(bytes.byteLength);
    if (refused !== undefined) return refused;
    this.hash?.update(bytes);
    const whole = this.whole;
    if (whole !== undefined && this.size <= whole.byteLength) {
      whole.set(bytes, this.size - bytes.byteLength);
      return undefined;
    }
    if (whole !== undefined) {
      // More than declared (a source that is no HTTP message): back to chunks, from what is filled.
      this.chunks = [whole.subarray(0, this.size - bytes.byteLength)];
      this.whole = undefined;
      this.declared = undefined;
    }
    this.chunks.push(bytes);
    if (this.declared !== undefined && this.whole === undefined && this.size >= PRESIZE_AFTER) this.presize();
    return undefined;
  }

  /** The body read; throws what `join.before` refused. */
  result(contentType?: string): ReadBody {
    const whole = this.whole;
    let body: Uint8Array;
    if (whole !== undefined) body = this.size === whole.byteLength ? whole : whole.subarray(0, this.size);
    else if (this.chunks.length === 1) body = this.chunks[0]!;
    else {
      // Up to PRESIZE_AFTER the join's moment twice is left uncounted, as a declared body's
      // first MiB is: counted, a 600 kB body would need 1.2 MB of a 1 MB budget.
      const counted = this.size > PRESIZE_AFTER ? this.join : undefined;
      const refused = counted?.before(this.size);
      if (refused !== undefined) throw refused;
      body = concat(this.chunks, this.size);
      this.chunks = [];
      counted?.after(this.size);
    }
    const read: ReadBody = { body, contentType };
    if (this.hash !== undefined) read.payloadHash = this.hash.digest('hex');
    return read;
  }
}

function concat(chunks: readonly Uint8Array[], size: number): Uint8Array {
  const out = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.byteLength;
  }
  return out;
}

/**
 * Reads a body of any kind, at most `limit` bytes (past it: ERR_BODY_TOO_LARGE, and the
 * source is destroyed or cancelled). `signal` stops the read the same way; the caller's
 * race turns that into the client's own abort or timeout error.
 */
export async function readBody(body: BodyInput, limit: number = DEFAULT_MAX_BUFFERED_BODY_BYTES, signal?: AbortSignal, hooks: ReadHooks = {}): Promise<ReadBody> {
  const kind = kindOf(body);
  if (kind === 'none') return { body: undefined };
  if (kind === 'text' || kind === 'bytes') return { body: body as string | Uint8Array };
  if (kind === 'buffer' || kind === 'view') return { body: bytesIn(body as ArrayBufferLike | ArrayBufferView) };
  const collector = (): Collector => new Collector(limit, hooks);
  if (kind === 'node-stream') return readNodeStream(body as LegacyStream, collector(), signal, hooks.drain === true);
  if (kind === 'web-stream') return readWebStream(body as ReadableStream<Uint8Array>, collector(), signal);
  if (kind === 'blob') {
    const blob = body as Blob;
    const reading = collector();
    // Its size is known: refuse before reading a byte.
    if (blob.size > limit) throw reading.overLimit();
    return readWebStream(blob.stream() as ReadableStream<Uint8Array>, reading, signal, blob.type || undefined);
  }
  // URLSearchParams, FormData: the platform serializes it (and names its content-type, with the multipart boundary).
  const serialized = serializedForm(body);
  const stream = serialized.body as ReadableStream<Uint8Array> | null;
  const contentType = serialized.headers.get('content-type') ?? undefined;
  if (stream === null) return { body: undefined, contentType };
  return readWebStream(stream, collector(), signal, contentType);
}

/**
 * A form the platform serializes, as a Response of it. fetch sends any other object as its
 * String() ("[object Object]" for an object meant as JSON) and refuses a symbol with a TypeError;
 * both are a typed error here, before anything is signed.
 */
function serializedForm(body: unknown): Response {
  const form = (typeof URLSearchParams !== 'undefined' && body instanceof URLSearchParams) || (typeof FormData !== 'undefined' && body instanceof FormData);
  if (!form) {
    throw new ConfigurationError('ERR_UNSUPPORTED_BODY',
      `The request body is ${typeName(body)}, which fetch sends as its text ("[object Object]" for a plain object) or refuses: pass a string (JSON.stringify(body)), bytes (a Buffer, a typed array), a stream, a Blob, URLSearchParams or FormData.`);
  }
  return new Response(body as BodyInit);
}

/**
 * A refusal's bytes, read whole to be classified and scrubbed: at most `limit` whatever its
 * kind (a transport may hand it over read already), past it ERR_RESPONSE_TOO_LARGE, a stream
 * stopped as readBody stops one. Compressed, these are the compressed bytes: what they expand
 * to is the decoder's to bound, with the same limit.
 */
export async function readRefusalBody(body: BodyInput, statusCode: number, limit: number): Promise<Uint8Array> {
  const overLimit = () => responseTooLarge(statusCode, limit);
  const { body: read } = await readBody(body, limit, undefined, { tooLarge: overLimit });
  const bytes = read === undefined ? new Uint8Array(0) : typeof read === 'string' ? utf8Bytes(read) : read;
  if (bytes.byteLength > limit) throw overLimit();
  return bytes;
}

function readNodeStream(stream: LegacyStream, collector: Collector, signal: AbortSignal | undefined, drain: boolean): Promise<ReadBody> {
  return new Promise((resolve, reject) => {
    const finish = (error: Error | undefined) => {
      stream.removeListener('data', onData);
      stream.removeListener('end', onEnd);
      stream.removeListener('error', onError);
      stream.removeListener('close', onClose);
      signal?.removeEventListener('abort', onAbort);
      if (error === undefined) {
        try {
          return resolve(collector.result());
        } catch (refused) {
          return reject(refused);
        }
      }
      // A stream left half read would hold its source (a file, a socket) open; drained, its end
      // still comes (the listeners are gone, so the rest flows away unkept).
      if (drain) {
        // Its own later error (the client hung up) has nobody else to hear it.
        stream.on('error', ignore);
        stream.resume?.();
      } else {
        // Destroyed unfinished, some streams raise an error of their own (undici's body: an
        // AbortError), which with our listener gone would be an uncaught exception.
        stream.on('error', ignore);
        stream.destroy?.();
      }
      reject(error);
    };
    const onData = (chunk: unknown) => {
      const stop = collector.add(chunk);
      if (stop !== undefined) finish(stop);
    };
    const onEnd = () => finish(undefined);
    const onError = (error: unknown) => finish(error instanceof Error ? error : new Error(String(error)));
    const onAbort = () => finish(abortReason(signal));
    // Closed before its end (destroyed without an error): no 'end' will come.
    const onClose = () => finish(prematureClose());
    if (signal?.aborted) return onAbort();
    // A stream already over emits nothing more: waiting for its 'end' would hang until a
    // timeout, or for ever (an Express req its body parser read). As the stock Connections
    // pipe it: ended, what is left is nothing; errored or destroyed, it fails at once.
    const state = stream as { readableEnded?: boolean; destroyed?: boolean; errored?: unknown };
    if (state.errored !== undefined && state.errored !== null) return onError(state.errored);
    if (state.readableEnded === true) return finish(undefined);
    if (state.destroyed === true) return onClose();
    stream.on('data', onData);
    stream.on('end', onEnd);
    stream.on('error', onError);
    stream.on('close', onClose);
    signal?.addEventListener('abort', onAbort, { once: true });
    // Old-style streams start paused until someone resumes them; `data` listeners do it for most, not all.
    stream.resume?.();
  });
}

/** What Node's stream.finished reports for a stream closed before its end. */
function prematureClose(): Error {
  return Object.assign(new Error('Premature close'), { code: 'ERR_STREAM_PREMATURE_CLOSE' });
}

async function readWebStream(stream: ReadableStream<Uint8Array>, collector: Collector, signal: AbortSignal | undefined, contentType?: string): Promise<ReadBody> {
  const reader = stream.getReader();
  const onAbort = () => { reader.cancel(abortReason(signal)).catch(() => undefined); };
  if (signal?.aborted) {
    onAbort();
    throw abortReason(signal);
  }
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (signal?.aborted) throw abortReason(signal);
      if (done) return collector.result(contentType);
      const stop = collector.add(value);
      if (stop !== undefined) {
        // Not awaited, as on an abort: a tee's branch (a fetch Response's clone) settles its
        // cancel only once the other branch is cancelled too, which is for whoever hears `stop`.
        reader.cancel().catch(() => undefined);
        throw stop;
      }
    }
  } finally {
    signal?.removeEventListener('abort', onAbort);
    reader.releaseLock();
  }
}

function ignore(): void {
  // Deliberately empty: see the drain and the destroy above.
}

function abortReason(signal: AbortSignal | undefined): Error {
  const reason: unknown = signal?.reason;
  return reason instanceof Error ? reason : new DOMException('This operation was aborted', 'AbortError');
}
