/**
 * An error answer that echoes the request it got (a 500 or 404 carrying its headers, as
 * debugging gateways and mocks do) reaches the user without our token or signature, through
 * every front end: the seven Connections (the client's error, its meta.body, printed at any
 * depth), createSignedFetch (the body read), the signing proxy (what its client reads) and
 * the CLI's `request` (what it prints). A 2xx answer is the caller's data and is handed on
 * as sent.
 */
import assert from 'node:assert/strict';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { createSignedFetch, type AwsSigV4Options } from '../../src/index.js';
import { createSignedFetch as createWebSignedFetch } from '../../src/web-node.js';
import { SigningProxy } from '../../src/proxy/signing-proxy.js';
import { FAMILIES } from './parity/families.js';
import { assertNothingOfOurs, printedForms } from '../support/assertions.js';
import { runCli } from '../support/cli-run.js';

const CREDENTIALS = {
  accessKeyId: 'ASIAECHOED0000000001',
  secretAccessKey: 'echoed/Secret+0123456789abcdefghijklmno',
  sessionToken: 'EchoedSessionToken/0123456789+abcdefghijklmnopqrstuvwxyzABCDEFG==',
};
const SIGNING: AwsSigV4Options = { region: 'us-east-1', service: 'es', credentials: CREDENTIALS };
const OURS = [CREDENTIALS.sessionToken, CREDENTIALS.secretAccessKey];

interface Listening { url: string; close(): Promise<void> }

