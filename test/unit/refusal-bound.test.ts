// A refusal is read whole to be classified: every front end reads it through the exchange's
// one bound (maxBufferedBodyBytes, never below MIN_ERROR_ANSWER_BYTES), compressed bytes included, and past it ends with the one
// error that names the target's response, never the request's body. No network: fake base
// Connections and a fake fetch hand over the refusal.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { ClientRequest, IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { withSigV4Callback, type CallbackRequestParams } from '../../src/adapters/callback-connection.js';
import { withSigV4Promise, type PromiseRequestParams } from '../../src/adapters/promise-connection.js';
import { ConfigurationError, SignatureRejectedError } from '../../src/errors.js';
import { MIN_ERROR_ANSWER_BYTES } from '../../src/exchange/body.js';
import { REJECTION_HEADER } from '../../src/exchange/rejection-path.js';
import { createSignedFetch } from '../../src/fetch.js';
import { createSignedFetch as createWebSignedFetch } from '../../src/web-node.js';

// At the floor: maxBufferedBodyBytes and the error answers' bound are then the same.
const LIMIT = MIN_ERROR_ANSWER_BYTES;
const NODE_MAJOR = Number(process.versions.node.split('.')[0]);
const CREDENTIALS = { accessKeyId: 'AKIDREFUSALBOUND0001', secretAccessKey: 'refusal/Bound+Secret0123456789abcdefghij' };
const OPTIONS = { region: 'eu-west-1', credentials: CREDENTIALS, maxBufferedBodyBytes: LIMIT };
const NODE = new URL('https://search-logs.eu-west-1.es.amazonaws.com');

class Aborted extends Error { override name = 'RequestAbortedError'; }

/** A refusal body handed over in 1 KiB chunks, counting what was pulled from it. */
function refusalStream(bytes: Buffer): { stream: Readable; pulled(): number } {
  let at = 0;
  const stream = new Readable({
    read() {
      if (at >= bytes.length) return void this.push(null);
      const chunk = bytes.subarray(at, at + 1024);
      at += chunk.length;
      this.push(chunk);
    },
  });
  return { stream, pulled: () => at };
}

function incoming(stream: Readable, headers: Record<string, string>): IncomingMessage {
  return Object.assign(stream, { statusCode: 403, statusMessage: 'Forbidden', headers, rawHeaders: Object.entries(headers).flat(), httpVersion: '1.1' }) as unknown as IncomingMessage;
}

/** The callback clients' Connection, as far as the mixin uses it: answers every request with `answer()`. */
function callbackConnection(answer: () => IncomingMessage, options: object) {
  class FakeConnection {
    url = NODE;
    headers: Record<string, unknown> = {};
    buildRequestObject(params: CallbackRequestParams): { path: string } { return { path: params.path }; }
    request(_params: CallbackRequestParams, callback: (error: Error | null, response: IncomingMessage | null) => void): ClientRequest {
      process.nextTick(callback, null, answer());
      return { abort: () => undefined } as unknown as ClientRequest;
    }
  }
  const Connection = withSigV4Callback(FakeConnection, Aborted, options);
  return new (Connection as unknown as new () => { request(params: CallbackRequestParams, callback: (error: Error | null, response: IncomingMessage | null) => void): ClientRequest })();
}

function callbackRequest(answer: () => IncomingMessage, options: object = OPTIONS): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    callbackConnection(answer, options).request({ method: 'GET', path: '/_search' }, (error, response) => (error !== null ? reject(error) : resolve(response!)));
  });
}

/** @elastic/transport's Connection, as far as the mixin uses it: answers every request with `answer()`. */
function promiseRequest(answer: () => { statusCode: number; headers: Record<string, string>; body: unknown }, options: object = OPTIONS): Promise<unknown> {
  class FakeConnection {
    url = NODE;
    headers: Record<string, unknown> = {};
    async request(_params: PromiseRequestParams, _options: object) { return answer(); }
  }
  const Connection = withSigV4Promise(FakeConnection, Aborted, options);
  const connection = new (Connection as unknown as new () => { request(params: PromiseRequestParams, options: object): Promise<unknown> })();
  return connection.request({ method: 'GET', path: '/_search' }, {});
}

