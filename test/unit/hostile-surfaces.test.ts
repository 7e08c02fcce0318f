/**
 * Hostile input, round 2: what the first round (bad-input.test.ts, hostile-values.test.ts)
 * left through. Each case failed before its fix: an untyped error after signing, a typed
 * error naming the wrong thing, or a secret in what the verifying stub records.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { inspect } from 'node:util';
import { runInNewContext } from 'node:vm';
import { CredentialCache } from '../../src/credentials.js';
import { resolveEndpoint } from '../../src/endpoint.js';
import { ConfigurationError, CredentialsError } from '../../src/errors.js';
import { createSignedFetch } from '../../src/fetch.js';
import { AwsSigV4Connection } from '../../src/opensearch.js';
import { RequestSigner } from '../../src/request-signer.js';
import { presignRequest, resetSigV4Caches, signRequest } from '../../src/sigv4.js';
import { startVerifyProxy } from '../../src/testing/index.js';
import { parseHeaderLines } from '../../src/cli/flags.js';
import { requestHeaders } from '../../src/signed-fetch.js';
import { canonicalQuery, canonicalUri, classifyRejection, EMPTY_SHA256, firstDifference, payloadHash, signatureRejectionOf } from '../../src/index.js';
import { useCountingServer } from '../support/counting-server.js';
import { createSignedFetch as createWebSignedFetch } from '../../src/web-node.js';
import type { AwsCredentialIdentity } from '../../src/sigv4/types.js';

const SECRET = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY';
const TOKEN = 'IQoJb3JpZ2luX2VjEHostileToken/with+and=';

function assertNoSecret(text: string, where: string): void {
  for (const secret of [SECRET, TOKEN, encodeURIComponent(TOKEN), 'hunter2']) assert.ok(!text.includes(secret), `a secret in ${where}: ${text}`);
}

function typed(kind: typeof ConfigurationError | typeof CredentialsError, code: string, where: string): (error: unknown) => boolean {
  return (error: unknown) => {
    assert.ok(error instanceof kind, `${where}: expected a ${kind.name}, got ${String(error)}`);
    assert.equal((error as ConfigurationError).code, code, `${where}: ${(error as Error).message}`);
    assertNoSecret(`${(error as Error).message} ${inspect(error, { depth: Infinity, showHidden: true })}`, where);
    return true;
  };
}

describe('hostile surfaces (round 2)', function () {
  const server = useCountingServer();

  describe('an access key id no HTTP stack sends in the Authorization header', function () {
    // Before: signed, then node:http threw ERR_INVALID_CHAR and fetch "fetch failed" or a
    // ByteString TypeError, untyped and after the provider and the signer had run.
    const ids: Array<[string, string]> = [
      ['a control character (\\x01)', 'AKID\x01EXAMPLE'],
      ['DEL', 'AKID\x7fEXAMPLE'],
      ['a character above U+00FF', 'AKID\u2603EXAMPLE'],
      ['a no-break space (refused before too, as white space)', 'AKIDEXAMPLE\u00a0'],
      // Before: signed and sent; the header carried byte E9, a presigned URL's X-Amz-Credential
      // UTF-8 C3 A9, so the two forms named different keys, and AWS has neither.
      ['a Latin-1 letter', 'AKID\u00e9XAMPLE'],
      // Before: signed and sent as `Credential=AKID/x/20260101/...` (a server reads key id
      // AKID and a scope that is not the one signed) or `Credential=AKID,Signature=...`.
      ['a "/", the scope separator', 'AKID/EXAMPLE'],
      ['a ",", the parameter separator', 'AKID,Signature=0'],
    ];
    for (const [what, accessKeyId] of ids) {
      const credentials = { accessKeyId, secretAccessKey: SECRET, sessionToken: TOKEN };
      it(`${what}: ERR_CREDENTIALS_MALFORMED from every entry, nothing sent`, async function () {
        const request = { method: 'GET', url: `http://127.0.0.1:${server.port}/` };
        const options = { region: 'eu-west-1', service: 'es', credentials };
        assert.throws(() => signRequest(request, options), typed(CredentialsError, 'ERR_CREDENTIALS_MALFORMED', 'signRequest'));
        assert.throws(() => presignRequest(request, options), typed(CredentialsError, 'ERR_CREDENTIALS_MALFORMED', 'presignRequest'));
        assert.throws(() => AwsSigV4Connection.configure(options), typed(CredentialsError, 'ERR_CREDENTIALS_MALFORMED', 'configure()'));
        for (const create of [createSignedFetch, createWebSignedFetch]) {
          // From a provider: the cache's check, at the first request.
          const signedFetch = create({ region: 'eu-west-1', credentials: async () => credentials });
          await assert.rejects(signedFetch(`http://127.0.0.1:${server.port}/`), typed(CredentialsError, 'ERR_CREDENTIALS_MALFORMED', 'createSignedFetch'));
        }
        assert.equal(server.hits, 0, 'a request reached the server');
      });
    }

    it('(control) a key id of the other visible ASCII characters (emulators take any) still signs and is sent', async function () {
      const signedFetch = createSignedFetch({ region: 'eu-west-1', credentials: { accessKeyId: 'AKID_EXAMPLE-1.test+=~', secretAccessKey: SECRET } });
      assert.equal((await signedFetch(`http://127.0.0.1:${server.port}/`)).status, 200);
      assert.equal(server.hits, 1);
    });
  });

  describe('options that say other than they seem (found by a red-team review)', function () {
    const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: SECRET };
    // Nothing is sent here: signRequest and presignRequest only compute.
    const request = { method: 'GET', url: 'https://api.example.com/items?a=1' };

    it('presigning a URL that already has X-Amz-* signing parameters is ERR_INVALID_URL, in any case or encoding (it came back with two of each, the caller\'s first)', function () {
      const options = { region: 'eu-west-1', service: 'execute-api', credentials };
      const { url } = presignRequest(request, options);
      for (const presigned of [url, `${request.url}&X-Amz-Signature=${'0'.repeat(64)}`, `${request.url}&x-amz-date=20260101T000000Z`, `${request.url}&X%2DAmz%2DExpires=60`]) {
        assert.throws(() => presignRequest({ ...request, url: presigned }, options), typed(ConfigurationError, 'ERR_INVALID_URL', presigned));
      }
      // Other x-amz-* parameters (a caller's own) are signed as before.
      assert.match(presignRequest({ ...request, url: `${request.url}&x-amz-meta-note=1` }, options).url, /x-amz-meta-note=1&X-Amz-Algorithm=/);
    });

    it('a contentSha256 that is not a boolean is ERR_INVALID_OPTIONS in signRequest, as in configure() (it was read as false)', function () {
      for (const contentSha256 of ['yes', 1, null]) {
        assert.throws(() => signRequest(request, { region: 'eu-west-1', service: 'es', credentials, contentSha256 } as never), typed(ConfigurationError, 'ERR_INVALID_OPTIONS', String(contentSha256)));
      }
    });

    it('an option inherited from a polluted Object.prototype is neither signed (region) nor "unknown"', function () {
      const proto = Object.prototype as Record<string, unknown>;
      const plain = signRequest(request, { region: 'eu-west-1', service: 'es', credentials, signingDate: new Date(0) });
      try {
        proto.region = 'evil-1';
        proto.polluted = true;
        const signed = signRequest(request, { region: 'eu-west-1', service: 'es', credentials, signingDate: new Date(0) });
        assert.equal(signed.signature, plain.signature);
        // Without its own region: refused as missing, not signed for the polluted one.
        assert.throws(() => signRequest(request, { service: 'es', credentials } as never), typed(ConfigurationError, 'ERR_MISSING_REGION', 'no own region'));
      } finally {
        delete proto.region;
        delete proto.polluted;
      }
    });
  });

  describe('a secret given where another value belongs is refused without quoting it', function () {
    // Before: the refusal quoted the value whole ("options.region \"wJalr...\" cannot go in a credential scope").
    it('as region, service, method, an option name or a header name; a short bad value is still quoted', function () {
      const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: SECRET };
      const request = { method: 'GET', url: `http://127.0.0.1:${server.port}/` };
      const attempts: Array<[string, () => unknown]> = [
        ['configure region', () => AwsSigV4Connection.configure({ region: SECRET, credentials })],
        ['signRequest service', () => signRequest(request, { region: 'eu-west-1', service: TOKEN, credentials })],
        ['signRequest method', () => signRequest({ ...request, method: SECRET }, { region: 'eu-west-1', service: 'es', credentials })],
        ['an option name', () => signRequest(request, { region: 'eu-west-1', service: 'es', credentials, [TOKEN]: 1 } as never)],
        ['a header name', () => signRequest({ ...request, headers: { [`${SECRET}:`]: 'x' } }, { region: 'eu-west-1', service: 'es', credentials })],
        ['resolveEndpoint AWS_REGION', () => resolveEndpoint('https://example.com', { env: { AWS_REGION: SECRET } })],
      ];
      for (const [what, attempt] of attempts) {
        assert.throws(attempt, (error: unknown) => {
          assert.ok(error instanceof ConfigurationError, `${what}: ${String(error)}`);
          assert.match(error.message, /not quoted/, what);
          assertNoSecret(`${error.message} ${inspect(error, { depth: Infinity, showHidden: true })}`, what);
          return true;
        });
      }
      assert.throws(() => signRequest(request, { region: 'eu west', service: 'es', credentials }), /"eu west" cannot go in a credential scope/);
      assert.equal(server.hits, 0);
    });
  });

  describe('the key id and the secret swapped (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY mixed up)', function () {
    // Before: signed, with the secret sent as the Credential's key id of the Authorization
    // header, to AWS (which logs key ids) or any server; the onSign event and our messages
    // showed its first and last four characters as the masked key.
    const swapped = { accessKeyId: SECRET, secretAccessKey: 'AKIAIOSFODNN7EXAMPLE' };

    it('is ERR_CREDENTIALS_MALFORMED from every entry, nothing sent, the secret unquoted', async function () {
      const request = { method: 'GET', url: `http://127.0.0.1:${server.port}/` };
      const options = { region: 'eu-west-1', service: 'es', credentials: swapped };
      const typedMalformed = typed(CredentialsError, 'ERR_CREDENTIALS_MALFORMED', 'swapped');
      // Told as a swap, not as a key id holding "/" (the secret's base64): the fix, not a symptom.
      const refused = (error: unknown): boolean => typedMalformed(error) && /look swapped/.test((error as Error).message);
      assert.throws(() => signRequest(request, options), refused);
      assert.throws(() => presignRequest(request, options), refused);
      assert.throws(() => AwsSigV4Connection.configure(options), refused);
      for (const create of [createSignedFetch, createWebSignedFetch]) {
        let signed = 0;
        const signedFetch = create({ region: 'eu-west-1', credentials: async () => swapped, onSign: () => { signed++; } });
        await assert.rejects(signedFetch(`http://127.0.0.1:${server.port}/`), (error: unknown) => {
          refused(error);
          assert.ok(!(error as Error).message.includes(`${SECRET.slice(0, 4)}...`), 'the masked "key id" is the secret\'s');
          return true;
        });
        assert.equal(signed, 0);
      }
      assert.equal(server.hits, 0, 'a request reached the server');
    });

    it('(control) a secret of 40 characters that starts like a key id still signs', function () {
      const signed = signRequest({ method: 'GET', url: 'https://search-x.eu-west-1.es.amazonaws.com/' },
        { region: 'eu-west-1', service: 'es', credentials: { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'AKIAIOSFODNN7EXAMPLEwJalrXUtnFEMI/K7MDEN' } });
      assert.match(signed.headers.authorization!, /^AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE\//);
    });
  });

  describe('a header given as an array holding what is not a string', function () {
    // Before: ['a', null] was sent as "a," (join) but signed as "a,null" (String), a signature
    // AWS refuses as a mismatch; a Symbol threw a raw TypeError from join.
    const holding: Array<[string, unknown]> = [['null', null], ['undefined', undefined], ['a Symbol', Symbol('s')], ['an object', { toString: () => 'b' }], ['an array', ['b']]];
    for (const [what, element] of holding) {
      it(`${what}: ERR_INVALID_HEADERS from signRequest and presignRequest`, function () {
        const request = { method: 'GET', url: 'https://search-x.eu-west-1.es.amazonaws.com/', headers: { 'x-tag': ['a', element] as never } };
        const options = { region: 'eu-west-1', service: 'es', credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: SECRET, sessionToken: TOKEN } };
        assert.throws(() => signRequest(request, options), typed(ConfigurationError, 'ERR_INVALID_HEADERS', 'signRequest'));
        assert.throws(() => presignRequest(request, options), typed(ConfigurationError, 'ERR_INVALID_HEADERS', 'presignRequest'));
      });
    }

    it('strings and numbers sign, white space at their edges too, and what is sent is what the stub verifies', async function () {
      const identity = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: SECRET };
      const proxy = await startVerifyProxy({ region: 'eu-west-1', credentials: [identity] });
      try {
        // A number, as the single-value form takes one (the type says strings; JavaScript callers pass numbers).
        // White space at a value's edge, signed trimmed (as AWS signs repeated lines), is sent
        // trimmed too: sent inside the one joined line, the server would keep it (a mismatch before).
        const signed = signRequest({ method: 'GET', url: `${proxy.url}/`, headers: { 'x-tag': ['a ', 5 as never, ' b c'] } }, { region: 'eu-west-1', service: 'es', credentials: identity });
        assert.equal(signed.headers['x-tag'], 'a,5,b c');
        const { host: _host, ...headers } = signed.headers;
        await (await fetch(`${proxy.url}/`, { headers })).arrayBuffer();
        assert.equal(proxy.records.at(-1)!.verdict, 'accepted', proxy.records.at(-1)!.message);
      } finally {
        await proxy.close();
      }
    });
  });

  describe('an expiration that is not a plain Date', function () {
    const hostile: Array<[string, () => unknown]> = [
      // getTime on a Proxy of a Date throws a TypeError: it escaped configure() untyped.
      ['a Proxy of a Date', () => new Proxy(new Date(Date.now() + 3_600_000), {})],
      ['an object posing as a Date (Date.prototype, no time of its own)', () => Object.create(Date.prototype) as unknown],
      ['a plain object with a getTime (refused before too)', () => ({ getTime: () => Date.now() + 3_600_000 })],
    ];
    for (const [what, expiration] of hostile) {
      it(`${what}: ERR_CREDENTIALS_MALFORMED as a static identity and from a provider (not a provider failure)`, async function () {
        const identity = (): AwsCredentialIdentity => ({ accessKeyId: 'AKIDEXAMPLE', secretAccessKey: SECRET, expiration: expiration() as Date });
        assert.throws(() => AwsSigV4Connection.configure({ region: 'eu-west-1', credentials: identity() }), typed(CredentialsError, 'ERR_CREDENTIALS_MALFORMED', 'configure()'));
        assert.throws(() => new CredentialCache(identity()), typed(CredentialsError, 'ERR_CREDENTIALS_MALFORMED', 'new CredentialCache'));
        const cache = new CredentialCache(async () => identity());
        await assert.rejects(Promise.resolve(cache.get()), typed(CredentialsError, 'ERR_CREDENTIALS_MALFORMED', 'the provider path'));
      });
    }

    it('a Date is read by Date\'s own getTime: an own getTime that throws (quoting the secret) or lies is not asked; a Date of another realm is a Date', async function () {
      // Before: an own getTime that threw escaped configure() raw, the secret in its message.
      const at = Date.now() + 3_600_000;
      const dates: Array<[string, Date]> = [
        ['own getTime throws', Object.assign(new Date(at), { getTime: () => { throw new Error(`no time for ${SECRET}`); } })],
        ['own getTime lies', Object.assign(new Date(at), { getTime: () => 0 })],
        ['another realm', runInNewContext(`new Date(${at})`) as Date],
      ];
      for (const [what, expiration] of dates) {
        const identity = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: SECRET, expiration };
        AwsSigV4Connection.configure({ region: 'eu-west-1', credentials: identity });
        const cache = new CredentialCache(async () => identity);
        assert.equal((await cache.get()).expiration?.getTime(), at, what);
      }
    });

    it('is read once: a Date the provider moves afterwards (setTime) does not move the cached one', async function () {
      const expiration = new Date(Date.now() + 3_600_000);
      const cache = new CredentialCache(async () => ({ accessKeyId: 'AKIDEXAMPLE', secretAccessKey: SECRET, expiration }));
      const first = await cache.get();
      const held = first.expiration!.toISOString();
      expiration.setTime(0);
      assert.equal((cache.get() as AwsCredentialIdentity).expiration?.toISOString(), held);
      assert.equal((JSON.parse(JSON.stringify(cache)) as { expiration: string }).expiration, held);
    });

    it('(control) a real Date, a far-future one and null still sign', async function () {
      for (const expiration of [new Date(Date.now() + 3_600_000), new Date(8.64e15), null]) {
        const cache = new CredentialCache(async () => ({ accessKeyId: 'AKIDEXAMPLE', secretAccessKey: SECRET, expiration: expiration as Date }));
        assert.equal((await cache.get()).accessKeyId, 'AKIDEXAMPLE');
      }
    });
  });

  describe('a region from the environment that cannot go in a credential scope', function () {
    // Before: resolveEndpoint returned it as it was, and the signer refused every request
    // with 'options.region "eu-west-1\n" cannot go in a credential scope': an option never passed.
    for (const [name, value] of [['AWS_REGION', 'eu-west-1\n'], ['AWS_DEFAULT_REGION', 'eu west 1'], ['AWS_REGION', 'eu-west-1\r\nx-evil: 1'], ['AWS_REGION', 42]] as const) {
      it(`${name}=${JSON.stringify(value)}: ERR_INVALID_OPTIONS naming the variable, from resolveEndpoint and a Connection`, async function () {
        const env = { [name]: value } as unknown as Record<string, string>;
        const names = (error: unknown): boolean => {
          typed(ConfigurationError, 'ERR_INVALID_OPTIONS', name)(error);
          assert.match((error as Error).message, new RegExp(`environment variable ${name}\\b`));
          assert.doesNotMatch((error as Error).message, /options\.region/);
          return true;
        };
        assert.throws(() => resolveEndpoint('https://search.example.com', { env }), names);
        // process.env holds strings only: a number comes from an env object passed in.
        if (typeof value !== 'string') return;
        const saved = { AWS_REGION: process.env.AWS_REGION, AWS_DEFAULT_REGION: process.env.AWS_DEFAULT_REGION };
        delete process.env.AWS_REGION;
        delete process.env.AWS_DEFAULT_REGION;
        process.env[name] = String(value);
        try {
          const { Client } = await import('@opensearch-project/opensearch');
          const Connection = AwsSigV4Connection.configure({ credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: SECRET } });
          const client = new Client({ node: `http://127.0.0.1:${server.port}`, Connection, maxRetries: 0 });
          await assert.rejects(client.info(), names);
          await client.close();
        } finally {
          for (const [k, v] of Object.entries(saved)) {
            if (v === undefined) delete process.env[k];
            else process.env[k] = v;
          }
        }
        assert.equal(server.hits, 0, 'a request reached the server');
      });
    }

    it('(control) a good AWS_REGION, and AWS_DEFAULT_REGION under an empty AWS_REGION, resolve', function () {
      assert.equal(resolveEndpoint('https://search.example.com', { env: { AWS_REGION: 'eu-west-1' } }).region, 'eu-west-1');
      assert.equal(resolveEndpoint('https://search.example.com', { env: { AWS_REGION: '', AWS_DEFAULT_REGION: 'us-gov-west-1' } }).region, 'us-gov-west-1');
    });
  });

  describe('a same-origin redirect whose Location carries user:password', function () {
    // Before: followed, signed, then fetch threw "Request cannot be constructed from a URL that
    // includes credentials: http://user:hunter2@..." – the server's password in our caller's error.
    let redirects: Server;
    let at = '';
    let followed = 0;
    before(async function () {
      redirects = createServer((req, res) => {
        if (req.url === '/next') { followed++; res.end('{}'); return; }
        res.writeHead(302, { location: req.url === '/plain' ? `${at}/next` : at.replace('http://', 'http://user:hunter2@') + '/next' });
        res.end();
      });
      await new Promise<void>((resolve) => redirects.listen(0, '127.0.0.1', resolve));
      at = `http://127.0.0.1:${(redirects.address() as AddressInfo).port}`;
    });
    after(async function () {
      const closed = new Promise<void>((resolve) => redirects.close(() => resolve()));
      redirects.closeAllConnections();
      await closed;
    });

    it('is not followed: the 3xx is the answer, as for another origin, from both entries; a plain one still is', async function () {
      for (const create of [createSignedFetch, createWebSignedFetch]) {
        followed = 0;
        const signedFetch = create({ region: 'eu-west-1', credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: SECRET } });
        const response = await signedFetch(`${at}/userinfo`);
        assert.equal(response.status, 302);
        assert.equal(followed, 0, 'the hop with userinfo was followed');
        const plain = await signedFetch(`${at}/plain`);
        assert.equal(plain.status, 200);
        assert.equal(followed, 1);
      }
    });
  });

  it('header names of Object.prototype members are sent as signed: signRequest (headers from JSON), the CLI\'s -H lines, the signed fetch\'s headers', function () {
    const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: SECRET };
    const signed = signRequest({ method: 'GET', url: 'https://search-a.us-east-1.es.amazonaws.com/', headers: JSON.parse('{"__proto__":"p","constructor":"c"}') as Record<string, string> }, { region: 'us-east-1', service: 'es', credentials });
    assert.deepEqual({ proto: Object.getOwnPropertyDescriptor(signed.headers, '__proto__')?.value, ctor: signed.headers.constructor }, { proto: 'p', ctor: 'c' });
    assert.equal(signed.signedHeaders, '__proto__;constructor;host;x-amz-date');
    assert.equal(Object.getPrototypeOf(signed.headers), Object.prototype, 'still a plain object');
    const lines = parseHeaderLines(['constructor: one', '__proto__: two', 'toString: three'], '-H');
    assert.deepEqual(Object.entries(lines), [['constructor', 'one'], ['__proto__', 'two'], ['tostring', 'three']]);
    assert.deepEqual(Object.entries(requestHeaders([['__proto__', 'p'], ['constructor', 'c']])), [['__proto__', 'p'], ['constructor', 'c']]);
  });

  describe('the exported helpers (spec steps, refusal readers)', function () {
    const proxyThrowing = new Proxy({}, { get() { throw new Error('trap'); }, getPrototypeOf() { throw new Error('trap'); }, ownKeys() { throw new Error('trap'); } });
    const calls: Array<[string, () => unknown, string]> = [
      ['canonicalUri(undefined)', () => canonicalUri(undefined as never), 'ERR_INVALID_OPTIONS'],
      ['canonicalUri(a URL)', () => canonicalUri(new URL('https://a.example/x') as never), 'ERR_INVALID_OPTIONS'],
      ['canonicalQuery(null)', () => canonicalQuery(null as never), 'ERR_INVALID_OPTIONS'],
      ['canonicalQuery(URLSearchParams)', () => canonicalQuery(new URLSearchParams('a=1') as never), 'ERR_INVALID_OPTIONS'],
      ['payloadHash(a Proxy)', () => payloadHash(proxyThrowing as never), 'ERR_UNSUPPORTED_BODY'],
      ['payloadHash(5)', () => payloadHash(5 as never), 'ERR_UNSUPPORTED_BODY'],
      ['firstDifference(null, "")', () => firstDifference(null as never, ''), 'ERR_INVALID_OPTIONS'],
      ['classifyRejection(undefined)', () => classifyRejection(undefined as never), 'ERR_INVALID_OPTIONS'],
      ['classifyRejection(a Proxy)', () => classifyRejection(proxyThrowing as never), 'ERR_INVALID_OPTIONS'],
      ['classifyRejection({ statusCode: "403" })', () => classifyRejection({ statusCode: '403', body: '' } as never), 'ERR_INVALID_OPTIONS'],
      ['classifyRejection({ body: a Buffer })', () => classifyRejection({ statusCode: 403, body: Buffer.from('{}') } as never), 'ERR_INVALID_OPTIONS'],
      ['classifyRejection({ secrets: "s" })', () => classifyRejection({ statusCode: 403, body: '', secrets: 's' } as never), 'ERR_INVALID_OPTIONS'],
    ];
    for (const [what, call, code] of calls) {
      it(`${what}: ${code}, not a TypeError from inside the step`, function () {
        assert.throws(call, typed(ConfigurationError, code, what));
      });
    }

    it('(control) each still answers for its own kind of argument; signatureRejectionOf reads a throwing Proxy as no refusal', function () {
      assert.equal(canonicalUri('/a/./b//c'), '/a/b/c');
      assert.equal(canonicalQuery('b=2&a=1'), 'a=1&b=2');
      assert.equal(payloadHash(''), EMPTY_SHA256);
      assert.match(firstDifference('GET\n/\n\nhost:a\n\nhost\nx', 'GET\n/\n\nhost:b\n\nhost\nx') ?? '', /header "host"/);
      assert.equal(classifyRejection({ statusCode: 403, body: '{"message":"The security token included in the request is expired"}' })?.code, 'ERR_TOKEN_EXPIRED');
      assert.equal(signatureRejectionOf(proxyThrowing), undefined);
    });
  });

  it('a URL refused for its scheme, host or port is quoted without its query: a presigned URL\'s token and signature stay out of the message', function () {
    // Before: quoted whole up to 120 characters, the query with it.
    const query = `?X-Amz-Security-Token=${encodeURIComponent(TOKEN)}&X-Amz-Signature=${'ab'.repeat(32)}`;
    const options = { region: 'eu-west-1', service: 'es', credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: SECRET } };
    const urls = [`ftp://h.example/${query}`, `/_search${query}`, `https://h.example:99999/${query}`, `https://evil.example\\@h.example/${query}`];
    const clean = (where: string) => (error: unknown): boolean => {
      typed(ConfigurationError, 'ERR_INVALID_URL', where)(error);
      assert.ok(!(error as Error).message.includes('ab'.repeat(32)), `the signature in ${(error as Error).message}`);
      assert.ok(!(error as Error).message.includes(encodeURIComponent(TOKEN).slice(0, 12)), `the token in ${(error as Error).message}`);
      return true;
    };
    for (const url of urls) {
      assert.throws(() => signRequest({ method: 'GET', url }, options), clean(`signRequest ${url}`));
      assert.throws(() => presignRequest({ method: 'GET', url }, options), clean(`presignRequest ${url}`));
    }
    assert.throws(() => resolveEndpoint(`https://[bad${query}`), clean('resolveEndpoint'));
    // (control) what is wrong is still named: the scheme, and the URL up to its query.
    assert.throws(() => signRequest({ method: 'GET', url: urls[0]! }, options), /scheme "ftp" in "ftp:\/\/h\.example\/\?\.\.\."/);
  });

  it('a signer handed URLs of ever new origins (a signed fetch over URLs its users send) remembers a bounded number of them', function () {
    // Before: one entry per origin, for as long as the signer lived.
    const signer = new RequestSigner({ region: 'eu-west-1', service: 'execute-api', credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: SECRET } });
    for (let i = 0; i < 5_000; i++) signer.endpoint(new URL(`https://api-${i}.example.com:${1024 + (i % 1000)}`));
    // The memo is private; its size is what this test is about.
    const remembered = (signer as unknown as { endpoints: Map<string, unknown> }).endpoints.size;
    assert.ok(remembered <= 256, `${remembered} origins remembered`);
    // (control) what it answers is unchanged, remembered or not.
    assert.deepEqual(signer.endpoint(new URL('https://api-1.example.com:1025')), { region: 'eu-west-1', service: 'execute-api', host: 'api-1.example.com:1025' });
  });

  describe('the verifying stub (aws-sigv4-connection/testing)', function () {
    const identity = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: SECRET, sessionToken: TOKEN };

    it('masks the presigned token and signature in its records under any spelling the verifier reads as theirs', async function () {
      const proxy = await startVerifyProxy({ region: 'eu-west-1', credentials: [identity] });
      const seen: string[] = [];
      try {
        const presigned = presignRequest({ method: 'GET', url: `${proxy.url}/logs/_search` }, { region: 'eu-west-1', service: 'es', credentials: identity });
        // [spelling, verdict]: accepted where the name decodes to the very one signed, so the
        // verifier did read the value as the token and the signature; another letter case is
        // read as the token too (then refused: the canonical query holds the name as sent).
        const spellings: Array<[(url: string) => string, string]> = [
          [(url) => url, 'accepted'],
          [(url) => url.replace('X-Amz-Security-Token=', 'X-Amz-Security-T%6Fken=').replace('X-Amz-Signature=', 'X-Amz-Sign%61ture='), 'accepted'],
          [(url) => url.replace('X-Amz-Security-Token=', '%58%2D%41mz-Security-Token=').replace('X-Amz-Signature=', 'X%2dAmz%2dSignature='), 'accepted'],
          [(url) => url.replace('X-Amz-Security-Token=', 'X-AMZ-SECURITY-TOKEN='), 'signature-mismatch'],
        ];
        for (const [spell, verdict] of spellings) {
          const response = await fetch(spell(presigned.url));
          await response.arrayBuffer();
          const record = proxy.records.at(-1)!;
          assert.equal(record.verdict, verdict, record.message);
          seen.push(record.path, JSON.stringify(record), inspect(record, { depth: Infinity }));
          assert.ok(!record.path.includes(presigned.signature), `the signature in ${record.path}`);
        }
        assertNoSecret(seen.join('\n'), 'the records');
        assert.match(seen[0]!, /X-Amz-Credential=AKIDEXAMPLE/, 'the rest of the query is kept');
      } finally {
        await proxy.close();
      }
    });

    it('keeps its own secret and token out of its records where no name marks them: another query parameter, a key id swapped with the secret', async function () {
      // A second identity whose secret holds no "/": swapped in, its Credential reads, with the secret as key id.
      const plainSecret = 'Zq9PlainSecretWithoutSlashes0123456789ab';
      const proxy = await startVerifyProxy({ region: 'eu-west-1', credentials: [identity, { accessKeyId: 'AKIDPLAIN', secretAccessKey: plainSecret }] });
      const seen: string[] = [];
      try {
        const url = `${proxy.url}/logs/_doc/1?token=${encodeURIComponent(TOKEN)}&raw=${TOKEN}&k=${Buffer.from(SECRET).toString('base64')}`;
        const signed = signRequest({ method: 'GET', url }, { region: 'eu-west-1', service: 'es', credentials: identity });
        await (await fetch(url, { headers: signed.headers })).arrayBuffer();
        assert.equal(proxy.records.at(-1)!.verdict, 'accepted');
        // The key id and the secret swapped, as from two environment variables mixed up: the
        // refusal quotes the Credential, which then starts with the secret. Our signer refuses
        // such a key id ("/" splits the Credential), so the header is another signer's, made by hand.
        const swapped = signRequest({ method: 'GET', url: `${proxy.url}/` }, { region: 'eu-west-1', service: 'es', credentials: { accessKeyId: 'AKIDSWAPPED', secretAccessKey: 'AKIDEXAMPLE' } });
        const swappedHeaders = { ...swapped.headers, authorization: String(swapped.headers.authorization).replace('Credential=AKIDSWAPPED/', `Credential=${SECRET}/`) };
        assert.ok(swappedHeaders.authorization.includes(SECRET), 'the hand-made header carries the secret as key id');
        await (await fetch(`${proxy.url}/`, { headers: swappedHeaders })).arrayBuffer();
        const refused = proxy.records.at(-1)!;
        assert.equal(refused.verdict, 'incomplete-signature');
        assert.equal(refused.accessKeyId, undefined, 'no key id read from a Credential that cannot be read');
        const swappedPlain = signRequest({ method: 'GET', url: `${proxy.url}/` }, { region: 'eu-west-1', service: 'es', credentials: { accessKeyId: plainSecret, secretAccessKey: 'AKIDPLAIN' } });
        await (await fetch(`${proxy.url}/`, { headers: swappedPlain.headers })).arrayBuffer();
        assert.equal(proxy.records.at(-1)!.verdict, 'invalid-token');
        assert.equal(proxy.records.at(-1)!.accessKeyId, '[REDACTED]');
        for (const record of proxy.records) seen.push(JSON.stringify(record), inspect(record, { depth: Infinity }));
        assertNoSecret(seen.join('\n'), 'the records');
        assert.ok(!seen.join('\n').includes(SECRET.split('/')[0]!), 'the first part of the swapped secret');
        assert.ok(!seen.join('\n').includes(Buffer.from(SECRET).toString('base64')), 'the secret in base64');
        assert.ok(!seen.join('\n').includes(plainSecret), 'the swapped secret as key id');
      } finally {
        await proxy.close();
      }
    });

    it('an onRequest that throws (a test\'s assertion) leaves every answer as decided, and its error is thrown again, uncaught', async function () {
      // Before: without a target the verdict became a 500 "internal error (Error)"; with one,
      // the throw escaped the upstream's response listener and the client never got an answer.
      const upstream = createServer((req, res) => res.end('{"upstream":true}'));
      await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
      const mochas = process.listeners('uncaughtException');
      process.removeAllListeners('uncaughtException');
      const uncaught: unknown[] = [];
      process.on('uncaughtException', (error) => uncaught.push(error));
      try {
        for (const [target, body] of [[undefined, '{}'], [`http://127.0.0.1:${(upstream.address() as AddressInfo).port}`, '{"upstream":true}']] as const) {
          const proxy = await startVerifyProxy({ region: 'eu-west-1', target, credentials: [identity], onRequest: () => { throw new Error('the assertion of a test'); } });
          try {
            const signed = signRequest({ method: 'GET', url: `${proxy.url}/_cluster/health` }, { region: 'eu-west-1', service: 'es', credentials: identity });
            const response = await fetch(`${proxy.url}/_cluster/health`, { headers: signed.headers, signal: AbortSignal.timeout(5_000) });
            assert.equal(response.status, 200, `${target ?? 'no target'}: the verdict stands`);
            assert.equal(await response.text(), body);
            assert.equal(proxy.records.at(-1)?.verdict, 'accepted');
            await new Promise((resolve) => setImmediate(resolve));
          } finally {
            await proxy.close();
          }
        }
      } finally {
        process.removeAllListeners('uncaughtException');
        for (const listener of mochas) process.on('uncaughtException', listener);
        await new Promise<void>((resolve) => upstream.close(() => resolve()));
      }
      assert.deepEqual(uncaught.map((error) => (error as Error).message), ['the assertion of a test', 'the assertion of a test']);
    });

    it('refuses credentials of the wrong shape when given, typed, instead of answering each request they sign with a 500', async function () {
      const bad: unknown[] = [
        { accessKeyId: 'AKIDEXAMPLE' },
        { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: SECRET, sessionToken: 5 },
        { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: SECRET, expiration: 'tomorrow' },
        { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: SECRET, expiration: new Date('nope') },
        null,
      ];
      for (const entry of bad) {
        await assert.rejects(startVerifyProxy({ credentials: [entry as never] }), typed(ConfigurationError, 'ERR_INVALID_OPTIONS', `credentials ${inspect(entry)}`));
      }
      await assert.rejects(startVerifyProxy({ credentials: identity as never }), typed(ConfigurationError, 'ERR_INVALID_OPTIONS', 'credentials not an array'));
      const proxy = await startVerifyProxy({ region: 'eu-west-1', credentials: [{ ...identity, sessionToken: null as never, expiration: null as never }] });
      try {
        assert.throws(() => proxy.addCredentials({ accessKeyId: 'AKIDOTHER', secretAccessKey: 42 as never }), typed(ConfigurationError, 'ERR_INVALID_OPTIONS', 'addCredentials'));
        // (control) null token and expiration read as absent: a request without a token is accepted.
        const signed = signRequest({ method: 'GET', url: `${proxy.url}/` }, { region: 'eu-west-1', service: 'es', credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: SECRET } });
        assert.equal((await fetch(`${proxy.url}/`, { headers: signed.headers })).status, 200);
      } finally {
        await proxy.close();
      }
    });

    it('refuses an option of the wrong kind or an unknown one, typed, before it listens (they failed as Node\'s TypeError or RangeError from listen(), or as a 500 per request)', async function () {
      const bad: Array<[string, Record<string, unknown>]> = [
        ['port as a string', { port: '9200' }],
        ['port 65536', { port: 65_536 }],
        ['port 1.5', { port: 1.5 }],
        ['port NaN', { port: Number.NaN }],
        ['host as a number', { host: 127 }],
        ['region empty', { region: '' }],
        ['service as an array', { service: ['es'] }],
        ['maxBodyBytes negative', { maxBodyBytes: -1 }],
        ['clockOffsetMs Infinity', { clockOffsetMs: Number.POSITIVE_INFINITY }],
        ['clockOffsetMs as a string', { clockOffsetMs: '5000' }],
        ['expectedHost as a boolean', { expectedHost: true }],
        ['passThrough as a string', { passThrough: 'false' }],
        ['onRequest not a function', { onRequest: {} }],
        ['tls without cert', { tls: { key: 'k' } }],
        ['targetTls.rejectUnauthorized as a string', { targetTls: { rejectUnauthorized: 'false' } }],
        ['a misspelt option', { expectedhost: 'search.example.com' }],
      ];
      for (const [what, options] of bad) {
        await assert.rejects(startVerifyProxy(options as never), typed(ConfigurationError, 'ERR_INVALID_OPTIONS', what));
      }
      for (const options of [null, 'http://127.0.0.1:9200', [], new Proxy({}, { ownKeys() { throw new Error('trap'); } })]) {
        await assert.rejects(startVerifyProxy(options as never), typed(ConfigurationError, 'ERR_INVALID_OPTIONS', `options ${typeof options}`));
      }
      const proxy = await startVerifyProxy({ port: 0, host: '127.0.0.1', clockOffsetMs: () => 0, passThrough: false, maxRecords: 0, targetTls: {}, target: undefined });
      try {
        assert.throws(() => proxy.setClockOffset('5000' as never), typed(ConfigurationError, 'ERR_INVALID_OPTIONS', 'setClockOffset'));
        // (control) the options given, each of its kind, start a stub that answers.
        assert.equal((await fetch(`${proxy.url}/`)).status, 403);
      } finally {
        await proxy.close();
      }
    });

    it('refuses a target with user:password (never forwarded, and printed with the options), typed and without quoting it', async function () {
      for (const target of ['http://admin:hunter2@127.0.0.1:9200', 'http://admin:hunter2@[::1', 'ftp://admin:hunter2@127.0.0.1/']) {
        await assert.rejects(startVerifyProxy({ target }), typed(ConfigurationError, 'ERR_INVALID_URL', `target ${target}`));
      }
      // (control) without userinfo it starts, and nothing it holds names a password.
      const proxy = await startVerifyProxy({ target: 'http://127.0.0.1:9200' });
      await proxy.close();
    });
  });
});
