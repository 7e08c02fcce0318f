/**
 * Hostile input, round 3: what rounds 1 and 2 (bad-input.test.ts, hostile-values.test.ts,
 * hostile-surfaces.test.ts) left alone. Each case failed before its fix: the caller's own
 * error (or a raw TypeError of ours) escaped, a lying Date signed another time, or a Latin-1
 * header value was signed as other bytes than the ones every front end sends.
 */
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { createServer as createTcpServer, type AddressInfo } from 'node:net';
import { inspect } from 'node:util';
import { runInNewContext } from 'node:vm';
import { AwsSigV4Error, ConfigurationError, CredentialsError } from '../../src/errors.js';
import { createSignedFetch } from '../../src/fetch.js';
import { RequestSigner } from '../../src/request-signer.js';
import { presignRequest, resetSigV4Caches, signRequest, type SignableRequest, type SignOptions } from '../../src/sigv4.js';
import { useCountingServer } from '../support/counting-server.js';
import { createSignedFetch as createWebSignedFetch, presignRequest as webPresignRequest, signRequest as webSignRequest } from '../../src/web-node.js';

const SECRET = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY';
const TOKEN = 'IQoJb3JpZ2luX2VjEHostileToken3/with+and=';
const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: SECRET, sessionToken: TOKEN };
const URL_ = 'https://search-x.eu-west-1.es.amazonaws.com/idx/_search';
const goodOptions = (): SignOptions => ({ region: 'eu-west-1', service: 'es', credentials: { ...credentials } });
const goodRequest = (): SignableRequest => ({ method: 'POST', url: URL_, headers: { 'content-type': 'application/json' }, body: '{}' });

/** What a caller's getter or trap throws: an Error quoting the secret, a string, a Symbol, a Proxy that cannot be read. */
const THROWN: Array<[string, () => unknown]> = [
  ['an Error quoting the secret', () => new Error(`cannot read: ${SECRET} ${TOKEN}`)],
  ['a string', () => `a string quoting ${SECRET}`],
  ['a Symbol', () => Symbol('thrown')],
  ['a Proxy whose traps throw', () => new Proxy({}, { get() { throw new Error('again'); }, getPrototypeOf() { throw new Error('again'); } })],
];

function throwing(make: () => unknown): () => never {
  return () => { throw make(); };
}

function getter<T extends object>(target: T, key: string, thrown: () => unknown): T {
  return Object.defineProperty(target, key, { get: throwing(thrown), enumerable: true, configurable: true });
}

function revoked(): object {
  const r = Proxy.revocable({}, {});
  r.revoke();
  return r.proxy;
}

function assertNoSecret(text: string, where: string): void {
  for (const secret of [SECRET, TOKEN, encodeURIComponent(TOKEN)]) assert.ok(!text.includes(secret), `a secret in ${where}: ${text}`);
}

/** The typed error, its code, a scrubbed Error as its cause, no secret anywhere in it. */
function typed(kind: typeof ConfigurationError | typeof CredentialsError, code: string, where: string, cause = true): (error: unknown) => boolean {
  return (error: unknown) => {
    assert.ok(error instanceof kind, `${where}: expected a ${kind.name}, got ${typeof error === 'symbol' ? 'a Symbol' : inspect(error).slice(0, 300)}`);
    assert.equal((error as AwsSigV4Error).code, code, `${where}: ${(error as Error).message}`);
    if (cause) assert.ok((error as Error).cause instanceof Error, `${where}: no cause kept`);
    assertNoSecret(`${(error as Error).message} ${inspect(error, { depth: Infinity, showHidden: true })}`, where);
    return true;
  };
}

type Signer = (request: SignableRequest, options: SignOptions) => unknown;
const SIGNERS: Array<[string, Signer]> = [
  ['signRequest', signRequest],
  ['presignRequest', presignRequest],
  ['signRequest (aws-sigv4-connection/fetch)', webSignRequest],
  ['presignRequest (aws-sigv4-connection/fetch)', webPresignRequest],
];

async function refusedByEverySigner(request: () => unknown, options: () => unknown, check: (where: string) => (error: unknown) => boolean, only?: RegExp): Promise<void> {
  for (const [name, sign] of SIGNERS) {
    if (only !== undefined && !only.test(name)) continue;
    resetSigV4Caches();
    // A synchronous throw and a rejection are both the caller's to catch: each is checked.
    await assert.rejects(async () => sign(request() as SignableRequest, options() as SignOptions), check(name));
  }
}

