/**
 * The bad-input matrix: each input a user (or an attacker) can get wrong, through every
 * entry point that takes it (configure(), signRequest, presignRequest, createSignedFetch,
 * the CLI). Each gives its typed error with a stable code before anything is sent (a
 * loopback server counts what reaches it: nothing), and no message holds a secret.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { runCli } from '../../src/cli/program.js';
import { AwsSigV4Error, ConfigurationError, CredentialsError } from '../../src/errors.js';
import { regionAndServiceFromHost, resolveEndpoint } from '../../src/endpoint.js';
import { createSignedFetch } from '../../src/fetch.js';
import { createSignedFetch as createWebSignedFetch } from '../../src/web-node.js';
import { AwsSigV4Connection } from '../../src/opensearch.js';
import { RequestSigner, type AwsSigV4Options } from '../../src/request-signer.js';
import { presignRequest, resetSigV4Caches, signRequest, type SignableRequest, type SignOptions } from '../../src/sigv4.js';

export const MATRIX_SECRET = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY';
export const MATRIX_TOKEN = 'IQoJb3JpZ2luX2VjEMatrixToken/with+and=';
const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: MATRIX_SECRET, sessionToken: MATRIX_TOKEN };
const base: AwsSigV4Options = { region: 'eu-west-1', service: 'es', credentials };
const signOptions: SignOptions = { region: 'eu-west-1', service: 'es', credentials };

type Entry = 'configure' | 'signRequest' | 'presignRequest' | 'createSignedFetch' | 'cli';

interface Row {
  input: string;
  code: string;
  kind?: typeof ConfigurationError | typeof CredentialsError;
  /** Options for configure() and createSignedFetch(). */
  options?: Record<string, unknown>;
  /** A request and options for signRequest/presignRequest. */
  request?: Partial<SignableRequest>;
  sign?: Record<string, unknown>;
  /** What the signed fetch is called with (url relative to the loopback server unless absolute). */
  fetch?: { url?: string; init?: RequestInit };
  /** CLI arguments after `request GET <url>` ({url} is the loopback server). */
  cli?: string[];
}

