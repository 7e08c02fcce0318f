/**
 * A local signing proxy: tools that cannot sign (curl, OpenSearch Dashboards, Kibana,
 * Grafana, legacy clients) talk plain HTTP to it and every request goes on to the AWS
 * endpoint signed. One RequestSigner per proxy, so credentials are cached, refreshed and
 * retried exactly as in the Connections.
 *
 * It lends its AWS identity to whoever reaches it, so before signing anything it checks,
 * in this order: the Host and browser origin (./host-guard.ts; an allowed origin's CORS
 * preflight is answered here), the method (TRACE would echo the signed headers back), the
 * inbound credential (./inbound-auth.ts; failures bounded per address, ./auth-throttle.ts),
 * that credential nowhere else in the request (./credential-echo.ts), the request-target and path prefix
 * (./target-path.ts), and the body's size against the per-request limit and, as its bytes
 * arrive, the budget of all bodies held at once (./body-budget.ts). A body it will not read
 * whole (refused, over budget, stalled) is not read on: its connection closes after the answer.
 * An error answer of the target, read whole to be scrubbed, is held in that same budget, must
 * arrive whole within the upstream timeout, and is cut off when its client stops taking it.
 *
 * Each request then goes through the exchange (../exchange/exchange.ts), as in the
 * Connections: the body buffered by the one bounded reader (SigV4 signs a hash of the whole
 * body) and hashed while it arrives, every wait ended when the client goes away, AWS's
 * refusals read to decide on one re-signed retry (token refreshed, clock corrected) and
 * classified; other responses are streamed back as they come.
 */
import http, { type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { firstHeader, readRefusal, type RefusalRead } from '../adapters/shared.js';
import { ConfigurationError, CredentialsError, describeThrown, type AwsSigV4Error } from '../errors.js';
import { DEFAULT_MAX_BUFFERED_BODY_BYTES, MIN_ERROR_ANSWER_BYTES, errorAnswerLimit } from '../exchange/body.js';
import { sentValuesScrub } from '../exchange/answer-scrub.js';
import { exchange, type ExchangeResult, type RefusalBound, type Reply, type SignedAttempt } from '../exchange/exchange.js';
import { connectionTokens, isEndToEnd, repeatSeparator, SIGNER_OWNED } from '../exchange/headers.js';
import type { WaitGuard } from '../exchange/race.js';
import { RequestSigner, type AwsSigV4Options } from '../request-signer.js';
import { LogRedactor, type SigningProxyLogEntry } from './access-log.js';
import { BodyBudget, type BodyHold } from './body-budget.js';
import { corsHeaders, FORWARDED, FORWARDED_METHODS, HostGuard, isPreflight, mergeVary, originWarning, preflightHeaders } from './host-guard.js';
import { AuthThrottle, throttleKey } from './auth-throttle.js';
import { CredentialEcho, credentialForms } from './credential-echo.js';
import { checkExposure, InboundAuth, type InboundAuthOptions } from './inbound-auth.js';
import { ProxyMetrics, type ProxyRefusalReason } from './metrics.js';
import { notResentMessage, staleSocketOutcome } from './stale-socket.js';
import { DEFAULT_UPSTREAM_IDLE_MS, UpstreamPool } from './upstream-pool.js';
import { defaultMaxConnections } from './connection-cap.js';
import { originForm, underPrefix } from './target-path.js';
import { HTTP_TOKEN, UNSENDABLE_IN_VALUE } from '../sigv4/validate.js';

/** Headers the operator adds to every request: refused at start when no HTTP stack could send them, not on each request. */
function checkAddHeaders(headers: Record<string, string> | undefined): void {
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (!HTTP_TOKEN.test(name) || typeof value !== 'string' || UNSENDABLE_IN_VALUE.test(value)) {
      throw new ConfigurationError('ERR_INVALID_OPTIONS',
        `addHeaders has ${HTTP_TOKEN.test(name) ? `"${name}" with a value that is not a string, or holds a control character (CR, LF, NUL or another) or a character above U+00FF` : 'a name that is not an HTTP token'}: no HTTP stack sends it. Fix or remove it.`);
    }
  }
}

