import assert from 'node:assert/strict';
import { canonicalQuery, percentDecode } from '../../../src/sigv4/canonical-query.js';

describe('sigv4 canonical query', function () {
  it('decodes like Python unquote: + stays, bad escapes stay literal, bad UTF-8 becomes U+FFFD', function () {
    assert.equal(percentDecode('a+b%20c'), 'a+b c');
    assert.equal(percentDecode('%zz%4'), '%zz%4');
    assert.equal(percentDecode('%C3%A9'), 'é');
    assert.equal(percentDecode('%FF'), '\uFFFD');
    assert.equal(percentDecode('é%41'), 'éA');
  });

  it('sorts by encoded key then value, re-encoding each part per RFC 3986', function () {
    assert.equal(canonicalQuery(''), '');
    assert.equal(canonicalQuery('b=2&a=1&a=0'), 'a=0&a=1&b=2');
    assert.equal(canonicalQuery('q=a+b'), 'q=a%2Bb');
    assert.equal(canonicalQuery('flag'), 'flag=');
    assert.equal(canonicalQuery('k=v=w&&x'), 'k=v%3Dw&x=');
    assert.equal(canonicalQuery('%7e=%41'), '~=A');
  });
});
