/**
 * `instanceof` across copies of the package in one process (two installed versions, a bundled
 * copy beside an installed one): a second copy of src/errors.ts (it imports nothing), loaded
 * from another file, must agree with the first both ways; a user's own subclass keeps plain prototype rules.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as first from '../../src/errors.js';

type Errors = typeof first;

describe('error classes: instanceof across copies', function () {
  let second: Errors;
  let dir: string;
  before(async function () {
    dir = mkdtempSync(join(tmpdir(), 'sigv4-errors-copy-'));
    copyFileSync(join(__dirname, '..', '..', 'src', 'errors.ts'), join(dir, 'errors.ts'));
    second = (await import(join(dir, 'errors.ts'))) as Errors;
    assert.notEqual(second.ConfigurationError, first.ConfigurationError, 'a second copy of the classes was loaded');
  });

  after(() => rmSync(dir, { recursive: true, force: true }));

  it('an error of one copy is instanceof the other copy\'s class and its bases, both ways', function () {
    for (const [from, to] of [[first, second], [second, first]] as const) {
      const error = new from.ConfigurationError('ERR_INVALID_OPTIONS', 'x');
      assert.equal(error instanceof to.ConfigurationError, true);
      assert.equal(error instanceof to.AwsSigV4Error, true);
      assert.equal(error instanceof Error, true);
      assert.equal(error instanceof to.CredentialsError, false);
      assert.equal(error instanceof to.SignatureRejectedError, false);
      const rejected = new from.SignatureRejectedError({ kind: 'signature-mismatch', statusCode: 403, awsMessage: 'm', hint: 'h' });
      assert.equal(rejected instanceof to.SignatureRejectedError, true);
      assert.equal(rejected instanceof to.ConfigurationError, false);
    }
  });

  it('plain errors and look-alikes are not ours; a user subclass follows its prototype chain', function () {
    assert.equal(new Error('x') instanceof first.AwsSigV4Error, false);
    assert.equal({ code: 'ERR_INVALID_OPTIONS', name: 'ConfigurationError' } instanceof first.ConfigurationError, false);
    assert.equal((null as unknown as object) instanceof first.AwsSigV4Error, false);
    class MyError extends first.ConfigurationError {}
    assert.equal(new MyError('ERR_INVALID_OPTIONS', 'x') instanceof second.ConfigurationError, true);
    assert.equal(new first.ConfigurationError('ERR_INVALID_OPTIONS', 'x') instanceof MyError, false);
    assert.equal(new MyError('ERR_INVALID_OPTIONS', 'x') instanceof MyError, true);
  });

  it('the brands never print', function () {
    const error = new first.CredentialsError('ERR_CREDENTIALS_PROVIDER', 'x');
    assert.equal(Object.keys(error).some((k) => k.includes('brand')), false);
    assert.equal(Object.getOwnPropertySymbols(error).length, 0);
    assert.equal(JSON.stringify(error).includes('brand'), false);
  });
});
