import assert from 'node:assert/strict';
import { ConfigurationError, CredentialsError } from '../../../src/errors.js';
import { resetSigV4Caches } from '../../../src/sigv4/caches.js';
import { assertCredentials, assertHeaderName, assertPayloadHash, assertScope, signingTimeOf } from '../../../src/sigv4/validate.js';

const SECRET = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY';

function code(f: () => unknown): string | undefined {
  try {
    f();
    return undefined;
  } catch (error) {
    assert.ok(error instanceof ConfigurationError || error instanceof CredentialsError, String(error));
    assert.ok(!error.message.includes(SECRET));
    return error.code;
  }
}

describe('sigv4 input validation', function () {
  beforeEach(resetSigV4Caches);

  it('takes a region and service a credential scope can hold, and refuses others', function () {
    assert.equal(code(() => assertScope('eu-west-1', 'execute-api')), undefined);
    assert.equal(code(() => assertScope('eu-west-1', 'es')), undefined, 'and again from the memo');
    for (const [region, service] of [['eu/west', 'es'], ['eu-west-1', 'e s'], ['eu-west-1\n', 'es'], ['eu-west-1', 'es\0'], ['eu-west-1', 'es/x']]) {
      assert.equal(code(() => assertScope(region, service)), 'ERR_INVALID_OPTIONS', JSON.stringify([region, service]));
    }
    assert.equal(code(() => assertScope('', 'es')), 'ERR_MISSING_REGION');
    assert.equal(code(() => assertScope('eu-west-1', 1)), 'ERR_INVALID_OPTIONS');
  });

  it('takes HTTP token header names only', function () {
    assert.equal(code(() => assertHeaderName("x-ok_1.!#$%&'*+^`|~")), undefined);
    for (const name of ['bad name', '', 'x:y', 'x\r\ny', 'é']) assert.equal(code(() => assertHeaderName(name)), 'ERR_INVALID_HEADERS', JSON.stringify(name));
  });

  it('takes a payload hash of 64 lower-case hex digits only', function () {
    assert.equal(code(() => assertPayloadHash('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855')), undefined);
    for (const hash of ['abc', 'E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855', 'g'.repeat(64), 12]) {
      assert.equal(code(() => assertPayloadHash(hash)), 'ERR_INVALID_PAYLOAD_HASH');
    }
  });

  it('takes a valid Date only as the signing date', function () {
    assert.equal(code(() => signingTimeOf(new Date())), undefined);
    for (const date of [new Date('nope'), '2024-01-01', 1704067200000]) assert.equal(code(() => signingTimeOf(date)), 'ERR_INVALID_OPTIONS');
  });

  it('refuses malformed identities without quoting them', function () {
    assert.equal(code(() => assertCredentials({ accessKeyId: 'AKIDEXAMPLE', secretAccessKey: SECRET, sessionToken: 'tok' })), undefined);
    for (const identity of [
      { accessKeyId: 'AKID\nEXAMPLE', secretAccessKey: SECRET },
      { accessKeyId: 'AKID\0', secretAccessKey: SECRET },
      { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: SECRET, sessionToken: 'to\r\nken' },
      { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: '' },
      { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: SECRET, sessionToken: 5 },
    ]) {
      assert.equal(code(() => assertCredentials(identity)), 'ERR_CREDENTIALS_MALFORMED', JSON.stringify(identity));
    }
  });
});
