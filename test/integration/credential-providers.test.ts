// The real @aws-sdk/credential-providers, each resolving from local stand-ins (environment,
// temporary profile files, a local STS, a local container credentials endpoint), feeding an
// AwsSigV4Connection whose requests the verifying stub checks. Everything stays on
// 127.0.0.1: the instance metadata service is disabled and STS is redirected with
// AWS_ENDPOINT_URL_STS (honoured by this SDK: @smithy/core's getEndpointUrlConfig).
// The stub runs without an upstream (it answers 200 {} itself): what is under test is
// which identity signed and whether AWS would have accepted it, not the search server.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { Client } from '@opensearch-project/opensearch';
import {
  fromContainerMetadata, fromEnv, fromIni, fromNodeProviderChain, fromTemporaryCredentials, fromTokenFile,
} from '@aws-sdk/credential-providers';
import { AwsSigV4Connection } from '../../src/opensearch.js';
import { CredentialsError, signatureRejectionOf, type AwsSigV4Options } from '../../src/index.js';
import { VerifyProxy, type VerifyProxyCredentials } from '../../src/testing/index.js';
import { LocalSts } from '../support/local-sts.js';
import { ContainerCredentialsServer } from '../support/container-credentials.js';

const REGION = 'us-east-1';
// Test-only identities the stand-ins know; not AWS secrets.
const BASE: VerifyProxyCredentials = { accessKeyId: 'AKIDLOCALBASE0000001', secretAccessKey: 'local/Base+Secret/0123456789abcdefghijklm' };
const ENV_A: VerifyProxyCredentials = {
  accessKeyId: 'ASIALOCALENVA0000001', secretAccessKey: 'local/EnvA+Secret/0123456789abcdefghijklm',
  sessionToken: 'IQoJb3JpZ2luX2VjEENVAlocaltoken0000000000000001',
};
const ENV_B: VerifyProxyCredentials = {
  accessKeyId: 'ASIALOCALENVB0000002', secretAccessKey: 'local/EnvB+Secret/0123456789abcdefghijklm',
  sessionToken: 'IQoJb3JpZ2luX2VjEENVBlocaltoken0000000000000002',
};
const WEB_TOKEN = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJsb2NhbC10ZXN0IiwiYXVkIjoic3RzLmFtYXpvbmF3cy5jb20ifQ.bG9jYWwtc2lnbmF0dXJl';
const ROLE_ARN = 'arn:aws:iam::210987654321:role/search-writer';

/** Every variable a provider reads: cleared before each test, restored after. */
const AWS_ENV = /^AWS_/;

function snapshotEnv(): () => void {
  const saved = { ...process.env };
  return () => {
    for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
    for (const [key, value] of Object.entries(saved)) if (process.env[key] !== value) process.env[key] = value;
  };
}

