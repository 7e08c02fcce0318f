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
      [200, `GET /ok?access_token=${encodeURIComponent(INBOUND)}&token=${INBOUND} HTTP/1.1\r\n${H}${A}${C}\r\n`],
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
