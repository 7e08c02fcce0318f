// A reverse proxy that checks every request's SigV4 signature as AWS does, then
// forwards it to a real OpenSearch/Elasticsearch and streams the answer back as it
// came. The check is ./sigv4-verifier.ts (@smithy/signature-v4, independent of the
// project's signer).
//
// Answers, modelled on Amazon OpenSearch Service (`es`), OpenSearch Serverless
// (`aoss`) and API Gateway; every rejection is JSON and carries x-amzn-RequestId,
// and `x-amzn-ErrorType` where AWS sends one:
//
// | verdict | status | body |
// | missing-authentication (no Authorization) | 403 | es: {"Message":"User: anonymous is not authorized to perform: es:ESHttpGet because no resource-based policy allows the es:ESHttpGet action"}; other services: {"message":"Missing Authentication Token"} |
// | incomplete-signature | 403 | "Authorization header requires 'Credential' parameter." (and 'Signature', 'SignedHeaders', "existence of either a 'X-Amz-Date' or a 'Date' header."), "Credential must have exactly 5 slash-delimited elements, ...", "Date must be in ISO-8601 'basic format'. Got '...'. ...", "Only one auth mechanism allowed; ..." |
// | unsigned-header | 403 | "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization." / "There were headers present in the request which were not signed: x-amz-foo" (any x-amz-* header, and the Date header used for the request time) |
// | wrong-scope | 403 | "Credential should be scoped to a valid region, not 'eu-west-1'." / "Credential should be scoped to correct service: 'es'." / "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: ..." / "...valid terminator: 'aws4_request', not '...'." |
// | signature-expired | 403 | "Signature expired: 20240101T000000Z is now earlier than 20240101T000500Z (20240101T001000Z - 5 min.)" |
// | signature-not-yet-current | 403 | "Signature not yet current: 20240101T002000Z is still later than 20240101T001500Z (20240101T001000Z + 5 min.)" |
// | invalid-token (unknown key, token missing, wrong or unexpected) | 403 | "The security token included in the request is invalid." |
// | expired-token | 403 | "The security token included in the request is expired" |
// | signature-mismatch | 403 | "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details." and for `es` only: "\n\nThe Canonical String for this request should have been\n'...'\n\nThe String-to-Sign should have been\n'...'\n" |
// | wrong-host (Host differs from `expectedHost`) | 403 | as signature-mismatch, the echo computed with the expected host |
// | missing-content-sha256 / content-sha256-mismatch (aoss) | 403 | {"status":403,"request-id":"...","error":{"reason":"403 Forbidden","type":"Forbidden"}} + x-aoss-response-hint: X01:gw-helper-deny |
// | content-sha256-mismatch (other services) | 400 | "The provided 'x-amz-content-sha256' header does not match what was computed." (S3's text) |
// | body-too-large | 413 | {"Message":"Request size exceeded 10485760 bytes"} |
// Messages go under "message" unless shown with "Message". An accepted request goes
// upstream (or, without `target`, gets 200 `{}`); an unreachable upstream gives 502.
//
// The `es` echo holds the signed headers as received, x-amz-security-token included,
// as AWS's does: a client's error type must not pass it on. Records never hold it.
//
// Presigned URLs (the query form, as presignRequest makes them) are verified like the
// header form, and refused past X-Amz-Date + X-Amz-Expires.
// Stricter than AWS on purpose: every x-amz-* header and the request time must be
// signed, payloads are always signed (no UNSIGNED-PAYLOAD). Only the path and query go
// upstream: an absolute-form request-target is cut to its origin form, anything else
// (`*`, an authority) gets 400.
// Every response, forwarded ones too, carries a Date header of the stub clock.
import { randomUUID } from 'node:crypto';
import http, { type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { ConfigurationError, redactValues } from '../errors.js';
import { notResentMessage, staleSocketOutcome } from '../proxy/stale-socket.js';
import { sealIdentity } from '../sealed-identity.js';
import { readOptions } from '../read-once.js';
import { numberOrType, quote, typeName } from '../sigv4/validate.js';
import { quotableUrl, withoutUserinfo } from '../sigv4/wire-url.js';
import {
  bodyTooLarge, percentDecode, verifySigV4, type Rejection, type Verdict, type VerifyProxyCredentials,
} from './sigv4-verifier.js';

export type { RejectionVerdict, Verdict, VerifyProxyCredentials } from './sigv4-verifier.js';

export interface VerifyProxyOptions {
  /** Upstream base URL, e.g. http://127.0.0.1:9200. Absent: accepted requests get 200 `{}`. */
  target?: string | undefined;
  /** Trust settings for an https target. */
  targetTls?: { ca?: string | Buffer; rejectUnauthorized?: boolean } | undefined;
  /** Signing name expected in the credential scope. Default 'es'. */
  service?: string | undefined;
  /** Region expected in the credential scope. Default 'us-east-1'. */
  region?: string | undefined;
  credentials?: VerifyProxyCredentials[] | undefined;
  /** Listen address. Default 127.0.0.1 and a free port. */
  host?: string | undefined;
  port?: number | undefined;
  /** Serve HTTPS with this key and certificate. */
  tls?: { key: string | Buffer; cert: string | Buffer } | undefined;
  /** Larger bodies get 413. Default 10 MiB, the limit of small `es` instance types. */
  maxBodyBytes?: number | undefined;
  /** The stub clock minus real time, to test clock skew. */
  clockOffsetMs?: (number | (() => number)) | undefined;
  /** When set, the Host header must be this name (the client's `host` option). Unset, a signature made for any Host is accepted, where AWS checks it against the domain. */
  expectedHost?: string | undefined;
  /** Forward without checking: the unsigned baseline of benchmarks. */
  passThrough?: boolean | undefined;
  /**
   * Keep at most this many `records`, the oldest dropped first (`stats()` counts those kept).
   * Default: every one, as a test wants; a long-running stub (the CLI's) keeps none.
   */
  maxRecords?: number | undefined;
  /**
   * Called with each record as it is made. It observes and never decides: what it throws (a
   * test's assertion) is thrown again on its own, as an uncaught exception (which fails the
   * running test under mocha or node:test), after the client has its answer.
   */
  onRequest?: ((record: VerifiedRequestRecord) => void) | undefined;
}

export interface VerifiedRequestRecord {
  method: string;
  /** Path and query as received; any X-Amz-Security-Token / X-Amz-Signature value in the query is masked, and the stub's own secrets and tokens wherever they stand. */
  path: string;
  signedHeaders: string[];
  accessKeyId?: string;
  verdict: Verdict;
  status: number;
  amzDate?: string;
  bodyBytes: number;
  /** Why it was refused (without the canonical request `es` echoes, nor the stub's own secrets and tokens). */
  message?: string;
  /** Stub clock when the request was decided. */
  time: Date;
}

export interface VerifyProxyStats {
  accepted: number;
  rejected: number;
  byVerdict: Partial<Record<Verdict, number>>;
}

const DEFAULT_MAX_BODY = 10 * 1024 * 1024;
const HOP_BY_HOP = new Set([
  'connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization',
  'te', 'trailer', 'transfer-encoding', 'upgrade',
]);

type Decision = Omit<VerifiedRequestRecord, 'status' | 'time'>;

export class VerifyProxy {
  private address = { url: '', port: 0 };
  readonly records: VerifiedRequestRecord[] = [];
  private readonly credentials = new Map<string, VerifyProxyCredentials>();
  private clockOffset: () => number = () => 0;
  private readonly target?: URL;
  private readonly agent: http.Agent;
  private readonly server: http.Server;
  private readonly options: VerifyProxyOptions;
  private connections = 0;

  private constructor(given: VerifyProxyOptions) {
    const options = checkedOptions(given);
    const handler = (req: IncomingMessage, res: ServerResponse): void => {
      this.handle(req, res).catch((error: unknown) => this.fail(res, error));
    };
    this.server = options.tls ? https.createServer({ key: options.tls.key, cert: options.tls.cert }, handler) : http.createServer(handler);
    this.server.on(options.tls ? 'secureConnection' : 'connection', () => { this.connections++; });
    if (options.target !== undefined) this.target = targetUrl(options.target);
    this.agent = this.target?.protocol === 'https:'
      ? new https.Agent({ keepAlive: true, ...options.targetTls })
      : new http.Agent({ keepAlive: true });
    this.addCredentials(...(options.credentials ?? []));
    // Held sealed in the map alone, so neither the options nor the map print a secret.
    this.options = { ...options, credentials: undefined };
    if (options.clockOffsetMs !== undefined) this.setClockOffset(options.clockOffsetMs);
  }

  static async start(given: VerifyProxyOptions): Promise<VerifyProxy> {
    const proxy = new VerifyProxy(given);
    const { server, options } = proxy;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    const address = server.address() as AddressInfo;
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    proxy.address = { url: `${options.tls ? 'https' : 'http'}://${host}:${address.port}`, port: address.port };
    return proxy;
  }

  /** Base URL of the proxy, e.g. http://127.0.0.1:43121. */
  get url(): string {
    return this.address.url;
  }

  /** TCP (or TLS) connections accepted so far: keep-alive tests count them. */
  get connectionCount(): number {
    return this.connections;
  }

  get port(): number {
    return this.address.port;
  }

  /** The stub clock. */
  now(): Date {
    return new Date(Date.now() + this.clockOffset());
  }

  setClockOffset(offset: number | (() => number)): void {
    const [must, ok] = OPTION_CHECKS.clockOffsetMs;
    if (!ok(offset)) throw new ConfigurationError('ERR_INVALID_OPTIONS', `setClockOffset(offset): offset must be ${must}, got ${numberOrType(offset)}.`);
    this.clockOffset = typeof offset === 'number' ? () => offset : offset;
  }

  /** Checked here, typed: a malformed identity would otherwise fail every request it signs as a 500. */
  addCredentials(...credentials: VerifyProxyCredentials[]): void {
    for (const given of credentials) {
      const c = checkedCredentials(given);
      this.credentials.set(c.accessKeyId, sealIdentity(c));
    }
  }

  removeCredentials(accessKeyId: string): boolean {
    return this.credentials.delete(accessKeyId);
  }

  stats(): VerifyProxyStats {
    const byVerdict: Partial<Record<Verdict, number>> = {};
    for (const { verdict } of this.records) byVerdict[verdict] = (byVerdict[verdict] ?? 0) + 1;
    const accepted = byVerdict.accepted ?? 0;
    return { accepted, rejected: this.records.length - accepted - (byVerdict['passed-through'] ?? 0), byVerdict };
  }

  reset(): void {
    this.records.length = 0;
  }

  async close(): Promise<void> {
    this.agent.destroy();
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const limit = this.options.maxBodyBytes ?? DEFAULT_MAX_BODY;
    const { body, size } = await readBody(req, limit);
    const method = req.method ?? 'GET';
    const target = originForm(req.url ?? '/');
    const seen = { method, path: maskQuery(target ?? req.url ?? ''), bodyBytes: size };
    if (target === undefined) {
      this.send(res, { ...seen, signedHeaders: [], verdict: 'incomplete-signature' }, 400, {}, JSON.stringify({ message: 'Bad Request: the request-target must be a path (origin form).' }));
      return;
    }
    // RFC 9112's origin-form has no "#", yet Node takes one: the check would read the path
    // before it (dot segments removed across it) while the upstream gets the whole target
    // (`/secret#/../allowed` verified as `/allowed`, served as `/secret`).
    if (target.includes('#')) {
      this.send(res, { ...seen, signedHeaders: [], verdict: 'incomplete-signature' }, 400, {}, JSON.stringify({ message: 'Bad Request: the request-target has a raw "#", which HTTP does not allow in it; percent-encode it as %23.' }));
      return;
    }
    if (body === undefined) {
      this.reject(res, { ...seen, signedHeaders: [], verdict: 'body-too-large' }, bodyTooLarge(limit));
      return;
    }
    let decision: Decision = { ...seen, signedHeaders: [], verdict: 'passed-through' };
    let rejection: Rejection | undefined;
    if (!this.options.passThrough) {
      const { rejection: refused, ...signing } = await verifySigV4({ method, target, rawHeaders: req.rawHeaders, body }, {
        service: this.options.service ?? 'es',
        region: this.options.region ?? 'us-east-1',
        expectedHost: this.options.expectedHost,
        now: this.now(),
        credentials: (id) => this.credentials.get(id),
      });
      decision = { ...seen, ...signing };
      rejection = refused;
    }
    if (rejection) {
      this.reject(res, decision, rejection);
    } else if (this.target === undefined) {
      this.send(res, decision, 200, {}, '{}');
    } else {
      this.forward(req, res, body, this.target, target, decision);
    }
  }

  private forward(req: IncomingMessage, res: ServerResponse, body: Buffer, target: URL, path: string, decision: Decision, resent = false): void {
    const connectionTokens = new Set(String(req.headers.connection ?? '').split(',').map((t) => t.trim().toLowerCase()));
    // No prototype: a client's `constructor` header read as Object's own, and `__proto__` set none.
    const headers: OutgoingHttpHeaders = Object.create(null) as OutgoingHttpHeaders;
    for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
      const name = req.rawHeaders[i].toLowerCase();
      // The body is already here, so an Expect: 100-continue has been answered.
      if (HOP_BY_HOP.has(name) || connectionTokens.has(name) || name === 'expect') continue;
      const previous = headers[name];
      const value = req.rawHeaders[i + 1];
      headers[name] = previous === undefined ? value : [...(Array.isArray(previous) ? previous : [String(previous)]), value];
    }
    headers.host = target.host;
    // The body is whole by now: a chunked upload goes on with its length.
    if (req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined) {
      headers['content-length'] = String(body.length);
    }
    const send = target.protocol === 'https:' ? https.request : http.request;
    const upstream = send({
      protocol: target.protocol, hostname: target.hostname.replace(/^\[|\]$/g, ''), port: target.port,
      method: req.method, path, headers, agent: this.agent,
    });
    let answered = false;
    upstream.on('response', (answer) => {
      answered = true;
      const out: string[] = [];
      for (let i = 0; i + 1 < answer.rawHeaders.length; i += 2) {
        const name = answer.rawHeaders[i].toLowerCase();
        if (!HOP_BY_HOP.has(name) && name !== 'date') out.push(answer.rawHeaders[i], answer.rawHeaders[i + 1]);
      }
      const status = answer.statusCode ?? 502;
      const time = this.record(decision, status);
      res.writeHead(status, answer.statusMessage, [...out, 'Date', time.toUTCString()]);
      answer.pipe(res);
      answer.on('error', (error) => res.destroy(error));
    });
    upstream.on('error', (error: NodeJS.ErrnoException) => {
      const key = req.headers['idempotency-key'];
      const stale = resent || res.destroyed ? undefined
        : staleSocketOutcome(upstream, error, answered, { method: req.method ?? 'GET', pathAndQuery: path, idempotencyKey: Array.isArray(key) ? key[0] : key });
      if (stale === 'resend') {
        this.forward(req, res, body, target, path, decision, true);
        return;
      }
      if (stale === 'not-resent' && !res.headersSent) {
        this.send(res, decision, 502, {}, JSON.stringify({ message: `Bad Gateway: ${notResentMessage(target.origin, req.method ?? 'GET')}` }));
        return;
      }
      if (res.headersSent) {
        res.destroy(error);
        return;
      }
      this.send(res, decision, 502, {}, JSON.stringify({ message: `Bad Gateway: ${target.origin} failed (${error.code ?? error.message})` }));
    });
    res.on('close', () => {
      if (!res.writableFinished) upstream.destroy();
    });
    upstream.end(body.length > 0 ? body : undefined);
  }

  private reject(res: ServerResponse, decision: Decision, rejection: Rejection): void {
    this.send(res, { ...decision, verdict: rejection.verdict, message: rejection.message }, rejection.status, rejection.headers, rejection.body);
  }

  private send(res: ServerResponse, decision: Decision, status: number, headers: Record<string, string>, body: string): void {
    const time = this.record(decision, status);
    const payload = Buffer.from(body);
    res.writeHead(status, {
      ...headers,
      'content-type': 'application/json',
      'content-length': String(payload.length),
      'x-amzn-requestid': randomUUID(),
      date: time.toUTCString(),
    });
    res.end(payload);
  }

  private record(decision: Decision, status: number): Date {
    const time = this.now();
    const record: VerifiedRequestRecord = { ...decision, ...this.scrubbed(decision), status, time };
    const max = this.options.maxRecords ?? Infinity;
    if (max > 0) {
      if (this.records.length >= max) this.records.shift();
      this.records.push(record);
    }
    const onRequest = this.options.onRequest;
    if (onRequest !== undefined) {
      try {
        onRequest(record);
      } catch (error) {
        // Not here: thrown inside the answer it would turn the verdict into our 500, or (in
        // the upstream's response listener) leave the client without any answer at all.
        setImmediate(() => { throw error; });
      }
    }
    return time;
  }

  /**
   * The record's texts without the stub's own secrets and tokens, in any form they take: a
   * client may send them where no name marks them (`?token=...`), or with the key id and the
   * secret swapped (the Credential's key id, and the Credential a refusal quotes, are then the secret).
   */
  private scrubbed(decision: Decision): Pick<Decision, 'path' | 'message' | 'accessKeyId'> {
    const secrets: string[] = [];
    for (const c of this.credentials.values()) secrets.push(c.secretAccessKey, ...(c.sessionToken ? [c.sessionToken] : []));
    const scrub = (text: string): string => redactValues(text, secrets);
    return {
      path: scrub(decision.path),
      ...(decision.message !== undefined ? { message: scrub(decision.message) } : {}),
      ...(decision.accessKeyId !== undefined ? { accessKeyId: scrub(decision.accessKeyId) } : {}),
    };
  }

  private fail(res: ServerResponse, error: unknown): void {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const name = error instanceof Error ? error.name : 'Error';
    res.writeHead(500, { 'content-type': 'application/json', date: this.now().toUTCString() });
    res.end(JSON.stringify({ message: `verify-proxy internal error (${name})` }));
  }
}

