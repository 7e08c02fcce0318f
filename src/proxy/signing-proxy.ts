/**
 * A local signing proxy: tools that cannot sign (curl, OpenSearch Dashboards, Kibana,
 * Grafana, legacy clients) talk plain HTTP to it and every request goes on to the AWS
 * endpoint signed. One RequestSigner per proxy, so credentials are cached, refreshed and
 * retried exactly as in the Connections.
 *
 * It lends its AWS identity to whoever reaches it, so before signing anything it checks,
 * in this order: the Host and browser origin (./host-guard.ts), the inbound credential
 * (./inbound-auth.ts), the path prefix (./target-path.ts), and the body's size against
 * the per-request limit and the budget of all bodies held at once (./body-budget.ts).
 *
 * Bodies are buffered (SigV4 signs a hash of the whole body) and hashed while they
 * arrive; responses are streamed back as they come, except AWS's refusals, which are read
 * first to decide on one re-signed retry (token refreshed, clock corrected).
 */
import { createHash } from 'node:crypto';
import http, { type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { firstHeader, readAll, readRefusalText } from '../adapters/shared.js';
import { ConfigurationError, CredentialsError, SignatureRejectedError, type AwsSigV4Error } from '../errors.js';
import { redactRefusalBody } from '../rejection.js';
import { isRefusalStatus, RequestSigner, type AwsSigV4Options, type Signed } from '../request-signer.js';
import type { AwsCredentialIdentity } from '../sigv4.js';
import { loggablePath, type SigningProxyLogEntry } from './access-log.js';
import { BodyBudget } from './body-budget.js';
import { HostGuard } from './host-guard.js';
import { checkExposure, InboundAuth, type InboundAuthOptions } from './inbound-auth.js';
import { ProxyMetrics, type ProxyRefusalReason } from './metrics.js';
import { originForm, underPrefix } from './target-path.js';

export type { SigningProxyLogEntry } from './access-log.js';

export interface SigningProxyOptions {
  /** The endpoint to sign for, e.g. https://search-logs-abc.eu-west-1.es.amazonaws.com; a path is a prefix every request stays under. */
  target: string | URL;
  /** Listen address. Default 127.0.0.1: a signing proxy lends its credentials to whoever reaches it. */
  listenHost?: string;
  /** Default 0 (a free port). */
  port?: number;
  /** Signing options, as for configure(); `host` signs for that name while connecting to `target` (a tunnel). */
  signing?: AwsSigV4Options;
  /** Trust settings for an https target (a private CA in front of a tunnel). */
  targetTls?: { ca?: string | Buffer; rejectUnauthorized?: boolean };
  /** Serve HTTPS with this PEM key and certificate. */
  tls?: { key: string | Buffer; cert: string | Buffer };
  /** Host names accepted besides the listen address, localhost, 127.0.0.1 and [::1]. */
  allowHosts?: string[];
  /** Browser origins accepted (`https://grafana.example.com`), '*' for any. Default none: cross-site browser requests get 403. */
  allowOrigins?: string[];
  /** A credential every client must send (bearer token or basic auth). Required beyond loopback unless allowUnauthenticatedRemote. */
  inboundAuth?: InboundAuthOptions;
  /** Listen beyond loopback without an inbound credential. */
  allowUnauthenticatedRemote?: boolean;
  /** No response head (or no byte while one streams) from the target for this long: 504. Default 120000. */
  upstreamTimeoutMs?: number;
  /** Total request body bytes held at once; a request past it gets 503 with Retry-After. Default 268435456 (256 MiB). */
  maxInflightBodyBytes?: number;
  /** Answers 200 without calling AWS (liveness). */
  healthPath?: string;
  /** Answers 200 when credentials resolve, else 503 (readiness). */
  readyPath?: string;
  /** Prometheus text metrics. */
  metricsPath?: string;
  /** Headers set on every forwarded request (signed). */
  addHeaders?: Record<string, string>;
  /** Headers removed from every request before it is signed (names, any case). */
  stripHeaders?: string[];
  /** Called once per request, after its answer started (or failed). Never carries a secret. */
  onRequest?: (entry: SigningProxyLogEntry) => void;
  /** Called when AWS refused a signature (the typed error, with its hint); the refusal itself still goes back to the client. */
  onRejection?: (error: AwsSigV4Error, entry: SigningProxyLogEntry) => void;
}

export interface SigningProxyStats {
  requests: number;
  /** TCP (or TLS) connections opened to the target; below `requests` when keep-alive works. */
  upstreamConnections: number;
}

// Hop-by-hop headers (RFC 9110 7.6.1) and the ones the signer owns: a client's own
// authorization (Basic auth of a tool configured for a self-managed cluster, or our
// inbound credential) must never reach AWS next to ours.
const DROPPED_REQUEST_HEADERS = new Set([
  'connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization',
  'te', 'trailer', 'transfer-encoding', 'upgrade', 'expect',
  'host', 'authorization', 'x-amz-date', 'x-amz-security-token', 'x-amz-content-sha256', 'content-length',
]);
const DROPPED_RESPONSE_HEADERS = new Set([
  'connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization',
  'te', 'trailer', 'transfer-encoding', 'upgrade',
]);
const DEFAULT_MAX_BUFFERED = 100 * 1024 * 1024;
const DEFAULT_INFLIGHT = 256 * 1024 * 1024;
const DEFAULT_UPSTREAM_TIMEOUT = 120_000;
const CONNECT_REFUSED = 'This is a signing reverse proxy: point the tool at it as its server URL (http://127.0.0.1:PORT), not as an HTTP(S) proxy.';

class UpstreamTimeout extends Error {}

type Outcome =
  | { upstream: IncomingMessage; refusal?: undefined }
  | { upstream: IncomingMessage; refusal: { raw: Buffer; signed: Signed; verdict: SignatureRejectedError | undefined } };

export class SigningProxy {
  readonly signer: RequestSigner;
  readonly stats: SigningProxyStats = { requests: 0, upstreamConnections: 0 };
  readonly metrics = new ProxyMetrics();
  /** What to tell the user about the listen address (beyond loopback), if anything. */
  readonly exposureWarning: string | undefined;
  private readonly target: URL;
  private readonly nodeUrl: URL;
  /** The target's path without its trailing slash: prepended to every request path. */
  private readonly prefix: string;
  private readonly agent: http.Agent;
  private readonly server: http.Server;
  private readonly auth: InboundAuth;
  private readonly budget: BodyBudget;
  private readonly strip: Set<string>;
  private guard: HostGuard | undefined;
  private inFlight = 0;
  private drained: (() => void) | undefined;
  private address = { url: '', port: 0 };

  private readonly options: Omit<SigningProxyOptions, 'inboundAuth'>;

  private constructor({ inboundAuth, ...options }: SigningProxyOptions) {
    // The inbound credential is kept only as digests (InboundAuth), never in `options`.
    this.target = parseTarget(options.target);
    this.nodeUrl = new URL(this.target.origin);
    this.prefix = this.target.pathname.replace(/\/+$/, '');
    this.signer = new RequestSigner(options.signing ?? {});
    // The signer's copy of the options holds a static identity sealed: keep that one, not the caller's.
    this.options = { ...options, signing: this.signer.options };
    // Resolved now, so a missing region fails at start, not on the first request.
    this.signer.endpoint(this.nodeUrl);
    this.auth = new InboundAuth(inboundAuth ?? {});
    this.exposureWarning = checkExposure(options.listenHost ?? '127.0.0.1', this.auth, options.allowUnauthenticatedRemote);
    this.budget = new BodyBudget(options.maxInflightBodyBytes ?? DEFAULT_INFLIGHT);
    this.strip = new Set((options.stripHeaders ?? []).map((h) => h.toLowerCase()));
    // No servername needed for a tunnel (https://localhost:PORT): Node takes SNI and the
    // name the certificate is checked against from the Host header, the signed domain name.
    this.agent = this.target.protocol === 'https:'
      ? new https.Agent({ keepAlive: true, ...options.targetTls })
      : new http.Agent({ keepAlive: true });
    const handler = (expectsContinue: boolean) => (req: IncomingMessage, res: ServerResponse): void => {
      this.track(res);
      this.handle(req, res, expectsContinue).catch((error: unknown) => this.answer(res, 500, `aws-sigv4-connection proxy: ${describe(error)}`));
    };
    this.server = options.tls ? https.createServer({ key: options.tls.key, cert: options.tls.cert }, handler(false)) : http.createServer(handler(false));
    // Decided before the body is sent: an oversize or over-budget upload is refused at once.
    this.server.on('checkContinue', handler(true));
    // A tool configured with us as its HTTPS_PROXY sends CONNECT (Node hands it over here,
    // not to the request handler): a tunnel would carry its traffic past the signer.
    this.server.on('connect', (req: IncomingMessage, socket: Duplex) => {
      const body = JSON.stringify({ message: CONNECT_REFUSED });
      socket.end(`HTTP/1.1 405 Method Not Allowed\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
      this.metrics.request(405);
      this.metrics.refused('connect');
      this.options.onRequest?.({ method: 'CONNECT', path: '(CONNECT target)', status: 405, bodyBytes: 0, retries: 0, ms: 0, error: CONNECT_REFUSED });
    });
    // Dashboards and Kibana hold connections for long: outlive their idle timeouts.
    this.server.keepAliveTimeout = 65_000;
  }

  static async start(options: SigningProxyOptions): Promise<SigningProxy> {
    const proxy = new SigningProxy(options);
    const listenHost = options.listenHost ?? '127.0.0.1';
    await new Promise<void>((resolve, reject) => {
      proxy.server.once('error', reject);
      proxy.server.listen(options.port ?? 0, listenHost, () => {
        proxy.server.off('error', reject);
        resolve();
      });
    });
    const address = proxy.server.address() as AddressInfo;
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    proxy.address = { url: `${options.tls ? 'https' : 'http'}://${host}:${address.port}`, port: address.port };
    proxy.guard = new HostGuard({ listenHost, port: address.port, allowHosts: options.allowHosts, allowOrigins: options.allowOrigins });
    return proxy;
  }

  /** e.g. http://127.0.0.1:9200 */
  get url(): string {
    return this.address.url;
  }

  get port(): number {
    return this.address.port;
  }

  /** The target, without credentials or query. */
  get targetUrl(): string {
    return `${this.target.origin}${this.prefix}`;
  }

  // Its options can hold a static identity: print where it listens and where it goes, nothing else.
  toJSON(): { url: string; target: string } {
    return { url: this.url, target: this.targetUrl };
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `SigningProxy { url: '${this.url}', target: '${this.targetUrl}' }`;
  }

  /** Request body bytes held now. */
  get inFlightBodyBytes(): number {
    return this.budget.inFlight;
  }

  /**
   * Stops accepting connections, lets requests in flight finish for up to `graceMs`
   * (default 0: none), then closes every connection.
   */
  async close(graceMs = 0): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeIdleConnections();
    if (graceMs > 0 && this.inFlight > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, graceMs);
        this.drained = () => { clearTimeout(timer); resolve(); };
      });
    }
    this.server.closeAllConnections();
    await closed;
    this.agent.destroy();
  }

  private track(res: ServerResponse): void {
    this.inFlight++;
    res.once('close', () => {
      this.inFlight--;
      if (this.inFlight === 0) this.drained?.();
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse, expectsContinue: boolean): Promise<void> {
    const started = Date.now();
    this.stats.requests++;
    const method = req.method ?? 'GET';
    const received = originForm(req.url ?? '/');
    const entry: SigningProxyLogEntry = { method, path: loggablePath(received), status: 0, bodyBytes: 0, retries: 0, ms: 0 };
    const finish = (status: number, error?: string): void => {
      entry.status = status;
      entry.ms = Date.now() - started;
      if (error !== undefined) entry.error = error;
      this.metrics.request(status);
      this.options.onRequest?.(entry);
    };
    // Answered by the proxy itself; `close` when the body was not read (it stays unsent).
    const refuse = (status: number, reason: ProxyRefusalReason, message: string, headers: Record<string, string> = {}): void => {
      if (expectsContinue) headers.connection = 'close';
      this.answer(res, status, message, headers);
      this.metrics.refused(reason);
      finish(status, message);
    };

    const guarded = this.guard?.check(req.headers);
    if (guarded) return refuse(403, guarded.kind, guarded.message);
    const route = received.split('?', 1)[0];
    if (route === this.options.healthPath) return this.health(res, finish);
    if (route === this.options.readyPath) return this.readiness(res, finish);
    if (!this.auth.accepts(req.headers.authorization)) {
      return refuse(401, 'unauthorized', 'aws-sigv4-connection proxy: this proxy requires its inbound credential (Authorization: Bearer <token>, or basic auth).', { 'www-authenticate': this.auth.challenge() });
    }
    if (route === this.options.metricsPath) {
      const text = this.metrics.render(this.signer.credentialCache().stats, this.budget.inFlight);
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8', 'content-length': String(Buffer.byteLength(text)) });
      res.end(text);
      return finish(200);
    }
    const under = underPrefix(this.prefix, received);
    if ('status' in under) return refuse(under.status, 'path', under.message);
    const { pathAndQuery } = under;

    const limit = this.signer.options.maxBufferedBodyBytes ?? DEFAULT_MAX_BUFFERED;
    const declared = req.headers['content-length'] === undefined ? 0 : Number(req.headers['content-length']);
    const tooLarge = (size: number) => `aws-sigv4-connection proxy: the body (${size} bytes) is larger than maxBufferedBodyBytes (${limit}); SigV4 signs a hash of the whole body, so it is buffered. Start the proxy with a larger --max-body-bytes.`;
    const overBudget = `aws-sigv4-connection proxy: bodies held for signing would pass --max-inflight-body-bytes (${this.budget.limit}); retry shortly.`;
    if (expectsContinue && declared > limit) return refuse(413, 'body-too-large', tooLarge(declared));
    // Over the limit without Expect: drained below (nothing held), so the client reads the 413.
    const reserve = declared > limit ? 0 : declared;
    if (!this.budget.reserve(reserve)) {
      if (!expectsContinue) req.resume();
      return refuse(503, 'over-budget', overBudget, { 'retry-after': '1' });
    }
    let held = reserve;
    res.once('close', () => this.budget.release(held));
    if (expectsContinue) res.writeContinue();
    const { body, payloadHash, size, over } = await readBody(req, limit, (more) => {
      if (!this.budget.reserve(more)) return false;
      held += more;
      return true;
    }, reserve);
    entry.bodyBytes = size;
    if (over === 'limit') return refuse(413, 'body-too-large', tooLarge(size));
    if (over === 'budget' || body === undefined) return refuse(503, 'over-budget', overBudget, { 'retry-after': '1' });

    const headers = this.requestHeaders(req);
    // Declared even for a chunked upload: the body is whole, and AWS's front ends want a length.
    if (size > 0 || methodCarriesBody(method)) headers['content-length'] = String(size);

    let outcome: Outcome;
    try {
      outcome = await this.signedExchange({ method, pathAndQuery, headers, body, payloadHash }, req, res, entry);
    } catch (error) {
      if (res.destroyed) return finish(499, 'client closed the connection');
      if (error instanceof UpstreamTimeout) {
        return refuse(504, 'upstream-timeout', `aws-sigv4-connection proxy: ${this.target.origin} did not answer within ${this.upstreamTimeout} ms (--upstream-timeout).`);
      }
      if (error instanceof CredentialsError || error instanceof ConfigurationError) {
        return refuse(500, 'no-credentials', `aws-sigv4-connection proxy: no credentials: ${describe(error)}`);
      }
      return refuse(502, 'upstream-failed', `aws-sigv4-connection proxy: ${this.target.origin} failed: ${describe(error)}`);
    }
    this.metrics.requestBytes += size;
    const { upstream } = outcome;
    const status = upstream.statusCode ?? 502;
    if (outcome.refusal !== undefined) {
      const { raw, signed, verdict } = outcome.refusal;
      if (verdict !== undefined) {
        this.metrics.signatureRefused(verdict.kind);
        this.options.onRejection?.(verdict, entry);
      }
      const { head, payload } = scrubRefusal(upstream, raw, signed);
      res.writeHead(status, upstream.statusMessage, head);
      res.end(payload);
      this.metrics.responseBytes += payload.length;
      return finish(status);
    }
    res.writeHead(status, upstream.statusMessage, responseHeaders(upstream));
    upstream.on('data', (chunk: Buffer) => { this.metrics.responseBytes += chunk.length; });
    upstream.pipe(res);
    upstream.on('error', (error) => res.destroy(error));
    finish(status);
  }

  private get upstreamTimeout(): number {
    return this.options.upstreamTimeoutMs ?? DEFAULT_UPSTREAM_TIMEOUT;
  }

  /**
   * Sign, send, read a refusal, classify it, retry once re-signed when that can fix it.
   * The one place the proxy talks to the target: the exchange primitive replaces it.
   */
  private async signedExchange(
    x: { method: string; pathAndQuery: string; headers: Record<string, string>; body: Buffer; payloadHash: string },
    req: IncomingMessage, res: ServerResponse, entry: SigningProxyLogEntry,
  ): Promise<Outcome> {
    let credentials: AwsCredentialIdentity = await this.signer.credentials();
    for (let attempt = 0; ; attempt++) {
      const signed = this.signer.sign({ method: x.method, nodeUrl: this.nodeUrl, pathAndQuery: x.pathAndQuery, headers: { ...x.headers }, body: x.body, payloadHash: x.payloadHash, attempt }, credentials);
      const sentAt = Date.now();
      const upstream = await this.send(x.method, x.pathAndQuery, signed.headers, x.body, req, res);
      this.metrics.upstreamLatency(Date.now() - sentAt);
      const status = upstream.statusCode ?? 502;
      if (!isRefusalStatus(status)) return { upstream };
      const raw = await readAll(upstream);
      const verdict = await this.signer.onRefusal(
        { statusCode: status, body: readRefusalText(raw, upstream.headers['content-encoding']), date: firstHeader(upstream.headers.date) },
        signed,
        { method: x.method, path: x.pathAndQuery, attempt },
      );
      if (verdict === 'retry' && !res.destroyed) {
        entry.retries++;
        credentials = await this.signer.credentials();
        continue;
      }
      return { upstream, refusal: { raw, signed, verdict: verdict instanceof SignatureRejectedError ? verdict : undefined } };
    }
  }

  /** Sends one signed request upstream; resolves with its response head. */
  private send(
    method: string, pathAndQuery: string, headers: Signed['headers'], body: Buffer,
    req: IncomingMessage, res: ServerResponse,
  ): Promise<IncomingMessage> {
    return new Promise((resolve, reject) => {
      const send = this.target.protocol === 'https:' ? https.request : http.request;
      const outgoing = send({
        protocol: this.target.protocol,
        hostname: this.target.hostname.replace(/^\[|\]$/g, ''),
        port: this.target.port,
        method,
        path: pathAndQuery,
        headers: headers as OutgoingHttpHeaders,
        agent: this.agent,
      });
      outgoing.on('socket', (socket) => {
        // A reused socket is already connected; count only the ones this request opens.
        if ((socket as { connecting?: boolean }).connecting) this.stats.upstreamConnections++;
      });
      // Idle time on the upstream socket: before the head (a target that never answers) and while the body streams.
      outgoing.setTimeout(this.upstreamTimeout, () => outgoing.destroy(new UpstreamTimeout()));
      outgoing.on('response', resolve);
      outgoing.on('error', reject);
      // The client gave up: stop the upstream request too (and free its socket).
      const onClose = (): void => {
        if (!res.writableFinished) outgoing.destroy();
      };
      res.once('close', onClose);
      req.once('aborted', onClose);
      outgoing.end(body.length > 0 ? body : undefined);
    });
  }

  private health(res: ServerResponse, finish: (status: number) => void): void {
    this.answerJson(res, 200, { status: 'ok' });
    finish(200);
  }

  /** Ready when credentials resolve (from the cache when fresh: no AWS call per probe). */
  private async readiness(res: ServerResponse, finish: (status: number, error?: string) => void): Promise<void> {
    try {
      await this.signer.credentials();
      this.answerJson(res, 200, { status: 'ready' });
      finish(200);
    } catch (error) {
      const message = `no credentials: ${describe(error)}`;
      this.answerJson(res, 503, { status: 'not ready', message });
      finish(503, message);
    }
  }

  /** Request headers to sign and forward: lower-cased, hop-by-hop, signer-owned and stripped ones dropped, repeats joined, added ones set. */
  private requestHeaders(req: IncomingMessage): Record<string, string> {
    const connectionTokens = tokens(req.headers.connection);
    const out: Record<string, string> = {};
    const raw = req.rawHeaders;
    for (let i = 0; i + 1 < raw.length; i += 2) {
      const name = raw[i]!.toLowerCase();
      if (DROPPED_REQUEST_HEADERS.has(name) || connectionTokens.has(name) || this.strip.has(name)) continue;
      const value = raw[i + 1]!;
      out[name] = out[name] === undefined ? value : `${out[name]},${value}`;
    }
    for (const [name, value] of Object.entries(this.options.addHeaders ?? {})) out[name.toLowerCase()] = value;
    return out;
  }

  private answer(res: ServerResponse, status: number, message: string, headers: Record<string, string> = {}): void {
    this.answerJson(res, status, { message }, headers);
  }

  private answerJson(res: ServerResponse, status: number, value: object, headers: Record<string, string> = {}): void {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const payload = Buffer.from(JSON.stringify(value));
    res.writeHead(status, { ...headers, 'content-type': 'application/json', 'content-length': String(payload.length) });
    res.end(payload);
  }
}

export function startSigningProxy(options: SigningProxyOptions): Promise<SigningProxy> {
  return SigningProxy.start(options);
}

function parseTarget(target: string | URL): URL {
  let url: URL;
  try {
    url = typeof target === 'string' ? new URL(target) : target;
  } catch {
    throw new ConfigurationError('ERR_INVALID_URL', `The proxy target must be an absolute http(s) URL such as https://search-logs-abc.eu-west-1.es.amazonaws.com, got "${String(target).slice(0, 120)}".`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigurationError('ERR_INVALID_URL', `The proxy target must be an http(s) URL, got "${url.protocol}".`);
  }
  if (url.username || url.password || url.search || url.hash) {
    throw new ConfigurationError('ERR_INVALID_URL', 'The proxy target takes no user, password, query or fragment: SigV4 replaces them.');
  }
  return url;
}

function tokens(header: string | string[] | undefined): Set<string> {
  return new Set(String(header ?? '').split(',').map((t) => t.trim().toLowerCase()).filter(Boolean));
}

function responseHeaders(res: IncomingMessage): string[] {
  const connectionTokens = tokens(res.headers.connection);
  const out: string[] = [];
  const raw = res.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    if (!DROPPED_RESPONSE_HEADERS.has(name) && !connectionTokens.has(name)) out.push(raw[i]!, raw[i + 1]!);
  }
  return out;
}

function methodCarriesBody(method: string): boolean {
  return method === 'POST' || method === 'PUT' || method === 'PATCH';
}

/**
 * The whole body and its hash, computed as it arrives. Bytes past what was declared are
 * taken from the budget as they come (`grow`); past the limit or the budget nothing more
 * is held and the rest is drained, so the client reads our answer.
 */
function readBody(
  req: IncomingMessage, limit: number, grow: (bytes: number) => boolean, reserved: number,
): Promise<{ body?: Buffer; payloadHash: string; size: number; over?: 'limit' | 'budget' }> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    let chunks: Buffer[] = [];
    let size = 0;
    let over: 'limit' | 'budget' | undefined;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (over !== undefined) return;
      if (size > limit) over = 'limit';
      else if (size > reserved && !grow(size - reserved)) over = 'budget';
      else reserved = Math.max(reserved, size);
      if (over !== undefined) {
        chunks = [];
        return;
      }
      hash.update(chunk);
      chunks.push(chunk);
    });
    req.on('end', () => resolve({
      body: over === undefined ? (chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size)) : undefined,
      payloadHash: hash.digest('hex'),
      size,
      over,
    }));
    req.on('error', reject);
  });
}

/**
 * An `es` refusal echoes the canonical request it computed, x-amz-security-token line
 * included: the proxy passes the refusal on, but not the token.
 */
function scrubRefusal(upstream: IncomingMessage, raw: Buffer, signed: Signed): { head: string[]; payload: Buffer } {
  const head = responseHeaders(upstream);
  const text = readRefusalText(raw, upstream.headers['content-encoding']);
  const scrubbed = redactRefusalBody(text, signed.credentials);
  if (scrubbed === text) return { head, payload: raw };
  const payload = Buffer.from(scrubbed);
  const kept: string[] = [];
  for (let i = 0; i + 1 < head.length; i += 2) {
    const name = head[i]!.toLowerCase();
    if (name !== 'content-length' && name !== 'content-encoding') kept.push(head[i]!, head[i + 1]!);
  }
  kept.push('content-length', String(payload.length));
  return { head: kept, payload };
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === 'string' && !error.message.includes(code) ? `${error.message} (${code})` : error.message;
  }
  return String(error);
}