/** The signer's refusals of what a client sent: a 400 to that client, not the proxy's failure. */
const CLIENT_FIXES: ReadonlySet<string> = new Set(['ERR_INVALID_HEADERS', 'ERR_INVALID_URL', 'ERR_INVALID_METHOD', 'ERR_INVALID_PAYLOAD_HASH', 'ERR_UNSUPPORTED_BODY']);

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
  /**
   * An upstream connection idle this long is closed, before the target closes it as a request
   * reuses it; a target announcing its own idle timeout (Keep-Alive: timeout=N) gets closed 1 s
   * before that instead. 0: no connection is kept. Default 4000.
   */
  upstreamIdleTimeoutMs?: number;
  /** A connection that has not sent its whole request head within this long gets 408 and is closed. Default 15000. */
  headerTimeoutMs?: number;
  /**
   * Inbound connections at once; past it new ones are dropped. Default half the open-files
   * soft limit where it can be read (Linux), else none; 0: no cap.
   */
  maxConnections?: number;
  /**
   * A client silent this long: no byte of its request body while it is read (408, and the
   * connection is closed), or none of an error answer taken while it is written back
   * (the connection is closed). Default 30000.
   */
  bodyIdleTimeoutMs?: number;
  /**
   * Total body bytes held at once, across requests: request bodies (buffered to be hashed) and
   * error answers (read whole to be scrubbed). A request past it gets 503 with Retry-After. Default 268435456 (256 MiB).
   */
  maxInflightBodyBytes?: number;
  /** Answers 200 without calling AWS (liveness). */
  healthPath?: string;
  /** Answers 200 when credentials resolve, else 503 with no details (readiness); why goes to the log (onRequest). */
  readyPath?: string;
  /** Prometheus text metrics. */
  metricsPath?: string;
  /** Headers set on every forwarded request (signed). */
  addHeaders?: Record<string, string>;
  /** Headers removed from every request before it is signed (names, any case). */
  stripHeaders?: string[];
  /** Called once per request, after its answer started (or failed). Never carries a secret (nor the inbound credential, wherever a client put it). */
  onRequest?: (entry: SigningProxyLogEntry) => void;
  /** Called when AWS refused a signature (the typed error, with its hint); the refusal itself still goes back to the client. */
  onRejection?: (error: AwsSigV4Error, entry: SigningProxyLogEntry) => void;
}

export interface SigningProxyStats {
  requests: number;
  /** TCP (or TLS) connections opened to the target; below `requests` when keep-alive works. */
  upstreamConnections: number;
}

// Besides the hop-by-hop and signer-owned names (../exchange/headers.ts): the length is the
// buffered body's, and `expect` was answered here. A client's own authorization (Basic auth
// of a tool configured for a self-managed cluster, or our inbound credential) is signer-owned:
// it never reaches AWS next to ours.
const PROXY_OWNED: ReadonlySet<string> = new Set(['expect', 'content-length']);
const DEFAULT_INFLIGHT = 256 * 1024 * 1024;
const DEFAULT_UPSTREAM_TIMEOUT = 120_000;
// A client uploading sends without pauses; one silent this long holds a connection and a
// part-read body for nothing (Node's own requestTimeout, 300 s, bounds only the whole request).
const DEFAULT_BODY_IDLE_TIMEOUT = 30_000;
// A client sends its request head at once; Node's own default (60 s) lets a client without the
// credential hold a descriptor that long per connection.
const DEFAULT_HEADER_TIMEOUT = 15_000;
const NODE_REQUEST_TIMEOUT = 300_000;
const CONNECT_REFUSED = 'This is a signing reverse proxy: point the tool at it as its server URL (http://127.0.0.1:PORT), not as an HTTP(S) proxy.';

// How an exchange ended, mapped to the proxy's answers: 504, 499 (nothing to answer), 503.
class UpstreamTimeout extends Error {}
class ClientClosed extends Error {}
class OverBudget extends Error {}
/** The join of a chunked body's chunks would pass the budget (held twice for a moment). */
class JoinOverBudget extends OverBudget {}
class BodyIdle extends Error {}
// An error answer, read whole before it is passed on, that would pass the budget, or that the
// target does not finish sending within the upstream timeout: 503 and 504 naming its status.
class AnswerOverBudget extends Error {
  constructor(readonly status: number) { super(); }
}
class AnswerStalled extends Error {
  constructor(readonly status: number) { super(); }
}
// A kept-alive upstream socket failed before any answer, and the request is not safe to send again (./resend-policy.ts): 502.
class NotResent extends Error {}

/** What goes back to the client: the target's answer with its end-to-end headers, streamed, or (an error answer) the bytes read. */
interface Answer {
  upstream: IncomingMessage;
  head: string[];
  payload?: Buffer;
}

