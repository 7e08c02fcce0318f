/**
 * Bad input gets a typed error that says what to fix, and no error path ever carries a
 * secret key, session token or signature: message, cause, stack, toString, inspect, JSON.
 */
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import {
  AwsSigV4Error, ConfigurationError, CredentialCache, CredentialsError, RequestSigner, SignatureRejectedError,
  classifyRejection, createSignedFetch, signRequest,
} from '../../src/index.js';

const SECRET = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYzzSECRETzz';
const TOKEN = 'IQoJb3JpZ2luX2VjEXAMPLEzzTOKENzzAAAAAAAAAAAAAAAAAAAAAAAA+/==';
const SIGNATURE = 'f'.repeat(64);
const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: SECRET, sessionToken: TOKEN };
const options = { region: 'us-east-1', service: 'es', credentials };
const request = { method: 'GET', url: 'https://search-x.us-east-1.es.amazonaws.com/' };

/** Every way an error can be shown. */
function renderings(error: unknown): string[] {
  const e = error as Error & { cause?: unknown };
  const out = [String(e), e.message, String(e.stack), inspect(e, { depth: 10, showHidden: true }), JSON.stringify(e)];
  if (e.cause) out.push(String(e.cause), inspect(e.cause, { depth: 10, showHidden: true }), String((e.cause as Error).stack));
  return out;
}

function assertClean(error: unknown): void {
  for (const text of renderings(error)) {
    for (const secret of [SECRET, TOKEN, SIGNATURE]) assert.ok(!text.includes(secret), `leaked in: ${text.slice(0, 200)}`);
  }
}

function caught(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  assert.fail('expected an error');
}

async function rejected(run: () => Promise<unknown>): Promise<unknown> {
  return run().then(() => assert.fail('expected a rejection'), (error: unknown) => error);
}

