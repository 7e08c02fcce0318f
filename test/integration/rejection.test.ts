/**
 * 403s that explain themselves. A man in the middle (node:http, between the client and the
 * verifying stub) changes one part of each request after it was signed, as a misbehaving
 * proxy, gateway or body rewrite would; the stub answers as `es` does, echoing the
 * canonical request it computed, and SignatureRejectedError must name the kind of refusal
 * and the first part that differs, with no secret, token or signature in its message,
 * stack or inspect(). Then the opt-in debug hooks: `onSign` and diagnostics_channel.
 */
import assert from 'node:assert/strict';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import http, { type OutgoingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { inspect } from 'node:util';
import { Client } from '@opensearch-project/opensearch';
import { AwsSigV4Connection } from '../../src/opensearch.js';
import { classifyRejection, createSignedFetch, signatureRejectionOf, SignatureRejectedError, type AwsSigV4Options, type SigningEvent } from '../../src/index.js';
import type { VerifyProxy } from '../../src/testing/index.js';
import { startStub } from '../support/stack.js';

const TEMP = {
  accessKeyId: 'ASIAREJECTION0000001',
  secretAccessKey: 'rejection/Secret+0123456789abcdefghijklm',
  sessionToken: 'FwoGZXIvYXdzERejectionTOKEN//////////wEaDRej0123456789+xyz=',
};

interface Wire {
  method: string;
  path: string;
  /** Node's rawHeaders: names and values alternating. */
  headers: string[];
  body: Buffer;
}

type Mutation = (wire: Wire) => void;

/** A node:http man in the middle: applies the current mutation, forwards to the stub, pipes the answer back. */
class Middle {
  mutate: Mutation | undefined;
  /** The Signature= of every request that went through, to make sure none is printed. */
  readonly signatures: string[] = [];
  private server!: http.Server;
  url = '';

  static async start(target: () => VerifyProxy): Promise<Middle> {
    const middle = new Middle();
    middle.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const wire: Wire = { method: req.method ?? 'GET', path: req.url ?? '/', headers: [...req.rawHeaders], body: Buffer.concat(chunks) };
        const auth = header(wire, 'authorization');
        const sig = auth && /Signature=([0-9a-f]{64})/.exec(auth)?.[1];
        if (sig) middle.signatures.push(sig);
        middle.mutate?.(wire);
        const headers: OutgoingHttpHeaders = {};
        for (let i = 0; i < wire.headers.length; i += 2) headers[wire.headers[i]!.toLowerCase()] = wire.headers[i + 1]!;
        delete headers['transfer-encoding'];
        if (wire.body.length > 0 || headers['content-length'] !== undefined) headers['content-length'] = String(wire.body.length);
        const stub = new URL(target().url);
        const upstream = http.request({ hostname: stub.hostname, port: stub.port, method: wire.method, path: wire.path, headers, agent: false }, (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        });
        upstream.on('error', () => res.destroy());
        upstream.end(wire.body.length > 0 ? wire.body : undefined);
      });
    });
    await new Promise<void>((resolve) => middle.server.listen(0, '127.0.0.1', resolve));
    middle.url = `http://127.0.0.1:${(middle.server.address() as AddressInfo).port}`;
    return middle;
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.closeAllConnections();
      this.server.close(() => resolve());
    });
  }
}

function amzTime(amzDate: string): number {
  return Date.parse(amzDate.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, '$1-$2-$3T$4:$5:$6Z'));
}

function header(wire: Wire, name: string): string | undefined {
  for (let i = 0; i < wire.headers.length; i += 2) if (wire.headers[i]!.toLowerCase() === name) return wire.headers[i + 1];
  return undefined;
}

function setHeader(wire: Wire, name: string, value: string | undefined): void {
  for (let i = 0; i < wire.headers.length; i += 2) {
    if (wire.headers[i]!.toLowerCase() === name) {
      if (value === undefined) wire.headers.splice(i, 2);
      else wire.headers[i + 1] = value;
      return;
    }
  }
  if (value !== undefined) wire.headers.push(name, value);
}

