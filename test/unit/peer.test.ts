/**
 * Optional peers (src/peer.ts): a missing one is a typed error with the install line; a
 * present one is the very module `require` gives; an installed but broken one keeps Node's
 * own error, which names the package that is really missing.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigurationError } from '../../src/errors.js';
import { isMissingModule, requirePeer } from '../../src/peer.js';

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
});
