/**
 * AWS Signature Version 4, header and query (presigned) forms, one function per step of
 * the spec. The reference is botocore's `SigV4Auth`: for the same request this produces
 * the same canonical request, string to sign and signature, byte for byte.
 *
 * Why our own code rather than `aws4` or `@smithy/signature-v4`: on the same machine and
 * run, aws4 costs about 5x a careful signer per small request, and both copy a bulk body
 * before hashing it (bench/ prints the figures). Both stay in the tests as independent
 * checkers.
 *
 * Hot-path rules: no URL parsing through WHATWG `URL` for strings, no object spread, the
 * signing key cached per (secret, day, region, service), string bodies hashed in slices
 * (no body-sized UTF-8 copy), byte bodies hashed in place.
 */
import * as nodeCrypto from 'node:crypto';
import { createHash, createHmac, type Hash } from 'node:crypto';
import { ConfigurationError, CredentialsError } from './errors.js';

// Node >= 20.12 / 21.7: one call, no Hash/Hmac object (each costs ~0.5-1 µs to make and more to collect).
type OneShotHash = (algorithm: string, data: string | Uint8Array, encoding: 'hex' | 'latin1') => string;
const oneShotHash = (nodeCrypto as unknown as { hash?: OneShotHash }).hash;

export interface AwsCredentialIdentity {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  expiration?: Date;
}

export type HeaderValue = string | string[];

export interface SignableRequest {
  method: string;
  /** The request as it goes on the wire: path and query already percent-encoded. */
  url: string | URL;
  headers?: Record<string, HeaderValue | number | undefined>;
  body?: string | Uint8Array | null;
}

export interface SignOptions {
  region: string;
  service: string;
  credentials: AwsCredentialIdentity;
  signingDate?: Date;
  /**
   * Add a signed `x-amz-content-sha256` header with the payload hash. Always on for
   * `aoss`, which requires it; off elsewhere unless asked for.
   */
  contentSha256?: boolean;
  /** The hex SHA-256 of the body, when the caller already hashed it (a buffered stream). */
  payloadHash?: string;
}

export interface SignedRequest {
  /** Every header to send: the caller's, plus host, x-amz-date, x-amz-security-token, x-amz-content-sha256 where used, authorization. */
  headers: Record<string, string>;
  signedHeaders: string;
  canonicalRequest: string;
  stringToSign: string;
  signature: string;
}

export interface PresignOptions extends SignOptions {
  /** Seconds the URL stays valid (X-Amz-Expires). Default 900; AWS allows up to 604800. */
  expiresIn?: number;
}

export interface PresignedRequest {
  /** The URL with the X-Amz-* query parameters and the signature appended. */
  url: string;
  /** The headers that were signed and must be sent with the URL. */
  headers: Record<string, string>;
  signedHeaders: string;
  canonicalRequest: string;
  stringToSign: string;
  signature: string;
}

export const ALGORITHM = 'AWS4-HMAC-SHA256';
export const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

/**
 * Headers never signed: the ones botocore leaves out (a proxy or the HTTP stack may
 * change or drop them on the way) and `authorization`, which carries the result.
 */
