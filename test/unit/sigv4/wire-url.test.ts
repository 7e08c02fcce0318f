import assert from 'node:assert/strict';
import { ConfigurationError } from '../../../src/errors.js';
import { resetSigV4Caches } from '../../../src/sigv4/caches.js';
import { parseWireUrl } from '../../../src/sigv4/wire-url.js';

describe('sigv4 wire URL', function () {
  beforeEach(resetSigV4Caches);

  it('splits scheme, Host, path and query without normalising path or query', function () {
    assert.deepEqual(parseWireUrl('https://Search-X.EU-WEST-1.es.amazonaws.com/a/../b%2F?q=a+b#frag'),
      { scheme: 'https', host: 'search-x.eu-west-1.es.amazonaws.com', path: '/a/../b%2F', query: 'q=a+b' });
  });

  it('drops the default port and keeps any other, as the Host header carries it', function () {
    assert.equal(parseWireUrl('https://h.example:443/').host, 'h.example');
    assert.equal(parseWireUrl('http://h.example:80/').host, 'h.example');
    assert.equal(parseWireUrl('http://h.example:0443/').host, 'h.example:443');
    assert.equal(parseWireUrl('http://[::1]:9200/x').host, '[::1]:9200');
  });

  it('reads the same origin again from its cache, and a different one afresh', function () {
    assert.equal(parseWireUrl('https://a.example/x').host, 'a.example');
    assert.equal(parseWireUrl('https://a.example/y?z').path, '/y');
    assert.equal(parseWireUrl('https://a.example.evil/y').host, 'a.example.evil');
  });

  it('takes a WHATWG URL as it is', function () {
    assert.deepEqual(parseWireUrl(new URL('https://h.example:8443/p?a=1')), { scheme: 'https', host: 'h.example:8443', path: '/p', query: 'a=1' });
  });

  const refused: Array<[string, string | URL, RegExp]> = [
    ['a backslash fetch reads as a path (evil\\@good)', 'https://evil.example\\@good.example/', /fetch/],
    ['userinfo', 'https://user:hunter2@h.example/', /user name or password/],
    ['userinfo in a URL object', new URL('https://user:hunter2@h.example/'), /user name or password/],
    ['a scheme other than http(s)', 'ftp://h.example/', /http or https/],
    ['a URL object of another scheme', new URL('file:///etc/passwd'), /http or https/],
    ['a port out of range', 'https://h.example:65536/', /out of the range/],
    ['a percent-escaped host', 'https://%65vil.example/', /fetch/],
    ['a tab in the host, which WHATWG drops', 'https://ev\til.example/', /fetch/],
    ['a numeric IPv4 form WHATWG rewrites', 'http://0x7f.1/', /fetch/],
    ['no host', 'https:///path', /no valid host/],
    ['not absolute', '/just/a/path', /absolute/],
  ];
  for (const [what, url, message] of refused) {
    it(`refuses ${what}, typed`, function () {
      assert.throws(() => parseWireUrl(url), (error: unknown) => {
        assert.ok(error instanceof ConfigurationError);
        assert.equal(error.code, 'ERR_INVALID_URL');
        assert.match(error.message, message);
        assert.doesNotMatch(error.message, /hunter2/);
        return true;
      });
    });
  }
});
