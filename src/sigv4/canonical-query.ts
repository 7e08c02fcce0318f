/**
 * Step 1, canonical query string: the wire query split on `&` and the first `=`, each part
 * decoded (Python's unquote: `+` stays a plus, a bad `%` escape stays literal, bad UTF-8
 * becomes U+FFFD) and re-encoded per RFC 3986, sorted by encoded key, then encoded value.
 */
import { uriEncode } from './uri-encode.js';

const QUERY_SAFE = /^[A-Za-z0-9\-_.~]*$/;
/** One pair, nothing to encode or sort: `k=v` as it is, a bare `k` as `k=`. */
const SINGLE_SAFE_PAIR = /^[A-Za-z0-9\-_.~]+(?:=[A-Za-z0-9\-_.~]*)?$/;

export function canonicalQuery(query: string): string {
  if (query === '') return '';
  if (SINGLE_SAFE_PAIR.test(query)) return query.indexOf('=') === -1 ? query + '=' : query;
  return joinQueryPairs(canonicalQueryPairs(query));
}

function canonicalQueryPairs(query: string): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  for (const part of query.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const key = eq === -1 ? part : part.slice(0, eq);
    const value = eq === -1 ? '' : part.slice(eq + 1);
    pairs.push([canonicalQueryComponent(key), canonicalQueryComponent(value)]);
  }
  return pairs;
}

function joinQueryPairs(pairs: Array<[string, string]>): string {
  if (pairs.length > 1) pairs.sort(comparePairs);
  let out = '';
  for (let i = 0; i < pairs.length; i++) {
    const pair = pairs[i]!;
    out += (i === 0 ? '' : '&') + pair[0] + '=' + pair[1];
  }
  return out;
}

function comparePairs(a: [string, string], b: [string, string]): number {
  if (a[0] !== b[0]) return a[0] < b[0] ? -1 : 1;
  if (a[1] !== b[1]) return a[1] < b[1] ? -1 : 1;
  return 0;
}

function canonicalQueryComponent(raw: string): string {
  if (QUERY_SAFE.test(raw)) return raw;
  return uriEncode(raw.indexOf('%') === -1 ? raw : percentDecode(raw));
}

// Made on first use: jsdom (Jest's browser environment) has no TextDecoder, and loading the
// package there must not fail for a global that only a percent-encoded query needs.
let utf8Decoder: TextDecoder | undefined;

/** Python's urllib.parse.unquote: decodes runs of %XX as UTF-8 with replacement. */
export function percentDecode(text: string): string {
  let out = '';
  let bytes: number[] = [];
  const flush = (): void => {
    if (bytes.length > 0) { out += (utf8Decoder ??= new TextDecoder('utf-8', { ignoreBOM: true })).decode(Uint8Array.from(bytes)); bytes = []; }
  };
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 37 /* % */ && i + 2 < text.length && isHex(text.charCodeAt(i + 1)) && isHex(text.charCodeAt(i + 2))) {
      bytes.push(parseInt(text.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (c < 0x80) {
      bytes.push(c);
    } else {
      flush();
      out += text[i];
    }
  }
  flush();
  return out;
}

function isHex(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
}
