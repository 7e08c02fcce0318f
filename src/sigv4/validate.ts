/**
 * What the signer refuses, before anything is signed or sent: each check says what to fix
 * and never quotes a secret. Checks that run on every request are memoised in caches.ts
 * (the scope, header names, the session token), so refusing bad input costs the hot path
 * a comparison.
 */
import { ConfigurationError, CredentialsError } from '../errors.js';
import { caches, HEADER_NAME_CACHE_SIZE } from './caches.js';
import type { AwsCredentialIdentity } from './types.js';

/** RFC 9110 token: the only names an HTTP stack sends as they are. */
export const HTTP_TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** The first character that keeps a name from being an HTTP token, for messages that name it. */
export const NOT_IN_TOKEN = /[^!#$%&'*+\-.^_`|~0-9A-Za-z]/;
/**
 * What no HTTP stack sends in a header value (Node's and undici's rule after RFC 9110):
 * control characters other than tab (CR, LF and NUL would also end the line), DEL, and
 * anything above U+00FF. Signed, such a value is refused by the stack after signing with an
 * untyped error, or (CR, LF) splits the header.
 */
export const UNSENDABLE_IN_VALUE = /[^\t\x20-\x7e\x80-\xff]/;
/**
 * What the signer refuses in a header value it signs: UNSENDABLE_IN_VALUE and Latin-1 too.
 * node:http and fetch send U+0080..U+00FF as one byte each while the signature covers the
 * value's UTF-8 (as botocore's does), and AWS answers such a request with a signature
 * mismatch (S3 metadata, the SDKs' reports): ASCII is the one form signed as it is sent.
 */
export const UNSIGNABLE_IN_VALUE = /[^\t\x20-\x7e]/;
/** What a credential scope (`day/region/service/aws4_request`) can hold in one part. */
export const SCOPE_PART = /^[A-Za-z0-9._-]+$/;
const HEX_SHA256 = /^[0-9a-f]{64}$/;
/** No AWS secret access key holds any of these (they are 40 characters of base64). */
const NOT_IN_A_SECRET = /[\s\x00-\x1f\x7f]/;
/**
 * Anything but visible ASCII, and the two characters that split the Authorization header's
 * `Credential=KEY/DATE/REGION/SERVICE/aws4_request,` apart. AWS key ids are letters and
 * digits; white space is a stray newline from where it was read; a Latin-1 letter goes out
 * as one byte in the header but as UTF-8 in a presigned URL's X-Amz-Credential, so neither
 * names the key; a `/` or `,` would make the server read another key id or scope than the
 * one signed. Scanned once per distinct key id.
 */
const NOT_IN_A_KEY_ID = /[^\x21-\x2b\x2d\x2e\x30-\x7e]/;
/**
 * A long-term (AKIA) or temporary (ASIA) AWS access key id. Never the form of an AWS secret
 * access key (40 characters of base64): in secretAccessKey, the two were swapped.
 */
const AN_ACCESS_KEY_ID = /^A[KS]IA[A-Z0-9]{16}$/;
const METHOD = /^[A-Za-z]+$/;

/** What a value is, for a message; never throws (a Proxy whose traps throw, a revoked one, a constructor name that is no string). */
export function typeName(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (typeof value !== 'object') return `a ${typeof value}`;
  try {
    if (Array.isArray(value)) return 'an array';
    const name: unknown = (value as object).constructor?.name;
    return `an object (${typeof name === 'string' ? truncate(name) : 'Object'})`;
  } catch {
    return 'an object';
  }
}

/** A number as itself (NaN, -1 and 2^53 say what is wrong with them), anything else as `typeName`. */
export function numberOrType(value: unknown): string {
  return typeof value === 'number' ? String(value) : typeName(value);
}

export function truncate(text: string): string {
  return text.length > 120 ? `${text.slice(0, 120)}...` : text;
}

/**
 * A value of the caller's as a message quotes it: JSON-quoted (a stray "\n" shows) when short
 * and not shaped like a key or token, else only its length. A value given in the wrong place
 * (`region: process.env.AWS_SECRET_ACCESS_KEY`, `--region "$TOKEN"`) may be a secret.
 */
export function quote(value: string): string {
  return mayQuote(value) ? JSON.stringify(value) : `(${value.length} characters, not quoted: shaped like a key or token, or long)`;
}

/** Short, and no run of 20 base64 characters (keys are 20 and 40, tokens hundreds, signatures 64). */
export function mayQuote(value: string): boolean {
  return value.length <= 64 && !/[A-Za-z0-9+/=]{20,}/.test(value);
}

/** A string, or the typed error naming `what` and what it should hold (`example`). */
export function assertString(value: unknown, what: string, example: string): asserts value is string {
  if (typeof value !== 'string') throw new ConfigurationError('ERR_INVALID_OPTIONS', `${what} must be a string, ${example}, got ${typeName(value)}.`);
}

/** A non-array object, or the typed error naming what it should be. */
export function assertObject(value: unknown, what: string, shape: string): void {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new ConfigurationError('ERR_INVALID_OPTIONS', `${what} must be an object ${shape}, got ${typeName(value)}.`);
  }
}

