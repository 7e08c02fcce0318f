/** Small pieces every Connection adapter needs. */
import { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import { brotliDecompressSync, unzipSync } from 'node:zlib';
import { ConfigurationError } from '../errors.js';
import { DEFAULT_MAX_BUFFERED_BODY_BYTES, type BodyInput } from '../exchange/body.js';
import type { RefusalBound } from '../exchange/exchange.js';
import { clientHeaders, type ClientHeaders } from '../exchange/headers.js';

const SNIFF_PATH = /^\/?_nodes(?:\/_all)?\/http(?:[/?]|$)/;
const warnedFor = new WeakSet<object>();

/**
 * Sniffing replaces the node URL with the addresses nodes report, which behind AWS are
 * unreachable (and not what is signed for): the sniff request fails at once, typed, and is
 * never sent. Each adapter hands the refusal on in the form its client takes as no fault of
 * the node's (nodes stay alive, the sniff is not resent).
 */
export function refuseSniffing(path: string, owner: object): ConfigurationError | undefined {
  if (!SNIFF_PATH.test(path)) return undefined;
  const message = 'Sniffing is not supported with AWS SigV4 (Amazon OpenSearch Service and Serverless hide node addresses): ' +
    'create the client with sniffOnStart: false, sniffInterval: false and sniffOnConnectionFault: false.';
  // Once per Connection class: a sniffInterval would otherwise warn every few seconds.
  warnOnce(warnedFor, owner, message, 'AWS_SIGV4_SNIFFING');
  return new ConfigurationError('ERR_SNIFFING_UNSUPPORTED', message);
}

/** A stock Connection as built: its header object and its node URL. */
interface AdaptedConnection {
  headers?: Record<string, unknown>;
  url?: URL;
}
/** Its class's signer, for the Host it signs for a node. */
interface HostSigner { endpoint(nodeUrl: URL): { host: string } }

/**
 * Takes over a stock Connection's headers once it is built: a private lower-cased copy (the
 * clients may share one header object among connections) without `authorization`, which the
 * signature takes (see adapterHeaders), and the wire handles hidden (hideWireHandles).
 */
export function adoptClientHeaders(connection: AdaptedConnection, signer: HostSigner): void {
  const { headers, unset } = adapterHeaders(connection, undefined, signer);
  connection.headers = unset === undefined ? headers : { ...headers, ...unset };
  hideWireHandles(connection);
}

/**
 * A request's headers as signed: the connection's and the request's (clientHeaders). What the
 * client put there that is never sent is said once per Connection class, naming where it may
 * come from and the fix, never its value:
 *   - an authorization (its `auth` option, the node URL's user:password, its `headers`): the
 *     signature takes that header, and the request goes as the IAM identity instead of the
 *     user it names;
 *   - a Host other than the one signed (the node URL's, or the `host` option): the signature
 *     covers Host, so the signed one is sent. Through a tunnel, the `host` option is the fix.
 */
export function adapterHeaders(connection: AdaptedConnection, request: Record<string, unknown> | null | undefined, signer: HostSigner): ClientHeaders {
  const out = clientHeaders(connection.headers, request);
  if (out.droppedAuthorization) warnOnce(authorizationWarned, connection.constructor, AUTHORIZATION_REPLACED, 'AWS_SIGV4_AUTHORIZATION_REPLACED');
  const host = out.headers.host;
  if (host !== undefined && !hostWarned.has(connection.constructor) && connection.url !== undefined && host.toLowerCase() !== signedHost(signer, connection.url)) {
    warnOnce(hostWarned, connection.constructor, HOST_REPLACED, 'AWS_SIGV4_HOST_REPLACED');
  }
  return out;
}

/** The Host the signer sends for this node; undefined when it cannot tell (the request then fails typed, where it is signed). */
function signedHost(signer: HostSigner, nodeUrl: URL): string | undefined {
  try {
    return signer.endpoint(nodeUrl).host.toLowerCase();
  } catch {
    return undefined;
  }
}

function warnOnce(warned: WeakSet<object>, owner: object, message: string, code: string): void {
  if (warned.has(owner)) return;
  warned.add(owner);
  process.emitWarning(message, { code });
}

const hostWarned = new WeakSet<object>();
const HOST_REPLACED = 'The client was given a Host header (its headers option or a request\'s) for another host than this Connection signs for, ' +
  'which it never sends: the signature covers Host, so every request carries the signed one (the node URL\'s, or the host option). ' +
  'To reach a domain through a tunnel or proxy, pass its name as AwsSigV4Connection.configure({ host }).';
const authorizationWarned = new WeakSet<object>();
const AUTHORIZATION_REPLACED = 'The client was given an Authorization header (its auth option, user:password in the node URL, or a headers option), ' +
  'which this Connection never sends: every request carries its SigV4 signature in Authorization, and goes as the IAM identity of the credentials, ' +
  'not as the user named there. Remove auth (and the URL\'s user info) from the client options; for a domain\'s internal users (HTTP basic auth) use the client\'s own Connection.';

/**
 * The base class's handles to the wire, node:http's `agent` and undici's `pool`, reach each
 * socket's last request head as sent: our `authorization` and `x-amz-security-token` in it.
 * @elastic/transport's error redaction (`'replace'`, its default) copies the connection into
 * `err.meta` with Object.entries at every depth, and so do loggers that walk an object's own
 * enumerable properties; a stock Connection leaks its Basic credentials the same way. Made
 * non-enumerable, the handles stay the base class's by name and drop out of every such copy
 * and of util.inspect (which shows the connection through its own inspect hook anyway).
 */
function hideWireHandles(connection: object): void {
  for (const name of ['agent', 'pool']) {
    const own = Object.getOwnPropertyDescriptor(connection, name);
    if (own?.enumerable === true) Object.defineProperty(connection, name, { ...own, enumerable: false });
  }
}

/**
 * The requests of one connection that the exchange holds where the stock class cannot see
 * them: waiting on credentials or a stream body before it is sent, or between a refusal and
 * its re-signed retry. The stock close() waits for the requests it has open and for no
 * others, so such a request met a destroyed agent or pool (UndiciConnection: ConnectionError
 * "The client is destroyed"; node:http made a new socket). They count as open: in the stock
 * class's own `_openRequests` where it keeps one (os2/os3/es7 Connection and
 * @elastic/transport's HttpConnection, whose close() polls it every second), so its close
 * keeps its timing; else (UndiciConnection, whose pool.close() waits for what the pool has)
 * close() waits for them here first.
 */
export class HeldRequests {
  private count = 0;
  private waiting: Array<() => void> = [];
  private readonly stock: { _openRequests: number } | undefined;

  /** `closeWaitsOpen`: the stock close() waits while `_openRequests` > 0 (UndiciConnection keeps one too but reads it nowhere). */
  constructor(connection: object, closeWaitsOpen: boolean) {
    const counter = connection as { _openRequests?: unknown };
    this.stock = closeWaitsOpen && typeof counter._openRequests === 'number' ? (counter as { _openRequests: number }) : undefined;
  }

  hold(): void {
    this.count++;
    if (this.stock !== undefined) this.stock._openRequests++;
  }

  release(): void {
    if (this.stock !== undefined) this.stock._openRequests--;
    if (--this.count > 0) return;
    for (const run of this.waiting.splice(0)) run();
  }

  /**
   * A held request handed to the stock class while it sends, which counts it itself (once in
   * `_openRequests`, not twice); the function returned takes it back when the stock class is done.
   */
  handOver(): () => void {
    this.release();
    let back = false;
    // Once, whatever the stock class calls back: a count left up would hold close() for ever.
    return () => {
      if (back) return;
      back = true;
      this.hold();
    };
  }

  /** Runs `close` (the stock one) when it would wait for these requests as for its own: at once, synchronously, where it counts them itself. */
  beforeClose(close: () => void): void {
    if (this.count === 0 || this.stock !== undefined) close();
    else this.waiting.push(close);
  }
}

/** A refusal body as text to classify and scrub. */
export interface RefusalText {
  text: string;
  /**
   * False when the body could not be decoded within the bound (a corrupt or unknown
   * encoding, or more than `limit` bytes once expanded: a zip bomb): `text` is then a short
   * note saying so, to be handed on in its place. Bytes that could not be checked for our
   * secrets are never passed on as if they had been.
   */
  decoded: boolean;
}

type Decoder = (bytes: Buffer, options: { maxOutputLength: number }) => Buffer;
// unzip for gzip and deflate, as the clients decode (it reads the gzip or zlib header, not the
// label): a body labelled gzip but deflated is read by them, so it must be read, and scrubbed, here.
const DECODERS: Readonly<Record<string, Decoder>> = { gzip: unzipSync, 'x-gzip': unzipSync, deflate: unzipSync, br: brotliDecompressSync };

/**
 * A refusal body as text, decompressed when the server compressed it, to at most `limit`
 * bytes (the bound of the raw read): a small gzip can expand without end in memory.
 */
export function readRefusalText(raw: Buffer, encoding: string | string[] | undefined, limit = DEFAULT_MAX_BUFFERED_BODY_BYTES): RefusalText {
  const codings = String(encoding ?? '').toLowerCase().split(',').map((c) => c.trim()).filter((c) => c !== '' && c !== 'identity');
  let bytes = raw;
  try {
    // Listed in the order applied: undone from the last.
    for (const coding of codings.reverse()) {
      const decode = DECODERS[coding];
      if (decode === undefined) return undecodable(encoding, limit);
      bytes = decode(bytes, { maxOutputLength: Math.max(1, limit) });
    }
  } catch {
    return undecodable(encoding, limit);
  }
  return { text: bytes.toString('utf8'), decoded: true };
}

/** A refusal's bytes as read, and its text. */
export interface RefusalRead extends RefusalText {
  raw: Buffer;
}

/**
 * A refusal read with the exchange's bound: its bytes at most `bound.limit` (compressed or
 * not), and decoded to at most as many. The one way every Node front end reads a refusal.
 */
export async function readRefusal(body: BodyInput, encoding: string | string[] | undefined, bound: RefusalBound): Promise<RefusalRead> {
  const bytes = await bound.read(body);
  const raw = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { raw, ...readRefusalText(raw, encoding, bound.limit) };
}

/** An error answer as a Connection reads it: whole, or the error its body ended with first. */
export type ErrorAnswerRead = (RefusalRead & { failure?: undefined }) | { failure: Error };

/**
 * readRefusal for a Connection, which must hand on a body that fails (a reset, an abort)
 * as the stock class would: the client reads it (or gives it to the user, asStream) and meets
 * the failure there, so its error class and its node marking stay its own. Our own errors
 * (ERR_RESPONSE_TOO_LARGE) are thrown.
 */
export async function readErrorAnswer(body: BodyInput, encoding: string | string[] | undefined, bound: RefusalBound): Promise<ErrorAnswerRead> {
  try {
    return await readRefusal(body, encoding, bound);
  } catch (error) {
    if (error instanceof ConfigurationError) throw error;
    return { failure: error instanceof Error ? error : new Error(String(error)) };
  }
}

/**
 * What a callback Connection hands on in place of an error answer past the buffering bound
 * (ERR_RESPONSE_TOO_LARGE, whose message and code it carries): the callback clients take any
 * error from a Connection but a RequestAbortedError for a dead node, and resend the request
 * (a POST too) up to maxRetries, where the stock class hands the client the target's answer.
 * Any other error is thrown again.
 */
export function tooLargeNote(error: unknown): string {
  if (!(error instanceof ConfigurationError) || error.code !== 'ERR_RESPONSE_TOO_LARGE') throw error;
  return JSON.stringify({ message: `aws-sigv4-connection: ${error.message} It is replaced by this note; its status and headers are the target's.`, code: error.code });
}

/**
 * A body that ends with `failure` once read, as `source` ended: none of the bytes read before
 * it (they could not be checked for our secrets). A node IncomingMessage ends as node ends
 * one, 'aborted' then the error only to an error listener (without one, none is raised);
 * any other stream (undici's) raises the error.
 */
export function failingBody(source: unknown, failure: Error): Readable {
  const incoming = source instanceof IncomingMessage;
  return new Readable({
    read() {
      this.destroy(failure);
    },
    destroy(error, callback) {
      if (!incoming) return callback(error);
      (this as Readable & { aborted?: boolean }).aborted = true;
      this.emit('aborted');
      callback(this.listenerCount('error') > 0 ? error : null);
    },
  });
}

function undecodable(encoding: string | string[] | undefined, limit: number): RefusalText {
  const message = `aws-sigv4-connection: the target's refusal body (content-encoding: ${String(encoding).slice(0, 40)}) could not be decoded within ${limit} bytes, ` +
    'so it was not checked for signing secrets and is replaced by this note; its status and headers are the target\'s.';
  return { text: JSON.stringify({ message }), decoded: false };
}

/**
 * The headers the connection will send, with a content-length when the client left none: it
 * is signed. The body is whole by now and goes out in one piece, so a caller's
 * `transfer-encoding: chunked` (set for the stream it passed) goes: both headers together are
 * forbidden (RFC 9112 6.3) and how a request is smuggled past a front end, and Node's own
 * server answers them 400.
 */
export function withContentLength(headers: Record<string, string>, body: string | Uint8Array | null | undefined): Record<string, string> {
  if (body !== undefined && body !== null && body.length > 0 && headers['content-length'] === undefined) {
    headers['content-length'] = String(typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength);
  }
  // Names are lower case here (clientHeaders).
  if (headers['transfer-encoding'] !== undefined && headers['content-length'] !== undefined) delete headers['transfer-encoding'];
  return headers;
}

/** The first value of a response header node may have folded into an array. */
export function firstHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** Response headers for a body replaced by `text`, sent uncompressed. */
export function plainHeaders<H extends Record<string, string | string[] | undefined>>(headers: H, text: string): H {
  const { 'content-encoding': _encoding, ...rest } = headers;
  return { ...rest, 'content-length': String(Buffer.byteLength(text)) } as unknown as H;
}
