/**
 * Step 1 assembled: from a request and options, the headers to send, the headers to sign
 * and the parts of the canonical request. No hashing happens here (the payload hash is
 * the caller's, through a SigV4Crypto), so the same steps serve a synchronous and an
 * asynchronous signer.
 */
import { ConfigurationError } from '../errors.js';
import { readBody, readIdentity, readRequest, readSignOptions, unreadable } from '../read-once.js';
import { canonicalHeaderValue, trimmedToken, UNSIGNED_HEADERS, type HeadersToSign } from './canonical-headers.js';
import { canonicalQuery } from './canonical-query.js';
import { canonicalUri } from './canonical-uri.js';
import { amzDateAt, httpDateOf } from './string-to-sign.js';
import { ALGORITHM, type AwsCredentialIdentity, type PresignOptions, type SignableRequest, type SignOptions } from './types.js';
import { uriEncode } from './uri-encode.js';
import {
  assertContentSha256Header, assertCredentials, assertExpiresIn, assertHeaderName, headerArrayValues, assertMethod, assertPayloadHash, assertScope,
  duplicateHeaderError, headersShapeError, isHeaderCollection, quote, signingTimeOf, typeName,
} from './validate.js';
import { parseWireUrl, quotableUrl, wireUrlText, type WireUrl } from './wire-url.js';

/** X-Amz-Expires when the caller gives none: botocore's default. */
const DEFAULT_EXPIRES_IN = 900;

export interface Prepared {
  method: string;
  wire: WireUrl;
  /** The URL as read once (a URL object's own href): what a presigned URL is built on. */
  url: string;
  /** The body as read once (a byte body as a view of its own bytes), for the payload hash. */
  body: unknown;
  /** Seconds a presigned URL stays valid (0 in the header form). */
  expiresIn: number;
  /** Headers to send, names as the caller wrote them (ours lower-case). */
  out: Record<string, string>;
  /** Lower-cased signed names -> trimmed, joined values. */
  toSign: HeadersToSign;
  amzDate: string;
  day: string;
  region: string;
  service: string;
  credentials: AwsCredentialIdentity;
  /** The payload hash when known without hashing (the caller's header or option); else the body must be hashed. */
  knownPayloadHash: string | undefined;
  /** Whether x-amz-content-sha256 is to be added and signed once the payload hash is known. */
  addContentSha256: boolean;
}