export class SigningProxy {
  readonly signer: RequestSigner;
  readonly stats: SigningProxyStats = { requests: 0, upstreamConnections: 0 };
  readonly metrics = new ProxyMetrics();
  /** What to tell the user about the listen address (beyond loopback), if anything. */
  readonly exposureWarning: string | undefined;
  /** Everything to tell the user at start: the exposure warning, and one for --allow-origin "*" or null. */
  readonly warnings: readonly string[];
  private readonly target: URL;
  private readonly nodeUrl: URL;
  /** The target's path without its trailing slash: prepended to every request path. */
  private readonly prefix: string;
  private readonly pool: UpstreamPool;
  private readonly server: http.Server;
  private readonly auth: InboundAuth;
  private readonly redactor: LogRedactor;
  private readonly echo: CredentialEcho;
  private readonly throttle = new AuthThrottle();
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
    this.redactor = new LogRedactor(credentialForms(inboundAuth));
    this.echo = new CredentialEcho(inboundAuth);
    this.exposureWarning = checkExposure(options.listenHost ?? '127.0.0.1', this.auth, options.allowUnauthenticatedRemote);
    this.warnings = [this.exposureWarning, originWarning(options.allowOrigins)].filter((w): w is string => w !== undefined);
    this.budget = new BodyBudget(options.maxInflightBodyBytes ?? DEFAULT_INFLIGHT);
    this.strip = new Set((options.stripHeaders ?? []).map((h) => h.toLowerCase()));
    checkAddHeaders(options.addHeaders);
    // No servername needed for a tunnel (https://localhost:PORT): Node takes SNI and the
    // name the certificate is checked against from the Host header, the signed domain name.
    this.pool = new UpstreamPool(this.target, options.upstreamIdleTimeoutMs ?? DEFAULT_UPSTREAM_IDLE_MS, options.targetTls);
    const handler = (expectsContinue: boolean) => (req: IncomingMessage, res: ServerResponse): void => {
      this.track(res);
      this.handle(req, res, expectsContinue).catch((error: unknown) => this.answer(res, 500, `aws-sigv4-connection proxy: ${describe(error)}`));
    };
    // A connection that never completes its request head holds a descriptor without showing
    // any credential (it is in the head): closed after --header-timeout, checked at least every
    // second (Node's defaults: 60 s, checked every 30 s). 0 turns it off; Node refuses a head
    // timeout longer than the whole request's (300 s by default), so that follows it.
    const serverOptions: http.ServerOptions = {
      headersTimeout: this.headerTimeout,
      requestTimeout: Math.max(NODE_REQUEST_TIMEOUT, this.headerTimeout),
      connectionsCheckingInterval: this.headerTimeout > 0 ? Math.min(1000, Math.ceil(this.headerTimeout / 2)) : 30_000,
    };
    this.server = options.tls ? https.createServer({ ...serverOptions, key: options.tls.key, cert: options.tls.cert }, handler(false)) : http.createServer(serverOptions, handler(false));
    // Node keeps only the first 2000 header lines in rawHeaders: a second Host line after them
    // would pass the guard unseen. Every line is kept; the 16 KiB head limit still bounds them.
    this.server.maxHeadersCount = 0;
    // A cap below the open-files limit: past it new connections are dropped, while kept-alive
    // ones and the sockets to the target still get descriptors (exhausted, every request fails).
    const maxConnections = options.maxConnections ?? defaultMaxConnections();
    if (maxConnections !== undefined && maxConnections > 0) this.server.maxConnections = maxConnections;
    this.server.on('drop', () => this.metrics.refused('max-connections'));
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
    this.pool.destroy();
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
    const entry: SigningProxyLogEntry = { method, path: this.redactor.path(received), status: 0, bodyBytes: 0, retries: 0, ms: 0 };
    const finish = (status: number, error?: string): void => {
      entry.status = status;
      entry.ms = Date.now() - started;
      if (error !== undefined) entry.error = this.redactor.text(error);
      this.metrics.request(status);
      this.options.onRequest?.(entry);
    };
    // Answered by the proxy itself. A body not read whole (or, with Expect, never sent) is
    // not read on: `close`, and Node ends the connection once the answer is out, where
    // keep-alive would read a declared 1.5 GB to the end to find the next request.
    const refuse = (status: number, reason: ProxyRefusalReason, message: string, headers: Record<string, string> = {}): void => {
      if (expectsContinue || bodyOutstanding(req)) headers.connection = 'close';
      this.answer(res, status, message, headers);
      this.metrics.refused(reason);
      finish(status, message);
    };