export function startVerifyProxy(options: VerifyProxyOptions): Promise<VerifyProxy> {
  return VerifyProxy.start(options);
}

const isText = (v: unknown): boolean => typeof v === 'string' || v instanceof Uint8Array;
const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const wholeNumber = (min: number, max = Number.MAX_SAFE_INTEGER) => (v: unknown): boolean => Number.isSafeInteger(v) && (v as number) >= min && (v as number) <= max;

/**
 * What each option of the stub must be, as the error says it: a value of another kind failed
 * later as Node's own TypeError or RangeError from listen() (a port of "9200", 65536), or, for
 * the verifier's settings, as a 500 on every request. Unknown names are refused, as signRequest
 * refuses them: a misspelt `expectedhost` would leave the check it asks for off.
 */
const OPTION_CHECKS: { readonly [K in keyof Required<VerifyProxyOptions>]: readonly [must: string, ok: (value: unknown) => boolean] } = {
  target: ['an absolute http(s) URL string', (v) => typeof v === 'string'],
  targetTls: ['an object { ca?, rejectUnauthorized? }', (v) => isObject(v) && (v.ca === undefined || isText(v.ca)) && (v.rejectUnauthorized === undefined || typeof v.rejectUnauthorized === 'boolean')],
  service: ['a signing name such as "es" or "aoss"', (v) => typeof v === 'string' && v !== ''],
  region: ['a region such as "eu-west-1"', (v) => typeof v === 'string' && v !== ''],
  credentials: ['an array of { accessKeyId, secretAccessKey, sessionToken?, expiration? }', Array.isArray],
  host: ['a listen address such as "127.0.0.1"', (v) => typeof v === 'string' && v !== ''],
  port: ['a port number, 0 (a free one) to 65535', wholeNumber(0, 65_535)],
  tls: ['an object { key, cert } of PEM strings or Buffers', (v) => isObject(v) && isText(v.key) && isText(v.cert)],
  maxBodyBytes: ['a whole number of bytes, 0 or more', wholeNumber(0)],
  clockOffsetMs: ['a finite number of milliseconds or a function returning one', (v) => (typeof v === 'number' && Number.isFinite(v)) || typeof v === 'function'],
  expectedHost: ['a host name, with its port when the client sends one', (v) => typeof v === 'string' && v !== ''],
  passThrough: ['a boolean', (v) => typeof v === 'boolean'],
  maxRecords: ['a whole number, 0 or more', wholeNumber(0)],
  onRequest: ['a function (record) => void', (v) => typeof v === 'function'],
};

