/**
 * The `host` option (Python's `aws_host`): the client connects to a local port forward
 * (SSH tunnel, kubectl port-forward, a bastion) while the request is signed for, and
 * sent with the Host of, the VPC domain. A TCP forwarder on 127.0.0.1 stands in for the
 * tunnel, in front of the verifying stub, which insists on the domain's Host
 * (`expectedHost`) as AWS would behind a real tunnel. Real OpenSearch answers behind it.
 */
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { Client } from '@opensearch-project/opensearch';
import { AwsSigV4Connection } from '../../src/opensearch.js';
import { signatureRejectionOf, SignatureRejectedError } from '../../src/index.js';
import { SigningProxy } from '../../src/proxy/signing-proxy.js';
import { useSignedStack } from '../support/stack.js';
import { startTcpForward, type TcpForward } from '../support/tcp-forward.js';
import { runCli } from '../support/cli-run.js';

const DOMAIN = 'vpc-logs-abc.eu-west-1.es.amazonaws.com';
const CREDENTIALS = { accessKeyId: 'AKIDHOSTOPTION000001', secretAccessKey: 'host/Option+Secret0123456789abcdefghijk' };

describe('host option: signing for the VPC domain through a local port forward', function () {
  this.timeout(60_000);
  const stack = useSignedStack({
    server: 'opensearch@3', service: 'es', region: 'eu-west-1',
    stub: { expectedHost: DOMAIN, credentials: [{ ...CREDENTIALS }] },
  });
  let forward: TcpForward;
  before(async () => {
    forward = await startTcpForward(stack().proxy.port);
  });
  after(() => forward?.close());

  it('configure({ host }) is accepted: region from the domain name, Host and signature for the domain, bytes through the forward', async () => {
    const { proxy } = stack();
    const client = new Client({
      node: forward.url,
      // No region: it comes from the domain name in `host`, as it would from the node URL.
      Connection: AwsSigV4Connection.configure({ host: DOMAIN, credentials: CREDENTIALS }),
    });
    const from = proxy.records.length;
    const connectionsBefore = forward.connections;
    try {
      const info = await client.info();
      assert.equal(info.statusCode, 200);
      await client.index({ index: 'host-option', id: 'a/b c', body: { via: 'tunnel' }, refresh: true });
      const found = await client.search({ index: 'host-option', q: 'via:tunnel' });
      assert.equal((found.body.hits.total as { value: number }).value, 1);
    } finally {
      await client.close();
    }
    const records = proxy.records.slice(from);
    assert.equal(records.length, 3);
    assert.ok(records.every((r) => r.verdict === 'accepted'), JSON.stringify(records.map((r) => r.verdict)));
    assert.ok(forward.connections > connectionsBefore, 'the client did not go through the port forward');
  });

  it('without host it is rejected: the signed Host is the forward\'s, not the domain\'s', async () => {
    const { proxy } = stack();
    const client = new Client({ node: forward.url, Connection: AwsSigV4Connection.configure({ region: 'eu-west-1', credentials: CREDENTIALS }) });
    const from = proxy.records.length;
    try {
      const thrown = await client.info().then(() => undefined, (e: unknown) => e);
      // The client's own 403 ResponseError, carrying our classification.
      const error = signatureRejectionOf(thrown);
      assert.ok(error instanceof SignatureRejectedError, `expected a classified refusal, got ${inspect(thrown)}`);
      assert.equal(error.kind, 'signature-mismatch');
      assert.equal(error.code, 'ERR_SIGNATURE_MISMATCH');
      assert.equal(error.firstDifference, 'header "host"');
      assert.ok(!inspect(error).includes(CREDENTIALS.secretAccessKey));
      assert.ok(!inspect(thrown, { depth: 8 }).includes(CREDENTIALS.secretAccessKey));
    } finally {
      await client.close();
    }
    assert.equal(proxy.records[from]!.verdict, 'wrong-host');
  });

  it('the CLI: `request --host` and `proxy --signing-host` do the same', async () => {
    const env = {
      PATH: process.env.PATH, HOME: process.env.HOME, AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
      AWS_CONFIG_FILE: '/nonexistent', AWS_SHARED_CREDENTIALS_FILE: '/nonexistent', AWS_EC2_METADATA_DISABLED: 'true',
    };
    const run = (args: string[]) => runCli(args, { env });
    const ok = await run(['request', 'GET', `${forward.url}/_cluster/health`, '--host', DOMAIN]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(JSON.parse(ok.stdout).status, /green|yellow/);
    const refused = await run(['request', 'GET', `${forward.url}/_cluster/health`, '--region', 'eu-west-1']);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /first difference: header "host"/);

    // The proxy the same way, in process: a tool talks to it, it talks to the forward.
    const proxy = await SigningProxy.start({ target: forward.url, signing: { host: DOMAIN, credentials: CREDENTIALS } });
    try {
      const answer = await fetch(`${proxy.url}/_cat/indices/host-option?format=json`);
      assert.equal(answer.status, 200);
      assert.equal(((await answer.json()) as Array<{ index: string }>)[0]!.index, 'host-option');
    } finally {
      await proxy.close();
    }
  });
});
