/**
 * Options and credentials read once: copied, then the copy is checked and used. An object
 * read twice (checked, then copied) can hand back a checked value from a getter the first
 * time and another the second; a getter or Proxy trap that throws ends as the typed error
 * of what was being read, its text kept only scrubbed in `cause` (it may quote a secret).
 * No Node built-in here: the web entry reads its options through this too.
 */
import { ConfigurationError, CredentialsError, scrubCause } from './errors.js';
import { SealedIdentity } from './sealed-identity.js';

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
