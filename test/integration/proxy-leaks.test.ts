/**
 * Every answer the signing proxy makes itself (401, 403, 400, 405, 408, 413, 500, 502, 503,
 * 504, and its metrics; its 400 `unsignable` no raw client reaches: Node's parser refuses what
 * the signer would first), every access log line and rejection it reports, grepped for the secret
 * key, the session token, the inbound token and each signature it sent upstream, in each form
 * text takes them in (raw, URL-encoded, JSON-escaped, hex, base64, base64url, ...): 0 hits.
 * Raw bytes on loopback, so that each refusal is reached exactly.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { secretForms } from '../../src/errors.js';
import { formatLogLine } from '../../src/proxy/access-log.js';
import { rawExchange as raw } from '../support/raw-http.js';
import { SigningProxy, type SigningProxyOptions } from '../../src/proxy/signing-proxy.js';

const SECRET = 'leaks/Test+Secret/0123456789abcdefghijklm';
const SESSION = 'IQoJleaks+session/Token==';
const INBOUND = 'in/bound+Token=leaks-0123';
const CREDENTIALS = { accessKeyId: 'AKIDLEAKSTEST0000001', secretAccessKey: SECRET, sessionToken: SESSION };

/** What a value looks like in text: the library's forms (raw, URL, JSON, HTML, hex, base64...) and plain hex/base64url of its bytes. */
function formsOf(value: string): string[] {
  const bytes = Buffer.from(value, 'utf8');
  return [...secretForms(value), bytes.toString('hex'), bytes.toString('hex').toUpperCase(), bytes.toString('base64'), bytes.toString('base64url')];
}

describe('signing proxy: nothing it answers or logs holds a secret, token or signature', function () {
  this.timeout(30_000);
  const signatures: string[] = [];
  const output: string[] = [];
  const servers: Array<{ close(): Promise<void> }> = [];
  let target: http.Server;
  let targetPort: number;

  async function proxyOf(options: Partial<SigningProxyOptions>): Promise<SigningProxy> {
    const proxy = await SigningProxy.start({
      target: `http://127.0.0.1:${targetPort}/pre`,
      signing: { region: 'us-east-1', service: 'es', credentials: CREDENTIALS, maxBufferedBodyBytes: 64 * 1024 },
      inboundAuth: { token: INBOUND },
      maxInflightBodyBytes: 32 * 1024,
      upstreamTimeoutMs: 300,
      bodyIdleTimeoutMs: 300,
      onRequest: (entry) => { output.push(formatLogLine(entry, 'text'), formatLogLine(entry, 'json')); },
      onRejection: (error, entry) => { output.push(String(error), JSON.stringify(error), JSON.stringify(entry)); },
      ...options,
    });
    servers.push(proxy);
    return proxy;
  }

  before(async () => {
    // Records each signature; `/pre/hang` is never answered (504), anything else is.
    target = http.createServer((req, res) => {
      const signature = /Signature=([0-9a-f]{64})/.exec(String(req.headers.authorization))?.[1];
      if (signature !== undefined) signatures.push(signature);
      req.resume();
      if (req.url?.startsWith('/pre/hang')) return;
      res.end('{}');
    });
    await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
    targetPort = (target.address() as AddressInfo).port;
  });

  after(async () => {
    for (const server of servers) await server.close();
    target.closeAllConnections();
    await new Promise<void>((resolve) => target.close(() => resolve()));
  });

  it('each refusal, with the statuses expected, and then a grep of all of it: 0 hits', async () => {
    const proxy = await proxyOf({});
    const H = `Host: 127.0.0.1:${proxy.port}\r\n`;
    const A = `Authorization: Bearer ${INBOUND}\r\n`;
    const C = 'Connection: close\r\n';
    const cases: Array<[number, string]> = [
      [401, `GET /a HTTP/1.1\r\n${H}${C}\r\n`],
      [401, `GET /a HTTP/1.1\r\n${H}Authorization: Bearer ${INBOUND.slice(0, -1)}\r\n${C}\r\n`],
      [403, `GET /a HTTP/1.1\r\nHost: evil.example\r\n${A}${C}\r\n`],
      [403, `POST /a HTTP/1.1\r\n${H}Origin: https://evil.example\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n${A}${C}\r\n{}`],
      [400, `GET /../_cluster/settings HTTP/1.1\r\n${H}${A}${C}\r\n`],
      [405, `TRACE /a HTTP/1.1\r\n${H}${A}${C}\r\n`],
      [405, `CONNECT evil.example:443 HTTP/1.1\r\nHost: evil.example:443\r\n\r\n`],
      [413, `POST /a HTTP/1.1\r\n${H}${A}Content-Length: 70000\r\n${C}\r\n`],
      [413, `POST /a HTTP/1.1\r\n${H}${A}Content-Length: 40000\r\n${C}\r\n`],
      [408, `POST /a HTTP/1.1\r\n${H}${A}Content-Length: 10\r\n${C}\r\n{}`],
      [504, `GET /hang HTTP/1.1\r\n${H}${A}${C}\r\n`],
      // The inbound credential also in the query: refused (it would be passed on), naming where only.
      [400, `GET /ok?access_token=${encodeURIComponent(INBOUND)}&token=${INBOUND} HTTP/1.1\r\n${H}${A}${C}\r\n`],
    ];
    for (const [status, bytes] of cases) {
      const answer = await raw(proxy.port, bytes);
      assert.match(answer, new RegExp(`^HTTP/1\\.1 ${status} `), `${bytes.split('\r\n')[0]}: ${answer.slice(0, 300)}`);
      output.push(answer);
    }
    output.push(proxy.metrics.render(proxy.signer.credentialCache().stats, proxy.inFlightBodyBytes));

    // The target unreachable: 502.
    const closed = net.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const closedPort = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const down = await proxyOf({ target: `http://127.0.0.1:${closedPort}` });
    const downAnswer = await raw(down.port, `GET /a HTTP/1.1\r\nHost: 127.0.0.1:${down.port}\r\n${A}${C}\r\n`);
    assert.match(downAnswer, /^HTTP\/1\.1 502 /);
    output.push(downAnswer);

    // A provider whose identity expires and whose refresh then fails quoting it: 500 (and a
    // bare 503 from the readiness path). What it quotes is what the proxy held and signed with.
    let calls = 0;
    const failing = await proxyOf({
      readyPath: '/ready',
      signing: {
        region: 'us-east-1', service: 'es', credentials: async () => {
          if (calls++ === 0) return { ...CREDENTIALS, expiration: new Date(Date.now() + 2000) };
          throw new Error(`cannot refresh ${CREDENTIALS.accessKeyId} ${SECRET} ${SESSION}`);
        },
      },
    });
    const first = await raw(failing.port, `GET /a HTTP/1.1\r\nHost: 127.0.0.1:${failing.port}\r\n${A}${C}\r\n`);
    assert.match(first, /^HTTP\/1\.1 200 /);
    await new Promise((resolve) => setTimeout(resolve, 2200));
    for (const [status, path] of [[500, '/a'], [503, '/ready']] as const) {
      const answer = await raw(failing.port, `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${failing.port}\r\n${A}${C}\r\n`);
      assert.match(answer, new RegExp(`^HTTP/1\\.1 ${status} `), answer.slice(0, 300));
      output.push(answer);
    }

    assert.ok(signatures.length >= 2, `signatures seen upstream: ${signatures.length}`);
    const forms = [...new Set([SECRET, SESSION, INBOUND, ...signatures].flatMap(formsOf))].filter((f) => f.length >= 8);
    const all = output.join('\n');
    const hits = forms.filter((form) => all.includes(form));
    assert.deepEqual(hits, [], all.slice(0, 2000));
    assert.ok(output.length > cases.length * 2, 'the log lines were collected');
  });
});

