/** The proxy's checks on their own: Host/Origin guard and CORS, inbound credential, path prefix, body budget, listen exposure, the access log's masking, the bound on refusal bodies. */
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { readRefusalText } from '../../src/adapters/shared.js';
import { LogRedactor, loggablePath } from '../../src/proxy/access-log.js';
import { addressBlock, AuthThrottle, throttleKey } from '../../src/proxy/auth-throttle.js';
import { BodyBudget } from '../../src/proxy/body-budget.js';
import { defaultMaxConnections, openFilesSoftLimit } from '../../src/proxy/connection-cap.js';
import { CredentialEcho } from '../../src/proxy/credential-echo.js';
import { HostGuard, isPreflight, mergeVary, originWarning, preflightHeaders } from '../../src/proxy/host-guard.js';
import { checkExposure, InboundAuth, isLoopback, tokenBitsCeiling } from '../../src/proxy/inbound-auth.js';
import { originForm, underPrefix } from '../../src/proxy/target-path.js';
import { ConfigurationError } from '../../src/errors.js';
import { SigningProxy } from '../../src/proxy/signing-proxy.js';

describe('proxy guards', () => {
  describe('HostGuard', () => {
    const guard = new HostGuard({ listenHost: '127.0.0.1', port: 9200, allowHosts: ['Search.Internal'], allowOrigins: ['https://grafana.example.com/'] });

    it('accepts loopback names with or without port, IPv6 in brackets, allowed names in any case', () => {
      for (const host of ['127.0.0.1:9200', 'localhost', 'LOCALHOST:9200', '[::1]:9200', '[::1]', 'search.internal:443']) {
        assert.equal(guard.check({ host }), undefined, String(host));
      }
    });

    it('refuses a request without Host (HTTP/1.0), saying to send one, but where it is optional (a health probe)', () => {
      const refusal = guard.check({});
      assert.equal(refusal?.kind, 'host');
      assert.match(refusal!.message, /the request has no Host header, which names who it is for\. Send one \(Host: 127\.0\.0\.1:9200\)/);
      assert.equal(guard.check({}, [], true), undefined);
      assert.equal(guard.check({ host: 'evil.example' }, [], true)?.kind, 'host', 'a wrong Host is refused on a probe too');
    });

    it('refuses more than one Host line, even when the first is a loopback name (Node keeps the first; a server in front may read another)', () => {
      const refusal = guard.check({ host: 'localhost:9200' }, ['Host', 'localhost:9200', 'Accept', '*/*', 'host', 'evil.example']);
      assert.equal(refusal?.kind, 'host');
      assert.match(refusal!.message, /more than one Host header line/);
      assert.equal(guard.check({ host: 'localhost:9200' }, ['Host', 'localhost:9200', 'X-Host', 'evil.example']), undefined);
    });

    it('refuses other names, naming --allow-host', () => {
      for (const host of ['evil.example', 'evil.example:9200', '127.0.0.2:9200', '[::2]:9200', 'localhost.evil.example']) {
        const refusal = guard.check({ host });
        assert.equal(refusal?.kind, 'host', host);
        assert.match(refusal!.message, /--allow-host/);
      }
    });

    it('refuses a Host that is not host[:port] (bracketed IPv6 followed by anything but :port, empty labels, trailing junk), without offering --allow-host', () => {
      const odd = [
        '[::1].evil.com', '[::1]evil.com', '[::1]:9200.evil.com', '[::1]:', '[::1]:9200:80', '[::1]:port', '[::1', '::1]', '[[::1]]', '[::1]]', '[]', '[evil.com]', '[127.0.0.1]', '[fe80::1%25eth0]', '[v1.fe]',
        '', ' ', '.', 'localhost.', '.localhost', 'local..host', 'localhost..', '127.0.0.1.', '127..0.0.1',
        'localhost:', 'localhost:9200:', 'localhost::9200', 'localhost:9200x', 'localhost:-1', 'localhost:99999', 'localhost:123456',
        'localhost/x', 'localhost?x', 'localhost#x', 'user@localhost', 'localhost 9200', 'local%68ost', 'localhost\\evil', '::1', '::1:9200',
      ];
      for (const host of odd) {
        const refusal = guard.check({ host });
        assert.equal(refusal?.kind, 'host', JSON.stringify(host));
        assert.match(refusal!.message, /is not a host name, IPv4 address or \[IPv6\] address with an optional :port/, JSON.stringify(host));
        assert.doesNotMatch(refusal!.message, /--allow-host/, JSON.stringify(host));
      }
      // An allowed name in the same places is still itself: only the form was refused.
      for (const host of ['search.internal', 'search.internal:9200', '[::1]:65535', 'LOCALHOST:1']) assert.equal(guard.check({ host }), undefined, host);
    });

    it('browser origins: its own and allowed ones pass; others, null and cross-site fetches are refused naming --allow-origin', () => {
      assert.equal(guard.check({ host: '127.0.0.1:9200', origin: 'http://127.0.0.1:9200' }), undefined);
      assert.equal(guard.check({ host: '127.0.0.1:9200', origin: 'https://grafana.example.com' }), undefined);
      assert.equal(guard.check({ host: '127.0.0.1:9200', 'sec-fetch-site': 'same-origin' }), undefined);
      assert.equal(guard.check({ host: '127.0.0.1:9200', 'sec-fetch-site': 'none' }), undefined);
      for (const headers of [{ origin: 'http://evil.example' }, { origin: 'null' }, { origin: 'http://127.0.0.1:9201' }, { 'sec-fetch-site': 'cross-site' }, { 'sec-fetch-site': 'same-site' }]) {
        const refusal = guard.check({ host: '127.0.0.1:9200', ...headers });
        assert.equal(refusal?.kind, 'origin', JSON.stringify(headers));
        assert.match(refusal!.message, /--allow-origin/);
      }
      assert.equal(new HostGuard({ listenHost: '127.0.0.1', port: 1, allowOrigins: ['*'] }).check({ host: '127.0.0.1:1', origin: 'http://any.example', 'sec-fetch-site': 'cross-site' }), undefined);
    });

    it('--allow-origin "*" and null get a warning saying what they allow; named origins none', () => {
      assert.match(originWarning(['https://grafana.example.com', '*'])!, /any web page .* AWS identity/);
      assert.match(originWarning(['NULL'])!, /sandboxed frames .* every page/);
      assert.equal(originWarning(['https://grafana.example.com']), undefined);
      assert.equal(originWarning(undefined), undefined);
    });

    it('a preflight (OPTIONS with Origin and Access-Control-Request-Method) is answered with the origin, methods forwarded, headers asked', () => {
      assert.ok(isPreflight('OPTIONS', { origin: 'https://grafana.example.com', 'access-control-request-method': 'PUT' }));
      assert.equal(isPreflight('OPTIONS', { origin: 'https://grafana.example.com' }), false);
      assert.equal(isPreflight('GET', { origin: 'https://grafana.example.com', 'access-control-request-method': 'PUT' }), false);
      const headers = preflightHeaders({ origin: 'https://grafana.example.com', 'access-control-request-headers': 'content-type, authorization' });
      assert.equal(headers['access-control-allow-origin'], 'https://grafana.example.com');
      assert.equal(headers['access-control-allow-headers'], 'content-type, authorization');
      assert.match(headers['access-control-allow-methods']!, /PUT/);
      assert.doesNotMatch(headers['access-control-allow-methods']!, /TRACE/);
      assert.match(headers.vary!, /^Origin/);
      assert.ok(Number(headers['access-control-max-age']) > 0);
      assert.equal(headers['access-control-allow-private-network'], undefined, 'granted unasked');
    });

    it('a Private Network Access preflight from an allowed origin is granted (Chromium drops the request otherwise), and varies by it', () => {
      const headers = preflightHeaders({ origin: 'https://grafana.example.com', 'access-control-request-private-network': 'true' });
      assert.equal(headers['access-control-allow-private-network'], 'true');
      assert.match(headers.vary!, /Access-Control-Request-Private-Network/);
      assert.equal(preflightHeaders({ origin: 'https://grafana.example.com', 'access-control-request-private-network': 'false' })['access-control-allow-private-network'], undefined);
    });
  });

  describe('mergeVary: the proxy\'s Vary: Origin added to the target\'s, not in place of it', () => {
    it('keeps the target\'s names (its spelling and place), adds Origin once in any case, one line', () => {
      assert.deepEqual(mergeVary(['Content-Type', 'application/json', 'Vary', 'Accept-Encoding', 'X-A', '1'], 'Origin'), ['Content-Type', 'application/json', 'Vary', 'Accept-Encoding, Origin', 'X-A', '1']);
      assert.deepEqual(mergeVary(['vary', 'accept-encoding, ORIGIN'], 'Origin'), ['vary', 'accept-encoding, ORIGIN']);
      assert.deepEqual(mergeVary(['Vary', 'Accept-Encoding', 'X-A', '1', 'Vary', ' accept-encoding ,, Accept-Language'], 'Origin'), ['Vary', 'Accept-Encoding, Accept-Language, Origin', 'X-A', '1']);
      assert.deepEqual(mergeVary(['X-A', '1'], 'Origin'), ['X-A', '1', 'vary', 'Origin']);
      assert.deepEqual(mergeVary([], 'Origin'), ['vary', 'Origin']);
    });

    it('a target that varies by everything (*) stays *', () => {
      assert.deepEqual(mergeVary(['Vary', '*'], 'Origin'), ['Vary', '*']);
      assert.deepEqual(mergeVary(['Vary', 'Accept-Encoding, *'], 'Origin'), ['Vary', '*']);
    });
  });

  describe('InboundAuth', () => {
    it('accepts exactly the token (scheme in any case), or basic auth; refuses others of any length', () => {
      const tok = 'tok-123-4f0c9a7e1b2d3c5e6f708192';
      const auth = new InboundAuth({ token: tok, basic: 'ops:pw' });
      assert.ok(auth.accepts(`Bearer ${tok}`));
      assert.ok(auth.accepts(`bearer ${tok}`));
      assert.ok(auth.accepts(`Basic ${Buffer.from('ops:pw').toString('base64')}`));
      for (const value of [undefined, '', `Bearer ${tok.slice(0, -1)}`, `Bearer ${tok}4`, `Bearer ${tok.toUpperCase()}`, tok, `Basic ${Buffer.from('ops:pW').toString('base64')}`]) {
        assert.equal(auth.accepts(value), false, String(value));
      }
      assert.ok(new InboundAuth({}).accepts(undefined));
    });

    it('prints no credential', () => {
      const auth = new InboundAuth({ token: 'secret-token-xyz-0123456789abcdef', basic: 'ops:secret-pw' });
      for (const text of [inspect(auth, { depth: 5, showHidden: true }), JSON.stringify(auth)]) {
        assert.ok(!text.includes('secret-token-xyz') && !text.includes('secret-pw'), text);
      }
    });

    it('refuses a token that can be guessed (under 128 bits as its characters could carry), typed, never quoting it', () => {
      const weak = ['7391', 'secret', 'tok-123', 'abc-123.def_456', '0123456789012345678901234567890123456', 'a'.repeat(27), 'deadbeefdeadbeefdeadbeef'];
      for (const token of weak) {
        assert.ok(tokenBitsCeiling(token) < 128, token);
        assert.throws(() => new InboundAuth({ token }), (e: unknown) => e instanceof ConfigurationError && e.code === 'ERR_INVALID_OPTIONS'
          && /^The inbound token can be guessed: its \d+ characters carry at most \d+ bits, .* needs 128\. Use a random one, e\.g\. the output of `openssl rand -hex 32`\.$/.test(e.message)
          && !e.message.includes(token), token);
      }
      // 16 random bytes as base64url (22 characters), 32 hex digits (`openssl rand -hex 16`,
      // digits and lower case: a ceiling of 165 bits), and longer ones.
      for (const token of ['3q2-7wEAAQIDBAUGBwgJCg', '9f86d081884c7d659a2feaa0c55ad015', 'a'.repeat(28), 'proxy-inbound-token-0123456789']) {
        assert.ok(tokenBitsCeiling(token) >= 128, token);
        assert.ok(new InboundAuth({ token }).accepts(`Bearer ${token}`), token);
      }
      assert.equal(tokenBitsCeiling(''), 0);
      assert.equal(Math.round(tokenBitsCeiling('0'.repeat(10))), 33);
      assert.equal(tokenBitsCeiling('aA0!'.repeat(5)), 20 * Math.log2(95));
    });

    it('namesUser: basic auth naming the expected user, whatever the password; nothing else', () => {
      const auth = new InboundAuth({ basic: 'ops:right-pw' });
      const basic = (pair: string | Buffer) => `Basic ${Buffer.from(pair).toString('base64')}`;
      for (const value of [basic('ops:right-pw'), basic('ops:wrong'), basic('ops:'), `basic ${Buffer.from('ops:x').toString('base64')}`, basic('ops')]) {
        assert.ok(auth.namesUser(value), value);
      }
      for (const value of [undefined, '', basic('Ops:right-pw'), basic('op:right-pw'), basic('ops2:x'), basic(':ops'), 'Bearer ops', 'Basic', 'Basic !!!', basic(Buffer.from([0xff, 0x3a]))]) {
        assert.equal(auth.namesUser(value), false, String(value));
      }
      assert.equal(new InboundAuth({ token: '9f86d081884c7d659a2feaa0c55ad015' }).namesUser(basic('ops:x')), false);
      assert.ok(new InboundAuth({ basic: 'Jürgen:pw' }).namesUser(basic('Jürgen:other')));
    });

    it('beyond loopback: an error without credential or flag, a warning otherwise', () => {
      for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]']) {
        assert.ok(isLoopback(host), host);
        assert.equal(checkExposure(host, new InboundAuth({}), false), undefined);
      }
      assert.throws(() => checkExposure('0.0.0.0', new InboundAuth({}), false), (e: unknown) => e instanceof ConfigurationError && /--auth-token/.test(e.message));
      assert.throws(() => checkExposure('::', new InboundAuth({}), undefined), ConfigurationError);
      assert.match(checkExposure('0.0.0.0', new InboundAuth({ basic: 'ops:pw' }), false)!, /must send the inbound credential/);
      assert.match(checkExposure('10.0.0.5', new InboundAuth({}), true)!, /WITHOUT an inbound credential/);
    });
  });

  describe('throttleKey: what one client controls', () => {
    it('an IPv6 /64, an IPv4-mapped address as its IPv4, all of loopback as one; others as they are', () => {
      const cases: Array<[string, string]> = [
        ['10.0.0.1', '10.0.0.1'],
        ['127.0.0.1', 'loopback'], ['127.0.0.2', 'loopback'], ['127.255.1.9', 'loopback'], ['::1', 'loopback'], ['0:0:0:0:0:0:0:1', 'loopback'], ['::ffff:127.0.0.3', 'loopback'],
        ['::ffff:10.0.0.1', '10.0.0.1'], ['::FFFF:a00:1', '10.0.0.1'], ['0:0:0:0:0:ffff:10.0.0.1', '10.0.0.1'],
        ['2001:db8:1:2::1', '2001:db8:1:2::/64'], ['2001:db8:1:2:ffff:ffff:ffff:fffe', '2001:db8:1:2::/64'], ['2001:0DB8:0001:0002:0:0:0:7', '2001:db8:1:2::/64'],
        ['2001:db8::1', '2001:db8:0:0::/64'], ['fe80::1%eth0', 'fe80:0:0:0::/64'], ['::', '0:0:0:0::/64'], ['2001:db8:1:3::1', '2001:db8:1:3::/64'],
        ['', ''], ['not-an-address', 'not-an-address'],
      ];
      for (const [address, block] of cases) assert.equal(addressBlock(address), block, address);
      assert.notEqual(throttleKey('10.0.0.1', true), throttleKey('10.0.0.1', false));
      assert.equal(throttleKey('::ffff:10.0.0.1', true), throttleKey('10.0.0.1', true));
    });
  });

  describe('AuthThrottle: failed inbound-credential attempts per client address', () => {
    const clocked = (options: { maxAddresses?: number } = {}) => {
      const clock = { t: 1_000_000 };
      return { clock, throttle: new AuthThrottle({ ...options, now: () => clock.t }) };
    };

    it('lets 10 failures within 60 s through, then tells that address how many seconds until the oldest leaves the window', () => {
      const { clock, throttle } = clocked();
      for (let i = 0; i < 10; i++) {
        assert.equal(throttle.retryAfter('10.0.0.1'), undefined, `attempt ${i + 1}`);
        throttle.failed('10.0.0.1');
        clock.t += 1000;
      }
      // The first failure was at 1_000_000, now is 1_010_000: 50 s until it leaves the window.
      assert.equal(throttle.retryAfter('10.0.0.1'), 50);
      clock.t += 49_500;
      assert.equal(throttle.retryAfter('10.0.0.1'), 1);
      clock.t += 500;
      // The oldest failure left the window: one more attempt.
      assert.equal(throttle.retryAfter('10.0.0.1'), undefined);
      throttle.failed('10.0.0.1');
      assert.equal(throttle.retryAfter('10.0.0.1'), 1);
      clock.t += 60_000;
      assert.equal(throttle.retryAfter('10.0.0.1'), undefined);
    });

    it('counts each address on its own: another address, and failures spread over more than 60 s, are not held', () => {
      const { clock, throttle } = clocked();
      for (let i = 0; i < 10; i++) throttle.failed('10.0.0.1');
      assert.ok(throttle.retryAfter('10.0.0.1') !== undefined);
      assert.equal(throttle.retryAfter('10.0.0.2'), undefined);
      for (let i = 0; i < 30; i++) {
        throttle.failed('10.0.0.3');
        clock.t += 7000;
        assert.equal(throttle.retryAfter('10.0.0.3'), undefined, `failure ${i + 1}`);
      }
    });

    it('holds at most maxAddresses, forgetting the one that failed least recently', () => {
      const { throttle } = clocked({ maxAddresses: 3 });
      for (const address of ['a', 'b', 'c']) for (let i = 0; i < 10; i++) throttle.failed(address);
      throttle.failed('a');
      throttle.failed('d');
      assert.equal(throttle.size, 3);
      assert.equal(throttle.retryAfter('b'), undefined, 'b failed least recently: forgotten');
      for (const address of ['a', 'c']) assert.ok(throttle.retryAfter(address) !== undefined, address);
      for (let i = 0; i < 20_000; i++) throttle.failed(`10.${i}`);
      assert.equal(throttle.size, 3);
    });
  });

  describe('CredentialEcho: the inbound credential outside Authorization', () => {
    const token = 's3cr3t-inbound-TOKEN-1234567890';
    const echo = new CredentialEcho({ token, basic: 'alice:pa55word-XYZ' });
    const b64 = Buffer.from('alice:pa55word-XYZ').toString('base64');

    it('finds it in the query, raw, percent-encoded (either case, partly, +), as the pair or its base64, naming only the place', () => {
      for (const target of [
        '/x?password=pa55word-XYZ&u=alice%3Apa55word-XYZ', `/x?access_token=${token}`, `/x?t=${encodeURIComponent(token).replace(/-/g, '%2D')}`,
        '/x?p=pa55word%2dXYZ', '/x?p=%70a55word-XYZ', `/x?b=${encodeURIComponent(b64)}`, '/x?u=alice:pa55word-XYZ', '/x?bad=%zz&p=pa55word-XYZ',
      ]) assert.equal(echo.find(target, []), 'the query', target);
      assert.equal(echo.find('/pa55word-XYZ/_doc/1', []), 'the path');
    });

    it('finds it in another header by its name (lower case), in a header name without quoting it, and nowhere else', () => {
      assert.equal(echo.find('/x', ['X-Auth', `Bearer ${token}`]), 'header "x-auth"');
      assert.equal(echo.find('/x', ['accept', '*/*', 'X-Basic', `Basic ${b64}`]), 'header "x-basic"');
      assert.equal(echo.find('/x', [token, 'x']), "a header's name");
      assert.equal(echo.find('/_search?q=pa55word&size=10', ['accept', '*/*', 'x-opaque-id', 'pa55']), undefined);
      assert.equal(new CredentialEcho(undefined).find(`/x?t=${token}`, ['x', token]), undefined);
    });

    it('a short password is found only where it stands alone: `/_search` is no echo of the password "search"', () => {
      const short = new CredentialEcho({ basic: 'ops:search' });
      for (const target of ['/_search', '/logs/_search?q=research', '/_msearch']) assert.equal(short.find(target, ['x-opaque-id', 'searches']), undefined, target);
      assert.equal(short.find('/x?password=search', []), 'the query');
      assert.equal(short.find('/x', ['x-pw', 'search']), 'header "x-pw"');
    });

    it('finds a UTF-8 password sent in a header (Node gives its bytes as Latin-1) and prints none', () => {
      const utf8 = new CredentialEcho({ basic: 'ops:pässwörd' });
      assert.equal(utf8.find('/x', ['x-pw', Buffer.from('pässwörd', 'utf8').toString('latin1')]), 'header "x-pw"');
      assert.equal(utf8.find(`/x?p=${encodeURIComponent('pässwörd')}`, []), 'the query');
      for (const text of [inspect(echo, { depth: 5, showHidden: true }), JSON.stringify(echo)]) assert.ok(!text.includes('pa55') && !text.includes('s3cr3t'), text);
    });
  });

  describe('the default connection cap', () => {
    const limits = 'Limit                     Soft Limit           Hard Limit           Units\nMax processes             63474                63474                processes\nMax open files            1024                 1048576              files\n';

    it('is half the open-files soft limit of /proc/self/limits', () => {
      assert.equal(openFilesSoftLimit(limits), 1024);
      assert.equal(defaultMaxConnections(() => limits), 512);
    });

    it('is no cap where the limit cannot be read or is unlimited', () => {
      assert.equal(defaultMaxConnections(() => { throw new Error('ENOENT'); }), undefined);
      assert.equal(defaultMaxConnections(() => limits.replace(/1024 /, 'unlimited ')), undefined);
      assert.equal(defaultMaxConnections(() => ''), undefined);
    });
  });

  describe('target path', () => {
    it('refuses dot-dot segments under a prefix, written or encoded, with either slash', () => {
      for (const path of ['/..', '/../x', '/a/../../x', '/%2e%2e/x', '/%2E%2e%2fx', '/.%2e/x', '/..%5cx', '/..\\x']) {
        assert.equal('status' in underPrefix('/stage', path), true, path);
      }
      // Read as `..` by a server behind the prefix that decodes twice, drops `;` parameters
      // (Tomcat, Jetty) or decodes overlong UTF-8 or fullwidth dots: each was signed and sent.
      for (const path of ['/..;/_cluster', '/..;jsessionid=1/x', '/..%3b/_cluster', '/%252e%252e/_cluster', '/..%252f_cluster', '/%25252e%25252e/x', '/%c0%ae%c0%ae/_cluster', '/%ef%bc%8e%ef%bc%8e/_cluster', '/..%ef%bc%8fx']) {
        assert.equal('status' in underPrefix('/stage', path), true, path);
      }
      for (const path of ['/x/..y', '/..x', '/a.b/c', '/_search?q=../..', '/idx/_doc/100%25', '/idx/_doc/a%252fb', '/a;b/c', '/...;/x']) {
        assert.deepEqual(underPrefix('/stage', path), { pathAndQuery: `/stage${path}` }, path);
      }
      // Without a prefix there is nothing to leave.
      assert.deepEqual(underPrefix('', '/../x'), { pathAndQuery: '/../x' });
    });

    it('refuses a raw "#" anywhere in the request-target, prefix or not', () => {
      for (const [prefix, path] of [['/logs-app', '/a#/../../_cluster'], ['/logs-app', '/_search?q=a#b'], ['', '/a#b'], ['', '/#']]) {
        const refused = underPrefix(prefix!, path!);
        assert.equal('status' in refused && refused.status, 400, path);
        assert.match((refused as { message: string }).message, /%23/);
      }
      assert.deepEqual(underPrefix('/logs-app', '/a%23b'), { pathAndQuery: '/logs-app/a%23b' });
    });

    it('cuts absolute-form to origin-form, userinfo with it', () => {
      assert.equal(originForm('http://u:p@host:1/a?b'), '/a?b');
      assert.equal(originForm('http://host'), '/');
      assert.equal(originForm('http://host?x=1'), '/?x=1');
      assert.equal(originForm('/a'), '/a');
    });
  });

  it('BodyBudget: reserves while it fits, releases', () => {
    const budget = new BodyBudget(10);
    assert.ok(budget.reserve(6));
    assert.equal(budget.reserve(5), false);
    assert.equal(budget.inFlight, 6);
    budget.release(6);
    assert.ok(budget.reserve(10));
  });

  it('BodyHold: nothing up front, bytes taken as they arrive, all given back once', () => {
    const budget = new BodyBudget(10);
    // Idle holds (a declared length, no byte yet) take nothing from the others.
    const idle = [budget.hold(), budget.hold(), budget.hold()];
    assert.equal(budget.inFlight, 0);
    const hold = budget.hold();
    assert.ok(hold.take(3) && hold.take(1));
    assert.equal(budget.inFlight, 4);
    assert.ok(hold.take(5));
    assert.equal(budget.inFlight, 9);
    assert.equal(hold.take(2), false);
    assert.equal(budget.inFlight, 9, 'a refused take kept bytes');
    hold.release();
    hold.release();
    assert.equal(budget.inFlight, 0);
    assert.equal(hold.take(1), false, 'a released hold took more');
    for (const h of idle) h.release();
    assert.equal(budget.inFlight, 0);
  });

  it('BodyHold.reserveAhead: bytes taken for a buffer ahead of the body are what its chunks then count against; refused whole when they do not fit', () => {
    const budget = new BodyBudget(10);
    const hold = budget.hold();
    assert.ok(hold.take(2));
    assert.ok(hold.reserveAhead(5));
    assert.equal(budget.inFlight, 7);
    assert.ok(hold.take(3) && hold.take(2), 'chunks covered by the reservation');
    assert.equal(budget.inFlight, 7, 'the reserved bytes counted twice');
    assert.ok(hold.take(1), 'past the reservation: taken from the budget again');
    assert.equal(budget.inFlight, 8);
    assert.equal(hold.reserveAhead(3), false);
    assert.equal(budget.inFlight, 8, 'a refused reservation kept bytes');
    hold.release();
    assert.equal(budget.inFlight, 0);
    assert.equal(hold.reserveAhead(1), false, 'a released hold reserved');
  });

  describe('the access log', () => {
    it('masks the values of query parameters that carry credentials by name, in any case', () => {
      const path = loggablePath('/_search?q=1&access_token=a1&TOKEN=a2&password=a3&api_key=a4&ApiKey=a5&auth=a6&Authorization=a7&x-api-key=a8&X-Amz-Signature=a9&id_token=b1&size=10&tokens=keep');
      for (const value of ['a1', 'a2', 'a3', 'a4', 'a5', 'a6', 'a7', 'a8', 'a9', 'b1']) assert.ok(!path.includes(`=${value}`), `${value} in ${path}`);
      assert.match(path, /^\/_search\?q=1&access_token=\[REDACTED\]&TOKEN=\[REDACTED\]/);
      assert.match(path, /&size=10&tokens=keep$/);
      assert.equal(loggablePath('/logs/_doc/1'), '/logs/_doc/1');
    });

    it('masks under percent-encoded names and ;-separated pairs, and a //user:pass@ path', () => {
      const path = loggablePath('//user:hunter2@evil/x?x%2Damz%2Dsecurity%2Dtoken=t1;X-Amz-Security-Token=t2&a=1;b=2');
      for (const value of ['hunter2', 't1', 't2']) assert.ok(!path.includes(value), `${value} in ${path}`);
      assert.match(path, /&a=1;b=2$/);
    });

    it('masks the inbound credential by value wherever it is, raw or percent-encoded, and prints none of it', () => {
      const redactor = new LogRedactor(['tok/en+123', 'pass word', undefined, '']);
      const path = redactor.path('/tok/en+123/_search?q=tok%2Fen%2B123&x=tok%2fen%2b123&p=pass%20word&f=pass+word');
      for (const secret of ['tok/en+123', 'tok%2Fen%2B123', 'tok%2fen%2b123', 'pass word', 'pass%20word', 'pass+word']) assert.ok(!path.includes(secret), `${secret} in ${path}`);
      assert.equal(redactor.text('Host "x" refused'), 'Host "x" refused');
      for (const text of [inspect(redactor, { depth: 5, showHidden: true }), JSON.stringify(redactor)]) assert.ok(!text.includes('tok') && !text.includes('pass'), text);
    });
  });

  describe('refusal bodies (readRefusalText, shared with the Connections)', () => {
    const refusal = '{"message":"The security token included in the request is invalid."}';

    it('decodes gzip, deflate, br and none', () => {
      for (const [encoding, bytes] of [['gzip', gzipSync(refusal)], ['deflate', deflateSync(refusal)], ['br', brotliCompressSync(refusal)], [undefined, Buffer.from(refusal)], ['identity', Buffer.from(refusal)]] as const) {
        assert.deepEqual(readRefusalText(bytes, encoding), { text: refusal, decoded: true }, String(encoding));
      }
    });

    it('a body that expands past the bound (a zip bomb), a corrupt one or an unknown encoding: a short note, flagged not decoded', () => {
      const bomb = gzipSync(Buffer.alloc(8 * 1024 * 1024));
      for (const [bytes, encoding] of [[bomb, 'gzip'], [Buffer.from('not gzip'), 'gzip'], [Buffer.from(refusal), 'zstd']] as const) {
        const { text, decoded } = readRefusalText(bytes, encoding, 1024 * 1024);
        assert.equal(decoded, false, encoding);
        assert.ok(text.length < 400);
        assert.match(JSON.parse(text).message, /could not be decoded within 1048576 bytes/);
      }
      // Within the bound it decodes.
      assert.equal(readRefusalText(bomb, 'gzip', 8 * 1024 * 1024).decoded, true);
    });
  });

  it('addHeaders no HTTP stack could send are refused at start (ERR_INVALID_OPTIONS), not as a 500 on every request; the value is not quoted', async () => {
    const signing = { region: 'us-east-1', service: 'es', credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'proxy/Guard+Secret0123456789abcdefghijk' } };
    for (const addHeaders of <Array<Record<string, string>>>[{ 'x-a': 'v\r\nInjected: 1' }, { 'x-a': 'v\u0001hiddenvalue' }, { 'x a': 'v' }, { 'x-a': 5 as unknown as string }]) {
      await assert.rejects(SigningProxy.start({ target: 'http://127.0.0.1:9', signing, addHeaders }),
        (e: unknown) => e instanceof ConfigurationError && e.code === 'ERR_INVALID_OPTIONS' && !e.message.includes('Injected') && !e.message.includes('hiddenvalue'), JSON.stringify(addHeaders));
    }
  });
});