/** The stub's options read once, each checked by OPTION_CHECKS; undefined stands for absent. */
function checkedOptions(given: VerifyProxyOptions): VerifyProxyOptions {
  const options = readOptions(given, 'The VerifyProxy options', (got) => `VerifyProxy options must be an object { target?, region?, service?, credentials?, port?, ... }, got ${got}.`);
  for (const [name, value] of Object.entries(options)) {
    const check = Object.hasOwn(OPTION_CHECKS, name) ? OPTION_CHECKS[name as keyof VerifyProxyOptions] : undefined;
    if (check === undefined) {
      throw new ConfigurationError('ERR_INVALID_OPTIONS', `VerifyProxy has no option ${quote(name)}; its options are ${Object.keys(OPTION_CHECKS).join(', ')}.`);
    }
    if (value !== undefined && !check[1](value)) {
      throw new ConfigurationError('ERR_INVALID_OPTIONS', `VerifyProxy option "${name}" must be ${check[0]}, got ${numberOrType(value)}.`);
    }
  }
  return options;
}

/** The stub's identity read once and checked by shape, never echoing a value. */
function checkedCredentials(given: unknown): VerifyProxyCredentials {
  const shape = 'VerifyProxy credentials are { accessKeyId, secretAccessKey, sessionToken?, expiration? }';
  if (given === null || typeof given !== 'object') throw new ConfigurationError('ERR_INVALID_OPTIONS', `${shape}, got ${typeName(given)}.`);
  const { accessKeyId, secretAccessKey, sessionToken, expiration } = given as Record<string, unknown>;
  for (const [name, value] of [['accessKeyId', accessKeyId], ['secretAccessKey', secretAccessKey]] as const) {
    if (typeof value !== 'string' || value === '') throw new ConfigurationError('ERR_INVALID_OPTIONS', `${shape}: ${name} must be a non-empty string, got ${typeName(value)}.`);
  }
  if (sessionToken !== undefined && sessionToken !== null && typeof sessionToken !== 'string') {
    throw new ConfigurationError('ERR_INVALID_OPTIONS', `${shape}: sessionToken must be a string when given, got ${typeName(sessionToken)}.`);
  }
  if (expiration !== undefined && expiration !== null && !(expiration instanceof Date && Number.isFinite(expiration.getTime()))) {
    throw new ConfigurationError('ERR_INVALID_OPTIONS', `${shape}: expiration must be a valid Date when given, got ${expiration instanceof Date ? 'an invalid Date' : typeName(expiration)}.`);
  }
  // null reads as absent, as the signer's cache reads it.
  return { accessKeyId: accessKeyId as string, secretAccessKey: secretAccessKey as string, sessionToken: sessionToken ?? undefined, expiration: expiration instanceof Date ? new Date(expiration.getTime()) : undefined };
}

