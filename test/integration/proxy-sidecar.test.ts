/**
 * The signing proxy as a sidecar, run as the CLI (spawned): liveness without AWS,
 * readiness, Prometheus metrics, a TLS listener, graceful SIGTERM, credentials from a
 * role (the local STS), a profile and the default chain, Dashboards'/Kibana's own headers
 * passing through, repeated Cookie headers joined as cookies are, and header add/strip.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http, { type IncomingHttpHeaders } from 'node:http';
import https from 'node:https';
import net, { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SigningProxy, type SigningProxyLogEntry } from '../../src/proxy/signing-proxy.js';
import type { VerifyProxy } from '../../src/testing/index.js';
import { startCliServer, useProxyProcesses, type CliServer } from '../support/cli-server.js';
import { LocalSts } from '../support/local-sts.js';
import { TEST_CREDENTIALS, TLS } from '../support/stack.js';

const BASE_ENV: NodeJS.ProcessEnv = {
  PATH: process.env.PATH, HOME: process.env.HOME,
  AWS_CONFIG_FILE: '/nonexistent', AWS_SHARED_CREDENTIALS_FILE: '/nonexistent', AWS_EC2_METADATA_DISABLED: 'true', AWS_REGION: 'us-east-1',
};
const ENV: NodeJS.ProcessEnv = { ...BASE_ENV, AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey };

interface Answer { status: number; headers: IncomingHttpHeaders; body: string }

function call(url: string, options: { method?: string; headers?: Record<string, string>; body?: string; ca?: Buffer } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const send = u.protocol === 'https:' ? https.request : http.request;
    const req = send(u, { method: options.method ?? 'GET', headers: options.headers, agent: false, ca: options.ca }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => { body += d.toString(); });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

/** An upstream that answers after `delayMs` with the headers it received. */
async function startEcho(delayMs = 0): Promise<{ url: string; seen: IncomingHttpHeaders[]; close(): Promise<void> }> {
  const seen: IncomingHttpHeaders[] = [];
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => setTimeout(() => {
      seen.push(req.headers);
      const body = JSON.stringify({ headers: req.headers });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) });
      res.end(body);
    }, delayMs));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

