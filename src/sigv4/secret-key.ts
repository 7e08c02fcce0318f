/**
 * The secret access key, checked as validate.ts checks the access key id: white space or a
 * control character in it (a trailing newline from a file, a secret mount or an environment
 * variable) signs with a key AWS does not have, so every request comes back a signature
 * mismatch. Refused, and never quoted. The secret last checked is known good: on the
 * per-request path this is one comparison.
 */
import { CredentialsError } from '../errors.js';
import { caches } from './caches.js';

/** No AWS secret access key holds any of these (they are 40 characters of base64). */
const NOT_IN_A_SECRET = /[\s\x00-\x1f\x7f]/;

export function assertSecretAccessKey(secret: string): void {
  if (secret === caches.secret) return;
  if (NOT_IN_A_SECRET.test(secret)) {
    throw new CredentialsError('ERR_CREDENTIALS_MALFORMED',
      'credentials.secretAccessKey contains white space or a control character (at its start, its end or inside); ' +
        'check for a stray newline or space where it was read from (a file, a secret mount, an environment variable).');
  }
  caches.secret = secret;
}