describe('typed errors for bad input, none carrying a secret', () => {
  const badInputs: Array<[string, () => unknown, typeof AwsSigV4Error, string]> = [
    ['no region', () => signRequest(request, { ...options, region: '' }), ConfigurationError, 'ERR_MISSING_REGION'],
    ['no service', () => signRequest(request, { ...options, service: undefined as unknown as string }), ConfigurationError, 'ERR_INVALID_OPTIONS'],
    ['credentials missing', () => signRequest(request, { ...options, credentials: undefined as never }), CredentialsError, 'ERR_CREDENTIALS_MALFORMED'],
    ['secret of the wrong type', () => signRequest(request, { ...options, credentials: { accessKeyId: 'AKID', secretAccessKey: 42 as unknown as string } }), CredentialsError, 'ERR_CREDENTIALS_MALFORMED'],
    ['empty access key', () => signRequest(request, { ...options, credentials: { ...credentials, accessKeyId: '' } }), CredentialsError, 'ERR_CREDENTIALS_MALFORMED'],
    ['access key with a newline', () => signRequest(request, { ...options, credentials: { ...credentials, accessKeyId: 'AKID\n' } }), CredentialsError, 'ERR_CREDENTIALS_MALFORMED'],
    ['token of the wrong type', () => signRequest(request, { ...options, credentials: { ...credentials, sessionToken: 7 as unknown as string } }), CredentialsError, 'ERR_CREDENTIALS_MALFORMED'],
    ['non-URL', () => signRequest({ ...request, url: 'search-x/_search' }, options), ConfigurationError, 'ERR_INVALID_URL'],
    ['URL with no host', () => signRequest({ ...request, url: 'https:///path' }, options), ConfigurationError, 'ERR_INVALID_URL'],
    ['URL of the wrong type', () => signRequest({ ...request, url: 12 as unknown as string }, options), ConfigurationError, 'ERR_INVALID_URL'],
    ['method with a space', () => signRequest({ ...request, method: 'GET /' }, options), ConfigurationError, 'ERR_INVALID_METHOD'],
    ['method not a string', () => signRequest({ ...request, method: undefined as unknown as string }, options), ConfigurationError, 'ERR_INVALID_METHOD'],
    ['a body that is a plain object', () => signRequest({ ...request, body: { a: 1 } as unknown as string }, options), ConfigurationError, 'ERR_UNSUPPORTED_BODY'],
    ['a body that is a number', () => signRequest({ ...request, body: 5 as unknown as string }, options), ConfigurationError, 'ERR_UNSUPPORTED_BODY'],
    ['headers not an object', () => signRequest({ ...request, headers: 'x' as never }, options), ConfigurationError, 'ERR_INVALID_HEADERS'],
    ['a header value that is an object', () => signRequest({ ...request, headers: { a: {} as never } }, options), ConfigurationError, 'ERR_INVALID_HEADERS'],
    ['invalid signingDate', () => signRequest(request, { ...options, signingDate: new Date('nope') }), ConfigurationError, 'ERR_INVALID_OPTIONS'],
    ['unknown configure() option', () => new RequestSigner({ regoin: 'x' } as never), ConfigurationError, 'ERR_INVALID_OPTIONS'],
    ['host option that is a URL', () => new RequestSigner({ host: 'https://x/y' }), ConfigurationError, 'ERR_INVALID_OPTIONS'],
    ['static credentials malformed at configure()', () => new RequestSigner({ credentials: { accessKeyId: 'AKID', secretAccessKey: '' } }), CredentialsError, 'ERR_CREDENTIALS_MALFORMED'],
  ];
  for (const [name, run, type, code] of badInputs) {
    it(`${name} -> ${type.name} ${code}`, () => {
      const error = caught(run);
      assert.ok(error instanceof type, `${String(error)}`);
      assert.ok(error instanceof AwsSigV4Error);
      assert.equal((error as AwsSigV4Error).code, code);
      assert.ok((error as Error).message.length > 20, 'says what to fix');
      assertClean(error);
    });
  }

  it('a provider that throws (with secrets in its message): CredentialsError with a scrubbed cause', async () => {
    const cache = new CredentialCache(async () => { throw new Error(`boom: key ${SECRET} token ${TOKEN}`); });
    const error = await rejected(async () => cache.get());
    assert.ok(error instanceof CredentialsError);
    assert.equal(error.code, 'ERR_CREDENTIALS_PROVIDER');
    assert.ok(error.cause instanceof Error, 'the provider error is the cause');
    assertClean(error);
  });

  it('a provider that returns a malformed identity, or an expired one', async () => {
    const malformed = await rejected(async () => new CredentialCache(async () => ({ accessKeyId: 'AKID' }) as never).get());
    assert.ok(malformed instanceof CredentialsError && malformed.code === 'ERR_CREDENTIALS_MALFORMED');
    const expired = await rejected(async () => new CredentialCache(async () => ({ ...credentials, expiration: new Date(Date.now() - 1000) })).get());
    assert.ok(expired instanceof CredentialsError && expired.code === 'ERR_CREDENTIALS_EXPIRED');
    assertClean(malformed);
    assertClean(expired);
  });

  it("AWS's 403 echo (canonical request with the token) becomes a SignatureRejectedError without it", () => {
    const signed = signRequest(request, options);
    const body = JSON.stringify({
      message: `The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.\n\nThe Canonical String for this request should have been\n'${signed.canonicalRequest}'\n\nThe String-to-Sign should have been\n'${signed.stringToSign}'\n`,
    });
    const error = classifyRejection({ statusCode: 403, body, canonicalRequest: signed.canonicalRequest, secrets: [SECRET, TOKEN], method: 'GET', path: '/' });
    assert.ok(error instanceof SignatureRejectedError);
    assert.equal(error.kind, 'signature-mismatch');
    assert.match(error.firstDifference ?? '', /^none/);
    for (const text of renderings(error)) {
      assert.ok(!text.includes(TOKEN) && !text.includes(signed.signature), 'no token or signature');
    }
  });

  it('each kind of AWS refusal is classified', () => {
    const kinds: Array<[string, string]> = [
      ['Signature expired: 20240101T000000Z is now earlier than 20240101T000500Z (20240101T001000Z - 5 min.)', 'request-time-expired'],
      ['Signature not yet current: 20240101T002000Z is still later than 20240101T001500Z (20240101T001000Z + 5 min.)', 'request-time-not-yet-current'],
      ['The security token included in the request is expired', 'token-expired'],
      ['The security token included in the request is invalid.', 'token-invalid'],
      ['Missing Authentication Token', 'missing-authentication'],
      ["Credential should be scoped to a valid region, not 'eu-west-1'.", 'scope-mismatch'],
      ['User: arn:aws:iam::123456789012:user/x is not authorized to perform: es:ESHttpGet', 'access-denied'],
    ];
    for (const [message, kind] of kinds) {
      assert.equal(classifyRejection({ statusCode: 403, body: JSON.stringify({ message }) })?.kind, kind, message);
    }
    assert.equal(classifyRejection({ statusCode: 404, body: '{}' }), undefined);
  });

  it('only AWS\'s own refusals are classified: a 400 of the server behind that quotes AWS words is not a refusal', () => {
    const notRefusals: Array<[number, string]> = [
      // OpenSearch naming an unknown query parameter: ?ExpiredToken=1 must not drop the credentials and re-send.
      [400, JSON.stringify({ error: { root_cause: [{ type: 'illegal_argument_exception', reason: 'request [/] contains unrecognized parameter: [ExpiredToken]' }], type: 'illegal_argument_exception', reason: 'request [/] contains unrecognized parameter: [ExpiredToken]' }, status: 400 })],
      [400, JSON.stringify({ error: { type: 'illegal_argument_exception', reason: 'request [/_search] contains unrecognized parameter: [UnrecognizedClient]' }, status: 400 })],
      [400, JSON.stringify({ message: 'Validation failed: the x-amz-content-sha256 field is required but not supplied' })],
      [401, 'Session ended (our own API, not AWS): the security token included in the request is expired'],
    ];
    for (const [statusCode, body] of notRefusals) assert.equal(classifyRejection({ statusCode, body }), undefined, body);
    const refusals: Array<[number, string, string, string?]> = [
      [403, '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated does not match the signature you provided. Check your key and signing method.</Message></Error>', 'signature-mismatch'],
      [400, '<Error><Code>ExpiredToken</Code><Message>The provided token has expired.</Message></Error>', 'token-expired'],
      [403, '<ErrorResponse><Error><Code>InvalidClientTokenId</Code><Message>The security token included in the request is invalid.</Message></Error></ErrorResponse>', 'token-invalid'],
      [403, JSON.stringify({ __type: 'com.amazon.coral.service#UnrecognizedClientException', message: 'Invalid token' }), 'token-invalid'],
      [403, JSON.stringify({ message: 'Token problem' }), 'token-expired', 'ExpiredTokenException:http://internal.amazon.com/coral/com.amazon.coral.service/'],
      [400, JSON.stringify({ message: "The provided 'x-amz-content-sha256' header does not match what was computed." }), 'missing-header'],
      [403, JSON.stringify({ error: { type: 'security_exception', reason: 'no permissions for [indices:data/read/search] and User [name=x]' }, status: 403 }), 'access-denied'],
    ];
    for (const [statusCode, body, kind, errorType] of refusals) assert.equal(classifyRejection({ statusCode, body, errorType })?.kind, kind, body);
  });

  it('createSignedFetch with a host option but the global fetch: typed error at creation', () => {
    const error = caught(() => createSignedFetch({ host: 'vpc-x.eu-west-1.es.amazonaws.com', region: 'eu-west-1', credentials }));
    assert.ok(error instanceof ConfigurationError);
  });
});
