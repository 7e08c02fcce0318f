/**
 * `request --dry-run` and `--print-curl`: what would be sent, shown without sending, with
 * no secret, token or signature in it; the curl line, run by curl itself, is accepted by
 * the verifying stub (curl signs it with --aws-sigv4).
 */
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { runCli } from '../support/cli-run.js';
import { useSignedStack } from '../support/stack.js';

const TOKEN = 'FwoGZXIvYXdzEDRYRUN//////////wEaDDryRunToken0123456789=';

function curlSigns(): boolean {
  try {
    return execFileSync('curl', ['--help', 'all']).toString().includes('--aws-sigv4');
  } catch {
    return false;
  }
}

describe('CLI request --dry-run and --print-curl', function () {
  this.timeout(30_000);
  const stack = useSignedStack();
  const env = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => ({
    PATH: process.env.PATH, HOME: process.env.HOME,
    AWS_CONFIG_FILE: '/nonexistent', AWS_SHARED_CREDENTIALS_FILE: '/nonexistent', AWS_EC2_METADATA_DISABLED: 'true', AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: stack().credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: stack().credentials.secretAccessKey, ...extra,
  });

  it('--dry-run prints the signed request, signature and token redacted, and sends nothing', async () => {
    const before = stack().proxy.records.length;
    const run = await runCli(['request', 'PUT', `${stack().stubUrl}/logs/_doc/1?refresh=true`, '--data', '{"a":1}', '--dry-run'], { env: env({ AWS_SESSION_TOKEN: TOKEN }) });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^PUT \/logs\/_doc\/1\?refresh=true HTTP\/1\.1$/m);
    assert.match(run.stdout, /^authorization: AWS4-HMAC-SHA256 Credential=AKID[^/]*\/\d{8}\/us-east-1\/es\/aws4_request, SignedHeaders=content-length;content-type;host;x-amz-date;x-amz-security-token, Signature=\[REDACTED\]$/m);
    assert.match(run.stdout, /^x-amz-security-token: \[REDACTED\]$/m);
    assert.match(run.stdout, /^\* body: 7 bytes$/m);
    for (const secret of [TOKEN, stack().credentials.secretAccessKey]) assert.ok(!run.stdout.includes(secret) && !run.stderr.includes(secret));
    assert.doesNotMatch(run.stdout, /Signature=[0-9a-f]{64}/);
    assert.equal(stack().proxy.records.length, before, 'a dry run reached the server');
  });

  it('--print-curl prints a curl line with no secret in it; curl runs it and the stub accepts its signature', async function () {
    const run = await runCli(['request', 'PUT', `${stack().stubUrl}/logs/_doc/2`, '--data', '{"b":2}', '--print-curl'], { env: env() });
    assert.equal(run.code, 0, run.stderr);
    const line = run.stdout.trim();
    assert.match(line, /^curl --aws-sigv4 aws:amz:us-east-1:es --user "\$AWS_ACCESS_KEY_ID:\$AWS_SECRET_ACCESS_KEY" /);
    assert.ok(!line.includes(stack().credentials.secretAccessKey));
    if (!curlSigns()) this.skip();
    const before = stack().proxy.records.length;
    const out = await new Promise<string>((resolve, reject) => {
      execFile('sh', ['-c', `${line} -sS`], { env: env() }, (error, stdout, stderr) => (error ? reject(new Error(stderr)) : resolve(stdout)));
    });
    assert.equal(out, '{}');
    assert.equal(stack().proxy.records.length, before + 1);
    assert.equal(stack().proxy.records.at(-1)?.verdict, 'accepted');
    assert.equal(stack().proxy.records.at(-1)?.method, 'PUT');
  });

  it('--print-curl with --signing-host connects to the URL and signs for the domain', async () => {
    const run = await runCli(['request', 'GET', 'https://localhost:9443/_cat/indices', '--signing-host', 'vpc-logs-abc.eu-west-1.es.amazonaws.com', '--print-curl'], { env: env() });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /--aws-sigv4 aws:amz:eu-west-1:es /);
    assert.match(run.stdout, /--connect-to vpc-logs-abc\.eu-west-1\.es\.amazonaws\.com:443:localhost:9443 https:\/\/vpc-logs-abc\.eu-west-1\.es\.amazonaws\.com\/_cat\/indices$/m);
  });

  it('the deprecated --host still signs for the name, with a warning on stderr', async () => {
    const run = await runCli(['request', 'GET', 'https://localhost:9443/', '--host', 'vpc-logs-abc.eu-west-1.es.amazonaws.com', '--dry-run'], { env: env() });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /warning: --host is deprecated for the name signed for: use --signing-host/);
    assert.match(run.stdout, /^host: vpc-logs-abc\.eu-west-1\.es\.amazonaws\.com$/m);
  });
});