/**
 * The upstream as a URL. Userinfo is refused: what goes upstream is the client's request with
 * its SigV4 Authorization, never a Basic one, so a user:password there would be dropped without
 * a word (the upstream answering 401) and kept in the options for every log to print. Node's
 * own TypeError for a bad URL quotes it whole (its `input`): ours drops the userinfo.
 */
function targetUrl(target: unknown): URL {
  let url: URL | undefined;
  try {
    url = typeof target === 'string' ? new URL(target) : undefined;
  } catch {
    url = undefined;
  }
  if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw new ConfigurationError('ERR_INVALID_URL',
      `VerifyProxy option "target" must be an absolute http(s) URL such as http://127.0.0.1:9200, got ${typeof target === 'string' ? JSON.stringify(quotableUrl(target)) : typeName(target)}.`);
  }
  if (url.username !== '' || url.password !== '') {
    throw new ConfigurationError('ERR_INVALID_URL',
      'VerifyProxy option "target" carries a user name or password (user:pass@host): the stub forwards the client\'s SigV4-signed request, never Basic credentials, ' +
        'so they would not reach the upstream. Remove them, and run the upstream without authentication for the tests (or with its security plugin off).');
  }
  return url;
}

/**
 * The whole body, or none when it exceeds the limit. An oversized body is still read
 * to its end and dropped, so the client gets its 413 on a connection it can reuse
 * rather than a reset in the middle of its upload.
 */
