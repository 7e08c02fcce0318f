/**
 * The package as a bundler sees it, from the installed tarball: esbuild for Node (a Lambda
 * zip) takes the `module` condition's ES modules (dist/module) for an `import` and for a
 * `require` alike, so an app that does both, through two entries, holds one copy of each
 * class; the bundle runs from a folder with no node_modules and signs requests the verifying
 * stub accepts; and it is tree-shaken (an app that only signs carries no client adapter).
 * webpack and rollup apply the condition the same way (their docs, and docs/bundlers.md).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { build, type BuildOptions, type Metafile } from 'esbuild';
import type { VerifyProxy } from '../../src/testing/index.js';
import { startStub, TEST_CREDENTIALS } from '../support/stack.js';
import { README_PEERS, removePackedTarball, userProject } from './user-project.js';

/** An ES module app that also has a CommonJS module: each loads the main entry and /opensearch. */
const APP = {
  'legacy.cjs': `
    module.exports = { core: require('aws-sigv4-connection'), os: require('aws-sigv4-connection/opensearch') };
  `,
  'app.mjs': `
    import * as core from 'aws-sigv4-connection';
    import { AwsSigV4Connection } from 'aws-sigv4-connection/opensearch';
    import { Client } from '@opensearch-project/opensearch';
    import legacy from './legacy.cjs';
    const rejection = (sign) => { try { sign({ method: 'GET', url: 'not a url' }, { region: 'us-east-1', service: 'es', credentials: { accessKeyId: 'AKID', secretAccessKey: 'x' } }); } catch (e) { return e; } };
    async function main() {
      const answers = [];
      for (const Connection of [AwsSigV4Connection, legacy.os.AwsSigV4Connection]) {
        const client = new Client({ node: process.env.STUB_URL, maxRetries: 0, Connection: Connection.configure({ region: 'us-east-1', credentials: { accessKeyId: process.env.KEY_ID, secretAccessKey: process.env.SECRET } }) });
        answers.push((await client.transport.request({ method: 'GET', path: '/_bundled' })).statusCode);
        await client.close();
      }
      console.log(JSON.stringify({
        answers,
        sameConnection: AwsSigV4Connection === legacy.os.AwsSigV4Connection,
        sameErrorClasses: ['AwsSigV4Error', 'ConfigurationError', 'CredentialsError', 'SignatureRejectedError'].every((n) => core[n] === legacy.core[n]),
        requiredErrorIsImportedClass: rejection(legacy.core.signRequest) instanceof core.ConfigurationError,
        importedErrorIsRequiredClass: rejection(core.signRequest) instanceof legacy.core.ConfigurationError,
      }));
    }
    main().catch((error) => { console.error(error); process.exit(1); });
  `,
  'sign-only.mjs': `
    import { signRequest } from 'aws-sigv4-connection';
    const signed = signRequest({ method: 'GET', url: 'https://search-x.us-east-1.es.amazonaws.com/' }, { region: 'us-east-1', service: 'es', signingDate: new Date(Date.UTC(2026, 0, 2)), credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'x/y+z' } });
    console.log(signed.headers.authorization);
  `,
};

/** The files that put bytes into the bundle (esbuild lists the ones it read and dropped too). */
function bundledFiles(metafile: Metafile): string[] {
  const [output] = Object.values(metafile.outputs);
  return Object.entries(output!.inputs).filter(([, { bytesInOutput }]) => bytesInOutput > 0).map(([file]) => file);
}

/** Our package's files in the bundle, relative to the package. */
function ourInputs(metafile: Metafile): string[] {
  const prefix = 'node_modules/aws-sigv4-connection/';
  return bundledFiles(metafile).filter((file) => file.startsWith(prefix)).map((file) => file.slice(prefix.length));
}

/** The names of the packages in the bundle. */
function bundledPackages(metafile: Metafile): string[] {
  const names = bundledFiles(metafile).map((file) => /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file)?.[1]).filter((name) => name !== undefined);
  return [...new Set(names)].sort();
}