export function assertMethod(method: unknown): asserts method is string {
  if (typeof method !== 'string' || !METHOD.test(method)) {
    throw new ConfigurationError('ERR_INVALID_METHOD', `request.method must be an HTTP method name such as "GET" or "POST", got ${typeof method === 'string' ? quote(method) : typeName(method)}.`);
  }
}

const SIGN_OPTIONS: ReadonlySet<string> = new Set(['region', 'service', 'credentials', 'signingDate', 'contentSha256', 'payloadHash']);
const PRESIGN_OPTIONS: ReadonlySet<string> = new Set([...SIGN_OPTIONS, 'expiresIn']);

/**
 * A misspelled option (`regoin`, `contentSHA256`) would otherwise be ignored and the request
 * signed without it, to be refused by AWS.
 */
export function isSignOption(key: string, presign: boolean): boolean {
  return (presign ? PRESIGN_OPTIONS : SIGN_OPTIONS).has(key);
}

export function unknownSignOption(key: string, presign: boolean): ConfigurationError {
  return new ConfigurationError('ERR_INVALID_OPTIONS', `Unknown option ${quote(key)} for ${presign ? 'presignRequest' : 'signRequest'}. Known: ${[...(presign ? PRESIGN_OPTIONS : SIGN_OPTIONS)].join(', ')}.`);
}

/** Region and service as a credential scope can hold them; `where` names the option in the message. */
export function assertScope(region: unknown, service: unknown, where = 'options'): void {
  const last = caches.scope;
  if (region === last.region && service === last.service) return;
  assertScopePart(region, 'region', where);
  assertScopePart(service, 'service', where);
  caches.scope = { region: region as string, service: service as string };
}

export function assertScopePart(value: unknown, part: 'region' | 'service', where = 'options'): asserts value is string {
  if (typeof value !== 'string' || value === '') {
    if (part === 'region') throw new ConfigurationError('ERR_MISSING_REGION', `${where}.region is required (e.g. "eu-west-1"): the region of the domain or collection you call.`);
    throw new ConfigurationError('ERR_INVALID_OPTIONS', `${where}.service is required: "es" for Amazon OpenSearch Service, "aoss" for OpenSearch Serverless, or another signing name such as "execute-api".`);
  }
  if (!SCOPE_PART.test(value)) {
    throw new ConfigurationError('ERR_INVALID_OPTIONS',
      `${where}.${part} ${quote(value)} cannot go in a credential scope: use letters, digits, "-", "_" and "." only ` +
        `(no "/", white space or control characters), e.g. ${part === 'region' ? '"eu-west-1"' : '"es", "aoss" or "execute-api"'}.`);
  }
}

/** A header name an HTTP stack will send as it is; checked once per distinct name. */
export function assertHeaderName(name: string): void {
  const known = caches.headerNames;
  if (known.has(name)) return;
  if (!HTTP_TOKEN.test(name)) {
    throw new ConfigurationError('ERR_INVALID_HEADERS',
      `request.headers has the name ${quote(name)}, which is not an HTTP token: use letters, digits and !#$%&'*+-.^_\`|~ only (no spaces, ":", or control characters).`);
  }
  if (known.size >= HEADER_NAME_CACHE_SIZE) known.clear();
  known.add(name);
}

/**
 * Headers the signer reads by for-in, as an object of name -> value (a class instance such as
 * axios's AxiosHeaders included): an array, Map or fetch Headers would give it indices,
 * nothing, or the Headers methods instead.
 */
export function isHeaderCollection(headers: object): boolean {
  // A plain object of this realm, as nearly every caller passes, in one comparison (~1 ns;
  // Object.getPrototypeOf costs ~12 and the global Headers is a getter in Node).
  if (headers.constructor === Object) return false;
  return Array.isArray(headers) || headers instanceof Map || (typeof Headers === 'function' && headers instanceof Headers);
}

