import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { ConfigurationError } from '../../../src/errors.js';
import { payloadHashWith } from '../../../src/sigv4/payload-hash.js';
import { nodeSigV4Crypto, updateWithString } from '../../../src/sigv4/node-crypto.js';
import { EMPTY_SHA256 } from '../../../src/sigv4/types.js';

const sha = (data: string | Uint8Array) => createHash('sha256').update(data).digest('hex');

describe('sigv4 payload hash', function () {
  it('is the empty hash for no body', function () {
    for (const body of [undefined, null, '', new Uint8Array(0)]) assert.equal(payloadHashWith(nodeSigV4Crypto, body), EMPTY_SHA256);
    assert.equal(EMPTY_SHA256, sha(''));
  });

  it('hashes strings as UTF-8 and bytes as they are', function () {
    assert.equal(payloadHashWith(nodeSigV4Crypto, '{"é":1}'), sha(Buffer.from('{"é":1}', 'utf8')));
    assert.equal(payloadHashWith(nodeSigV4Crypto, Buffer.from([0, 255, 1])), sha(Buffer.from([0, 255, 1])));
  });

  it('hashes a long string in slices without splitting a surrogate pair', function () {
    // A pair straddles the 64 Ki-character slice boundary.
    const text = 'a'.repeat(64 * 1024 - 1) + '😀' + 'b'.repeat(70_000);
    assert.equal(payloadHashWith(nodeSigV4Crypto, text), sha(Buffer.from(text, 'utf8')));
    const hash = createHash('sha256');
    updateWithString(hash, text);
    assert.equal(hash.digest('hex'), sha(Buffer.from(text, 'utf8')));
  });

  it('refuses a body it cannot hash, typed', function () {
    assert.throws(() => payloadHashWith(nodeSigV4Crypto, { pipe() {} }), (e: unknown) => e instanceof ConfigurationError && e.code === 'ERR_UNSUPPORTED_BODY');
  });
});
