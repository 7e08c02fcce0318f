/**
 * The signing proxy attacked as the issue did it, each case against the REAL proxy
 * process (the CLI, spawned), with the verifying stub as its target so that what reached
 * "AWS" is known: cross-site form POST, DNS-rebinding Host, non-loopback bind without a
 * credential, a hanging target, over-budget uploads, an oversize Expect, a `..` escape of
 * the path prefix, a raw `#`, TRACE, CORS preflights, bodies left unread after a refusal,
 * idle uploads, and the access log.
 */
import assert from 'node:assert/strict';
import http, { type IncomingHttpHeaders } from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { inspect } from 'node:util';
import { SigningProxy } from '../../src/proxy/signing-proxy.js';
import type { VerifyProxy } from '../../src/testing/index.js';
import { CliExited, startCliServer, useProxyProcesses, type CliServer } from '../support/cli-server.js';
import { runCli } from '../support/cli-run.js';
import { TEST_CREDENTIALS } from '../support/stack.js';
import { rawExchange } from '../support/raw-http.js';

const ENV: NodeJS.ProcessEnv = {
  PATH: process.env.PATH, HOME: process.env.HOME,
  AWS_CONFIG_FILE: '/nonexistent', AWS_SHARED_CREDENTIALS_FILE: '/nonexistent', AWS_EC2_METADATA_DISABLED: 'true',
  AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey, AWS_REGION: 'us-east-1',
};

interface Answer { status: number; headers: IncomingHttpHeaders; body: string }

function call(port: number, options: { method?: string; path?: string; headers?: Record<string, string>; body?: string | Buffer; host?: string; localAddress?: string }): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: options.host ?? '127.0.0.1', port, method: options.method ?? 'GET', path: options.path ?? '/', headers: options.headers, agent: false, localAddress: options.localAddress }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => { body += d.toString(); });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    // The proxy may answer (503) and close before the whole upload is written.
    req.on('error', (error: NodeJS.ErrnoException) => (error.code === 'EPIPE' || error.code === 'ECONNRESET' ? undefined : reject(error)));
    req.end(options.body);
  });
}

interface Upload { answer: string; closed: boolean; sentAfterAnswer: number }

/**
 * Sends `head` and then body bytes (raw, or as chunks when `chunked`) as fast as the proxy
 * takes them, until it closes the connection or `timeoutMs` passes; counts what it took
 * after its answer arrived.
 */
function upload(port: number, head: string, options: { chunked?: boolean; timeoutMs?: number } = {}): Promise<Upload> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    const piece = Buffer.alloc(64 * 1024, 0x61);
    const chunk = options.chunked ? Buffer.concat([Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from('\r\n')]) : piece;
    let answer = '';
    let answered = false;
    let sentAfterAnswer = 0;
    let done = false;
    const end = (closed: boolean): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ answer, closed, sentAfterAnswer });
    };
    const timer = setTimeout(() => end(false), options.timeoutMs ?? 3000);
    socket.on('data', (d: Buffer) => {
      answer += d.toString('latin1');
      answered ||= /\r\n\r\n[\s\S]*\}/.test(answer);
    });
    socket.on('error', () => end(true));
    socket.on('close', () => end(true));
    const pump = (): void => {
      while (!done && !socket.destroyed) {
        if (answered) sentAfterAnswer += chunk.length;
        if (!socket.write(chunk)) return void socket.once('drain', pump);
      }
    };
    socket.write(head, pump);
  });
}

/** A PUT declaring `length` bytes, its body left to the test to write; `status` is its answer's. */
function declaredUpload(port: number, length: number): { request: http.ClientRequest; status: Promise<number> } {
  const request = http.request({ host: '127.0.0.1', port, method: 'PUT', path: '/big/_doc/1', agent: false, headers: { 'content-type': 'application/json', 'content-length': String(length) } });
  const status = new Promise<number>((resolve, reject) => {
    request.on('response', (res) => { res.resume(); resolve(res.statusCode ?? 0); });
    request.on('error', reject);
  });
  return { request, status };
}

/** Writes raw bytes and resolves with everything read until the server closes or `until` matches. */
function raw(port: number, bytes: string, until: RegExp, timeoutMs = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let text = '';
    const timer = setTimeout(() => { socket.destroy(); resolve(text); }, timeoutMs);
    socket.on('data', (d: Buffer) => {
      text += d.toString('latin1');
      if (until.test(text)) { clearTimeout(timer); socket.destroy(); resolve(text); }
    });
    socket.on('error', (error) => { clearTimeout(timer); reject(error); });
    socket.on('close', () => { clearTimeout(timer); resolve(text); });
    socket.write(bytes);
  });
}