describe('hostile input (round 3)', function () {
  const server = useCountingServer();
  afterEach(function () {
    assert.equal(server.hits, 0, 'a request reached the server');
  });

  describe('throwing getters and Proxies in what the signers are given', function () {
    for (const [thrownName, thrown] of THROWN) {
      describe(`throwing ${thrownName}`, function () {
        it('a getter of the request (method, url, headers, body) or a trap of a Proxy of it: ERR_INVALID_OPTIONS from every signer', async function () {
          for (const key of ['method', 'url', 'headers', 'body']) {
            await refusedByEverySigner(() => getter(goodRequest(), key, thrown), goodOptions, (w) => typed(ConfigurationError, 'ERR_INVALID_OPTIONS', `${w}, request.${key}`));
          }
          await refusedByEverySigner(() => new Proxy(goodRequest(), { get: throwing(thrown) }), goodOptions, (w) => typed(ConfigurationError, 'ERR_INVALID_OPTIONS', `${w}, a Proxy request`));
        });

        it('a getter of the options or a trap of a Proxy of them (ownKeys, get): ERR_INVALID_OPTIONS from every signer', async function () {
          for (const key of ['region', 'service', 'credentials', 'signingDate', 'payloadHash', 'contentSha256']) {
            await refusedByEverySigner(goodRequest, () => getter(goodOptions(), key, thrown), (w) => typed(ConfigurationError, 'ERR_INVALID_OPTIONS', `${w}, options.${key}`));
          }
          await refusedByEverySigner(goodRequest, () => getter(goodOptions(), 'expiresIn', thrown), (w) => typed(ConfigurationError, 'ERR_INVALID_OPTIONS', `${w}, options.expiresIn`), /presign/);
          for (const trap of ['ownKeys', 'get']) {
            await refusedByEverySigner(goodRequest, () => new Proxy(goodOptions(), { [trap]: throwing(thrown) }), (w) => typed(ConfigurationError, 'ERR_INVALID_OPTIONS', `${w}, a Proxy of the options (${trap})`));
          }
        });

        it('a header value getter, a Proxy of the headers (ownKeys, get) or of a value array: ERR_INVALID_HEADERS from every signer', async function () {
          const withHeaders = (headers: unknown) => () => ({ ...goodRequest(), headers: headers as never });
          await refusedByEverySigner(withHeaders(getter({ 'x-a': '1' }, 'x-b', thrown)), goodOptions, (w) => typed(ConfigurationError, 'ERR_INVALID_HEADERS', `${w}, a header getter`));
          for (const trap of ['ownKeys', 'get', 'getOwnPropertyDescriptor']) {
            await refusedByEverySigner(withHeaders(new Proxy({ 'x-a': '1' }, { [trap]: throwing(thrown) })), goodOptions, (w) => typed(ConfigurationError, 'ERR_INVALID_HEADERS', `${w}, headers Proxy (${trap})`));
          }
          await refusedByEverySigner(withHeaders({ 'x-a': new Proxy(['1', '2'], { get: throwing(thrown) }) }), goodOptions, (w) => typed(ConfigurationError, 'ERR_INVALID_HEADERS', `${w}, a Proxy of a value array`));
        });

        it('a getter of the credentials: ERR_CREDENTIALS_MALFORMED from every signer', async function () {
          for (const key of ['accessKeyId', 'secretAccessKey', 'sessionToken']) {
            await refusedByEverySigner(goodRequest, () => ({ ...goodOptions(), credentials: getter({ ...credentials }, key, thrown) }), (w) => typed(CredentialsError, 'ERR_CREDENTIALS_MALFORMED', `${w}, credentials.${key}`));
          }
        });

        it('RequestSigner.sign: a getter of its input or of a header: typed, from the signer the Connections use', function () {
          const signer = new RequestSigner({ region: 'eu-west-1', service: 'es', credentials });
          const input = () => ({ method: 'GET', nodeUrl: new URL(`http://127.0.0.1:${server.port}`), pathAndQuery: '/', headers: { 'x-a': '1' }, body: undefined, attempt: 0 });
          for (const key of ['method', 'nodeUrl', 'pathAndQuery', 'headers', 'body', 'payloadHash']) {
            assert.throws(() => signer.sign(getter(input(), key, thrown), credentials), typed(ConfigurationError, 'ERR_INVALID_OPTIONS', `RequestSigner.sign, input.${key}`));
          }
          assert.throws(() => signer.sign({ ...input(), headers: getter({}, 'x-b', thrown) }, credentials), typed(ConfigurationError, 'ERR_INVALID_HEADERS', 'RequestSigner.sign, a header getter'));
        });
      });
    }

    it('a revoked Proxy as the request, the options, the headers or the credentials: typed from every signer', async function () {
      await refusedByEverySigner(revoked, goodOptions, (w) => typed(ConfigurationError, 'ERR_INVALID_OPTIONS', `${w}, a revoked request`));
      await refusedByEverySigner(goodRequest, revoked, (w) => typed(ConfigurationError, 'ERR_INVALID_OPTIONS', `${w}, revoked options`));
      await refusedByEverySigner(() => ({ ...goodRequest(), headers: revoked() as never }), goodOptions, (w) => typed(ConfigurationError, 'ERR_INVALID_HEADERS', `${w}, revoked headers`));
      await refusedByEverySigner(goodRequest, () => ({ ...goodOptions(), credentials: revoked() }), (w) => typed(CredentialsError, 'ERR_CREDENTIALS_MALFORMED', `${w}, revoked credentials`));
    });

    it('a Proxy of a URL, a URL subclass whose host lies: ERR_INVALID_URL, or signed for the host the URL really has', async function () {
      // Node 20+'s URL keeps its state in private fields, which a Proxy cannot reach: refused,
      // typed. Node 18's keeps it under a symbol that reads through the Proxy: the real href, signed.
      const urlReadsThroughProxy = (() => { try { return typeof Reflect.get(URL.prototype, 'href', new Proxy(new URL(URL_), {})) === 'string'; } catch { return false; } })();
      for (const [name, sign] of SIGNERS) {
        const attempt = (async () => sign({ ...goodRequest(), url: new Proxy(new URL(URL_), {}) } as SignableRequest, goodOptions() as SignOptions))();
        if (urlReadsThroughProxy) {
          const signed = await (attempt as Promise<{ headers: Record<string, string> }>);
          assert.equal(signed.headers.host, 'search-x.eu-west-1.es.amazonaws.com', `${name}, a Proxy of a URL read through`);
        } else {
          await assert.rejects(attempt, typed(ConfigurationError, 'ERR_INVALID_URL', `${name}, a Proxy of a URL`));
        }
      }
      class LyingUrl extends URL {
        override get host(): string { return 'evil.example.com'; }
        override get pathname(): string { return '/elsewhere'; }
      }
      for (const [name, sign] of SIGNERS) {
        const signed = await (sign(
          { method: 'GET', url: new LyingUrl(URL_) }, goodOptions()) as Promise<{ headers: Record<string, string>; canonicalRequest: string; url?: string }>);
        assert.equal(signed.headers.host, 'search-x.eu-west-1.es.amazonaws.com', name);
        assert.equal(signed.canonicalRequest.split('\n')[1], '/idx/_search', name);
        if (signed.url !== undefined) assert.ok(signed.url.startsWith(`${URL_}?`), `${name}: ${signed.url}`);
      }
    });

    it('a Proxy of a Buffer, a Uint8Array whose byteLength getter throws: ERR_UNSUPPORTED_BODY; its own bytes are what is hashed', async function () {
      class Lying extends Uint8Array { override get byteLength(): number { throw new Error(SECRET); } }
      await refusedByEverySigner(() => ({ ...goodRequest(), body: new Proxy(Buffer.from('{}'), {}) }), goodOptions, (w) => typed(ConfigurationError, 'ERR_UNSUPPORTED_BODY', `${w}, a Proxy of a Buffer`));
      for (const [name, sign] of SIGNERS) {
        const lying = await (sign({ ...goodRequest(), body: new Lying(Buffer.from('{}')) }, { ...goodOptions(), signingDate: new Date(0) }) as Promise<{ signature: string }>);
        const plain = await (sign({ ...goodRequest(), body: Buffer.from('{}') }, { ...goodOptions(), signingDate: new Date(0) }) as Promise<{ signature: string }>);
        assert.equal(lying.signature, plain.signature, name);
      }
    });

    it('a body in shared memory (a view or Buffer of a SharedArrayBuffer): every signer signs its bytes, as it signs a plain copy of them', async function () {
      const shared = new SharedArrayBuffer(8);
      new Uint8Array(shared).set(new TextEncoder().encode('x{"a":1}'));
      const at = () => ({ ...goodOptions(), signingDate: new Date(0) });
      for (const [name, sign] of SIGNERS) {
        const plain = await (sign({ ...goodRequest(), body: Buffer.from('{"a":1}') }, at()) as Promise<{ signature: string }>);
        for (const body of [new Uint8Array(shared, 1), Buffer.from(shared, 1)]) {
          const signed = await (sign({ ...goodRequest(), body }, at()) as Promise<{ signature: string }>);
          assert.equal(signed.signature, plain.signature, `${name}, ${body.constructor.name} of a SharedArrayBuffer`);
        }
      }
    });

    it('a value read twice could differ: each field of the request and options is read once', async function () {
      for (const [name, sign] of SIGNERS) {
        let reads = 0;
        const counted = <T>(value: T) => ({ get: () => { reads++; return value; }, enumerable: true });
        const request = Object.defineProperties({}, { method: counted('GET'), url: counted(URL_), headers: counted({ 'x-a': '1' }), body: counted(undefined) });
        const options = Object.defineProperties({}, {
          region: counted('eu-west-1'), service: counted('es'), credentials: counted(credentials), signingDate: counted(new Date(0)),
        });
        await sign(request as SignableRequest, options as SignOptions);
        assert.equal(reads, 8, name);
      }
    });

    it('our own typed errors pass through unchanged, and a valid request still signs as before', async function () {
      for (const [name, sign] of SIGNERS) {
        await assert.rejects(async () => sign({ ...goodRequest(), method: 'GE T' }, goodOptions()), (e: unknown) => e instanceof ConfigurationError && e.code === 'ERR_INVALID_METHOD' && e.cause === undefined, name);
        await assert.rejects(async () => sign(goodRequest(), { ...goodOptions(), credentials: { ...credentials, secretAccessKey: `${SECRET}\n` } }),
          (e: unknown) => e instanceof CredentialsError && e.code === 'ERR_CREDENTIALS_MALFORMED' && e.cause === undefined, name);
        // A typed error of ours thrown from a caller's getter is the caller's choice: kept as it is.
        const ours = new ConfigurationError('ERR_INVALID_OPTIONS', 'from a getter');
        await assert.rejects(async () => sign(getter(goodRequest(), 'url', () => ours), goodOptions()), (e: unknown) => e === ours, name);
      }
      const at = { ...goodOptions(), signingDate: new Date(Date.UTC(2024, 0, 2, 3, 4, 5)) };
      assert.equal((await webSignRequest(goodRequest(), at)).signature, signRequest(goodRequest(), at).signature);
    });
  });

  describe('createSignedFetch: throwing getters and Proxies in its options, init and headers', function () {
    for (const [thrownName, thrown] of THROWN) {
      it(`throwing ${thrownName}: typed from both entries, nothing sent`, async function () {
        const target = `http://127.0.0.1:${server.port}/`;
        for (const [entry, create] of [['node', createSignedFetch], ['web', createWebSignedFetch]] as const) {
          for (const key of ['region', 'credentials', 'fetch']) {
            assert.throws(() => create(getter({ region: 'eu-west-1', credentials }, key, thrown)), typed(ConfigurationError, 'ERR_INVALID_OPTIONS', `${entry}: options.${key}`));
          }
          assert.throws(() => create(new Proxy({ region: 'eu-west-1', credentials }, { ownKeys: throwing(thrown) })), typed(ConfigurationError, 'ERR_INVALID_OPTIONS', `${entry}: a Proxy of the options`));
          const signedFetch = create({ region: 'eu-west-1', credentials });
          for (const key of ['method', 'headers', 'body', 'signal', 'redirect']) {
            await assert.rejects(signedFetch(target, getter({ method: 'POST' }, key, thrown) as RequestInit), typed(ConfigurationError, 'ERR_INVALID_OPTIONS', `${entry}: init.${key}`));
          }
          await assert.rejects(signedFetch(target, new Proxy({}, { get: throwing(thrown) })), typed(ConfigurationError, 'ERR_INVALID_OPTIONS', `${entry}: a Proxy init`));
          await assert.rejects(signedFetch(target, { headers: getter({ 'x-a': '1' }, 'x-b', thrown) }), typed(ConfigurationError, 'ERR_INVALID_HEADERS', `${entry}: a header getter`));
          await assert.rejects(signedFetch(target, { headers: new Proxy({ 'x-a': '1' }, { ownKeys: throwing(thrown) }) }), typed(ConfigurationError, 'ERR_INVALID_HEADERS', `${entry}: a Proxy of the headers`));
          await assert.rejects(signedFetch({ toString: throwing(thrown) } as never), typed(ConfigurationError, 'ERR_INVALID_URL', `${entry}: an input whose toString throws`));
          await assert.rejects(signedFetch(new Proxy(new Request(target), { get: throwing(thrown) })), typed(ConfigurationError, 'ERR_INVALID_URL', `${entry}: a Proxy of a Request`));
          // The body itself a Proxy whose traps throw: asked what kind it is before anything is signed.
          const provided = create({ region: 'eu-west-1', credentials: async () => ({ ...credentials }) });
          for (const trap of ['getPrototypeOf', 'get']) {
            for (const [how, send] of [['cached credentials', signedFetch], ['a provider', provided]] as const) {
              await assert.rejects(send(target, { method: 'POST', body: new Proxy({}, { [trap]: throwing(thrown) }) as never }),
                typed(ConfigurationError, 'ERR_UNSUPPORTED_BODY', `${entry}, ${how}: a Proxy body (${trap})`));
            }
          }
        }
      });
    }
  });

  describe('a signingDate that is not a plain Date', function () {
    const lies: Array<[string, () => unknown]> = [
      ['a Proxy of a Date', () => new Proxy(new Date(0), {})],
      ['an invalid Date whose own getTime says 0', () => Object.assign(new Date(NaN), { getTime: () => 0 })],
      ['an invalid Date whose valueOf says 0', () => Object.assign(new Date(NaN), { valueOf: () => 0 })],
      ['an object that only looks like a Date', () => Object.create(Date.prototype)],
      ['a Date subclass with an invalid time whose getTime lies', () => new (class extends Date { override getTime(): number { return 0; } })(NaN)],
    ];
    for (const [what, date] of lies) {
      it(`${what}: ERR_INVALID_OPTIONS from every signer`, async function () {
        await refusedByEverySigner(goodRequest, () => ({ ...goodOptions(), signingDate: date() }), (w) => typed(ConfigurationError, 'ERR_INVALID_OPTIONS', `${w}, ${what}`, false));
      });
    }

    it("a Date's own time is what is signed: an own getTime that throws (quoting the secret), a subclass whose getTime lies, a Date of another realm", async function () {
      const at = Date.UTC(2024, 0, 2, 3, 4, 5);
      const expected = signRequest(goodRequest(), { ...goodOptions(), signingDate: new Date(at) }).signature;
      const liar = new (class extends Date { override getTime(): number { return 0; } })(at);
      const foreign = runInNewContext(`new Date(${at})`) as Date;
      const throwingGetTime = Object.assign(new Date(at), { getTime: throwing(() => new Error(SECRET)) });
      for (const [name, sign] of SIGNERS.filter(([n]) => !n.startsWith('presign'))) {
        for (const date of [liar, foreign, throwingGetTime]) {
          resetSigV4Caches();
          assert.equal((await (sign(goodRequest(), { ...goodOptions(), signingDate: date }) as Promise<{ signature: string }>)).signature, expected, name);
        }
      }
    });
  });

  describe('Latin-1 header values (U+0080 to U+00FF)', function () {
    it('(the reason) node:http and fetch send each such character as one byte, while the signature covers its UTF-8: the bytes differ', async function () {
      const lines: Buffer[] = [];
      const raw = createTcpServer((socket) => {
        let data = Buffer.alloc(0);
        socket.on('data', (chunk: Buffer) => {
          data = Buffer.concat([data, chunk]);
          if (!data.includes('\r\n\r\n')) return;
          const at = data.indexOf('x-a: ');
          lines.push(data.subarray(at + 5, data.indexOf('\r\n', at)));
          socket.end('HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n');
        });
      });
      await new Promise<void>((resolve) => raw.listen(0, '127.0.0.1', resolve));
      try {
        const rawPort = (raw.address() as AddressInfo).port;
        await new Promise<void>((resolve, reject) => {
          httpRequest({ host: '127.0.0.1', port: rawPort, headers: { 'x-a': 'caf\u00e9' } }, (res) => { res.resume(); res.on('end', resolve); }).on('error', reject).end();
        });
        await (await fetch(`http://127.0.0.1:${rawPort}/`, { headers: { 'x-a': 'caf\u00e9' } })).arrayBuffer();
      } finally {
        await new Promise<void>((resolve) => raw.close(() => resolve()));
      }
      assert.deepEqual(lines.map((line) => line.toString('hex')), ['636166e9', '636166e9'], 'node:http, fetch');
      assert.equal(Buffer.from('caf\u00e9', 'utf8').toString('hex'), '636166c3a9', 'what a UTF-8 canonical request holds');
    });

    const values: Array<[string, string]> = [['é', 'caf\u00e9'], ['a no-break space', 'a\u00a0b'], ['U+0080', '\u0080'], ['ÿ', '\u00ff']];
    for (const [what, value] of values) {
      it(`${what}: ERR_INVALID_HEADERS naming the header, not the value, from every signer and both signed fetches`, async function () {
        const check = (where: string) => (error: unknown) => {
          typed(ConfigurationError, 'ERR_INVALID_HEADERS', where, false)(error);
          const message = (error as Error).message;
          assert.match(message, /"x-opaque-id"/, where);
          assert.match(message, /ASCII/, where);
          assert.match(message, /percent-encode|base64/, where);
          assert.ok(!message.includes(value), `${where}: the value is quoted`);
          return true;
        };
        await refusedByEverySigner(() => ({ ...goodRequest(), headers: { 'x-opaque-id': value } }), goodOptions, check);
        await refusedByEverySigner(() => ({ ...goodRequest(), headers: { 'x-opaque-id': ['ok', value] } }), goodOptions, check);
        const signer = new RequestSigner({ region: 'eu-west-1', service: 'es', credentials });
        assert.throws(() => signer.sign({ method: 'GET', nodeUrl: new URL(`http://127.0.0.1:${server.port}`), pathAndQuery: '/', headers: { 'x-opaque-id': value }, body: undefined, attempt: 0 }, credentials), check('RequestSigner.sign'));
        for (const create of [createSignedFetch, createWebSignedFetch]) {
          await assert.rejects(create({ region: 'eu-west-1', credentials })(`http://127.0.0.1:${server.port}/`, { headers: { 'x-opaque-id': value } }), check('createSignedFetch'));
        }
      });
    }

    it('a session token holding one is ERR_CREDENTIALS_MALFORMED (it is a signed header too)', async function () {
      await refusedByEverySigner(goodRequest, () => ({ ...goodOptions(), credentials: { ...credentials, sessionToken: `${TOKEN}\u00e9` } }),
        (w) => typed(CredentialsError, 'ERR_CREDENTIALS_MALFORMED', w, false), /^signRequest/);
    });

    it('above U+00FF: refused by us first, typed (not the TypeError of fetch or the ERR_INVALID_CHAR of node:http)', async function () {
      await refusedByEverySigner(() => ({ ...goodRequest(), headers: { 'x-opaque-id': '5 \u20ac' } }), goodOptions, (w) => typed(ConfigurationError, 'ERR_INVALID_HEADERS', w, false));
      for (const create of [createSignedFetch, createWebSignedFetch]) {
        await assert.rejects(create({ region: 'eu-west-1', credentials })(`http://127.0.0.1:${server.port}/`, { headers: { 'x-opaque-id': '5 \u20ac' } }),
          typed(ConfigurationError, 'ERR_INVALID_HEADERS', 'createSignedFetch', false));
      }
    });

    it('(control) ASCII values, a tab, percent-encoded and base64 forms still sign and are sent', async function () {
      const values = ['a\tb', encodeURIComponent('caf\u00e9'), Buffer.from('caf\u00e9').toString('base64'), ' folded   inside '];
      for (const value of values) assert.ok(signRequest({ ...goodRequest(), headers: { 'x-opaque-id': value } }, goodOptions()).headers.authorization);
      const answer = await createSignedFetch({ region: 'eu-west-1', credentials })(`http://127.0.0.1:${server.port}/`, { headers: { 'x-opaque-id': values[1]! } });
      assert.equal(answer.status, 200);
      server.hits = 0;
    });
  });
});