describe('bundled for Node by esbuild, from the installed package', function () {
  this.timeout(120_000);
  let project: string;
  let alone: string;
  let stub: VerifyProxy;
  before(async () => {
    project = userProject(README_PEERS);
    for (const [file, text] of Object.entries(APP)) writeFileSync(join(project, file), text);
    alone = mkdtempSync(join(tmpdir(), 'sigv4-bundled-'));
    stub = await startStub();
  });
  after(async () => {
    await stub?.close();
    for (const dir of [project, alone]) if (dir) rmSync(dir, { recursive: true, force: true });
    removePackedTarball();
  });

  /** Bundles `entry` from the project and runs it from a folder with no node_modules. */
  async function bundleAndRun(entry: string, options: BuildOptions): Promise<{ stdout: string; inputs: string[]; packages: string[] }> {
    const out = await build({ entryPoints: [entry], absWorkingDir: project, bundle: true, platform: 'node', target: 'node18', write: false, metafile: true, logLevel: 'silent', ...options });
    const file = join(alone, `${entry}.${options.format === 'esm' ? 'mjs' : 'cjs'}`);
    writeFileSync(file, out.outputFiles![0]!.contents);
    // Not spawnSync: the stub answering it runs in this process.
    const { stdout } = await promisify(execFile)(process.execPath, [file], {
      cwd: alone, encoding: 'utf8', timeout: 30_000,
      env: { PATH: process.env.PATH, STUB_URL: stub.url, KEY_ID: TEST_CREDENTIALS.accessKeyId, SECRET: TEST_CREDENTIALS.secretAccessKey },
    });
    return { stdout, inputs: ourInputs(out.metafile!), packages: bundledPackages(out.metafile!) };
  }

  const formats: Array<[BuildOptions['format'], BuildOptions]> = [
    ['cjs', { format: 'cjs' }],
    // The ESM Lambda banner as most set-ups write it: the package's own imports of Node
    // built-ins must not declare createRequire (or dirname) beside it.
    ['esm', { format: 'esm', banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" } }],
  ];
  for (const [format, options] of formats) {
    it(`${format}: import and require of the main entry and /opensearch bundle one copy, the ES modules of dist/module; instanceof holds across; both sign`, async () => {
      const before = stub.records.length;
      const { stdout, inputs } = await bundleAndRun('app.mjs', options);
      assert.ok(inputs.includes('dist/module/index.js') && inputs.includes('dist/module/opensearch.js'), inputs.join());
      assert.deepEqual(inputs.filter((file) => !file.startsWith('dist/module/')), [], 'nothing from dist/cjs or dist/esm: one implementation');
      assert.deepEqual(JSON.parse(stdout), {
        answers: [200, 200], sameConnection: true, sameErrorClasses: true, requiredErrorIsImportedClass: true, importedErrorIsRequiredClass: true,
      });
      assert.deepEqual(stub.records.slice(before).map((r) => r.verdict), ['accepted', 'accepted']);
    });
  }

  it('tree-shaken: an app that only signs carries no client adapter, credential chain or fetch, and signs as Node does', async () => {
    const { stdout, inputs, packages } = await bundleAndRun('sign-only.mjs', { format: 'esm', minify: true });
    assert.ok(inputs.includes('dist/module/sigv4/sign.js'), inputs.join());
    assert.deepEqual(packages, ['aws-sigv4-connection']);
    for (const dropped of ['opensearch.js', 'adapters/callback-connection.js', 'default-credentials.js', 'signed-fetch.js']) {
      assert.ok(!inputs.includes(`dist/module/${dropped}`), `${dropped} in the bundle: ${inputs.join()}`);
    }
    const { stdout: byNode } = await promisify(execFile)(process.execPath, [join(project, 'sign-only.mjs')], { cwd: project, encoding: 'utf8' });
    assert.match(stdout, /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/20260102\/us-east-1\/es\/aws4_request, /);
    assert.equal(stdout, byNode);
  });
});