describe('403s that explain themselves: SignatureRejectedError through the verifying stub (es)', function () {
  this.timeout(30_000);
  let stub: VerifyProxy;
  let middle: Middle;

  before(async () => {
    stub = await startStub({ region: 'eu-west-1', credentials: [{ ...TEMP }] });
    middle = await Middle.start(() => stub);
  });
  after(async () => {
    await middle?.close();
    await stub?.close();
  });
  beforeEach(() => {
    middle.mutate = undefined;
    stub.reset();
    stub.setClockOffset(0);
  });

  function client(options: AwsSigV4Options = {}): Client {
    // No client retries: one request, one stub record, one refusal to read.
    return new Client({ node: middle.url, maxRetries: 0, Connection: AwsSigV4Connection.configure({ region: 'eu-west-1', credentials: TEMP, ...options }) });
  }

  /**
   * Runs `call`, which must fail with the refusal classified: the client's own ResponseError
   * (403, as the stock Connection gives it) carrying a SignatureRejectedError, or createSignedFetch's
   * SignatureRejectedError itself; checks that no secret is in either anywhere.
   */
  async function rejected(call: () => Promise<unknown>, extraSecrets: string[] = []): Promise<SignatureRejectedError> {
    const thrown = await call().then(() => undefined, (e: unknown) => e);
    const error = signatureRejectionOf(thrown);
    assert.ok(error instanceof SignatureRejectedError, `expected a classified refusal, got ${inspect(thrown)}`);
    if (thrown !== error) assert.equal((thrown as { meta?: { statusCode?: number } }).meta?.statusCode, error.statusCode);
    const shown = [error.message, error.stack ?? '', inspect(error, { depth: 5 }), JSON.stringify(error), error.awsMessage, inspect(thrown, { depth: 8 })].join('\n');
    for (const secret of [TEMP.secretAccessKey, TEMP.sessionToken, ...middle.signatures, ...extraSecrets]) {
      assert.ok(!shown.includes(secret), `the error shows a secret value (...${secret.slice(-6)})`);
    }
    return error;
  }

  const DIFFERENCES: Array<{ part: string; mutate: Mutation; call: (c: Client) => Promise<unknown>; expected: string }> = [
    {
      part: 'the method',
      mutate: (w) => { w.method = 'POST'; },
      call: (c) => c.info(),
      expected: 'method',
    },
    {
      part: 'the path encoding (an encoded slash decoded by a proxy)',
      mutate: (w) => { w.path = w.path.replace('%2F', '/'); },
      call: (c) => c.get({ index: 'logs', id: 'a/b' }),
      expected: 'path encoding (canonical URI)',
    },
    {
      part: 'the query (a parameter added on the way)',
      mutate: (w) => { w.path += '&size=1'; },
      call: (c) => c.search({ index: 'logs', q: 'level:error' }),
      expected: 'query string',
    },
    {
      part: 'a signed header (content-type rewritten)',
      mutate: (w) => setHeader(w, 'content-type', 'application/x-ndjson'),
      call: (c) => c.index({ index: 'logs', id: '1', body: { a: 1 } }),
      expected: 'header "content-type"',
    },
    {
      part: 'a signed header dropped on the way (x-opaque-id)',
      mutate: (w) => setHeader(w, 'x-opaque-id', undefined),
      call: (c) => c.info({}, { opaqueId: 'job-42' }),
      expected: 'header "x-opaque-id"',
    },
    {
      part: 'the body (one byte changed, same length)',
      mutate: (w) => { w.body = Buffer.from(w.body.toString('utf8').replace('"a":1', '"a":2')); },
      call: (c) => c.index({ index: 'logs', id: '1', body: { a: 1 } }),
      expected: 'payload hash (the body AWS received differs from the body signed)',
    },
  ];

  for (const { part, mutate, call, expected } of DIFFERENCES) {
    it(`names ${part}`, async () => {
      middle.mutate = mutate;
      const c = client();
      try {
        const error = await rejected(() => call(c));
        assert.equal(error.kind, 'signature-mismatch');
        assert.equal(error.code, 'ERR_SIGNATURE_MISMATCH');
        assert.equal(error.statusCode, 403);
        assert.equal(error.firstDifference, expected);
        assert.ok(error.message.includes(`First difference: ${expected}.`), error.message);
        assert.match(error.hint, /nothing \(a proxy, a body rewrite\) changes the request after signing/);
        // AWS's echo is kept for debugging, with the token line scrubbed.
        assert.match(error.awsMessage, /The Canonical String for this request should have been/);
      } finally {
        await c.close();
      }
      assert.equal(stub.records[0]!.verdict, 'signature-mismatch');
    });
  }

  it('says the canonical request matched when only the key differs (a wrong secret)', async () => {
    const wrong = 'rejection/Wrong+Secret0123456789abcdefghijk';
    const c = client({ credentials: { ...TEMP, secretAccessKey: wrong } });
    try {
      const error = await rejected(() => c.info(), [wrong]);
      assert.equal(error.kind, 'signature-mismatch');
      assert.match(error.firstDifference!, /^none: the canonical request matches, so the signing key differs/);
    } finally {
      await c.close();
    }
  });

  const KINDS: Array<{ what: string; setup: () => void; options?: AwsSigV4Options; kind: string; code: string; verdict: string; hint: RegExp }> = [
    {
      what: 'expired session credentials',
      setup: () => stub.addCredentials({ ...TEMP, expiration: new Date(Date.now() - 1000) }),
      kind: 'token-expired', code: 'ERR_TOKEN_EXPIRED', verdict: 'expired-token', hint: /session token expired/,
    },
    {
      what: 'a key AWS does not know',
      setup: () => undefined,
      options: { credentials: { accessKeyId: 'AKIDUNKNOWN000000001', secretAccessKey: 'unknown/Secret+0123456789abcdefghijklm' } },
      kind: 'token-invalid', code: 'ERR_TOKEN_INVALID', verdict: 'invalid-token', hint: /AWS does not know this access key/,
    },
    {
      what: 'a request time 10 minutes ahead of AWS (retries off)',
      setup: () => stub.setClockOffset(-10 * 60_000),
      options: { retryAuthErrors: false },
      kind: 'request-time-not-yet-current', code: 'ERR_REQUEST_TIME_SKEWED', verdict: 'signature-not-yet-current', hint: /ahead of AWS's clock/,
    },
    {
      what: 'a request time 10 minutes behind AWS (retries off)',
      setup: () => stub.setClockOffset(10 * 60_000),
      options: { retryAuthErrors: false },
      kind: 'request-time-expired', code: 'ERR_REQUEST_TIME_SKEWED', verdict: 'signature-expired', hint: /behind AWS's clock/,
    },
    {
      what: 'a credential scoped to another region',
      setup: () => undefined,
      options: { region: 'us-west-2' },
      kind: 'scope-mismatch', code: 'ERR_SCOPE_MISMATCH', verdict: 'wrong-scope', hint: /set `region` and `service`/,
    },
  ];

  for (const k of KINDS) {
    it(`classifies ${k.what}: ${k.kind}`, async () => {
      k.setup();
      const c = client(k.options);
      try {
        const error = await rejected(() => c.info());
        assert.equal(error.kind, k.kind);
        assert.equal(error.code, k.code);
        assert.match(error.hint, k.hint);
        assert.equal(error.firstDifference, undefined);
        if (k.kind.startsWith('request-time')) assert.ok(Math.abs(Math.abs(error.clockSkewMs!) - 600_000) < 5_000, `clockSkewMs ${error.clockSkewMs}`);
      } finally {
        await c.close();
        stub.addCredentials({ ...TEMP });
      }
      assert.equal(stub.records.at(-1)!.verdict, k.verdict);
    });
  }

  const MISSING: Array<{ what: string; mutate: Mutation; kind: string; verdict: string }> = [
    { what: 'x-amz-date dropped by a proxy', mutate: (w) => setHeader(w, 'x-amz-date', undefined), kind: 'missing-header', verdict: 'incomplete-signature' },
    { what: 'an x-amz-* header added after signing', mutate: (w) => setHeader(w, 'x-amz-meta-added', '1'), kind: 'missing-header', verdict: 'unsigned-header' },
    { what: 'the Authorization header dropped by a proxy', mutate: (w) => setHeader(w, 'authorization', undefined), kind: 'missing-authentication', verdict: 'missing-authentication' },
  ];
  for (const m of MISSING) {
    it(`classifies ${m.what}: ${m.kind}`, async () => {
      middle.mutate = m.mutate;
      const c = client();
      try {
        const error = await rejected(() => c.info());
        assert.equal(error.kind, m.kind);
      } finally {
        await c.close();
      }
      assert.equal(stub.records[0]!.verdict, m.verdict);
    });
  }

  it('createSignedFetch throws the same typed error', async () => {
    middle.mutate = (w) => { w.path = w.path.replace('b=2', 'b=3'); };
    const signedFetch = createSignedFetch({ region: 'eu-west-1', credentials: TEMP });
    const error = await rejected(() => signedFetch(`${middle.url}/logs/_search?b=2&a=1`));
    assert.equal(error.firstDifference, 'query string');
  });

  it('classifyRejection leaves other answers alone: access denied by policy is not a signature problem', () => {
    assert.equal(classifyRejection({ statusCode: 404, body: '{}' }), undefined);
    const denied = classifyRejection({ statusCode: 403, body: JSON.stringify({ Message: 'User: arn:aws:sts::123456789012:assumed-role/reader/s is not authorized to perform: es:ESHttpPut' }) });
    assert.equal(denied?.kind, 'access-denied');
  });

  describe('the debug hooks: onSign and diagnostics_channel', () => {
    const CHANNEL = 'aws-sigv4-connection:sign';

    function assertClean(events: SigningEvent[]): void {
      const text = JSON.stringify(events);
      for (const secret of [TEMP.secretAccessKey, TEMP.sessionToken, ...middle.signatures]) assert.ok(!text.includes(secret), `an event shows a secret (...${secret.slice(-6)})`);
      assert.doesNotMatch(text, /Signature=/);
    }

    it('onSign gets each canonical request, the token redacted, the key masked; a retry shows as attempt 1', async () => {
      const events: SigningEvent[] = [];
      stub.setClockOffset(-10 * 60_000);
      const c = client({ onSign: (e) => events.push(e) });
      try {
        const info = await c.info();
        assert.equal(info.statusCode, 200);
      } finally {
        await c.close();
      }
      assert.deepEqual(stub.records.map((r) => r.verdict), ['signature-not-yet-current', 'accepted']);
      assert.deepEqual(events.map((e) => e.attempt), [0, 1]);
      const [first] = events;
      assert.equal(first!.method, 'GET');
      assert.equal(first!.url, `${middle.url}/`);
      assert.equal(first!.region, 'eu-west-1');
      assert.equal(first!.service, 'es');
      assert.equal(first!.accessKeyId, 'ASIA...0001');
      assert.match(first!.canonicalRequest, /^GET\n\/\n\n/);
      assert.match(first!.canonicalRequest, /\nx-amz-security-token:\[REDACTED\]\n/);
      assert.match(first!.stringToSign, /^AWS4-HMAC-SHA256\n\d{8}T\d{6}Z\n\d{8}\/eu-west-1\/es\/aws4_request\n[0-9a-f]{64}$/);
      assert.ok(first!.signedHeaders.split(';').includes('x-amz-security-token'));
      // The retry was signed for the server's clock, 10 minutes behind ours.
      const skew = amzTime(events[1]!.amzDate) - amzTime(first!.amzDate);
      assert.ok(Math.abs(skew + 600_000) < 5_000, `retry signed ${skew} ms from the first try`);
      assertClean(events);
    });

    it(`diagnostics_channel "${CHANNEL}" publishes the same events to any subscriber, and nothing without one`, async () => {
      const events: SigningEvent[] = [];
      const listener = (message: unknown): void => { events.push(message as SigningEvent); };
      subscribe(CHANNEL, listener);
      const c = client();
      try {
        await c.index({ index: 'logs', id: 'x/1', body: { a: 1 }, refresh: true });
        const signedFetch = createSignedFetch({ region: 'eu-west-1', credentials: TEMP });
        assert.equal((await signedFetch(`${middle.url}/logs/_count`)).status, 200);
      } finally {
        unsubscribe(CHANNEL, listener);
      }
      assert.equal(events.length, 2);
      assert.match(events[0]!.canonicalRequest, /^PUT\n\/logs\/_doc\/x%252F1\nrefresh=true\n/);
      assert.equal(events[1]!.url, `${middle.url}/logs/_count`);
      assertClean(events);
      try {
        await c.info();
      } finally {
        await c.close();
      }
      assert.equal(events.length, 2, 'published after unsubscribe');
    });
  });
});