const ROWS: Row[] = [
  { input: 'CR/LF in a header value', code: 'ERR_INVALID_HEADERS', request: { headers: { 'x-a': 'a\r\nx-evil: 1' } }, fetch: { init: { headers: { 'x-a': 'a\r\nx-evil: 1' } } }, cli: ['-H', 'x-a: a\r\nx-evil: 1'] },
  { input: 'NUL in a header value', code: 'ERR_INVALID_HEADERS', request: { headers: { 'x-a': 'a\0b' } }, fetch: { init: { headers: { 'x-a': 'a\0b' } } }, cli: ['-H', 'x-a: a\0b'] },
  { input: 'a control character (\\x01) in a header value', code: 'ERR_INVALID_HEADERS', request: { headers: { 'x-a': 'a\x01b' } } },
  { input: 'DEL in a header value', code: 'ERR_INVALID_HEADERS', request: { headers: { 'x-a': 'a\x7fb' } } },
  { input: 'a character above U+00FF in a header value', code: 'ERR_INVALID_HEADERS', request: { headers: { 'x-a': 'snow \u2603' } } },
  { input: 'x-amz-content-sha256 that is no hash', code: 'ERR_INVALID_PAYLOAD_HASH', request: { headers: { 'x-amz-content-sha256': 'bogus' } } },
  { input: 'CR/LF in a header name', code: 'ERR_INVALID_HEADERS', request: { headers: { 'x-a\r\nx-b': 'v' } }, fetch: { init: { headers: [['x-a\r\nx-b', 'v']] } } },
  { input: 'header name "bad name"', code: 'ERR_INVALID_HEADERS', request: { headers: { 'bad name': 'v' } }, fetch: { init: { headers: { 'bad name': 'v' } } }, cli: ['-H', 'bad name: v'] },
  { input: 'empty header name', code: 'ERR_INVALID_HEADERS', request: { headers: { '': 'v' } }, cli: ['-H', ': v'] },
  { input: 'header name "x:y"', code: 'ERR_INVALID_HEADERS', request: { headers: { 'x:y': 'v' } }, fetch: { init: { headers: { 'x:y': 'v' } } } },
  { input: 'two header names differing only in case', code: 'ERR_INVALID_HEADERS', request: { headers: { 'X-Tag': 'a', 'x-tag': 'b' } } },
  { input: 'headers as a Headers instance', code: 'ERR_INVALID_HEADERS', request: { headers: new Headers({ 'x-amz-target': 'a' }) as never } },
  { input: 'headers as a Map', code: 'ERR_INVALID_HEADERS', request: { headers: new Map([['x-amz-target', 'a']]) as never } },
  { input: 'headers as an array of lines', code: 'ERR_INVALID_HEADERS', request: { headers: ['x-amz-target: a'] as never } },
  { input: 'headers as a Headers-like polyfill (entries behind methods)', code: 'ERR_INVALID_HEADERS', request: { headers: new (class { forEach(): void {} get(): null { return null; } })() as never } },
  { input: 'headers as a string', code: 'ERR_INVALID_HEADERS', request: { headers: 'x-amz-target: a' as never } },
  { input: 'region with "/"', code: 'ERR_INVALID_OPTIONS', options: { region: 'eu/west-1' }, sign: { region: 'eu/west-1' }, cli: ['--region', 'eu/west-1'] },
  { input: 'region with white space', code: 'ERR_INVALID_OPTIONS', options: { region: 'eu west' }, sign: { region: 'eu west' }, cli: ['--region', 'eu west'] },
  { input: 'region with CR/LF', code: 'ERR_INVALID_OPTIONS', options: { region: 'eu-west-1\r\n' }, sign: { region: 'eu-west-1\r\n' }, cli: ['--region', 'eu-west-1\r\n'] },
  { input: 'service with NUL', code: 'ERR_INVALID_OPTIONS', options: { service: 'es\0' }, sign: { service: 'es\0' }, cli: ['--service', 'es\0'] },
  { input: 'service with "/"', code: 'ERR_INVALID_OPTIONS', options: { service: 'es/aoss' }, sign: { service: 'es/aoss' }, cli: ['--service', 'es/aoss'] },
  { input: 'access key id with LF', code: 'ERR_CREDENTIALS_MALFORMED', kind: CredentialsError, options: { credentials: { ...credentials, accessKeyId: 'AKID\nEXAMPLE' } }, sign: { credentials: { ...credentials, accessKeyId: 'AKID\nEXAMPLE' } } },
  { input: 'access key id with NUL', code: 'ERR_CREDENTIALS_MALFORMED', kind: CredentialsError, options: { credentials: { ...credentials, accessKeyId: 'AKID\0' } }, sign: { credentials: { ...credentials, accessKeyId: 'AKID\0' } } },
  { input: 'secret access key with a trailing LF (a file, a secret mount)', code: 'ERR_CREDENTIALS_MALFORMED', kind: CredentialsError, options: { credentials: { ...credentials, secretAccessKey: `${MATRIX_SECRET}\n` } }, sign: { credentials: { ...credentials, secretAccessKey: `${MATRIX_SECRET}\n` } } },
  { input: 'secret access key with a leading space', code: 'ERR_CREDENTIALS_MALFORMED', kind: CredentialsError, options: { credentials: { ...credentials, secretAccessKey: ` ${MATRIX_SECRET}` } }, sign: { credentials: { ...credentials, secretAccessKey: ` ${MATRIX_SECRET}` } } },
  { input: 'secret access key with a tab inside', code: 'ERR_CREDENTIALS_MALFORMED', kind: CredentialsError, options: { credentials: { ...credentials, secretAccessKey: MATRIX_SECRET.replace('/', '\t') } }, sign: { credentials: { ...credentials, secretAccessKey: MATRIX_SECRET.replace('/', '\t') } } },
  { input: 'session token with CR/LF', code: 'ERR_CREDENTIALS_MALFORMED', kind: CredentialsError, options: { credentials: { ...credentials, sessionToken: `${MATRIX_TOKEN}\r\n` } }, sign: { credentials: { ...credentials, sessionToken: `${MATRIX_TOKEN}\r\n` } } },
  { input: 'session token with NUL', code: 'ERR_CREDENTIALS_MALFORMED', kind: CredentialsError, options: { credentials: { ...credentials, sessionToken: `${MATRIX_TOKEN}\0` } }, sign: { credentials: { ...credentials, sessionToken: `${MATRIX_TOKEN}\0` } } },
  { input: 'payloadHash not 64 hex', code: 'ERR_INVALID_PAYLOAD_HASH', sign: { payloadHash: 'UNSIGNED' } },
  { input: 'payloadHash upper-case hex', code: 'ERR_INVALID_PAYLOAD_HASH', sign: { payloadHash: 'E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855' } },
  { input: 'a misspelled signRequest option (regoin)', code: 'ERR_INVALID_OPTIONS', sign: { regoin: 'eu-west-1' } },
  { input: 'a misspelled signRequest option (contentSHA256)', code: 'ERR_INVALID_OPTIONS', sign: { contentSHA256: true } },
  { input: 'signingDate an invalid Date', code: 'ERR_INVALID_OPTIONS', sign: { signingDate: new Date('nope') } },
  { input: 'signingDate a string', code: 'ERR_INVALID_OPTIONS', sign: { signingDate: '2024-01-01T00:00:00Z' } },
  { input: "retryAuthErrors: 'no'", code: 'ERR_INVALID_OPTIONS', options: { retryAuthErrors: 'no' } },
  { input: "contentSha256: 'yes'", code: 'ERR_INVALID_OPTIONS', options: { contentSha256: 'yes' } },
  { input: 'unknown key in credentialCache', code: 'ERR_INVALID_OPTIONS', options: { credentialCache: { refreshMs: 5 } } },
  { input: 'a string as credentialCache', code: 'ERR_INVALID_OPTIONS', options: { credentialCache: 'fast' } },
  { input: 'onSign not a function', code: 'ERR_INVALID_OPTIONS', options: { onSign: 'console.log' } },
  { input: 'providerTimeoutMs: Number.MAX_SAFE_INTEGER', code: 'ERR_INVALID_OPTIONS', options: { credentialCache: { providerTimeoutMs: Number.MAX_SAFE_INTEGER } } },
  { input: 'refreshIntervalMs: 2^31', code: 'ERR_INVALID_OPTIONS', options: { credentialCache: { refreshIntervalMs: 2 ** 31 } } },
  { input: 'host option with a backslash', code: 'ERR_INVALID_OPTIONS', options: { host: 'evil.example\\@good.example' } },
  { input: 'host option with a port out of range', code: 'ERR_INVALID_OPTIONS', options: { host: 'good.example:70000' } },
  { input: 'URL https://evil.example\\@good.example/ (readings disagree)', code: 'ERR_INVALID_URL', request: { url: 'https://evil.example\\@good.example/' } },
  { input: 'userinfo in the URL', code: 'ERR_INVALID_URL', request: { url: 'https://user:hunter2@h.eu-west-1.es.amazonaws.com/' }, fetch: { url: 'http://user:hunter2@127.0.0.1:{port}/' }, cli: ['{userinfo}'] },
  { input: 'a URL password holding "/" (no parser finds the userinfo\'s end)', code: 'ERR_INVALID_URL', request: { url: 'https://user:hunter2/x@h.eu-west-1.es.amazonaws.com/' }, fetch: { url: 'http://user:hunter2/x@127.0.0.1:{port}/' }, cli: ['{userinfo-slash}'] },
  { input: 'a URL password holding "?" (no parser finds the userinfo\'s end)', code: 'ERR_INVALID_URL', request: { url: 'https://user:hunter2?x@h.eu-west-1.es.amazonaws.com/' }, fetch: { url: 'http://user:hunter2?x@127.0.0.1:{port}/' }, cli: ['{userinfo-query}'] },
  { input: 'a URL password holding "#" (no parser finds the userinfo\'s end)', code: 'ERR_INVALID_URL', request: { url: 'https://user:hunter2#x@h.eu-west-1.es.amazonaws.com/' }, fetch: { url: 'http://user:hunter2#x@127.0.0.1:{port}/' }, cli: ['{userinfo-hash}'] },
  { input: 'scheme other than http/https', code: 'ERR_INVALID_URL', request: { url: 'ftp://h.eu-west-1.es.amazonaws.com/' }, fetch: { url: 'ftp://127.0.0.1:{port}/' }, cli: ['{ftp}'] },
  { input: 'port out of range', code: 'ERR_INVALID_URL', request: { url: 'https://h.example:65536/' }, fetch: { url: 'http://127.0.0.1:65536/' }, cli: ['{port-out-of-range}'] },
];

