/**
 * createSignedFetch for API Gateway with IAM authorization (`execute-api`): the verifying
 * stub in execute-api mode in front of a tiny upstream that stands in for the API's
 * integration, credentials from a local STS (test/support/local-sts.ts) through the AWS
 * SDK's own fromTemporaryCredentials, as for a cross-account role, and from the
 * environment with nothing configured, as in AWS Lambda.
 */
import assert from 'node:assert/strict';
import http, { type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { inspect } from 'node:util';
import { gzipSync } from 'node:zlib';
import { fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import { ConfigurationError, createSignedFetch, signRequest, SignatureRejectedError, type AwsCredentialIdentityProvider } from '../../src/index.js';
import { VerifyProxy } from '../../src/testing/index.js';
import { LocalSts } from '../support/local-sts.js';

/** The source identity, in the "tooling" account; it may assume the API caller role of another account. */
const SOURCE = { accessKeyId: 'AKIDSOURCEACCT000001', secretAccessKey: 'source/Account+Secret0123456789abcdefgh' };
const CROSS_ACCOUNT_ROLE = 'arn:aws:iam::222222222222:role/ItemsApiCaller';
const LAMBDA = {
  accessKeyId: 'ASIALAMBDAROLE000001',
  secretAccessKey: 'lambda/Role+Secret0123456789abcdefghijkl',
  sessionToken: 'IQoJb3JpZ2luX2VjELambdaExecutionRoleToken0123456789+/abc=',
};
const AWS_ENV = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_REGION', 'AWS_DEFAULT_REGION', 'AWS_PROFILE',
  'AWS_CONFIG_FILE', 'AWS_SHARED_CREDENTIALS_FILE', 'AWS_EC2_METADATA_DISABLED', 'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
  'AWS_CONTAINER_CREDENTIALS_FULL_URI', 'AWS_WEB_IDENTITY_TOKEN_FILE', 'AWS_ROLE_ARN'];

/** Runs `fn` with exactly these AWS_* variables (and none of the machine's), then restores them. */
async function withAwsEnv<T>(vars: Record<string, string>, fn: () => Promise<T>): Promise<T> {
  const saved = new Map(AWS_ENV.map((k) => [k, process.env[k]]));
  for (const k of AWS_ENV) delete process.env[k];
  Object.assign(process.env, { AWS_CONFIG_FILE: '/nonexistent/config', AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/credentials', AWS_EC2_METADATA_DISABLED: 'true' }, vars);
  try {
    return await fn();
  } finally {
    for (const [k, v] of saved) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

/**
 * The SDK types fromTemporaryCredentials() as RuntimeConfigAwsCredentialIdentityProvider,
 * whose parameter our AwsCredentialIdentityProvider type does not accept under strict
 * function types (it works at run time). Cast once here; reported to widen the type.
 */
function sdkProvider(provider: ReturnType<typeof fromTemporaryCredentials>): AwsCredentialIdentityProvider {
  return provider as unknown as AwsCredentialIdentityProvider;
}

interface Seen { method: string; url: string; headers: IncomingHttpHeaders; body: string }

describe('createSignedFetch -> API Gateway (execute-api) with IAM authorization', function () {
  this.timeout(60_000);
  let upstream: http.Server;
  let upstreamUrl: string;
  const seen: Seen[] = [];
  let stub: VerifyProxy;
  let sts: LocalSts;
  /** The API's invoke URL: the stub, and a stage. */
  let api: string;

  before(async () => {
    upstream = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
        res.writeHead(req.method === 'POST' ? 201 : 200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ method: req.method, path: req.url, received: body ? JSON.parse(body) : null }));
      });
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
    stub = await VerifyProxy.start({ service: 'execute-api', region: 'us-east-1', target: upstreamUrl, credentials: [{ ...LAMBDA }] });
    sts = await LocalSts.start({ callers: [{ ...SOURCE }], proxies: [stub], durationSeconds: 900 });
    api = `${stub.url}/prod`;
  });
  after(async () => {
    await sts?.close();
    await stub?.close();
    upstream?.closeAllConnections();
    await new Promise<void>((resolve) => (upstream ? upstream.close(() => resolve()) : resolve()));
  });
  beforeEach(() => {
    seen.length = 0;
    stub.reset();
  });

  it('cross-account role through fromTemporaryCredentials: a POST with JSON and a query is accepted, one AssumeRole for many calls', async () => {
    await withAwsEnv({ AWS_ACCESS_KEY_ID: SOURCE.accessKeyId, AWS_SECRET_ACCESS_KEY: SOURCE.secretAccessKey, AWS_REGION: 'us-east-1' }, async () => {
      const signedFetch = createSignedFetch({
        service: 'execute-api',
        region: 'us-east-1',
        // Source credentials: the default chain (here the environment), as in the README.
        credentials: sdkProvider(fromTemporaryCredentials({ params: { RoleArn: CROSS_ACCOUNT_ROLE, RoleSessionName: 'items-client' }, clientConfig: { endpoint: sts.url, region: 'us-east-1' } })),
      });
      const item = { id: 'é/1', name: 'caffè ☕' };
      const created = await signedFetch(`${api}/items?b=2&a=1&q=a%20b`, { method: 'POST', body: JSON.stringify(item), headers: { 'content-type': 'application/json' } });
      assert.equal(created.status, 201, await created.clone().text());
      assert.deepEqual(await created.json(), { method: 'POST', path: '/prod/items?b=2&a=1&q=a%20b', received: item });
      for (const path of ['/items/%C3%A9%2F1', '/items?limit=10', '/health']) {
        const res = await signedFetch(`${api}${path}`);
        assert.equal(res.status, 200, `${path}: ${await res.text()}`);
      }

      assert.equal(sts.counts.AssumeRole, 1, 'credentials were not cached');
      const issued = sts.issued[0]!;
      assert.equal(issued.roleArn, CROSS_ACCOUNT_ROLE);
      assert.equal(issued.caller, SOURCE.accessKeyId);
      assert.deepEqual(stub.records.map((r) => [r.verdict, r.accessKeyId]), Array(4).fill(['accepted', issued.accessKeyId]));
      assert.ok(stub.records[0]!.signedHeaders.includes('x-amz-security-token'));
      assert.equal(seen[0]!.headers['content-type'], 'application/json');
    });
  });

  it('temporary credentials are refreshed through STS before they run out', async () => {
    sts.durationSeconds = 4;
    try {
      const signedFetch = createSignedFetch({
        service: 'execute-api', region: 'us-east-1',
        credentials: sdkProvider(fromTemporaryCredentials({ masterCredentials: SOURCE, params: { RoleArn: CROSS_ACCOUNT_ROLE }, clientConfig: { endpoint: sts.url, region: 'us-east-1' } })),
      });
      const before = sts.counts.AssumeRole;
      assert.equal((await signedFetch(`${api}/items`)).status, 200);
      await new Promise((r) => setTimeout(r, 4_500));
      assert.equal((await signedFetch(`${api}/items`)).status, 200);
      assert.ok(sts.counts.AssumeRole - before >= 2, `AssumeRole calls: ${sts.counts.AssumeRole - before}`);
      const [first, second] = stub.records;
      assert.deepEqual([first!.verdict, second!.verdict], ['accepted', 'accepted']);
      assert.notEqual(first!.accessKeyId, second!.accessKeyId);
    } finally {
      sts.durationSeconds = 900;
    }
  });

  it('Lambda-style: credentials and region from the environment, nothing configured but the service', async () => {
    await withAwsEnv({ AWS_ACCESS_KEY_ID: LAMBDA.accessKeyId, AWS_SECRET_ACCESS_KEY: LAMBDA.secretAccessKey, AWS_SESSION_TOKEN: LAMBDA.sessionToken, AWS_REGION: 'us-east-1' }, async () => {
      const signedFetch = createSignedFetch({ service: 'execute-api' });
      const res = await signedFetch(`${api}/items/42`, { method: 'PUT', body: JSON.stringify({ n: 42 }), headers: { 'content-type': 'application/json' } });
      assert.equal(res.status, 200, await res.clone().text());
      assert.deepEqual(stub.records.map((r) => [r.verdict, r.accessKeyId]), [['accepted', LAMBDA.accessKeyId]]);
    });
  });

  it('signRequest, for any other HTTP client: a UTF-8 path parameter and a query, sent with node:http', async () => {
    const url = `${api}/items/%E6%97%A5%E6%9C%AC?tag=a%2Bb&tag=c`;
    const body = JSON.stringify({ ok: true });
    const signed = signRequest({ method: 'PATCH', url, headers: { 'content-type': 'application/json', 'content-length': String(body.length) }, body },
      { region: 'us-east-1', service: 'execute-api', credentials: LAMBDA });
    const status = await new Promise<number>((resolve, reject) => {
      const target = new URL(url);
      const req = http.request({ hostname: target.hostname, port: target.port, method: 'PATCH', path: `${target.pathname}${target.search}`, headers: signed.headers }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', reject);
      req.end(body);
    });
    assert.equal(status, 200);
    assert.equal(stub.records[0]!.verdict, 'accepted');
    assert.equal(seen[0]!.url, '/prod/items/%E6%97%A5%E6%9C%AC?tag=a%2Bb&tag=c');
  });

  it('refusals come back typed: a credential scoped to the wrong region; an unsigned call is not ours to sign', async () => {
    const wrongRegion = createSignedFetch({ service: 'execute-api', region: 'eu-west-1', credentials: LAMBDA });
    const error = await wrongRegion(`${api}/items`).then(() => undefined, (e: unknown) => e);
    assert.ok(error instanceof SignatureRejectedError, inspect(error));
    assert.equal(error.kind, 'scope-mismatch');
    assert.equal(error.code, 'ERR_SCOPE_MISMATCH');
    assert.match(error.message, /Credential should be scoped to a valid region, not 'eu-west-1'/);
    assert.ok(!inspect(error).includes(LAMBDA.sessionToken) && !inspect(error).includes(LAMBDA.secretAccessKey));
    // What API Gateway answers without a signature, for comparison (plain fetch).
    const unsigned = await fetch(`${api}/items`);
    assert.equal(unsigned.status, 403);
    assert.deepEqual(await unsigned.json(), { message: 'Missing Authentication Token' });
  });

  it('the `host` option is refused with the global fetch (it would send the URL\'s Host), honoured with a fetch that sends Host', async () => {
    assert.throws(() => createSignedFetch({ service: 'execute-api', region: 'us-east-1', credentials: LAMBDA, host: 'abc123.execute-api.us-east-1.amazonaws.com' }),
      (e: unknown) => e instanceof ConfigurationError && e.code === 'ERR_INVALID_OPTIONS' && /global fetch/.test(e.message));
    const hosts: string[] = [];
    // A minimal fetch over node:http, which does send the Host it is given.
    const nodeFetch = (input: string | URL | Request, init: RequestInit = {}): Promise<Response> => new Promise((resolve, reject) => {
      const target = new URL(String(input));
      const headers = init.headers as Record<string, string>;
      hosts.push(headers.host!);
      const req = http.request({ hostname: target.hostname, port: target.port, method: init.method, path: `${target.pathname}${target.search}`, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve(new Response(Buffer.concat(chunks), { status: res.statusCode })));
      });
      req.on('error', reject);
      req.end(init.body as string | undefined);
    });
    const expecting = await VerifyProxy.start({ service: 'execute-api', region: 'us-east-1', credentials: [{ ...LAMBDA }], expectedHost: 'abc123.execute-api.us-east-1.amazonaws.com' });
    try {
      const signedFetch = createSignedFetch({ credentials: LAMBDA, host: 'abc123.execute-api.us-east-1.amazonaws.com', fetch: nodeFetch as typeof fetch });
      const res = await signedFetch(`${expecting.url}/prod/items`);
      assert.equal(res.status, 200);
      assert.deepEqual(hosts, ['abc123.execute-api.us-east-1.amazonaws.com']);
      // Service and region came from the host name.
      assert.equal(expecting.records[0]!.verdict, 'accepted');
    } finally {
      await expecting.close();
    }
  });
});

describe('createSignedFetch: a refusal it hands back holds none of ours', function () {
  let server: http.Server;
  let url = '';
  before(async () => {
    // A 403 no retry or classification applies to, echoing what it got, as some servers and gateways do.
    server = http.createServer((req, res) => {
      const echo = JSON.stringify({ message: 'weird failure', token: req.headers['x-amz-security-token'], auth: req.headers.authorization });
      if (req.url === '/gzip') {
        res.writeHead(403, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
        res.end(gzipSync(echo));
      } else {
        res.writeHead(403, { 'content-type': 'application/json' });
        res.end(echo);
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('an unclassified 403 echoing the token and the signature: returned as the 403, scrubbed of both', async () => {
    const credentials = { accessKeyId: 'ASIAECHOEXAMPLE0001', secretAccessKey: 'echo/Secret+0123456789abcdefghijklmnopq', sessionToken: 'IQoJb3JpZ2luEchoedToken/with+and=inside0123456789' };
    const signedFetch = createSignedFetch({ region: 'us-east-1', service: 'execute-api', credentials });
    for (const path of ['/plain', '/gzip']) {
      const res = await signedFetch(`${url}${path}`);
      assert.equal(res.status, 403);
      const text = await res.text();
      assert.ok(!text.includes(credentials.sessionToken) && !text.includes(credentials.sessionToken.slice(0, 16)), text);
      assert.doesNotMatch(text, /Signature=[0-9a-f]{64}/, text);
      assert.match(text, /weird failure/);
    }
  });
});
