/**
 * Request framing and identity through the signing proxy, with raw bytes on loopback: what a
 * client can make the proxy sign and send. A request whose framing two HTTP parsers could read
 * differently (request smuggling) must never be signed; what is signed goes to the target's
 * host, framed by the proxy itself (the body buffered, one Content-Length), with the signing
 * headers ours alone whatever the client named in `Connection` or sent itself.
 */
import assert from 'node:assert/strict';
import http, { type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { rawExchange as raw } from '../support/raw-http.js';
import { SigningProxy } from '../../src/proxy/signing-proxy.js';
import { VerifyProxy } from '../../src/testing/verify-proxy.js';

const CREDENTIALS = { accessKeyId: 'AKIDFRAMINGTEST00001', secretAccessKey: 'framing/Test+Secret/0123456789abcdefghij', sessionToken: 'IQoJframing+session/token=' };

interface Seen { method: string; url: string; headers: IncomingHttpHeaders; rawHeaders: string[]; body: string }

// An answer's body (`{}`) runs into the next status line: matched anywhere, not per line.
const statusLines = (text: string): string[] => [...text.matchAll(/HTTP\/1\.1 \d{3}[^\r]*/g)].map((m) => m[0]);

describe('signing proxy: request framing and identity (raw bytes)', function () {
  this.timeout(30_000);
  const seen: Seen[] = [];
  let target: http.Server;
  let targetHost: string;
  let proxy: SigningProxy;

  before(async () => {
    target = http.createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => { body += d.toString('latin1'); });
      req.on('end', () => {
        seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, rawHeaders: req.rawHeaders, body });
        res.end('{}');
      });
    });
    await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
    targetHost = `127.0.0.1:${(target.address() as AddressInfo).port}`;
    proxy = await SigningProxy.start({ target: `http://${targetHost}`, signing: { region: 'us-east-1', service: 'es', credentials: CREDENTIALS } });
  });
  beforeEach(() => { seen.length = 0; });
  after(async () => {
    await proxy.close();
    target.closeAllConnections();
    await new Promise<void>((resolve) => target.close(() => resolve()));
  });

  const H = 'Host: 127.0.0.1\r\n';
  const ambiguous: Array<[string, string]> = [
    ['Content-Length and Transfer-Encoding', `POST /a HTTP/1.1\r\n${H}Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\n${H}\r\n`],
    ['Transfer-Encoding then Content-Length', `POST /a HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\nContent-Length: 40\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\n${H}\r\n`],
    ['two different Content-Lengths', `POST /a HTTP/1.1\r\n${H}Content-Length: 2\r\nContent-Length: 30\r\n\r\n{}GET /smuggled HTTP/1.1\r\n\r\n`],
    ['a Content-Length list', `POST /a HTTP/1.1\r\n${H}Content-Length: 2, 2\r\n\r\n{}`],
    ['Transfer-Encoding: chunked, identity', `POST /a HTTP/1.1\r\n${H}Transfer-Encoding: chunked, identity\r\n\r\n2\r\n{}\r\n0\r\n\r\n`],
    ['an obs-folded Transfer-Encoding', `POST /a HTTP/1.1\r\n${H}Transfer-Encoding:\r\n chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n`],
    ['white space before the colon', `POST /a HTTP/1.1\r\n${H}Transfer-Encoding : chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n`],
    ['bare LF line ends', `POST /a HTTP/1.1\n${H.trim()}\nContent-Length: 2\n\n{}`],
    ['a chunk size with a 0x prefix', `POST /a HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n0x2\r\n{}\r\n0\r\n\r\n`],
  ];
  for (const [name, bytes] of ambiguous) {
    it(`${name}: 400 from the parser, nothing signed or sent`, async () => {
      const answer = await raw(proxy.port, bytes);
      assert.deepEqual(statusLines(answer), ['HTTP/1.1 400 Bad Request'], answer);
      assert.deepEqual(seen, []);
    });
  }

  it('headers named as Object.prototype members (constructor, __proto__, toString) are signed and sent as the client sent them, through the proxy and the verifying stub', async () => {
    // The proxy, the stub and the signer folded headers into a plain {}: `constructor` was
    // signed and sent as "function Object() { [native code] },value", `__proto__` dropped.
    const stub = await VerifyProxy.start({ target: `http://${targetHost}`, region: 'us-east-1', service: 'es', credentials: [CREDENTIALS] });
    const viaStub = await SigningProxy.start({ target: stub.url, signing: { region: 'us-east-1', service: 'es', credentials: CREDENTIALS } });
    try {
      const answer = await raw(viaStub.port, `GET /a HTTP/1.1\r\n${H}Constructor: one\r\n__proto__: two\r\ntoString: three\r\nConnection: close\r\n\r\n`);
      assert.deepEqual(statusLines(answer), ['HTTP/1.1 200 OK'], answer);
      assert.equal(stub.records[0]?.verdict, 'accepted');
      assert.deepEqual(stub.records[0]?.signedHeaders.filter((h) => !['host', 'x-amz-date', 'x-amz-security-token'].includes(h)), ['__proto__', 'constructor', 'tostring']);
      const lines = (seen[0]?.rawHeaders ?? []).map((v, i, all) => (i % 2 === 0 ? `${v.toLowerCase()}: ${all[i + 1]}` : '')).filter((l) => /^(constructor|__proto__|tostring):/.test(l));
      assert.deepEqual(lines, ['constructor: one', '__proto__: two', 'tostring: three']);
    } finally {
      await viaStub.close();
      await stub.close();
    }
  });

  it('two Host lines (the first a loopback name): 403, nothing sent', async () => {
    const answer = await raw(proxy.port, `GET /a HTTP/1.1\r\nHost: localhost:${proxy.port}\r\nHost: evil.example\r\nConnection: close\r\n\r\n`);
    assert.deepEqual(statusLines(answer), ['HTTP/1.1 403 Forbidden'], answer);
    assert.match(answer, /more than one Host header line/);
    assert.deepEqual(seen, []);
  });

  it('pipelined requests are answered in order, each signed on its own; a chunked body goes on with its length, its trailers dropped', async () => {
    const answer = await raw(proxy.port,
      `POST /one HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\n2\r\n{}\r\n0\r\nX-Amz-Security-Token: EVIL\r\nAuthorization: EVIL\r\n\r\n` +
      `GET /two HTTP/1.1\r\n${H}Connection: close\r\n\r\n`);
    assert.deepEqual(statusLines(answer), ['HTTP/1.1 200 OK', 'HTTP/1.1 200 OK'], answer);
    assert.deepEqual(seen.map((s) => `${s.method} ${s.url}`), ['POST /one', 'GET /two']);
    assert.equal(seen[0]!.body, '{}');
    assert.equal(seen[0]!.headers['content-length'], '2');
    assert.equal(seen[0]!.headers['transfer-encoding'], undefined);
    assert.notEqual(seen[0]!.headers.authorization, seen[1]!.headers.authorization);
    for (const s of seen) assert.equal(s.headers['x-amz-security-token'], CREDENTIALS.sessionToken);
  });

  it('signing headers are ours alone: a client\'s authorization and x-amz-* signing headers, Connection naming them or Host, Upgrade (websocket, h2c) never change what is signed', async () => {
    await raw(proxy.port,
      `GET /h HTTP/1.1\r\n${H}Connection: close, x-amz-security-token, authorization, host, x-amz-date, HTTP2-Settings, Upgrade\r\n` +
      'Authorization: AWS4-HMAC-SHA256 Credential=EVIL/20200101/us-east-1/es/aws4_request, SignedHeaders=host, Signature=00\r\n' +
      'X-Amz-Security-Token: EVIL\r\nX-Amz-Date: 20200101T000000Z\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAoAAAAAIAAAAA\r\n\r\n');
    await raw(proxy.port, `GET /w HTTP/1.1\r\n${H}Connection: Upgrade, close\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n\r\n`);
    assert.equal(seen.length, 2);
    for (const s of seen) {
      const lines = (name: string) => s.rawHeaders.filter((_, i) => i % 2 === 0 && s.rawHeaders[i]!.toLowerCase() === name).length;
      assert.equal(s.headers.host, targetHost);
      assert.match(String(s.headers.authorization), /^AWS4-HMAC-SHA256 Credential=AKIDFRAMINGTEST00001\/\d{8}\/us-east-1\/es\/aws4_request, SignedHeaders=[a-z0-9;-]*host[a-z0-9;-]*;x-amz-date;x-amz-security-token/);
      assert.equal(s.headers['x-amz-security-token'], CREDENTIALS.sessionToken);
      assert.match(String(s.headers['x-amz-date']), /^\d{8}T\d{6}Z$/);
      assert.notEqual(s.headers['x-amz-date'], '20200101T000000Z');
      for (const name of ['authorization', 'x-amz-security-token', 'x-amz-date', 'host']) assert.equal(lines(name), 1, name);
      assert.equal(s.headers.upgrade, undefined);
      assert.equal(s.headers['http2-settings'], undefined);
    }
  });

  it('another host named any way (absolute-form, X-Forwarded-Host, //evil path, backslashes) is never signed for: the target\'s Host is', async () => {
    const sends = [
      `GET http://evil.example/abs HTTP/1.1\r\n${H}Connection: close\r\n\r\n`,
      `GET https://user:pass@evil.example:443/abs2?x=1 HTTP/1.1\r\n${H}Connection: close\r\n\r\n`,
      `GET //evil.example/dbl HTTP/1.1\r\n${H}Connection: close\r\n\r\n`,
      `GET /\\evil.example/bs HTTP/1.1\r\n${H}X-Forwarded-Host: evil.example\r\nForwarded: host=evil.example\r\nConnection: close\r\n\r\n`,
    ];
    for (const bytes of sends) await raw(proxy.port, bytes);
    assert.deepEqual(seen.map((s) => s.url), ['/abs', '/abs2?x=1', '//evil.example/dbl', '/\\evil.example/bs']);
    for (const s of seen) {
      assert.equal(s.headers.host, targetHost);
      assert.ok(!JSON.stringify(s.rawHeaders).includes('user:pass'));
    }
  });
});
