/**
 * A node:http server for the parity suites: each path is one behaviour a Connection must
 * meet as the stock class does (slow answers, resets, gzip, large bodies, refusals), and it
 * records what each request carried so stock and ours can be compared.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';

export interface Seen {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

const TLS_DIR = join(__dirname, '..', '..', 'fixtures', 'tls');
export const TLS_CERT = readFileSync(join(TLS_DIR, 'cert.pem'), 'utf8');
const TLS_KEY = readFileSync(join(TLS_DIR, 'key.pem'), 'utf8');

const ES_INFO = JSON.stringify({
  name: 'parity', cluster_name: 'parity', version: { number: '8.19.0', build_flavor: 'default', lucene_version: '9.0.0' }, tagline: 'You Know, for Search',
});

export class LoopbackServer {
  readonly seen: Seen[] = [];
  /** TCP connections accepted: keep-alive shows as fewer connections than requests. */
  connections = 0;
  private readonly sockets = new Set<Socket>();

  private constructor(private readonly server: http.Server | https.Server, readonly url: string) {}

  static async start(tls = false): Promise<LoopbackServer> {
    let self: LoopbackServer | undefined;
    const handler = (req: IncomingMessage, res: ServerResponse) => self!.handle(req, res);
    const server = tls ? https.createServer({ cert: TLS_CERT, key: TLS_KEY }, handler) : http.createServer(handler);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    self = new LoopbackServer(server, `${tls ? 'https' : 'http'}://127.0.0.1:${port}`);
    // Counted once usable (TLS: handshake done); dropped from the first byte, so that close()
    // never waits on a socket whose handshake the client gave up (a refused certificate).
    server.on(tls ? 'secureConnection' : 'connection', () => { self!.connections++; });
    server.on('connection', (socket: Socket) => {
      self!.sockets.add(socket);
      socket.on('close', () => self!.sockets.delete(socket));
    });
    return self;
  }

  reset(): void {
    this.seen.length = 0;
    this.connections = 0;
  }

  hits(path: string): number {
    return this.seen.filter((s) => s.path.split('?')[0] === path).length;
  }

  /** Drops every open socket: a stalled answer ends as a reset instead of outliving its case. */
  dropConnections(): void {
    for (const socket of this.sockets) socket.destroy();
  }

  close(): Promise<void> {
    this.dropConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? '/').split('?')[0]!;
    const query = new URL(req.url ?? '/', 'http://x').searchParams;
    // A reset path drops the socket before reading anything: ECONNRESET at the client.
    if (path === '/reset') {
      req.socket.destroy();
      return;
    }
    const status = Number(query.get('status') ?? 500);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body = Buffer.concat(chunks);
      if (req.headers['content-encoding'] === 'gzip' && body.length > 0) body = gunzipSync(body);
      this.seen.push({ method: req.method ?? '', path: req.url ?? '/', headers: req.headers, body });
      const headers = { 'content-type': 'application/json', 'x-elastic-product': 'Elasticsearch' };
      const send = (status: number, text: string | Buffer, extra: Record<string, string> = {}) => {
        res.writeHead(status, { ...headers, ...extra, 'content-length': String(Buffer.byteLength(text)) });
        res.end(text);
      };
      const sendError = (code: number, text: string, chunked: boolean) => {
        if (!chunked) return send(code, text);
        res.writeHead(code, headers);
        for (let at = 0; at < text.length; at += 16_384) res.write(text.slice(at, at + 16_384));
        return res.end();
      };
      const delay = Number(query.get('delay') ?? 0);
      const answer = () => {
        switch (path) {
          case '/':
            return send(200, ES_INFO);
          case '/echo':
            return send(200, JSON.stringify({ method: req.method, length: body.length, text: body.toString('utf8').slice(0, 64), contentType: req.headers['content-type'] }));
          case '/big':
            return send(200, JSON.stringify({ data: 'x'.repeat(4096) }));
          case '/gzip':
            return send(200, gzipSync(JSON.stringify({ zipped: true })), { 'content-encoding': 'gzip' });
          case '/redirect':
            res.writeHead(Number(query.get('status') ?? 302), { location: query.get('to') ?? '/echo', 'content-length': '0' });
            return res.end();
          // Error answers (status from ?status=, 500 by default): the exchange reads each one to scrub it.
          case '/error':
            // ?size= bytes of JSON; ?chunked=1 sends it without a content-length.
            return sendError(status, errorBody(Number(query.get('size') ?? 64)), query.get('chunked') === '1');
          case '/error-gzip':
            return send(status, gzipSync(errorBody(Number(query.get('size') ?? 64))), { 'content-encoding': 'gzip' });
          case '/error-stall':
            // Headers and the first bytes of a longer body, then nothing until the server closes.
            res.writeHead(status, { ...headers, 'content-length': '1000' });
            return res.write('{"error":');
          case '/error-reset':
            // Headers and the first bytes of a longer body, then the socket is dropped.
            res.writeHead(status, { ...headers, 'content-length': '1000' });
            res.write('{"error":');
            setTimeout(() => req.socket.destroy(), 50);
            return undefined;
          case '/refuse':
            return send(403, JSON.stringify({ message: 'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.' }));
          default:
            return send(404, JSON.stringify({ error: 'no such path' }));
        }
      };
      if (delay > 0) setTimeout(answer, delay);
      else answer();
    });
  }
}

/** A JSON error answer of about `size` bytes (at least its envelope). */
function errorBody(size: number): string {
  const envelope = { error: { type: 'parity_error', reason: '' }, status: 500 };
  const bare = JSON.stringify(envelope).length;
  envelope.error.reason = 'r'.repeat(Math.max(0, size - bare));
  return JSON.stringify(envelope);
}

/** A forward HTTP proxy (absolute-URI requests and CONNECT tunnels), counting what went through it. */
export class ForwardProxy {
  requests = 0;
  private readonly sockets = new Set<Socket>();

  private constructor(private readonly server: http.Server, readonly url: string) {}

  static async start(): Promise<ForwardProxy> {
    const server = http.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const self = new ForwardProxy(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    server.on('connection', (socket: Socket) => {
      self.sockets.add(socket);
      socket.on('close', () => self.sockets.delete(socket));
    });
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      self.requests++;
      const upstream = http.request(req.url ?? '', { method: req.method, headers: req.headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      upstream.on('error', () => res.destroy());
      req.pipe(upstream);
    });
    server.on('connect', (req: IncomingMessage, socket: Socket, head: Buffer) => {
      self.requests++;
      const [host, port] = (req.url ?? '').split(':');
      const upstream = connect(Number(port), host!, () => {
        socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        upstream.write(head);
        upstream.pipe(socket);
        socket.pipe(upstream);
      });
      self.sockets.add(upstream);
      upstream.on('close', () => self.sockets.delete(upstream));
      upstream.on('error', () => socket.destroy());
      socket.on('error', () => upstream.destroy());
    });
    return self;
  }

  close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** One LoopbackServer for a describe block: started before it, closed after; `get()` inside its tests. */
export function useLoopbackServer(): { get(): LoopbackServer } {
  let server: LoopbackServer | undefined;
  before(async () => { server = await LoopbackServer.start(); });
  after(async () => { await server?.close(); });
  return { get: () => server! };
}
