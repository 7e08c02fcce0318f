import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { caches, resetSigV4Caches } from '../../../src/sigv4/caches.js';
import { signature, signingKey } from '../../../src/sigv4/signing-key.js';

describe('sigv4 signing key and signature', function () {
  beforeEach(resetSigV4Caches);

  it("derives AWS's documented example key", function () {
    // docs.aws.amazon.com, "Examples of how to derive a signing key for Signature Version 4".
    const key = signingKey('wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY', '20120215', 'us-east-1', 'iam');
    assert.equal(key.toString('hex'), 'f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d');
  });

  it('caches the key per (secret, day, region, service) and forgets it on reset', function () {
    const a = signingKey('secret', '20240101', 'eu-west-1', 'es');
    assert.equal(signingKey('secret', '20240101', 'eu-west-1', 'es'), a);
    assert.notEqual(signingKey('secret', '20240102', 'eu-west-1', 'es'), a);
    assert.equal(signingKey('secret', '20240101', 'eu-west-1', 'es'), a, 'from the map, not only the last one');
    resetSigV4Caches();
    assert.equal(caches.signingKeys.size, 0);
    assert.notEqual(signingKey('secret', '20240101', 'eu-west-1', 'es'), a);
  });

  it('gives the HMAC of createHmac from the cached pads, for messages of every length around the pad size', function () {
    const key = signingKey('secret', '20240101', 'eu-west-1', 'es');
    for (const text of ['', 'x', 'AWS4-HMAC-SHA256\n20240101T000000Z\n20240101/eu-west-1/es/aws4_request\n' + 'a'.repeat(64), 'é'.repeat(170), 'y'.repeat(171), 'short again']) {
      assert.equal(signature(key, text), createHmac('sha256', key).update(text, 'utf8').digest('hex'), `length ${text.length}`);
    }
  });
});
