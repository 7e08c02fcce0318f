/**
 * A local signing proxy: tools that cannot sign (curl, OpenSearch Dashboards, Kibana,
 * legacy clients) talk plain HTTP to 127.0.0.1 and every request goes on to the AWS
 * endpoint signed. One RequestSigner per proxy, so credentials are cached, refreshed and
 * retried exactly as in the Connections.
 *
 * Bodies are buffered (SigV4 signs a hash of the whole body, so nothing can go upstream
 * before the last byte arrived) and hashed while they arrive; responses are streamed back
 * as they come, except AWS's refusals, which are read first to decide on one re-signed
 * retry (token refreshed, clock corrected).
 */
import { createHash } from 'node:crypto';
import http, { type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { firstHeader, readAll, readRefusalText } from './adapters/shared.js';
import { ConfigurationError, type AwsSigV4Error } from './errors.js';
import { isRefusalStatus, RequestSigner, type AwsSigV4Options, type Signed } from './request-signer.js';
import { redactRefusalBody } from './rejection.js';
import type { AwsCredentialIdentity } from './sigv4.js';

export interface SigningProxyOptions {
  /** The endpoint to sign for, e.g. https://search-logs-abc.eu-west-1.es.amazonaws.com; a path is a prefix of every request's path. */
  target: string | URL;
  /** Listen address. Default 127.0.0.1: a signing proxy lends its credentials to whoever reaches it. */
  listenHost?: string;
  /** Default 0 (a free port). */
  port?: number;
  /** Signing options, as for configure(); `host` signs for that name while connecting to `target` (a tunnel). */
  signing?: AwsSigV4Options;
  /** Trust settings for an https target (a private CA in front of a tunnel). */
  targetTls?: { ca?: string | Buffer; rejectUnauthorized?: boolean };
  /** Called once per request, after its answer started (or failed). Never carries a secret. */
  onRequest?: (entry: SigningProxyLogEntry) => void;
  /** Called when AWS refused a signature (the typed error, with its hint); the refusal itself still goes back to the client. */
  onRejection?: (error: AwsSigV4Error, entry: SigningProxyLogEntry) => void;
}

export interface SigningProxyLogEntry {
  method: string;
  /** Path and query as received. */
  path: string;
  status: number;
  /** Body bytes signed and sent upstream. */
  bodyBytes: number;
  /** 1 when the request was re-signed and sent again after a refusal. */
  retries: number;
  ms: number;
  /** Why the proxy answered itself (413, 500, 502). */
  error?: string;
}

export interface SigningProxyStats {
  requests: number;
  /** TCP (or TLS) connections opened to the target; below `requests` when keep-alive works. */
  upstreamConnections: number;
}

// Hop-by-hop headers (RFC 9110 7.6.1) and the ones the signer owns: a client's own
// authorization (Basic auth of a tool configured for a self-managed cluster) must never reach AWS next to ours.
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
const CONNECT_REFUSED = 'This is a signing reverse proxy: point the tool at it as its server URL (http://127.0.0.1:PORT), not as an HTTP(S) proxy.';

export class SigningProxy {
  readonly signer: RequestSigner;
  readonly stats: SigningProxyStats = { requests: 0, upstreamConnections: 0 };
  private readonly target: URL;
  private readonly nodeUrl: URL;
  /** The target's path without its trailing slash: prepended to every request path. */
  private readonly prefix: string;
  private readonly agent: http.Agent;
  private readonly server: http.Server;
  private address = { url: '', port: 0 };

  private constructor(private readonly options: SigningProxyOptions) {
    this.target = parseTarget(options.target);
    this.nodeUrl = new URL(this.target.origin);
    this.prefix = this.target.pathname.replace(/\/+$/, '');
    this.signer = new RequestSigner(options.signing ?? {});
    // The signer's copy of the options holds a static identity sealed: keep that one, not the caller's.
    this.options = { ...options, signing: this.signer.options };
    // Resolved now, so a missing region fails at start, not on the first request.
    this.signer.endpoint(this.nodeUrl);
    // No servername needed for a tunnel (https://localhost:PORT): Node takes SNI and the
    // name the certificate is checked against from the Host header, the signed domain name.
    this.agent = this.target.protocol === 'https:'
      ? new https.Agent({ keepAlive: true, ...options.targetTls })
      : new http.Agent({ keepAlive: true });
    this.server = http.createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) => this.answer(res, 500, `aws-sigv4-connection proxy: ${describe(error)}`));
    });
    // A tool configured with us as its HTTPS_PROXY sends CONNECT (Node hands it over here,
    // not to the request handler): a tunnel would carry its traffic past the signer.
    this.server.on('connect', (req: IncomingMessage, socket: Duplex) => {
      const body = JSON.stringify({ message: CONNECT_REFUSED });
      socket.end(`HTTP/1.1 405 Method Not Allowed\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
      this.options.onRequest?.({ method: 'CONNECT', path: req.url ?? '', status: 405, bodyBytes: 0, retries: 0, ms: 0, error: CONNECT_REFUSED });
    });
    // Dashboards and Kibana hold connections for long: outlive their idle timeouts.
    this.server.keepAliveTimeout = 65_000;
  }

  static async start(options: SigningProxyOptions): Promise<SigningProxy> {
    const proxy = new SigningProxy(options);
    await new Promise<void>((resolve, reject) => {
      proxy.server.once('error', reject);
      proxy.server.listen(options.port ?? 0, options.listenHost ?? '127.0.0.1', () => {
        proxy.server.off('error', reject);
        resolve();
      });
    });
    const address = proxy.server.address() as AddressInfo;
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    proxy.address = { url: `http://${host}:${address.port}`, port: address.port };
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

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
    this.agent.destroy();
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = Date.now();
    this.stats.requests++;
    const method = req.method ?? 'GET';
    const received = req.url ?? '/';
    const entry: SigningProxyLogEntry = { method, path: received, status: 0, bodyBytes: 0, retries: 0, ms: 0 };
    const finish = (status: number, error?: string): void => {
      entry.status = status;
      entry.ms = Date.now() - started;
      if (error !== undefined) entry.error = error;
      this.options.onRequest?.(entry);
    };
    const headers = requestHeaders(req);
    const limit = this.signer.options.maxBufferedBodyBytes ?? DEFAULT_MAX_BUFFERED;
    const { body, payloadHash, size } = await readBody(req, limit);
    entry.bodyBytes = size;
    if (body === undefined) {
      const message = `aws-sigv4-connection proxy: the body (${size} bytes) is larger than maxBufferedBodyBytes (${limit}); SigV4 signs a hash of the whole body, so it is buffered. Start the proxy with a larger --max-body-bytes.`;
      this.answer(res, 413, message);
      finish(413, message);
      return;
    }
    // Declared even for a chunked upload: the body is whole, and AWS's front ends want a length.
    if (size > 0 || methodCarriesBody(method)) headers['content-length'] = String(size);
    const pathAndQuery = this.prefix + originForm(received);

    let credentials: AwsCredentialIdentity;
    try {
      const pending = this.signer.credentials();
      credentials = pending instanceof Promise ? await pending : pending;
    } catch (error) {
      const message = `aws-sigv4-connection proxy: no credentials: ${describe(error)}`;
      this.answer(res, 500, message);
      finish(500, message);
      return;
    }

    for (let attempt = 0; ; attempt++) {
      const signed = this.signer.sign({ method, nodeUrl: this.nodeUrl, pathAndQuery, headers: { ...headers }, body, payloadHash, attempt }, credentials);
      let upstream: IncomingMessage;
      try {
        upstream = await this.send(method, pathAndQuery, signed.headers, body, req, res);
      } catch (error) {
        if (res.destroyed) return finish(499, 'client closed the connection');
        const message = `aws-sigv4-connection proxy: ${this.target.origin} failed: ${describe(error)}`;
        this.answer(res, 502, message);
        finish(502, message);
        return;
      }
      const status = upstream.statusCode ?? 502;
      if (isRefusalStatus(status)) {
        const raw = await readAll(upstream);
        const verdict = await this.signer.onRefusal(
          { statusCode: status, body: readRefusalText(raw, upstream.headers['content-encoding']), date: firstHeader(upstream.headers.date) },
          signed,
          { method, path: pathAndQuery, attempt },
        );
        if (verdict === 'retry' && !res.destroyed) {
          entry.retries++;
          const fresh = this.signer.credentials();
          credentials = fresh instanceof Promise ? await fresh : fresh;
          continue;
        }
        if (verdict instanceof Error) this.options.onRejection?.(verdict, entry);
        const { head, payload } = scrubRefusal(upstream, raw, signed);
        res.writeHead(status, upstream.statusMessage, head);
        res.end(payload);
        finish(status);
        return;
      }
      res.writeHead(status, upstream.statusMessage, responseHeaders(upstream));
      upstream.pipe(res);
      upstream.on('error', (error) => res.destroy(error));
      finish(status);
      return;
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

  private answer(res: ServerResponse, status: number, message: string): void {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const payload = Buffer.from(JSON.stringify({ message }));
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(payload.length) });
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

/** Request headers to sign and forward: lower-cased, hop-by-hop and signer-owned ones dropped, repeats joined. */
function requestHeaders(req: IncomingMessage): Record<string, string> {
  const connectionTokens = new Set(String(req.headers.connection ?? '').split(',').map((t) => t.trim().toLowerCase()).filter(Boolean));
  const out: Record<string, string> = {};
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    if (DROPPED_REQUEST_HEADERS.has(name) || connectionTokens.has(name)) continue;
    const value = raw[i + 1]!;
    out[name] = out[name] === undefined ? value : `${out[name]},${value}`;
  }
  return out;
}

function responseHeaders(res: IncomingMessage): string[] {
  const connectionTokens = new Set(String(res.headers.connection ?? '').split(',').map((t) => t.trim().toLowerCase()).filter(Boolean));
  const out: string[] = [];
  const raw = res.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    if (!DROPPED_RESPONSE_HEADERS.has(name) && !connectionTokens.has(name)) out.push(raw[i]!, raw[i + 1]!);
  }
  return out;
}

/** The path and query of a request-target; absolute-form (a tool using us as HTTP proxy) is cut to it. */
function originForm(target: string): string {
  if (target.startsWith('/')) return target;
  const m = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i.exec(target);
  const rest = m ? target.slice(m[0].length) : target;
  return rest === '' || rest.startsWith('?') ? `/${rest}` : rest.startsWith('/') ? rest : `/${rest}`;
}

function methodCarriesBody(method: string): boolean {
  return method === 'POST' || method === 'PUT' || method === 'PATCH';
}

/** The whole body and its hash, computed as it arrives; no body when it exceeds the limit (then drained, so the client reads our 413). */
function readBody(req: IncomingMessage, limit: number): Promise<{ body?: Buffer; payloadHash: string; size: number }> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) {
        hash.update(chunk);
        chunks.push(chunk);
      }
    });
    req.on('end', () => resolve({
      body: size <= limit ? (chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size)) : undefined,
      payloadHash: hash.digest('hex'),
      size,
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
