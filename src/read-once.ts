/**
 * Options, credentials and the signer's input read once: copied, then the copy is checked and used. An object
 * read twice (checked, then copied) can hand back a checked value from a getter the first
 * time and another the second; a getter or Proxy trap that throws ends as the typed error
 * of what was being read, its text kept only scrubbed in `cause` (it may quote a secret).
 * No Node built-in here: the web entry reads its options through this too.
 */
import { AwsSigV4Error, ConfigurationError, CredentialsError, scrubCause, type ConfigurationErrorCode } from './errors.js';
import { SealedIdentity } from './sealed-identity.js';
import { assertObject, isSignOption, unknownSignOption } from './sigv4/validate.js';

/**
 * A plain copy of an options object, every property read once; `shape` words the error for
 * a value that is not an object (null, a string, an array), given what it is.
 */
export function readOptions<T extends object>(value: T, what: string, shape: (got: string) => string): T {
  if (value === null || typeof value !== 'object') throw new ConfigurationError('ERR_INVALID_OPTIONS', shape(value === null ? 'null' : `a ${typeof value}`));
  let copy: T;
  try {
    // Array.isArray throws for a revoked Proxy: inside the try with the reads.
    if (Array.isArray(value)) throw new ConfigurationError('ERR_INVALID_OPTIONS', shape('an array'));
    copy = { ...value };
  } catch (error) {
    if (error instanceof ConfigurationError) throw error;
    throw new ConfigurationError('ERR_INVALID_OPTIONS',
      `${what} could not be read: a getter or Proxy trap threw while it was copied. Pass an object of plain values.`, { cause: scrubCause(error) });
  }
  return copy;
}

/**
 * The fields of an identity, each read once; our own sealed identity as it is (its values sit
 * in private fields), a non-object as it is, for the shape check to name.
 */
export function readIdentity(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  try {
    // Inside the try: instanceof asks a Proxy's getPrototypeOf trap.
    if (value instanceof SealedIdentity) return value;
    const { accessKeyId, secretAccessKey, sessionToken, expiration } = value as Record<string, unknown>;
    return { accessKeyId, secretAccessKey, sessionToken, expiration };
  } catch (error) {
    throw new CredentialsError('ERR_CREDENTIALS_MALFORMED',
      'credentials could not be read: a getter or Proxy trap threw. Pass (or have the provider return) an object of plain values { accessKeyId, secretAccessKey, sessionToken? }.',
      { cause: scrubCause(error) });
  }
}

/**
 * The typed error for a value that could not be read (a getter or Proxy trap threw, or a Proxy
 * stands where an intrinsic such as a Buffer's bytes is needed), the thrown value kept only
 * scrubbed in `cause`; our own typed errors (a check inside the read) pass through as they are.
 */
export function unreadable(error: unknown, code: ConfigurationErrorCode, what: string, fix: string, secrets: ReadonlyArray<string | undefined> = []): AwsSigV4Error {
  if (error instanceof AwsSigV4Error) return error;
  return new ConfigurationError(code, `${what} could not be read: a getter or Proxy trap threw while it was read (see cause). ${fix}`, { cause: scrubCause(error, secrets) });
}

/** The fields of signRequest's request, each read once: what is checked is what is signed. */
export interface RequestFields { method: unknown; url: unknown; headers: unknown; body: unknown }

export function readRequest(request: unknown): RequestFields {
  try {
    assertObject(request, 'request', '{ method, url, headers?, body? }');
    const { method, url, headers, body } = request as Record<keyof RequestFields, unknown>;
    return { method, url, headers, body };
  } catch (error) {
    throw unreadable(error, 'ERR_INVALID_OPTIONS', 'The request given to the signer', 'Pass an object of plain values { method, url, headers?, body? }.');
  }
}

/** The fields of signRequest's (or presignRequest's) options, each read once, unknown names refused. */
export interface SignOptionFields {
  region: unknown;
  service: unknown;
  credentials: unknown;
  signingDate: unknown;
  contentSha256: unknown;
  payloadHash: unknown;
  expiresIn: unknown;
}

export function readSignOptions(options: unknown, presign: boolean): SignOptionFields {
  try {
    assertObject(options, 'options', '{ region, service, credentials }');
    const fields: SignOptionFields = { region: undefined, service: undefined, credentials: undefined, signingDate: undefined, contentSha256: undefined, payloadHash: undefined, expiresIn: undefined };
    // Own properties only, one pass: an inherited one (a polluted Object.prototype.region or
    // .credentials) is not the caller's, to be signed into the scope or to fail every request.
    for (const key in options as object) {
      if (!Object.prototype.hasOwnProperty.call(options, key)) continue;
      if (!isSignOption(key, presign)) throw unknownSignOption(key, presign);
      fields[key as keyof SignOptionFields] = (options as Record<string, unknown>)[key];
    }
    return fields;
  } catch (error) {
    throw unreadable(error, 'ERR_INVALID_OPTIONS', 'The options given to the signer', 'Pass an object of plain values { region, service, credentials, ... }.');
  }
}

const TYPED_ARRAY_PROTOTYPE = Object.getPrototypeOf(Uint8Array.prototype) as object;

function intrinsicGetter(key: 'buffer' | 'byteOffset' | 'byteLength'): (this: unknown) => unknown {
  return Object.getOwnPropertyDescriptor(TYPED_ARRAY_PROTOTYPE, key)!.get as (this: unknown) => unknown;
}

const BUFFER_OF = intrinsicGetter('buffer');
const BYTE_OFFSET_OF = intrinsicGetter('byteOffset');
const BYTE_LENGTH_OF = intrinsicGetter('byteLength');

/**
 * A byte body as a view of its own bytes, read by the typed array's intrinsic getters: the
 * bytes an HTTP stack sends, whatever a subclass's byteLength getter or a Proxy says. Any other
 * value as it is, for the payload hash to take or refuse (a string, nothing, a stream).
 */
export function readBody(body: unknown): unknown {
  if (typeof body !== 'object' || body === null) return body;
  try {
    if (!(body instanceof Uint8Array)) return body;
    return new Uint8Array(BUFFER_OF.call(body) as ArrayBuffer, BYTE_OFFSET_OF.call(body) as number, BYTE_LENGTH_OF.call(body) as number);
  } catch (error) {
    throw unreadable(error, 'ERR_UNSUPPORTED_BODY', 'request.body', 'Pass the Buffer or Uint8Array itself (not a Proxy of one), or a string.');
  }
}
