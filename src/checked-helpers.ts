/**
 * The pure helpers the main entry exports for debugging and for other HTTP stacks (spec
 * steps, refusal readers), checked where they cross into the caller's code: an argument of
 * the wrong kind is ERR_INVALID_OPTIONS naming it, where the step inside would throw its own
 * TypeError ("path.indexOf is not a function") or run a caller's getter. The signer calls the
 * steps unchecked: what it hands them is already checked, once, in validate.ts.
 */
import { ConfigurationError, type SignatureRejectedError } from './errors.js';
import { classifyRejection as classify, firstDifference as differenceOf, type RejectionContext } from './rejection.js';
import { canonicalQuery as canonicalQueryOf } from './sigv4/canonical-query.js';
import { canonicalUri as canonicalUriOf } from './sigv4/canonical-uri.js';
import { payloadHash as payloadHashOf } from './sigv4/index.js';
import { assertString, typeName } from './sigv4/validate.js';
import { readOptions, unreadable } from './read-once.js';

/** Step 1's canonical URI of a path as sent on the wire (every service but S3). */
export function canonicalUri(path: string): string {
  assertString(path, 'canonicalUri(path)', 'the path as on the wire such as "/my-index/_doc/1"');
  return canonicalUriOf(path);
}

/** Step 1's canonical query of a query as sent on the wire, without its "?". */
export function canonicalQuery(query: string): string {
  assertString(query, 'canonicalQuery(query)', 'the query as on the wire without "?" such as "q=a&size=10"');
  return canonicalQueryOf(query);
}

/** Hex SHA-256 of a body (a string as UTF-8, or bytes); the empty body's for none. */
export function payloadHash(body: string | Uint8Array | null | undefined): string {
  try {
    return payloadHashOf(body);
  } catch (error) {
    // A Proxy whose getPrototypeOf trap throws, asked whether it is a Uint8Array.
    throw unreadable(error, 'ERR_UNSUPPORTED_BODY', 'The body given to payloadHash', 'Pass a string or bytes (a Buffer, a Uint8Array).');
  }
}

/** The first part of a canonical request that differs from the one AWS expected (the canonical string `es` echoes in its 403). */
export function firstDifference(expected: string, ours: string): string | undefined {
  assertString(expected, 'firstDifference(expected, ours): expected', 'the canonical request AWS echoed');
  assertString(ours, 'firstDifference(expected, ours): ours', 'our canonical request');
  return differenceOf(expected, ours);
}

/** A SignatureRejectedError for a 403 (or 400, 401) that is about authentication; undefined for any other answer. */
export function classifyRejection(context: RejectionContext): SignatureRejectedError | undefined {
  const ctx = readOptions(context, 'The context given to classifyRejection',
    (got) => `classifyRejection(context) must be an object { statusCode, body, date?, errorType?, method?, path?, canonicalRequest? }, got ${got}.`);
  if (typeof ctx.statusCode !== 'number') throw new ConfigurationError('ERR_INVALID_OPTIONS', `classifyRejection(context): statusCode must be a number, got ${typeName(ctx.statusCode)}.`);
  assertString(ctx.body, 'classifyRejection(context): body', 'the answer\'s body as text');
  for (const name of ['date', 'errorType', 'method', 'path', 'canonicalRequest'] as const) {
    if (ctx[name] !== undefined) assertString(ctx[name], `classifyRejection(context): ${name}`, 'when given');
  }
  const { secrets } = ctx;
  if (secrets !== undefined && !(Array.isArray(secrets) && secrets.every((s) => s === undefined || typeof s === 'string'))) {
    throw new ConfigurationError('ERR_INVALID_OPTIONS', `classifyRejection(context): secrets must be an array of strings, got ${typeName(secrets)}.`);
  }
  return classify(ctx);
}
