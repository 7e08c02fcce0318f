// The abort/timeout race and the exchange's attempt loop, with a fake `send` (no network):
// what is sent, how often, and how each wait ends.
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { Deadline } from '../../src/exchange/race.js';
import { exchange, type Reply, type SignedAttempt } from '../../src/exchange/exchange.js';
import { RequestSigner, type AwsSigV4Options } from '../../src/request-signer.js';
import { WebRequestSigner } from '../../src/web-node.js';
import { ConfigurationError } from '../../src/errors.js';
import { clientHeaders, connectionTokens, HOP_BY_HOP, isEndToEnd, SIGNER_OWNED } from '../../src/exchange/headers.js';

class Aborted extends Error { override name = 'RequestAbortedError'; }
class TimedOut extends Error { override name = 'TimeoutError'; }
const guard = (extra: { signal?: AbortSignal; timeoutMs?: number } = {}) => ({ ...extra, aborted: () => new Aborted('Request aborted'), timedOut: () => new TimedOut('Request timed out') });
const never = <T>() => new Promise<T>(() => undefined);
const CREDS = { accessKeyId: 'AKIDEXCHANGE00000001', secretAccessKey: 'exchange/Secret+0123456789abcdefghijklmn' };

describe('Deadline: every wait ends on abort or timeout, with the front end\'s own errors', () => {
  it('passes the work through when there is nothing to race', async () => {
    assert.equal(await new Deadline(guard()).race(Promise.resolve(7)), 7);
    await assert.rejects(new Deadline(guard()).race(Promise.reject(new Error('no'))), /no/);
  });

  it('an already-aborted signal ends at once, and the work is cancelled', async () => {
    const controller = new AbortController();
    controller.abort();
    let cancelled: Error | undefined;
    await assert.rejects(new Deadline(guard({ signal: controller.signal })).race(never(), (e) => { cancelled = e; }), Aborted);
    assert.ok(cancelled instanceof Aborted);
    assert.throws(() => new Deadline(guard({ signal: controller.signal })).check(), Aborted);
  });

  it('an abort during the wait ends it then', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 30);
    const started = Date.now();
    await assert.rejects(new Deadline(guard({ signal: controller.signal })).race(never()), Aborted);
    assert.ok(Date.now() - started < 1000);
  });

  it('the timeout counts from the start of the request, across waits', async () => {
    const deadline = new Deadline(guard({ timeoutMs: 120 }));
    const started = Date.now();
    await deadline.race(new Promise((resolve) => setTimeout(resolve, 80)));
    await assert.rejects(deadline.race(never()), TimedOut);
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= 110 && elapsed < 600, `${elapsed} ms`);
  });

  it('no timeout for 0, null or Infinity (the clients\' "none")', async () => {
    for (const timeoutMs of [0, Infinity, undefined]) {
      assert.equal(await new Deadline(guard({ timeoutMs })).race(new Promise((r) => setTimeout(() => r('done'), 20))), 'done');
    }
  });
});

/** A fake wire: answers from a list, records what was sent. */
function wire(answers: Array<{ status: number; body?: string; date?: string }>) {
  const sent: SignedAttempt[] = [];
  let i = 0;
  const send = (request: SignedAttempt): Promise<Reply<string>> => {
    sent.push(request);
    const answer = answers[Math.min(i++, answers.length - 1)]!;
    return Promise.resolve({
      statusCode: answer.status,
      header: (name: string) => (name === 'date' ? answer.date : undefined),
      response: `response ${answer.status}`,
      consume: async (scrub: (t: string) => string) => ({ text: answer.body ?? '', response: `replayed ${scrub(answer.body ?? '')}` }),
    });
  };
  return { sent, send };
}

function run(signer: RequestSigner | WebRequestSigner, send: (r: SignedAttempt) => Promise<Reply<string>>, extra: Partial<Parameters<typeof exchange<string>>[0]> = {}) {
  return exchange<string>({
    signer, method: 'POST', nodeUrl: new URL('https://search-x.us-east-1.es.amazonaws.com'), pathAndQuery: '/_bulk',
    headers: { 'content-type': 'application/json' }, body: '{}', guard: guard(), send, ...extra,
  });
}

const signer = (options: AwsSigV4Options = {}) => new RequestSigner({ credentials: CREDS, ...options });