function assertTyped(error: unknown, row: Row, entry: Entry): void {
  const kind = row.kind ?? ConfigurationError;
  assert.ok(error instanceof kind, `${row.input} via ${entry}: expected ${kind.name}, got ${String(error)}`);
  assert.equal((error as AwsSigV4Error).code, row.code, `${row.input} via ${entry}: ${(error as Error).message}`);
  assertClean((error as Error).message, `${row.input} via ${entry}`);
}

function assertClean(text: string, where: string): void {
  for (const secret of [MATRIX_SECRET, MATRIX_TOKEN, encodeURIComponent(MATRIX_TOKEN), 'hunter2']) assert.ok(!text.includes(secret), `a secret in the message of ${where}`);
}

// What the stock fetch refuses only once handed the request (ours would have signed it first),
// or, for `redirect` and `signal`, what the signed fetch reads itself: a mistyped redirect was
// followed, and a function as the signal was called.
const STOCK_REFUSES: Array<[string, string | undefined, () => RequestInit, string]> = [
  ['redirect: "folow" (no such mode)', undefined, () => ({ redirect: 'folow' as never }), 'ERR_INVALID_OPTIONS'],
  ['mode: "navigate"', undefined, () => ({ mode: 'navigate' }), 'ERR_INVALID_OPTIONS'],
  ['credentials: true', undefined, () => ({ credentials: true as never }), 'ERR_INVALID_OPTIONS'],
  ['cache: "none"', undefined, () => ({ cache: 'none' as never }), 'ERR_INVALID_OPTIONS'],
  ['duplex: "full" with a stream body', undefined, () => ({ method: 'POST', body: new Blob(['x']).stream(), duplex: 'full' } as RequestInit), 'ERR_INVALID_OPTIONS'],
  ['signal: a function', undefined, () => ({ signal: (() => new AbortController().signal) as never }), 'ERR_INVALID_OPTIONS'],
  ['signal: {} (no AbortSignal)', undefined, () => ({ signal: {} as never }), 'ERR_INVALID_OPTIONS'],
  ['a symbol as the body', undefined, () => ({ method: 'POST', body: Symbol('body') as never }), 'ERR_UNSUPPORTED_BODY'],
  ['an object whose toString throws as the body', undefined, () => ({ method: 'POST', body: { toString() { throw new Error('no text'); } } as never }), 'ERR_UNSUPPORTED_BODY'],
];