describe('signing proxy as a sidecar (the spawned CLI)', function () {
  this.timeout(60_000);
  const processes = useProxyProcesses(ENV);
  let stub: VerifyProxy;
  before(() => { stub = processes.stub(); });
  const start = (args: string[], env: NodeJS.ProcessEnv = ENV): Promise<CliServer> => processes.start(args, env);

  it('--health-path answers without calling AWS; --ready-path says whether credentials resolve', async () => {
    const proxy = await start(['--target', stub.url, '--health-path', '/healthz', '--ready-path', '/readyz', '--metrics-path', '/metrics']);
    const before = stub.records.length;
    const health = await call(`${proxy.url}/healthz`);
    assert.equal(health.status, 200);
    assert.deepEqual(JSON.parse(health.body), { status: 'ok' });
    assert.deepEqual(JSON.parse((await call(`${proxy.url}/readyz`)).body), { status: 'ready' });
    assert.equal(stub.records.length, before, 'health and readiness reached the target');
    const metrics = await call(`${proxy.url}/metrics`);
    // One provider call at start (env credentials), none for the probes.
    assert.match(metrics.body, /^aws_sigv4_proxy_credential_refreshes_total 1$/m);
  });

  it('--ready-path when credentials do not resolve: a bare 503, the provider\'s error (account, role) in the log only', async () => {
    const entries: SigningProxyLogEntry[] = [];
    const arn = 'arn:aws:iam::123456789012:role/search-reader';
    const proxy = await SigningProxy.start({
      target: stub.url, readyPath: '/readyz',
      signing: { region: 'us-east-1', credentials: async () => { throw new Error(`User: arn:aws:sts::123456789012:assumed-role/ci/x is not authorized to perform: sts:AssumeRole on resource: ${arn}`); } },
      onRequest: (entry) => entries.push(entry),
    });
    try {
      const ready = await call(`${proxy.url}/readyz`);
      assert.equal(ready.status, 503);
      assert.deepEqual(JSON.parse(ready.body), { status: 'not ready' });
      assert.ok(!ready.body.includes('123456789012'));
      assert.match(entries.at(-1)?.error ?? '', /not ready: no credentials: .*123456789012.*search-reader/);
    } finally {
      await proxy.close();
    }
  });

  it('--metrics-path: Prometheus text with requests by status, refusals by reason and kind, credentials, bytes, latency histogram', async () => {
    const wrong = { ...ENV, AWS_SECRET_ACCESS_KEY: 'wrong/Secret+0123456789abcdefghijklmnopq' };
    const good = await start(['--target', stub.url, '--metrics-path', '/metrics']);
    const bad = await start(['--target', stub.url, '--metrics-path', '/metrics'], wrong);
    assert.equal((await call(`${good.url}/logs/_doc/1`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{"a":1}' })).status, 200);
    assert.equal((await call(`${good.url}/x`, { headers: { host: 'evil.example' } })).status, 403);
    assert.equal((await call(`${bad.url}/x`)).status, 403);
    const text = (await call(`${good.url}/metrics`)).body;
    assert.match(text, /^# TYPE aws_sigv4_proxy_requests_total counter$/m);
    assert.match(text, /^aws_sigv4_proxy_requests_total\{status="200"\} 1$/m);
    assert.match(text, /^aws_sigv4_proxy_requests_total\{status="403"\} 1$/m);
    assert.match(text, /^aws_sigv4_proxy_refusals_total\{reason="host"\} 1$/m);
    assert.match(text, /^aws_sigv4_proxy_request_body_bytes_total 7$/m);
    assert.match(text, /^aws_sigv4_proxy_credential_failures_total 0$/m);
    assert.match(text, /^aws_sigv4_proxy_upstream_latency_seconds_count 1$/m);
    assert.match(text, /^aws_sigv4_proxy_upstream_latency_seconds_bucket\{le="\+Inf"\} 1$/m);
    const badText = (await call(`${bad.url}/metrics`)).body;
    assert.match(badText, /^aws_sigv4_proxy_signature_refusals_total\{kind="signature-mismatch"\} 1$/m);
  });

  it('--tls-cert/--tls-key: an HTTPS listener', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'proxy-tls-'));
    try {
      writeFileSync(join(dir, 'cert.pem'), TLS.cert);
      writeFileSync(join(dir, 'key.pem'), TLS.key);
      const proxy = await start(['--target', stub.url, '--tls-cert', join(dir, 'cert.pem'), '--tls-key', join(dir, 'key.pem')]);
      assert.match(proxy.url, /^https:\/\/127\.0\.0\.1:\d+$/);
      const answer = await call(`${proxy.url}/_cluster/health`, { ca: TLS.cert });
      assert.equal(answer.status, 200);
      assert.equal(stub.records.at(-1)?.verdict, 'accepted');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('SIGTERM: stops accepting, finishes the request in flight (within --shutdown-timeout), exits 0', async () => {
    const slow = await startEcho(1500);
    try {
      const proxy = await startCliServer(['proxy', '--port', '0', '--target', slow.url, '--shutdown-timeout', '10s'], ENV);
      const inFlight = call(`${proxy.url}/_search`);
      await new Promise((r) => setTimeout(r, 300));
      proxy.child.kill('SIGTERM');
      await new Promise((r) => setTimeout(r, 200));
      await assert.rejects(call(`${proxy.url}/_search`), /ECONNREFUSED/);
      assert.equal((await inFlight).status, 200);
      assert.equal(await proxy.exited, 0);
      assert.match(proxy.stderr(), /proxy stopped/);
    } finally {
      await slow.close();
    }
  });

  it('SIGTERM past --shutdown-timeout cuts the request in flight and still exits', async () => {
    const slow = await startEcho(20_000);
    try {
      const proxy = await startCliServer(['proxy', '--port', '0', '--target', slow.url, '--shutdown-timeout', '300ms'], ENV);
      const inFlight = call(`${proxy.url}/_search`).then(() => 'answered', () => 'cut');
      await new Promise((r) => setTimeout(r, 200));
      const t0 = Date.now();
      proxy.child.kill('SIGTERM');
      assert.equal(await proxy.exited, 0);
      assert.ok(Date.now() - t0 < 5000);
      assert.equal(await inFlight, 'cut');
    } finally {
      await slow.close();
    }
  });

  it('--role-arn: credentials from STS AssumeRole (the local STS), accepted by the stub', async () => {
    const caller = { accessKeyId: 'AKIDROLECALLER000001', secretAccessKey: 'role/Caller+Secret0123456789abcdefghijk' };
    const sts = await LocalSts.start({ callers: [caller], proxies: [stub], durationSeconds: 900 });
    try {
      const proxy = await start(['--target', stub.url, '--role-arn', 'arn:aws:iam::123456789012:role/search-reader'],
        { ...BASE_ENV, AWS_ACCESS_KEY_ID: caller.accessKeyId, AWS_SECRET_ACCESS_KEY: caller.secretAccessKey, AWS_ENDPOINT_URL_STS: sts.url });
      assert.equal((await call(`${proxy.url}/_cluster/health`)).status, 200);
      const issued = sts.issued.at(-1)!;
      assert.equal(issued.roleArn, 'arn:aws:iam::123456789012:role/search-reader');
      assert.equal(stub.records.at(-1)?.accessKeyId, issued.accessKeyId);
      assert.equal(stub.records.at(-1)?.verdict, 'accepted');
    } finally {
      await sts.close();
    }
  });

  it('--profile, and the default chain (environment) when no flag names credentials', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'proxy-profile-'));
    try {
      writeFileSync(join(dir, 'credentials'), `[search]\naws_access_key_id = ${TEST_CREDENTIALS.accessKeyId}\naws_secret_access_key = ${TEST_CREDENTIALS.secretAccessKey}\n`);
      const proxy = await start(['--target', stub.url, '--profile', 'search'], { ...BASE_ENV, AWS_SHARED_CREDENTIALS_FILE: join(dir, 'credentials') });
      assert.equal((await call(`${proxy.url}/`)).status, 200);
      assert.equal(stub.records.at(-1)?.verdict, 'accepted');
      const chain = await start(['--target', stub.url]);
      assert.equal((await call(`${chain.url}/`)).status, 200);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('repeated Cookie headers go on as one, joined with "; " (RFC 6265), and signed', async () => {
    const echo = await startEcho();
    try {
      const proxy = await start(['--target', echo.url]);
      await new Promise<void>((resolve, reject) => {
        const socket = net.connect(proxy.port, '127.0.0.1');
        let text = '';
        socket.on('data', (d: Buffer) => { text += d.toString(); });
        socket.on('error', reject);
        socket.on('close', () => (/^HTTP\/1\.1 200 /.test(text) ? resolve() : reject(new Error(text))));
        socket.write(`GET /api/status HTTP/1.1\r\nHost: 127.0.0.1:${proxy.port}\r\nCookie: sid=a1\r\nCookie: theme=dark\r\nConnection: close\r\n\r\n`);
      });
      const seen = echo.seen.at(-1)!;
      assert.equal(seen.cookie, 'sid=a1; theme=dark');
      assert.ok(/SignedHeaders=([^,]+)/.exec(String(seen.authorization))![1]!.split(';').includes('cookie'));
    } finally {
      await echo.close();
    }
  });

  it('osd-xsrf, kbn-xsrf and osd-version pass through; --add-header sets, --strip-header removes', async () => {
    const echo = await startEcho();
    try {
      const proxy = await start(['--target', echo.url, '--add-header', 'x-team: search', '--strip-header', 'X-Forwarded-For']);
      const answer = await call(`${proxy.url}/api/saved_objects`, {
        method: 'POST', body: '{}',
        headers: { 'content-type': 'application/json', 'osd-xsrf': 'true', 'kbn-xsrf': 'reporting', 'osd-version': '2.19.0', 'x-forwarded-for': '10.0.0.9' },
      });
      assert.equal(answer.status, 200);
      const seen = echo.seen.at(-1)!;
      assert.equal(seen['osd-xsrf'], 'true');
      assert.equal(seen['kbn-xsrf'], 'reporting');
      assert.equal(seen['osd-version'], '2.19.0');
      assert.equal(seen['x-team'], 'search');
      assert.equal(seen['x-forwarded-for'], undefined);
      // All of them signed (the added one too); the stripped one is not.
      const signedHeaders = /SignedHeaders=([^,]+)/.exec(String(seen.authorization))![1]!.split(';');
      for (const name of ['osd-xsrf', 'kbn-xsrf', 'osd-version', 'x-team']) assert.ok(signedHeaders.includes(name), name);
      assert.ok(!signedHeaders.includes('x-forwarded-for'));
    } finally {
      await echo.close();
    }
  });
});
