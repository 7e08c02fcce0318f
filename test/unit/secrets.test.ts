/**
 * Secrets never print: every public object that holds credentials, and every client that
 * holds one, inspected (any depth, showHidden), stringified and formatted as console.log
 * does; the session token redacted in each of its forms wherever a canonical request is
 * shown; provider errors scrubbed by value. The last test runs this file and the
 * bad-input matrix in a child and greps all it printed for the secrets: 0 hits.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { format, inspect } from 'node:util';
import { Client } from '@opensearch-project/opensearch';
import { CredentialCache } from '../../src/credentials.js';
import { CredentialsError, redact, redactCanonicalRequest, secretForms } from '../../src/errors.js';
import { withSigV4Promise } from '../../src/adapters/promise-connection.js';
import { AwsSigV4Connection } from '../../src/opensearch.js';
import { classifyRejection, redactRefusalBody } from '../../src/rejection.js';
import { RequestSigner, type SigningEvent } from '../../src/request-signer.js';
import { SigningProxy } from '../../src/proxy/signing-proxy.js';
import { presignRequest, resetSigV4Caches, signRequest } from '../../src/sigv4.js';
import { VerifyProxy } from '../../src/testing/verify-proxy.js';

const SECRET = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYSECRETKEY';
/** White space around it: signed trimmed, given untrimmed; `/`, `+`, `=` so that its encodings differ. */
const TOKEN = '  IQoJb3JpZ2luX2VjSecretsTestToken/ab+cd==  ';
const identity = { accessKeyId: 'ASIAEXAMPLEKEY12', secretAccessKey: SECRET, sessionToken: TOKEN };

/** Every form the secret and the token take in text. */
const FORMS = [...new Set([...secretForms(SECRET), ...secretForms(TOKEN)])].filter((f) => f.length >= 8);

function renderings(value: unknown): string[] {
  const out = [
    inspect(value, { depth: 5 }),
    inspect(value, { depth: Infinity }),
    inspect(value, { depth: Infinity, showHidden: true }),
    format('%s %o %O %j', value, value, value, value),
    String(value),
  ];
  try {
    out.push(JSON.stringify(value) ?? '');
  } catch {
    // A client is circular: JSON.stringify throws, which prints nothing.
  }
  return out;
}

interface ElasticFamily {
  major: number;
  client(node: string): { transport: { request(params: { method: string; path: string }): Promise<unknown> }; close(): Promise<void> };
}

/**
 * The newest Elasticsearch client this Node runs, with our Connection: 9.x through the entry
 * needs Node 20 (its undici 7 reads the File global at load); on Node 18, 8.x over the same
 * adapter the entry builds on.
 */
function elasticFamily(): ElasticFamily {
  const options = { region: 'eu-west-1', service: 'es', credentials: identity };
  // Loaded here, not imported at the top: on Node 18 loading 9.x throws.
  if (Number(process.versions.node.split('.')[0]) >= 20) {
    const { Client } = require('@elastic/elasticsearch') as typeof import('@elastic/elasticsearch');
    const { AwsSigV4HttpConnection } = require('../../src/elasticsearch.js') as typeof import('../../src/elasticsearch.js');
    return { major: 9, client: (node) => new Client({ node, Connection: AwsSigV4HttpConnection.configure(options) }) };
  }
  const es8 = require('es8') as typeof import('es8');
  const Connection = withSigV4Promise(es8.HttpConnection, es8.errors).configure(options);
  return { major: 8, client: (node) => new es8.Client({ node, Connection }) };
}

function assertNoSecretIn(value: unknown, what: string): void {
  for (const text of renderings(value)) {
    for (const form of FORMS) assert.ok(!text.includes(form), `${what} prints a form of a secret (${form.length} chars)`);
  }
}