describe('bad-input matrix: typed errors before anything is sent, no secret in them', function () {
  let server: Server;
  let port = 0;
  let hits = 0;
  const saved: Record<string, string | undefined> = {};
  const CLI_ENV = {
    AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: MATRIX_SECRET, AWS_SESSION_TOKEN: MATRIX_TOKEN,
    AWS_EC2_METADATA_DISABLED: 'true', AWS_CONFIG_FILE: '/nonexistent/aws-config', AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/aws-credentials',
    AWS_REGION: 'eu-west-1', AWS_PROFILE: undefined, AWS_CONTAINER_CREDENTIALS_FULL_URI: undefined, AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: undefined,
    AWS_WEB_IDENTITY_TOKEN_FILE: undefined,
  };

  before(async function () {
    server = createServer((req, res) => { hits++; res.end('{}'); });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
    // The CLI's credential chain reads process.env: static keys first, nothing on the network.
    for (const [k, v] of Object.entries(CLI_ENV)) {
      saved[k] = process.env[k];
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });
  after(async function () {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    // Node 18's close() waits out the idle keep-alive socket fetch left (seconds); 19+ ends it.
    server.closeAllConnections();
    await closed;
  });
  beforeEach(resetSigV4Caches);
  afterEach(function () {
    assert.equal(hits, 0, 'a request reached the server');
  });

  const local = (path = '/'): string => `http://127.0.0.1:${port}${path}`;

  for (const row of ROWS) {
    describe(row.input, function () {
      if (row.options !== undefined) {
        it('configure() refuses it', function () {
          assert.throws(() => AwsSigV4Connection.configure({ ...base, ...row.options } as AwsSigV4Options), (e: unknown) => { assertTyped(e, row, 'configure'); return true; });
        });
        it('createSignedFetch() refuses it', function () {
          assert.throws(() => createSignedFetch({ ...base, ...row.options } as AwsSigV4Options), (e: unknown) => { assertTyped(e, row, 'createSignedFetch'); return true; });
        });
      }
      if (row.request !== undefined || row.sign !== undefined) {
        const request = { method: 'GET', url: 'https://search-x.eu-west-1.es.amazonaws.com/_search', ...row.request } as SignableRequest;
        const options = { ...signOptions, ...row.sign } as SignOptions;
        it('signRequest refuses it', function () {
          assert.throws(() => signRequest(request, options), (e: unknown) => { assertTyped(e, row, 'signRequest'); return true; });
        });
        it('presignRequest refuses it', function () {
          assert.throws(() => presignRequest(request, options), (e: unknown) => { assertTyped(e, row, 'presignRequest'); return true; });
        });
      }
      if (row.fetch !== undefined) {
        it('the signed fetch refuses it', async function () {
          const signedFetch = createSignedFetch(base);
          const url = (row.fetch!.url ?? local('/_search')).replace('{port}', String(port));
          await assert.rejects(signedFetch(url, row.fetch!.init), (e: unknown) => { assertTyped(e, row, 'createSignedFetch'); return true; });
        });
      }
      if (row.cli !== undefined) {
        it('the CLI exits 2', async function () {
          const special: Record<string, string> = {
            '{userinfo}': `http://user:hunter2@127.0.0.1:${port}/`, '{userinfo-slash}': `http://user:hunter2/x@127.0.0.1:${port}/`,
            '{userinfo-query}': `http://user:hunter2?x@127.0.0.1:${port}/`, '{userinfo-hash}': `http://user:hunter2#x@127.0.0.1:${port}/`, '{ftp}': `ftp://127.0.0.1:${port}/`, '{port-out-of-range}': 'http://127.0.0.1:65536/',
          };
          const url = special[row.cli![0]!] ?? local('/_search');
          const args = special[row.cli![0]!] ? [] : row.cli!;
          let output = '';
          const sink = { write: (chunk: string | Uint8Array) => { output += String(chunk); return true; } };
          const code = await runCli(['request', 'GET', url, ...args], { stdout: sink, stderr: sink, env: process.env });
          assert.equal(code, 2, output);
          assertClean(output, `the CLI (${row.input})`);
        });
      }
    });
  }

  describe('the signed fetch refuses, typed and before signing, what fetch would refuse with a TypeError or send as something else', function () {
    // The global fetch, for each: a method that is not a string is sent as its String() ("5",
    // "null"); CONNECT, TRACE and TRACK, a body on GET or HEAD, and blob:, about: and file: URLs
    // are TypeErrors; a data: URL it reads itself, reaching no server. Ours threw TypeErrors of
    // its own (toUpperCase, Invalid URL), signed first and then met fetch's, or sent a GET for null.
    const rows: Array<[string, string | undefined, () => RequestInit, string]> = [
      ['method: 5', undefined, () => ({ method: 5 as never }), 'ERR_INVALID_METHOD'],
      ['method: null', undefined, () => ({ method: null as never }), 'ERR_INVALID_METHOD'],
      ['method CONNECT', undefined, () => ({ method: 'CONNECT' }), 'ERR_INVALID_METHOD'],
      ['method trace (any letter case)', undefined, () => ({ method: 'trace' }), 'ERR_INVALID_METHOD'],
      ['method TRACK', undefined, () => ({ method: 'TRACK' }), 'ERR_INVALID_METHOD'],
      ['a data: URL', 'data:text/plain,hi', () => ({}), 'ERR_INVALID_URL'],
      ['a blob: URL', 'blob:http://127.0.0.1/0b8e', () => ({}), 'ERR_INVALID_URL'],
      ['an about: URL', 'about:blank', () => ({}), 'ERR_INVALID_URL'],
      ['a file: URL', 'file:///etc/hostname', () => ({}), 'ERR_INVALID_URL'],
      ['GET with a body', undefined, () => ({ body: '{"query":{}}' }), 'ERR_UNSUPPORTED_BODY'],
      ['get (lower case) with an empty body', undefined, () => ({ method: 'get', body: '' }), 'ERR_UNSUPPORTED_BODY'],
      ['HEAD with a stream body', undefined, () => ({ method: 'HEAD', body: new Blob(['x']).stream(), duplex: 'half' } as RequestInit), 'ERR_UNSUPPORTED_BODY'],
      ...STOCK_REFUSES,
      // fetch sends these as their String(): "[object Object]", "a,b", "5".
      ['a plain object as the body (JSON not stringified)', undefined, () => ({ method: 'POST', body: { query: {} } as never }), 'ERR_UNSUPPORTED_BODY'],
      ['an array as the body', undefined, () => ({ method: 'POST', body: ['a', 'b'] as never }), 'ERR_UNSUPPORTED_BODY'],
      ['a number as the body', undefined, () => ({ method: 'POST', body: 5 as never }), 'ERR_UNSUPPORTED_BODY'],
    ];
    for (const [input, url, init, code] of rows) {
      it(`${input}: ${code}, from both entries, nothing signed`, async function () {
        for (const create of [createSignedFetch, createWebSignedFetch]) {
          let signed = 0;
          const signedFetch = create({ ...base, onSign: () => { signed++; } });
          const target = (url ?? local('/_search')).replace('{port}', String(port));
          await assert.rejects(signedFetch(target, init()), (e: unknown) => { assertTyped(e, { input, code }, 'createSignedFetch'); return true; });
          assert.equal(signed, 0, `${input}: signed before it was refused`);
        }
      });
    }

    it('the init members and bodies of STOCK_REFUSES are TypeErrors (or a caller\'s own error) from the stock Request, before any network', function () {
      for (const [input, , init] of STOCK_REFUSES) assert.throws(() => new Request(local('/_search'), init()), (e: unknown) => e instanceof Error, input);
    });

    it('a Request with a body, called with init.method GET: ERR_UNSUPPORTED_BODY, as fetch refuses it', async function () {
      const request = new Request(local('/_search'), { method: 'POST', body: '{"query":{}}' });
      await assert.rejects(fetch(request.clone(), { method: 'GET' }), TypeError);
      await assert.rejects(createSignedFetch(base)(request, { method: 'GET' }), (e: unknown) => { assertTyped(e, { input: 'Request with a body, init.method GET', code: 'ERR_UNSUPPORTED_BODY' }, 'createSignedFetch'); return true; });
    });
  });

  it('configure([]) and configure(null) are refused', function () {
    for (const options of [[], null, 'eu-west-1']) {
      assert.throws(() => AwsSigV4Connection.configure(options as never), (e: unknown) => e instanceof ConfigurationError && e.code === 'ERR_INVALID_OPTIONS');
    }
  });

  it('createSignedFetch with options that are not an object is refused, in both entries; a fetch that is not a function names the option', function () {
    for (const create of [createSignedFetch, createWebSignedFetch]) {
      for (const options of [null, [], 5, 'eu-west-1', true, () => base]) {
        assert.throws(() => create(options as never), (e: unknown) => e instanceof ConfigurationError && e.code === 'ERR_INVALID_OPTIONS' && /createSignedFetch\(options\) must be an object/.test(e.message), String(options));
      }
      assert.throws(() => create({ ...base, fetch: 'fetch' as never }), (e: unknown) => e instanceof ConfigurationError && /Option "fetch" must be a function/.test(e.message));
    }
  });

  it('headers in a class instance with the names as its own properties (axios\'s AxiosHeaders) are signed as a plain object', function () {
    class ClassHeaders { [name: string]: unknown; constructor() { this['x-amz-target'] = 'A'; this['content-type'] = 'application/json'; } forEach(): void {} }
    const url = 'https://search-x.eu-west-1.es.amazonaws.com/';
    const ofClass = signRequest({ method: 'POST', url, headers: new ClassHeaders() as never }, { ...signOptions, signingDate: new Date(0) });
    const ofPlain = signRequest({ method: 'POST', url, headers: { 'x-amz-target': 'A', 'content-type': 'application/json' } }, { ...signOptions, signingDate: new Date(0) });
    assert.equal(ofClass.signedHeaders, 'content-type;host;x-amz-date;x-amz-security-token;x-amz-target');
    assert.deepEqual(ofClass.headers, ofPlain.headers);
  });

  it('what HTTP stacks send as signed is still signed: a tab in values (Latin-1 is refused: hostile-inputs-3.test.ts); x-amz-content-sha256 as a hash, UNSIGNED-PAYLOAD or STREAMING-*', function () {
    const url = 'https://search-x.eu-west-1.es.amazonaws.com/';
    for (const value of ['a\tb']) {
      assert.ok(signRequest({ method: 'GET', url, headers: { 'x-a': value } }, signOptions).headers.authorization, JSON.stringify(value));
    }
    for (const hash of ['UNSIGNED-PAYLOAD', 'STREAMING-UNSIGNED-PAYLOAD-TRAILER', 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855']) {
      assert.equal(signRequest({ method: 'PUT', url, headers: { 'x-amz-content-sha256': hash } }, signOptions).headers['x-amz-content-sha256'], hash);
    }
  });

  it('the signed fetch takes a null init as none, as fetch does', async function () {
    const answer = await createSignedFetch(base)(local('/'), null as never);
    assert.equal(answer.status, 200);
    // The one request this case means to send: not one the afterEach check counts.
    assert.equal(hits, 1);
    hits = 0;
  });

  it('resolveEndpoint and regionAndServiceFromHost refuse what they cannot read, typed, and never quote URL userinfo', function () {
    const url = 'https://search-x.eu-west-1.es.amazonaws.com';
    for (const options of [null, [], 5, 'eu-west-1', { region: 5 }, { service: 'es/x' }, { env: 'AWS_REGION=x' }]) {
      assert.throws(() => resolveEndpoint(url, options as never), (e: unknown) => e instanceof ConfigurationError, JSON.stringify(options));
    }
    assert.deepEqual(resolveEndpoint(url, { region: '', service: '' }), { region: 'eu-west-1', service: 'es', hostname: 'search-x.eu-west-1.es.amazonaws.com', source: 'host' });
    assert.throws(() => regionAndServiceFromHost(5 as never), (e: unknown) => e instanceof ConfigurationError && e.code === 'ERR_INVALID_OPTIONS');
    for (const url of ['https://user:hunter2@host:99999/', 'https://user:hunter2/x@host/', 'https://user:hunter2?x@host/', 'https://user:hunter2#x@host/', 'https://:hunter2/x@host/']) {
      assert.throws(() => resolveEndpoint(url), (e: unknown) => e instanceof ConfigurationError && e.code === 'ERR_INVALID_URL' && !e.message.includes('hunter2'), url);
    }
  });

  it('the CLI never quotes a secret given in the wrong place: a mistyped --flag=value, a header line without its colon, arguments out of order, a bad URL with userinfo', async function () {
    const runs = [
      ['request', 'GET', local('/'), `--secret-acess-key=${MATRIX_SECRET}`],
      ['proxy', `--basic-auht=admin:hunter2`],
      ['request', 'GET', local('/'), '-H', `x-amz-security-token ${MATRIX_TOKEN}`],
      ['request', MATRIX_TOKEN, local('/')],
      ['request', 'GET', 'https://user:hunter2@h:99999/'],
      ['request', 'GET', 'ftp://user:hunter2@h/'],
      ['proxy', '--target', 'https://user:hunter2@h:99999'],
    ];
    for (const args of runs) {
      let output = '';
      const sink = { write: (chunk: string | Uint8Array) => { output += String(chunk); return true; } };
      const code = await runCli(args, { stdout: sink, stderr: sink, env: process.env });
      assert.equal(code, 2, `${args.join(' ')}: ${output}`);
      assertClean(output, `the CLI (${args[0]} ${args[1]})`);
      assert.ok(!output.includes(MATRIX_TOKEN.slice(0, 16)) && !output.includes(MATRIX_SECRET.slice(0, 16)), output);
    }
  });

  it('an onSign that throws never fails a request, and is reported once', async function () {
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on('warning', onWarning);
    try {
      const signer = new RequestSigner({ ...base, onSign: () => { throw new Error(`boom with ${MATRIX_SECRET}`); } });
      for (let attempt = 0; attempt < 3; attempt++) {
        const signed = signer.sign({ method: 'GET', nodeUrl: new URL('https://search-x.eu-west-1.es.amazonaws.com'), pathAndQuery: '/', headers: {}, body: undefined, attempt: 0 }, credentials);
        assert.match(signed.headers.authorization!, /^AWS4-HMAC-SHA256 /);
      }
      await new Promise((resolve) => setImmediate(resolve));
      const ours = warnings.filter((w) => (w as Error & { code?: string }).code === 'AWS_SIGV4_ONSIGN_THREW');
      assert.equal(ours.length, 1);
      assertClean(ours[0]!.message, 'the onSign warning');
    } finally {
      process.off('warning', onWarning);
    }
  });
});
