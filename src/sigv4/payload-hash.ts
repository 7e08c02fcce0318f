/**
 * Step 1, the last line of the canonical request: the hex SHA-256 of the body as it goes
 * on the wire, or of nothing. Strings are hashed as UTF-8, bytes as they are.
 */
import { ConfigurationError } from '../errors.js';
import type { SigV4Crypto } from './crypto.js';
import { EMPTY_SHA256 } from './types.js';
import { typeName } from './validate.js';

export function payloadHashWith<Hex extends string | Promise<string>>(crypto: SigV4Crypto<unknown, Hex>, body: unknown): string | Hex {
  if (body === undefined || body === null) return EMPTY_SHA256;
  if (typeof body === 'string') return body.length === 0 ? EMPTY_SHA256 : crypto.sha256Hex(body);
  if (!(body instanceof Uint8Array)) throw unsupportedBody(body);
  return body.byteLength === 0 ? EMPTY_SHA256 : crypto.sha256Hex(body);
}

function unsupportedBody(body: unknown): ConfigurationError {
  return new ConfigurationError(
    'ERR_UNSUPPORTED_BODY',
    `request.body must be a string or a Uint8Array/Buffer (already serialized, as it goes on the wire), got ${typeName(body)}. ` +
      'Buffer a stream first, or pass its hash as options.payloadHash.',
  );
}