describe('credential providers from @aws-sdk/credential-providers, through the verifying stub', function () {
  this.timeout(60_000);
  let proxy: VerifyProxy;
  let sts: LocalSts;
  let dir: string;
  let restoreEnv: () => void;
  const clients: Client[] = [];

  before(async () => {
    proxy = await VerifyProxy.start({ service: 'es', region: REGION, credentials: [BASE, ENV_A] });
    sts = await LocalSts.start({ callers: [BASE], webIdentityTokens: [WEB_TOKEN], proxies: [proxy], durationSeconds: 20 });
  });
  after(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await proxy?.close();
    await sts?.close();
  });

  beforeEach(() => {
    restoreEnv = snapshotEnv();
    for (const key of Object.keys(process.env)) if (AWS_ENV.test(key)) delete process.env[key];
    dir = mkdtempSync(join(tmpdir(), 'sigv4-creds-'));
    // Nothing of this machine's own AWS setup may leak in, and nothing may leave 127.0.0.1.
    process.env.AWS_CONFIG_FILE = join(dir, 'config');
    process.env.AWS_SHARED_CREDENTIALS_FILE = join(dir, 'credentials');
    process.env.AWS_EC2_METADATA_DISABLED = 'true';
    process.env.AWS_REGION = REGION;
    process.env.AWS_ENDPOINT_URL_STS = sts.url;
    proxy.reset();
    proxy.addCredentials(BASE, ENV_A);
    proxy.removeCredentials(ENV_B.accessKeyId);
    sts.fail = undefined;
    sts.durationSeconds = 20;
  });
  afterEach(() => {
    restoreEnv();
    rmSync(dir, { recursive: true, force: true });
  });

  function client(options: AwsSigV4Options) {
    const Connection = AwsSigV4Connection.configure(options);
    const c = new Client({ node: proxy.url, Connection: Connection as unknown as typeof AwsSigV4Connection });
    clients.push(c);
    return { client: c, Connection };
  }

  /** A few requests of different shapes; every one must be accepted by the stub. */
  async function sendAccepted(c: Client, n = 3): Promise<string[]> {
    const before = proxy.records.length;
    for (let i = 0; i < n; i++) {
      await c.info();
      await c.search({ index: 'logs-*', body: { query: { match: { message: `probe ${i}` } } } });
    }
    const records = proxy.records.slice(before);
    const refused = records.filter((r) => r.verdict !== 'accepted');
    assert.deepEqual(refused.map((r) => `${r.verdict}: ${r.message}`), [], 'every request accepted by the stub');
    assert.equal(records.length, 2 * n);
    return [...new Set(records.map((r) => r.accessKeyId!))];
  }

  describe('environment variables', () => {
    it('fromEnv(): the session credentials of AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN', async () => {
      process.env.AWS_ACCESS_KEY_ID = ENV_A.accessKeyId;
      process.env.AWS_SECRET_ACCESS_KEY = ENV_A.secretAccessKey;
      process.env.AWS_SESSION_TOKEN = ENV_A.sessionToken;
      const { client: c } = client({ credentials: fromEnv(), region: REGION, service: 'es' });
      assert.deepEqual(await sendAccepted(c), [ENV_A.accessKeyId]);
    });

    it('fromEnv(): a rotated environment is picked up after refreshIntervalMs, without a refused request', async () => {
      process.env.AWS_ACCESS_KEY_ID = ENV_A.accessKeyId;
      process.env.AWS_SECRET_ACCESS_KEY = ENV_A.secretAccessKey;
      process.env.AWS_SESSION_TOKEN = ENV_A.sessionToken;
      const { client: c, Connection } = client({ credentials: fromEnv(), region: REGION, service: 'es', credentialCache: { refreshIntervalMs: 300 } });
      assert.deepEqual(await sendAccepted(c, 1), [ENV_A.accessKeyId]);
      // Rotation: the new key is live at AWS before the environment changes; the old one stays valid a while.
      proxy.addCredentials(ENV_B);
      process.env.AWS_ACCESS_KEY_ID = ENV_B.accessKeyId;
      process.env.AWS_SECRET_ACCESS_KEY = ENV_B.secretAccessKey;
      process.env.AWS_SESSION_TOKEN = ENV_B.sessionToken;
      await new Promise((resolve) => setTimeout(resolve, 400));
      await c.info(); // due: starts the background re-resolution, still signed with the old key
      await new Promise((resolve) => setTimeout(resolve, 50));
      proxy.removeCredentials(ENV_A.accessKeyId);
      assert.deepEqual(await sendAccepted(c, 2), [ENV_B.accessKeyId]);
      assert.equal(Connection.signer.credentialCache().stats.refreshes, 2);
    });

    it('zero-config (default chain, Lambda style): AWS_REGION and the environment session credentials', async () => {
      process.env.AWS_ACCESS_KEY_ID = ENV_A.accessKeyId;
      process.env.AWS_SECRET_ACCESS_KEY = ENV_A.secretAccessKey;
      process.env.AWS_SESSION_TOKEN = ENV_A.sessionToken;
      // configure({}) is the zero-config rule on a class of its own, so no other test's cache is reused.
      const { client: c, Connection } = client({});
      assert.deepEqual(await sendAccepted(c), [ENV_A.accessKeyId]);
      assert.equal(Connection.signer.credentialCache().stats.providerCalls, 1, 'one chain resolution for all requests');
    });
  });

  describe('shared profile files', () => {
    function writeProfiles(secret = BASE.secretAccessKey): void {
      writeFileSync(process.env.AWS_CONFIG_FILE!, [
        '[profile base]', `region = ${REGION}`, '',
        '[profile search]', `role_arn = ${ROLE_ARN}`, 'source_profile = base', 'role_session_name = ci-search', `region = ${REGION}`, '',
      ].join('\n'));
      writeFileSync(process.env.AWS_SHARED_CREDENTIALS_FILE!, [
        '[base]', `aws_access_key_id = ${BASE.accessKeyId}`, `aws_secret_access_key = ${secret}`, '',
      ].join('\n'), { mode: 0o600 });
    }

    it('fromIni(): static keys of a profile', async () => {
      writeProfiles();
      const { client: c } = client({ credentials: fromIni({ profile: 'base' }), region: REGION, service: 'es' });
      assert.deepEqual(await sendAccepted(c), [BASE.accessKeyId]);
    });

    for (const ignoreCache of [true, false]) {
      it(`fromIni({ ignoreCache: ${ignoreCache} }): a rotated credentials file is ${ignoreCache ? '' : 'NOT '}picked up (the SDK caches the files it parsed)`, async () => {
        writeProfiles();
        proxy.addCredentials(ENV_B);
        const { client: c, Connection } = client({
          credentials: fromIni({ profile: 'base', ignoreCache }), region: REGION, service: 'es', credentialCache: { refreshIntervalMs: 300 },
        });
        assert.deepEqual(await sendAccepted(c, 1), [BASE.accessKeyId]);
        writeFileSync(process.env.AWS_SHARED_CREDENTIALS_FILE!, [
          '[base]', `aws_access_key_id = ${ENV_B.accessKeyId}`, `aws_secret_access_key = ${ENV_B.secretAccessKey}`, `aws_session_token = ${ENV_B.sessionToken}`, '',
        ].join('\n'), { mode: 0o600 });
        await new Promise((resolve) => setTimeout(resolve, 400));
        await c.info(); // due: re-resolves in the background
        await new Promise((resolve) => setTimeout(resolve, 100));
        assert.deepEqual(await sendAccepted(c, 1), [ignoreCache ? ENV_B.accessKeyId : BASE.accessKeyId]);
        assert.ok(Connection.signer.credentialCache().stats.providerCalls >= 2, 're-resolved on the interval either way');
      });
    }

    it('fromIni(): cross-account role (role_arn + source_profile) assumed at the local STS, signed by the source keys', async () => {
      writeProfiles();
      const before = sts.issued.length;
      const { client: c, Connection } = client({ credentials: fromIni({ profile: 'search' }), region: REGION, service: 'es' });
      const keys = await sendAccepted(c);
      const issued = sts.issued.slice(before);
      assert.equal(issued.length, 1, 'one AssumeRole for all requests');
      assert.equal(issued[0]!.action, 'AssumeRole');
      assert.equal(issued[0]!.roleArn, ROLE_ARN);
      assert.equal(issued[0]!.sessionName, 'ci-search');
      assert.equal(issued[0]!.caller, BASE.accessKeyId, 'AssumeRole was signed (and verified) with the source profile keys');
      assert.deepEqual(keys, [issued[0]!.accessKeyId], 'requests signed with the role credentials');
      assert.equal(Connection.signer.credentialCache().stats.providerCalls, 1);
    });

    it('fromIni(): short-lived role credentials are refreshed before they expire, with no refused request', async function () {
      this.timeout(30_000);
      sts.durationSeconds = 4; // refresh from ~1.6-2 s, stop using at 3 s
      writeProfiles();
      const before = sts.issued.length;
      const { client: c } = client({ credentials: fromIni({ profile: 'search' }), region: REGION, service: 'es' });
      const until = Date.now() + 7_000;
      const seen = new Set<string>();
      while (Date.now() < until) {
        for (const k of await sendAccepted(c, 1)) seen.add(k);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const issued = sts.issued.slice(before);
      assert.ok(issued.length >= 3 && issued.length <= 6, `${issued.length} AssumeRole calls in 7 s of 4-s credentials`);
      assert.ok(seen.size >= 3, `${seen.size} distinct keys signed`);
      assert.equal(proxy.stats().rejected, 0);
    });

    it('a wrong source secret: AssumeRole refused by the STS, the request fails with a CredentialsError holding the cause, no secret', async () => {
      const wrong = 'local/Wrong+Secret/0123456789abcdefghijkl';
      writeProfiles(wrong);
      const { client: c } = client({ credentials: fromIni({ profile: 'search' }), region: REGION, service: 'es' });
      const refusedBefore = sts.counts.refused;
      const error = await c.info().then(() => assert.fail('expected a CredentialsError'), (e: unknown) => e);
      assert.ok(error instanceof CredentialsError, `a CredentialsError, got ${(error as Error).name}`);
      assert.equal(error.code, 'ERR_CREDENTIALS_PROVIDER');
      assert.ok(error.cause instanceof Error);
      assert.match((error.cause as Error).message, /signature we calculated does not match/);
      assert.ok(sts.counts.refused > refusedBefore, 'the STS refused the badly signed AssumeRole');
      assert.equal(proxy.records.length, 0, 'nothing was sent unsigned or with other keys');
      const text = [error.message, error.stack, inspect(error, { depth: 10 }), (error.cause as Error).stack].join('\n');
      assert.ok(!text.includes(wrong) && !text.includes(BASE.secretAccessKey), 'no secret in the error');
    });
  });

  describe('web identity (EKS IRSA style)', () => {
    function setWebIdentity(): void {
      const file = join(dir, 'token');
      writeFileSync(file, WEB_TOKEN);
      process.env.AWS_WEB_IDENTITY_TOKEN_FILE = file;
      process.env.AWS_ROLE_ARN = ROLE_ARN;
      process.env.AWS_ROLE_SESSION_NAME = 'irsa-test';
    }

    it('fromTokenFile(): AssumeRoleWithWebIdentity at the local STS', async () => {
      setWebIdentity();
      const before = sts.issued.length;
      const { client: c } = client({ credentials: fromTokenFile(), region: REGION, service: 'es' });
      const keys = await sendAccepted(c);
      const issued = sts.issued.slice(before);
      assert.deepEqual(issued.map((i) => [i.action, i.roleArn, i.sessionName]), [['AssumeRoleWithWebIdentity', ROLE_ARN, 'irsa-test']]);
      assert.deepEqual(keys, [issued[0]!.accessKeyId]);
    });

    it('zero-config default chain picks the web identity up from the environment', async () => {
      setWebIdentity();
      const before = sts.issued.length;
      const { client: c } = client({});
      const keys = await sendAccepted(c);
      const issued = sts.issued.slice(before);
      assert.equal(issued.length, 1);
      assert.equal(issued[0]!.action, 'AssumeRoleWithWebIdentity');
      assert.deepEqual(keys, [issued[0]!.accessKeyId]);
    });

    it('a token the STS does not accept: CredentialsError, no token in it', async () => {
      const file = join(dir, 'bad-token');
      const bad = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzb21lb25lLWVsc2UifQ.bm90LXZhbGlk';
      writeFileSync(file, bad);
      process.env.AWS_WEB_IDENTITY_TOKEN_FILE = file;
      process.env.AWS_ROLE_ARN = ROLE_ARN;
      const { client: c } = client({ credentials: fromTokenFile(), region: REGION, service: 'es' });
      const error = await c.info().then(() => assert.fail('expected a CredentialsError'), (e: unknown) => e);
      assert.ok(error instanceof CredentialsError && error.code === 'ERR_CREDENTIALS_PROVIDER');
      assert.match((error.cause as Error).message, /verification key/);
      assert.ok(!inspect(error, { depth: 10 }).includes(bad), 'no web identity token in the error');
    });
  });

  describe('container credentials (ECS / EKS Pod Identity style)', () => {
    let endpoint: ContainerCredentialsServer;
    const TOKEN = 'local-container-auth-token-0001';
    afterEach(async () => {
      await endpoint?.close();
    });

    it('fromContainerMetadata(): AWS_CONTAINER_CREDENTIALS_FULL_URI with AWS_CONTAINER_AUTHORIZATION_TOKEN', async () => {
      endpoint = await ContainerCredentialsServer.start({ authorizationToken: TOKEN, proxies: [proxy] });
      process.env.AWS_CONTAINER_CREDENTIALS_FULL_URI = endpoint.fullUri;
      process.env.AWS_CONTAINER_AUTHORIZATION_TOKEN = TOKEN;
      const { client: c } = client({ credentials: fromContainerMetadata(), region: REGION, service: 'es' });
      assert.deepEqual(await sendAccepted(c), endpoint.issuedKeys);
      assert.equal(endpoint.counts.served, 1);
      assert.equal(endpoint.counts.unauthorized, 0);
    });

    it('zero-config default chain: rotating container credentials, no refused request', async function () {
      this.timeout(30_000);
      // 6-s credentials rotated at half-life: our cache starts refreshing at ~2.4-3 s.
      endpoint = await ContainerCredentialsServer.start({ authorizationToken: TOKEN, proxies: [proxy], durationSeconds: 6 });
      process.env.AWS_CONTAINER_CREDENTIALS_FULL_URI = endpoint.fullUri;
      process.env.AWS_CONTAINER_AUTHORIZATION_TOKEN = TOKEN;
      const { client: c } = client({});
      const seen = new Set<string>();
      const until = Date.now() + 8_000;
      while (Date.now() < until) {
        for (const k of await sendAccepted(c, 1)) seen.add(k);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      assert.ok(endpoint.counts.rotations >= 2, `${endpoint.counts.rotations} rotations`);
      assert.ok(seen.size >= 2, `${seen.size} distinct keys signed`);
      assert.equal(proxy.stats().rejected, 0);
      assert.equal(endpoint.counts.unauthorized, 0);
    });

    it('a wrong authorization token: the endpoint answers 401, the request fails with a CredentialsError', async () => {
      endpoint = await ContainerCredentialsServer.start({ authorizationToken: TOKEN, proxies: [proxy] });
      process.env.AWS_CONTAINER_CREDENTIALS_FULL_URI = endpoint.fullUri;
      process.env.AWS_CONTAINER_AUTHORIZATION_TOKEN = 'not-the-token';
      const { client: c } = client({ credentials: fromContainerMetadata({ maxRetries: 0 }), region: REGION, service: 'es' });
      const error = await c.info().then(() => assert.fail('expected a CredentialsError'), (e: unknown) => e);
      assert.ok(error instanceof CredentialsError && error.code === 'ERR_CREDENTIALS_PROVIDER');
      assert.ok(error.cause instanceof Error);
      assert.ok(endpoint.counts.unauthorized >= 1);
      assert.equal(proxy.records.length, 0);
    });
  });

  describe("AWS refusing the token before its expiration: one forced refresh, one re-signed retry", () => {
    let endpoint: ContainerCredentialsServer;
    afterEach(async () => {
      await endpoint?.close();
    });

    async function setup() {
      endpoint = await ContainerCredentialsServer.start({ proxies: [proxy] });
      process.env.AWS_CONTAINER_CREDENTIALS_FULL_URI = endpoint.fullUri;
      const made = client({ credentials: fromContainerMetadata({ maxRetries: 0 }), region: REGION, service: 'es' });
      assert.deepEqual(await sendAccepted(made.client, 1), [endpoint.issuedKeys[0]]);
      proxy.reset();
      return { ...made, cache: made.Connection.signer.credentialCache() };
    }

    it('"The security token included in the request is expired": refreshed, retried once, accepted; later requests first try', async () => {
      const { client: c, cache } = await setup();
      endpoint.expireServed();
      await c.info();
      assert.deepEqual(proxy.records.map((r) => r.verdict), ['expired-token', 'accepted']);
      assert.deepEqual(proxy.records.map((r) => r.accessKeyId), endpoint.issuedKeys);
      assert.equal(cache.stats.providerCalls, 2);
      proxy.reset();
      await sendAccepted(c, 3);
      assert.equal(cache.stats.providerCalls, 2);
    });

    it('an unknown key ("token ... is invalid", e.g. revoked): the same', async () => {
      const { client: c, cache } = await setup();
      proxy.removeCredentials(endpoint.issuedKeys[0]!);
      endpoint.rotate();
      await c.info();
      assert.deepEqual(proxy.records.map((r) => r.verdict), ['invalid-token', 'accepted']);
      assert.equal(cache.stats.providerCalls, 2);
    });

    it('the provider has nothing newer: the request fails typed after one provider call, without a retry loop', async () => {
      const { client: c, cache } = await setup();
      endpoint.expireServed(false); // the endpoint keeps serving the refused credentials
      const error = await c.info({}, { maxRetries: 0 }).then(() => assert.fail('expected a refusal'), (e: unknown) => e);
      // The client's own 403 ResponseError, classified.
      assert.equal(signatureRejectionOf(error)?.code, 'ERR_TOKEN_EXPIRED');
      assert.deepEqual(proxy.records.map((r) => r.verdict), ['expired-token']);
      assert.equal(cache.stats.providerCalls, 2);
    });
  });

  describe('temporary credentials from code', () => {
    it('fromTemporaryCredentials() with the local STS as clientConfig.endpoint', async () => {
      const before = sts.issued.length;
      delete process.env.AWS_ENDPOINT_URL_STS; // the endpoint comes from the code this time
      const provider = fromTemporaryCredentials({
        masterCredentials: { accessKeyId: BASE.accessKeyId, secretAccessKey: BASE.secretAccessKey },
        params: { RoleArn: ROLE_ARN, RoleSessionName: 'from-code', DurationSeconds: 900 },
        clientConfig: { region: REGION, endpoint: sts.url },
      });
      const { client: c } = client({ credentials: provider, region: REGION, service: 'es' });
      const keys = await sendAccepted(c);
      const issued = sts.issued.slice(before);
      assert.equal(issued.length, 1);
      assert.equal(issued[0]!.sessionName, 'from-code');
      assert.deepEqual(keys, [issued[0]!.accessKeyId]);
    });

    it('one cache per Connection class, shared by all its connections (three nodes, one provider call)', async () => {
      process.env.AWS_ACCESS_KEY_ID = ENV_A.accessKeyId;
      process.env.AWS_SECRET_ACCESS_KEY = ENV_A.secretAccessKey;
      process.env.AWS_SESSION_TOKEN = ENV_A.sessionToken;
      let calls = 0;
      const env = fromNodeProviderChain();
      const counting = (options?: { forceRefresh?: boolean }) => { calls++; return env(options); };
      const Connection = AwsSigV4Connection.configure({ credentials: counting, region: REGION, service: 'es' });
      // Three nodes (one stub): three Connection instances in the pool, used in turn.
      const nodes = ['a', 'b', 'c'].map((id) => ({ id, url: new URL(proxy.url) }));
      const c = new Client({ nodes, Connection: Connection as unknown as typeof AwsSigV4Connection });
      clients.push(c);
      const pool = (c as unknown as { connectionPool: { connections: unknown[] } }).connectionPool;
      assert.equal(pool.connections.length, 3);
      await Promise.all(Array.from({ length: 30 }, () => c.info()));
      assert.equal(calls, 1);
      assert.equal(proxy.stats().accepted, 30);
    });
  });
});
