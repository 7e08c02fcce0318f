/**
 * Step 1, canonical headers and signed headers: lower-cased names, values trimmed and
 * inner white space folded (botocore's `' '.join(v.split())`), sorted by name.
 */
import { caches } from './caches.js';
import { headerValueError, tokenError, UNSIGNABLE_IN_VALUE } from './validate.js';

/**
 * Headers never signed: the ones botocore leaves out (a proxy or the HTTP stack may
 * change or drop them on the way) and `authorization`, which carries the result.
 */
export const UNSIGNED_HEADERS: ReadonlySet<string> = new Set([
  'authorization',
  'baggage',
  'connection',
  'expect',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'traceparent',
  'tracestate',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'user-agent',
  'x-amzn-trace-id',
]);

/** Lower-cased signed header names mapped to their trimmed values, repeats joined with `,`. */
export type HeadersToSign = Map<string, string>;

/** Python's str.split() whitespace, so values collapse exactly as botocore's ' '.join(v.split()). */
const WHITESPACE_RUN = /[\t\n\v\f\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/g;
const NEEDS_TRIMALL = /[\t\n\v\f\r\x1c-\x1f\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]| {2}|^ | $/;
/** Anything but plain printable ASCII (the trimall test and what is refused): one scan finds both the values to fold and the ones to refuse. */
const NEEDS_A_LOOK = /[^\x20-\x7e]| {2}|^ | $/;

/** Trimall: leading and trailing white space dropped, inner runs folded to one space. */
export function trimAll(value: string): string {
  if (!NEEDS_TRIMALL.test(value)) return value;
  const folded = value.replace(WHITESPACE_RUN, ' ');
  const start = folded.charCodeAt(0) === 32 ? 1 : 0;
  const end = folded.length > start && folded.charCodeAt(folded.length - 1) === 32 ? folded.length - 1 : folded.length;
  return folded.slice(start, end);
}

/**
 * A caller's header value as signed; one that is not ASCII (a control character, Latin-1,
 * above U+00FF: see UNSIGNABLE_IN_VALUE) is refused, named by its header.
 */
export function canonicalHeaderValue(name: string, value: string): string {
  if (!NEEDS_A_LOOK.test(value)) return value;
  if (UNSIGNABLE_IN_VALUE.test(value)) throw headerValueError(name, value);
  return trimAll(value);
}

/** The session token as signed: checked and trimmed once per token (~1 KB, the same for hours). */
export function trimmedToken(token: string): string {
  const last = caches.token;
  if (token === last.raw) return last.trimmed;
  if (UNSIGNABLE_IN_VALUE.test(token)) throw tokenError();
  const trimmed = trimAll(token);
  caches.token = { raw: token, trimmed };
  return trimmed;
}

/** `name:value\n` per header, sorted by name; and the `;`-joined names. */
export function canonicalHeaders(headers: HeadersToSign): { canonical: string; signedHeaders: string } {
  const names = sortedNames(headers);
  let canonical = '';
  let signedHeaders = '';
  for (let i = 0; i < names.length; i++) {
    const name = names[i]!;
    canonical += name + ':' + headers.get(name) + '\n';
    signedHeaders += i === 0 ? name : ';' + name;
  }
  return { canonical, signedHeaders };
}

/**
 * Names are lower-case ASCII tokens, so code-unit order is the spec's order. A request
 * signs a handful of headers: an insertion sort of those costs a quarter of
 * Array.from(keys).sort(); many headers take the library sort.
 */
function sortedNames(headers: HeadersToSign): string[] {
  if (headers.size > 32) return Array.from(headers.keys()).sort(compareNames);
  const names: string[] = [];
  for (const name of headers.keys()) {
    let i = names.length;
    names.push(name);
    while (i > 0 && names[i - 1]! > name) { names[i] = names[i - 1]!; i--; }
    names[i] = name;
  }
  return names;
}

function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