export function headersShapeError(headers: unknown): ConfigurationError {
  return new ConfigurationError('ERR_INVALID_HEADERS', `request.headers must be an object of name -> value, got ${typeName(headers)}` +
    `${typeof headers === 'object' && !Array.isArray(headers) ? '; from a Headers or Map, pass Object.fromEntries(headers)' : ''}.`);
}

/**
 * The values of a header given as an array, each read once, as strings: numbers as the
 * single-value form takes them. Anything else is refused: join() writes null and undefined as
 * nothing while String() signs them as "null", so the value sent would not be the one signed,
 * and a Symbol throws a TypeError from either.
 */
export function headerArrayValues(name: string, values: readonly unknown[]): string[] {
  const out: string[] = [];
  for (const value of values) {
    if (typeof value === 'string') out.push(value);
    else if (typeof value === 'number') out.push(String(value));
    else throw new ConfigurationError('ERR_INVALID_HEADERS', `request.headers[${quote(name)}] must be a string or an array of strings, got an array holding ${typeName(value)}.`);
  }
  return out;
}

/** A value refused by UNSIGNABLE_IN_VALUE, named by its header (the value may be anything a caller holds). */
export function headerValueError(name: string, value: string): ConfigurationError {
  const bad = UNSIGNABLE_IN_VALUE.exec(value)?.[0].charCodeAt(0) ?? 0;
  const what = bad >= 0x80 && bad <= 0xff
    ? `a non-ASCII character (U+${bad.toString(16).toUpperCase().padStart(4, '0')}), which node:http and fetch send as one Latin-1 byte while the signature covers its UTF-8 (AWS would refuse it as a signature mismatch)`
    : bad > 0xff ? 'a character above U+00FF, which no HTTP stack sends in a header' : 'a control character (CR, LF, NUL or another), which no HTTP stack sends in a header';
  return new ConfigurationError('ERR_INVALID_HEADERS',
    `request.headers[${quote(name)}] contains ${what}: send header values in ASCII only; percent-encode (encodeURIComponent) or base64 the value, and decode it where it is read.`);
}

export function duplicateHeaderError(name: string): ConfigurationError {
  return new ConfigurationError('ERR_INVALID_HEADERS',
    `request.headers has "${name}" twice, in different letter case: the signature would join the two values while an HTTP stack may send them apart. Pass one header (values joined with ", " if both are meant).`);
}

export function assertPayloadHash(hash: unknown): asserts hash is string {
  if (typeof hash !== 'string' || !HEX_SHA256.test(hash)) {
    throw new ConfigurationError('ERR_INVALID_PAYLOAD_HASH',
      `options.payloadHash must be the lower-case hex SHA-256 of the body (64 characters 0-9a-f), got ${typeof hash === 'string' ? `a string of ${hash.length} characters` : typeName(hash)}. Omit it to let the signer hash the body.`);
  }
}

/** A caller's own x-amz-content-sha256: the payload hash AWS checks the body against, or one of the forms it names. */
const CONTENT_SHA256_FORMS = /^(?:[0-9a-f]{64}|UNSIGNED-PAYLOAD|STREAMING-[A-Z0-9-]+)$/;

export function assertContentSha256Header(value: string): void {
  if (!CONTENT_SHA256_FORMS.test(value)) {
    throw new ConfigurationError('ERR_INVALID_PAYLOAD_HASH',
      `request.headers["x-amz-content-sha256"] must be the lower-case hex SHA-256 of the body (64 characters 0-9a-f), UNSIGNED-PAYLOAD or a STREAMING-* form, got a string of ${value.length} characters: ` +
        'AWS would refuse the request. Remove the header to let the signer hash the body (contentSha256: true adds it).');
  }
}

/**
 * A Date's time by Date's own getTime: NaN for an invalid Date, undefined for what is not a
 * Date (a Proxy of one included, which that getTime refuses). An own getTime or valueOf that
 * throws or lies is never asked; a Date of another realm (vm, a test runner's sandbox) is read
 * as the Date it is. Read once by whoever calls it, so one instant is checked and used.
 */
export function ownTimeOf(value: unknown): number | undefined {
  try {
    return Date.prototype.getTime.call(value);
  } catch {
    return undefined;
  }
}

