/**
 * Where our classification of a refusal travels when the refusal itself goes back to the
 * client as a response.
 *
 * Why a response and not an error: the callback transports (opensearch-js 2.x/3.x, es 7.x)
 * treat any error a Connection calls back with, except a RequestAbortedError, as a
 * connection fault (markDead, then retry up to maxRetries); a 403 response instead becomes
 * the client's own ResponseError, once, and the node is marked alive. @elastic/transport
 * (8.x/9.x) does the same for a response, so every family hands a refusal no retry can fix
 * to the user as the client's ResponseError (`meta.statusCode` 403, `meta.body` AWS's
 * answer), exactly as the stock class would, and `signatureRejectionOf(error)` gives our
 * SignatureRejectedError (kind, hint, firstDifference) from it.
 *
 * The classification rides on the response's header object, which every transport keeps
 * as `error.meta.headers`, under a registry symbol (shared by the ESM and CommonJS copies)
 * and not enumerable, so nothing that serializes or copies the headers sees it.
 */
import { SignatureRejectedError } from '../errors.js';

const REJECTION = Symbol.for('aws-sigv4-connection.signature-rejection');

/** Attaches `rejection` to a response header object (the one the transport will keep). */
export function attachRejection(headers: object, rejection: SignatureRejectedError): void {
  Object.defineProperty(headers, REJECTION, { value: rejection, enumerable: false, configurable: true });
}

/**
 * Our classification of a refusal: from a client's ResponseError (any family), from its
 * `meta` or a response header object, or the SignatureRejectedError itself (createSignedFetch
 * throws one). Undefined when the error is no signature refusal.
 */
export function signatureRejectionOf(error: unknown): SignatureRejectedError | undefined {
  if (error instanceof SignatureRejectedError) return error;
  if (error === null || typeof error !== 'object') return undefined;
  const candidates: unknown[] = [error];
  const meta = (error as { meta?: { headers?: unknown } }).meta;
  if (meta !== null && typeof meta === 'object') candidates.push(meta, meta.headers);
  candidates.push((error as { headers?: unknown }).headers);
  for (const candidate of candidates) {
    if (candidate === null || typeof candidate !== 'object') continue;
    const found = (candidate as Record<symbol, unknown>)[REJECTION];
    if (found instanceof SignatureRejectedError) return found;
  }
  return undefined;
}
