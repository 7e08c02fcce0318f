/**
 * The signing proxy against a hostile (or merely broken) target and clients that stop reading,
 * on loopback: what it holds in memory, and for how long. An error answer (400 and up) is read
 * whole before it is passed on (to be cleaned of signing secrets), so it is held like a request
 * body is: in the one budget of bytes held at once, and only as long as target and client move.
 */
import assert from 'node:assert/strict';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { SigningProxy, type SigningProxyOptions } from '../../src/proxy/signing-proxy.js';

const CREDENTIALS = { accessKeyId: 'AKIDBOUNDSTEST000001', secretAccessKey: 'bounds/Test+Secret/0123456789abcdefghijkl', sessionToken: 'IQoJbounds+session/token=' };
const KIB = 1024;

interface Target { port: number; close(): Promise<void> }

async function target(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<Target> {
  const server = http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

function start(port: number, options: Partial<SigningProxyOptions> = {}): Promise<SigningProxy> {
  return SigningProxy.start({ target: `http://127.0.0.1:${port}`, signing: { region: 'us-east-1', service: 'es', credentials: CREDENTIALS }, ...options });
}

interface Answer { status: number; headers: http.IncomingHttpHeaders; body: Buffer }

function call(port: number, options: { method?: string; body?: Buffer; timeoutMs?: number } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method: options.method ?? 'GET', path: '/', agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.setTimeout(options.timeoutMs ?? 10_000, () => req.destroy(new Error(`no whole answer within ${options.timeoutMs ?? 10_000} ms`)));
    req.on('error', reject);
    req.end(options.body);
  });
}

/** Writes `size` bytes of `fill` as fast as the peer takes them; resolves with what went out when it ends or the peer goes. */
function pump(res: ServerResponse, size: number, written: { bytes: number }): void {
  const piece = Buffer.alloc(64 * KIB, 0x61);
  const go = (): void => {
    while (written.bytes < size && !res.destroyed) {
      const n = Math.min(piece.length, size - written.bytes);
      written.bytes += n;
      if (!res.write(piece.subarray(0, n))) return void res.once('drain', go);
    }
    if (!res.destroyed) res.end();
  };
  go();
}

async function until(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > end) return false;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return true;
}