describe('signing proxy: what a target echoes in answer headers is scrubbed, as in bodies', function () {
  this.timeout(15_000);
  let target: http.Server;
  let proxy: SigningProxy;
  const sent: Array<{ token: string; signature: string; authorization: string }> = [];
  // Another party's presigned URL (not ours): a redirect to it must reach the client as sent.
  const FOREIGN = 'https://bucket.s3.amazonaws.com/k?X-Amz-Security-Token=IQoJforeign%2Btoken&X-Amz-Signature=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef';

  before(async () => {
    // Echoes what it was sent in the headers of its answer, each in a form of its own: a
    // debug header, www-authenticate, x-amzn-*, one whose name is the signature. `/<status>`.
    target = http.createServer((req, res) => {
      const authorization = String(req.headers.authorization);
      const token = String(req.headers['x-amz-security-token']);
      const signature = /Signature=([0-9a-f]{64})/.exec(authorization)![1]!;
      sent.push({ token, signature, authorization });
      req.resume();
      const status = Number(req.url!.slice(1));
      res.writeHead(status, [
        'x-debug-request', JSON.stringify(req.headers),
        'WWW-Authenticate', `AWS4-HMAC-SHA256 realm="es", ${authorization}`,
        'x-amzn-token-b64', Buffer.from(token).toString('base64'),
        'x-amzn-token-hex', Buffer.from(token).toString('hex'),
        'x-echo-token', encodeURIComponent(token),
        'x-echo-authorization', authorization,
        `x-${signature}`, '1',
        ...(status === 302 ? ['location', FOREIGN] : []),
        'content-type', 'application/json',
      ]);
      res.end('{}');
    });
    await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
    proxy = await SigningProxy.start({
      target: `http://127.0.0.1:${(target.address() as AddressInfo).port}`,
      signing: { region: 'us-east-1', service: 'es', credentials: CREDENTIALS },
    });
  });

  after(async () => {
    await proxy.close();
    target.closeAllConnections();
    await new Promise<void>((resolve) => target.close(() => resolve()));
  });

  it('500, 404, 200 and 302 answers echoing the token, signature and Authorization in headers: 0 hits in the whole answer; a foreign presigned Location kept', async () => {
    const answers: string[] = [];
    for (const status of [500, 404, 200, 302]) {
      const answer = await raw(proxy.port, `GET /${status} HTTP/1.1\r\nHost: 127.0.0.1:${proxy.port}\r\nConnection: close\r\n\r\n`);
      assert.match(answer, new RegExp(`^HTTP/1\\.1 ${status} `), answer.slice(0, 300));
      // The other headers still go through, scrubbed or not.
      assert.match(answer, /\r\nx-amzn-token-b64: /i);
      answers.push(answer);
    }
    assert.equal(sent.length, 4);
    const forms = [...new Set([SECRET, SESSION, ...sent.flatMap((s) => [s.token, s.signature, s.authorization])].flatMap(formsOf))].filter((f) => f.length >= 8);
    const all = answers.join('\n');
    assert.deepEqual(forms.filter((form) => all.includes(form)), [], all.slice(0, 3000));
    assert.ok(answers[3]!.includes(`\r\nlocation: ${FOREIGN}\r\n`), answers[3]);
  });
});
