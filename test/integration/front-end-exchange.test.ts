/**
 * The signing proxy and the CLI's `request` on the one exchange: the abort, timeout,
 * body-kind and refusal cases the Connections and createSignedFetch have, against the
 * SigningProxy class (in process) and the spawned `request`, with the verifying stub as the
 * target so that what reached "AWS" is known.
 */
import assert from 'node:assert/strict';
import http, { type IncomingHttpHeaders } from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { SigningProxy, type SigningProxyLogEntry, type SigningProxyOptions } from '../../src/proxy/signing-proxy.js';
import type { AwsSigV4Error } from '../../src/errors.js';
import type { VerifyProxy, VerifyProxyCredentials } from '../../src/testing/index.js';
import { writeChunks } from '../support/chunked-upload.js';
import { runCli } from '../support/cli-run.js';
import { startStub, TEST_CREDENTIALS } from '../support/stack.js';
import { droppingTarget } from '../support/dropping-target.js';

const TEMP = {
  accessKeyId: 'ASIAFRONTEND00000001',
  secretAccessKey: 'front/End+Secret0123456789abcdefghijklmn',
  sessionToken: 'FwoGZXIvYXdzEFRONT//////////wEaDFrontEndToken0123456789+xyz=',
};

interface Answer { status: number; headers: IncomingHttpHeaders; body: string }