const UNSIGNED_HEADERS = new Set([
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

// ---------------------------------------------------------------------------------------
// Step 1: canonical request
// ---------------------------------------------------------------------------------------

/** A wire URL split the way Python's urlsplit does it, without WHATWG normalisation. */
export interface WireUrl {
  scheme: string;
  /** The Host value: lower-case host name, port kept unless it is the scheme's default. */
  host: string;
  path: string;
  query: string;
}

const DEFAULT_PORTS: Record<string, string> = { http: '80', https: '443' };

export function parseWireUrl(url: string | URL): WireUrl {
  if (typeof url !== 'string') {
    if (!(url instanceof URL)) {
      throw new ConfigurationError('ERR_INVALID_URL', `request.url must be a string or a URL, got ${typeName(url)}.`);
    }
    // WHATWG already lower-cased the host, dropped default ports and encoded the path.
    return { scheme: url.protocol.slice(0, -1), host: url.host, path: url.pathname, query: url.search.slice(1) };
  }
  // A client signs for one endpoint: its origin is parsed once and recognised after.
  const origin = lastOrigin;
  let scheme: string;
  let host: string;
  let authorityEnd: number;
  // lastIndexOf(prefix, 0) only looks at index 0, and costs a fifth of startsWith in V8 11.
  if (origin !== undefined && url.lastIndexOf(origin.prefix, 0) === 0 && isAuthorityEnd(url, origin.prefix.length)) {
    scheme = origin.scheme;
    host = origin.host;
    authorityEnd = origin.prefix.length;
  } else {
    const schemeEnd = url.indexOf('://');
    if (schemeEnd <= 0 || !/^[A-Za-z][A-Za-z0-9+.-]*$/.test(url.slice(0, schemeEnd))) {
      throw new ConfigurationError('ERR_INVALID_URL', `request.url must be an absolute http(s) URL such as https://host/path, got "${truncate(url)}".`);
    }
    scheme = url.slice(0, schemeEnd).toLowerCase();
    const authorityStart = schemeEnd + 3;
    authorityEnd = url.length;
    for (let i = authorityStart; i < url.length; i++) {
      const c = url.charCodeAt(i);
      if (c === 47 /* / */ || c === 63 /* ? */ || c === 35 /* # */) { authorityEnd = i; break; }
    }
    host = hostFromAuthority(url.slice(authorityStart, authorityEnd), scheme, url);
    lastOrigin = { prefix: url.slice(0, authorityEnd), scheme, host };
  }
  const fragmentAt = url.indexOf('#', authorityEnd);
  const rest = fragmentAt === -1 ? url.slice(authorityEnd) : url.slice(authorityEnd, fragmentAt);
  const queryAt = rest.indexOf('?');
  const path = queryAt === -1 ? rest : rest.slice(0, queryAt);
  const query = queryAt === -1 ? '' : rest.slice(queryAt + 1);
  return { scheme, host, path, query };
}

let lastOrigin: { prefix: string; scheme: string; host: string } | undefined;

function isAuthorityEnd(url: string, at: number): boolean {
  if (at === url.length) return true;
  const c = url.charCodeAt(at);
  return c === 47 /* / */ || c === 63 /* ? */ || c === 35 /* # */;
}

function hostFromAuthority(authority: string, scheme: string, url: string): string {
  const hostPort = authority.slice(authority.lastIndexOf('@') + 1).toLowerCase();
  let hostname = hostPort;
  let port = '';
  if (hostPort.startsWith('[')) {
    const close = hostPort.indexOf(']');
    hostname = hostPort.slice(0, close + 1);
    if (hostPort.charCodeAt(close + 1) === 58 /* : */) port = hostPort.slice(close + 2);
  } else {
    const colon = hostPort.lastIndexOf(':');
    if (colon !== -1) { hostname = hostPort.slice(0, colon); port = hostPort.slice(colon + 1); }
  }
  if (hostname === '' || hostname === '[]' || (port !== '' && !/^\d+$/.test(port))) {
    throw new ConfigurationError('ERR_INVALID_URL', `request.url has no valid host: "${truncate(url)}".`);
  }
  if (port !== '') port = String(Number(port));
  return port === '' || port === DEFAULT_PORTS[scheme] ? hostname : `${hostname}:${port}`;
}

/**
 * The canonical URI of every service but S3: dot segments removed and `//` collapsed
 * (botocore's remove_dot_segments), then URI-encoded once more, so the wire path
 * `/a%20b` signs as `/a%2520b`.
 */
export function canonicalUri(path: string): string {
  return uriEncodePath(removeDotSegments(path));
}

export function removeDotSegments(path: string): string {
  if (path === '') return '/';
  if (path.indexOf('//') === -1 && path.indexOf('/.') === -1 && path.charCodeAt(0) !== 46 /* . */) return path;
  const out: string[] = [];
  for (const segment of path.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') out.pop();
    else out.push(segment);
  }
  const first = path.charCodeAt(0) === 47 ? '/' : '';
  const last = path.charCodeAt(path.length - 1) === 47 && out.length > 0 ? '/' : '';
  return first + out.join('/') + last;
}

const PATH_SAFE = /^[A-Za-z0-9\-_.~/]*$/;
const QUERY_SAFE = /^[A-Za-z0-9\-_.~]*$/;
const SUB_DELIMS_LEFT_BY_ENCODE_URI_COMPONENT = /[!'()*]/g;

/** RFC 3986 encoding of everything but unreserved characters (and `/` for paths). */
function uriEncode(text: string): string {
  let encoded: string;
  try {
    encoded = encodeURIComponent(text);
  } catch {
    throw new ConfigurationError('ERR_INVALID_URL', 'request.url contains a lone UTF-16 surrogate, which has no UTF-8 form to sign.');
  }
  return encoded.replace(SUB_DELIMS_LEFT_BY_ENCODE_URI_COMPONENT, percentEncodeChar);
}

function uriEncodePath(path: string): string {
  return PATH_SAFE.test(path) ? path : uriEncode(path).replace(/%2F/g, '/');
}

function percentEncodeChar(c: string): string {
  return `%${c.charCodeAt(0).toString(16).toUpperCase()}`;
}

/** One pair, nothing to encode or sort: `k=v` as it is, a bare `k` as `k=`. */
const SINGLE_SAFE_PAIR = /^[A-Za-z0-9\-_.~]+(?:=[A-Za-z0-9\-_.~]*)?$/;

/**
 * The canonical query: the wire query split on `&` and the first `=`, each part decoded
 * (Python's unquote: `+` stays a plus, a bad `%` escape stays literal, bad UTF-8 becomes
 * U+FFFD) and re-encoded per RFC 3986, sorted by encoded key, then encoded value.
 */
export function canonicalQuery(query: string): string {
  if (query === '') return '';
  if (SINGLE_SAFE_PAIR.test(query)) return query.indexOf('=') === -1 ? query + '=' : query;
  const pairs = canonicalQueryPairs(query);
  return joinQueryPairs(pairs);
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

const utf8Decoder = new TextDecoder('utf-8', { ignoreBOM: true });

/** Python's urllib.parse.unquote: decodes runs of %XX as UTF-8 with replacement. */
export function percentDecode(text: string): string {
  let out = '';
  let bytes: number[] = [];
  const flush = (): void => {
    if (bytes.length > 0) { out += utf8Decoder.decode(Uint8Array.from(bytes)); bytes = []; }
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

/** Python's str.split() whitespace, so values collapse exactly as botocore's ' '.join(v.split()). */
const WHITESPACE_RUN = /[\t\n\v\f\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/g;
const NEEDS_TRIMALL = /[\t\n\v\f\r\x1c-\x1f\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]| {2}|^ | $/;

/** Trimall: leading and trailing white space dropped, inner runs folded to one space. */
export function trimAll(value: string): string {
  if (!NEEDS_TRIMALL.test(value)) return value;
  const folded = value.replace(WHITESPACE_RUN, ' ');
  const start = folded.charCodeAt(0) === 32 ? 1 : 0;
  const end = folded.length > start && folded.charCodeAt(folded.length - 1) === 32 ? folded.length - 1 : folded.length;
  return folded.slice(start, end);
}

// A session token is ~1 KB and the same for hours: trimmed once, not scanned per request.
let lastToken = '';
let lastTrimmedToken = '';
function trimmedToken(token: string): string {
  if (token !== lastToken) {
    lastTrimmedToken = trimAll(token);
    lastToken = token;
  }
  return lastTrimmedToken;
}

/** Lower-cased signed header names mapped to their trimmed values, repeats joined with `,`. */
type HeadersToSign = Map<string, string>;

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

/** The hex SHA-256 of the body: byte bodies hashed in place, strings in UTF-8 slices. */
export function payloadHash(body: string | Uint8Array | null | undefined): string {
  if (body === undefined || body === null) return EMPTY_SHA256;
  if (typeof body === 'string') {
    if (body.length === 0) return EMPTY_SHA256;
    if (body.length <= STRING_SLICE && oneShotHash !== undefined) return oneShotHash('sha256', body, 'hex');
    const hash = createHash('sha256');
    updateWithString(hash, body);
    return hash.digest('hex');
  }
  if (!(body instanceof Uint8Array)) throw unsupportedBody(body);
  return body.byteLength === 0 ? EMPTY_SHA256 : createHash('sha256').update(body).digest('hex');
}

/** Characters per slice: large enough to amortise the call, small enough to stay in cache. */
const STRING_SLICE = 64 * 1024;

/**
 * Feeds a string's UTF-8 bytes to a hash without making a body-sized copy: Node encodes a
 * string argument to a temporary buffer of its full size, so a 16 MiB body is fed in
 * 64 Ki-character slices, each cut before a lone high surrogate so no pair is split.
 */
export function updateWithString(hash: Hash, text: string): void {
  const length = text.length;
  if (length <= STRING_SLICE) { hash.update(text, 'utf8'); return; }
  let start = 0;
  while (start < length) {
    let end = start + STRING_SLICE;
    if (end >= length) end = length;
    else {
      const c = text.charCodeAt(end - 1);
      if (c >= 0xd800 && c <= 0xdbff) end -= 1;
    }
    hash.update(text.slice(start, end), 'utf8');
    start = end;
  }
}

function unsupportedBody(body: unknown): ConfigurationError {
  return new ConfigurationError(
    'ERR_UNSUPPORTED_BODY',
    `request.body must be a string or a Uint8Array/Buffer (already serialized, as it goes on the wire), got ${typeName(body)}. ` +
      'Buffer a stream first, or pass its hash as options.payloadHash.',
  );
}

// ---------------------------------------------------------------------------------------
// Steps 2 to 4: string to sign, signing key, signature
// ---------------------------------------------------------------------------------------

export function credentialScope(day: string, region: string, service: string): string {
  return `${day}/${region}/${service}/aws4_request`;
}

export function stringToSign(amzDate: string, scope: string, canonicalRequest: string): string {
  const digest = oneShotHash !== undefined ? oneShotHash('sha256', canonicalRequest, 'hex') : createHash('sha256').update(canonicalRequest, 'utf8').digest('hex');
  return `${ALGORITHM}\n${amzDate}\n${scope}\n${digest}`;
}

const signingKeys = new Map<string, Buffer>();
const SIGNING_KEY_CACHE_SIZE = 64;

let lastKey: { secret: string; day: string; region: string; service: string; key: Buffer } | undefined;

/** kSigning = HMAC chain over day, region, service, "aws4_request"; cached, since it changes once a day. */
export function signingKey(secretAccessKey: string, day: string, region: string, service: string): Buffer {
  // Nearly every request of a process signs with the previous one's key: compare, don't build a cache key.
  const last = lastKey;
  if (last !== undefined && last.day === day && last.secret === secretAccessKey && last.region === region && last.service === service) return last.key;
  const key = cachedSigningKey(secretAccessKey, day, region, service);
  lastKey = { secret: secretAccessKey, day, region, service, key };
  return key;
}

function cachedSigningKey(secretAccessKey: string, day: string, region: string, service: string): Buffer {
  const cacheKey = `${day}\n${region}\n${service}\n${secretAccessKey}`;
  let key = signingKeys.get(cacheKey);
  if (key === undefined) {
    const kDate = createHmac('sha256', `AWS4${secretAccessKey}`).update(day, 'utf8').digest();
    const kRegion = createHmac('sha256', kDate).update(region, 'utf8').digest();
    const kService = createHmac('sha256', kRegion).update(service, 'utf8').digest();
    key = createHmac('sha256', kService).update('aws4_request', 'utf8').digest();
    if (signingKeys.size >= SIGNING_KEY_CACHE_SIZE) signingKeys.clear();
    signingKeys.set(cacheKey, key);
  }
  return key;
}

/**
 * HMAC-SHA256 = H((K ^ opad) || H((K ^ ipad) || m)), as two one-shot hashes: Node's Hmac
 * object costs more to make than the hashing itself on a ~140-byte string to sign. The
 * padded keys are made once per signing key; `view` is the inner buffer cut to the last
 * message length, which is the same for every request of a (day, region, service).
 */
interface HmacPads { inner: Buffer; outer: Buffer; view: Buffer }
const hmacPads = new WeakMap<Buffer, HmacPads>();

function padsFor(key: Buffer): HmacPads {
  let pads = hmacPads.get(key);
  if (pads === undefined) {
    const inner = Buffer.alloc(64 + 512, 0x36);
    const outer = Buffer.alloc(96, 0x5c);
    for (let i = 0; i < key.length; i++) { inner[i]! ^= key[i]!; outer[i]! ^= key[i]!; }
    pads = { inner, outer, view: inner.subarray(0, 64) };
    hmacPads.set(key, pads);
  }
  return pads;
}

let lastPadsKey: Buffer | undefined;
let lastPads: HmacPads | undefined;

export function signature(key: Buffer, toSign: string): string {
  // 512 bytes hold any string to sign of up to 170 UTF-16 units (a real one is ~140); beyond, the plain way.
  if (oneShotHash === undefined || key.length > 64 || toSign.length > 170) return createHmac('sha256', key).update(toSign, 'utf8').digest('hex');
  let pads = lastPads;
  if (lastPadsKey !== key || pads === undefined) {
    pads = padsFor(key);
    lastPadsKey = key;
    lastPads = pads;
  }
  const length = 64 + pads.inner.write(toSign, 64, 'utf8');
  if (pads.view.length !== length) pads.view = pads.inner.subarray(0, length);
  // A 'buffer' digest costs a Buffer allocation (~0.5 µs); a latin1 string carries the same 32 bytes.
  pads.outer.write(oneShotHash('sha256', pads.view, 'latin1'), 64, 'latin1');
  return oneShotHash('sha256', pads.outer, 'hex');
}

let lastSecond = -1;
let lastAmzDate = '';

/** `YYYYMMDDTHHMMSSZ`; the string of the current second is reused, since most requests share it. */
export function toAmzDate(date: Date): string {
  return amzDateAt(date.getTime());
}

/** The same from epoch milliseconds, so reading the clock costs no Date object unless the second is new. */
function amzDateAt(ms: number): string {
  if (Number.isNaN(ms)) throw new ConfigurationError('ERR_INVALID_OPTIONS', 'options.signingDate is an invalid Date.');
  const second = Math.floor(ms / 1000);
  if (second === lastSecond) return lastAmzDate;
  const iso = new Date(ms).toISOString();
  const amzDate = iso.slice(0, 4) + iso.slice(5, 7) + iso.slice(8, 13) + iso.slice(14, 16) + iso.slice(17, 19) + 'Z';
  lastSecond = second;
  lastAmzDate = amzDate;
  return amzDate;
}

// ---------------------------------------------------------------------------------------
// The whole: header form and query (presigned URL) form
// ---------------------------------------------------------------------------------------

interface Prepared {
  method: string;
  wire: WireUrl;
  /** Headers to send, names as the caller wrote them (ours lower-case). */
  out: Record<string, string>;
  /** Lower-cased signed names -> trimmed, joined values. */
  toSign: HeadersToSign;
  amzDate: string;
  day: string;
  region: string;
  service: string;
  credentials: AwsCredentialIdentity;
  payload: string;
}

const METHOD = /^[A-Za-z]+$/;

function prepare(request: SignableRequest, options: SignOptions, headerForm: boolean): Prepared {
  if (request === null || typeof request !== 'object') {
    throw new ConfigurationError('ERR_INVALID_OPTIONS', `request must be an object { method, url, headers?, body? }, got ${typeName(request)}.`);
  }
  if (options === null || typeof options !== 'object') {
    throw new ConfigurationError('ERR_INVALID_OPTIONS', `options must be an object { region, service, credentials }, got ${typeName(options)}.`);
  }
  const { method, headers, body } = request;
  if (typeof method !== 'string' || !METHOD.test(method)) {
    throw new ConfigurationError('ERR_INVALID_METHOD', `request.method must be an HTTP method name such as "GET" or "POST", got ${typeof method === 'string' ? `"${truncate(method)}"` : typeName(method)}.`);
  }
  const { region, service } = options;
  if (typeof region !== 'string' || region === '') {
    throw new ConfigurationError('ERR_MISSING_REGION', 'options.region is required (e.g. "eu-west-1"): the region of the domain or collection you call.');
  }
  if (typeof service !== 'string' || service === '') {
    throw new ConfigurationError('ERR_INVALID_OPTIONS', 'options.service is required: "es" for Amazon OpenSearch Service, "aoss" for OpenSearch Serverless, or another signing name such as "execute-api".');
  }
  const credentials = assertCredentials(options.credentials);
  const wire = parseWireUrl(request.url);
  const amzDate = options.signingDate === undefined ? amzDateAt(Date.now()) : toAmzDate(options.signingDate);

  const out: Record<string, string> = {};
  const toSign: HeadersToSign = new Map();
  let hasHost = false;
  let hasDate = false;
  let callerPayloadHash: string | undefined;
  if (headers !== undefined && headers !== null) {
    if (typeof headers !== 'object') {
      throw new ConfigurationError('ERR_INVALID_HEADERS', `request.headers must be an object of name -> value, got ${typeName(headers)}.`);
    }
    for (const name in headers) {
      const value = headers[name];
      if (value === undefined) continue;
      const lower = name.toLowerCase();
      if (lower === 'authorization' || lower === 'x-amz-date' || (lower === 'x-amz-security-token' && credentials.sessionToken)) continue;
      let sendValue: string;
      let canonical: string;
      if (typeof value === 'string') {
        sendValue = value;
        canonical = trimAll(value);
      } else if (typeof value === 'number') {
        sendValue = canonical = String(value);
      } else if (Array.isArray(value)) {
        sendValue = value.join(',');
        canonical = value.map((v) => trimAll(String(v))).join(',');
      } else {
        throw new ConfigurationError('ERR_INVALID_HEADERS', `request.headers["${name}"] must be a string or an array of strings, got ${typeName(value)}.`);
      }
      if (lower === 'host') hasHost = true;
      else if (lower === 'date') { hasDate = true; continue; }
      else if (lower === 'x-amz-content-sha256') callerPayloadHash = canonical;
      out[name] = sendValue;
      if (!UNSIGNED_HEADERS.has(lower)) {
        const previous = toSign.get(lower);
        toSign.set(lower, previous === undefined ? canonical : previous + ',' + canonical);
      }
    }
  }
  if (!hasHost) {
    out.host = wire.host;
    toSign.set('host', wire.host);
  }
  if (headerForm) {
    // botocore's rule, kept for byte-for-byte parity: a request that carries `Date` gets it
    // rewritten to the signing time (email.utils.formatdate, hence "-0000") and no X-Amz-Date.
    if (hasDate) {
      const signingTime = new Date(Date.UTC(+amzDate.slice(0, 4), +amzDate.slice(4, 6) - 1, +amzDate.slice(6, 8), +amzDate.slice(9, 11), +amzDate.slice(11, 13), +amzDate.slice(13, 15)));
      const httpDate = signingTime.toUTCString().replace('GMT', '-0000');
      out.date = httpDate;
      toSign.set('date', httpDate);
    } else {
      out['x-amz-date'] = amzDate;
      toSign.set('x-amz-date', amzDate);
    }
    if (credentials.sessionToken) {
      out['x-amz-security-token'] = credentials.sessionToken;
      toSign.set('x-amz-security-token', trimmedToken(credentials.sessionToken));
    }
  }

  const payload = callerPayloadHash ?? options.payloadHash ?? payloadHash(body);
  if (callerPayloadHash === undefined && (options.contentSha256 === true || service === 'aoss')) {
    out['x-amz-content-sha256'] = payload;
    toSign.set('x-amz-content-sha256', payload);
  }
  return { method: method.toUpperCase(), wire, out, toSign, amzDate, day: amzDate.slice(0, 8), region, service, credentials, payload };
}

/** Signs a request with the Authorization header, as botocore's SigV4Auth.add_auth does. */
export function signRequest(request: SignableRequest, options: SignOptions): SignedRequest {
  const p = prepare(request, options, true);
  const { canonical, signedHeaders } = canonicalHeaders(p.toSign);
  const canonicalRequest = `${p.method}\n${canonicalUri(p.wire.path)}\n${canonicalQuery(p.wire.query)}\n${canonical}\n${signedHeaders}\n${p.payload}`;
  const scope = credentialScope(p.day, p.region, p.service);
  const toSign = stringToSign(p.amzDate, scope, canonicalRequest);
  const sig = signature(signingKey(p.credentials.secretAccessKey, p.day, p.region, p.service), toSign);
  p.out.authorization = `${ALGORITHM} Credential=${p.credentials.accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${sig}`;
  return { headers: p.out, signedHeaders, canonicalRequest, stringToSign: toSign, signature: sig };
}

/**
 * Signs a request in the query (presigned URL) form: the X-Amz-* parameters go in the
 * query string instead of headers. Only the headers given (and host) are signed.
 */
export function presignRequest(request: SignableRequest, options: PresignOptions): PresignedRequest {
  const expiresIn = options.expiresIn ?? 900;
  if (!Number.isInteger(expiresIn) || expiresIn < 1 || expiresIn > 604800) {
    throw new ConfigurationError('ERR_INVALID_OPTIONS', 'options.expiresIn must be a whole number of seconds from 1 to 604800.');
  }
  const p = prepare(request, options, false);
  const { canonical, signedHeaders } = canonicalHeaders(p.toSign);
  const scope = credentialScope(p.day, p.region, p.service);
  const added: Array<[string, string]> = [
    ['X-Amz-Algorithm', ALGORITHM],
    ['X-Amz-Credential', `${p.credentials.accessKeyId}/${scope}`],
    ['X-Amz-Date', p.amzDate],
    ['X-Amz-Expires', String(expiresIn)],
  ];
  if (p.credentials.sessionToken) added.push(['X-Amz-Security-Token', p.credentials.sessionToken]);
  added.push(['X-Amz-SignedHeaders', signedHeaders]);
  let addedQuery = '';
  for (const [k, v] of added) addedQuery += `&${k}=${uriEncode(v)}`;
  const fullQuery = p.wire.query === '' ? addedQuery.slice(1) : `${p.wire.query}${addedQuery}`;
  const canonicalRequest = `${p.method}\n${canonicalUri(p.wire.path)}\n${canonicalQuery(fullQuery)}\n${canonical}\n${signedHeaders}\n${p.payload}`;
  const toSign = stringToSign(p.amzDate, scope, canonicalRequest);
  const sig = signature(signingKey(p.credentials.secretAccessKey, p.day, p.region, p.service), toSign);
  const base = typeof request.url === 'string' ? request.url.replace(/[?#].*$/s, '') : `${request.url.origin}${request.url.pathname}`;
  return {
    url: `${base}?${fullQuery}&X-Amz-Signature=${sig}`,
    headers: p.out,
    signedHeaders,
    canonicalRequest,
    stringToSign: toSign,
    signature: sig,
  };
}

/** Checks an identity's shape without ever echoing its values. */
export function assertCredentials(credentials: unknown): AwsCredentialIdentity {
  if (credentials === null || typeof credentials !== 'object') {
    throw new CredentialsError('ERR_CREDENTIALS_MALFORMED', `credentials must be an object { accessKeyId, secretAccessKey, sessionToken? }, got ${typeName(credentials)}.`);
  }
  const c = credentials as Record<string, unknown>;
  for (const field of ['accessKeyId', 'secretAccessKey'] as const) {
    if (typeof c[field] !== 'string' || c[field] === '') {
      throw new CredentialsError('ERR_CREDENTIALS_MALFORMED', `credentials.${field} must be a non-empty string, got ${c[field] === '' ? 'an empty string' : typeName(c[field])}.`);
    }
  }
  if (c.sessionToken !== undefined && c.sessionToken !== null && typeof c.sessionToken !== 'string') {
    throw new CredentialsError('ERR_CREDENTIALS_MALFORMED', `credentials.sessionToken must be a string when given, got ${typeName(c.sessionToken)}.`);
  }
  if (/\s/.test(c.accessKeyId as string)) {
    throw new CredentialsError('ERR_CREDENTIALS_MALFORMED', 'credentials.accessKeyId contains white space; check for a stray newline or space where it was read from.');
  }
  return credentials as AwsCredentialIdentity;
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return `an object (${(value as object).constructor?.name ?? 'Object'})`;
  return `a ${typeof value}`;
}

function truncate(text: string): string {
  return text.length > 120 ? `${text.slice(0, 120)}...` : text;
}