function readBody(req: IncomingMessage, limit: number): Promise<{ body?: Buffer; size: number }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
    });
    req.on('end', () => resolve({ body: size <= limit ? Buffer.concat(chunks, size) : undefined, size }));
    req.on('error', reject);
  });
}

/** The path and query of a request-target; absolute-form is cut to them, `*` and authority-form have none. */
function originForm(target: string): string | undefined {
  if (target.startsWith('/')) return target;
  const m = /^https?:\/\/[^/?#]*/i.exec(target);
  if (!m) return undefined;
  const rest = target.slice(m[0].length);
  return rest.startsWith('/') ? rest : `/${rest}`;
}

/**
 * A request-target as the records keep it: the value of every query parameter whose name,
 * decoded as the verifier decodes it (any letter percent-encoded, `X-Amz-Security-T%6Fken`),
 * is the presigned token or signature masked, and the userinfo of an absolute-form target
 * dropped. Pairs split on `;` as well as `&`: a server that reads either must not see more.
 */
function maskQuery(target: string): string {
  const local = withoutUserinfo(target);
  const mark = local.indexOf('?');
  if (mark < 0) return local;
  const query = local.slice(mark + 1).split(/([&;])/).map((part) => {
    const eq = part.indexOf('=');
    return eq > 0 && SECRET_PARAMETERS.has(percentDecode(part.slice(0, eq)).toLowerCase()) ? `${part.slice(0, eq)}=***` : part;
  });
  return `${local.slice(0, mark + 1)}${query.join('')}`;
}

const SECRET_PARAMETERS = new Set(['x-amz-security-token', 'x-amz-signature']);