/** A client of the proxy: a body at once, or chunked (no Content-Length) piece by piece with a pause between. */
function call(url: string, options: { method?: string; path?: string; headers?: Record<string, string>; body?: string; chunks?: string[]; pauseMs?: number } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${url}${options.path ?? '/'}`, { method: options.method ?? 'GET', headers: options.headers, agent: false }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => { body += d.toString(); });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    // The proxy may answer (413, 503) before the whole upload is written.
    req.on('error', (error: NodeJS.ErrnoException) => (error.code === 'EPIPE' || error.code === 'ECONNRESET' ? undefined : reject(error)));
    if (options.chunks === undefined) {
      req.end(options.body);
      return;
    }
    writeChunks(req, options.chunks, options.pauseMs ?? 0);
  });
}

/** Starts a request, writes `written` of a body declared larger (or nothing), and hangs up after `ms`. */
function hangUp(url: string, options: { path: string; method?: string; declared?: number; written?: string; ms: number }): Promise<void> {
  return new Promise((resolve) => {
    const headers = options.declared === undefined ? {} : { 'content-type': 'application/json', 'content-length': String(options.declared) };
    const req = http.request(`${url}${options.path}`, { method: options.method ?? 'GET', headers, agent: false });
    req.on('error', () => resolve());
    req.on('close', () => resolve());
    if (options.written !== undefined) req.write(options.written);
    else req.end();
    setTimeout(() => req.destroy(), options.ms);
  });
}

/** An upstream that accepts connections and never answers. */
async function silentTarget(): Promise<{ url: string; closed: () => number; close(): Promise<void> }> {
  const sockets: net.Socket[] = [];
  let closed = 0;
  const server = net.createServer((socket) => {
    sockets.push(socket);
    // Read (and drop) what comes, so the peer's hang-up is seen.
    socket.resume();
    socket.on('close', () => { closed++; });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    closed: () => closed,
    close: () => new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    }),
  };
}

/** Resolves with the log entry of the next request the proxy finishes. */
function nextEntry(entries: SigningProxyLogEntry[], from: number, timeoutMs = 5000): Promise<SigningProxyLogEntry> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const poll = (): void => {
      if (entries.length > from) return resolve(entries[from]!);
      if (Date.now() - started > timeoutMs) return reject(new Error('the proxy logged no request'));
      setTimeout(poll, 10);
    };
    poll();
  });
}

describe('the proxy and `request` on the one exchange', function () {
  this.timeout(30_000);
  let stub: VerifyProxy;
  const proxies: SigningProxy[] = [];
  before(async () => { stub = await startStub({ region: 'eu-west-1', credentials: [{ ...TEMP }] }); });
  after(async () => {
    for (const proxy of proxies) await proxy.close();
    await stub.close();
  });

  const entries: SigningProxyLogEntry[] = [];
  const rejections: AwsSigV4Error[] = [];
  async function proxyTo(target: string, options: Partial<SigningProxyOptions> = {}, signing: SigningProxyOptions['signing'] = {}): Promise<SigningProxy> {
    const proxy = await SigningProxy.start({
      target, metricsPath: '/metrics', ...options,
      signing: { region: 'eu-west-1', credentials: { ...TEMP }, ...signing },
      onRequest: (entry) => entries.push(entry),
      onRejection: (error) => rejections.push(error),
    });
    proxies.push(proxy);
    return proxy;
  }

  describe('the proxy: abort and timeout while it waits', () => {
    it('a client that hangs up while its body is being buffered: nothing sent upstream, its budget given back, logged 499', async () => {
      const proxy = await proxyTo(stub.url);
      const before = stub.records.length;
      const from = entries.length;
      await hangUp(proxy.url, { path: '/logs/_doc/1', method: 'PUT', declared: 100_000, written: '{"a":"', ms: 200 });
      const entry = await nextEntry(entries, from);
      assert.equal(entry.status, 499);
      assert.equal(entry.error, 'client closed the connection');
      assert.equal(stub.records.length, before, 'a request reached the target');
      assert.equal(proxy.inFlightBodyBytes, 0);
    });

    it('a client that hangs up while credentials are fetched: ends then, not when the provider answers; nothing sent', async () => {
      const slow = () => new Promise<typeof TEMP>((resolve) => setTimeout(() => resolve({ ...TEMP }), 3000).unref());
      const proxy = await proxyTo(stub.url, {}, { credentials: slow });
      const before = stub.records.length;
      const from = entries.length;
      const started = Date.now();
      await hangUp(proxy.url, { path: '/_search', ms: 150 });
      const entry = await nextEntry(entries, from);
      assert.equal(entry.status, 499);
      assert.ok(Date.now() - started < 2000, `${Date.now() - started} ms`);
      assert.equal(stub.records.length, before);
    });

    it('a kept-alive upstream socket the target dropped as it was reused: sent once more on a new one, not a 502', async () => {
      const target = await droppingTarget();
      try {
        const proxy = await proxyTo(target.url, {});
        // PUT with an id: safe to repeat (a POST /i/_doc is not: see proxy-resend.test.ts).
        for (const [i, body] of ['{"a":1}', '{"a":2}', '{"a":3}'].entries()) {
          const answer = await call(proxy.url, { method: 'PUT', path: `/i/_doc/${i}`, headers: { 'content-type': 'application/json' }, body });
          assert.equal(answer.status, 200, answer.body);
        }
        // Requests 2 and 3 each met a dropped socket first: 5 requests upstream, on 3 connections.
        assert.deepEqual([target.requests(), target.connections()], [5, 3]);
      } finally {
        await target.close();
      }
    });

    it('a target that stays silent: 504 from the guard\'s timeout after upstreamTimeoutMs, tried once', async () => {
      const silent = await silentTarget();
      try {
        const proxy = await proxyTo(silent.url, { upstreamTimeoutMs: 300 });
        const from = entries.length;
        const started = Date.now();
        const answer = await call(proxy.url, { path: '/_search' });
        assert.equal(answer.status, 504);
        assert.match(JSON.parse(answer.body).message, /did not answer within 300 ms \(--upstream-timeout\)/);
        assert.ok(Date.now() - started < 3000);
        assert.deepEqual([entries[from]?.status, entries[from]?.retries], [504, 0]);
        assert.match((await call(proxy.url, { path: '/metrics' })).body, /^aws_sigv4_proxy_refusals_total\{reason="upstream-timeout"\} 1$/m);
      } finally {
        await silent.close();
      }
    });

    it('a client that hangs up while the target is silent: the upstream request is cut too, logged 499', async () => {
      const silent = await silentTarget();
      try {
        const proxy = await proxyTo(silent.url, { upstreamTimeoutMs: 60_000 });
        const from = entries.length;
        await hangUp(proxy.url, { path: '/_search', ms: 200 });
        assert.equal((await nextEntry(entries, from)).status, 499);
        const started = Date.now();
        while (silent.closed() === 0 && Date.now() - started < 3000) await new Promise((r) => setTimeout(r, 20));
        assert.equal(silent.closed(), 1, 'the upstream socket was left open');
      } finally {
        await silent.close();
      }
    });
  });

  describe('the proxy: bodies through the one bounded reader', () => {
    it('a slow chunked body (pieces 80 ms apart, no Content-Length) is read whole and signed over all of it', async () => {
      const proxy = await proxyTo(stub.url);
      const chunks = Array.from({ length: 6 }, (_, i) => `{"index":{}}\n{"n":${i}}\n`);
      const answer = await call(proxy.url, { method: 'POST', path: '/_bulk', headers: { 'content-type': 'application/x-ndjson' }, chunks, pauseMs: 80 });
      assert.equal(answer.status, 200, answer.body);
      const record = stub.records.at(-1)!;
      assert.equal(record.verdict, 'accepted');
      assert.equal(record.bodyBytes, Buffer.byteLength(chunks.join('')));
      assert.ok(record.signedHeaders.includes('content-length'));
      assert.equal(entries.at(-1)?.bodyBytes, record.bodyBytes);
    });

    it('a body over maxBufferedBodyBytes: 413 from the proxy, nothing sent upstream, for a declared length and for a chunked one', async () => {
      const proxy = await proxyTo(stub.url, {}, { maxBufferedBodyBytes: 1000 });
      const before = stub.records.length;
      const declared = await call(proxy.url, { method: 'PUT', path: '/x/_doc/1', headers: { 'content-type': 'application/json' }, body: `"${'a'.repeat(1200)}"` });
      const chunked = await call(proxy.url, { method: 'PUT', path: '/x/_doc/2', headers: { 'content-type': 'application/json' }, chunks: ['"', 'b'.repeat(600), 'b'.repeat(600), '"'], pauseMs: 20 });
      for (const answer of [declared, chunked]) {
        assert.equal(answer.status, 413);
        assert.match(JSON.parse(answer.body).message, /larger than maxBufferedBodyBytes \(1000\).*--max-body-bytes/);
      }
      assert.equal(stub.records.length, before, 'an oversize body reached the target');
      assert.equal(proxy.inFlightBodyBytes, 0);
      // The refused upload's connection was closed, not the proxy: the next request is answered.
      assert.equal((await call(proxy.url, { path: '/_cluster/health' })).status, 200);
    });

    it('a chunked body that passes the whole in-flight budget by itself while read: 413 without Retry-After (no retry could fit it), nothing sent upstream', async () => {
      const proxy = await proxyTo(stub.url, { maxInflightBodyBytes: 1000 });
      const before = stub.records.length;
      const answer = await call(proxy.url, { method: 'PUT', path: '/x/_doc/3', headers: { 'content-type': 'application/json' }, chunks: ['"', 'c'.repeat(700), 'c'.repeat(700), '"'], pauseMs: 20 });
      assert.equal(answer.status, 413);
      assert.equal(answer.headers['retry-after'], undefined);
      assert.match(JSON.parse(answer.body).message, /larger than --max-inflight-body-bytes \(1000\)/);
      assert.equal(stub.records.length, before);
      assert.equal(proxy.inFlightBodyBytes, 0);
    });
  });

  describe('the proxy: a chunked body joined at its end', () => {
    it('is counted twice while its chunks are joined: one that fits the budget once but not twice gets 413 saying why; one that fits twice goes, and the budget is given back', async () => {
      // The join was not counted: chunked uploads held about twice --max-inflight-body-bytes.
      // Past the first MiB (below it, as for a declared body, the join's moment is not counted).
      const mib = 1 << 20;
      const proxy = await proxyTo(stub.url, { maxInflightBodyBytes: 3 * mib });
      const before = stub.records.length;
      const tooBig = await call(proxy.url, { method: 'PUT', path: '/x/_doc/4', headers: { 'content-type': 'application/json' }, chunks: ['"', 'd'.repeat(mib), 'd'.repeat(mib), '"'], pauseMs: 20 });
      assert.equal(tooBig.status, 413, tooBig.body);
      assert.match(JSON.parse(tooBig.body).message, /without a Content-Length \(chunked\).*twice its size.*Send it with a Content-Length/);
      assert.equal(stub.records.length, before);
      assert.equal(proxy.inFlightBodyBytes, 0);
      const fits = await call(proxy.url, { method: 'PUT', path: '/x/_doc/5', headers: { 'content-type': 'application/json' }, chunks: ['"', 'e'.repeat(mib / 2), 'e'.repeat(mib / 2 + 100), '"'], pauseMs: 20 });
      assert.ok(fits.status < 300, `${fits.status} ${fits.body}`);
      assert.equal(stub.records.length, before + 1);
      assert.equal(proxy.inFlightBodyBytes, 0);
      // (control) the same 2 MiB with a Content-Length are held once, and go.
      const declared = await call(proxy.url, { method: 'PUT', path: '/x/_doc/6', headers: { 'content-type': 'application/json' }, body: `"${'f'.repeat(2 * mib)}"` });
      assert.ok(declared.status < 300, `${declared.status} ${declared.body}`);
    });
  });

  describe('the proxy: a stalled body', () => {
    it('a client that stops sending its body: 408 after bodyIdleTimeoutMs, connection closed, nothing sent upstream, its budget given back', async () => {
      const proxy = await proxyTo(stub.url, { bodyIdleTimeoutMs: 300 });
      const before = stub.records.length;
      const from = entries.length;
      const started = Date.now();
      const text = await new Promise<string>((resolve, reject) => {
        const socket = net.connect(proxy.port, '127.0.0.1');
        let answer = '';
        const timer = setTimeout(() => { socket.destroy(); resolve(answer); }, 3000);
        socket.on('data', (d: Buffer) => { answer += d.toString(); });
        socket.on('error', reject);
        socket.on('close', () => { clearTimeout(timer); resolve(answer); });
        socket.write(`PUT /x/_doc/1 HTTP/1.1\r\nHost: 127.0.0.1:${proxy.port}\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"a":"${'z'.repeat(1000)}`);
      });
      assert.match(text, /^HTTP\/1\.1 408 /, text);
      assert.match(text, /\r\nconnection: close\r\n/i);
      assert.ok(Date.now() - started < 2500, `${Date.now() - started} ms`);
      assert.deepEqual([entries[from]?.status, entries[from]?.bodyBytes], [408, 1006]);
      assert.equal(stub.records.length, before);
      assert.equal(proxy.inFlightBodyBytes, 0);
      assert.match((await call(proxy.url, { path: '/metrics' })).body, /^aws_sigv4_proxy_refusals_total\{reason="body-idle"\} 1$/m);
    });

    it('a slow provider is not the client stalling: a body sent at once waits for credentials past bodyIdleTimeoutMs and goes through', async () => {
      const slow = () => new Promise<typeof TEMP>((resolve) => setTimeout(() => resolve({ ...TEMP }), 600).unref());
      const proxy = await proxyTo(stub.url, { bodyIdleTimeoutMs: 300 }, { credentials: slow });
      const answer = await call(proxy.url, { method: 'PUT', path: '/x/_doc/2', headers: { 'content-type': 'application/json' }, body: '{"a":1}' });
      assert.equal(answer.status, 200, answer.body);
    });
  });

  describe('the proxy: refusals', () => {
    it('an answer worded like AWS\'s clock refusal from behind the service moves only that request\'s retry: the service refuses the retry\'s time, and every later request is signed on time', async () => {
      // The service (as AWS does) refuses a request time more than 5 minutes off with its own
      // Date before anything behind it answers; /evil is a backend a client controls.
      const amzTime = (ms: number): string => new Date(ms).toISOString().replace(/[-:]|\.\d{3}/g, '');
      const seen: Array<[string, string]> = [];
      const offsets: number[] = [];
      const target = http.createServer((req, res) => {
        req.resume();
        const amzDate = String(req.headers['x-amz-date']);
        const off = Math.abs(Date.parse(amzDate.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, '$1-$2-$3T$4:$5:$6Z')) - Date.now());
        seen.push([req.url ?? '', amzDate]);
        offsets.push(off);
        const refuse = (message: string, date: number): void => {
          res.writeHead(403, { 'content-type': 'application/json', date: new Date(date).toUTCString(), 'x-amzn-errortype': 'InvalidSignatureException' });
          res.end(JSON.stringify({ message }));
        };
        if (off > 300_000) return refuse(`Signature not yet current: ${amzDate} is still later than ${amzTime(Date.now() + 300_000)} (${amzTime(Date.now())} + 5 min.)`, Date.now());
        if (req.url === '/evil') return refuse(`Signature expired: ${amzDate} is now earlier than ${amzTime(Date.now() + 23 * 3_600_000 - 300_000)} (${amzTime(Date.now() + 23 * 3_600_000)} - 5 min.)`, Date.now() + 23 * 3_600_000);
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{}');
      });
      await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
      try {
        const proxy = await proxyTo(`http://127.0.0.1:${(target.address() as AddressInfo).port}`);
        assert.equal((await call(proxy.url, { path: '/evil' })).status, 403);
        assert.equal((await call(proxy.url, { path: '/victim' })).status, 200);
        assert.deepEqual(seen.map(([path]) => path), ['/evil', '/evil', '/victim'], 'one retry of /evil, /victim sent once');
        assert.ok(seen[1]![1] > seen[0]![1], 'the retry was signed with the correction');
        assert.ok(offsets[2]! < 60_000, `the victim signed on time: ${seen[2]![1]}`);
        assert.equal(rejections.at(-1)?.code, 'ERR_REQUEST_TIME_SKEWED');
      } finally {
        await new Promise<void>((resolve) => target.close(() => resolve()));
      }
    });

    it('a compressed refusal that expands past maxBufferedBodyBytes (a zip bomb): replaced by a short note, its length and encoding consistent', async () => {
      const bomb = gzipSync(Buffer.alloc(4 * 1024 * 1024, 0x20));
      const target = http.createServer((req, res) => {
        req.resume();
        res.writeHead(403, { 'content-type': 'application/json', 'content-encoding': 'gzip', 'content-length': String(bomb.length), 'x-amzn-requestid': 'r-1' });
        res.end(bomb);
      });
      await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
      try {
        const proxy = await proxyTo(`http://127.0.0.1:${(target.address() as AddressInfo).port}`, {}, { maxBufferedBodyBytes: 1024 * 1024 });
        const answer = await call(proxy.url, { path: '/_search' });
        assert.equal(answer.status, 403);
        assert.equal(answer.headers['content-encoding'], undefined);
        assert.equal(answer.headers['content-length'], String(Buffer.byteLength(answer.body)));
        assert.equal(answer.headers['x-amzn-requestid'], 'r-1');
        assert.match(JSON.parse(answer.body).message, /refusal body \(content-encoding: gzip\) could not be decoded within 1048576 bytes/);
      } finally {
        target.closeAllConnections();
        await new Promise<void>((resolve) => target.close(() => resolve()));
      }
    });

    it('a refusal larger than the error answers\' bound (maxBufferedBodyBytes, at least 1 MiB): 502 saying the target\'s response was too large to read, no word of the request body; sent once', async () => {
      let requests = 0;
      const target = http.createServer((req, res) => {
        req.resume();
        requests++;
        if (req.url === '/ok') return void res.end('{}');
        res.writeHead(403, { 'content-type': 'application/json' });
        // Past the 1 MiB floor: a request-body limit of 16 KiB alone does not stop a refusal.
        res.end(`{"message":"${'x'.repeat(2 * 1024 * 1024)}"}`);
      });
      await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
      const origin = `http://127.0.0.1:${(target.address() as AddressInfo).port}`;
      try {
        const proxy = await proxyTo(origin, {}, { maxBufferedBodyBytes: 16 * 1024 });
        const from = entries.length;
        const answer = await call(proxy.url, { method: 'PUT', path: '/x/_doc/1', headers: { 'content-type': 'application/json' }, body: '{"a":1}' });
        assert.equal(answer.status, 502, answer.body);
        const message = JSON.parse(answer.body).message as string;
        assert.match(message, new RegExp(`the response of ${origin.replace(/\./g, '\\.')} was too large to read: .*up to 1048576 bytes \\(--max-body-bytes, never below 1048576\\)`));
        assert.doesNotMatch(message, /request|the body \(|signs a hash|413/i);
        assert.equal(requests, 1, 'sent more than once');
        assert.deepEqual([entries[from]?.status, entries[from]?.bodyBytes], [502, 7]);
        assert.match((await call(proxy.url, { path: '/metrics' })).body, /^aws_sigv4_proxy_refusals_total\{reason="upstream-failed"\} 1$/m);
        assert.doesNotMatch((await call(proxy.url, { path: '/metrics' })).body, /reason="body-too-large"/);
        // The proxy and its upstream connections are fine: the next request goes through.
        assert.equal((await call(proxy.url, { path: '/ok' })).status, 200);
      } finally {
        target.closeAllConnections();
        await new Promise<void>((resolve) => target.close(() => resolve()));
      }
    });

    it('a refusal no retry can fix reaches the client once, token hidden, classified in the log and counted in metrics', async () => {
      const proxy = await proxyTo(stub.url, {}, { credentials: { ...TEMP, secretAccessKey: 'front/Wrong+Secret0123456789abcdefghijk' } });
      const before = stub.records.length;
      const rejected = rejections.length;
      const answer = await call(proxy.url, { path: '/_search?q=x' });
      assert.equal(answer.status, 403);
      assert.match(answer.body, /signature we calculated does not match/);
      assert.match(answer.body, /x-amz-security-token:\[REDACTED\]/);
      assert.ok(!answer.body.includes(TEMP.sessionToken));
      assert.equal(stub.records.length, before + 1, 'sent more than once');
      assert.equal(rejections.length, rejected + 1);
      assert.equal(rejections.at(-1)?.code, 'ERR_SIGNATURE_MISMATCH');
      assert.deepEqual([entries.at(-1)?.status, entries.at(-1)?.retries], [403, 0]);
      assert.match((await call(proxy.url, { path: '/metrics' })).body, /^aws_sigv4_proxy_signature_refusals_total\{kind="signature-mismatch"\} 1$/m);
    });

    it('a refusal a retry can fix (expired token): one re-signed retry with the same buffered body, the client sees 200', async () => {
      const old: VerifyProxyCredentials = { accessKeyId: 'ASIAFRONTOLD00000001', secretAccessKey: 'old/Front+Secret0123456789abcdefghijklm', sessionToken: 'OLDFRONTTOKEN0123456789', expiration: new Date(Date.now() - 1000) };
      const fresh: VerifyProxyCredentials = { accessKeyId: 'ASIAFRONTNEW00000001', secretAccessKey: 'new/Front+Secret0123456789abcdefghijklm', sessionToken: 'NEWFRONTTOKEN0123456789', expiration: new Date(Date.now() + 3_600_000) };
      const own = await startStub({ region: 'eu-west-1', credentials: [old, fresh] });
      try {
        let calls = 0;
        // The provider still believes the old ones valid (clocks differ); AWS says they expired.
        const provider = async () => {
          const c = ++calls === 1 ? old : fresh;
          return { accessKeyId: c.accessKeyId, secretAccessKey: c.secretAccessKey, sessionToken: c.sessionToken, expiration: new Date(Date.now() + 3_600_000) };
        };
        const proxy = await proxyTo(own.url, {}, { credentials: provider });
        const chunks = ['{"index":{}}\n', '{"a":1}\n'];
        const answer = await call(proxy.url, { method: 'POST', path: '/_bulk', headers: { 'content-type': 'application/x-ndjson' }, chunks, pauseMs: 30 });
        assert.equal(answer.status, 200, answer.body);
        const size = Buffer.byteLength(chunks.join(''));
        assert.deepEqual(own.records.map((r) => [r.verdict, r.accessKeyId, r.bodyBytes]), [['expired-token', old.accessKeyId, size], ['accepted', fresh.accessKeyId, size]]);
        assert.deepEqual([entries.at(-1)?.status, entries.at(-1)?.retries], [200, 1]);
      } finally {
        await own.close();
      }
    });
  });

  describe('request', () => {
    const env = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => ({
      PATH: process.env.PATH, HOME: process.env.HOME,
      AWS_CONFIG_FILE: '/nonexistent', AWS_SHARED_CREDENTIALS_FILE: '/nonexistent', AWS_EC2_METADATA_DISABLED: 'true', AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey, ...extra,
    });

    it('a refusal a retry can fix (the stub\'s clock an hour ahead): re-signed once, the stdin body sent again whole, exit 0', async () => {
      const ahead = await startStub({ clockOffsetMs: 3_600_000 });
      try {
        const body = '{"index":{}}\n{"a":1}\n';
        const run = await runCli(['request', 'POST', `${ahead.url}/_bulk`, '--data', '@-', '-H', 'content-type: application/x-ndjson'], { env: env(), input: body });
        assert.equal(run.code, 0, run.stderr);
        assert.equal(run.stdout, '{}');
        assert.deepEqual(ahead.records.map((r) => [r.verdict, r.bodyBytes]), [['signature-expired', body.length], ['accepted', body.length]]);
      } finally {
        await ahead.close();
      }
    });

    it('a refusal no retry can fix: sent once, its body printed, the classification on stderr, exit 1', async () => {
      const own = await startStub();
      try {
        const run = await runCli(['request', 'PUT', `${own.url}/logs/_doc/1`, '--data', '@-'], { env: env({ AWS_SECRET_ACCESS_KEY: 'wrong/Secret+0123456789abcdefghijklmnop' }), input: '{"a":1}' });
        assert.equal(run.code, 1);
        assert.match(run.stdout, /signature we calculated does not match/);
        assert.match(run.stderr, /SignatureRejectedError \[ERR_SIGNATURE_MISMATCH\]/);
        assert.equal(own.records.length, 1);
        assert.ok(!run.stdout.includes('wrong/Secret+0123456789abcdefghijklmnop') && !run.stderr.includes('wrong/Secret+0123456789abcdefghijklmnop'));
      } finally {
        await own.close();
      }
    });
  });
});