describe('exchange: sign, send, read a refusal, classify, maybe re-sign once', () => {
  it('sends synchronously with cached credentials and an in-memory body (the callback adapters rely on it)', async () => {
    const s = signer();
    await s.credentials();
    const { sent, send } = wire([{ status: 200 }]);
    const pending = run(s, send);
    assert.equal(sent.length, 1, 'sent before exchange() returned');
    assert.match(sent[0]!.headers.authorization ?? '', /^AWS4-HMAC-SHA256 Credential=AKIDEXCHANGE00000001\//);
    assert.deepEqual(await pending, { response: 'response 200' });
  });

  it('a signer whose sign() is asynchronous (the web entry\'s, WebCrypto): sent once signed, after the promise, with the same signed headers', async () => {
    const web = new WebRequestSigner({ credentials: CREDS });
    await web.credentials();
    const { sent, send } = wire([{ status: 200 }]);
    const pending = run(web, send);
    assert.equal(sent.length, 0, 'nothing sent before the signature is computed');
    assert.deepEqual(await pending, { response: 'response 200' });
    const { sent: nodeSent, send: nodeSend } = wire([{ status: 200 }]);
    await run(signer(), nodeSend);
    const names = (a: SignedAttempt) => /SignedHeaders=([^,]+)/.exec(a.headers.authorization ?? '')?.[1];
    assert.equal(sent.length, 1);
    assert.equal(names(sent[0]!), names(nodeSent[0]!));
    assert.match(sent[0]!.headers.authorization ?? '', /^AWS4-HMAC-SHA256 Credential=AKIDEXCHANGE00000001\//);
  });

  it('an asynchronous signer gets the same one re-signed retry after an expired token', async () => {
    let calls = 0;
    const provider = async () => ({ ...CREDS, sessionToken: `token-${++calls}` });
    const { sent, send } = wire([{ status: 403, body: '{"message":"The security token included in the request is expired"}' }, { status: 200 }]);
    assert.deepEqual(await run(new WebRequestSigner({ credentials: provider }), send), { response: 'response 200' });
    assert.deepEqual(sent.map((a) => [a.attempt, a.headers['x-amz-security-token']]), [[0, 'token-1'], [1, 'token-2']]);
  });

  it('a signature mismatch is handed back once, classified, with our secret scrubbed from the replay', async () => {
    const { sent, send } = wire([{ status: 403, body: `{"message":"The request signature we calculated does not match the signature you provided. ${CREDS.secretAccessKey}"}` }]);
    const result = await run(signer(), send);
    assert.equal(sent.length, 1);
    assert.equal(result.rejection?.kind, 'signature-mismatch');
    assert.ok(result.response.startsWith('replayed'));
    assert.ok(!result.response.includes(CREDS.secretAccessKey));
  });

  it('a refusal echoing the signature sent (S3\'s SignatureProvided, an Authorization echo): handed back without it', async () => {
    let echoed = '';
    const send = (request: SignedAttempt): Promise<Reply<string>> => {
      const signature = /Signature=([0-9a-f]{64})/.exec(request.headers.authorization ?? '')![1]!;
      echoed = signature;
      const body = `<Error><Code>AccessDenied</Code><Message>Access Denied</Message><SignatureProvided>${signature}</SignatureProvided><Auth>${request.headers.authorization}</Auth></Error>`;
      return Promise.resolve({ statusCode: 403, header: () => undefined, response: body, consume: async (scrub) => ({ text: body, response: scrub(body) }) });
    };
    const result = await run(signer(), send);
    assert.match(echoed, /^[0-9a-f]{64}$/);
    assert.ok(!result.response.includes(echoed), result.response);
    assert.match(result.response, /<SignatureProvided>\[REDACTED\]/);
  });

  it('an expired token is refreshed and the request re-signed once', async () => {
    let calls = 0;
    const provider = async () => ({ ...CREDS, accessKeyId: `AKIDEXCHANGE0000000${++calls}`, sessionToken: `token-${calls}` });
    const { sent, send } = wire([{ status: 403, body: '{"message":"The security token included in the request is expired"}' }, { status: 200 }]);
    const result = await run(signer({ credentials: provider }), send);
    assert.deepEqual(result, { response: 'response 200' });
    assert.equal(sent.length, 2);
    assert.notEqual(sent[0]!.headers['x-amz-security-token'], sent[1]!.headers['x-amz-security-token']);
    assert.equal(sent[1]!.attempt, 1);
  });

  it('credentials a refusal just brought, refused again: no second provider call for a minute (a client making the server behind answer "expired" cannot drive one per request)', async () => {
    let calls = 0;
    const provider = async () => ({ ...CREDS, sessionToken: `token-${++calls}`, expiration: new Date(Date.now() + 3_600_000) });
    const expired = { status: 403, body: '{"message":"The security token included in the request is expired"}' };
    const s = signer({ credentials: provider });
    const first = wire([expired]);
    // The first refusal: refreshed once, re-signed once, refused again: final.
    assert.equal((await run(s, first.send)).rejection?.kind, 'token-expired');
    assert.deepEqual(first.sent.map((a) => a.headers['x-amz-security-token']), ['token-1', 'token-2']);
    for (let i = 0; i < 5; i++) {
      const next = wire([expired]);
      assert.equal((await run(s, next.send)).rejection?.kind, 'token-expired');
      assert.deepEqual(next.sent.map((a) => a.headers['x-amz-security-token']), ['token-2']);
    }
    assert.equal(calls, 2);
  });

  it('a clock skew is corrected and the request re-signed once; a second refusal is final', async () => {
    const ahead = new Date(Date.now() + 3_600_000).toUTCString();
    const { sent, send } = wire([{ status: 403, body: '{"message":"Signature expired: is now earlier than"}', date: ahead }]);
    const result = await run(signer(), send);
    assert.equal(sent.length, 2);
    assert.equal(result.rejection?.kind, 'request-time-expired');
  });

  it('a stream body past maxBufferedBodyBytes fails typed and nothing is sent', async () => {
    const { sent, send } = wire([{ status: 200 }]);
    await assert.rejects(run(signer({ maxBufferedBodyBytes: 4 }), send, { body: Readable.from(['0123456789']) }),
      (e: unknown) => e instanceof ConfigurationError && e.code === 'ERR_BODY_TOO_LARGE');
    assert.equal(sent.length, 0);
  });

  it('an abort while credentials are fetched ends at once, nothing sent', async () => {
    const controller = new AbortController();
    const slow = () => new Promise<typeof CREDS>((resolve) => setTimeout(() => resolve(CREDS), 2000).unref());
    const { sent, send } = wire([{ status: 200 }]);
    setTimeout(() => controller.abort(), 30);
    const started = Date.now();
    await assert.rejects(run(signer({ credentials: slow }), send, { guard: guard({ signal: controller.signal }) }), Aborted);
    assert.ok(Date.now() - started < 1000);
    assert.equal(sent.length, 0);
  });

  it('a timeout while a stream body is buffered ends the request, nothing sent', async () => {
    const endless = new Readable({ read() { /* never more */ } });
    const { sent, send } = wire([{ status: 200 }]);
    await assert.rejects(run(signer(), send, { body: endless, guard: guard({ timeoutMs: 50 }) }), TimedOut);
    assert.equal(endless.destroyed, true, 'the stream is not left half read');
    assert.equal(sent.length, 0);
  });
});

describe('header rules: what is signed, what never passes a hop', () => {
  it('lower-cases, joins repeats, drops authorization, and keeps undefined values apart for the stock class', () => {
    const { headers, unset, droppedAuthorization } = clientHeaders({ 'X-A': 'one', Authorization: 'Basic xyz' }, { 'x-b': ['1', '2'], 'X-Gone': undefined, 'x-a': 'two' });
    assert.deepEqual(headers, { 'x-a': 'two', 'x-b': '1,2' });
    assert.deepEqual(unset, { 'X-Gone': undefined });
    assert.equal(droppedAuthorization, true);
    // A later defined value wins over an earlier undefined one, whatever its case.
    assert.deepEqual(clientHeaders({ 'X-C': undefined }, { 'x-c': 'set' }), { headers: { 'x-c': 'set' }, unset: {}, droppedAuthorization: false });
    // An authorization left unset is none given.
    assert.equal(clientHeaders({ authorization: undefined }).droppedAuthorization, false);
  });

  it('hop-by-hop names, and those a Connection header lists, are never end to end', () => {
    const tokens = connectionTokens('keep-alive, X-Private');
    assert.equal(isEndToEnd('transfer-encoding', tokens), false);
    assert.equal(isEndToEnd('x-private', tokens), false);
    assert.equal(isEndToEnd('content-type', tokens), true);
    assert.ok(SIGNER_OWNED.has('x-amz-security-token') && HOP_BY_HOP.has('upgrade'));
  });
});
