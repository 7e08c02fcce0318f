/**
 * Optional peers (src/peer.ts): a missing one is a typed error with the install line; a
 * present one is the very module `require` gives; an installed but broken one keeps Node's
 * own error, which names the package that is really missing, unless it (or a dependency of
 * it) is made for a newer Node than this one: then a typed error saying so.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigurationError } from '../../src/errors.js';
import { isMissingModule, requirePeer } from '../../src/peer.js';
import { nodeRangeIncludes } from '../../src/peer-engines.js';

const ABSENT = 'aws-sigv4-connection-absent-peer';

/** The error `f` throws (assert.throws checks that it throws at all). */
function thrown(f: () => unknown): unknown {
  let caught: unknown;
  assert.throws(f, (error: unknown) => { caught = error; return true; });
  return caught;
}

describe('optional peers', () => {
  it('a missing peer is ConfigurationError ERR_MISSING_PEER_DEPENDENCY naming who needs it and the install line', () => {
    const error = thrown(() => requirePeer(ABSENT, () => require(ABSENT), 'aws-sigv4-connection/somewhere'));
    assert.ok(error instanceof ConfigurationError);
    assert.equal(error.code, 'ERR_MISSING_PEER_DEPENDENCY');
    assert.match(error.message, /^aws-sigv4-connection\/somewhere needs the optional peer dependency aws-sigv4-connection-absent-peer/);
    assert.ok(error.message.includes(`\`npm install ${ABSENT}\``), error.message);
    assert.equal((error.cause as { code?: string }).code, 'MODULE_NOT_FOUND');
  });

  it('peers needed together are named together, in their order, whichever is missing', () => {
    const error = thrown(() => requirePeer(ABSENT, () => require(ABSENT), 'the stub', ['first-peer', ABSENT]));
    assert.ok(error instanceof ConfigurationError);
    assert.ok(error.message.includes(`\`npm install first-peer ${ABSENT}\``), error.message);
  });

  it('a present peer is the module require gives', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    assert.equal(requirePeer('commander', () => require('commander'), 'the CLI'), require('commander'));
  });

  it('Yarn PnP\'s "not found" (its message names the package unquoted) is the peer by its pnpCode and data.request; another package\'s is not', () => {
    // The shape Yarn 4.18 throws for an optional peer the app did not install (seen in a PnP install of the packed package).
    const pnp = (request: string, pnpCode = 'MISSING_PEER_DEPENDENCY') => Object.assign(
      new Error(`aws-sigv4-connection tried to access ${request} (a peer dependency) but it isn't provided by your application; this makes the require call ambiguous and unsound.\n\nRequired package: ${request}`),
      { code: 'MODULE_NOT_FOUND', pnpCode, data: { request, issuer: '/app/.yarn/cache/aws-sigv4-connection/dist/cjs/peer.js' } });
    assert.equal(isMissingModule(pnp('@aws-sdk/credential-providers'), '@aws-sdk/credential-providers'), true);
    assert.equal(isMissingModule(pnp('@elastic/transport/lib/connection', 'UNDECLARED_DEPENDENCY'), '@elastic/transport'), true);
    assert.equal(isMissingModule(pnp('@aws-sdk/credential-provider-node'), '@aws-sdk/credential-providers'), false);
  });

  it('"not found" means the peer itself, by require and by import; a broken peer\'s missing dependency is not it', async () => {
    const byRequire = thrown(() => require(ABSENT));
    assert.equal(isMissingModule(byRequire, ABSENT), true);
    const byImport = await import(ABSENT).then(() => assert.fail('imported'), (error: unknown) => error);
    assert.equal(isMissingModule(byImport, ABSENT), true);

    const dir = mkdtempSync(join(tmpdir(), 'sigv4-peer-'));
    try {
      writeFileSync(join(dir, 'index.js'), "require('its-own-missing-dependency');");
      const broken = thrown(() => require(join(dir, 'index.js')));
      assert.equal(isMissingModule(broken, 'broken-peer'), false);
      assert.equal(isMissingModule(broken, 'its-own-missing-dependency'), true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    assert.equal(isMissingModule(new TypeError(`'${ABSENT}'`), ABSENT), false);
  });

  describe('a peer made for a newer Node', () => {
    let root: string;
    /** A package under root/node_modules whose main throws what undici 7 throws on Node 18. */
    function fakePackage(name: string, json: Record<string, unknown>, main: string): string {
      const dir = join(root, 'node_modules', name);
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'package.json'), JSON.stringify({ name, version: '9.1.0', main: 'index.js', ...json }));
      writeFileSync(join(dir, 'index.js'), main);
      return dir;
    }
    const FAILS = "throw new ReferenceError('File is not defined');";
    before(() => { root = mkdtempSync(join(tmpdir(), 'sigv4-engines-')); });
    after(() => rmSync(root, { recursive: true, force: true }));

    it('its own engines exclude this Node: ERR_PEER_UNSUPPORTED_NODE naming it, its range and this Node, the load error as cause', () => {
      const peer = fakePackage('future-peer', { engines: { node: '>=99' } }, FAILS);
      const error = thrown(() => requirePeer(peer, () => require(peer), 'aws-sigv4-connection/somewhere'));
      assert.ok(error instanceof ConfigurationError);
      assert.equal(error.code, 'ERR_PEER_UNSUPPORTED_NODE');
      assert.ok(error.message.startsWith(`aws-sigv4-connection/somewhere loads the optional peer dependency ${peer}, which failed on Node ${process.version}: future-peer 9.1.0 declares engines.node ">=99"`), error.message);
      assert.equal((error.cause as Error).message, 'File is not defined');
    });

    it('a dependency\'s engines exclude this Node (@elastic/transport 9 under a client that says >=18): named as its dependency', () => {
      fakePackage('future-dep', { engines: { node: '^99.1.0 || >=100' } }, FAILS);
      const peer = fakePackage('lenient-peer', { engines: { node: '>=18' }, dependencies: { 'future-dep': '^9.0.0', 'not-installed': '^1.0.0' } }, "require('future-dep');");
      const error = thrown(() => requirePeer(peer, () => require(peer), 'the entry'));
      assert.ok(error instanceof ConfigurationError && error.code === 'ERR_PEER_UNSUPPORTED_NODE', String(error));
      assert.match(error.message, /: its dependency future-dep 9\.1\.0 declares engines\.node "\^99\.1\.0 \|\| >=100"\./);
    });

    it('a peer for this Node that throws keeps its own error', () => {
      const peer = fakePackage('broken-peer', { engines: { node: '>=18' } }, FAILS);
      const error = thrown(() => requirePeer(peer, () => require(peer), 'the entry'));
      assert.ok(error instanceof ReferenceError && !(error instanceof ConfigurationError));
    });
  });

  it('engines.node ranges: the forms packages publish; any other is unknown, never a claim', () => {
    const cases: Array<[string, string, boolean | undefined]> = [
      ['>=18', '18.20.8', true], ['>=20.0.0', '18.20.8', false], ['>= 20', '20.0.0', true],
      ['>=20.18.1', '20.18.0', false], ['>=20.18.1', '22.1.0', true],
      ['^20.19.0 || >=22.12.0', '20.20.2', true], ['^20.19.0 || >=22.12.0', '22.11.0', false], ['^20.19.0 || >=22.12.0', '24.0.0', true],
      ['^18.18.0 || ^20.9.0 || >=21.1.0', '18.20.8', true], ['>=18 <23', '24.1.0', false], ['>=18 <23', '22.9.9', true],
      ['>18', '18.20.8', false], ['>18', '19.0.0', true], ['<=18', '18.20.8', true], ['<18', '18.0.0', false],
      ['~18.2', '18.2.9', true], ['~18.2.1', '18.3.0', false], ['18.x', '18.20.8', true], ['18', '20.1.0', false],
      ['*', '18.0.0', true], ['', '18.0.0', true],
      ['18 - 20', '19.0.0', undefined], ['>=18.0.0-rc.1', '18.0.0', undefined], ['^0.1.0', '18.0.0', undefined],
      ['18 - 20 || >=22', '22.0.0', true], ['18 - 20 || >=22', '21.0.0', undefined],
    ];
    for (const [range, node, expected] of cases) assert.equal(nodeRangeIncludes(range, node), expected, `"${range}" with ${node}`);
  });
});
