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
 * The classification rides on the response's header object, which every transport keeps as
 * `error.meta.headers`: as the error itself under a registry symbol (not enumerable, shared by
 * the ESM and CommonJS copies), and as the JSON of its details in the `x-aws-sigv4-rejection`
 * entry, because @elastic/transport 8.x/9.x hands errors a copy of the headers (its redaction)
 * that keeps only enumerable string keys. That entry is ours, never a header AWS sent.
 */
import { SignatureRejectedError, type SignatureRejectedDetails } from '../errors.js';

const REJECTION = Symbol.for('aws-sigv4-connection.signature-rejection');
/** The response header entry that carries our classification (JSON of SignatureRejectedDetails). */
export const REJECTION_HEADER = 'x-aws-sigv4-rejection';

/** Attaches `rejection` to a response header object (the one the transport will keep). */
export function attachRejection(headers: Record<string, unknown>, rejection: SignatureRejectedError): void {
  Object.defineProperty(headers, REJECTION, { value: rejection, enumerable: false, configurable: true });
  const details: SignatureRejectedDetails = {
    kind: rejection.kind,
    statusCode: rejection.statusCode,
    awsMessage: rejection.awsMessage,
    hint: rejection.hint,
    method: rejection.method,
    path: rejection.path,
    firstDifference: rejection.firstDifference,
    clockSkewMs: rejection.clockSkewMs,
  };
  headers[REJECTION_HEADER] = JSON.stringify(details);
}

/**
 * Our classification of a refusal: from a client's ResponseError (any family), from its
 * `meta` or a response header object, or the SignatureRejectedError itself (createSignedFetch
 * throws one). Undefined when the error is no signature refusal.
 */
export function signatureRejectionOf(error: unknown): SignatureRejectedError | undefined {
  try {
    return rejectionIn(error);
  } catch {
    // A getter or Proxy trap of the caller's object threw: nothing of ours is in it.
    return undefined;
  }
}

function rejectionIn(error: unknown): SignatureRejectedError | undefined {
  if (error instanceof SignatureRejectedError) return error;
  if (error === null || typeof error !== 'object') return undefined;
  const meta = (error as { meta?: { headers?: unknown } }).meta;
  const candidates = [error, meta, meta?.headers, (error as { headers?: unknown }).headers];
  for (const candidate of candidates) {
    if (candidate === null || typeof candidate !== 'object') continue;
    const found = (candidate as Record<symbol, unknown>)[REJECTION];
    if (found instanceof SignatureRejectedError) return found;
    const details = (candidate as Record<string, unknown>)[REJECTION_HEADER];
    if (typeof details === 'string') return fromDetails(details);
  }
  return undefined;
}

function fromDetails(json: string): SignatureRejectedError | undefined {
  try {
    const details = JSON.parse(json) as SignatureRejectedDetails;
    return typeof details.kind === 'string' && typeof details.statusCode === 'number' ? new SignatureRejectedError(details) : undefined;
  } catch {
    return undefined;
  }
}
