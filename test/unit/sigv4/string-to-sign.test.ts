import assert from 'node:assert/strict';
import { resetSigV4Caches } from '../../../src/sigv4/caches.js';
import { amzDateAt, credentialScope, httpDateOf, stringToSign, toAmzDate } from '../../../src/sigv4/string-to-sign.js';

describe('sigv4 string to sign', function () {
  beforeEach(resetSigV4Caches);

  it('is algorithm, time, scope and the canonical request hash, one per line', function () {
    const scope = credentialScope('20150830', 'us-east-1', 'service');
    assert.equal(scope, '20150830/us-east-1/service/aws4_request');
    assert.equal(stringToSign('20150830T123600Z', scope, 'bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63'),
      'AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\nbb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63');
  });

  it('formats the request time, and the next second afresh after a cached one', function () {
    const t = Date.UTC(2015, 7, 30, 12, 36, 0);
    assert.equal(toAmzDate(new Date(t)), '20150830T123600Z');
    assert.equal(amzDateAt(t + 999), '20150830T123600Z');
    assert.equal(amzDateAt(t + 1000), '20150830T123601Z');
  });

  it("gives botocore's Date header form of the signing time", function () {
    assert.equal(httpDateOf('20150830T123600Z'), 'Sun, 30 Aug 2015 12:36:00 -0000');
  });
});