    // Refused before the inbound credential, the connection is closed: kept alive (65 s) and
    // refused again each minute, sockets without the credential would fill --max-connections
    // and the real clients' connections be dropped.
    const unauthenticated = { connection: 'close' };
    const route = received.split('?', 1)[0];
    const probe = route === this.options.healthPath || route === this.options.readyPath;
    const guarded = this.guard?.check(req.headers, req.rawHeaders, probe);
    if (guarded) return refuse(403, guarded.kind, guarded.message, { ...unauthenticated });
    // Past the guard, a browser's origin is allowed: it may read every answer.
    const cors = corsHeaders(req.headers.origin);
    for (const [name, value] of Object.entries(cors)) res.setHeader(name, value);
    // A preflight carries no credential (browsers never send one) and AWS answers none: answered here.
    if (isPreflight(method, req.headers)) {
      res.writeHead(204, preflightHeaders(req.headers));
      res.end();
      return finish(204);
    }
    // A target that reflects TRACE would echo the signed headers (the session token) in a 200.
    // Node's parser refuses TRACK itself today; it is named here should one let it through.
    if (method === 'TRACE' || method === 'TRACK') {
      return refuse(405, 'method', `aws-sigv4-connection proxy: ${method} is not forwarded: the answer would echo the signed request, token included. Use ${FORWARDED_METHODS}.`, { allow: FORWARDED_METHODS });
    }
    // What the preflight and Allow announce is what is signed: no WebDAV or other extension
    // method (neither AWS domains nor API Gateway take one) goes out with the identity.
    if (!FORWARDED.has(method)) {
      return refuse(405, 'method', `aws-sigv4-connection proxy: the method ${method.slice(0, 20)} is not forwarded; the proxy signs ${FORWARDED_METHODS}.`, { allow: FORWARDED_METHODS });
    }
    if (route === this.options.healthPath) return this.health(res, finish);
    if (route === this.options.readyPath) return this.readiness(res, finish);
    if (this.auth.enabled) {
      // Guessing a basic-auth password (human-chosen) is bounded per client address; a throttled
      // one is not even compared. Not with a token alone: a token is refused at start unless it
      // is random enough that no rate finds it, and clients sharing an address (a load
      // balancer's) would lock each other out.
      const peer = throttleKey(req.socket.remoteAddress ?? '', this.auth.namesUser(req.headers.authorization));
      const wait = this.auth.guessable ? this.throttle.retryAfter(peer) : undefined;
      if (wait !== undefined) {
        return refuse(429, 'auth-throttled', `aws-sigv4-connection proxy: too many requests without the right inbound credential from this address; retry in ${wait} s with the right one (Authorization: Bearer <token>, or basic auth).`, { 'retry-after': String(wait), ...unauthenticated });
      }
      if (!this.auth.accepts(req.headers.authorization)) {
        if (this.auth.guessable) this.throttle.failed(peer);
        return refuse(401, 'unauthorized', 'aws-sigv4-connection proxy: this proxy requires its inbound credential (Authorization: Bearer <token>, or basic auth).', { 'www-authenticate': this.auth.challenge(), ...unauthenticated });
      }
    }
    if (route === this.options.metricsPath) {
      const text = this.metrics.render(this.signer.credentialCache().stats, this.budget.inFlight);
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8', 'content-length': String(Buffer.byteLength(text)) });
      res.end(text);
      return finish(200);
    }
    const clientHeaders = this.clientHeaders(req);
    // Past the metrics (answered here): signed and sent on, a copy outside Authorization would reach AWS (and its logs).
    const echoed = this.echo.find(received, clientHeaders);
    if (echoed !== undefined) {
      return refuse(400, 'credential-forwarded', `aws-sigv4-connection proxy: the request carries this proxy's inbound credential in ${echoed}, from where it would be passed on to AWS; send it in Authorization only and remove it from there.`);
    }
    const under = underPrefix(this.prefix, received);
    if ('status' in under) return refuse(under.status, 'path', under.message);
    const { pathAndQuery } = under;

    const limit = this.signer.options.maxBufferedBodyBytes ?? DEFAULT_MAX_BUFFERED_BODY_BYTES;
    const declared = req.headers['content-length'] === undefined ? 0 : Number(req.headers['content-length']);
    const tooLarge = (size: string) => `aws-sigv4-connection proxy: the body (${size}) is larger than maxBufferedBodyBytes (${limit}); SigV4 signs a hash of the whole body, so it is buffered. Start the proxy with a larger --max-body-bytes.`;
    const overBudget = `aws-sigv4-connection proxy: bodies held for signing would pass --max-inflight-body-bytes (${this.budget.limit}); retry shortly.`;
    // Past the whole budget alone: a retry would be refused again, so not 503 with Retry-After.
    const overWholeBudget = (size: string) => `aws-sigv4-connection proxy: the body (${size}) is larger than --max-inflight-body-bytes (${this.budget.limit}), all the proxy holds for signing at once; SigV4 signs a hash of the whole body, so it is buffered. Start the proxy with a larger --max-inflight-body-bytes.`;
    // Refused before a byte is held. The budget is taken as bytes arrive, so only a body that
    // could never fit it is refused for it now.
    if (declared > limit) return refuse(413, 'body-too-large', tooLarge(`${declared} bytes`));
    if (declared > this.budget.limit) return refuse(413, 'body-too-large', overWholeBudget(`${declared} bytes`));
    // One share of the budget per request: its body, then any error answer, held until that is out.
    const hold = this.budget.hold();
    res.once('close', () => hold.release());
    if (expectsContinue) res.writeContinue();

