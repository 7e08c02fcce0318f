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

/** Answers /status/NNN with NNN and an Elasticsearch-shaped error whose reason is the request's headers (gzipped with ?gzip). */
async function echoServer(): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    req.on('end', () => {
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
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
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
