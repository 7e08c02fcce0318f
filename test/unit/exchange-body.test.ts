// The one bounded body reader: every body kind a front end accepts, read whole with its hash,
// or refused past the limit with ERR_BODY_TOO_LARGE, its source stopped; an abort stops it too.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Readable, Stream } from 'node:stream';
import { inspect } from 'node:util';
import { inMemory, readBody, type BodyInput } from '../../src/exchange/body.js';
import { ConfigurationError } from '../../src/errors.js';

const TEXT = '{"index":{}}\n{"a":1}\n';
const sha = (bytes: string | Uint8Array) => createHash('sha256').update(bytes).digest('hex');
/** What the Node front ends pass in (RequestSigner.bodyHash): node:crypto's incremental hash. */
const hash = () => createHash('sha256');

/** An old-style stream (node's Stream, as readable-stream@2 gives): data/end events, no Symbol.asyncIterator. */
class LegacyStream extends Stream {
  destroyed = false;
  constructor(chunks: string[], endless = false) {
    super();
    const onListener = (event: string) => {
      if (event !== 'data') return;
      this.removeListener('newListener', onListener);
      setImmediate(() => {
        for (const chunk of chunks) if (!this.destroyed) this.emit('data', Buffer.from(chunk));
        if (!endless && !this.destroyed) this.emit('end');
      });
    };
    this.on('newListener', onListener);
  }
  destroy(): this {
    this.destroyed = true;
    return this;
  }
}

function webStream(chunks: string[], onCancel?: () => void, endless = false): ReadableStream<Uint8Array> {
  let i = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (i < chunks.length) controller.enqueue(new TextEncoder().encode(chunks[i++]));
      else if (!endless) controller.close();
      else return new Promise(() => undefined);
      return undefined;
    },
    cancel() { onCancel?.(); },
  });
}

async function tooLarge(promise: Promise<unknown>): Promise<void> {
  await assert.rejects(promise, (e: unknown) => e instanceof ConfigurationError && e.code === 'ERR_BODY_TOO_LARGE' && /maxBufferedBodyBytes \(8 bytes\)/.test(e.message));
}