    // Every wait (credentials, the body, the target) ends when the client goes away, or stalls its body.
    const gone = new AbortController();
    res.once('close', () => {
      if (!res.writableFinished) gone.abort();
    });
    const idle = this.watchBodyIdle(req, res, gone);
    const guard: WaitGuard = { signal: gone.signal, aborted: (reason) => (reason instanceof BodyIdle ? reason : new ClientClosed()), timedOut: () => new UpstreamTimeout() };
    let result: ExchangeResult<Answer>;
    try {
      result = await exchange<Answer>({
        signer: this.signer,
        method,
        nodeUrl: this.nodeUrl,
        pathAndQuery,
        headers: this.requestHeaders(clientHeaders),
        body: req,
        guard,
        reading: {
          drain: true,
          onChunk: (bytes) => {
            idle();
            entry.bodyBytes += bytes;
            return hold.take(bytes) ? undefined : new OverBudget();
          },
          // One buffer of the declared length, once 1 MiB of it came: the body held once, not
          // as chunks and then joined; the buffer's unread bytes are taken from the budget first.
          ...(declared > 0 ? { declaredBytes: declared, reserve: (bytes: number) => hold.reserveAhead(bytes) } : {}),
          // Chunks joined at the end, both held for a moment: counted, so the budget bounds what is held.
          join: { before: (bytes: number) => (hold.take(bytes) ? undefined : new JoinOverBudget()), after: (bytes: number) => hold.giveBack(bytes) },
        },
        // Declared even for a chunked upload: the body is whole, and AWS's front ends want a length.
        prepare: (headers, read) => {
          const size = read.body === undefined ? 0 : Buffer.byteLength(read.body);
          if (size > 0 || methodCarriesBody(method)) headers['content-length'] = String(size);
        },
        send: (attempt) => {
          entry.retries = attempt.attempt;
          return this.send(method, pathAndQuery, attempt, guard, gone.signal, hold);
        },
      });
    } catch (error) {
      if (error instanceof BodyIdle && !res.destroyed) {
        return refuse(408, 'body-idle', `aws-sigv4-connection proxy: no byte of the request body came for ${this.bodyIdleTimeout} ms; send it without pauses, or start the proxy with a longer --body-idle-timeout.`);
      }
      if (res.destroyed || error instanceof ClientClosed) return finish(499, 'client closed the connection');
      if (error instanceof UpstreamTimeout) {
        return refuse(504, 'upstream-timeout', `aws-sigv4-connection proxy: ${this.target.origin} did not answer within ${this.upstreamTimeout} ms (--upstream-timeout).`);
      }
      if (error instanceof OverBudget) {
        if (!hold.neverFits) return refuse(503, 'over-budget', overBudget, { 'retry-after': '1' });
        if (error instanceof JoinOverBudget) {
          return refuse(413, 'body-too-large', `aws-sigv4-connection proxy: the body (${entry.bodyBytes} bytes) came without a Content-Length (chunked), so it is held as it came and then joined into one buffer, twice its size for a moment, which is more than --max-inflight-body-bytes (${this.budget.limit}). Send it with a Content-Length (held once), or start the proxy with a larger --max-inflight-body-bytes.`);
        }
        return refuse(413, 'body-too-large', overWholeBudget(`over ${this.budget.limit} bytes`));
      }
      if (error instanceof AnswerOverBudget) {
        return hold.neverFits
          ? refuse(502, 'upstream-failed', `aws-sigv4-connection proxy: ${this.target.origin} answered ${error.status} with an error answer larger than --max-inflight-body-bytes (${this.budget.limit}), all the proxy holds at once; an error answer is read whole, to be cleaned of signing secrets, before it is passed on. Start the proxy with a larger --max-inflight-body-bytes if the target's error answers are this large.`)
          : refuse(503, 'over-budget', `aws-sigv4-connection proxy: ${this.target.origin} answered ${error.status}; an error answer is read whole, to be cleaned of signing secrets, and with the bodies held now this one would pass --max-inflight-body-bytes (${this.budget.limit}); retry shortly.`, { 'retry-after': '1' });
      }
      if (error instanceof AnswerStalled) {
        return refuse(504, 'upstream-timeout', `aws-sigv4-connection proxy: ${this.target.origin} answered ${error.status} and did not send the rest of that error answer within ${this.upstreamTimeout} ms (--upstream-timeout); an error answer is read whole, to be cleaned of signing secrets, before it is passed on.`);
      }
      if (error instanceof NotResent) {
        return refuse(502, 'not-resent', `aws-sigv4-connection proxy: ${notResentMessage(this.target.origin, method)}`);
      }
      if (error instanceof ConfigurationError && error.code === 'ERR_BODY_TOO_LARGE') return refuse(413, 'body-too-large', tooLarge(`over ${limit} bytes`));
      // The target's answer, not the client's upload: the client can change nothing, so no 4xx.
      if (error instanceof ConfigurationError && error.code === 'ERR_RESPONSE_TOO_LARGE') {
        return refuse(502, 'upstream-failed', `aws-sigv4-connection proxy: the response of ${this.target.origin} was too large to read: an error answer is read whole, to be cleaned of signing secrets (and classified when a refusal), up to ${errorAnswerLimit(limit)} bytes (--max-body-bytes, never below ${MIN_ERROR_ANSWER_BYTES}), and this one is larger.`);
      }
      // What the client sent and the signer refuses (a header value no stack sends, a bogus
      // x-amz-content-sha256, a body it cannot read): the client's to fix, and not credentials.
      if (error instanceof ConfigurationError && CLIENT_FIXES.has(error.code)) {
        return refuse(400, 'unsignable', `aws-sigv4-connection proxy: the request cannot be signed as sent: ${describe(error)}`);
      }
      if (error instanceof CredentialsError) return refuse(500, 'no-credentials', `aws-sigv4-connection proxy: no credentials: ${describe(error)}`);
      if (error instanceof ConfigurationError) return refuse(500, 'no-credentials', `aws-sigv4-connection proxy: cannot sign: ${describe(error)}`);
      return refuse(502, 'upstream-failed', `aws-sigv4-connection proxy: ${this.target.origin} failed: ${describe(error)}`);
    }
    this.metrics.requestBytes += entry.bodyBytes;
    const { response: { upstream, head, payload }, rejection } = result;
    const status = upstream.statusCode ?? 502;
    if (rejection !== undefined) {
      this.metrics.signatureRefused(rejection.kind);
      this.options.onRejection?.(rejection, entry);
    }
    // A raw header list replaces what setHeader put by the same name: our Vary is merged in, not lost.
    res.writeHead(status, upstream.statusMessage, cors.vary === undefined ? head : mergeVary(head, cors.vary));
    if (payload !== undefined) {
      // An error answer, read whole: its bytes as read (or scrubbed). They stay held (and in the
      // budget) until the client has taken them: one that stops reading is cut off, not waited for.
      res.end(payload);
      if (!res.writableFinished) res.setTimeout(this.bodyIdleTimeout, () => res.destroy());
      this.metrics.responseBytes += payload.length;
      return finish(status);
    }
    // Streamed: the body is sent and no retry follows, so it is no longer held; pipe's
    // backpressure bounds what a slow reader leaves in memory.
    hold.release();
    upstream.on('data', (chunk: Buffer) => { this.metrics.responseBytes += chunk.length; });
    upstream.pipe(res);
    upstream.on('error', (error) => res.destroy(error));
    finish(status);
  }

  private get upstreamTimeout(): number {
    return this.options.upstreamTimeoutMs ?? DEFAULT_UPSTREAM_TIMEOUT;
  }

  private get headerTimeout(): number {
    return this.options.headerTimeoutMs ?? DEFAULT_HEADER_TIMEOUT;
  }

  private get bodyIdleTimeout(): number {
    return this.options.bodyIdleTimeoutMs ?? DEFAULT_BODY_IDLE_TIMEOUT;
  }

  /**
   * Aborts `gone` with BodyIdle when the body stops coming for bodyIdleTimeoutMs. Armed when
   * the reader starts taking it (`resume`: a wait for credentials before that is ours, not
   * the client's); returns the re-arm to call per chunk; off once the body ended.
   */
  private watchBodyIdle(req: IncomingMessage, res: ServerResponse, gone: AbortController): () => void {
    let timer: NodeJS.Timeout | undefined;
    const arm = (): void => {
      clearTimeout(timer);
      timer = setTimeout(() => gone.abort(new BodyIdle()), this.bodyIdleTimeout);
      timer.unref();
    };
    const off = (): void => {
      clearTimeout(timer);
      timer = undefined;
      req.off('resume', arm);
    };
    req.once('resume', arm);
    req.once('end', off);
    res.once('close', off);
    return () => { if (timer !== undefined) arm(); };
  }

  /**
   * Sends one signed attempt upstream; resolves with its response head. The target staying
   * silent past the upstream timeout (before the head, or while the body streams) ends it
   * with the guard's timeout error; the client going away ends it too.
   */
  private send(method: string, pathAndQuery: string, attempt: SignedAttempt, guard: WaitGuard, gone: AbortSignal, hold: BodyHold, resent = false): Promise<Reply<Answer>> {
    return new Promise((resolve, reject) => {
      const send = this.target.protocol === 'https:' ? https.request : http.request;
      const outgoing = send({
        protocol: this.target.protocol,
        hostname: this.target.hostname.replace(/^\[|\]$/g, ''),
        port: this.target.port,
        method,
        path: pathAndQuery,
        headers: attempt.headers as OutgoingHttpHeaders,
        agent: this.pool.agent,
      });
      outgoing.on('socket', (socket) => {
        // A reused socket is already connected; count only the ones this request opens.
        if ((socket as { connecting?: boolean }).connecting) this.stats.upstreamConnections++;
      });
      outgoing.setTimeout(this.upstreamTimeout, () => outgoing.destroy(guard.timedOut()));
      const sentAt = Date.now();
      let answered = false;
      outgoing.on('response', (upstream: IncomingMessage) => {
        answered = true;
        this.pool.answered(upstream.socket, firstHeader(upstream.headers['keep-alive']));
        this.metrics.upstreamLatency(Date.now() - sentAt);
        resolve(this.replyOf(upstream, hold, attempt));
      });
      outgoing.on('error', (error: NodeJS.ErrnoException) => {
        // Sent once more with the same buffered bytes and signature (see stale-socket.ts), when
        // running it twice is safe: the target may have run it before it closed.
        const stale = resent || gone.aborted ? undefined : staleSocketOutcome(outgoing, error, answered, { method, pathAndQuery, idempotencyKey: attempt.headers['idempotency-key'] });
        if (stale !== undefined) {
          this.metrics.staleSocket(stale === 'resend');
          if (stale === 'resend') resolve(this.send(method, pathAndQuery, attempt, guard, gone, hold, true));
          else reject(new NotResent());
          return;
        }
        reject(error);
      });
      // The client gave up: stop the upstream request too (and free its socket).
      if (gone.aborted) outgoing.destroy(guard.aborted(gone.reason));
      else gone.addEventListener('abort', () => outgoing.destroy(guard.aborted(gone.reason)), { once: true });
      const body = attempt.body;
      outgoing.end(body !== undefined && body.length > 0 ? body : undefined);
    });
  }

  /**
   * The target's answer as the exchange reads it: streamed on, or (an error answer, 400 and up)
   * read whole, bounded, and scrubbed. A target (or a box on the way) may echo what it was sent
   * in a header as well as in a body (a debug header, www-authenticate, x-amzn-*), so the head
   * is scrubbed too, following the bodies' policy: an error answer's as its body is (the
   * exchange's scrub: our secrets by value in every form, and any signature or token value
   * quoted back; an authorization or x-amz-security-token header dropped); any other answer's by value only: our token and this attempt's signature, in
   * every form. Unlike its body (streamed, of any size, the client's data), its head is whole
   * and small, so it costs no buffering; but a pattern scrub would break what is not ours (a
   * redirect to another party's presigned URL carries X-Amz-Signature), where our own values
   * have no place in a good answer. The secret key is never sent: no target can echo it.
   */
  private replyOf(upstream: IncomingMessage, hold: BodyHold, attempt: SignedAttempt): Reply<Answer> {
    const head = responseHeaders(upstream);
    const status = upstream.statusCode ?? 502;
    return {
      statusCode: status,
      header: (name) => firstHeader(upstream.headers[name]),
      response: { upstream, head: sentValuesScrub(attempt.headers).rawHeaders(head) },
      consume: async (scrub, bound) => {
        const { raw, text, decoded } = await this.readHeldErrorAnswer(upstream, status, bound, hold);
        const errorHead = scrub.rawHeaders(head);
        const shown = scrub(text);
        if (decoded && shown === text) return { text, response: { upstream, head: errorHead, payload: raw } };
        const payload = Buffer.from(shown);
        // Decoded (a compressed answer expands up to the bound): what it grew by is held too.
        if (!hold.take(Math.max(0, payload.length - raw.length))) throw new AnswerOverBudget(status);
        return { text, response: { upstream, head: [...withoutEncoding(errorHead), 'content-length', String(payload.length)], payload } };
      },
    };
  }

  /**
   * An error answer read whole, as the bound allows one request; across requests its bytes
   * are taken from the budget of bodies held as they arrive (N clients, or a hostile target,
   * would otherwise hold N times the bound), and all of it must come within the upstream
   * timeout: the client hears nothing until it has, so a target trickling a byte now and then
   * would hold it (and its share of the budget) for ever.
   */
  private async readHeldErrorAnswer(upstream: IncomingMessage, status: number, bound: RefusalBound, hold: BodyHold): Promise<RefusalRead> {
    const count = (chunk: Buffer): void => {
      if (!hold.take(chunk.length)) upstream.destroy(new AnswerOverBudget(status));
    };
    const timer = setTimeout(() => upstream.destroy(new AnswerStalled(status)), this.upstreamTimeout);
    // Before the reader's own listener, in the same tick: no chunk flows uncounted.
    upstream.on('data', count);
    try {
      return await readRefusal(upstream, upstream.headers['content-encoding'], bound);
    } finally {
      clearTimeout(timer);
      upstream.off('data', count);
    }
  }

  private health(res: ServerResponse, finish: (status: number) => void): void {
    this.answerJson(res, 200, { status: 'ok' });
    finish(200);
  }

  /**
   * Ready when credentials resolve (from the cache when fresh: no AWS call per probe). It
   * answers before the inbound credential, and a provider's error names accounts and roles:
   * why it is not ready goes to the log only.
   */
  private async readiness(res: ServerResponse, finish: (status: number, error?: string) => void): Promise<void> {
    try {
      await this.signer.credentials();
      this.answerJson(res, 200, { status: 'ready' });
      finish(200);
    } catch (error) {
      this.answerJson(res, 503, { status: 'not ready' });
      finish(503, `not ready: no credentials: ${describe(error)}`);
    }
  }

  /** The client's headers to forward, as raw name, value pairs: hop-by-hop, signer-owned, proxy-owned and stripped ones dropped. */
  private clientHeaders(req: IncomingMessage): string[] {
    const tokens = connectionTokens(req.headers.connection);
    const out: string[] = [];
    const raw = req.rawHeaders;
    for (let i = 0; i + 1 < raw.length; i += 2) {
      const name = raw[i]!.toLowerCase();
      if (isEndToEnd(name, tokens) && !SIGNER_OWNED.has(name) && !PROXY_OWNED.has(name) && !this.strip.has(name)) out.push(name, raw[i + 1]!);
    }
    return out;
  }

  /** Request headers to sign and forward: the client's (lower-cased, repeats joined), added ones set. */
  private requestHeaders(clientHeaders: readonly string[]): Record<string, string> {
    // No prototype: a client's `constructor` header read as Object's own, and `__proto__` set none.
    const out: Record<string, string> = Object.create(null) as Record<string, string>;
    for (let i = 0; i + 1 < clientHeaders.length; i += 2) {
      const name = clientHeaders[i]!;
      const value = clientHeaders[i + 1]!;
      out[name] = out[name] === undefined ? value : `${out[name]}${repeatSeparator(name)}${value}`;
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

function responseHeaders(res: IncomingMessage): string[] {
  const tokens = connectionTokens(res.headers.connection);
  const out: string[] = [];
  const raw = res.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    if (isEndToEnd(raw[i]!.toLowerCase(), tokens)) out.push(raw[i]!, raw[i + 1]!);
  }
  return out;
}

/** A raw header list without the length and encoding of a body that was replaced. */
function withoutEncoding(head: string[]): string[] {
  const kept: string[] = [];
  for (let i = 0; i + 1 < head.length; i += 2) {
    const name = head[i]!.toLowerCase();
    if (name !== 'content-length' && name !== 'content-encoding') kept.push(head[i]!, head[i + 1]!);
  }
  return kept;
}

/** A body is still to come: declared (or chunked) and not all received. */
function bodyOutstanding(req: IncomingMessage): boolean {
  if (req.complete) return false;
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

function methodCarriesBody(method: string): boolean {
  return method === 'POST' || method === 'PUT' || method === 'PATCH';
}

/** A failure's message (and code), for the proxy's answer: whatever was thrown, never throwing itself. */
function describe(error: unknown): string {
  const { message, code } = describeThrown(error);
  return code !== undefined && !message.includes(code) ? `${message} (${code})` : message;
}