/** A loopback server answering with `handler`, once each request's body has come. */
async function listening(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<Listening> {
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => handler(req, res));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

/** Answers /status/NNN with NNN and an Elasticsearch-shaped error whose reason is the request's headers (gzipped with ?gzip). */
function echoServer(): Promise<Listening> {
  return listening((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const status = Number(/^\/status\/(\d{3})$/.exec(url.pathname)?.[1] ?? 200);
    const echoed = JSON.stringify(req.headers);
    let body: Buffer = Buffer.from(JSON.stringify({ error: { type: 'echo_exception', reason: echoed }, status }));
    const headers: Record<string, string> = { 'content-type': 'application/json', 'x-elastic-product': 'Elasticsearch' };
    if (url.searchParams.has('gzip')) {
      body = gzipSync(body);
      headers['content-encoding'] = 'gzip';
    }
    res.writeHead(status, { ...headers, 'content-length': String(body.length) });
    res.end(req.method === 'HEAD' ? undefined : body);
  });
}

describe('an error answer that echoes the request holds no token or signature, through every front end', function () {
  this.timeout(30_000);
  let echo: { url: string; close(): Promise<void> };
  before(async () => { echo = await echoServer(); });
  after(() => echo.close());

  for (const family of FAMILIES) {
    for (const path of ['/status/500', '/status/404', '/status/503?gzip']) {
      it(`${family.name}: ${path}`, async () => {
        const client = family.client(family.ours(SIGNING), echo.url);
        try {
          const outcome = await client.call({ method: 'GET', path });
          assert.equal(outcome.ok, false);
          const error = (outcome as { error: { meta?: { body?: { error?: { type?: string; reason?: string } } } } }).error;
          assertNothingOfOurs(`${family.name} ${path}`, printedForms(error), ...OURS);
          // Still the server's error, with our values masked in it.
          assert.equal(error.meta?.body?.error?.type, 'echo_exception');
          assert.match(String(error.meta?.body?.error?.reason), /\[REDACTED\]/);
        } finally {
          await client.close();
        }
      });
    }
  }

  it('createSignedFetch: a 500 is read scrubbed, a 200 as sent', async () => {
    const signedFetch = createSignedFetch(SIGNING);
    const failed = await signedFetch(`${echo.url}/status/500`);
    assert.equal(failed.status, 500);
    const text = await failed.text();
    assertNothingOfOurs('fetch 500', text, ...OURS);
    assert.match(text, /\[REDACTED\]/);
    const ok = await signedFetch(`${echo.url}/status/200`);
    assert.ok((await ok.text()).includes(CREDENTIALS.sessionToken), 'a 2xx body is the caller\'s and is not rewritten');
  });

  it('the signing proxy: its client reads a 502 from the target scrubbed', async () => {
    const proxy = await SigningProxy.start({ target: echo.url, signing: SIGNING });
    try {
      const answer = await fetch(`${proxy.url}/status/502?gzip`);
      assert.equal(answer.status, 502);
      const text = await answer.text();
      assertNothingOfOurs('proxy 502', text, ...OURS);
      assert.match(text, /echo_exception/);
    } finally {
      await proxy.close();
    }
  });

  it('the CLI\'s request: a 500 printed scrubbed, exit 1', async () => {
    const env = {
      PATH: process.env.PATH, HOME: process.env.HOME, AWS_CONFIG_FILE: '/nonexistent', AWS_SHARED_CREDENTIALS_FILE: '/nonexistent', AWS_EC2_METADATA_DISABLED: 'true',
      AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey, AWS_SESSION_TOKEN: CREDENTIALS.sessionToken,
    };
    const run = await runCli(['request', 'GET', `${echo.url}/status/500`, '--service', 'es'], { env });
    assert.equal(run.code, 1, run.stderr);
    assert.match(run.stdout, /echo_exception/);
    assertNothingOfOurs('cli 500', run.stdout + run.stderr, ...OURS);
  });
});

const b64 = (text: string) => Buffer.from(text).toString('base64');

/**
 * Answers /NNN with NNN and a clean body, echoing what it was signed with in its headers: the
 * token and the Authorization header under their own names, raw, in base64 (alone, and at an
 * offset inside a longer blob), the signature alone, in a cookie. `?mismatch` makes a 403
 * AWS's signature mismatch (classified). Keeps every Authorization it got.
 */
async function headerEchoServer(): Promise<Listening & { authorizations: string[] }> {
  const authorizations: string[] = [];
  const server = await listening((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const status = Number(/^\/(\d{3})$/.exec(url.pathname)?.[1] ?? 200);
    const auth = String(req.headers.authorization);
    const token = String(req.headers['x-amz-security-token']);
    authorizations.push(auth);
    const message = url.searchParams.has('mismatch') ? 'The request signature we calculated does not match the signature you provided.' : 'see the headers';
    const body = Buffer.from(JSON.stringify({ message, error: { type: 'echo_exception', reason: message }, status }));
    res.writeHead(status, {
      'content-type': 'application/json', 'x-elastic-product': 'Elasticsearch', 'content-length': String(body.length),
      'x-amz-security-token': token, authorization: auth,
      'x-echo-token': token, 'x-echo-auth': auth, 'x-echo-sig': /Signature=([0-9a-f]+)/.exec(auth)?.[1] ?? '',
      'x-echo-token-b64': b64(token), 'x-echo-auth-b64': b64(auth), 'x-echo-dump': b64(`T=${token}\nA=${auth}`),
      'set-cookie': [`echo=${b64(token)}`, 'plain=1'], 'x-plain': 'kept',
    });
    res.end(req.method === 'HEAD' ? undefined : body);
  });
  return { ...server, authorizations };
}

describe('an error answer that echoes our token, signature or Authorization in its headers hands on none of them, through every front end', function () {
  this.timeout(30_000);
  let echo: Awaited<ReturnType<typeof headerEchoServer>>;
  before(async () => { echo = await headerEchoServer(); });
  after(() => echo.close());
  beforeEach(() => { echo.authorizations.length = 0; });

  /** Ours in any form the server echoed: raw, base64, the signatures sent, base64 of a blob holding them. */
  function assertNoEcho(where: string, text: string): void {
    const token = CREDENTIALS.sessionToken;
    const signatures = echo.authorizations.map((auth) => /Signature=([0-9a-f]+)/.exec(auth)![1]!);
    assert.ok(signatures.length > 0, `${where}: nothing was signed`);
    // A base64 run of 24 characters or more from inside base64(token): present only if its bytes are.
    const cores = [b64(token).slice(4, 40), b64(`T=${token}`).slice(8, 44)];
    assertNothingOfOurs(where, text, token, b64(token), ...signatures, ...signatures.map((sig) => sig.toUpperCase()), ...echo.authorizations.map(b64), ...cores, CREDENTIALS.secretAccessKey);
  }

  /** A head handed on: our names gone, the rest kept. */
  function assertHead(where: string, names: string[], value: (name: string) => unknown): void {
    assert.ok(!names.includes('authorization') && !names.includes('x-amz-security-token'), `${where}: a credential header handed on: ${names.join()}`);
    assert.equal(value('x-plain'), 'kept', `${where}: the server's other headers are kept`);
    assert.match(String(value('x-echo-token')), /\[REDACTED\]/, where);
  }

  for (const family of FAMILIES) {
    for (const path of ['/403', '/403?mismatch', '/500']) {
      it(`${family.name}: ${path}: nothing of ours in meta.headers`, async () => {
        const client = family.client(family.ours(SIGNING), echo.url);
        try {
          const outcome = await client.call({ method: 'GET', path });
          assert.equal(outcome.ok, false);
          const error = (outcome as { error: { meta?: { statusCode?: number; headers?: Record<string, unknown> } } }).error;
          assert.equal(error.meta?.statusCode, Number(path.slice(1, 4)));
          const headers = error.meta!.headers!;
          assertNoEcho(`${family.name} ${path} meta.headers`, printedForms(headers));
          assertNoEcho(`${family.name} ${path} error`, printedForms(error));
          assertHead(`${family.name} ${path}`, Object.keys(headers), (name) => headers[name]);
        } finally {
          await client.close();
        }
      });
    }

    it(`${family.name}: a 200's headers are handed on as they came`, async () => {
      const client = family.client(family.ours(SIGNING), echo.url);
      try {
        const outcome = await client.call({ method: 'GET', path: '/200' });
        assert.equal(outcome.ok, true);
        const headers = (outcome as { headers: Record<string, unknown> }).headers;
        assert.equal(headers['x-echo-token'], CREDENTIALS.sessionToken);
        assert.equal(headers.authorization, echo.authorizations[0]);
      } finally {
        await client.close();
      }
    });
  }

  for (const [entry, create] of [['node', createSignedFetch], ['web', createWebSignedFetch]] as const) {
    it(`createSignedFetch (${entry} entry): a 403 and a 500 come with their headers scrubbed, their body intact; a classified 403 throws clean`, async () => {
      const signedFetch = create(SIGNING);
      for (const status of [403, 500]) {
        const answer = await signedFetch(`${echo.url}/${status}`);
        assert.equal(answer.status, status);
        const head = [...answer.headers];
        assertNoEcho(`fetch ${entry} ${status}`, printedForms(head));
        assertHead(`fetch ${entry} ${status}`, head.map(([name]) => name), (name) => answer.headers.get(name));
        assert.deepEqual(answer.headers.getSetCookie().length, 2, 'both cookies kept');
        assert.equal(JSON.parse(await answer.text()).error.type, 'echo_exception');
      }
      const rejected = await signedFetch(`${echo.url}/403?mismatch`).then(() => undefined, (e: unknown) => e);
      assert.ok(rejected instanceof Error && rejected.name === 'SignatureRejectedError', String(rejected));
      assertNoEcho(`fetch ${entry} 403 mismatch`, printedForms(rejected));
    });

    it(`createSignedFetch (${entry} entry): a 200's headers are handed on as they came`, async () => {
      const answer = await create(SIGNING)(`${echo.url}/200`);
      assert.equal(answer.status, 200);
      assert.equal(answer.headers.get('x-echo-token'), CREDENTIALS.sessionToken);
      assert.equal(answer.headers.get('authorization'), echo.authorizations[0]);
      await answer.text();
    });
  }

  it('the signing proxy: its client gets a 500 without our token, signature or Authorization in its headers', async () => {
    const proxy = await SigningProxy.start({ target: echo.url, signing: SIGNING });
    try {
      const answer = await fetch(`${proxy.url}/500`);
      assert.equal(answer.status, 500);
      const head = [...answer.headers];
      assertNoEcho('proxy 500', printedForms(head));
      assertHead('proxy 500', head.map(([name]) => name), (name) => answer.headers.get(name));
      await answer.text();
    } finally {
      await proxy.close();
    }
  });
});
