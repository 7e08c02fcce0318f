import assert from 'node:assert/strict';
import { ConfigurationError, CredentialsError } from '../../../src/errors.js';
import { resetSigV4Caches } from '../../../src/sigv4/caches.js';
import { canonicalHeaders, canonicalHeaderValue, trimAll, trimmedToken } from '../../../src/sigv4/canonical-headers.js';

describe('sigv4 canonical headers', function () {
  beforeEach(resetSigV4Caches);

  it('trims and folds white space as Python str.split() does', function () {
    assert.equal(trimAll('  a   b  '), 'a b');
    assert.equal(trimAll('a\tb\u00a0c'), 'a b c');
    assert.equal(trimAll('a b'), 'a b');
    assert.equal(trimAll('   '), '');
  });

  it('refuses a value that would break the header line', function () {
    for (const value of ['a\r\nx-evil: 1', 'a\nb', 'a\0b', 'a\rb']) {
      assert.throws(() => canonicalHeaderValue('x-h', value), (e: unknown) => e instanceof ConfigurationError && e.code === 'ERR_INVALID_HEADERS');
    }
    assert.equal(canonicalHeaderValue('x-h', ' a  b\t'), 'a b');
  });

  it('sorts names by code unit and joins the signed names with ;', function () {
    const many = new Map<string, string>(Array.from({ length: 40 }, (_, i) => [`x-${String(39 - i).padStart(2, '0')}`, 'v']));
    const sortedMany = canonicalHeaders(many).signedHeaders.split(';');
    assert.deepEqual(sortedMany, [...sortedMany].sort());
    assert.deepEqual(canonicalHeaders(new Map([['x-b', '2'], ['host', 'h'], ['x-a', '1']])),
      { canonical: 'host:h\nx-a:1\nx-b:2\n', signedHeaders: 'host;x-a;x-b' });
  });

  it('trims the session token once and refuses one with a line break', function () {
    assert.equal(trimmedToken('  tok  en '), 'tok en');
    assert.equal(trimmedToken('  tok  en '), 'tok en');
    assert.throws(() => trimmedToken('tok\nen'), (e: unknown) => e instanceof CredentialsError && e.code === 'ERR_CREDENTIALS_MALFORMED' && !e.message.includes('tok'));
  });
});