describe('signing proxy security (the spawned CLI)', function () {
  this.timeout(60_000);
  const processes = useProxyProcesses(ENV);
  let stub: VerifyProxy;
  before(() => { stub = processes.stub(); });
  const start = (args: string[], env: NodeJS.ProcessEnv = ENV): Promise<CliServer> => processes.start(['--target', stub.url, ...args], env);

  describe('browsers and DNS rebinding', () => {
    let proxy: CliServer;
    before(async () => { proxy = await start(['--allow-origin', 'https://grafana.example.com', '--allow-host', 'search.internal']); });

    it('a cross-site form POST (Origin of another site) is refused with 403 naming --allow-origin, and never signed', async () => {
      const before = stub.records.length;
      const answer = await call(proxy.port, {
        method: 'POST', path: '/logs/_close',
        headers: { origin: 'http://evil.example', 'sec-fetch-site': 'cross-site', 'content-type': 'application/x-www-form-urlencoded' },
        body: 'a=1',
      });
      assert.equal(answer.status, 403);
      assert.match(JSON.parse(answer.body).message, /--allow-origin http:\/\/evil\.example/);
      assert.equal(stub.records.length, before);
    });

    it('Sec-Fetch-Site cross-site without an Origin, and Origin: null, are refused too', async () => {
      const fetchSite = await call(proxy.port, { path: '/_cat/indices', headers: { 'sec-fetch-site': 'cross-site' } });
      assert.equal(fetchSite.status, 403);
      assert.match(JSON.parse(fetchSite.body).message, /--allow-origin/);
      assert.equal((await call(proxy.port, { method: 'POST', path: '/x/_doc', headers: { origin: 'null' }, body: '{}' })).status, 403);
    });

    it('an allowed origin, the proxy\'s own origin and a request without Origin (curl) go through', async () => {
      assert.equal((await call(proxy.port, { headers: { origin: 'https://grafana.example.com', 'sec-fetch-site': 'cross-site' } })).status, 200);
      assert.equal((await call(proxy.port, { headers: { origin: `http://127.0.0.1:${proxy.port}`, 'sec-fetch-site': 'same-origin' } })).status, 200);
      assert.equal((await call(proxy.port, { path: '/_cluster/health' })).status, 200);
      assert.equal(stub.records.at(-1)?.verdict, 'accepted');
    });

    it('an allowed origin\'s CORS preflight is answered here (204, its origin, methods, headers, max-age, Vary), never forwarded', async () => {
      const before = stub.records.length;
      const answer = await call(proxy.port, {
        method: 'OPTIONS', path: '/logs/_search',
        headers: { origin: 'https://grafana.example.com', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type, authorization' },
      });
      assert.equal(answer.status, 204);
      assert.equal(answer.headers['access-control-allow-origin'], 'https://grafana.example.com');
      assert.match(String(answer.headers['access-control-allow-methods']), /\bPOST\b/);
      assert.equal(answer.headers['access-control-allow-headers'], 'content-type, authorization');
      assert.ok(Number(answer.headers['access-control-max-age']) > 0);
      assert.match(String(answer.headers.vary), /^Origin\b/);
      assert.equal(answer.headers['access-control-allow-private-network'], undefined);
      // Chromium's Private Network Access: a public page reaching a proxy on loopback asks first.
      const pna = await call(proxy.port, {
        method: 'OPTIONS', path: '/logs/_search',
        headers: { origin: 'https://grafana.example.com', 'access-control-request-method': 'GET', 'access-control-request-private-network': 'true' },
      });
      assert.equal(pna.status, 204);
      assert.equal(pna.headers['access-control-allow-private-network'], 'true');
      assert.equal(stub.records.length, before, 'the preflight reached the target');
    });

    it('a preflight from an origin not allowed gets 403 and is never forwarded; an OPTIONS without Access-Control-Request-Method is forwarded', async () => {
      const before = stub.records.length;
      const refused = await call(proxy.port, { method: 'OPTIONS', path: '/logs/_search', headers: { origin: 'http://evil.example', 'access-control-request-method': 'POST', 'access-control-request-private-network': 'true' } });
      assert.equal(refused.status, 403);
      assert.equal(refused.headers['access-control-allow-origin'], undefined);
      assert.equal(refused.headers['access-control-allow-private-network'], undefined, 'a page not allowed given leave to reach the private network');
      assert.equal(stub.records.length, before);
      assert.equal((await call(proxy.port, { method: 'OPTIONS', path: '/', headers: { origin: 'https://grafana.example.com' } })).status, 200);
      assert.equal(stub.records.length, before + 1);
    });

    it('an allowed origin\'s answers carry Access-Control-Allow-Origin (its own) and Vary: Origin; a tool\'s carry none', async () => {
      const allowed = await call(proxy.port, { path: '/_cluster/health', headers: { origin: 'https://grafana.example.com' } });
      assert.equal(allowed.status, 200);
      assert.equal(allowed.headers['access-control-allow-origin'], 'https://grafana.example.com');
      assert.match(String(allowed.headers.vary), /Origin/);
      // The proxy's own answers too, so the page can read why.
      const own = await call(proxy.port, { path: '/../x', headers: { origin: 'https://grafana.example.com' } });
      assert.equal(own.headers['access-control-allow-origin'], 'https://grafana.example.com');
      assert.equal((await call(proxy.port, { path: '/_cluster/health' })).headers['access-control-allow-origin'], undefined);
    });

    it('an allowed origin\'s forwarded answers keep the target\'s Vary and add Origin once (200 streamed, 403 read), a tool\'s keep the target\'s alone', async () => {
      // /both: two Vary lines, one naming origin already; /denied: a refusal, read and replayed; /ok: Vary: Accept-Encoding.
      const target = http.createServer((req, res) => {
        req.resume();
        const body = req.url === '/denied' ? '{"message":"no permissions for [indices:data/read/search]"}' : '{}';
        const vary = req.url === '/both' ? ['Vary', 'Accept-Encoding', 'Vary', 'origin, Accept-Language'] : ['Vary', 'Accept-Encoding'];
        res.writeHead(req.url === '/denied' ? 403 : 200, ['Content-Type', 'application/json', ...vary, 'Content-Length', String(body.length)]);
        res.end(body);
      });
      await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
      try {
        const own = await processes.start(['--target', `http://127.0.0.1:${(target.address() as AddressInfo).port}`, '--allow-origin', 'https://grafana.example.com']);
        const browser = { origin: 'https://grafana.example.com' };
        for (const [path, status, vary] of [['/ok', 200, 'Accept-Encoding, Origin'], ['/denied', 403, 'Accept-Encoding, Origin'], ['/both', 200, 'Accept-Encoding, origin, Accept-Language']] as const) {
          const answer = await call(own.port, { path, headers: browser });
          assert.equal(answer.status, status, path);
          assert.equal(answer.headers['access-control-allow-origin'], 'https://grafana.example.com', path);
          assert.equal(answer.headers.vary, vary, path);
        }
        assert.equal((await call(own.port, { path: '/ok' })).headers.vary, 'Accept-Encoding');
      } finally {
        target.closeAllConnections();
        await new Promise<void>((resolve) => target.close(() => resolve()));
      }
    });

    it('--allow-origin "*" and --allow-origin null start with a warning saying what they allow', async () => {
      const any = await start(['--allow-origin', '*']);
      assert.match(any.stderr(), /warning: --allow-origin "\*": any web page .* AWS identity/);
      const sandboxed = await start(['--allow-origin', 'null']);
      assert.match(sandboxed.stderr(), /warning: --allow-origin null: .*sandboxed frames/);
      const named = await start(['--allow-origin', 'https://grafana.example.com']);
      assert.doesNotMatch(named.stderr(), /warning/);
    });

    it('a rebinding Host (a foreign name) is refused with 403 naming --allow-host', async () => {
      const answer = await call(proxy.port, { path: '/logs', method: 'DELETE', headers: { host: `attacker.example:${proxy.port}` } });
      assert.equal(answer.status, 403);
      assert.match(JSON.parse(answer.body).message, /--allow-host attacker\.example/);
    });

    it('a second Host line after 2050 other header lines (past Node\'s default maxHeadersCount) is still refused with 403, never forwarded', async () => {
      const before = stub.records.length;
      let head = `GET /x HTTP/1.1\r\nHost: 127.0.0.1:${proxy.port}\r\n`;
      for (let i = 0; i < 2050; i++) head += `a${i % 10}:\r\n`;
      head += 'Host: evil.example\r\nConnection: close\r\n\r\n';
      const text = await raw(proxy.port, head, /\r\n\r\n[\s\S]*\}/);
      assert.match(text, /^HTTP\/1\.1 403 /);
      assert.match(text, /more than one Host header line/);
      assert.equal(stub.records.length, before, 'the request reached the target');
    });

    it('Host of the listen address, localhost, 127.0.0.1, [::1] and an allowed name are accepted', async () => {
      for (const host of [`127.0.0.1:${proxy.port}`, `localhost:${proxy.port}`, 'localhost', `[::1]:${proxy.port}`, `search.internal:${proxy.port}`]) {
        assert.equal((await call(proxy.port, { headers: { host } })).status, 200, host);
      }
    });
  });

  describe('methods', () => {
    it('TRACE (a reflecting target would echo the signed headers): 405 with Allow, never forwarded; TRACK never forwarded either', async () => {
      const proxy = await start([]);
      const before = stub.records.length;
      const text = await raw(proxy.port, `TRACE /_search HTTP/1.1\r\nHost: 127.0.0.1:${proxy.port}\r\nConnection: close\r\n\r\n`, /\r\n\r\n[\s\S]*\}/);
      assert.match(text, /^HTTP\/1\.1 405 /);
      assert.match(text, /\r\nallow: GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS\r\n/i);
      assert.match(text, /TRACE is not forwarded/);
      // Node's parser refuses TRACK itself (400) today; either way it must not reach the target.
      const track = await raw(proxy.port, `TRACK /_search HTTP/1.1\r\nHost: 127.0.0.1:${proxy.port}\r\nConnection: close\r\n\r\n`, /\r\n\r\n/);
      assert.match(track, /^HTTP\/1\.1 40[05] /);
      assert.equal(stub.records.length, before, 'a TRACE or TRACK reached the target');
    });
  });

  describe('methods beyond those announced', () => {
    it('PROPFIND, QUERY and other extension methods: 405 with Allow, never signed or sent (the preflight and Allow named seven; every other went out signed)', async () => {
      const proxy = await start([]);
      const before = stub.records.length;
      for (const method of ['PROPFIND', 'QUERY', 'MKCOL', 'SEARCH']) {
        const text = await raw(proxy.port, `${method} /_search HTTP/1.1\r\nHost: 127.0.0.1:${proxy.port}\r\nConnection: close\r\n\r\n`, /\r\n\r\n[\s\S]*\}/);
        assert.match(text, /^HTTP\/1\.1 405 /, method);
        assert.match(text, /\r\nallow: GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS\r\n/i, method);
      }
      assert.equal(stub.records.length, before, 'an extension method reached the target');
      // (control) the seven go on.
      assert.equal((await call(proxy.port, { method: 'PATCH' })).status, 200);
    });
  });

  describe('refusals before the inbound credential', () => {
    /** Whether the proxy closes a kept-alive connection (no Connection: close asked) after its answer. */
    function closedAfter(port: number, head: string): Promise<{ status: string; closed: boolean }> {
      return new Promise((resolve, reject) => {
        const socket = net.connect(port, '127.0.0.1');
        let text = '';
        const timer = setTimeout(() => { socket.destroy(); resolve({ status: text.split('\r\n')[0]!, closed: false }); }, 2000);
        socket.on('data', (d: Buffer) => { text += d.toString('latin1'); });
        socket.on('error', (error) => { clearTimeout(timer); reject(error); });
        socket.on('close', () => { clearTimeout(timer); resolve({ status: text.split('\r\n')[0]!, closed: true }); });
        socket.write(`${head}\r\n\r\n`);
      });
    }

    it('401, 429 and a refused Host close the connection, so sockets without the credential cannot hold --max-connections; an accepted request keeps it alive', async () => {
      const proxy = await start(['--basic-auth', 'ops:right-password'], { ...ENV });
      const host = `Host: 127.0.0.1:${proxy.port}`;
      const wrong = `Authorization: Basic ${Buffer.from('ops:wrong').toString('base64')}`;
      assert.deepEqual(await closedAfter(proxy.port, `GET /_search HTTP/1.1\r\n${host}`), { status: 'HTTP/1.1 401 Unauthorized', closed: true });
      assert.deepEqual(await closedAfter(proxy.port, `GET /_search HTTP/1.1\r\nHost: evil.example`), { status: 'HTTP/1.1 403 Forbidden', closed: true });
      for (let i = 0; i < 10; i++) await closedAfter(proxy.port, `GET /_search HTTP/1.1\r\n${host}\r\n${wrong}`);
      assert.deepEqual(await closedAfter(proxy.port, `GET /_search HTTP/1.1\r\n${host}\r\n${wrong}`), { status: 'HTTP/1.1 429 Too Many Requests', closed: true });
      const other = await start(['--basic-auth', 'ops:right-password'], { ...ENV });
      const right = `Authorization: Basic ${Buffer.from('ops:right-password').toString('base64')}`;
      assert.deepEqual(await closedAfter(other.port, `GET /_search HTTP/1.1\r\nHost: 127.0.0.1:${other.port}\r\n${right}`), { status: 'HTTP/1.1 200 OK', closed: false });
    });
  });

  describe('a request without Host (HTTP/1.0)', () => {
    it('403 and closed, nothing sent; a health probe without Host is answered', async () => {
      const proxy = await start(['--health-path', '/healthz'], { ...ENV });
      const before = stub.records.length;
      const answer = await rawExchange(proxy.port, 'GET /_search HTTP/1.0\r\n\r\n');
      assert.match(answer, /^HTTP\/1\.1 403 Forbidden/);
      assert.match(answer, /the request has no Host header/);
      assert.equal(stub.records.length, before, 'sent to the target');
      const probe = await rawExchange(proxy.port, 'GET /healthz HTTP/1.0\r\n\r\n');
      assert.match(probe, /^HTTP\/1\.1 200 OK/);
    });
  });

  describe('listening beyond loopback', () => {
    it('--listen 0.0.0.0 without an inbound credential exits 2 with the fix', async () => {
      const run = await runCli(['proxy', '--target', stub.url, '--listen', '0.0.0.0', '--port', '0'], { env: ENV });
      assert.equal(run.code, 2, run.stderr);
      assert.match(run.stderr, /Listening on 0\.0\.0\.0 lends .*--auth-token.*AWS_SIGV4_PROXY_TOKEN.*--allow-unauthenticated-remote/);
    });

    it('the old spelling --host 0.0.0.0 is refused the same way, with a deprecation warning', async () => {
      const run = await runCli(['proxy', '--target', stub.url, '--host', '0.0.0.0', '--port', '0'], { env: ENV });
      assert.equal(run.code, 2);
      assert.match(run.stderr, /warning: --host is deprecated for the listen address: use --listen/);
    });

    it('with a token from AWS_SIGV4_PROXY_TOKEN: a warning, 401 without the token, 200 with it, the token never printed', async () => {
      const token = 'proxy-inbound-token-0123456789';
      const proxy = await start(['--listen', '0.0.0.0'], { ...ENV, AWS_SIGV4_PROXY_TOKEN: token });
      assert.match(proxy.stderr(), /warning: listening on 0\.0\.0\.0, beyond loopback: every client must send the inbound credential/);
      const denied = await call(proxy.port, {});
      assert.equal(denied.status, 401);
      assert.match(String(denied.headers['www-authenticate']), /^Bearer/);
      assert.equal((await call(proxy.port, { headers: { authorization: 'Bearer wrong-token-of-another-length' } })).status, 401);
      assert.equal((await call(proxy.port, { headers: { authorization: `Bearer ${token}` } })).status, 200);
      // Our credential is not passed on: the stub saw a SigV4 Authorization only.
      assert.equal(stub.records.at(-1)?.verdict, 'accepted');
      assert.ok(!proxy.stderr().includes(token) && !proxy.stdout().includes(token));
    });

    it('basic auth works the same way', async () => {
      const proxy = await start(['--listen', '0.0.0.0', '--basic-auth', 'ops:s3cret-pass']);
      assert.equal((await call(proxy.port, {})).status, 401);
      assert.equal((await call(proxy.port, { headers: { authorization: `Basic ${Buffer.from('ops:s3cret-pass').toString('base64')}` } })).status, 200);
      assert.equal((await call(proxy.port, { headers: { authorization: `Basic ${Buffer.from('ops:wrong').toString('base64')}` } })).status, 401);
    });

    it('--allow-unauthenticated-remote starts, with a louder warning', async () => {
      const proxy = await start(['--listen', '0.0.0.0', '--allow-unauthenticated-remote']);
      assert.match(proxy.stderr(), /WITHOUT an inbound credential/);
      assert.equal((await call(proxy.port, {})).status, 200);
    });
  });

  describe('the inbound credential', () => {
    const token = 's3cr3t-inbound-TOKEN-1234567890';
    const basic = 'alice:pa55word-XYZ';
    const basicHeader = `Basic ${Buffer.from(basic).toString('base64')}`;

    it('also in the query or in another header: 400 naming where, never the value, nothing sent to the target', async () => {
      const proxy = await start(['--basic-auth', basic], { ...ENV, AWS_SIGV4_PROXY_TOKEN: token });
      const before = stub.records.length;
      const cases: Array<{ path: string; headers: Record<string, string>; where: RegExp }> = [
        { path: '/x?password=pa55word-XYZ&u=alice%3Apa55word-XYZ', headers: { authorization: basicHeader }, where: /in the query/ },
        { path: '/x', headers: { authorization: `Bearer ${token}`, 'x-auth': `Bearer ${token}` }, where: /in header "x-auth"/ },
        { path: `/x?access_token=${encodeURIComponent(token)}`, headers: { authorization: `Bearer ${token}` }, where: /in the query/ },
        { path: '/x', headers: { authorization: `Bearer ${token}`, 'x-forwarded-authorization': basicHeader }, where: /in header "x-forwarded-authorization"/ },
      ];
      for (const { path, headers, where } of cases) {
        const answer = await call(proxy.port, { path, headers });
        assert.equal(answer.status, 400, `${path} ${JSON.stringify(Object.keys(headers))}: ${answer.body}`);
        assert.match(JSON.parse(answer.body).message, where);
        assert.match(JSON.parse(answer.body).message, /Authorization only/);
        for (const secret of [token, 'pa55word-XYZ', Buffer.from(basic).toString('base64')]) assert.ok(!answer.body.includes(secret), secret);
      }
      assert.equal(stub.records.length, before, 'a request carrying the credential reached the target');
      // In Authorization only (a Connection header naming it too): forwarded, signed, without it.
      assert.equal((await call(proxy.port, { path: '/x', headers: { authorization: `Bearer ${token}`, connection: 'authorization' } })).status, 200);
      assert.equal(stub.records.at(-1)?.verdict, 'accepted');
      await new Promise((r) => setTimeout(r, 200));
      assert.match(proxy.stderr(), /400 GET .*credential/);
      for (const secret of [token, 'pa55word-XYZ']) assert.ok(!proxy.stderr().includes(secret), secret);
    });

    it('after 10 failed basic-auth attempts from one address: 429 with Retry-After, even with the right password, nothing sent', async () => {
      const proxy = await start(['--basic-auth', 'alice:pa55word-XYZ']);
      const basic = (pair: string) => `Basic ${Buffer.from(pair).toString('base64')}`;
      const before = stub.records.length;
      for (let i = 0; i < 10; i++) assert.equal((await call(proxy.port, { headers: { authorization: basic(`alice:guess-${i}`) } })).status, 401, `attempt ${i + 1}`);
      for (const authorization of [basic('alice:guess-again'), basic('alice:pa55word-XYZ')]) {
        const answer = await call(proxy.port, { headers: { authorization } });
        assert.equal(answer.status, 429, authorization);
        const wait = Number(answer.headers['retry-after']);
        assert.ok(Number.isInteger(wait) && wait >= 1 && wait <= 60, String(answer.headers['retry-after']));
        assert.match(JSON.parse(answer.body).message, /too many requests without the right inbound credential/);
      }
      assert.equal(stub.records.length, before);
      assert.ok(!proxy.stderr().includes('pa55word-XYZ'));
    });

    it('guesses under another user name do not lock the user out; the user\'s own are counted for all of loopback (127.0.0.2 as 127.0.0.1)', async () => {
      const proxy = await start(['--basic-auth', 'alice:pa55word-XYZ']);
      const basic = (pair: string) => `Basic ${Buffer.from(pair).toString('base64')}`;
      for (let i = 0; i < 10; i++) assert.equal((await call(proxy.port, { headers: { authorization: basic(`mallory:guess-${i}`) } })).status, 401, `mallory ${i + 1}`);
      assert.equal((await call(proxy.port, { headers: { authorization: basic('mallory:guess-again') } })).status, 429);
      assert.equal((await call(proxy.port, { headers: { authorization: 'Bearer not-a-user-at-all' } })).status, 429, 'no user name counts with the other names');
      assert.equal((await call(proxy.port, { path: '/x', headers: { authorization: basic('alice:pa55word-XYZ') } })).status, 200, 'alice after mallory');
      for (let i = 0; i < 10; i++) {
        assert.equal((await call(proxy.port, { headers: { authorization: basic(`alice:guess-${i}`) }, localAddress: '127.0.0.2' })).status, 401, `alice from 127.0.0.2, ${i + 1}`);
      }
      assert.equal((await call(proxy.port, { headers: { authorization: basic('alice:pa55word-XYZ') }, localAddress: '127.0.0.3' })).status, 429, 'another loopback address');
      assert.equal((await call(proxy.port, { headers: { authorization: basic('alice:pa55word-XYZ') } })).status, 429, '127.0.0.1');
    });

    it('with a token alone, wrong attempts are not throttled (a random token is not guessable; clients behind one address would lock each other out)', async () => {
      const proxy = await start([], { ...ENV, AWS_SIGV4_PROXY_TOKEN: token });
      for (let i = 0; i < 12; i++) assert.equal((await call(proxy.port, { headers: { authorization: `Bearer wrong-${i}` } })).status, 401, `attempt ${i + 1}`);
      assert.equal((await call(proxy.port, { path: '/x', headers: { authorization: `Bearer ${token}` } })).status, 200);
    });
  });

  describe('connections', () => {
    /** Resolves with how long the server took to close `socket` (or undefined if it did not within `withinMs`). */
    const closedWithin = (socket: net.Socket, withinMs: number): Promise<number | undefined> => new Promise((resolve) => {
      const t0 = Date.now();
      const timer = setTimeout(() => resolve(undefined), withinMs);
      socket.on('error', () => undefined);
      // Read on: a paused socket never sees the server's end, so never closes.
      socket.resume();
      socket.once('close', () => { clearTimeout(timer); resolve(Date.now() - t0); });
    });
    const connect = (port: number): Promise<net.Socket> => new Promise((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1', () => resolve(socket));
      socket.once('error', reject);
    });
    /** One request on a kept-alive socket; resolves with its answer once the JSON body is in. */
    const ask = (socket: net.Socket, port: number): Promise<string> => new Promise((resolve) => {
      let text = '';
      const onData = (d: Buffer): void => {
        text += d.toString('latin1');
        if (/\r\n\r\n[\s\S]*\}/.test(text)) { socket.off('data', onData); resolve(text); }
      };
      socket.on('data', onData);
      socket.write(`GET /x HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`);
    });

    it('a connection that sends half its request head is closed after --header-timeout', async () => {
      const proxy = await start(['--header-timeout', '1s']);
      const socket = await connect(proxy.port);
      socket.write(`GET /x HTTP/1.1\r\nHost: 127.0.0.1:${proxy.port}\r\n`);
      const idle = await connect(proxy.port);
      const [half, silent] = await Promise.all([closedWithin(socket, 8000), closedWithin(idle, 8000)]);
      assert.ok(half !== undefined && half >= 900 && half < 4000, `half a head closed after ${half} ms`);
      assert.ok(silent !== undefined && silent < 4000, `a silent connection closed after ${silent} ms`);
    });

    it('with --max-connections 3, a 4th connection is dropped while a request on a kept-alive one still succeeds', async () => {
      const proxy = await start(['--max-connections', '3']);
      const kept = await connect(proxy.port);
      assert.match(await ask(kept, proxy.port), /^HTTP\/1\.1 200 /);
      const idle = [await connect(proxy.port), await connect(proxy.port)];
      await new Promise((r) => setTimeout(r, 200));
      const fourth = net.connect(proxy.port, '127.0.0.1');
      assert.ok((await closedWithin(fourth, 3000)) !== undefined, 'the 4th connection was not dropped');
      assert.match(await ask(kept, proxy.port), /^HTTP\/1\.1 200 /);
      for (const socket of [kept, ...idle]) socket.destroy();
    });

    it('--max-connections and --header-timeout are in --help', async () => {
      const run = await runCli(['proxy', '--help'], { env: ENV });
      assert.match(run.stdout, /--max-connections <n>/);
      assert.match(run.stdout, /--header-timeout <duration>/);
    });
  });

  describe('bounds on the upstream and on bodies', () => {
    it('a target that never answers: 504 after --upstream-timeout', async () => {
      const sockets: net.Socket[] = [];
      const hanging = net.createServer((socket) => { sockets.push(socket); });
      await new Promise<void>((resolve) => hanging.listen(0, '127.0.0.1', resolve));
      try {
        const proxy = await startCliServer(['proxy', '--target', `http://127.0.0.1:${(hanging.address() as AddressInfo).port}`, '--port', '0', '--upstream-timeout', '700ms'], ENV);
        processes.track(proxy);
        const t0 = Date.now();
        const answer = await call(proxy.port, { path: '/_search' });
        const ms = Date.now() - t0;
        assert.equal(answer.status, 504);
        assert.match(JSON.parse(answer.body).message, /did not answer within 700 ms \(--upstream-timeout\)/);
        assert.ok(ms >= 650 && ms < 10_000, `${ms} ms`);
      } finally {
        for (const s of sockets) s.destroy();
        hanging.close();
      }
    });

    it('uploads past --max-inflight-body-bytes get 503 with Retry-After while another is held', async () => {
      const proxy = await start(['--max-inflight-body-bytes', '1000000']);
      // The first upload declares 600 kB and sends 500 kB of it: what arrived stays held.
      const { request: slow, status: slowAnswer } = declaredUpload(proxy.port, 600_000);
      slow.write(`{"a":"${'y'.repeat(500_000 - 6)}`);
      await new Promise((r) => setTimeout(r, 300));
      const second = await call(proxy.port, { method: 'PUT', path: '/big/_doc/2', headers: { 'content-type': 'application/json' }, body: `{"a":"${'x'.repeat(599_990)}"}` });
      assert.equal(second.status, 503);
      assert.equal(second.headers['retry-after'], '1');
      assert.match(JSON.parse(second.body).message, /--max-inflight-body-bytes/);
      slow.end(`${'y'.repeat(100_000 - 2)}"}`);
      assert.equal(await slowAnswer, 200);
      // Released: the next one fits again.
      assert.equal((await call(proxy.port, { method: 'PUT', path: '/big/_doc/3', headers: { 'content-type': 'application/json' }, body: `{"a":"${'x'.repeat(599_990)}"}` })).status, 200);
    });

    it('a body past its first MiB holds the rest of its declared length: it is not refused halfway, another that would not fit is (503), and it arrives signed whole', async () => {
      // Before: read as chunks and joined (twice its size at the end) and counted only as its
      // bytes came, so the second upload below was taken and the first, started earlier,
      // refused 503 after 1.5 MB of it had been sent.
      const before = stub.records.length;
      const proxy = await start(['--max-inflight-body-bytes', '6000000']);
      const size = 4_000_000;
      const { request: slow, status: slowAnswer } = declaredUpload(proxy.port, size);
      slow.write(`{"a":"${'y'.repeat(1_500_000 - 6)}`);
      await new Promise((r) => setTimeout(r, 300));
      const second = await call(proxy.port, { method: 'PUT', path: '/big/_doc/2', headers: { 'content-type': 'application/json' }, body: `{"a":"${'x'.repeat(2_999_990)}"}` });
      assert.equal(second.status, 503, second.body);
      assert.match(JSON.parse(second.body).message, /--max-inflight-body-bytes/);
      slow.end(`${'y'.repeat(size - 1_500_000 - 2)}"}`);
      assert.equal(await slowAnswer, 200);
      assert.equal(stub.records.length, before + 1);
      assert.equal(stub.records.at(-1)!.verdict, 'accepted', 'the body sent is not the one signed');
      // All given back: the second fits now.
      assert.equal((await call(proxy.port, { method: 'PUT', path: '/big/_doc/2', headers: { 'content-type': 'application/json' }, body: `{"a":"${'x'.repeat(2_999_990)}"}` })).status, 200);
    });

    it('idle clients that declared large bodies hold no budget: another body goes through at once; they get 408 after --body-idle-timeout, closed', async () => {
      const proxy = await start(['--max-inflight-body-bytes', '1000000', '--body-idle-timeout', '1s']);
      // Three clients declare 333 kB each (999 kB of the 1 MB budget) and send 6 bytes.
      const idle = [1, 2, 3].map((n) => raw(proxy.port,
        `PUT /big/_doc/${n} HTTP/1.1\r\nHost: 127.0.0.1:${proxy.port}\r\nContent-Type: application/json\r\nContent-Length: 333000\r\n\r\n{"a":"`, /\r\n\r\n[\s\S]*\}/, 5000));
      await new Promise((r) => setTimeout(r, 200));
      const t0 = Date.now();
      const other = await call(proxy.port, { method: 'PUT', path: '/big/_doc/4', headers: { 'content-type': 'application/json' }, body: `{"a":"${'x'.repeat(10_000)}"}` });
      assert.equal(other.status, 200, other.body);
      assert.ok(Date.now() - t0 < 1000, `${Date.now() - t0} ms`);
      for (const text of await Promise.all(idle)) {
        assert.match(text, /^HTTP\/1\.1 408 /);
        assert.match(text, /\r\nconnection: close\r\n/i);
        assert.match(text, /no byte of the request body came for 1000 ms.*--body-idle-timeout/);
      }
    });

    it('after a 413 (declared over --max-body-bytes) the connection closes: the rest of the body is not read', async () => {
      const proxy = await start(['--max-body-bytes', '1000']);
      const sent = await upload(proxy.port, `PUT /logs/_doc/1 HTTP/1.1\r\nHost: 127.0.0.1:${proxy.port}\r\nContent-Type: application/json\r\nContent-Length: 1500000000\r\n\r\n`);
      assert.match(sent.answer, /^HTTP\/1\.1 413 /);
      assert.match(sent.answer, /\r\nconnection: close\r\n/i);
      assert.ok(sent.closed, `still reading ${sent.sentAfterAnswer} bytes after the 413`);
      assert.ok(sent.sentAfterAnswer < 64 * 1024 * 1024, `${sent.sentAfterAnswer} bytes taken after the 413`);
    });

    it('a declared body larger than the whole in-flight budget: 413 at once, no Retry-After (it could never fit), nothing sent', async () => {
      const before = stub.records.length;
      const proxy = await start(['--max-inflight-body-bytes', '1000000']);
      const answer = await call(proxy.port, { method: 'PUT', path: '/big/_doc/1', headers: { 'content-type': 'application/json' }, body: `{"a":"${'x'.repeat(1_200_000)}"}` });
      assert.equal(answer.status, 413, answer.body);
      assert.equal(answer.headers['retry-after'], undefined);
      assert.match(JSON.parse(answer.body).message, /the body \(1200008 bytes\) is larger than --max-inflight-body-bytes \(1000000\).*Start the proxy with a larger --max-inflight-body-bytes/);
      assert.equal(stub.records.length, before);
    });

    it('a chunked body passing the whole in-flight budget alone: 413, no Retry-After (it could never fit), and the connection closes', async () => {
      const before = stub.records.length;
      const proxy = await start(['--max-inflight-body-bytes', '1000000']);
      const sent = await upload(proxy.port, `PUT /logs/_doc/1 HTTP/1.1\r\nHost: 127.0.0.1:${proxy.port}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n`, { chunked: true });
      assert.match(sent.answer, /^HTTP\/1\.1 413 /);
      assert.doesNotMatch(sent.answer, /\r\nretry-after:/i);
      assert.match(sent.answer, /larger than --max-inflight-body-bytes \(1000000\), all the proxy holds for signing at once/);
      assert.match(sent.answer, /\r\nconnection: close\r\n/i);
      assert.ok(sent.closed, `still reading ${sent.sentAfterAnswer} bytes after the 413`);
      assert.equal(stub.records.length, before);
    });

    it('Expect: 100-continue with a Content-Length over the limit: 413 at once, no 100 Continue', async () => {
      const proxy = await start(['--max-body-bytes', '1000']);
      const text = await raw(proxy.port,
        `PUT /logs/_doc/1 HTTP/1.1\r\nHost: 127.0.0.1:${proxy.port}\r\nContent-Type: application/json\r\nContent-Length: 90000000\r\nExpect: 100-continue\r\n\r\n`,
        /\r\n\r\n[\s\S]*\}/);
      assert.match(text, /^HTTP\/1\.1 413 /);
      assert.doesNotMatch(text, /100 Continue/);
      assert.match(text, /--max-body-bytes/);
    });

    it('Expect: 100-continue within the limit gets 100 Continue and goes through', async () => {
      const proxy = await start(['--max-body-bytes', '1000']);
      const text = await raw(proxy.port,
        `PUT /logs/_doc/1 HTTP/1.1\r\nHost: 127.0.0.1:${proxy.port}\r\nContent-Type: application/json\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n`,
        /100 Continue/);
      assert.match(text, /^HTTP\/1\.1 100 Continue/);
    });
  });

  describe('a target path prefix is a boundary', () => {
    let proxy: CliServer;
    before(async () => { proxy = await startCliServer(['proxy', '--target', `${stub.url}/logs-app`, '--port', '0'], ENV); processes.track(proxy); });

    for (const path of ['/../_cluster/settings', '/%2e%2e/_cluster/settings', '/%2E%2E%2F_cluster/settings', '/a/../../_cluster/settings', '/..%5c_cluster/settings']) {
      it(`${path} is refused with 400 and never signed`, async () => {
        const before = stub.records.length;
        const answer = await call(proxy.port, { method: 'PUT', path, headers: { 'content-type': 'application/json' }, body: '{"persistent":{}}' });
        assert.equal(answer.status, 400);
        assert.match(JSON.parse(answer.body).message, /leave the target's path prefix \/logs-app/);
        assert.equal(stub.records.length, before);
      });
    }

    it('a raw "#" in the request-target (/a#/../../_cluster/settings) is refused with 400 and never signed', async () => {
      const before = stub.records.length;
      const text = await raw(proxy.port, `GET /a#/../../_cluster/settings HTTP/1.1\r\nHost: 127.0.0.1:${proxy.port}\r\nConnection: close\r\n\r\n`, /\r\n\r\n[\s\S]*\}/);
      assert.match(text, /^HTTP\/1\.1 400 /);
      assert.match(JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4)).message, /raw "#".*%23/);
      assert.equal(stub.records.length, before);
    });

    it('a path under the prefix goes through, prefixed', async () => {
      assert.equal((await call(proxy.port, { path: '/_search?q=a..b' })).status, 200);
      assert.equal(stub.records.at(-1)?.path, '/logs-app/_search?q=a..b');
    });
  });

  describe('the access log', () => {
    it('one line per request, no userinfo, no presigning secret, no token; --log-format json', async () => {
      const proxy = await start(['--log-format', 'json']);
      const sessionLike = 'FwoGZXIvYXdzEJT//////////wEaDSECRET';
      await raw(proxy.port, `GET http://alice:hunter2@127.0.0.1:${proxy.port}/_search?X-Amz-Signature=abc123def&X-Amz-Security-Token=${sessionLike} HTTP/1.1\r\nHost: 127.0.0.1:${proxy.port}\r\nConnection: close\r\n\r\n`, /\r\n\r\n[\s\S]+/);
      await call(proxy.port, { path: '/_cat/health' });
      await call(proxy.port, { path: '/x', headers: { host: 'evil.example' } });
      await new Promise((r) => setTimeout(r, 200));
      const lines = proxy.stderr().trim().split('\n').filter((l) => l.startsWith('{'));
      assert.equal(lines.length, 3, proxy.stderr());
      const entries = lines.map((l) => JSON.parse(l) as { method: string; path: string; status: number; time: string });
      // The first is the stub's 403 (presigning parameters next to an Authorization header), passed on.
      assert.deepEqual(entries.map((e) => e.status), [403, 200, 403]);
      for (const text of [proxy.stderr(), proxy.stdout()]) {
        for (const secret of ['alice', 'hunter2', 'abc123def', sessionLike, TEST_CREDENTIALS.secretAccessKey]) assert.ok(!text.includes(secret), secret);
        assert.doesNotMatch(text, /Signature=[0-9a-f]{64}/);
      }
      assert.match(entries[0]!.path, /^\/_search\?X-Amz-Signature=\[REDACTED\]&X-Amz-Security-Token=\[REDACTED\]$/);
      assert.ok(entries.every((e) => typeof e.time === 'string' && typeof e.method === 'string'));
    });
  });

  it('the access log masks the inbound token and basic-auth password by value, and the values of credential-named query parameters', async () => {
    const token = 'inbound-tok3n-in-a-query-0123456789';
    const password = 'basic-pa55word-in-a-path';
    const proxy = await start(['--basic-auth', `ops:${password}`], { ...ENV, AWS_SIGV4_PROXY_TOKEN: token });
    const bearer = { authorization: `Bearer ${token}` };
    const paths = [
      `/_search?access_token=${token}`, `/_search?q=${encodeURIComponent(token)}`, `/${password}/_doc/1`, `/_search?x=${Buffer.from(`ops:${password}`).toString('base64')}`,
      '/_search?password=hunter3&api_key=key-a1&APIKEY=key-a2&auth=key-a3&Authorization=key-a4&x-api-key=key-a5&token=key-a6&size=10',
    ];
    for (const path of paths) await call(proxy.port, { path, headers: bearer });
    await call(proxy.port, { path: `/_search?access_token=${token}` });
    await new Promise((r) => setTimeout(r, 200));
    const log = proxy.stderr();
    assert.equal(log.split('\n').filter((l) => / GET \//.test(l)).length, paths.length + 1, log);
    for (const secret of [token, encodeURIComponent(token), password, 'hunter3', 'key-a1', 'key-a2', 'key-a3', 'key-a4', 'key-a5', 'key-a6', Buffer.from(`ops:${password}`).toString('base64')]) {
      assert.ok(!log.includes(secret), `${secret} in the log:\n${log}`);
    }
    assert.match(log, /GET \/_search\?password=\[REDACTED\]&api_key=\[REDACTED\]&APIKEY=\[REDACTED\]&auth=\[REDACTED\]&Authorization=\[REDACTED\]&x-api-key=\[REDACTED\]&token=\[REDACTED\]&size=10 /);
    assert.match(log, /GET \/\[REDACTED\]\/_doc\/1 /);
  });

  it('the proxy object prints no inbound token and no static secret (inspect, JSON)', async () => {
    const token = 'inbound-token-never-printed-0123456789';
    const proxy = await SigningProxy.start({ target: stub.url, inboundAuth: { token, basic: 'ops:basic-pass-never-printed' }, signing: { region: 'us-east-1', credentials: { ...TEST_CREDENTIALS } } });
    try {
      for (const text of [inspect(proxy, { depth: 10, showHidden: true }), JSON.stringify(proxy), inspect((proxy as unknown as { auth: unknown }).auth, { depth: 10 }), JSON.stringify((proxy as unknown as { auth: unknown }).auth)]) {
        for (const secret of [token, 'basic-pass-never-printed', TEST_CREDENTIALS.secretAccessKey]) assert.ok(!text.includes(secret), `${secret} in ${text.slice(0, 200)}`);
      }
      assert.equal((await call(proxy.port, { headers: { authorization: `Bearer ${token}` } })).status, 200);
    } finally {
      await proxy.close();
    }
  });

  it('a proxy that fails to start reports why (CliExited carries the exit code)', async () => {
    await assert.rejects(startCliServer(['proxy', '--target', stub.url, '--listen', '0.0.0.0', '--port', '0'], ENV), (error: unknown) => error instanceof CliExited && error.code === 2);
  });
});