/** The one error past the bound: about the target's response, with no word of the request's body. */
function responseTooLarge(error: unknown): boolean {
  assert.ok(error instanceof ConfigurationError, String(error));
  assert.equal(error.code, 'ERR_RESPONSE_TOO_LARGE');
  assert.match(error.message, /^The target's error answer \(HTTP 403\) was too large to read: it is larger than 1048576 bytes \(maxBufferedBodyBytes, never below 1048576\)/);
  assert.doesNotMatch(error.message, /streamed body|signs a hash|flushBytes|request/i);
  return true;
}

/** The callback Connection's answer past the bound: the target's status, uncompressed, the error's message and code as its body. */
async function tooLargeNote(response: IncomingMessage): Promise<void> {
  assert.equal(response.statusCode, 403);
  assert.equal(response.headers['content-encoding'], undefined);
  let text = '';
  for await (const chunk of response) text += String(chunk);
  assert.equal(response.headers['content-length'], String(Buffer.byteLength(text)));
  const note = JSON.parse(text) as { code: string; message: string };
  assert.equal(note.code, 'ERR_RESPONSE_TOO_LARGE');
  assert.match(note.message, /The target's error answer \(HTTP 403\) was too large to read: it is larger than 1048576 bytes \(maxBufferedBodyBytes, never below 1048576\)/);
}

describe('a refusal past maxBufferedBodyBytes: one bound and one error in every front end', () => {
  const large = Buffer.from(`{"message":"${'x'.repeat(4 * LIMIT)}"}`);

  // The callback clients would take a thrown error for a dead node and resend: the refusal goes
  // on with its status, its body the error's note (test/integration/parity/error-bound.test.ts).
  it('the callback Connection: the 403 with ERR_RESPONSE_TOO_LARGE\'s note, the stream read no further than the bound', async () => {
    const { stream, pulled } = refusalStream(large);
    await tooLargeNote(await callbackRequest(() => incoming(stream, { 'content-type': 'application/json' })));
    assert.ok(pulled() < 3 * LIMIT, `${pulled()} bytes pulled`);
    assert.equal(stream.destroyed, true);
  });

  it('the promise Connection: ERR_RESPONSE_TOO_LARGE for a streamed body and for one the transport read already', async () => {
    const { stream, pulled } = refusalStream(large);
    await assert.rejects(promiseRequest(() => ({ statusCode: 403, headers: {}, body: stream })), responseTooLarge);
    assert.ok(pulled() < 3 * LIMIT, `${pulled()} bytes pulled`);
    for (const body of [large.toString(), large]) {
      await assert.rejects(promiseRequest(() => ({ statusCode: 403, headers: {}, body })), responseTooLarge);
    }
  });

  it('createSignedFetch, both entries: ERR_RESPONSE_TOO_LARGE, the body read no further than the bound and cancelled', async () => {
    for (const create of [createSignedFetch, createWebSignedFetch]) {
      let pulled = 0;
      let cancelled = false;
      const fetch = (async () => new Response(new ReadableStream<Uint8Array>({
        pull(controller) {
          if (pulled >= large.length) return controller.close();
          controller.enqueue(new Uint8Array(large.subarray(pulled, pulled + 1024)));
          pulled += 1024;
        },
        cancel() { cancelled = true; },
      }), { status: 403 })) as unknown as typeof globalThis.fetch;
      await assert.rejects(create({ ...OPTIONS, fetch })(`${NODE.origin}/_search`), responseTooLarge);
      assert.ok(pulled < 3 * LIMIT, `${pulled} bytes pulled`);
      // Node 18's tee never passes a cancel of both branches on to the source (it does from 20).
      if (NODE_MAJOR >= 20) {
        await new Promise((resolve) => setImmediate(resolve));
        assert.equal(cancelled, true, 'the refusal was left open');
      }
    }
  });

  it('within the bound a refusal is still handed on as before (the callback Connection, 403, its bytes)', async () => {
    const small = '{"message":"no permissions for [indices:data/read/search]"}';
    const response = await callbackRequest(() => incoming(Readable.from([Buffer.from(small)]), { 'content-type': 'application/json' }));
    assert.equal(response.statusCode, 403);
    let text = '';
    for await (const chunk of response) text += String(chunk);
    assert.equal(text, small);
  });
});

describe('the callback Connection reads a compressed refusal within the bound, compressed bytes too', () => {
  it('compressed bytes past maxBufferedBodyBytes: ERR_RESPONSE_TOO_LARGE, no further read than the bound, though they would expand within the default', async () => {
    // Random bytes do not compress: 4 times the bound on the wire, and as much expanded.
    const compressed = gzipSync(randomBytes(4 * LIMIT));
    const { stream, pulled } = refusalStream(compressed);
    await tooLargeNote(await callbackRequest(() => incoming(stream, { 'content-type': 'application/json', 'content-encoding': 'gzip' })));
    assert.ok(pulled() < 3 * LIMIT, `${pulled()} of ${compressed.length} compressed bytes pulled`);
    assert.equal(stream.destroyed, true);
  });

  it('compressed bytes within the bound that expand past it (a zip bomb): the short note, as in the proxy', async () => {
    const bomb = gzipSync(Buffer.alloc(8 * LIMIT, 0x20));
    assert.ok(bomb.length < LIMIT);
    const response = await callbackRequest(() => incoming(Readable.from([bomb]), { 'content-type': 'application/json', 'content-encoding': 'gzip' }));
    assert.equal(response.statusCode, 403);
    assert.equal(response.headers['content-encoding'], undefined);
    let text = '';
    for await (const chunk of response) text += String(chunk);
    assert.match(JSON.parse(text).message, /could not be decoded within 1048576 bytes/);
  });
});

describe('maxBufferedBodyBytes below the floor bounds what is sent, not how much of a refusal is read', () => {
  // AWS's refusals are 1-2 KB: read within a 256-byte limit, each would be ERR_RESPONSE_TOO_LARGE,
  // unclassified, and a callback client would mark the node dead on it.
  const tiny = { ...OPTIONS, maxBufferedBodyBytes: 256 };
  const mismatch = JSON.stringify({ message: `The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. ${'Consult the service documentation for details. '.repeat(40)}` });

  const classified = (headers: unknown) => JSON.parse(String((headers as Record<string, unknown>)[REJECTION_HEADER])).kind;

  it('a 2 KB refusal: handed on and classified, by both Connections', async () => {
    assert.ok(mismatch.length > 1900 && mismatch.length < 4096, String(mismatch.length));
    const response = await callbackRequest(() => incoming(Readable.from([Buffer.from(mismatch)]), { 'content-type': 'application/json' }), tiny);
    assert.equal(response.statusCode, 403);
    assert.equal(classified(response.headers), 'signature-mismatch');
    const answer = await promiseRequest(() => ({ statusCode: 403, headers: {}, body: Readable.from([Buffer.from(mismatch)]) }), tiny) as { statusCode: number; headers: unknown };
    assert.equal(answer.statusCode, 403);
    assert.equal(classified(answer.headers), 'signature-mismatch');
  });

  it('createSignedFetch: the same refusal is thrown classified', async () => {
    const fetch = (async () => new Response(mismatch, { status: 403 })) as unknown as typeof globalThis.fetch;
    await assert.rejects(createSignedFetch({ ...tiny, fetch })(`${NODE.origin}/_search`),
      (error: unknown) => error instanceof SignatureRejectedError && error.code === 'ERR_SIGNATURE_MISMATCH');
  });

  it('a request body past the same 256 bytes is still ERR_BODY_TOO_LARGE, before anything is sent', async () => {
    let sent = 0;
    const fetch = (async () => { sent++; return new Response('{}'); }) as unknown as typeof globalThis.fetch;
    await assert.rejects(createSignedFetch({ ...tiny, fetch })(`${NODE.origin}/_bulk`, { method: 'POST', body: new ReadableStream<Uint8Array>({ start(c) { c.enqueue(new Uint8Array(1024).fill(0x20)); c.close(); } }), duplex: 'half' } as RequestInit),
      (error: unknown) => error instanceof ConfigurationError && error.code === 'ERR_BODY_TOO_LARGE');
    assert.equal(sent, 0);
  });
});
