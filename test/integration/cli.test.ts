/**
 * The `aws-sigv4-connection` command line, run as users run it (a child process, `tsx
 * src/cli/main.ts`, and the built bin when present): `request` like awscurl, `proxy` for tools
 * that cannot sign, `verify-proxy` for tests. Against the verifying stub alone and in
 * front of real OpenSearch. Every run also checks that no secret, token or signature
 * reached stdout or stderr.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http, { type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SigningProxy, type SigningProxyLogEntry } from '../../src/proxy/signing-proxy.js';
import { signature, signingKey } from '../../src/sigv4.js';
import { VerifyProxy, type VerifyProxyCredentials } from '../../src/testing/index.js';
import { startStub, useSignedStack } from '../support/stack.js';
import { startTcpForward, type TcpForward } from '../support/tcp-forward.js';
import { writeChunks } from '../support/chunked-upload.js';
import { CLI, REPO, runCli, type CliRun } from '../support/cli-run.js';

const BIN = join(REPO, 'dist', 'cjs', 'cli', 'main.js');

/** Test-only temporary credentials: the token makes `es` echo it in refusals, which must never be printed. */
const TEMP = {
  accessKeyId: 'ASIACLITEST000000001',
  secretAccessKey: 'cli/Temp+Secret0123456789abcdefghijklmnop',
  sessionToken: 'FwoGZXIvYXdzECLI//////////wEaDCliTestToken0123456789+xyz=',
};
const SECRETS = [TEMP.secretAccessKey, TEMP.sessionToken];

type Run = CliRun;

/** An environment with nothing of the machine's AWS setup: no profile, no metadata service. */
function cleanEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    AWS_CONFIG_FILE: '/nonexistent/aws-config',
    AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/aws-credentials',
    AWS_EC2_METADATA_DISABLED: 'true',
  };
  for (const [k, v] of Object.entries(extra)) if (v !== undefined) env[k] = v;
  return env;
}

function credentialEnv(c: { accessKeyId: string; secretAccessKey: string; sessionToken?: string } = TEMP, region = 'eu-west-1') {
  return { AWS_ACCESS_KEY_ID: c.accessKeyId, AWS_SECRET_ACCESS_KEY: c.secretAccessKey, AWS_SESSION_TOKEN: c.sessionToken, AWS_REGION: region };
}

function cli(args: string[], options: { env?: NodeJS.ProcessEnv; input?: string | Buffer; bin?: string } = {}): Promise<Run> {
  return runCli(args, { ...options, env: options.env ?? cleanEnv() });
}

function assertNoSecrets(text: string, extra: string[] = []): void {
  for (const secret of [...SECRETS, ...extra]) assert.ok(!text.includes(secret), `a secret value was printed: ...${secret.slice(-6)}`);
  assert.doesNotMatch(text, /Signature=[0-9a-f]{64}/);
}

interface Server {
  url: string;
  child: ChildProcess;
  output(): { stdout: string; stderr: string };
  stop(): Promise<void>;
}

/** Starts `proxy` or `verify-proxy` and waits for its "listening on URL" line. */
function startServer(args: string[], env: NodeJS.ProcessEnv): Promise<Server> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], { env, cwd: REPO });
    let stdout = '';
    let stderr = '';
    const exited = new Promise<void>((done) => child.once('exit', () => done()));
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      const m = /listening on (http:\/\/[\d.]+:\d+)/.exec(stdout);
      if (m) {
        resolve({
          url: m[1]!,
          child,
          output: () => ({ stdout, stderr }),
          stop: async () => {
            if (child.exitCode === null) child.kill('SIGTERM');
            await exited;
          },
        });
      }
    });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.once('exit', (code) => reject(new Error(`${args[0]} exited ${code} before listening: ${stdout} ${stderr}`)));
  });
}

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  reusedSocket: boolean;
}

/** A curl-like client: node:http, the headers and body given, nothing signed. */
function send(url: string, options: { method?: string; headers?: http.OutgoingHttpHeaders; body?: string | Buffer; chunks?: Buffer[]; agent?: http.Agent } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: options.method ?? 'GET', headers: options.headers, agent: options.agent ?? false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8'), reusedSocket: req.reusedSocket }));
      res.on('error', reject);
    });
    req.on('error', reject);
    if (options.chunks) {
      writeChunks(req, options.chunks, 30);
    } else {
      req.end(options.body);
    }
  });
}