describe('secrets never print', function () {
  let upstream: Server;
  let upstreamUrl = '';
  before(async function () {
    upstream = createServer((req, res) => { res.setHeader('content-type', 'application/json'); res.end('{"ok":true}'); });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
  });
  after(async function () {
    await new Promise<void>((resolve) => upstream.close(() => resolve()));
  });
  beforeEach(resetSigV4Caches);

  it('the Connection class, its signer, its options and its credential cache (static identity)', async function () {
    const Connection = AwsSigV4Connection.configure({ region: 'eu-west-1', service: 'es', credentials: identity });
    await Connection.signer.credentials();
    assertNoSecretIn(Connection, 'the Connection class');
    assertNoSecretIn(Connection.signer, 'AwsSigV4Connection.signer');
    assertNoSecretIn(Connection.signer.options, 'signer.options');
    assertNoSecretIn(Connection.signer.credentialCache(), 'signer.credentialCache()');
    assertNoSecretIn(await Connection.signer.credentials(), 'the identity the signer hands out');
    // Still usable: the sealed identity signs as the plain one does.
    const signingDate = new Date(Date.UTC(2024, 0, 1));
    const request = { method: 'GET', url: 'https://h.eu-west-1.es.amazonaws.com/' };
    assert.equal(signRequest(request, { region: 'eu-west-1', service: 'es', credentials: await Connection.signer.credentials(), signingDate }).signature,
      signRequest(request, { region: 'eu-west-1', service: 'es', credentials: identity, signingDate }).signature);
  });

  it('new CredentialCache(...) over a static identity and over a provider, cold and warm', async function () {
    assertNoSecretIn(new CredentialCache(identity), 'new CredentialCache(static)');
    const cache = new CredentialCache(async () => ({ ...identity, expiration: new Date(Date.now() + 3_600_000) }));
    assertNoSecretIn(cache, 'a cold CredentialCache');
    await cache.get();
    assertNoSecretIn(cache, 'a warm CredentialCache');
    assert.match(inspect(cache), /ASIA\.\.\.EY12/);
  });

  it('an OpenSearch Client with our Connection, before and after a request, at depth 5 and Infinity', async function () {
    const client = new Client({ node: upstreamUrl, Connection: AwsSigV4Connection.configure({ region: 'eu-west-1', service: 'es', credentials: identity }) });
    assertNoSecretIn(client, 'a Client');
    const response = await client.transport.request({ method: 'GET', path: '/' });
    assert.equal(response.statusCode, 200);
    assertNoSecretIn(client, 'a Client after a request');
    assertNoSecretIn(response, 'a response');
    await client.close();
  });

  it("a node URL's user:password (replaced by SigV4) is kept nowhere of ours: the Connection class and its signer, after a request", async function () {
    // Before: the signer's endpoint cache was keyed by the node's href, password and all. (The
    // client itself keeps the password it was given, in its options and its auth, as stock does.)
    const password = 'NodeUrlPassw0rd-Inspect';
    const Connection = AwsSigV4Connection.configure({ region: 'eu-west-1', service: 'es', credentials: identity });
    const client = new Client({ node: upstreamUrl.replace('http://', `http://ops:${password}@`), Connection });
    assert.equal((await client.transport.request({ method: 'GET', path: '/' })).statusCode, 200);
    for (const text of [...renderings(Connection), ...renderings(Connection.signer)]) assert.ok(!text.includes(password), 'the password printed with our signer');
    await client.close();
  });

  it('an Elasticsearch Client (9; 8 on Node 18) with our Connection, before and after a request', async function () {
    const family = elasticFamily();
    const client = family.client(upstreamUrl);
    assertNoSecretIn(client, `an Elasticsearch ${family.major} Client`);
    await client.transport.request({ method: 'GET', path: '/' }).catch(() => undefined);
    assertNoSecretIn(client, 'an Elasticsearch Client after a request');
    await client.close();
  });

  it('a SigningProxy and a VerifyProxy', async function () {
    const proxy = await SigningProxy.start({ target: upstreamUrl, signing: { region: 'eu-west-1', service: 'es', credentials: identity } });
    // fetch trims header values, so the stub holds the token as it arrives.
    const trimmed = { ...identity, sessionToken: TOKEN.trim() };
    const verify = await VerifyProxy.start({ region: 'eu-west-1', credentials: [trimmed] });
    try {
      assertNoSecretIn(proxy, 'a SigningProxy');
      assertNoSecretIn(verify, 'a VerifyProxy');
      // The sealed copy still verifies: a request signed with the identity is accepted.
      const signed = signRequest({ method: 'GET', url: `${verify.url}/` }, { region: 'eu-west-1', service: 'es', credentials: trimmed });
      const res = await fetch(`${verify.url}/`, { headers: Object.fromEntries(Object.entries(signed.headers).filter(([k]) => k !== 'host')) });
      assert.equal(res.status, 200, await res.text());
    } finally {
      await proxy.close();
      await verify.close();
    }
  });

  it('onSign and the diagnostics channel: the token redacted whole, trimmed or as given', function () {
    const events: SigningEvent[] = [];
    const signer = new RequestSigner({ region: 'eu-west-1', service: 'es', credentials: identity, onSign: (e) => events.push(e) });
    signer.sign({ method: 'GET', nodeUrl: new URL('https://h.eu-west-1.es.amazonaws.com'), pathAndQuery: `/?X-Amz-Security-Token=${encodeURIComponent(TOKEN)}`, headers: {}, body: undefined, attempt: 0 }, identity);
    assert.equal(events.length, 1);
    assertNoSecretIn(events[0], 'the onSign event');
    assert.match(events[0]!.canonicalRequest, /^x-amz-security-token:\[REDACTED\]$/m);
  });

  it('a short token never eats a header name', function () {
    const short = { ...identity, sessionToken: 'en' };
    const signed = signRequest({ method: 'GET', url: 'https://h.eu-west-1.es.amazonaws.com/' }, { region: 'eu-west-1', service: 'es', credentials: short });
    const shown = redactCanonicalRequest(signed.canonicalRequest, 'en');
    assert.match(shown, /^x-amz-security-token:\[REDACTED\]$/m);
    assert.ok(shown.includes('x-amz-security-token'), shown);
    assert.equal(redact('x-amz-security-token: en\ntoken en here, "en", often', ['en']), 'x-amz-security-token:[REDACTED]\ntoken [REDACTED] here, "[REDACTED]", often');
  });

  it('the presigned form: the URL-encoded token in the canonical query redacted', function () {
    const presigned = presignRequest({ method: 'GET', url: 'https://h.eu-west-1.es.amazonaws.com/' }, { region: 'eu-west-1', service: 'es', credentials: identity });
    assert.ok(presigned.canonicalRequest.includes(encodeURIComponent(TOKEN.trim()).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)) || presigned.canonicalRequest.includes('Token='));
    const shown = redactCanonicalRequest(presigned.canonicalRequest, TOKEN);
    for (const form of FORMS) assert.ok(!shown.includes(form));
  });

  it("AWS's echoed canonical request: the token gone from the error and from the body a proxy hands on", function () {
    const signed = signRequest({ method: 'GET', url: 'https://h.eu-west-1.es.amazonaws.com/' }, { region: 'eu-west-1', service: 'es', credentials: identity });
    const body = JSON.stringify({ message: `The request signature we calculated does not match the signature you provided. The Canonical String for this request should have been\n'${signed.canonicalRequest}'\n\nThe String-to-Sign should have been\n'${signed.stringToSign}'\n` });
    const error = classifyRejection({ statusCode: 403, body, canonicalRequest: signed.canonicalRequest, secrets: [SECRET, TOKEN] });
    assert.equal(error?.code, 'ERR_SIGNATURE_MISMATCH');
    assertNoSecretIn(error, 'the SignatureRejectedError');
    const handedOn = redactRefusalBody(body, identity);
    for (const form of FORMS) assert.ok(!handedOn.includes(form), 'the body a proxy hands on');
    assert.ok(handedOn.includes('x-amz-security-token:[REDACTED]'));
    assert.ok(handedOn.includes(signed.stringToSign.split('\n')[3]!), 'the rest, string to sign included, kept to debug with');
  });

  it('a refusal body a proxy hands on: the token gone in the encodings servers write it in (S3 hex bytes, JSON with escaped "/" or \\u escapes, HTML references)', function () {
    const token = TOKEN.trim();
    // Built here, independently of secretForms: what each server-side encoder writes.
    const hexBytes = Buffer.from(`x-amz-security-token:${token}`).toString('hex').replace(/(..)(?!$)/g, '$1 ');
    const slashEscaped = JSON.stringify({ message: `Token ${token} was refused` }).replace(/\//g, '\\/');
    const unicodeEscaped = `{"message":"token ${token.replace(/[+/=]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)}"}`;
    const html = `<p>token ${token.replace(/[+/=]/g, (c) => `&#${c.charCodeAt(0)};`)}</p>`;
    const s3 = `<Error><Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated does not match the signature you provided.</Message>` +
      `<CanonicalRequest>GET\n/\n\nhost:h\nx-amz-security-token:${token}\n</CanonicalRequest><CanonicalRequestBytes>${hexBytes}</CanonicalRequestBytes></Error>`;
    const jsonHeader = JSON.stringify({ message: `x-amz-security-token:${token}` }).replace(/\//g, '\\/');
    for (const body of [s3, slashEscaped, unicodeEscaped, html, jsonHeader]) {
      const handedOn = redactRefusalBody(body, { sessionToken: TOKEN, secretAccessKey: SECRET });
      const decoded = handedOn
        .replace(/<CanonicalRequestBytes>([0-9a-f ]+)<\/CanonicalRequestBytes>/, (_, hex: string) => Buffer.from(hex.replace(/ /g, ''), 'hex').toString())
        .replace(/\\\//g, '/').replace(/\\u([0-9a-f]{4})/gi, (_, h: string) => String.fromCharCode(parseInt(h, 16))).replace(/&#(\d+);/g, (_, d: string) => String.fromCharCode(Number(d)));
      assert.ok(!decoded.includes(token) && !decoded.includes(token.slice(0, 16)), `${body.slice(0, 60)}... -> ${handedOn}`);
    }
  });

  it('a refusal body or head a proxy hands on: the token and signature gone from inside a longer base64 blob at any offset (a dump of the request), and from UTF-16 read as text', function () {
    // Before: only base64 of the bare value was known, so base64("T=" + token), or a base64
    // dump of the request's header lines, went to the client whole (found by a red-team sweep).
    const token = TOKEN.trim();
    const signature = 'a'.repeat(7) + '0123456789abcdef'.repeat(3) + 'fedcba987';
    const dump = (prefix: string) => `${prefix}GET / HTTP/1.1\r\nx-amz-security-token: ${token}\r\nauthorization: AWS4-HMAC-SHA256 Credential=ASIA/..., Signature=${signature}\r\n`;
    const decodesToNone = (handedOn: string, what: string) => {
      for (const run of handedOn.match(/[A-Za-z0-9+/_-]{16,}={0,2}/g) ?? []) {
        const text = Buffer.from(run.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('latin1');
        for (const [name, value] of [['token', token], ['signature', signature]] as const) {
          // Any 12 characters of it in a row decoded from what was handed on: a part of it got through.
          for (let i = 0; i + 12 <= value.length; i += 6) assert.ok(!text.includes(value.slice(i, i + 12)), `${what}: the ${name} decodes from ${run.slice(0, 40)}...`);
        }
      }
    };
    for (const prefix of ['', 'x', 'T=', 'abc', 'dump:\n']) {
      for (const url of [false, true]) {
        let blob = Buffer.from(dump(prefix)).toString('base64');
        if (url) blob = blob.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
        const body = JSON.stringify({ message: 'internal error', request: blob });
        const handedOn = redactRefusalBody(body, { sessionToken: TOKEN, secretAccessKey: SECRET }, signature);
        decodesToNone(handedOn, `prefix ${JSON.stringify(prefix)}${url ? ', base64url' : ''}`);
      }
    }
    for (const encoding of ['utf16le', 'ucs2'] as const) {
      const utf16 = Buffer.from(`token ${token} refused`, encoding).toString('latin1');
      const bigEndian = Buffer.from(`token ${token} refused`, encoding).swap16().toString('latin1');
      for (const text of [utf16, bigEndian]) {
        const handedOn = redactRefusalBody(text, { sessionToken: TOKEN, secretAccessKey: SECRET }, signature);
        assert.ok(!handedOn.replace(/\u0000/g, '').includes(token.slice(0, 12)), `UTF-16 (${encoding}) ${handedOn.slice(0, 40)}`);
      }
    }
  });

  it('a refusal body a proxy hands on: the signature in upper-case hex or as base64 of its bytes, the token as colon-separated hex or base64 of its UTF-16', function () {
    const token = TOKEN.trim();
    const signature = '0123456789abcdef'.repeat(4);
    const bodies = [
      `{"sig":"${signature.toUpperCase()}"}`,
      `{"sig":"${Buffer.from(signature, 'hex').toString('base64')}"}`,
      `{"sig":"${Buffer.from(signature, 'hex').toString('base64url')}"}`,
      `{"token":"${Buffer.from(token).toString('hex').replace(/(..)(?!$)/g, '$1:')}"}`,
      `{"token":"${Buffer.from(token, 'utf16le').toString('base64')}"}`,
    ];
    for (const body of bodies) {
      const handedOn = redactRefusalBody(body, { sessionToken: TOKEN, secretAccessKey: SECRET }, signature);
      assert.ok(handedOn.includes('[REDACTED]') && !handedOn.includes(body.slice(9, 29)), `${body.slice(0, 50)} -> ${handedOn}`);
    }
  });

  it("a provider's first error, before any value is known: credentials written under their names, in its message, name, code and stack, are scrubbed", async function () {
    const token = 'IQoJb3JpZ2luFirstError=Token/with+breaks=inside';
    const secret = 'first/Error+SecretKey0123456789abcdef';
    const thrown = new Error(`profile [x]: aws_session_token=${token}\naws_secret_access_key = ${secret}\n{"SessionToken": "${token}", "SecretAccessKey":"${secret}"}`);
    thrown.name = `ProviderError[aws_session_token=${token}]`;
    (thrown as Error & { code?: string }).code = `BadToken:sessionToken=${token}`;
    const cache = new CredentialCache(async () => { throw thrown; });
    const error = await Promise.resolve(cache.get()).then(() => undefined, (e: unknown) => e as CredentialsError);
    assert.ok(error instanceof CredentialsError);
    const cause = error.cause as Error & { code?: string };
    const shown = [inspect(error, { depth: Infinity, showHidden: true }), JSON.stringify(error), String(cause.stack), String(cause.code), cause.name].join('\n');
    for (const value of [token, secret]) assert.ok(!shown.includes(value) && !shown.includes(value.slice(0, 16)), shown);
  });

  it('secret-shaped runs with "/", "+" and "=" escaped (JSON \\/, %2f) are scrubbed unknown; a known one split over lines loses both halves', function () {
    const secret = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYUNKNOWNKEY';
    for (const text of [JSON.stringify({ s: secret }).replace(/\//g, '\\/'), `q=${encodeURIComponent(secret).toLowerCase()}`]) {
      assert.ok(!redact(text).includes(secret.slice(0, 13)), redact(text));
    }
    const known = 'IQoJb3JpZ2luSplitAcrossLines/with+and=0123456789abcdef';
    const split = `token: ${known.slice(0, 25)}\n${known.slice(25)} (cut by a log line)`;
    const shown = redact(split, [known]);
    assert.ok(!shown.includes(known.slice(0, 16)) && !shown.includes(known.slice(-16)), shown);
  });

  it('provider error text scrubbed by value: the secret and token held now or before, in every encoding', async function () {
    const first = { accessKeyId: 'ASIAFIRSTKEY0001', secretAccessKey: 'shortSecret1', sessionToken: 'tok1', expiration: new Date(Date.now() + 10 * 60_000) };
    const second = { ...identity, expiration: new Date(Date.now() + 10 * 60_000) };
    let call = 0;
    const cache = new CredentialCache(async () => {
      call++;
      if (call === 1) return first;
      if (call === 2) return second;
      throw new Error([
        `profile line: aws_secret_access_key=${first.secretAccessKey} token=${first.sessionToken}`,
        `url-encoded ${encodeURIComponent(SECRET)} and ${encodeURIComponent(TOKEN)}`,
        `json ${JSON.stringify({ s: SECRET, t: TOKEN })}`,
        `base64 ${btoa(SECRET)} ${btoa(TOKEN.trim())}`,
        `raw ${SECRET} trimmed ${TOKEN.trim()}`,
      ].join('\n'));
    }, { refreshBeforeExpiryMs: 0, expirySafetyMs: 0, retryDelayMs: 1, maxRetryDelayMs: 1 });
    await cache.get();
    await cache.forceRefresh();
    const error = await cache.forceRefresh().then(() => undefined, (e: unknown) => e);
    assert.ok(error instanceof CredentialsError, String(error));
    assertNoSecretIn(error, 'the provider error');
    for (const text of renderings(error)) {
      for (const held of ['shortSecret1', 'tok1']) assert.ok(!new RegExp(`\\b${held}\\b`).test(text), `${held} in the provider error`);
    }
    assert.match((error as Error).message, /profile line/);
  });

  it('everything the secrets and bad-input tests print holds no secret or token, in any encoding', function () {
    if (process.env.SECRETS_GREP_CHILD === '1') this.skip();
    this.timeout(120_000);
    const root = join(__dirname, '..', '..');
    const mocha = join(root, 'node_modules', 'mocha', 'bin', 'mocha.js');
    const run = spawnSync(process.execPath, [
      mocha, '--no-config', '-n', 'import=tsx', '--extension', 'ts', '--reporter', 'spec', '--exit',
      join(root, 'test', 'unit', 'secrets.test.ts'), join(root, 'test', 'unit', 'bad-input.test.ts'),
    ], { cwd: root, encoding: 'utf8', timeout: 110_000, env: { ...process.env, SECRETS_GREP_CHILD: '1' } });
    const printed = `${run.stdout}\n${run.stderr}`;
    assert.equal(run.status, 0, printed.slice(-3000));
    assert.match(printed, /\d+ passing/);
    const matrixSecrets = ['wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY', 'IQoJb3JpZ2luX2VjEMatrixToken/with+and='];
    const forms = [...FORMS, ...matrixSecrets.flatMap(secretForms), 'hunter2'];
    const hits = forms.filter((form) => printed.includes(form));
    assert.deepEqual(hits.map((h) => `${h.length} chars`), [], 'forms of a test secret in what the run printed');
    console.log(`      grep of ${printed.length} printed characters for ${forms.length} forms of 4 test secrets: 0 hits`);
  });
});