/** The signing time of options.signingDate, by ownTimeOf: the instant checked is the one signed. */
export function signingTimeOf(date: unknown): number {
  const time = ownTimeOf(date);
  if (time !== undefined && !Number.isNaN(time)) return time;
  throw new ConfigurationError('ERR_INVALID_OPTIONS',
    `options.signingDate must be a valid Date (e.g. new Date()), got ${time !== undefined ? 'an invalid Date' : typeof date === 'object' && date !== null ? `${typeName(date)} that is not a Date (a Proxy of one is not)` : typeName(date)}. Omit it to sign with the current time.`);
}

export function assertExpiresIn(expiresIn: unknown): asserts expiresIn is number {
  if (typeof expiresIn !== 'number' || !Number.isInteger(expiresIn) || expiresIn < 1 || expiresIn > 604800) {
    throw new ConfigurationError('ERR_INVALID_OPTIONS', 'options.expiresIn must be a whole number of seconds from 1 to 604800.');
  }
}

/** Checks an identity's shape without ever echoing its values. */
export function assertCredentials(credentials: unknown): AwsCredentialIdentity {
  if (credentials === null || typeof credentials !== 'object') {
    throw new CredentialsError('ERR_CREDENTIALS_MALFORMED', `credentials must be an object { accessKeyId, secretAccessKey, sessionToken? }, got ${typeName(credentials)}.`);
  }
  const c = credentials as Record<string, unknown>;
  const accessKeyId = c.accessKeyId;
  const secretAccessKey = c.secretAccessKey;
  if (typeof accessKeyId !== 'string' || accessKeyId === '') throw notAString('accessKeyId', accessKeyId);
  if (typeof secretAccessKey !== 'string' || secretAccessKey === '') throw notAString('secretAccessKey', secretAccessKey);
  const token = c.sessionToken;
  if (token !== undefined && token !== null) {
    if (typeof token !== 'string') {
      throw new CredentialsError('ERR_CREDENTIALS_MALFORMED', `credentials.sessionToken must be a string when given, got ${typeName(token)}.`);
    }
    // The token the headers step last checked is known good: a comparison, not a scan.
    if (token !== caches.token.raw && UNSIGNABLE_IN_VALUE.test(token)) throw tokenError();
  }
  // The secret first: a key id and secret swapped would otherwise be told as a malformed key id.
  // A stray newline from a file, a secret mount or an environment variable signs with a key AWS
  // does not have: every request a signature mismatch. The secret last checked is known good.
  if (secretAccessKey !== caches.secret) {
    if (NOT_IN_A_SECRET.test(secretAccessKey)) {
      throw new CredentialsError('ERR_CREDENTIALS_MALFORMED',
        'credentials.secretAccessKey contains white space or a control character (at its start, its end or inside); ' +
          'check for a stray newline or space where it was read from (a file, a secret mount, an environment variable).');
    }
    if (AN_ACCESS_KEY_ID.test(secretAccessKey)) {
      throw new CredentialsError('ERR_CREDENTIALS_MALFORMED',
        'credentials.secretAccessKey has the form of an access key id (AKIA... or ASIA..., 20 characters): the key id and the secret look swapped ' +
          '(AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY mixed up?). Signed so, the secret would be sent, and logged by AWS, as the key id of the Authorization header. Swap them back.');
    }
    caches.secret = secretAccessKey;
  }
  // The key id last checked is known good: a comparison, not a scan.
  if (accessKeyId !== caches.accessKeyId) {
    if (NOT_IN_A_KEY_ID.test(accessKeyId)) {
      throw new CredentialsError('ERR_CREDENTIALS_MALFORMED',
        'credentials.accessKeyId contains white space, a control character, a character beyond ASCII, or a "/" or "," (which split the Authorization header\'s Credential): no AWS key id does; ' +
          'check for a stray newline or space where it was read from, and that the key id (not the secret) is in accessKeyId.');
    }
    caches.accessKeyId = accessKeyId;
  }
  return credentials as AwsCredentialIdentity;
}

function notAString(field: string, value: unknown): CredentialsError {
  return new CredentialsError('ERR_CREDENTIALS_MALFORMED', `credentials.${field} must be a non-empty string, got ${value === '' ? 'an empty string' : typeName(value)}.`);
}

export function tokenError(): CredentialsError {
  return new CredentialsError('ERR_CREDENTIALS_MALFORMED',
    'credentials.sessionToken contains a CR, LF, NUL or other control character, or a character beyond ASCII (none of which an AWS session credential holds, and it is sent as a signed header); ' +
      'check for a stray newline where it was read from (a file, an environment variable), and that it was copied whole.');
}