/** An upstream that answers with what it received. */
async function startEcho(): Promise<{ url: string; seen: Array<{ method: string; url: string; headers: IncomingHttpHeaders; rawHeaders: string[]; body: string }>; close(): Promise<void> }> {
  const seen: Array<{ method: string; url: string; headers: IncomingHttpHeaders; rawHeaders: string[]; body: string }> = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, rawHeaders: req.rawHeaders, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(200, { 'content-type': 'application/json', 'x-upstream': 'echo' });
      res.end(JSON.stringify({ ok: true }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

describe('CLI aws-sigv4-connection', function () {
  this.timeout(60_000);

  describe('usage and bad input', () => {
    it('--help for the program and each command, exit 0', async () => {
      const top = await cli(['--help']);
      assert.equal(top.code, 0, top.stderr);
      for (const command of ['request', 'proxy', 'verify-proxy']) assert.match(top.stdout, new RegExp(`\\b${command}\\b`));
      const request = await cli(['request', '--help']);
      assert.equal(request.code, 0);
      for (const flag of ['--data', '--header', '--service', '--region', '--profile', '--role-arn', '--signing-host', '--include', '--debug-signing', '--dry-run', '--print-curl']) assert.ok(request.stdout.includes(flag), flag);
      // The old spelling still works but is not offered.
      assert.doesNotMatch(request.stdout, /--host\b/);
      const proxy = await cli(['proxy', '--help']);
      assert.equal(proxy.code, 0);
      for (const flag of ['--target', '--listen', '--port', '--service', '--region', '--profile', '--signing-host', '--auth-token', '--allow-host', '--allow-origin']) assert.ok(proxy.stdout.includes(flag), flag);
      assert.doesNotMatch(proxy.stdout, /--host\b/);
      const verify = await cli(['verify-proxy', '--help']);
      assert.equal(verify.code, 0);
      assert.match(verify.stdout, /--expected-host/);
    });

    const env = cleanEnv(credentialEnv());
    const noRegion = cleanEnv({ ...credentialEnv(), AWS_REGION: undefined });
    const cases: Array<[string, string[], NodeJS.ProcessEnv, RegExp]> = [
      ['no command', [], env, /Usage: aws-sigv4-connection/],
      ['an unknown command', ['fetch'], env, /unknown command: the commands are request, proxy, verify-proxy/],
      ['a missing URL', ['request', 'GET'], env, /missing required argument 'url'/],
      ['an unknown flag', ['request', 'GET', 'http://127.0.0.1:9/', '--bogus'], env, /unknown option '--bogus'/],
      ['a bad URL', ['request', 'GET', 'not a url'], env, /bad URL "not a url"/],
      ['a non-http URL', ['request', 'GET', 'ftp://example.com/'], env, /only http and https/],
      ['a bad method', ['request', 'GET/', 'http://127.0.0.1:9/'], env, /"GET\/" is not an HTTP method/],
      ['a bad header', ['request', 'GET', 'http://127.0.0.1:9/', '-H', 'no colon here'], env, /a -H value has no colon \(the 1st -H\): write it as "name: value"/],
      ['an authorization header', ['request', 'GET', 'http://127.0.0.1:9/', '-H', 'Authorization: Basic eDp5'], env, /signature is the authorization/],
      ['a missing --data file', ['request', 'POST', 'http://127.0.0.1:9/', '--data', '@/nonexistent/body.json'], env, /cannot read --data file "\/nonexistent\/body.json": ENOENT/],
      ['no region for a host that names none', ['request', 'GET', 'http://127.0.0.1:9/'], noRegion, /Cannot tell the AWS region for host "127\.0\.0\.1".*\[ERR_MISSING_REGION\]/],
      ['proxy without --target', ['proxy'], env, /required option '--target <url>' not specified/],
      ['proxy with a bad --target', ['proxy', '--target', 'localhost:9200'], env, /bad --target "localhost:9200": only http and https/],
      ['proxy with a bad port', ['proxy', '--target', 'http://127.0.0.1:9', '--port', '70000'], env, /a port is a whole number from 0 to 65535/],
      ['proxy without a region', ['proxy', '--target', 'http://127.0.0.1:9', '--port', '0'], noRegion, /\[ERR_MISSING_REGION\]/],
      ['verify-proxy without credentials', ['verify-proxy', '--port', '0'], cleanEnv(), /no credentials/],
      ['verify-proxy with a bad number', ['verify-proxy', '--port', 'x'], env, /argument 'x' is invalid/],
      ['verify-proxy with --max-body-bytes -1', ['verify-proxy', '--max-body-bytes', '-1'], env, /--max-body-bytes <n>' argument '-1' is invalid/],
      ['verify-proxy with --target x', ['verify-proxy', '--target', 'x'], env, /bad --target "x"/],
    ];
    for (const [what, args, runEnv, message] of cases) {
      it(`exit 2 for ${what}`, async () => {
        const run = await cli(args, { env: runEnv });
        assert.equal(run.code, 2, `exit ${run.code}\n${run.stdout}\n${run.stderr}`);
        assert.match(run.stderr, message);
        assertNoSecrets(run.stdout + run.stderr);
      });
    }

    it('exit 1 for a failure at run time: nothing listens, or no credentials anywhere', async () => {
      const refused = await cli(['request', 'GET', 'http://127.0.0.1:9/'], { env });
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, /ECONNREFUSED/);
      const none = await cli(['request', 'GET', 'http://127.0.0.1:9/'], { env: cleanEnv({ AWS_REGION: 'eu-west-1' }) });
      assert.equal(none.code, 1, none.stderr);
      assert.match(none.stderr, /CredentialsError \[ERR_CREDENTIALS_PROVIDER\]: The credential provider failed/);
    });
  });

  describe('request, against the stub alone (200 {})', () => {
    let stub: VerifyProxy;
    const env = cleanEnv(credentialEnv());
    before(async () => {
      stub = await startStub({ region: 'eu-west-1', credentials: [{ ...TEMP }] });
    });
    after(() => stub.close());
    beforeEach(() => stub.reset());

    it('a signed GET with credentials from the environment: body on stdout, exit 0', async () => {
      const run = await cli(['request', 'GET', `${stub.url}/_cluster/health?pretty`], { env });
      assert.equal(run.code, 0, run.stderr);
      assert.equal(run.stdout, '{}');
      assert.equal(run.stderr, '');
      assert.deepEqual(stub.records.map((r) => [r.verdict, r.method, r.path, r.accessKeyId]), [['accepted', 'GET', '/_cluster/health?pretty', TEMP.accessKeyId]]);
      assert.ok(stub.records[0]!.signedHeaders.includes('x-amz-security-token'));
    });

    it('-i prints the status line and headers first', async () => {
      const run = await cli(['request', 'HEAD', `${stub.url}/`, '-i'], { env });
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stdout, /^HTTP\/1\.1 200 OK\r\n/);
      assert.match(run.stdout, /\r\ncontent-type: application\/json\r\n/i);
    });

    it('a POST with --data - from stdin, and extra headers, all signed', async () => {
      const body = '{"query":{"match_all":{}}}';
      const run = await cli(['request', 'POST', `${stub.url}/logs/_search`, '--data', '-', '-H', 'X-Opaque-Id: cli-test', '-H', 'content-type: application/json; charset=utf-8'], { env, input: body });
      assert.equal(run.code, 0, run.stderr);
      const record = stub.records[0]!;
      assert.equal(record.verdict, 'accepted');
      assert.equal(record.bodyBytes, Buffer.byteLength(body));
      for (const name of ['content-type', 'content-length', 'x-opaque-id', 'host', 'x-amz-date', 'x-amz-security-token']) assert.ok(record.signedHeaders.includes(name), name);
    });

    it('--profile reads that profile of the shared credentials file (fromIni, loaded on use)', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'cli-profile-'));
      try {
        const file = join(dir, 'credentials');
        writeFileSync(file, `[default]\naws_access_key_id = AKIDWRONGDEFAULT0001\naws_secret_access_key = wrong\n\n[search]\naws_access_key_id = ${TEMP.accessKeyId}\naws_secret_access_key = ${TEMP.secretAccessKey}\naws_session_token = ${TEMP.sessionToken}\n`);
        const run = await cli(['request', 'GET', `${stub.url}/`, '--profile', 'search'], { env: cleanEnv({ AWS_SHARED_CREDENTIALS_FILE: file, AWS_REGION: 'eu-west-1' }) });
        assert.equal(run.code, 0, run.stderr);
        assert.equal(stub.records[0]?.verdict, 'accepted');
        const missing = await cli(['request', 'GET', `${stub.url}/`, '--profile', 'nope'], { env: cleanEnv({ AWS_SHARED_CREDENTIALS_FILE: file, AWS_REGION: 'eu-west-1' }) });
        assert.equal(missing.code, 1);
        assert.match(missing.stderr, /CredentialsError .*nope/);
        assertNoSecrets(run.stdout + run.stderr + missing.stdout + missing.stderr);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('--debug-signing prints the canonical request and string to sign, without secret, token or signature', async () => {
      const run = await cli(['request', 'PUT', `${stub.url}/logs/_doc/a%2Fb?refresh=true`, '--data', '{"a":1}', '--debug-signing'], { env });
      assert.equal(run.code, 0, run.stderr);
      const canonical = /\* canonical request:\n([\s\S]*?)\n\* string to sign:\n/.exec(run.stderr)?.[1];
      const toSign = /\* string to sign:\n([\s\S]*?)\n\* signed headers:/.exec(run.stderr)?.[1];
      assert.ok(canonical && toSign, run.stderr);
      assert.match(canonical, /^PUT\n\/logs\/_doc\/a%252Fb\nrefresh=true\n/);
      assert.match(canonical, /\nx-amz-security-token:\[REDACTED\]\n/);
      assert.ok(canonical.endsWith(`\n${createHash('sha256').update('{"a":1}').digest('hex')}`));
      assert.match(toSign, /^AWS4-HMAC-SHA256\n\d{8}T\d{6}Z\n\d{8}\/eu-west-1\/es\/aws4_request\n[0-9a-f]{64}$/);
      assert.match(run.stderr, /key ASIA\.\.\.0001/);
      // The signature of what was printed, made here: it must not be in the output.
      const day = toSign.split('\n')[2]!.slice(0, 8);
      const sig = signature(signingKey(TEMP.secretAccessKey, day, 'eu-west-1', 'es'), toSign);
      assertNoSecrets(run.stdout + run.stderr, [sig, TEMP.accessKeyId]);
    });

    it('an auth refusal: exit 1, the typed error with its hint on stderr, the token hidden in the echoed body', async () => {
      const wrong = { ...TEMP, secretAccessKey: 'cli/Wrong+Secret0123456789abcdefghijklmn' };
      const run = await cli(['request', 'GET', `${stub.url}/logs/_search?q=level:error`], { env: cleanEnv(credentialEnv(wrong)) });
      assert.equal(run.code, 1);
      assert.match(run.stderr, /SignatureRejectedError \[ERR_SIGNATURE_MISMATCH\]/);
      assert.match(run.stderr, /\n {2}kind: signature-mismatch\n {2}hint: Check the secret access key/);
      assert.match(run.stdout, /The Canonical String for this request should have been/);
      assert.match(run.stdout, /x-amz-security-token:\[REDACTED\]/);
      assertNoSecrets(run.stdout + run.stderr, [wrong.secretAccessKey]);
      assert.equal(stub.records[0]!.verdict, 'signature-mismatch');
    });
  });

  describe('request, against real OpenSearch 3 through the stub', () => {
    const stack = useSignedStack({ server: 'opensearch@3', service: 'es', region: 'eu-west-1', stub: { credentials: [{ ...TEMP }] } });
    const env = cleanEnv(credentialEnv());
    let dir: string;
    before(() => { dir = mkdtempSync(join(tmpdir(), 'cli-data-')); });
    after(() => rmSync(dir, { recursive: true, force: true }));

    it('PUT a document with --data @file, _bulk with an NDJSON file, then search it: exit 0 each', async () => {
      const { stubUrl, proxy } = stack();
      // Its own index: OPENSEARCH_URL may be a server that outlives test runs.
      const index = `cli-logs-${process.pid}-${Date.now()}`;
      const docFile = join(dir, 'doc.json');
      writeFileSync(docFile, JSON.stringify({ title: 'from the shell', level: 'error' }));
      const put = await cli(['request', 'PUT', `${stubUrl}/${index}/_doc/a%2Fb%20c?refresh=true`, '--data', `@${docFile}`], { env });
      assert.equal(put.code, 0, put.stderr + put.stdout);
      assert.equal(JSON.parse(put.stdout).result, 'created');

      const bulkFile = join(dir, 'bulk.ndjson');
      writeFileSync(bulkFile, `{"index":{"_index":"${index}","_id":"b1"}}\n{"title":"bulk one","level":"error"}\n{"index":{"_index":"${index}","_id":"b2"}}\n{"title":"bulk two","level":"info"}\n`);
      const bulk = await cli(['request', 'POST', `${stubUrl}/_bulk?refresh=true`, '--data', `@${bulkFile}`, '-H', 'content-type: application/x-ndjson'], { env });
      assert.equal(bulk.code, 0, bulk.stderr + bulk.stdout);
      const bulkResult = JSON.parse(bulk.stdout) as { errors: boolean; items: unknown[] };
      assert.equal(bulkResult.errors, false);
      assert.equal(bulkResult.items.length, 2);

      const search = await cli(['request', 'GET', `${stubUrl}/${index}/_search?q=level:error&sort=_id:asc`], { env });
      assert.equal(search.code, 0, search.stderr);
      const ids = (JSON.parse(search.stdout) as { hits: { hits: Array<{ _id: string }> } }).hits.hits.map((h) => h._id);
      assert.deepEqual(ids.sort(), ['a/b c', 'b1']);
      assert.ok(proxy.records.slice(-3).every((r) => r.verdict === 'accepted'));
      assert.equal((await cli(['request', 'DELETE', `${stubUrl}/${index}`], { env })).code, 0);
    });

    it('an HTTP error from the server: exit 1 with its body', async () => {
      const run = await cli(['request', 'GET', `${stack().stubUrl}/no-such-index-cli/_doc/1`], { env });
      assert.equal(run.code, 1);
      assert.match(run.stdout, /index_not_found_exception/);
      assert.equal(stack().proxy.records.at(-1)!.verdict, 'accepted');
    });
  });

  describe('proxy', () => {
    const stack = useSignedStack({ server: 'opensearch@3', service: 'es', region: 'eu-west-1', stub: { credentials: [{ ...TEMP }] } });
    const env = cleanEnv(credentialEnv());
    const servers: Server[] = [];
    const forwards: TcpForward[] = [];
    after(async () => {
      for (const s of servers) await s.stop();
      for (const f of forwards) await f.close();
    });
    async function proxyTo(target: string, extra: string[] = [], runEnv = env): Promise<Server> {
      const server = await startServer(['proxy', '--target', target, '--port', '0', ...extra], runEnv);
      servers.push(server);
      return server;
    }

    it('a curl-like client reaches OpenSearch through it: signed, accepted, its own Authorization never sent', async () => {
      const { stubUrl, proxy: stub } = stack();
      const server = await proxyTo(stubUrl);
      assert.match(server.output().stdout, new RegExp(`listening on http://127\\.0\\.0\\.1:\\d+ -> ${stubUrl.replace(/\./g, '\\.')} \\(service es, region eu-west-1\\)`));
      const from = stub.records.length;
      const info = await send(`${server.url}/`, { headers: { Authorization: 'Basic YWRtaW46YWRtaW4=', 'User-Agent': 'curl/8.5.0', Accept: '*/*' } });
      assert.equal(info.status, 200, info.body);
      assert.match(JSON.parse(info.body).version.distribution, /opensearch/);
      const record = stub.records[from]!;
      assert.equal(record.verdict, 'accepted');
      assert.equal(record.accessKeyId, TEMP.accessKeyId);
      assert.ok(!record.signedHeaders.includes('authorization'));
    });

    it('forwards exactly the signed request: Host rewritten, hop-by-hop and client auth dropped, chunked body sent with its length', async () => {
      const echo = await startEcho();
      try {
        const server = await proxyTo(echo.url);
        const chunks = [Buffer.from('{"index":{}}\n'), Buffer.from('{"a":1}\n')];
        const answer = await send(`${server.url}/logs/_bulk?refresh=wait_for`, {
          method: 'POST',
          headers: {
            'content-type': 'application/x-ndjson', authorization: 'Basic eDp5', 'proxy-authorization': 'Basic eDp5',
            connection: 'keep-alive, x-hop', 'x-hop': 'drop me', te: 'trailers', 'keep-alive': 'timeout=5', 'x-keep': 'kept',
            'x-amz-date': '20000101T000000Z', 'x-amz-security-token': 'client-token',
          },
          chunks,
        });
        assert.equal(answer.status, 200);
        assert.equal(answer.headers['x-upstream'], 'echo');
        const seen = echo.seen[0]!;
        assert.equal(seen.url, '/logs/_bulk?refresh=wait_for');
        assert.equal(seen.headers.host, new URL(echo.url).host);
        assert.match(String(seen.headers.authorization), /^AWS4-HMAC-SHA256 Credential=ASIACLITEST000000001\/\d{8}\/eu-west-1\/es\/aws4_request, SignedHeaders=content-length;content-type;host;x-amz-date;x-amz-security-token;x-keep, Signature=[0-9a-f]{64}$/);
        assert.equal(seen.headers['content-length'], String(Buffer.concat(chunks).length));
        assert.equal(seen.headers['transfer-encoding'], undefined);
        assert.equal(seen.headers['x-amz-security-token'], TEMP.sessionToken);
        assert.notEqual(seen.headers['x-amz-date'], '20000101T000000Z');
        for (const hop of ['proxy-authorization', 'x-hop', 'te', 'keep-alive']) assert.equal(seen.headers[hop], undefined, hop);
        assert.equal(seen.headers['x-keep'], 'kept');
        assert.equal(seen.body, Buffer.concat(chunks).toString());
      } finally {
        await echo.close();
      }
    });

    it('keeps connections alive: five requests on one client connection and one upstream connection, a fresh x-amz-date each', async () => {
      const { proxy: stub } = stack();
      const forward = await startTcpForward(stub.port);
      forwards.push(forward);
      const server = await proxyTo(forward.url);
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      try {
        const from = stub.records.length;
        const answers: Answer[] = [];
        for (let i = 0; i < 5; i++) {
          answers.push(await send(`${server.url}/_cluster/health`, { agent }));
          if (i === 2) await new Promise((r) => setTimeout(r, 1100));
        }
        assert.deepEqual(answers.map((a) => a.status), [200, 200, 200, 200, 200]);
        assert.deepEqual(answers.map((a) => a.reusedSocket), [false, true, true, true, true]);
        assert.equal(forward.connections, 1, 'the proxy opened more than one connection to the target');
        const records = stub.records.slice(from);
        assert.ok(records.every((r) => r.verdict === 'accepted'));
        // Signed per request: the dates move with the clock (a second passed after the third).
        assert.notEqual(records[0]!.amzDate, records[4]!.amzDate);
      } finally {
        agent.destroy();
      }
    });

    it('streams a chunked _bulk body through to OpenSearch, signed over the whole of it', async () => {
      const { proxy: stub } = stack();
      const server = await proxyTo(stack().stubUrl);
      const lines: Buffer[] = [];
      for (let i = 0; i < 50; i++) lines.push(Buffer.from(`{"index":{"_index":"cli-stream","_id":"s${i}"}}\n{"n":${i},"pad":"${'x'.repeat(200)}"}\n`));
      const from = stub.records.length;
      const answer = await send(`${server.url}/_bulk?refresh=true`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, chunks: lines });
      assert.equal(answer.status, 200, answer.body);
      const result = JSON.parse(answer.body) as { errors: boolean; items: unknown[] };
      assert.equal(result.errors, false);
      assert.equal(result.items.length, 50);
      assert.equal(stub.records[from]!.verdict, 'accepted');
      assert.equal(stub.records[from]!.bodyBytes, Buffer.concat(lines).length);
      const count = await send(`${server.url}/cli-stream/_count`);
      assert.equal(JSON.parse(count.body).count, 50);
    });

    it('a body over --max-body-bytes gets 413 from the proxy itself', async () => {
      const server = await proxyTo(stack().stubUrl, ['--max-body-bytes', '1000']);
      const answer = await send(`${server.url}/_bulk`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: 'x'.repeat(1001) });
      assert.equal(answer.status, 413);
      assert.match(JSON.parse(answer.body).message, /larger than maxBufferedBodyBytes \(1000\)/);
    });

    it('passes an auth refusal on with the token hidden, and prints the typed error with its hint', async () => {
      const wrong = { ...TEMP, secretAccessKey: 'cli/Wrong+Secret0123456789abcdefghijklmn' };
      const server = await proxyTo(stack().stubUrl, [], cleanEnv(credentialEnv(wrong)));
      const answer = await send(`${server.url}/_search?q=x`);
      assert.equal(answer.status, 403);
      assert.match(answer.body, /x-amz-security-token:\[REDACTED\]/);
      await server.stop();
      const { stdout, stderr } = server.output();
      assert.match(stderr, /SignatureRejectedError \[ERR_SIGNATURE_MISMATCH\]/);
      assert.match(stderr, /hint: Check the secret access key/);
      assert.match(stderr, /403 GET \/_search\?q=x/);
      assertNoSecrets(answer.body + stdout + stderr, [wrong.secretAccessKey]);
    });

    it('prefixes the target path (an API Gateway stage) and refuses CONNECT', async () => {
      const echo = await startEcho();
      try {
        const server = await proxyTo(`${echo.url}/prod/`, ['--service', 'execute-api']);
        const answer = await send(`${server.url}/items?b=2&a=1`);
        assert.equal(answer.status, 200);
        assert.equal(echo.seen[0]!.url, '/prod/items?b=2&a=1');
        assert.match(String(echo.seen[0]!.headers.authorization), /\/eu-west-1\/execute-api\/aws4_request/);
        const connect = await new Promise<number>((resolve, reject) => {
          const req = http.request({ host: '127.0.0.1', port: new URL(server.url).port, method: 'CONNECT', path: 'example.com:443' });
          req.on('connect', (res, socket) => { socket.destroy(); resolve(res.statusCode ?? 0); });
          req.on('response', (res) => { res.resume(); resolve(res.statusCode ?? 0); });
          req.on('error', reject);
          req.end();
        });
        assert.equal(connect, 405);
      } finally {
        await echo.close();
      }
    });

    it('printed no secret, token or signature in all of the above', () => {
      for (const server of servers) {
        const { stdout, stderr } = server.output();
        assertNoSecrets(stdout + stderr);
      }
    });
  });

  describe('SigningProxy (in process)', () => {
    it('refreshes credentials like the Connection: an expired token is replaced and the request re-signed once', async () => {
      const old: VerifyProxyCredentials = { accessKeyId: 'ASIACLIOLD0000000001', secretAccessKey: 'old/Secret+0123456789abcdefghijklmnopqr', sessionToken: 'OLDTOKEN0123456789abcdef', expiration: new Date(Date.now() - 1000) };
      const fresh: VerifyProxyCredentials = { accessKeyId: 'ASIACLINEW0000000001', secretAccessKey: 'new/Secret+0123456789abcdefghijklmnopqr', sessionToken: 'NEWTOKEN0123456789abcdef', expiration: new Date(Date.now() + 3_600_000) };
      const stub = await startStub({ region: 'eu-west-1', credentials: [old, fresh] });
      let calls = 0;
      const entries: SigningProxyLogEntry[] = [];
      // The provider hands out the old ones first with a client-side expiry still ahead (clocks differ).
      const provider = async () => {
        calls++;
        const c = calls === 1 ? old : fresh;
        return { accessKeyId: c.accessKeyId, secretAccessKey: c.secretAccessKey, sessionToken: c.sessionToken, expiration: new Date(Date.now() + 3_600_000) };
      };
      const proxy = await SigningProxy.start({ target: stub.url, signing: { region: 'eu-west-1', credentials: provider }, onRequest: (e) => entries.push(e) });
      try {
        const first = await send(`${proxy.url}/a`);
        const second = await send(`${proxy.url}/b`);
        assert.deepEqual([first.status, second.status], [200, 200]);
        assert.deepEqual(stub.records.map((r) => [r.path, r.verdict, r.accessKeyId]), [
          ['/a', 'expired-token', old.accessKeyId], ['/a', 'accepted', fresh.accessKeyId], ['/b', 'accepted', fresh.accessKeyId],
        ]);
        assert.equal(calls, 2);
        assert.deepEqual(entries.map((e) => [e.path, e.status, e.retries]), [['/a', 200, 1], ['/b', 200, 0]]);
      } finally {
        await proxy.close();
        await stub.close();
      }
    });

    it('answers 502 with the reason when the target is down, and 500 when there are no credentials', async () => {
      const down = await SigningProxy.start({ target: 'http://127.0.0.1:9', signing: { region: 'eu-west-1', credentials: TEMP } });
      const failing = await SigningProxy.start({
        target: 'http://127.0.0.1:9',
        signing: { region: 'eu-west-1', credentials: async () => { throw new Error(`provider broke, secret ${TEMP.secretAccessKey}`); } },
      });
      try {
        const a = await send(`${down.url}/`);
        assert.equal(a.status, 502);
        assert.match(JSON.parse(a.body).message, /http:\/\/127\.0\.0\.1:9 failed: .*ECONNREFUSED/);
        const b = await send(`${failing.url}/`);
        assert.equal(b.status, 500);
        assert.match(JSON.parse(b.body).message, /no credentials: The credential provider failed/);
        assertNoSecrets(b.body);
      } finally {
        await down.close();
        await failing.close();
      }
    });
  });

  describe('verify-proxy', () => {
    const stack = useSignedStack({ server: 'opensearch@3', service: 'es', region: 'eu-west-1' });

    it('runs the verifying stub in front of OpenSearch; `request` is accepted through it and each request is logged', async () => {
      const env = cleanEnv(credentialEnv());
      const server = await startServer(['verify-proxy', '--port', '0', '--target', stack().serverUrl!, '--region', 'eu-west-1'], env);
      try {
        const run = await cli(['request', 'GET', `${server.url}/_cat/health?format=json`], { env });
        assert.equal(run.code, 0, run.stderr);
        assert.ok(Array.isArray(JSON.parse(run.stdout)));
        const bad = await cli(['request', 'GET', `${server.url}/`], { env: cleanEnv(credentialEnv({ ...TEMP, sessionToken: 'another-token' })) });
        assert.equal(bad.code, 1);
        assert.match(bad.stderr, /ERR_TOKEN_INVALID/);
      } finally {
        await server.stop();
      }
      const { stdout } = server.output();
      assert.match(stdout, /^verify-proxy listening on http:\/\/127\.0\.0\.1:\d+ -> http:\/\/127\.0\.0\.1:\d+; service es, region eu-west-1, key ASIACLITEST000000001 with session token$/m);
      assert.match(stdout, /^200 accepted GET \/_cat\/health\?format=json \(ASIACLITEST000000001\)$/m);
      assert.match(stdout, /^403 invalid-token GET \//m);
      assertNoSecrets(stdout + server.output().stderr);
    });
  });

  describe('the built bin (dist/cjs/cli/main.js)', () => {
    it('starts with a shebang and runs as the CommonJS entry', async function () {
      if (!existsSync(BIN)) {
        if (process.env.CI) throw new Error(`${BIN} is missing: npm test builds it first`);
        console.warn('\n  !!! SKIPPED: dist/cjs/cli/main.js not built (npm run build).\n');
        this.skip();
      }
      assert.ok(readFileSync(BIN, 'utf8').startsWith('#!/usr/bin/env node\n'));
      const help = await cli(['--help'], { bin: BIN });
      assert.equal(help.code, 0, help.stderr);
      assert.match(help.stdout, /Usage: aws-sigv4-connection/);
      const bad = await cli(['request', 'GET', 'nope'], { bin: BIN });
      assert.equal(bad.code, 2);
    });
  });
});