describe('readBody: every body kind through one bounded reader', () => {
  it('returns strings and bytes as they are, without a copy or a hash pass', async () => {
    assert.deepEqual(await readBody(TEXT), { body: TEXT });
    const bytes = Buffer.from(TEXT);
    assert.equal((await readBody(bytes)).body, bytes);
    assert.deepEqual(await readBody(undefined), { body: undefined });
    assert.deepEqual(await readBody(null), { body: undefined });
  });

  it('views ArrayBuffers and typed arrays as bytes', async () => {
    const bytes = new TextEncoder().encode(TEXT);
    assert.equal(Buffer.from((await readBody(bytes.buffer)).body as Uint8Array).toString(), TEXT);
    assert.equal(Buffer.from((await readBody(new DataView(bytes.buffer, 2, 5))).body as Uint8Array).toString(), TEXT.slice(2, 7));
  });

  it('copies bytes in shared memory (a SharedArrayBuffer, a view or Buffer of one, a stream chunk of one) into a plain Uint8Array: what is hashed is what is sent', async () => {
    const shared = new SharedArrayBuffer(TEXT.length + 4);
    new Uint8Array(shared).set(new TextEncoder().encode(`xx${TEXT}yy`));
    const bodies: Array<[string, BodyInput, string]> = [
      ['a Uint8Array of a SharedArrayBuffer', new Uint8Array(shared, 2, TEXT.length), TEXT],
      ['a Buffer of one', Buffer.from(shared, 2, TEXT.length), TEXT],
      ['a DataView of one', new DataView(shared, 2, 5), TEXT.slice(0, 5)],
      ['the SharedArrayBuffer itself', shared as unknown as BodyInput, `xx${TEXT}yy`],
      ['a stream of a view of one', Readable.from([new Uint8Array(shared, 2, TEXT.length)]), TEXT],
      ['a web stream of a view of one', new ReadableStream({ start(c) { c.enqueue(new Uint8Array(shared, 2, TEXT.length)); c.close(); } }), TEXT],
    ];
    for (const [name, body, expected] of bodies) {
      const read = await readBody(body, undefined, undefined, { hash });
      const bytes = read.body as Uint8Array;
      assert.ok(bytes instanceof Uint8Array && bytes.buffer instanceof ArrayBuffer, `${name}: not copied out of shared memory`);
      assert.equal(Buffer.from(bytes).toString(), expected, name);
      if (read.payloadHash !== undefined) assert.equal(read.payloadHash, sha(expected), name);
      // Another thread writing to the shared memory now changes nothing of what was read.
      const before = Buffer.from(bytes).toString();
      new Uint8Array(shared)[2] ^= 0xff;
      assert.equal(Buffer.from(bytes).toString(), before, `${name}: still a view of the shared memory`);
      new Uint8Array(shared)[2] ^= 0xff;
    }
    // What the synchronous path takes (the callback Connections, fetch with cached credentials) is copied too.
    const sync = inMemory(new Uint8Array(shared, 2, TEXT.length));
    assert.equal(sync, undefined, 'a view of shared memory is left to readBody, which copies it');
    const plain = Buffer.from(TEXT);
    assert.equal(inMemory(plain)?.body, plain, 'any other Buffer is taken as it is');
  });

  it('a Proxy body whose trap throws (getPrototypeOf, get, a revoked one): ERR_UNSUPPORTED_BODY, what it threw only scrubbed in cause', async () => {
    const SECRET = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY';
    const thrower = () => { throw new Error(`trap: ${SECRET}`); };
    const revocable = Proxy.revocable({}, {});
    revocable.revoke();
    const bodies: Array<[string, unknown]> = [
      ['getPrototypeOf', new Proxy({}, { getPrototypeOf: thrower })],
      ['get', new Proxy(Object.create(null) as object, { get: thrower })],
      ['getPrototypeOf of a Proxy of a Buffer', new Proxy(Buffer.from(TEXT), { getPrototypeOf: thrower })],
      ['a revoked Proxy', revocable.proxy],
      ['a getter of pipe', Object.defineProperty({}, 'pipe', { get: thrower })],
    ];
    const refused = (name: string) => (e: unknown) => {
      assert.ok(e instanceof ConfigurationError && e.code === 'ERR_UNSUPPORTED_BODY', `${name}: ${String(e)}`);
      assert.ok(e.cause instanceof Error, `${name}: no cause kept`);
      assert.ok(!inspect(e, { depth: Infinity, showHidden: true }).includes(SECRET) && !inspect(e, { depth: Infinity }).includes('EXAMPLEKEY'), `${name}: the thrown text is not scrubbed`);
      return true;
    };
    for (const [name, body] of bodies) {
      await assert.rejects(readBody(body as BodyInput), refused(name));
      assert.throws(() => inMemory(body), refused(`${name} (synchronous path)`));
    }
  });

  const streamed: Array<[string, () => BodyInput, string?]> = [
    ['a modern Readable', () => Readable.from([Buffer.from(TEXT.slice(0, 5)), TEXT.slice(5)])],
    ['a legacy stream (no Symbol.asyncIterator)', () => new LegacyStream([TEXT.slice(0, 5), TEXT.slice(5)])],
    ['a web ReadableStream', () => webStream([TEXT.slice(0, 5), TEXT.slice(5)])],
    ['a Blob (its type signed as content-type)', () => new Blob([TEXT], { type: 'application/x-ndjson' }), 'application/x-ndjson'],
    ['a Request body', () => new Request('http://x/', { method: 'POST', body: TEXT }).body as ReadableStream<Uint8Array>],
  ];
  for (const [name, make, contentType] of streamed) {
    it(`reads ${name} whole, hashed while read`, async () => {
      const read = await readBody(make(), undefined, undefined, { hash });
      assert.equal(Buffer.from(read.body as Uint8Array).toString(), TEXT);
      assert.equal(read.payloadHash, sha(TEXT));
      assert.equal(read.contentType, contentType);
    });
  }

  it('without a hash given (the web entry: WebCrypto hashes nothing incrementally) reads the same bytes and leaves payloadHash to the signer', async () => {
    for (const [, make, contentType] of streamed) {
      const read = await readBody(make());
      assert.deepEqual([Buffer.from(read.body as Uint8Array).toString(), read.payloadHash, read.contentType], [TEXT, undefined, contentType]);
    }
  });

  it('serializes forms as fetch does, with the content-type (and multipart boundary) to sign', async () => {
    const query = await readBody(new URLSearchParams({ a: '1', b: 'x y' }));
    assert.equal(Buffer.from(query.body as Uint8Array).toString(), 'a=1&b=x+y');
    assert.match(query.contentType ?? '', /^application\/x-www-form-urlencoded/);
    const form = new FormData();
    form.set('field', 'value');
    const multipart = await readBody(form);
    const boundary = /boundary=(.+)$/.exec(multipart.contentType ?? '')?.[1];
    assert.ok(boundary, multipart.contentType);
    assert.ok(Buffer.from(multipart.body as Uint8Array).toString().includes(boundary));
  });

  it('refuses a modern stream past the limit and destroys it', async () => {
    const stream = Readable.from(['0123456', '789ab']);
    await tooLarge(readBody(stream, 8));
    assert.equal(stream.destroyed, true);
  });

  it('refuses a legacy stream past the limit and destroys it', async () => {
    const stream = new LegacyStream(['0123456', '789ab']);
    await tooLarge(readBody(stream, 8));
    assert.equal(stream.destroyed, true);
  });

  it('refuses a web stream past the limit and cancels it', async () => {
    let cancelled = false;
    await tooLarge(readBody(webStream(['0123456', '789ab'], () => { cancelled = true; }), 8));
    assert.equal(cancelled, true);
  });

  it('refuses a Blob past the limit before reading it', async () => {
    const blob = new Blob(['0123456789']);
    blob.stream = () => { throw new Error('read'); };
    await tooLarge(readBody(blob, 8));
  });

  it('refuses a form past the limit', async () => {
    await tooLarge(readBody(new URLSearchParams({ long: 'x'.repeat(20) }), 8));
  });

  it('a limit of exactly the body size passes', async () => {
    assert.equal(Buffer.from((await readBody(Readable.from(['01234567']), 8)).body as Uint8Array).toString(), '01234567');
  });

  it('an abort stops an endless Node stream (destroyed) and an endless web stream (cancelled)', async () => {
    const controller = new AbortController();
    const stream = new LegacyStream(['{'], true);
    const pending = readBody(stream, 1024, controller.signal);
    setTimeout(() => controller.abort(new Error('stop')), 20);
    await assert.rejects(pending, /stop/);
    assert.equal(stream.destroyed, true);

    const web = new AbortController();
    let cancelled = false;
    const pendingWeb = readBody(webStream(['{'], () => { cancelled = true; }, true), 1024, web.signal);
    setTimeout(() => web.abort(), 20);
    await assert.rejects(pendingWeb, { name: 'AbortError' });
    assert.equal(cancelled, true);
  });

  describe('stream chunks: strings and bytes are read, anything else refused typed', () => {
    // What the stock stacks do with these chunks: node:http's write (the callback Connections,
    // es HttpConnection) throws ERR_INVALID_ARG_TYPE uncaught, crashing the process, for a
    // number, an object, an ArrayBuffer and any view but a Uint8Array; undici (es
    // UndiciConnection) fails with a ConnectionError for the first three and sends a view's
    // bytes; fetch rejects with a TypeError for a number or an object, and for an ArrayBuffer in a
    // ReadableStream (from a Node stream it sends one, and cuts a Uint16Array to a byte an
    // element). Taken as no bytes, they were signed and sent as an empty body.
    const SECRET_IN_CONTENT = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY';
    class BulkLine { constructor(readonly doc = SECRET_IN_CONTENT) {} }
    const refused = (type: string) => (e: unknown) => {
      assert.ok(e instanceof ConfigurationError && e.code === 'ERR_UNSUPPORTED_BODY', String(e));
      assert.ok(e.message.includes(`yielded a chunk that is ${type};`), e.message);
      assert.ok(!e.message.includes(SECRET_IN_CONTENT) && !e.message.includes('EXAMPLEKEY'), 'the content is never quoted');
      return true;
    };

    it('reads a string and every ArrayBufferView by its bytes (a Buffer slice, Uint16Array, DataView) from a Node stream, and refuses a number, an object and an ArrayBuffer, the stream destroyed', async () => {
      const backing = Buffer.from('xx{"a":1}');
      const views = [backing.subarray(2, 4), new Uint16Array(new Uint8Array([0x61, 0x22]).buffer), new DataView(backing.buffer, backing.byteOffset + 6, 3), '\n'];
      const read = await readBody(Readable.from(views), undefined, undefined, { hash });
      assert.equal(Buffer.from(read.body as Uint8Array).toString(), '{"a":1}\n');
      assert.equal(read.payloadHash, sha('{"a":1}\n'));
      for (const [chunks, type] of [
        [[1, 2, 3], 'a number'],
        [[{ index: {} }, { doc: SECRET_IN_CONTENT }], 'an object (Object)'],
        [[new BulkLine()], 'an object (BulkLine)'],
        [[new TextEncoder().encode('{"a":1}').buffer], 'an object (ArrayBuffer)'],
        // After bytes: refused all the same, nothing of it kept.
        [[Buffer.from('{"a":'), 1], 'a number'],
      ] as Array<[unknown[], string]>) {
        const stream = Readable.from(chunks);
        await assert.rejects(readBody(stream, undefined, undefined, { hash }), refused(type));
        assert.equal(stream.destroyed, true, type);
      }
    });

    it('refuses a number from a legacy stream (data events), the stream destroyed', async () => {
      const stream = new LegacyStream([], true);
      stream.once('newListener', (event: string) => {
        if (event === 'data') setImmediate(() => { for (const chunk of [Buffer.from('{"a":'), 42]) if (!stream.destroyed) stream.emit('data', chunk); if (!stream.destroyed) stream.emit('end'); });
      });
      await assert.rejects(readBody(stream), refused('a number'));
      assert.equal(stream.destroyed, true);
    });

    it('reads typed arrays and DataViews from a web ReadableStream; refuses an ArrayBuffer (as fetch does), a number, a plain object, undefined, and cancels the stream', async () => {
      const from = (chunks: unknown[], onCancel?: (reason: unknown) => void) => {
        let i = 0;
        return new ReadableStream({ pull(c) { if (i < chunks.length) c.enqueue(chunks[i++]); else c.close(); }, cancel: onCancel });
      };
      const bytes = new TextEncoder().encode('{"a":1}');
      const read = await readBody(from([new Uint8Array(bytes.buffer, 0, 2), new DataView(bytes.buffer, 2, 3), new Uint16Array(bytes.buffer.slice(5, 7))]) as ReadableStream<Uint8Array>);
      assert.equal(Buffer.from(read.body as Uint8Array).toString(), '{"a":1}');
      for (const [chunk, type] of [[bytes.buffer, 'an object (ArrayBuffer)'], [42, 'a number'], [{ doc: SECRET_IN_CONTENT }, 'an object (Object)'], [undefined, 'undefined']] as Array<[unknown, string]>) {
        let cancelled = false;
        await assert.rejects(readBody(from([new Uint8Array([123]), chunk], () => { cancelled = true; }) as ReadableStream<Uint8Array>), refused(type));
        assert.equal(cancelled, true, type);
      }
    });

    it('names a chunk whose constructor cannot be read (a getter that throws) without reading it', async () => {
      const hostile = Object.defineProperty({}, 'constructor', { get() { throw new Error(SECRET_IN_CONTENT); } });
      await assert.rejects(readBody(Readable.from([hostile])), refused('an object'));
    });
  });

  describe('a stream already over (an Express req its body parser read): at once, as the stock Connections pipe it, never a wait for an end that will not come', () => {
    // Before: the reader waited for 'end', so the request hung until requestTimeout (es9 has
    // none: the process exited mid-await).
    const soon = <T>(p: Promise<T>) => Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('still pending after 1 s')), 1000))]);

    it('ended and read: an empty body', async () => {
      const stream = Readable.from([Buffer.from('{"a":1}')]);
      for await (const _ of stream) { /* read elsewhere */ }
      const read = await soon(readBody(stream, 1024, undefined, { hash }));
      assert.equal(Buffer.from((read.body as Uint8Array | undefined) ?? new Uint8Array(0)).length, 0);
    });

    it('destroyed: Premature close; errored: its error; destroyed while read: Premature close', async () => {
      const destroyed = Readable.from(['x']);
      destroyed.destroy();
      await new Promise((resolve) => setImmediate(resolve));
      await assert.rejects(soon(readBody(destroyed, 1024)), (e: Error & { code?: string }) => e.message === 'Premature close' && e.code === 'ERR_STREAM_PREMATURE_CLOSE');
      const errored = new Readable({ read() { /* never */ } });
      errored.on('error', () => undefined);
      errored.destroy(new Error('early'));
      await new Promise((resolve) => setImmediate(resolve));
      await assert.rejects(soon(readBody(errored, 1024)), /early/);
      const midway = new Readable({ read() { /* pushed below */ } });
      midway.push('part');
      setTimeout(() => midway.destroy(), 20);
      await assert.rejects(soon(readBody(midway, 1024)), /Premature close/);
    });
  });

  it("passes on a stream's own error", async () => {
    const stream = new Readable({ read() { this.destroy(new Error('disk gone')); } });
    await assert.rejects(readBody(stream), /disk gone/);
  });

  describe('hooks (the signing proxy\'s)', () => {
    it('onChunk sees each chunk\'s size before it is kept; the error it returns ends the read, from any kind', async () => {
      const seen: number[] = [];
      const budget = (bytes: number) => { seen.push(bytes); return seen.length > 1 ? new Error('over budget') : undefined; };
      const stream = Readable.from([Buffer.from('0123'), Buffer.from('4567')]);
      await assert.rejects(readBody(stream, 1024, undefined, { onChunk: budget }), /over budget/);
      assert.deepEqual(seen, [4, 4]);
      assert.equal(stream.destroyed, true);
      seen.length = 0;
      await assert.rejects(readBody(webStream(['01', '23']), 1024, undefined, { onChunk: budget }), /over budget/);
      assert.deepEqual(seen, [2, 2]);
      const sizes: number[] = [];
      const whole = await readBody(Readable.from(['ab', 'cde']), 1024, undefined, { hash, onChunk: (n) => { sizes.push(n); return undefined; } });
      assert.deepEqual([sizes, whole.payloadHash], [[2, 3], sha('abcde')]);
    });

    it('drain: a Node stream given up on is read to its end, not destroyed (a server\'s client still reads the answer)', async () => {
      const stream = Readable.from(['0123456', '789ab', 'cdef']);
      // A destroyed stream never emits 'end': the drained one does.
      const end = new Promise<string>((resolve) => {
        stream.once('end', () => resolve('ended'));
        stream.once('close', () => setImmediate(() => resolve('closed without end')));
      });
      await tooLarge(readBody(stream, 8, undefined, { drain: true }));
      assert.equal(await end, 'ended');
      // A later error of a drained stream has a listener: it does not crash the process.
      const failing = new Readable({ read() { /* pushed below */ } });
      failing.push('0123456789');
      await tooLarge(readBody(failing, 8, undefined, { drain: true }));
      failing.destroy(new Error('client hung up'));
      await new Promise((resolve) => setImmediate(resolve));
    });

    describe('declaredBytes: a body of declared length read into one buffer of it (held once, not as chunks and then joined)', () => {
      const MIB = 1 << 20;
      /** `total` bytes of a pattern, in 64 KiB chunks (as a socket gives them), from a Node stream. */
      const body = (total: number) => {
        const bytes = Buffer.alloc(total);
        for (let i = 0; i < total; i++) bytes[i] = (i * 31) & 0xff;
        const chunks: Buffer[] = [];
        for (let at = 0; at < total; at += 65_536) chunks.push(bytes.subarray(at, at + 65_536));
        return { bytes, stream: () => Readable.from(chunks) };
      };

      it('past 1 MiB in, asks reserve once for the rest, and gives the same bytes and hash in a buffer of exactly that length', async () => {
        const { bytes, stream } = body(3 * MIB + 123);
        const asked: number[] = [];
        const read = await readBody(stream(), 8 * MIB, undefined, { hash, declaredBytes: bytes.length, reserve: (n) => { asked.push(n); return true; } });
        assert.deepEqual(asked, [bytes.length - MIB], 'reserved once, for what had not come yet');
        const got = read.body as Uint8Array;
        assert.equal(got.byteLength, bytes.length);
        assert.equal(got.buffer.byteLength, bytes.length, 'not one buffer of the declared length');
        assert.ok(Buffer.from(got).equals(bytes));
        assert.equal(read.payloadHash, sha(bytes));
      });

      it('a reserve refused keeps the chunks (read and joined as before), asked once', async () => {
        const { bytes, stream } = body(2 * MIB + 5);
        let asked = 0;
        const read = await readBody(stream(), 8 * MIB, undefined, { hash, declaredBytes: bytes.length, reserve: () => { asked++; return false; } });
        assert.equal(asked, 1);
        assert.ok(Buffer.from(read.body as Uint8Array).equals(bytes));
        assert.equal(read.payloadHash, sha(bytes));
      });

      it('a source sending more than it declared is read whole (back to chunks), and one sending less ends with what came', async () => {
        const { bytes, stream } = body(3 * MIB);
        const more = await readBody(stream(), 8 * MIB, undefined, { hash, declaredBytes: 2 * MIB, reserve: () => true });
        assert.ok(Buffer.from(more.body as Uint8Array).equals(bytes));
        assert.equal(more.payloadHash, sha(bytes));
        const less = await readBody(stream(), 8 * MIB, undefined, { hash, declaredBytes: 4 * MIB, reserve: () => true });
        assert.ok(Buffer.from(less.body as Uint8Array).equals(bytes));
      });

      it('allocates nothing for a declaration alone, nor for bodies of 1 MiB or less, nor past the limit (which still refuses)', async () => {
        let asked = 0;
        const reserve = () => { asked++; return true; };
        const small = body(MIB);
        assert.ok(Buffer.from((await readBody(small.stream(), 8 * MIB, undefined, { declaredBytes: MIB, reserve })).body as Uint8Array).equals(small.bytes));
        const { stream } = body(3 * MIB);
        await assert.rejects(readBody(stream(), 2 * MIB, undefined, { declaredBytes: 3 * MIB, reserve }), (e: unknown) => e instanceof ConfigurationError && e.code === 'ERR_BODY_TOO_LARGE');
        // Declared 100 MiB, sent 64 KiB and ended: below 1 MiB in, nothing reserved.
        await readBody(Readable.from([Buffer.alloc(65_536)]), 200 * MIB, undefined, { declaredBytes: 100 * MIB, reserve });
        assert.equal(asked, 0);
      });
    });
  });
});