export function prepareRequest(request: SignableRequest, options: SignOptions | PresignOptions, headerForm: boolean): Prepared {
  // Each object the caller gave is read once, here: what is checked below is what is signed,
  // and a getter or Proxy trap that throws is a typed error, not the caller's own.
  const { method, url, headers, body } = readRequest(request);
  const o = readSignOptions(options, !headerForm);
  assertMethod(method);
  const region = o.region as string;
  const service = o.service as string;
  assertScope(region, service);
  const credentials = assertCredentials(readIdentity(o.credentials));
  const href = wireUrlText(url);
  const wire = parseWireUrl(href);
  const amzDate = amzDateAt(o.signingDate === undefined ? Date.now() : signingTimeOf(o.signingDate));
  if (o.payloadHash !== undefined) assertPayloadHash(o.payloadHash);
  // 'yes' or 1 would be read as false (no signed x-amz-content-sha256), as configure() refuses it.
  if (o.contentSha256 !== undefined && typeof o.contentSha256 !== 'boolean') {
    throw new ConfigurationError('ERR_INVALID_OPTIONS', `options.contentSha256 must be true or false, got ${typeName(o.contentSha256)}.`);
  }
  let expiresIn = 0;
  if (!headerForm) {
    const given = o.expiresIn ?? DEFAULT_EXPIRES_IN;
    assertExpiresIn(given);
    expiresIn = given;
    assertNotPresigned(wire.query, href);
  }

  const out: Record<string, string> = {};
  const toSign: HeadersToSign = new Map();
  let hasHost = false;
  let hasDate = false;
  let callerPayloadHash: string | undefined;
  if (headers !== undefined && headers !== null) {
    try {
      if (typeof headers !== 'object' || isHeaderCollection(headers as object)) throw headersShapeError(headers);
      let names = 0;
      for (const name in headers as object) {
        names++;
        const value = (headers as Record<string, unknown>)[name];
        if (value === undefined) continue;
        assertHeaderName(name);
        const lower = name.toLowerCase();
        if (lower === 'authorization' || lower === 'x-amz-date' || (lower === 'x-amz-security-token' && credentials.sessionToken)) continue;
        let sendValue: string;
        let canonical: string;
        if (typeof value === 'string') {
          sendValue = value;
          canonical = canonicalHeaderValue(name, value);
        } else if (typeof value === 'number') {
          sendValue = canonical = String(value);
        } else if (Array.isArray(value)) {
          // Each value trimmed, as AWS signs repeated lines; sent as that one line, so the white
          // space at a value's edge (`['a ', 'b']`) is not sent inside it where the server keeps it.
          canonical = headerArrayValues(name, value).map((v) => canonicalHeaderValue(name, v)).join(',');
          sendValue = canonical;
        } else {
          throw new ConfigurationError('ERR_INVALID_HEADERS', `request.headers[${quote(name)}] must be a string or an array of strings, got ${typeName(value)}.`);
        }
        if (lower === 'host') hasHost = true;
        else if (lower === 'date') { hasDate = true; continue; }
        else if (lower === 'x-amz-content-sha256') {
          assertContentSha256Header(canonical);
          callerPayloadHash = canonical;
        }
        // `__proto__` assigned would set the object's prototype and leave the header unsent but signed.
        if (name === '__proto__') Object.defineProperty(out, name, { value: sendValue, enumerable: true, writable: true, configurable: true });
        else out[name] = sendValue;
        if (!UNSIGNED_HEADERS.has(lower)) {
          // Two names that differ only in case: signed joined, but sent as two lines (or one, by the stack's choice).
          if (toSign.has(lower)) throw duplicateHeaderError(lower);
          toSign.set(lower, canonical);
        }
      }
      // A Headers or Map of another realm or a polyfill: no names of its own, its entries behind methods.
      if (names === 0 && typeof (headers as { forEach?: unknown }).forEach === 'function') throw headersShapeError(headers);
    } catch (error) {
      throw unreadable(error, 'ERR_INVALID_HEADERS', 'request.headers', 'Pass an object of name -> string (or array of strings) values.', [credentials.secretAccessKey, credentials.sessionToken]);
    }
  }
  if (!hasHost) {
    out.host = wire.host;
    toSign.set('host', wire.host);
  }
  if (headerForm) {
    // botocore's rule, kept for byte-for-byte parity: a request that carries `Date` gets it
    // rewritten to the signing time and no X-Amz-Date.
    if (hasDate) {
      const httpDate = httpDateOf(amzDate);
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
  return {
    method: method.toUpperCase(), wire, url: href, body: readBody(body), expiresIn, out, toSign, amzDate, day: amzDate.slice(0, 8), region, service, credentials,
    knownPayloadHash: callerPayloadHash ?? (o.payloadHash as string | undefined),
    addContentSha256: callerPayloadHash === undefined && (o.contentSha256 === true || service === 'aoss'),
  };
}

/** The query form's own parameters, which presignRequest appends. */
const PRESIGN_PARAMETER = /^x-amz-(algorithm|credential|date|expires|signedheaders|signature|security-token)$/i;

/**
 * A URL presigned already (or carrying one of those names) would come back with two of them,
 * the caller's first: a server reading the first checks a signature other than ours.
 */
function assertNotPresigned(query: string, href: string): void {
  if (!/x-amz-|x%2damz%2d/i.test(query)) return;
  for (const pair of query.split('&')) {
    const raw = pair.split('=', 1)[0]!;
    let name = raw;
    try {
      name = decodeURIComponent(raw);
    } catch {
      // A malformed escape: compared as it is.
    }
    if (PRESIGN_PARAMETER.test(name)) {
      throw new ConfigurationError('ERR_INVALID_URL',
        `request.url already has the query parameter ${quote(name)} of a presigned URL (${JSON.stringify(quotableUrl(href))}): presign the URL without its X-Amz-* signing parameters.`);
    }
  }
}

/** Adds the signed x-amz-content-sha256 where it is wanted, once the payload hash is known. */
export function withPayloadHash(p: Prepared, payload: string): void {
  if (p.addContentSha256) {
    p.out['x-amz-content-sha256'] = payload;
    p.toSign.set('x-amz-content-sha256', payload);
  }
}

/** The canonical request: method, URI, query, headers, signed headers, payload hash. */
export function canonicalRequestOf(p: Prepared, query: string, headers: { canonical: string; signedHeaders: string }, payload: string): string {
  return `${p.method}\n${canonicalUri(p.wire.path)}\n${canonicalQuery(query)}\n${headers.canonical}\n${headers.signedHeaders}\n${payload}`;
}

/** The wire query with the X-Amz-* parameters of the query form appended, encoded. */
export function presignedQuery(query: string, accessKeyId: string, scope: string, amzDate: string, expiresIn: number, sessionToken: string | undefined, signedHeaders: string): string {
  let added = `&X-Amz-Algorithm=${ALGORITHM}&X-Amz-Credential=${uriEncode(`${accessKeyId}/${scope}`)}&X-Amz-Date=${amzDate}&X-Amz-Expires=${expiresIn}`;
  if (sessionToken) added += `&X-Amz-Security-Token=${uriEncode(sessionToken)}`;
  added += `&X-Amz-SignedHeaders=${uriEncode(signedHeaders)}`;
  return query === '' ? added.slice(1) : `${query}${added}`;
}
