/**
 * The CLI as installed, without the optional peers its command does not use: the built
 * bin (dist + package.json) copied into a temporary project whose node_modules holds
 * commander (and, in the second project, @aws-sdk/credential-providers) but no
 * @smithy/*. Help, version and the commands that need no missing peer work; a command
 * whose peer is missing exits 2 with ERR_MISSING_PEER_DEPENDENCY naming it, never a stack trace.
 */
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO, runCli, type CliRun } from '../support/cli-run.js';

const BIN = join(REPO, 'dist', 'cjs', 'cli', 'main.js');
const ENV: NodeJS.ProcessEnv = {
  PATH: process.env.PATH, HOME: process.env.HOME,
  AWS_CONFIG_FILE: '/nonexistent', AWS_SHARED_CREDENTIALS_FILE: '/nonexistent', AWS_EC2_METADATA_DISABLED: 'true', AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'AKIDINSTALLTEST00001', AWS_SECRET_ACCESS_KEY: 'install/Test+Secret0123456789abcdefghijk',
};

/** A project with the built package installed and only these packages beside it. */
function project(packages: string[]): { bin: string; remove(): void } {
  const root = mkdtempSync(join(tmpdir(), 'cli-install-'));
  const installed = join(root, 'node_modules', 'aws-sigv4-connection');
  mkdirSync(installed, { recursive: true });
  cpSync(join(REPO, 'dist'), join(installed, 'dist'), { recursive: true });
  cpSync(join(REPO, 'package.json'), join(installed, 'package.json'));
  for (const name of packages) {
    mkdirSync(join(root, 'node_modules', name, '..'), { recursive: true });
    symlinkSync(join(REPO, 'node_modules', name), join(root, 'node_modules', name), 'dir');
  }
  return { bin: join(installed, 'dist', 'cjs', 'cli', 'main.js'), remove: () => rmSync(root, { recursive: true, force: true }) };
}

function assertNoStack(run: CliRun): void {
  assert.doesNotMatch(run.stderr, /^\s+at /m, run.stderr);
}

describe('CLI as installed, without optional peers (built bin)', function () {
  this.timeout(60_000);
  before(function () {
    if (!existsSync(BIN)) {
      console.warn('\n  !!! SKIPPED: dist/cjs/cli/main.js not built (npm run build).\n');
      this.skip();
    }
  });

  describe('only commander (no @smithy/*, no @aws-sdk/credential-providers)', () => {
    let p: ReturnType<typeof project>;
    before(() => { p = project(['commander']); });
    after(() => p?.remove());

    it('--help, --version and each command\'s --help work', async () => {
      const version = (JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string }).version;
      const v = await runCli(['--version'], { env: ENV, bin: p.bin });
      assert.equal(v.code, 0, v.stderr);
      assert.equal(v.stdout.trim(), version);
      for (const args of [['--help'], ['request', '--help'], ['proxy', '--help'], ['verify-proxy', '--help']]) {
        const run = await runCli(args, { env: ENV, bin: p.bin });
        assert.equal(run.code, 0, `${args.join(' ')}: ${run.stderr}`);
        assert.match(run.stdout, /^Usage: aws-sigv4-connection/);
      }
    });

    it('verify-proxy exits 2 naming the @smithy package to install', async () => {
      const run = await runCli(['verify-proxy', '--port', '0'], { env: ENV, bin: p.bin });
      assert.equal(run.code, 2, run.stderr);
      assert.match(run.stderr, /needs the optional peer dependency @smithy\/signature-v4, which is not installed: run `npm install @smithy\/signature-v4 @smithy\/hash-node`.*\[ERR_MISSING_PEER_DEPENDENCY\]/);
      assertNoStack(run);
    });

    it('proxy and request on the default chain with no keys in the environment, and --profile, exit 2 naming @aws-sdk/credential-providers', async () => {
      const { AWS_ACCESS_KEY_ID: _id, AWS_SECRET_ACCESS_KEY: _secret, ...noKeys } = ENV;
      const runs: Array<[string[], NodeJS.ProcessEnv]> = [
        [['proxy', '--target', 'http://127.0.0.1:9', '--port', '0'], noKeys],
        [['request', 'GET', 'http://127.0.0.1:9/'], noKeys],
        [['request', 'GET', 'http://127.0.0.1:9/', '--profile', 'x'], ENV],
      ];
      for (const [args, env] of runs) {
        const run = await runCli(args, { env, bin: p.bin });
        assert.equal(run.code, 2, `${args.join(' ')}: ${run.stderr}`);
        assert.match(run.stderr, /npm install @aws-sdk\/credential-providers.*\[ERR_MISSING_PEER_DEPENDENCY\]/);
        assertNoStack(run);
      }
    });

    it('request with keys in the environment signs without the SDK (its chain\'s first link, fromEnv)', async () => {
      const run = await runCli(['request', 'GET', 'https://search-logs-abc.us-east-1.es.amazonaws.com/_cluster/health', '--dry-run'], { env: ENV, bin: p.bin });
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stdout, /Credential=AKIDINSTALLTEST00001\/\d{8}\/us-east-1\/es\/aws4_request/);
    });
  });

  describe('commander and @aws-sdk/credential-providers (the README\'s install line), no @smithy/* beside them', () => {
    let p: ReturnType<typeof project>;
    before(() => { p = project(['commander', '@aws-sdk/credential-providers']); });
    after(() => p?.remove());

    it('request --dry-run signs with the default chain', async () => {
      const run = await runCli(['request', 'GET', 'https://search-logs-abc.us-east-1.es.amazonaws.com/_cluster/health', '--dry-run'], { env: ENV, bin: p.bin });
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stdout, /Credential=AKIDINSTALLTEST00001\/\d{8}\/us-east-1\/es\/aws4_request/);
    });

    it('verify-proxy still exits 2 naming the @smithy package', async () => {
      const run = await runCli(['verify-proxy'], { env: ENV, bin: p.bin });
      assert.equal(run.code, 2, run.stderr);
      assert.match(run.stderr, /ERR_MISSING_PEER_DEPENDENCY/);
      assertNoStack(run);
    });
  });
});