describe('signing proxy: what a target\'s answers and a client\'s reading can make it hold', function () {
  this.timeout(30_000);
  let upstream: Target | undefined;
  let proxy: SigningProxy | undefined;
  afterEach(async () => {
    await proxy?.close();
    await upstream?.close();
    proxy = undefined;
    upstream = undefined;
  });

  it('concurrent large error answers share --max-inflight-body-bytes: past it 503 with Retry-After naming the status; held bytes never pass it and all come back', async () => {
    const N = 6;
    const SIZE = 400 * KIB;
    const waiting: ServerResponse[] = [];
    // All N answered at once, once all N are in: the proxy reads N error answers side by side.
    upstream = await target((req, res) => {
      req.resume();
      waiting.push(res);
      if (waiting.length < N) return;
      for (const r of waiting) {
        r.writeHead(500, { 'content-type': 'text/plain', 'content-length': String(SIZE) });
        pump(r, SIZE, { bytes: 0 });
      }
    });
    proxy = await start(upstream.port, { maxInflightBodyBytes: 1024 * KIB });
    let peak = 0;
    const sampler = setInterval(() => { peak = Math.max(peak, proxy!.inFlightBodyBytes); }, 1);
    const answers = await Promise.all(Array.from({ length: N }, () => call(proxy!.port)));
    clearInterval(sampler);
    const passed = answers.filter((a) => a.status === 500);
    const refused = answers.filter((a) => a.status === 503);
    assert.equal(passed.length + refused.length, N, JSON.stringify(answers.map((a) => a.status)));
    // 2.4 MiB asked for at once: some get 503 (a refused one's bytes come back, so later ones may pass).
    assert.ok(passed.length >= 1 && refused.length >= 1, JSON.stringify(answers.map((a) => a.status)));
    for (const a of passed) assert.equal(a.body.length, SIZE);
    for (const a of refused) {
      assert.equal(a.headers['retry-after'], '1');
      const { message } = JSON.parse(a.body.toString()) as { message: string };
      assert.match(message, /answered 500; an error answer is read whole, to be cleaned of signing secrets/);
      assert.match(message, /--max-inflight-body-bytes \(1048576\); retry shortly/);
    }
    assert.ok(peak <= 1024 * KIB, `held ${peak}`);
    assert.ok(await until(() => proxy!.inFlightBodyBytes === 0, 2000), `still held: ${proxy.inFlightBodyBytes}`);
    assert.match(proxy.metrics.render(proxy.signer.credentialCache().stats, 0), /aws_sigv4_proxy_refusals_total\{reason="over-budget"\} [1-9]/);
  });

  it('a compressed error answer that is scrubbed is held at its decoded size: one expanding past the whole budget gets 502 (no retry could fit it), and never passes the token on', async () => {
    // A target echoing the token it was sent in a small gzip that expands to 900 KiB.
    upstream = await target((req, res) => {
      req.resume();
      const body = gzipSync(`${'a'.repeat(900 * KIB)} ${String(req.headers['x-amz-security-token'])}`);
      res.writeHead(500, { 'content-type': 'text/plain', 'content-encoding': 'gzip', 'content-length': String(body.length) });
      res.end(body);
    });
    proxy = await start(upstream.port, { maxInflightBodyBytes: 512 * KIB });
    const answer = await call(proxy.port);
    assert.equal(answer.status, 502, answer.body.subarray(0, 200).toString());
    assert.equal(answer.headers['retry-after'], undefined);
    assert.match(answer.body.toString(), /answered 500 with an error answer larger than --max-inflight-body-bytes \(524288\)/);
    assert.ok(!answer.body.toString().includes(CREDENTIALS.sessionToken));
    assert.ok(await until(() => proxy!.inFlightBodyBytes === 0, 2000));
  });

  it('a target trickling an error answer (a byte now and then, each within --upstream-timeout): 504 once the whole answer is later than the timeout, its connection closed', async () => {
    let upstreamClosed = false;
    upstream = await target((req, res) => {
      req.resume();
      res.writeHead(500, { 'content-type': 'text/plain' });
      const timer = setInterval(() => res.write('x'), 100);
      res.on('close', () => { clearInterval(timer); upstreamClosed = true; });
    });
    proxy = await start(upstream.port, { upstreamTimeoutMs: 600 });
    const started = Date.now();
    const answer = await call(proxy.port, { timeoutMs: 5000 });
    assert.equal(answer.status, 504);
    assert.ok(Date.now() - started < 3000, `${Date.now() - started} ms`);
    assert.match(JSON.parse(answer.body.toString()).message, /answered 500 and did not send the rest of that error answer within 600 ms \(--upstream-timeout\)/);
    assert.ok(await until(() => upstreamClosed, 2000), 'the trickling answer is not read on');
  });

  it('a client that reads none of a large error answer is cut off after --body-idle-timeout: its bytes leave the budget', async () => {
    const SIZE = 32 * 1024 * KIB;
    upstream = await target((req, res) => {
      req.resume();
      res.writeHead(500, { 'content-type': 'text/plain', 'content-length': String(SIZE) });
      pump(res, SIZE, { bytes: 0 });
    });
    proxy = await start(upstream.port, { bodyIdleTimeoutMs: 300 });
    // Sends the request and reads nothing: the answer fills the socket buffers and stops.
    const socket = net.connect(proxy.port, '127.0.0.1', () => socket.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'));
    socket.on('error', () => {});
    socket.pause();
    try {
      assert.ok(await until(() => proxy!.inFlightBodyBytes >= SIZE, 10_000), `the answer was read whole: ${proxy.inFlightBodyBytes}`);
      assert.ok(await until(() => proxy!.inFlightBodyBytes === 0, 5000), `still held: ${proxy.inFlightBodyBytes}`);
    } finally {
      socket.destroy();
    }
  });

  it('a streamed 2xx to a client that stops reading: the request body leaves the budget once sent, backpressure stops the target (nothing buffered without bound), and --upstream-timeout later both connections close', async () => {
    const SIZE = 64 * 1024 * KIB;
    const written = { bytes: 0 };
    let streamClosed = false;
    upstream = await target((req, res) => {
      req.resume();
      req.on('end', () => {
        if (req.url === '/' && req.method === 'POST' && written.bytes === 0 && req.headers['content-length'] === String(700 * KIB)) {
          res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(SIZE) });
          res.on('close', () => { streamClosed = true; });
          pump(res, SIZE, written);
        } else {
          res.end('{}');
        }
      });
    });
    proxy = await start(upstream.port, { maxInflightBodyBytes: 1024 * KIB, upstreamTimeoutMs: 1500 });
    const body = `POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: ${700 * KIB}\r\n\r\n`;
    const socket = net.connect(proxy.port, '127.0.0.1', () => socket.write(Buffer.concat([Buffer.from(body), Buffer.alloc(700 * KIB, 0x62)])));
    socket.on('error', () => {});
    socket.pause();
    try {
      assert.ok(await until(() => written.bytes > 0, 5000), 'the 2xx started');
      await new Promise((resolve) => setTimeout(resolve, 500));
      assert.equal(proxy.inFlightBodyBytes, 0);
      // Another 700 KiB body fits the 1 MiB budget while the first answer is still streaming.
      const other = await call(proxy.port, { method: 'POST', body: Buffer.alloc(700 * KIB, 0x63) });
      assert.equal(other.status, 200, other.body.toString());
      const stalledAt = written.bytes;
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.ok(written.bytes < SIZE / 2 && written.bytes - stalledAt <= 1024 * KIB, `the target kept writing: ${written.bytes} of ${SIZE}`);
      assert.ok(await until(() => streamClosed, 5000), 'the stalled stream is ended');
    } finally {
      socket.destroy();
    }
  });
});
